#!/usr/bin/env python3
"""QEMU test of tlsd both ways (docs/tls.md), with the host's OpenSSL
(Python's ssl module) as the peer. Host server: TLS on the host loopback
with host.test's certificate, reached by capOS as 10.0.2.100:443 through
SLIRP guestfwd, serves GET /tls; a second one at 10.0.2.100:8443 expects
a handshake that capOS aborts (capOS asks for the wrong name). Host client: connects through a tcp hostfwd on
127.0.0.1 to guest port 443, checks capOS's certificate against the test
CA and the name capos.test, sends GET / and checks the body; then sends
plain HTTP to the same port, which capOS must refuse (an alert or a
reset, never an HTTP answer).

Usage: net_tls.py <tls dir> <run_qemu.py> <run_qemu args...>
"""
import os
import socket
import ssl
import subprocess
import sys
import threading
import time

HOST_BODY = b"capOS fetched this over TLS from the host.\n"
CAPOS_BODY = b"capOS served this over TLS.\n"


def serve(listener, ctx, result, expect_refusal):
    # guestfwd connects once (a QEMU chardev named by the guest port), so
    # each listener sees one connection: the wrong-name one must fail, the other serves GET /tls.
    listener.settimeout(60)
    try:
        raw, _ = listener.accept()
    except OSError as e:
        result["server_error"] = str(e)
        return
    raw.settimeout(50)
    try:
        conn = ctx.wrap_socket(raw, server_side=True)
    except (ssl.SSLError, OSError) as e:
        raw.close()
        if expect_refusal:
            result["refused_handshakes"] = result.get("refused_handshakes", 0) + 1
        else:
            result["server_error"] = str(e)
        return
    if expect_refusal:
        result["wrong_name_accepted"] = True
        conn.close()
        return
    with conn:
        request = bytearray()
        while b"\r\n\r\n" not in request:
            chunk = conn.recv(4096)
            if not chunk:
                break
            request += chunk
        result["request"] = bytes(request.split(b"\r\n", 1)[0])
        result["server_cipher"] = conn.cipher()
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                     b"Connection: close\r\n\r\n" % len(HOST_BODY) + HOST_BODY)
        try:
            conn.unwrap()  # close_notify both ways
        except (ssl.SSLError, OSError) as e:
            result["unwrap"] = str(e)


def client(port, ctx, result, deadline):
    while time.monotonic() < deadline:
        try:
            raw = socket.create_connection(("127.0.0.1", port), timeout=5)
        except OSError:
            time.sleep(0.5)
            continue
        raw.settimeout(30)
        try:
            conn = ctx.wrap_socket(raw, server_hostname="capos.test", suppress_ragged_eofs=False)
        except (ssl.SSLError, OSError) as e:
            # SLIRP accepts before capOS listens and then drops the
            # connection: try again. A certificate failure is final.
            raw.close()
            if isinstance(e, ssl.SSLCertVerificationError):
                result["client_error"] = str(e)
                return
            time.sleep(0.5)
            continue
        with conn:
            conn.sendall(b"GET / HTTP/1.1\r\nHost: capos.test\r\n\r\n")
            data = bytearray()
            while True:
                try:
                    chunk = conn.recv(4096)
                except ssl.SSLError as e:
                    result["client_error"] = "ragged end: " + str(e)
                    break
                if not chunk:
                    break
                data += chunk
            result["response"] = bytes(data)
            result["client_cipher"] = conn.cipher()
        # Then plain HTTP to the TLS port: capOS must refuse it.
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as plain:
                plain.settimeout(20)
                plain.sendall(b"GET / HTTP/1.0\r\n\r\n")
                reply = bytearray()
                while True:
                    chunk = plain.recv(4096)
                    if not chunk:
                        break
                    reply += chunk
                result["plain_reply"] = bytes(reply)
        except OSError as e:
            result["plain_reply"] = str(e).encode()
        return


def main():
    tls_dir, run_qemu, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(os.path.join(tls_dir, "host.pem"), os.path.join(tls_dir, "host.key.pem"))
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.load_verify_locations(os.path.join(tls_dir, "ca.pem"))
    listeners = []
    for _ in range(2):
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listeners.append(listener)
    port, wrong_port = (l.getsockname()[1] for l in listeners)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        fwd_port = s.getsockname()[1]
    net = ["-netdev", f"user,id=n0,guestfwd=tcp:10.0.2.100:443-tcp:127.0.0.1:{port},"
           f"guestfwd=tcp:10.0.2.100:8443-tcp:127.0.0.1:{wrong_port},"
           f"hostfwd=tcp:127.0.0.1:{fwd_port}-:443",
           "-device", "virtio-net-pci,netdev=n0,disable-legacy=on,addr=4"]
    if "--" not in args:
        args.append("--")
    result = {}
    ts = threading.Thread(target=serve, args=(listeners[0], sctx, result, False), daemon=True)
    tw = threading.Thread(target=serve, args=(listeners[1], sctx, result, True), daemon=True)
    tw.start()
    tc = threading.Thread(target=client, args=(fwd_port, cctx, result, time.monotonic() + 55), daemon=True)
    ts.start()
    tc.start()
    rc = subprocess.call([sys.executable, run_qemu] + args + net)
    ts.join(timeout=1)
    tc.join(timeout=1)
    tw.join(timeout=1)
    for listener in listeners:
        listener.close()
    ok = True
    if result.get("refused_handshakes") != 1:
        print(f"FAIL: expected capOS to refuse one handshake (wrong name): {result}")
        ok = False
    if result.get("request") != b"GET /tls HTTP/1.1":
        print(f"FAIL: the host TLS server saw {result}")
        ok = False
    response = result.get("response", b"")
    # Only a clean close_notify ends the response (no truncation).
    if "client_error" in result or not response.startswith(b"HTTP/1.1 200 OK\r\n") or not response.endswith(b"\r\n\r\n" + CAPOS_BODY):
        print(f"FAIL: the host TLS client got {result}")
        ok = False
    if result.get("plain_reply", b"").startswith(b"HTTP"):
        print(f"FAIL: capOS answered plain HTTP on its TLS port: {result['plain_reply']!r}")
        ok = False
    if ok:
        print("host TLS server:", result["request"].decode(), result["server_cipher"])
        print("host TLS client:", response.split(b"\r\n", 1)[0].decode(), result["client_cipher"])
    return rc if ok else 1


if __name__ == "__main__":
    sys.exit(main())
