#!/usr/bin/env python3
"""QEMU test of the POSIX socket layer (user/libc/tests/posix_net.c): the
guest program connects through its TcpConnector grant to 10.0.2.100:7,
which SLIRP's guestfwd sends to an echo server this script runs on the
host loopback, and listens through its TcpListenAuthority grant on guest
port 8, which a hostfwd bound to 127.0.0.1 reaches: the host sends a line,
closes its side and must get the line back upper-cased, then end of file.

Usage: net_posix.py <run_qemu.py> <run_qemu args...>
"""
import socket
import subprocess
import sys
import threading
import time

LINE = b"ping from the host\n"


def echo(listener, result):
    listener.settimeout(90)
    try:
        conn, _ = listener.accept()
    except OSError as e:
        result["echo_error"] = str(e)
        return
    with conn:
        conn.settimeout(60)
        total = 0
        try:
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                conn.sendall(chunk)
                total += len(chunk)
        except OSError as e:
            result["echo_error"] = str(e)
        result["echoed"] = total


def client(port, result, deadline):
    """Until the guest listens: connect, send the line, half-close, read
    the answer to end of file."""
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.settimeout(20)
                s.sendall(LINE)
                s.shutdown(socket.SHUT_WR)
                got = bytearray()
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    got += chunk
                if got:
                    result["answer"] = bytes(got)
                    return
        except OSError:
            pass
        time.sleep(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    run_qemu, args = sys.argv[1], sys.argv[2:]
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    echo_port = listener.getsockname()[1]
    host_port = free_port()
    net = ["-netdev", f"user,id=n0,guestfwd=tcp:10.0.2.100:7-tcp:127.0.0.1:{echo_port},"
           f"hostfwd=tcp:127.0.0.1:{host_port}-:8",
           "-device", "virtio-net-pci,netdev=n0,disable-legacy=on,addr=4"]
    if "--" not in args:
        args.append("--")
    result = {}
    threading.Thread(target=echo, args=(listener, result), daemon=True).start()
    threading.Thread(target=client, args=(host_port, result, time.monotonic() + 100), daemon=True).start()
    rc = subprocess.call([sys.executable, run_qemu] + args + net)
    listener.close()
    if result.get("answer") != LINE.upper():
        print(f"FAIL: the guest's answer on port 8 was {result.get('answer')!r}, not {LINE.upper()!r}")
        rc = rc or 1
    if result.get("echoed", 0) < 20000:
        print(f"FAIL: the echo server saw {result.get('echoed', 0)} bytes: {result}")
        rc = rc or 1
    sys.exit(rc)


if __name__ == "__main__":
    main()
