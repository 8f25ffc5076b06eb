@0xdc4aec3b62e3ac2c;
# Storage and naming. There is no global path namespace and no open by
# path: a process reaches only the Directory, File, Store or Namespace
# capabilities it was granted. A Directory names only what lies below it
# (there is no `..`), so a sub-directory capability can never reach its
# parent; a read-only facet can never produce a writable one. Names are
# single path components: 1 to maxNameBytes bytes, no `/`, no NUL, never
# `.` or `..`. The filesystem service (`fsd`) serves Directory and File
# over a BlockDevice; docs/storage.md describes its crash-safe on-disk
# format. Errors are CapException categories with a message saying which
# rule was broken; below, "missing" is invalidArgument `no such entry`,
# "taken" is invalidArgument `the name is taken`, "read-only" is
# invalidArgument `read-only directory` (or `read-only file`), "removed"
# is invalidArgument `the file or directory was removed`.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("capos::schema");
using Memory = import "memory.capnp";

const maxNameBytes :UInt32 = 255;
# Longest name of a directory entry, in bytes.

const maxFileTransferBytes :UInt32 = 8192;
# Largest `data` of one File.write and largest read of one File.read: the
# bytes travel inside the message.

const maxFileBulkBytes :UInt32 = 1048576;
# Largest transfer of one File.readBulk or writeBulk: the bytes travel in
# a MemoryObject the caller attaches, not in the message.

const maxListEntries :UInt32 = 64;
# Largest `maxEntries` of one Directory.list or Store.list call.

const maxPathDepth :UInt32 = 16;
# Most components of a `toDir` path in Directory.rename.

const maxBlobBytes :UInt32 = 8192;
# Largest blob one Store.put accepts.

enum EntryKind @0x94a0c99e11e99c2c {
  # What a directory entry is.

  file @0;
  # A regular file of bytes.

  directory @1;
  # A directory.
}

struct DirEntry @0xcce118b5a928a0f6 {
  # One entry of a Directory.list answer.

  name @0 :Text;
  # The entry's name (one component).

  kind @1 :EntryKind;
  # File or directory.

  size @2 :UInt64;
  # Size in bytes of a file; number of entries of a directory.
}

struct FileStat @0xd4a88ce81aff3e9e {
  # Facts about one file or directory.

  kind @0 :EntryKind;
  # File or directory.

  size @1 :UInt64;
  # Bytes of a file; entries of a directory.

  blocks @2 :UInt64;
  # Filesystem blocks the file occupies (holes take none).

  modified @3 :UInt64;
  # Filesystem generation (commit count) in which it last changed; a
  # change not yet synced carries the next generation.

  writable @4 :Bool;
  # Whether the capability this came from may change it.
}

struct FsStat @0xd8db0d7dcac4c385 {
  # Facts about a whole filesystem (the shell's `df`).

  blockSize @0 :UInt32;
  # Bytes per filesystem block.

  totalBlocks @1 :UInt64;
  # Blocks on the device.

  freeBlocks @2 :UInt64;
  # Blocks free for new data now.

  nodes @3 :UInt64;
  # Files and directories in the filesystem.

  generation @4 :UInt64;
  # Commits (syncs) so far: the generation of the last durable state.

  format @5 :Text;
  # Format name, e.g. "capos-fs v1" or "fat32 (read-only)".

  readOnly @6 :Bool;
  # The filesystem (not just this capability) refuses writes.
}

interface Directory @0x8bf9257ac020ae90 {
  # One directory of a filesystem and everything below it, nothing above.
  # A read-only Directory hands out only read-only Files and Directories
  # and refuses every change. Changes become durable at the next `sync`
  # (of any capability of the same filesystem).

  list @0 (cursor :UInt64, maxEntries :UInt32) -> (entries :List(DirEntry), next :UInt64, more :Bool);
  # List entries, oldest first, starting after `cursor`.
  #
  # Params: `cursor` is 0 for the first call, then the previous `next`;
  # `maxEntries` is 1 to maxListEntries.
  # Results: `entries`; `next`, the cursor for the following call; `more`
  # whether entries remain.
  # Errors: invalidArgument for a bad `maxEntries`.

  open @1 (name :Text, writable :Bool) -> (file :File);
  # Open the file `name` of this directory.
  #
  # Params: `writable` asks for a File that may change it.
  # Results: `file`, a result capability.
  # Errors: invalidArgument for a bad name; missing; failed `is a directory`; read-only for `writable` on a
  # read-only Directory; overloaded when the service has no room for
  # another open object.

  create @2 (name :Text) -> (file :File);
  # Create an empty file `name` and open it writable.
  #
  # Errors: invalidArgument for a bad name; taken; read-only; overloaded when the filesystem or the service is
  # full.

  mkdir @3 (name :Text) -> ();
  # Create an empty sub-directory `name`.
  #
  # Errors: as for create.

