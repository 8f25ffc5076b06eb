@0xc4e1a7b3d2f08e59;
# The terminal, child I/O, and identity services behind `login`
# (docs/identity.md): TerminalSession owns the serial console, StdIO is
# what an interactive child reads and writes, CredentialStore keeps
# password verifiers, AuthorityBroker turns a profile into a bundle of
# capabilities, SessionManager ties them together for the shell, and
# Lifecycle is the narrowed shutdown authority an operator bundle
# carries. Identity is policy data held by these services: the kernel
# only dispatches on capabilities.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("capos::schema");

const maxTerminalLine :UInt32 = 256;
# Longest line TerminalSession.readLine and StdIO.readLine return.

const maxBundleCaps :UInt32 = 15;
# Most capabilities one bundle carries (with its `session`, one transfer of
# at most 16 caps: lib/abi/ipc.h XFER_MAX).

interface TerminalSession @0xe7a2c91d5b3f4068 {
  # One terminal: the serial console, owned by the terminal service, which
  # is the only process that reads or writes the Console. The shell holds
  # one client and the SessionManager another (for hidden password entry).
  # Serial semantics: no window size, no resize; bytes out as given.

  write @0 (data :Data) -> ();
  # Write raw bytes (no newline translation).
  #
  # Params: `data` is at most 2048 bytes.
  # Errors: invalidArgument if `data` is longer.

  read @1 (maxBytes :UInt32) -> (data :Data);
  # Raw input, for a caller that does its own line editing (the shell).
  # Blocks until at least one byte is buffered, then returns what is
  # buffered up to `maxBytes`, stopping after the first line end (CR, LF
  # or CR LF): input typed ahead after a line stays in the terminal for
  # the next reader (a hidden password prompt), never with the line.
  #
  # Params: `maxBytes` is 1 to 256.
  # Errors: invalidArgument for a bad `maxBytes`; busy while another read
  # is pending.

  readLine @2 (prompt :Text, echo :Bool) -> (line :Text, cancelled :Bool);
  # Write `prompt`, then read one line with the terminal's own line
  # discipline: printable ASCII is kept, Backspace deletes, Ctrl-U clears,
  # Ctrl-C cancels, Enter ends the line. With `echo` false nothing typed is
  # shown (hidden input: passwords) and the line's bytes stay out of every
  # log; only the final line break is written.
  #
  # Params: `prompt` is at most 64 bytes.
  # Results: `line` is at most maxTerminalLine bytes (longer input is
  # refused with a bell); `cancelled` is true after Ctrl-C (then `line` is
  # empty).
  # Errors: invalidArgument for a prompt too long; busy while another read
  # is pending.
}

interface StdIO @0xd93b5e2a7c1f0846 {
  # Standard input and output of an interactive child. The shell creates
  # one endpoint per child it runs with `stdio: client @stdio` and serves
  # it while the child runs, forwarding to its terminal; the endpoint dies
  # with the child's `run`.

  write @0 (data :Data) -> ();
  # Write output. Control bytes other than newline and tab are shown as
  # `?` (a child cannot move the cursor or inject terminal sequences);
  # newline becomes CR LF.
  #
  # Params: `data` is at most 2048 bytes.
  # Errors: invalidArgument if longer.

  readLine @1 () -> (line :Text, eof :Bool);
  # Read one line typed at the terminal (echoed, without its line end).
  #
  # Results: `line` is at most maxTerminalLine bytes; `eof` is true when
  # the user pressed Ctrl-C or Ctrl-D instead (then `line` is empty).
}

enum Profile @0xf0b6d4c2a8e31957 {
  # What a session may do: chooses the bundle the AuthorityBroker mints.

  anonymous @0;
  # Before login: help, man and login only.

  guest @1;
  # The manifest's guest bundle, if the manifest allows guests.

  operator @2;
  # A password-authenticated operator: the operator bundle.
}

