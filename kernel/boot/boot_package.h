// The boot package: the single boot module, a Cap'n Proto SystemManifest
// with the service binaries embedded. The kernel validates only its own
// boundary (schema version, binaries, kernel params, init and its caps)
// and keeps a re-encoded copy without binary data for BootPackage.
#pragma once

#include "lib/core/result.h"
#include "lib/core/span.h"
#include "lib/manifest/model.h"
#include "schema/manifest.capnp.capos.h"

namespace capos::boot_package {

// Parses and checks `module`; on failure `why` names the problem in one line.
Status load(Bytes module, char* why, size_t why_cap);
bool loaded();
schema::wire::SystemManifest::Reader manifest();
// The decoded model (names borrow the module's bytes).
const manifest::Manifest& model();
// Binary image by name (empty when absent).
Bytes find_binary(StrView name);
// True for a binary declared as data (BinaryKind.data): never a program.
bool is_data(StrView name);
uint32_t binary_count();
StrView binary_name(uint32_t i);
// The manifest with every Binary.data stripped (what BootPackage serves).
Bytes metadata();

}  // namespace capos::boot_package
