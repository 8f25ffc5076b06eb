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

// Why a boot package was refused: the error and one line naming the
// problem. The decoder's and validator's lines name the offending field,
// so the line is carried by value (built once, at boot), not a static
// string.
struct LoadError {
  Err code = Err::Corrupt;
  char line[256] = {};
};
// Parses and checks `module`.
Result<void, LoadError> load(Bytes module);
bool loaded();
schema::wire::SystemManifest::Reader manifest();
// The decoded model (names borrow the module's bytes).
const manifest::Manifest& model();
// Binary image by name (empty when absent).
Bytes find_binary(StrView name);
// True for a binary declared as data or secret (BinaryKind.data, .secret):
// never a program.
bool is_data(StrView name);
// The index of the binary `name` if it is a secret; NotFound if there is no
// such binary, InvalidArgument if it is not a secret.
Result<uint32_t> find_secret(StrView name);
// True if binary `index` is a secret (readable only through a BootPackage
// narrowed to it).
bool is_secret(uint32_t index);
uint32_t binary_count();
StrView binary_name(uint32_t i);
// The manifest with every Binary.data stripped (what BootPackage serves).
Bytes metadata();

}  // namespace capos::boot_package
