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

const maxBundleCaps :UInt32 = 12;
# Most capabilities one bundle carries.

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
  # one volatile record made at run time. Granted only to the
  # SessionManager. Parameters: docs/identity.md.

  verify @0 (user :Text, password :Data) -> (ok :Bool, profile :Profile);
  # Check `password` against `user`'s verifier.
  #
  # Params: `user` is 1 to 32 bytes; `password` 1 to 256 bytes.
  # Results: `ok` false for an unknown user or a wrong password (the two
  # take the same time: an unknown user is checked against a dummy
  # verifier); `profile` is the account's profile when `ok`.
  # Errors: invalidArgument for bad lengths.

  enroll @1 (user :Text, password :Data, profile :Profile) -> ();
  # Create the first account on a machine that has none (`setup`). The
  # record is volatile: it lives until the store process ends.
  #
  # Params: as for `verify`; `profile` must not be anonymous.
  # Errors: alreadyExists (as `failed` with that message) if any account
  # exists; invalidArgument for bad lengths or profile.

  accounts @2 () -> (count :UInt32);
  # How many accounts exist.
}

interface AuthorityBroker @0xe2f5a8c7d4b1a063 {
  # Mints the capability bundle of a session from the bundles the
  # manifest defines: every cap the broker holds named `<profile>.<name>`
  # belongs to `<profile>`'s bundle under `<name>`. Each bundle cap is a
  # fresh wrapper in a per-session revocation scope. Granted only to the
  # SessionManager.

  shellBundle @0 (session :UInt64, profile :Profile) -> (caps :List(BundleCap));
  # The bundle for a new session.
  #
  # Params: `session` is the SessionManager's id for it (unique per boot);
  # `profile` chooses the bundle.
  # Results: `caps` in manifest order (at most maxBundleCaps).
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
  # enroll `user` as a volatile operator, then log in.
  # Results: `refused` with a reason when accounts exist or the two
  # entries differ.

  guest @2 () -> (outcome :LoginOutcome);
  # Switch to the guest profile, if the manifest allows it.

  anonymous @3 () -> (outcome :LoginOutcome);
  # Start an anonymous session with the anonymous bundle (the shell calls
  # this at start, and for `logout`). The current session, if any, ends
  # first: its bundle (and every copy of it, in any process) goes stale.

  current @4 () -> (user :Text, profile :Profile, session :UInt64);
  # The current session (user empty when anonymous).

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