  remove @4 (name :Text) -> ();
  # Remove the file or empty directory `name`. Its space is free after the
  # next sync. Open Files of a removed file fail (removed).
  #
  # Errors: invalidArgument for a bad name; missing; failed `directory
  # not empty`; read-only.

  rename @5 (from :Text, toDir :List(Text), to :Text) -> ();
  # Move entry `from` of this directory to name `to` in the directory
  # reached from this one by the sub-directory names `toDir` (empty: this
  # directory). The move stays inside this capability's tree.
  #
  # Params: `toDir` has at most maxPathDepth names.
  # Errors: invalidArgument for a bad name or path, or for moving a
  # directory into itself; missing if `from` or a `toDir` step is
  # missing; taken if `to` is; read-only.

  sub @6 (name :Text, writable :Bool) -> (dir :Directory);
  # The sub-directory `name` as its own, narrower capability.
  #
  # Results: `dir`, a result capability reaching that directory and below.
  # Errors: as for open (failed if the entry is a file).

  stat @7 (name :Text) -> (stat :FileStat);
  # Describe entry `name`, or this directory itself for an empty name.
  #
  # Errors: invalidArgument for a bad name; missing.

  fsStat @8 () -> (stat :FsStat);
  # Describe the filesystem this directory belongs to.

  sync @9 () -> ();
  # Make every change to the filesystem so far durable: when this returns,
  # a power loss keeps it.
  #
  # Errors: failed on a device error; read-only.

  readOnly @10 () -> (dir :Directory);
  # A read-only facet of this directory.
  #
  # Results: `dir`, a result capability.
  # Errors: overloaded when the service has no room for another object.

  close @11 () -> ();
  # Give this capability's server-side object back: every copy of this
  # capability stops working (disconnected). Services bound the number of
  # open objects, so clients close what they no longer need.
}

interface File @0xab722498c6f9971c {
  # One file's bytes. A read-only File refuses write, truncate and sync.

  read @0 (offset :UInt64, maxBytes :UInt32) -> (data :Data);
  # Read up to `maxBytes` bytes at `offset`.
  #
  # Params: `maxBytes` 1 to maxFileTransferBytes.
  # Results: `data`, shorter than asked only at the end of the file (empty
  # at or past the end). Holes read as zeroes.
  # Errors: invalidArgument for a bad `maxBytes`; removed.

  write @1 (offset :UInt64, data :Data) -> ();
  # Write `data` at `offset`, growing the file if needed (a gap becomes a
  # hole).
  #
  # Params: `data` 1 to maxFileTransferBytes bytes; offset + size at most
  # the largest file size (docs/storage.md).
  # Errors: invalidArgument for a bad length or an offset past the largest
  # file size; overloaded when the filesystem is full (nothing is
  # written); read-only; removed.

  truncate @2 (size :UInt64) -> ();
  # Set the file's size: cut, or extend with a hole.
  #
  # Errors: as for write.

  sync @3 () -> ();
  # Make every change to the filesystem so far durable (as
  # Directory.sync).
  #
  # Errors: failed on a device error; read-only.

  stat @4 () -> (stat :FileStat);
  # Describe the file.
  #
  # Errors: removed.

  readOnly @5 () -> (file :File);
  # A read-only facet of this file.
  #
  # Results: `file`, a result capability.
  # Errors: overloaded when the service has no room for another object.

  close @6 () -> ();
  # Give the server-side object back (as Directory.close).

  readBulk @7 (offset :UInt64, maxBytes :UInt32, buffer :Memory.MemoryObject, bufferOffset :UInt64) -> (bytes :UInt32);
  # Read up to `maxBytes` bytes at `offset` into the caller's `buffer`
  # (attached to the call; the service maps it only while it answers and
  # keeps no reference) at byte `bufferOffset`. For large transfers: one
  # call moves up to maxFileBulkBytes without copying them through
  # messages.
  #
  # Params: `maxBytes` 1 to maxFileBulkBytes; bufferOffset + maxBytes at
  # most the buffer's size.
  # Results: `bytes` read, fewer than asked only at the end of the file (0
  # at or past the end); the buffer past them is left as it was. Holes read
  # as zeroes.
  # Errors: invalidArgument for a bad `maxBytes`, a missing buffer, one too
  # small for `bufferOffset` plus `maxBytes`, or one that cannot be mapped;
  # removed.

  writeBulk @8 (offset :UInt64, bytes :UInt32, buffer :Memory.MemoryObject, bufferOffset :UInt64) -> ();
  # Write `bytes` bytes from the caller's `buffer` at byte `bufferOffset`
  # to the file at `offset` (as write: all or nothing, growing the file if
  # needed; the service maps the buffer read-only while it answers).
  #
  # Params: `bytes` 1 to maxFileBulkBytes; bufferOffset + bytes at most
  # the buffer's size; offset + bytes at most the largest file size.
  # Errors: as write, and as readBulk for the buffer.
}

interface Store @0x9b20985a49ec2160 {
  # Content-addressed blobs: each blob is named by the SHA-256 of its
  # bytes, computed by the service, so a key says exactly what it holds.
  # A read-only Store answers get, has and list and refuses put and
  # remove.

