// Strict JSON -> SystemManifest decoding. libcapnp's JsonCodec parses the
// text; we then walk the JSON against the schema by reflection ourselves,
// because JsonCodec silently ignores unknown fields. Every rejection is one
// line naming the JSON path ($.initConfig.services[1].caps[0]) and, for an
// unknown field, the accepted names.
#pragma once

#include <capnp/dynamic.h>
#include <stdexcept>
#include <string>

#include "capnp/manifest.capnp.h"
#include "tools/mkmanifest/config_error.h"

namespace capos::mkmanifest {

constexpr size_t kMaxJsonBytes = 1 << 20;

// Parses `json` and fills `out`. Binary.data is left empty: the config names
// binaries, mkmanifest embeds them. Throws ConfigError.
void decode_manifest(const std::string& json, schema::SystemManifest::Builder out);

}  // namespace capos::mkmanifest