enum AddAccountResult @0xa4c7e19b3d5f2086 {
  # What CredentialStore.add did: the expected refusals are values, so the
  # SessionManager can tell the user which one it was.

  added @0;
  # The account exists now (committed before the answer).

  exists @1;
  # A seed or enrolled account already has this name; nothing changed.

  full @2;
  # The store holds its most accounts (8); nothing changed.

  locked @3;
  # The account file failed its integrity check at start (see
  # CredentialStore.accounts); nothing changed.
}

struct BundleCap @0xa4c8e2f61b3d5079 {
  # One capability of a bundle.

  name @0 :Text;
  # Name the holder should use for it (e.g. "timer").

  cap @1 :Capability;
  # The capability: a wrapper in the session's revocation scope (Revoker),
  # so it goes stale at logout in every process that holds a copy.
}

interface CredentialStore @0xbd71f4a3e2c95086 {
  # Password verifiers: Argon2id (RFC 9106) encoded records, seeded from
  # the manifest's `accounts` data file (never plaintext) and, by `enroll`,
  # the first account made at run time — kept in an HMAC-protected file on
  # the directory the manifest grants the store, else volatile. Granted
  # only to the SessionManager. Parameters and file format: docs/identity.md.

  verify @0 (user :Text, password :Data) -> (ok :Bool, profile :Profile);
  # Check `password` against `user`'s verifier.
  #
  # Params: `user` is 1 to 32 bytes; `password` 1 to 256 bytes.
  # Results: `ok` false for an unknown user or a wrong password (the two
  # take the same time: an unknown user is checked against a dummy
  # verifier); `profile` is the account's profile when `ok`.
  # Errors: invalidArgument for bad lengths.

  enroll @1 (user :Text, password :Data, profile :Profile) -> (persistent :Bool);
  # Create the first account on a machine that has none (`setup`).
  #
  # Params: as for `verify`; `profile` must not be anonymous.
  # Results: `persistent` is true when the account was written to the
  # store's file and committed before this answered (it survives reboot);
  # false when the store has no directory (the account lives until the
  # store process ends).
  # Errors: alreadyExists (as `failed` with that message) if any account
  # exists; corrupt (as `failed`) while the store is locked (see
  # `accounts`); failed if the file cannot be written (then nothing is
  # enrolled); invalidArgument for bad lengths or profile.

  accounts @2 () -> (count :UInt32, persistent :Bool, locked :Bool);
  # How many accounts exist, whether enrolled accounts persist, and
  # whether the store is locked: its account file exists but failed its
  # integrity check (or could not be read), so nothing was loaded from it
  # and `enroll` is refused until an administrator repairs the disk.

  change @3 (user :Text, oldPassword :Data, newPassword :Data) -> (ok :Bool, persistent :Bool);
  # Replace an enrolled account's password (`passwd`): check `oldPassword`
  # like `verify`, then store a new verifier (fresh salt) for
  # `newPassword`, committed like `enroll` (a new generation of the file).
  #
  # Params: `user` as for `verify`; both passwords 1 to 256 bytes.
  # Results: `ok` false for an unknown user or a wrong old password (same
  # time either way; nothing changes); `persistent` as for `enroll`.
  # Errors: invalidArgument for bad lengths or a seed account (seed
  # accounts change in the manifest); corrupt (as `failed`) while the store
  # is locked; failed if the file cannot be written (the old password
  # stays).

  add @4 (user :Text, password :Data, profile :Profile) -> (result :AddAccountResult, persistent :Bool);
  # Create one more account (`adduser`, for an operator session: the
  # SessionManager checks that, as it is this store's only client). The
  # account is committed like `enroll` (a new generation of the file, the
  # anchor follows) before this answers.
  #
  # Params: as for `enroll`.
  # Results: `result` added, or why not (exists, full, locked: nothing
  # changed); `persistent` as for `enroll`.
  # Errors: failed if the file cannot be written (then nothing is added);
  # invalidArgument for bad lengths or an anonymous profile.
}