  put @0 (data :Data) -> (key :Data);
  # Store `data` (at most maxBlobBytes) and return its key, the 32-byte
  # SHA-256 digest. Storing bytes already present changes nothing.
  #
  # Errors: invalidArgument for too much data; overloaded when full;
  # invalidArgument on a read-only Store.

  get @1 (key :Data, offset :UInt64, maxBytes :UInt32) -> (data :Data, size :UInt64);
  # Read up to `maxBytes` (1 to maxBlobBytes) bytes of blob `key` from
  # `offset`; `size` is the blob's whole size.
  #
  # Errors: invalidArgument for a key that is not 32 bytes or a bad
  # `maxBytes`; invalidArgument for a missing blob.

  has @2 (key :Data) -> (present :Bool, size :UInt64);
  # Whether blob `key` is stored, and its size.
  #
  # Errors: invalidArgument for a key that is not 32 bytes.

  remove @3 (key :Data) -> ();
  # Forget blob `key`.
  #
  # Errors: invalidArgument for a missing blob or a read-only Store.

  list @4 (cursor :UInt64, maxEntries :UInt32) -> (keys :List(Data), next :UInt64, more :Bool);
  # Keys of stored blobs, oldest first, after `cursor` (0 first, then the
  # previous `next`); `maxEntries` 1 to maxListEntries.
}

enum BindingKind @0xbea7c60c3229bcc8 {
  # What a Namespace name is bound to.

  directory @0;
  # A Directory of the filesystem behind the Namespace.

  file @1;
  # A File of that filesystem.

  blob @2;
  # A Store blob, by key.
}

struct Binding @0xf2213f348a22c2c0 {
  # What one Namespace name resolves to, as stored (no capability: the
  # service re-creates the capability from it on resolve).

  kind @0 :BindingKind;
  # Directory, file or blob.

  path @1 :List(Text);
  # For a directory or file: the names leading to it from the root of
  # the Namespace's filesystem.

  writable @2 :Bool;
  # Whether resolve hands out a writable capability.

  key @3 :Data;
  # For a blob: its SHA-256 key.
}

interface Namespace @0xb933cce0eaf3d209 {
  # Persistent names for capabilities that can be re-created after a
  # reboot: directories and files of a filesystem, blobs of a Store. The
  # service keeps the bindings in its filesystem, so they survive a
  # reboot. A binding's path is taken from the Namespace's scope (a
  # directory chosen when the Namespace was granted), never from above
  # it. A writable Namespace carries the authority of its scope (it can
  # bind any path below it); a read-only one resolves only what was bound
  # into it, and hands out only read-only capabilities; a narrower one
  # (`sub`) sees only the names under its prefix. Names follow the
  # Directory name rules; "read-only" below is invalidArgument
  # `read-only namespace`, "unbound" is invalidArgument `no such binding`.

  bind @0 (name :Text, binding :Binding) -> ();
  # Bind `name` to `binding`, replacing an earlier binding; durable when
  # this returns. The path must lead to an existing entry of the binding's
  # kind.
  #
  # Errors: invalidArgument for a bad name, a path of more than
  # maxPathDepth names or with a bad name, a missing entry (`no such
  # entry`), an entry of the other kind, a blob key that is not 32 bytes;
  # read-only; overloaded when the filesystem is full.

  resolve @1 (name :Text) -> (binding :Binding, cap :Capability);
  # The capability `name` is bound to, and the binding itself.
  #
  # Results: `binding` as stored (its `writable` says what `cap` allows);
  # `cap`, a result capability (Directory or File; null for a blob, which
  # is read through a Store).
  # Errors: unbound; invalidArgument `the bound entry is gone` when the
  # path no longer leads to an entry of its kind; overloaded when the
  # service has no room for another object.

  unbind @2 (name :Text) -> ();
  # Remove the binding of `name`; durable when this returns.
  #
  # Errors: unbound; read-only.

  list @3 (cursor :UInt64, maxEntries :UInt32) -> (names :List(Text), next :UInt64, more :Bool);
  # Bound names (without this Namespace's prefix) after `cursor` (0
  # first, then the previous `next`), in the filesystem's order (stable
  # while nothing changes; a reboot may change it); `maxEntries` 1 to
  # maxListEntries.

  sub @4 (prefix :Text, writable :Bool) -> (ns :Namespace);
  # A narrower Namespace: it sees only this one's names that begin with
  # `prefix`, without the prefix (its name `cfg` is `prefix` + `cfg`
  # here). An empty prefix with `writable` false is a read-only facet.
  #
  # Params: `prefix` at most 64 bytes, no `/` or NUL.
  # Results: `ns`, a result capability.
  # Errors: invalidArgument for a bad prefix; read-only for `writable` on
  # a read-only Namespace; overloaded when the service has no room for
  # another object.

  close @5 () -> ();
  # Give the server-side object back (as Directory.close).
}
