@0xfb5da710676fbd30;
# Networking: capabilities served by the userspace TCP/IP stack `netd`
# (lib/net over a virtio-net driver). There is no ambient network access:
# a process reaches the network only through the capabilities here, each
# scoped when the manifest grants it. TcpListenAuthority lets its holder
# listen on a fixed port range; TcpConnector lets it connect only to the
# destinations in its scope; UdpSocket is one bound port with a
# destination scope; Resolver answers DNS names; NetworkManager is the
# administrator's view (addresses, lease, counters, ping). IPv4 addresses
# travel as UInt32 with the first octet in the most significant byte
# (10.0.2.2 is 0x0A000202). docs/net.md.

using Cxx = import "/capnp/c++.capnp";
using Memory = import "memory.capnp";
$Cxx.namespace("capos::schema");

const maxTcpReadBytes :UInt32 = 16000;
# Largest `maxBytes` of one TcpSocket.read (the data travels in the reply,
# which with its framing must fit one 16 KiB message).

const maxTcpWriteBytes :UInt32 = 16000;
# Largest `data` of one TcpSocket.write.

const maxUdpPayloadBytes :UInt32 = 1472;
# Largest UDP payload sent or received (one Ethernet frame, no IP
# fragmentation).

const maxHostnameBytes :UInt32 = 253;
# Longest name Resolver.resolve accepts (RFC 1035 limit in text form).

const maxListenBacklog :UInt32 = 64;
# Largest `backlog` of TcpListenAuthority.listen: connections completed
# or half-open and not yet accepted. Further SYNs are dropped.

struct SocketAddress @0xfc58aa93ca5fa540 {
  # An IPv4 endpoint.

  address @0 :UInt32;
  # IPv4 address, first octet in the most significant byte.

  port @1 :UInt16;
  # Port number (host order).
}

struct DestinationScope @0xbdd0a692aacadbce {
  # A set of destinations: the addresses in `network`/`prefixLength` on
  # ports `firstPort` to `lastPort` inclusive.

  network @0 :UInt32;
  # Network address; bits beyond the prefix must be zero.

  prefixLength @1 :UInt8;
  # 0 to 32; 0 means every address.

  firstPort @2 :UInt16;
  # Lowest port in scope.

  lastPort @3 :UInt16;
  # Highest port in scope (>= firstPort).
}

struct InterfaceInfo @0xcdc5e904d6d2416f {
  # One network interface as the stack sees it.

  name @0 :Text;
  # Short name ("eth0").

  mac @1 :Data;
  # 6-byte Ethernet address.

  address @2 :UInt32;
  # Configured IPv4 address, 0 while unconfigured.

  prefixLength @3 :UInt8;
  # Length of the subnet prefix.

  gateway @4 :UInt32;
  # Default router, 0 if none.

  dnsServer @5 :UInt32;
  # DNS server the Resolver uses, 0 if none.

  leaseSecondsLeft @6 :UInt32;
  # Seconds until the DHCP lease expires; 0 for a static address.

  mtu @7 :UInt16;
  # Largest IP packet the link carries.

  linkUp @8 :Bool;
  # The driver reports the link up.

  ipv6LinkLocal @9 :Data;
  # 16-byte IPv6 link-local address (fe80::/64 with the interface id
  # from the MAC).

  ipv6Global @10 :Data;
  # 16-byte IPv6 address from SLAAC (the advertised /64 with the same
  # interface id); empty until a Router Advertisement offered a prefix.

  ipv6Router @11 :Data;
  # 16-byte link-local address of the router that advertised the prefix;
  # empty as above.
}

struct NetStats @0xac6af9ef96d00c77 {
  # Counters since netd started. Every dropped frame counts once, in the
  # reason that dropped it.

  framesIn @0 :UInt64;
  # Frames received from the driver.

  framesOut @1 :UInt64;
  # Frames handed to the driver.

  bytesIn @2 :UInt64;
  # Bytes of received frames.

  bytesOut @3 :UInt64;
  # Bytes of sent frames.

  malformed @4 :UInt64;
  # Frames dropped because a header or checksum was wrong.

