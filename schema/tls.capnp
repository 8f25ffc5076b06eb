@0xa53ba736996149a8;
# TLS over TcpSocket, served by `tlsd` (BearSSL, TLS 1.2 with ECDHE and
# AEAD suites only; BearSSL has no TLS 1.3). A holder of a TcpSocket turns
# it into an encrypted TlsStream by handing the socket to a TlsConnector
# (client side: the peer's certificate chain is checked against the trust
# store the manifest gives tlsd) or to a TlsAcceptor (server side: tlsd
# presents the certificate chain and private key the manifest gives it;
# the key never leaves tlsd). The socket's authority stays what it was:
# tlsd reaches only the sockets it is handed. docs/tls.md.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("capos::schema");

using Net = import "net.capnp";

const maxTlsReadBytes :UInt32 = 16000;
# Largest `maxBytes` of one TlsStream.read.

const maxTlsWriteBytes :UInt32 = 16000;
# Largest `data` of one TlsStream.write.

const maxServerNameBytes :UInt32 = 253;
# Longest `serverName` TlsConnector.connect accepts.

interface TlsConnector @0x936f47de4441d538 {
  # The client side: handshakes as a TLS client over a connected socket
  # and checks the server's certificate chain against tlsd's trust store
  # (the manifest's anchors) and `serverName`.

  connect @0 (socket :Net.TcpSocket, serverName :Text) -> (stream :TlsStream);
  # Run the client handshake over `socket` (moved or copied to tlsd; the
  # caller should not use it afterwards).
  #
  # Params: `socket`, a connected TcpSocket; `serverName`, 1 to
  # maxServerNameBytes bytes, sent as SNI and matched against the
  # certificate's DNS names.
  # Results: `stream`, the encrypted connection.
  # Errors: invalidArgument for a missing socket or bad name; failed with
  # the BearSSL reason ("certificate not trusted", "name mismatch", ...)
  # when the handshake fails; overloaded when tlsd has no free session.
}

interface TlsAcceptor @0xdf1c87322576e89c {
  # The server side: handshakes as a TLS server over an accepted socket,
  # presenting the certificate chain and key the manifest gives tlsd.

  accept @0 (socket :Net.TcpSocket) -> (stream :TlsStream, serverName :Text);
  # Run the server handshake over `socket` (as in TlsConnector.connect).
  #
  # Results: `stream`, the encrypted connection; `serverName`, the name
  # the client asked for (SNI), empty if none.
  # Errors: invalidArgument for a missing socket; failed with the BearSSL
  # reason when the handshake fails; overloaded when tlsd has no free
  # session.
}

interface TlsStream @0xd71ebebebdbb94b3 {
  # One TLS session over one TCP connection. Calls are answered in order.
  # Dropping the stream does not close it; call close.

  read @0 (maxBytes :UInt32) -> (data :Data, eof :Bool);
  # Wait for decrypted application data.
  #
  # Params: `maxBytes` is 1 to maxTlsReadBytes.
  # Results: `data`, up to `maxBytes` bytes; `eof` is true (and `data`
  # empty) once the peer sent close_notify or closed the connection.
  # Errors: invalidArgument for a bad `maxBytes`; failed with the BearSSL
  # reason when a record is bad; disconnected after close.

  write @1 (data :Data) -> (accepted :UInt32);
  # Encrypt and send `data` (all of it is sent before the reply).
  #
  # Params: `data`, 1 to maxTlsWriteBytes bytes.
  # Results: `accepted`, the number of bytes sent (all of `data`).
  # Errors: invalidArgument for empty or oversized data; failed when the
  # session broke; disconnected after close.

  close @2 () -> ();
  # Send close_notify, shut the TCP sending side and end the session;
  # later calls fail `disconnected`.

  info @3 () -> (version :UInt16, cipherSuite :UInt16, serverName :Text);
  # Describe the session.
  #
  # Results: `version`, the protocol version number (0x0303 = TLS 1.2);
  # `cipherSuite`, the IANA number of the negotiated suite; `serverName`,
  # the SNI name of the session.
}
