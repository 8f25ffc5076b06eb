// The shell's launch syntax (docs/shell.md):
//   run "<binary>" ["<argument>"...] with { name: @cap, other: client @endpoint }
//   spawn "<binary>" ["<argument>"...] [with { ... }]
// Pure and strict (host-tested in tests/host/shell, fuzzed by
// tests/fuzz/shell_grants_fuzz.cpp): anything off the grammar is an error
// with the 1-based column where it went wrong, and nothing is launched.
//
//   line   := word ws+ quoted (ws+ arg)* [ws+ "with" ws* "{" ws* [grant (ws* "," ws* grant)* [ws* ","]] ws* "}"] ws*
//   arg    := '"' printable ASCII other than '"', at most 128 '"'   (at most 15 of them)
//   grant  := name ws* ":" ws* (["client" ws+ | "ro" ws+] "@" name ("/" dname)* | "new" ws+ name)
//   quoted := '"' name '"'      name := [A-Za-z0-9._-]{1,32}
//   dname  := name other than "." and ".."   (at most 8 of them)
//
// `@x` passes a copy of the shell's cap `x`; `client @x` passes a client
// facet of the endpoint `x` (for `@stdio`, a fresh StdIO endpoint the
// shell serves while the child runs); `new k` asks the spawner for a
// per-process kernel cap of kind `k` made for the child (threadSpawner,
// threadControl, virtualMemory, logSink). `@home/a/b` passes a
// sub-directory of the shell's Directory `home` (Directory.sub through a
// and b), `ro @home[/...]` a read-only one: the child gets that directory
// and nothing above it. Arguments become the child's argv[1..] after the
// binary name (argv[0]); only a C program takes them (docs/posix.md).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/core/cstring.h"
#include "lib/core/result.h"

namespace capos::shell {

struct Grant {
  StrView child;   // name in the child's CapSet
  StrView source;  // the shell's name after '@'
  bool client = false;
  StrView local_kind;  // `new <kind>`: a child-local kernel cap (source empty)
  StrView path;        // `@source/a/b`: "a/b", sub-directory names below a Directory
  bool read_only = false;  // `ro @source`: a read-only Directory facet
};

struct LaunchLine {
  static constexpr size_t kMaxGrants = 16;
  StrView command;  // "run" or "spawn"
  StrView binary;
  static constexpr size_t kMaxArgs = 15;
  static constexpr size_t kMaxArgBytes = 128;
  StrView args[kMaxArgs];  // argv[1..], without their quotes
  size_t n_args = 0;
  Grant grants[kMaxGrants];
  size_t n_grants = 0;
};

struct SyntaxError {
  size_t column;  // 1-based
  const char* message;
};

// True if `line` uses the quoted form (second word starts with '"').
bool is_launch_syntax(StrView line);
// Parses the whole line. Errors name the column; a grant name given twice
// is an error at the second one.
Result<LaunchLine, SyntaxError> parse_launch(StrView line);

}  // namespace capos::shell
