@0xd5f336a0769b9740;
# Endpoints: how one process serves a capability interface to others.
# An endpoint is a kernel object with two facets. The owner facet
# (Endpoint) is held by the serving process and is the only one that can
# receive and answer calls. Client facets are CALL-only: whoever holds one
# can invoke the served interface, and nothing else. Attenuation is by
# handing out this narrower object, never by rights bits.
#
# Receiving and answering calls are ring operations, not methods: the
# server submits RECV and RETURN SQEs on its Endpoint capability, and
# clients submit ordinary CALL SQEs on a client facet (see docs/abi.md).
# A CALL on the owner facet itself invokes the management methods below;
# it is not delivered to the server.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("capos::schema");

interface Endpoint @0x989a955cf40fdd7d {
  # Owner (server) facet of an endpoint. RECV and RETURN on this capability
  # take calls from the endpoint's queue and complete them; each delivered
  # call carries the caller's SessionContext. Created by
  # EndpointFactory.create, by a child-local `endpoint` spawn grant, or by
  # a manifest `endpoint` cap source. When the serving process dies the
  # endpoint is revoked: queued, in-flight and later calls through its
  # client facets fail with `disconnected`.

  info @0 () -> (servedInterfaceId :UInt64, pendingCalls :UInt32, pendingReceives :UInt32, inFlightCalls :UInt32);
  # Facts about the endpoint.
  #
  # Results: `servedInterfaceId` is the interface id its client facets
  # carry (0 for an untyped endpoint); `pendingCalls` calls queued before
  # any RECV; `pendingReceives` RECVs waiting for calls; `inFlightCalls`
  # calls delivered but not yet RETURNed.

  mintClient @1 () -> (client :Capability);
  # Create another CALL-only client facet of this endpoint.
  #
  # Results: `client` has interface id `servedInterfaceId` (ClientEndpoint's
  # id if the endpoint is untyped). All client facets of one endpoint
  # reach the same queue and are indistinguishable to the server except by
  # the callers' session metadata.
  # Errors: overloaded if the caller's cap-slot quota is exhausted.
}

interface ClientEndpoint @0x8b99363c99047606 {
  # CALL-only facet of an UNTYPED endpoint (served interface id 0). It has
  # no methods of its own: every CALL on it, with whatever method id, is
  # delivered unchanged to the server, which interprets it. Client facets
  # of typed endpoints do not use this id at all; they carry the served
  # interface's id (for example LogSink), so the holder sees an ordinary
  # typed capability. Used for raw protocols and tests.
}

interface EndpointFactory @0xe4dd7a0644822583 {
  # Creates new endpoints owned by the caller, for processes that serve
  # interfaces created at run time (for example a shell serving a fresh
  # StdIO endpoint to each child it runs). Creating an endpoint needs no
  # authority beyond quota.

  create @0 (servedInterfaceId :UInt64) -> (owner :Endpoint, client :Capability);
  # Create an endpoint.
  #
  # Params: `servedInterfaceId` is the interface the caller will serve, or
  # 0 for an untyped endpoint.
  # Results: `owner` is the owner facet; `client` a first client facet
  # (see Endpoint.mintClient for its interface id).
  # Errors: overloaded if the caller's quota is exhausted.

  createRevoker @1 () -> (revoker :Revoker);
  # Create a revocation scope owned by the caller (for a broker that hands
  # out caps it may later have to take back, docs/identity.md).
  #
  # Results: `revoker` is a fresh, unrevoked Revoker.
  # Errors: overloaded if the caller's quota or the kernel heap is exhausted.
}

interface Revoker @0xb5c3f0d2a9e41c77 {
  # A revocation scope: a kernel object that wraps capabilities so they
  # can all be made stale at once. A wrapped capability forwards every
  # CALL, inside the kernel, to the capability it wraps, and may be copied
  # and transferred like that one (a child that received it holds the same
  # wrapper). After `revoke`, a CALL through any copy of any wrapper of
  # this scope fails with `disconnected`, and nothing can undo that. Used
  # by the AuthorityBroker for session bundles (logout revokes them).
  # Wrappers forward CALLs only: a wrapped Endpoint owner facet cannot
  # RECV, and kernel methods that take a capability of a specific kind do
  # not accept a wrapper in its place.

  wrap @0 (target :Capability) -> (wrapped :Capability);
  # Wrap `target` in this scope.
  #
  # Params: `target` is any transferable capability the caller holds
  # (attached as a copy or a move).
  # Results: `wrapped` carries the same interface id as `target`.
  # Errors: disconnected if this scope is already revoked; invalidArgument
  # if no capability is attached; overloaded if the caller's cap-slot quota
  # or the kernel heap is exhausted.

  revoke @1 () -> ();
  # Make every wrapper of this scope stale, at once and for good. Calls
  # already delivered complete normally; every later CALL through a
  # wrapper fails with `disconnected`. Revoking twice is not an error.

  revoked @2 () -> (revoked :Bool);
  # Whether `revoke` was called.
}
