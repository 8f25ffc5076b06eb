@0xa77b4d390e04f18e;
# Common capOS schema types shared by every other schema file: the
# capability exception carried by failed calls, the caller-session metadata
# a server sees on each call, log levels, resource limits and the schema ABI
# version. No interfaces live here.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("capos::schema");

const schemaAbiVersion :UInt32 = 1;
# Version of the capOS schema ABI described by this directory. Bumped only
# for a breaking change (see schema/README.md, "Versioning"); compatible
# additions keep the number.

const maxExceptionMessageBytes :UInt32 = 256;
# Longest CapException.message, in bytes, that a sender may produce. Longer
# text is truncated by the sender; a receiver rejects nothing for length but
# may show only this many bytes.

# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------

enum ExceptionType @0xd01733fdf2cf720c {
  # Category of a capability exception. Ordinals 0 to 3 equal the ordinals
  # of Cap'n Proto RPC's Exception.Type, so the categories keep their RPC
  # meaning; invalidArgument is a capOS addition and is a plain enumerant
  # here (no sentinel encoding).

  failed @0;
  # The call failed deterministically (a target-side invariant broke, or the
  # operation cannot succeed in the object's current state). Retrying the
  # same call will fail the same way.

  overloaded @1;
  # A bounded resource is exhausted (quota, queue, waiter slots, frames).
  # Nothing changed; the caller may retry later, ideally with backoff.

  disconnected @2;
  # The capability no longer reaches a live object (its serving process
  # died or the object was revoked). Re-acquire the capability; calls on
  # this one will keep failing.

  unimplemented @3;
  # The target does not implement this method (or this interface at all).
  # Fall back to another way or give up.

  invalidArgument @4;
  # The arguments violate the method's documented contract (bad size,
  # alignment, range, unknown enumerant, malformed list). Nothing changed;
  # the same call will be rejected again.
}

struct CapException @0x9cbf1f65bd062f7d {
  # The payload of a failed call at a valid capability boundary. The kernel
  # (for kernel objects) or the server (through a RETURN with the exception
  # flag) serializes one CapException into the caller's result buffer and
  # the completion carries CAP_ERR_APPLICATION_EXCEPTION, or
  # CAP_ERR_APPLICATION_EXCEPTION_TRUNCATED if it did not fit. Transport
  # failures (bad SQE, bad buffers, stale CapId) never produce one; they are
  # negative CQE results. Ordinary domain outcomes (not found, denied) are
  # result unions, never exceptions.

  type @0 :ExceptionType;
  # What kind of failure this is; decides whether retrying can help.

  message @1 :Text;
  # Human-readable diagnostic, at most maxExceptionMessageBytes bytes. For
  # people and logs only: programs must branch on `type`, never on the text.
  # Must not contain kernel addresses, secrets, capability ids or another
  # process's private data.

  interfaceId @2 :UInt64;
  # Interface id of the capability that was called, or 0 if the sender does
  # not say. Diagnostic only.

  methodId @3 :UInt16;
  # Ordinal of the method that was called (meaningful only when interfaceId
  # is non-zero). Diagnostic only.
}

# ---------------------------------------------------------------------------
# Session metadata (identity as data, never authority)
# ---------------------------------------------------------------------------

enum SessionProfile @0x8132e2eec4e96a55 {
  # Policy profile of a session. Metadata that a broker uses to choose
  # bundles and quotas; the kernel never authorizes anything by it.

  unknown @0;
  # Not disclosed, or the session has no profile.

  anonymous @1;
  # A session before login: minimal bundle.

  operator @2;
  # An authenticated local or host operator.

  guest @3;
  # A guest session, if the manifest allows guests.

  service @4;
  # A system service started by init from the manifest.
}

enum SessionLiveness @0xa66a0a03eb087b63 {
  # Freshness of the caller's session at the moment the call was delivered.

  live @0;
  # The session is current; its calls are accepted.

  expired @1;
  # The session ended: the process that created it has exited, and the
  # call comes from a process still sharing it (SpawnRequest.shareSession).
  # The call is still delivered; the ring header carries it as the
  # MSG_F_SESSION_LIVE flag being clear, and the service decides what a
  # stale caller may do.
}

struct SubjectDisclosure @0xd2ba61bf545cc759 {
  # Identity facts about the caller's session, present only when the call
  # asked for disclosure AND the invoked service facet holds a matching
  # disclosure scope. Each field is filled only if it was both requested and
  # allowed; an unset field means "not disclosed", not "empty". Data, never
  # authority.

  principal @0 :Data;
  # Canonical 32-byte principal id of the session's subject, or empty.

  displayName @1 :Text;
  # Human-facing name of the subject, or empty.

  profile @2 :SessionProfile;
  # Policy profile of the session, or `unknown`.
}

struct SessionContext @0x982f23caa61c7289 {
  # What an endpoint server learns about WHO a call is attributable to. Every
  # process has exactly one immutable session, installed at spawn (a fresh
  # one, or its spawner's with SpawnRequest.shareSession); the
  # kernel attaches this metadata to each endpoint CALL it delivers (the
  # ring ABI carries the same fields in the fixed EndpointMessageHeader, see
  # docs/abi.md; this struct is the schema description and the form used
  # when session metadata travels inside a message). Possession of a
  # capability decides WHETHER a caller may invoke; this metadata only
  # attributes the call. It is never authority: services use it to key
  # per-caller state and accounting, never to grant access.

  scopedRef @0 :UInt64;
  # Low 64 bits of the 128-bit opaque caller reference. Derived by the
  # kernel from a boot secret, the endpoint's service scope and the session
  # id: the same session looks different to different services, and the
  # value means nothing outside this service.

  scopedRefHi @1 :UInt64;
  # High 64 bits of the 128-bit opaque caller reference.

  epoch @2 :UInt64;
  # Freshness/audit value for this session in this service scope. Changes
  # when the session is renewed; a service that caches per-caller state
  # compares it to detect a new session with a reused reference.

  liveness @3 :SessionLiveness;
  # Whether the session is live. See SessionLiveness.

  disclosure @4 :SubjectDisclosure;
  # Disclosed identity facts, or null when nothing was requested or allowed
  # (the default).
}

# ---------------------------------------------------------------------------
# Logging and resources
# ---------------------------------------------------------------------------

enum LogLevel @0x9fc8131f81beb782 {
  # Severity of a log record. Ordered: a sink configured at level L keeps
  # records whose level is L or more severe.

  error @0;
  # Something failed and needs attention.

  warn @1;
  # Something unexpected happened but the service continues.

  info @2;
  # Normal, noteworthy events (service started, exited).

  debug @3;
  # Detail for developers.

  trace @4;
  # Very verbose detail.
}

struct ResourceLimits @0xea0f98adc5db5fb6 {
  # Per-process quota request used at spawn time (manifest services and
  # ProcessSpawner.spawn). A zero field means "the kernel's default for this
  # resource". A non-zero field is an upper bound the kernel clamps to its
  # own maximum; it never raises a quota above what the kernel allows.
  # Limits are policy data, not authority: they select a budget, they never
  # grant access.

  capSlots @0 :UInt32;
  # Maximum capability table slots.

  framePages @1 :UInt32;
  # Maximum committed 4 KiB pages (anonymous memory and held
  # MemoryObjects, charged to frame_grant_pages).

  virtualPages @2 :UInt32;
  # Maximum reserved-but-uncommitted virtual pages.

  threads @3 :UInt32;
  # Maximum threads, including the initial thread.

  outstandingCalls @4 :UInt32;
  # Maximum calls the process may have in flight at once.
}