  noListener @5 :UInt64;
  # Segments or datagrams for a port nobody serves (answered by RST or
  # ICMP port unreachable).

  synDropped @6 :UInt64;
  # SYNs dropped because a listener's backlog was full.

  retransmits @7 :UInt64;
  # TCP segments sent again (timeout or fast retransmit).

  tcpOpen @8 :UInt32;
  # TCP connections currently in any state but CLOSED.
}

interface NetworkManager @0xe41f2c61398159aa {
  # Administration of the network stack: interfaces, counters and ICMP
  # echo. Held by init and by the administrator's shell; it grants no
  # socket authority.

  interfaces @0 () -> (interfaces :List(InterfaceInfo));
  # Describe every interface.
  #
  # Results: `interfaces`, at most 4 entries.

  stats @1 () -> (stats :NetStats);
  # Read the stack's counters.

  ping @2 (address :UInt32, sequence :UInt16, timeoutMs :UInt32) -> PingResult;
  # Send one ICMP echo request and wait for its reply.
  #
  # Params: `address` to ping; `sequence` is echoed back; `timeoutMs` is
  # 1 to 10000.
  # Results: see PingResult.
  # Errors: invalidArgument for a zero or too long timeout. One echo is
  # outstanding at a time; further calls wait.

  renewLease @3 () -> (address :UInt32);
  # Run DHCP again now (DISCOVER from scratch) and wait for the result.
  #
  # Results: `address`, the newly leased address.
  # Errors: failed if no server answered within the stack's retry budget.

  ping6 @4 (address :Data, sequence :UInt16, timeoutMs :UInt32) -> PingResult;
  # Send one ICMPv6 echo request and wait for its reply, from the SLAAC
  # address (the link-local one for a link-local `address`), through the
  # router that advertised the prefix.
  #
  # Params: `address`, 16 bytes, not multicast or unspecified; `sequence`
  # is echoed back; `timeoutMs` is 1 to 10000.
  # Results: see PingResult; unreachable while there is no SLAAC address.
  # Errors: invalidArgument for a bad address or timeout. Shares the one
  # outstanding echo with ping.

  struct PingResult {
    # Outcome of NetworkManager.ping.

    union {
      reply :group {
        # An echo reply with our identifier and sequence arrived.

        roundTripUs @0 :UInt64;
        # Microseconds from send to reply.

        ttl @1 :UInt8;
        # TTL of the reply packet.
      }

      timedOut @2 :Void;
      # No reply within `timeoutMs`.

      unreachable @3 :Void;
      # The next hop did not answer ARP, or an ICMP unreachable came back.
    }
  }
}

interface TcpListenAuthority @0xab06b94dcc85620a {
  # The right to accept TCP connections on a fixed range of local ports,
  # granted by the manifest. There is no other way to listen.

  listen @0 (port :UInt16, backlog :UInt32) -> (listener :TcpListener);
  # Start listening on `port` on every local address.
  #
  # Params: `port` inside this authority's range; `backlog` is 1 to
  # maxListenBacklog.
  # Results: `listener`. (netd is not yet told when its last reference
  # is dropped, so the port stays taken until netd restarts;
  # docs/net.md.)
  # Errors: invalidArgument for a port outside the range or a bad
  # backlog; overloaded if the port is already in use.

  range @1 () -> (firstPort :UInt16, lastPort :UInt16);
  # The ports this authority covers, inclusive.
}

interface TcpListener @0x9593e6d83f10be04 {
  # One listening TCP port. Incoming connections complete their handshake
  # inside the stack (bounded by the backlog) and wait to be accepted.

  accept @0 () -> (socket :TcpSocket, peer :SocketAddress);
  # Wait for the next established connection.
  #
  # Results: `socket` for the connection; `peer`, its remote endpoint.
  # Calls on one listener are answered in order: a second accept waits
  # behind the first.

  localPort @1 () -> (port :UInt16);
  # The port being listened on.
}

interface TcpSocket @0xe885053ca7fc69d8 {
  # One TCP connection. Both directions have bounded buffers inside the
  # stack: a writer waits while the send buffer is full (backpressure),
  # and the advertised window shrinks while the receive buffer is unread.
  # Close with shutdown (FIN) or reset (RST); netd drops the socket once
  # the connection is over and fully read, after which calls fail
  # `disconnected`. Calls on one socket are answered in order: a call
  # waits behind a read or write that is waiting.