interface AuthorityBroker @0xe2f5a8c7d4b1a063 {
  # Mints the capability bundle of a session from the bundles the
  # manifest defines: every cap the broker holds named `<profile>.<name>`
  # belongs to `<profile>`'s bundle under `<name>`. Each bundle cap is a
  # fresh wrapper in a per-session revocation scope. Granted only to the
  # SessionManager.

  shellBundle @0 (session :UInt64, profile :Profile, user :Text) -> (caps :List(BundleCap));
  # The bundle for a new session.
  #
  # Params: `session` is the SessionManager's id for it (unique per boot,
  # not 0);
  # `profile` chooses the bundle; `user` is the session's user name (empty
  # when anonymous, at most 32 bytes).
  # Results: `caps` in manifest order (at most maxBundleCaps), then
  # `session`: a UserSession naming this session, in the same revocation
  # scope.
  # Errors: notFound (as `failed`) for guest when the manifest defines no
  # guest bundle; overloaded when too many sessions are live.

  revoke @1 (session :UInt64) -> ();
  # Make every cap of `session`'s bundle stale (Revoker.revoke) and forget
  # the session.
  # Errors: invalidArgument for an unknown session.

  profileAllowed @2 (profile :Profile) -> (allowed :Bool);
  # Whether the manifest defines a bundle for `profile`.
}

interface SessionManager @0xc83e1f6a9b27d405 {
  # The shell's door to identity. Authenticates on its own terminal client
  # (the password never passes through the shell), keeps the current
  # session, asks the AuthorityBroker for bundles, rate-limits failures and
  # writes every auth event to the audit log (its LogSink, source
  # "sessions").

  login @0 (user :Text) -> (outcome :LoginOutcome);
  # Prompt `password> ` with hidden input on the terminal and check it.
  # Every failure doubles the delay before the next attempt may be
  # checked (from 1 s, at most 16 s), also across users.
  #
  # Params: `user` is 1 to 32 bytes of ASCII letters, digits, '-', '_', '.'.
  # Results: see LoginOutcome. On success the previous session is revoked.

  setup @1 (user :Text) -> (outcome :LoginOutcome);
  # On a machine without accounts: prompt twice for a new password (hidden),
  # enroll `user` as an operator (persistent if the store has a directory,
  # see CredentialStore.enroll), then log in.
  # Results: `refused` with a reason when accounts exist, the store is
  # locked, or the two entries differ.

  guest @2 () -> (outcome :LoginOutcome);
  # Switch to the guest profile, if the manifest allows it.

  anonymous @3 () -> (outcome :LoginOutcome);
  # Start an anonymous session with the anonymous bundle (the shell calls
  # this at start, and for `logout`). The current session, if any, ends
  # first: its bundle (and every copy of it, in any process) goes stale.

  current @4 () -> (user :Text, profile :Profile, session :UInt64);
  # The current session (user empty when anonymous).

  passwd @5 () -> (refused :Text);
  # Change the current session's password: prompt `current password> `,
  # `new password> ` and `again> ` (all hidden) on the terminal and call
  # CredentialStore.change. A wrong current password counts as a failed
  # login (same delays). The session stays.
  # Results: `refused` empty when the password was changed, else why:
  # anonymous or guest session, a seed account, wrong password, entries
  # empty or different, the store locked or unwritable.

  adduser @6 (user :Text, profile :Profile) -> (refused :Text);
  # Add an account (operator sessions only): prompt `new password> ` and
  # `again> ` (hidden) on the terminal and call CredentialStore.add. The
  # session stays; the new user logs in with `login`.
  #
  # Params: `user` as for `login`; `profile` operator or guest.
  # Results: `refused` empty when the account was added, else why: not an
  # operator session, a bad name or profile, the user exists, entries
  # empty or different, the store full, locked or unwritable.

  struct LoginOutcome {
    # What login, setup and guest did.

