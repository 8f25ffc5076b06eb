// The \_S5_ (soft-off) sleep type from a DSDT or SSDT. Full AML needs an
// interpreter; the sleep-state objects, however, are almost always a
// plain `Name (_S5, Package () { a, b, ... })`, so this decoder looks for
// exactly that encoding: NameOp (optionally with a root prefix), the name,
// PackageOp, a PkgLength that fits the table, and integer constants. It
// reads each byte at most a bounded number of times and never outside the
// table. Anything else (a method computing the package, references in
// the elements) is Unsupported: capOS then cannot power off by ACPI and
// says so, rather than guessing.
#pragma once

#include <stdint.h>

#include "lib/acpi/sdt.h"

namespace capos::acpi {

struct SleepType {
  uint8_t a;  // SLP_TYPa, for PM1a_CNT
  uint8_t b;  // SLP_TYPb, for PM1b_CNT
};

// `table` is a whole DSDT or SSDT (header included); `name` is the 4-char
// AML name segment, e.g. "_S5_".
// Errors: those of check_sdt (signature DSDT or SSDT); NotFound if no
// `Name(<name>, Package)` is present; Corrupt if the first such package
// is malformed (length past the table or the package, no elements, a
// value above 7, which does not fit the 3-bit SLP_TYP field); Unsupported
// if it holds something other than integer constants.
Result<SleepType> find_sleep_type(Bytes table, const char* name);

}  // namespace capos::acpi