  read @0 (maxBytes :UInt32) -> (data :Data, eof :Bool);
  # Wait until received data or the end of the stream is available.
  #
  # Params: `maxBytes` is 1 to maxTcpReadBytes.
  # Results: `data`, up to `maxBytes` bytes in stream order; `eof` is true
  # (and `data` empty) once the peer has closed its side and every byte
  # has been read.
  # Errors: invalidArgument for a bad `maxBytes`; disconnected if the
  # connection was reset or timed out.

  write @1 (data :Data) -> (accepted :UInt32);
  # Queue bytes for sending; waits while the send buffer is full.
  #
  # Params: `data`, 1 to maxTcpWriteBytes bytes.
  # Results: `accepted`, how many leading bytes were queued (at least 1);
  # the caller sends the rest again.
  # Errors: invalidArgument for empty or oversized data or after
  # shutdown; disconnected if the connection was reset or timed out.

  shutdown @2 () -> ();
  # Close the sending side: queued data is sent, then FIN. Reading stays
  # possible.

  info @3 () -> (local :SocketAddress, peer :SocketAddress, state :Text, unacked :UInt32, sendWindow :UInt32);
  # Describe the connection.
  #
  # Results: `local` and `peer` endpoints; `state`, the RFC 793 state
  # name ("ESTABLISHED", ...); `unacked`, bytes sent and not yet
  # acknowledged; `sendWindow`, the peer's current window in bytes.

  reset @4 () -> ();
  # Abort the connection with RST and discard both buffers.

  buffers @5 () -> (buffers :Memory.MemoryObject);
  # Move this socket's data out of messages into memory shared with netd:
  # a MemoryObject holding two byte rings (layout and checks in
  # lib/net/stream_ring.h, docs/net.md "Shared socket buffers"): `rx`,
  # received bytes netd puts in and the caller takes out, and `tx`, bytes
  # the caller puts in for netd to send. Each side publishes only its own
  # index and checks the other's; netd resets the connection if the
  # caller's index is impossible. netd also writes there when the stream
  # ended (after the last byte). From then on read and write fail
  # invalidArgument and data moves only through the rings, with sync as
  # the wake-up. Shutdown waits until netd has taken every byte of `tx`.
  # The memory counts against netd's FrameAllocator and is bounded by its
  # socket table; the caller maps its copy read-write and keeps it as
  # long as it likes (netd unmaps its own when the socket is dropped).
  #
  # Results: `buffers`, a copy of the MemoryObject.
  # Errors: unsupported when netd has no memory for shared buffers (the
  # caller keeps using read and write); invalidArgument when called twice.

  sync @6 (waitReadable :Bool, waitWritable :Bool) -> ();
  # Wake netd for a socket using shared buffers: it takes what the caller
  # put into `tx` (as much as the send buffer holds), moves received bytes
  # into `rx` and reopens the window for what the caller freed there.
  #
  # Params: with `waitReadable`, the answer waits until `rx` holds bytes
  # or netd wrote the stream's end; with `waitWritable`, until `tx` has
  # room. With neither, it is answered at once.
  # Errors: invalidArgument when the socket has no shared buffers;
  # disconnected if the connection was reset or timed out, or the
  # caller's ring index was impossible (netd reset the connection).
}

interface TcpConnector @0xf366222fabdb5d45 {
  # The right to open TCP connections to the destinations in a fixed
  # scope (granted by the manifest, e.g. "10.0.2.2 ports 1-65535").

  connect @0 (remote :SocketAddress, timeoutMs :UInt32) -> ConnectResult;
  # Open a connection and wait for the handshake.
  #
  # Params: `remote`, inside the scope; `timeoutMs` is 1 to 60000.
  # Results: see ConnectResult.
  # Errors: invalidArgument for a bad timeout; overloaded if the stack
  # has no free connection slot or local port.

  scope @1 () -> (destinations :List(DestinationScope));
  # The destinations this connector may reach.