    union {
      session :group {
        # A new session; the old one is revoked.

        id @0 :UInt64;
        # Unique per boot.

        profile @1 :Profile;
        # Its profile.

        caps @2 :List(BundleCap);
        # Its bundle (AuthorityBroker.shellBundle).
      }

      refused @3 :Text;
      # Why not: "wrong user or password", "guests are not allowed", ...
      # Never says which of user or password was wrong.
    }
  }
}

interface Lifecycle @0x9f4d2b6e8a1c3057 {
  # Narrowed SystemControl for an operator: power off or reboot with a
  # clean status, nothing else (no halt, no failure codes). Served by the
  # lifecycle service, which alone holds SystemControl besides init.

  powerOff @0 () -> ();
  # Power off. Never completes on success.

  reboot @1 () -> ();
  # Reset the machine. Never completes on success.
}

const maxAuditText :UInt32 = 200;
# Longest text of one audit record.

struct AuditRecord @0xdceb7a76e5a6386d {
  # One record of the AuditLog's hash chain.

  seq @0 :UInt64;
  # Position in the chain, from 0, without gaps.

  timeNs @1 :UInt64;
  # Monotonic time of the append (Timer.now).

  source @2 :Text;
  # Who appended it: fixed per writer endpoint by the manifest (the
  # writer cannot choose it).

  text @3 :Text;
  # What happened (never a secret).

  hash @4 :Data;
  # SHA-256 over the previous record's hash (32 zero bytes before seq 0),
  # seq and timeNs (8 bytes little-endian each), then source and text
  # (each a 4-byte little-endian length and the bytes): docs/identity.md.
  # Changing any field of any record, or dropping or reordering records,
  # breaks the chain from there on.
}

interface AuditLog @0xedd85f51a3f4af99 {
  # Append-only, hash-chained audit records (auditd): login successes and
  # failures, sessions started and revoked, shutdown and reboot. The
  # manifest gives each writer its own endpoint, which fixes the records'
  # `source`; readers get the read-only endpoint (the operator bundle's
  # `audit`). auditd keeps the last 256 records in memory (a reader then
  # verifies from the oldest retained one on) and, with a directory
  # grant, every record on disk, re-verified at start.

  append @0 (text :Text) -> (seq :UInt64, hash :Data);
  # Add a record at the end of the chain.
  #
  # Params: `text` is 1 to maxAuditText bytes of printable ASCII.
  # Results: its `seq` and chain `hash`.
  # Errors: invalidArgument for bad text; failed (with that message) on
  # the read-only endpoint.

  read @1 (from :UInt64, maxRecords :UInt32) -> (records :List(AuditRecord), prevHash :Data, next :UInt64, more :Bool);
  # Records from `from` on (from the oldest retained one if `from` was
  # dropped), at most `maxRecords` (1 to 16).
  #
  # Results: `prevHash` is the chain hash before the first record returned
  # (32 zero bytes before seq 0), so a reader can recompute every hash;
  # `next` is the seq to read next; `more` whether records remain.
  # Errors: invalidArgument for a bad `maxRecords`.

  head @2 () -> (count :UInt64, hash :Data);
  # How many records were ever appended and the hash of the last one (32
  # zero bytes when none). A reader that kept an earlier head can check
  # that the log only grew from it.
}

interface UserSession @0xbf45324e548da5ee {
  # The identity of a session, as a capability: the AuthorityBroker puts
  # one in every bundle (`session`), in the session's revocation scope, and
  # the shell hands it to every child it starts. So a process learns (and
  # can show a service) whose session it runs in, and after logout the cap
  # is stale like the rest of the bundle. Identity is data: it grants
  # nothing by itself.

  info @0 () -> (user :Text, profile :Profile, session :UInt64);
  # Who: the user name ("" when anonymous), the profile and the
  # SessionManager's session id.
  # Errors: disconnected once the session is revoked.
}
