// The shell's `dmesg`: the kernel log ring through a LogReader grant, one
// line per record, every untrusted byte escaped (lib/core/escape.h).
#pragma once

#include "lib/core/cstring.h"
#include "lib/core/result.h"
#include "schema/kernel.capnp.capos.h"
#include "user/rt/cap.h"

namespace capos::shell {

// Reads every record from the oldest kept on and hands each formatted line
// (ending in '\n') to `emit`. Reports overwritten records first.
Status dmesg(rt::Cap<schema::wire::LogReader> log_reader, void (*emit)(StrView line));

}  // namespace capos::shell