  struct ConnectResult {
    # Outcome of TcpConnector.connect.

    union {
      connected @0 :TcpSocket;
      # The connection is established.

      refused @1 :Void;
      # The peer answered with RST.

      timedOut @2 :Void;
      # No answer within `timeoutMs` (SYNs are retransmitted meanwhile).

      outOfScope @3 :Void;
      # `remote` is not in this connector's scope; nothing was sent.
    }
  }
}

interface UdpSocket @0xf012388376394e7c {
  # One bound local UDP port that may send to (and receives only from)
  # the destinations in its scope; granted by the manifest.

  send @0 (remote :SocketAddress, data :Data) -> ();
  # Send one datagram.
  #
  # Params: `remote` inside the scope; `data`, 0 to maxUdpPayloadBytes.
  # Errors: invalidArgument for oversized data or a destination out of
  # scope; overloaded while the stack has no address yet.

  receive @1 (maxBytes :UInt32) -> (remote :SocketAddress, data :Data, truncated :Bool);
  # Wait for the next datagram from a source in scope (others are
  # dropped).
  #
  # Params: `maxBytes` is 1 to maxUdpPayloadBytes.
  # Results: `remote`, the sender; `data`, the payload cut to `maxBytes`;
  # `truncated` if it was cut. A send waits behind a waiting receive on
  # the same socket.
  # Errors: invalidArgument for a bad `maxBytes`.

  localPort @2 () -> (port :UInt16);
  # The bound port.
}

interface Resolver @0x9894b18078857009 {
  # DNS stub resolver: asks the DHCP-supplied server (A records over UDP,
  # with retries and a small cache). Grants no socket authority.

  resolve @0 (name :Text) -> ResolveResult;
  # Look up the IPv4 addresses of `name`.
  #
  # Params: `name`, 1 to maxHostnameBytes bytes of dot-separated labels
  # (letters, digits, '-', each 1 to 63 bytes); a dotted-quad literal is
  # answered without a query.
  # Results: see ResolveResult.
  # Errors: invalidArgument for a malformed name.

  struct ResolveResult {
    # Outcome of Resolver.resolve.

    union {
      found :group {
        # The name has A records.

        addresses @0 :List(UInt32);
        # The addresses, in answer order (at most 8).

        ttlSeconds @1 :UInt32;
        # Smallest TTL of the answers.
      }

      notFound @2 :Void;
      # The server answered NXDOMAIN or with no A record.

      timedOut @3 :Void;
      # No answer after the stack's retries (or no DNS server is known).
    }
  }
}

interface NicPort @0x9f7be587fb5cd262 {
  # netd's side of a network driver that runs as a process of its own
  # (vnetd): the driver owns the device, netd owns the stack, and frames
  # move between them through two rings in a shared MemoryObject (layout
  # in lib/net/frame_ring.h), not through calls. A call here only attaches
  # the rings or wakes netd. netd owns this endpoint, so a driver that
  # crashes and is restarted calls attach again on the same grant and the
  # stack, its connections and its clients carry on (driver restart is
  # contained). The manifest grants it only to the driver. docs/net.md.

  attach @0 (rings :Memory.MemoryObject, mac :Data, doorbell :NicDoorbell) -> ();
  # Hand netd the shared rings (initialised by the driver with
  # lib/net/frame_ring's init_rings), the device's MAC address and the
  # driver's doorbell. Replaces an earlier attachment: its rings are
  # unmapped and its doorbell released (the previous driver is gone).
  #
  # Params: `rings` at least the size of NicRings; `mac` 6 bytes.
  # Errors: invalidArgument for a missing or too small object, rings whose
  # header is not initialised, or a MAC that is not 6 bytes; failed if the
  # rings cannot be mapped.

  notify @1 () -> ();
  # Wake netd: the receive ring has new frames (or transmit slots were
  # freed). Answered at once; netd reads the rings in its loop.
  #
  # Errors: failed if nothing is attached.
}

interface NicDoorbell @0xa132f1b6ec0a84b8 {
  # The driver's wake-up, handed to netd in NicPort.attach.

  notify @0 () -> ();
  # Wake the driver: the transmit ring has new frames. Answered at once.
}
