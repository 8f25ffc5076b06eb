@0x880288b382e5f0b2;
# Channels between a POSIX program and the children it starts with
# posix_spawn (docs/posix.md). Both are child-local endpoints: the child
# serves them, the parent holds the CALL-only client facet the spawn
# returned, so no third process and no shared memory is involved.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("capos::schema");

const maxStreamChunkBytes :UInt32 = 4096;
# Largest `data` of one ByteStream.write or ByteStream.read.

const maxSpawnArgs :UInt32 = 256;
# Most entries in each of SpawnArguments.deliver's `argv` and `envp`.

interface ByteStream @0xd6a23a523862535b {
  # One pipe between a parent and a child: the child's file descriptor N is
  # the owner facet of a child-local endpoint granted as `fd<N>`, and the
  # parent's end of the pipe is the client facet. The child answers `write`
  # when it reads and `read` when it writes, so bytes move only when both
  # ends are at the pipe; the child keeps what it has not handed over yet
  # (up to maxStreamChunkBytes) and serves `read` calls until that is empty
  # before it exits. A child that exits ends the stream: the parent's calls
  # then fail disconnected, which the parent sees as end of file (read) or
  # a broken pipe (write).

  write @0 (data :Data) -> ();
  # Bytes for the child to read.
  #
  # Params: `data` is 1 to maxStreamChunkBytes bytes.
  # Errors: invalidArgument for an empty or too long `data`; failed when
  # the child closed its end (a broken pipe) or only writes to this one.

  read @1 (maxBytes :UInt32) -> (data :Data, eof :Bool);
  # Bytes the child wrote.
  #
  # Params: `maxBytes` is 1 to maxStreamChunkBytes.
  # Results: `data`, at most `maxBytes` bytes; `eof` true (and `data`
  # empty) once the child closed its end.
  # Errors: invalidArgument for a bad `maxBytes`; failed when the child
  # only reads from this stream.

  close @2 () -> ();
  # The parent closed its end: the child's next read sees end of file, its
  # next write a broken pipe (EPIPE).
}

interface SpawnArguments @0xf21b7f9ce2c6dbea {
  # A child's argv and environment, granted to it as the child-local
  # endpoint `args`. The child's C start-up code serves exactly one
  # `deliver` before `main` runs; the parent calls it right after the spawn.

  deliver @0 (argv :List(Text), envp :List(Text)) -> ();
  # Hand over the arguments.
  #
  # Params: `argv` (argv[0] first) and `envp` ("NAME=value" entries), each
  # at most maxSpawnArgs entries; together at most one message (16 KiB).
  # Errors: invalidArgument for too many entries or an envp entry without
  # `=`.
}
