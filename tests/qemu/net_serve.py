#!/usr/bin/env python3
"""QEMU test of servers behind netd over SLIRP (-netdev user): the guest
takes a DHCP lease, then host clients reach capOS's HTTP status server
(guest port 80: GET / must answer 200 with the status page) and its TCP
echo server (guest port 7: every byte must come back), each through a
hostfwd bound to 127.0.0.1 only. Between the first page and the echo a
hostile peer opens idle connections and sends garbage; both servers must
still answer afterwards, for 30 more requests than netd has TCP slots and
objects. Phase timings are printed (ctest -V).

Usage: net_serve.py <run_qemu.py> <run_qemu args...>
The QEMU network arguments are added here (a free loopback port is
chosen); the run is judged by run_qemu.py (markers, --halts-after), and
this script fails too if the echo was wrong or never came.
"""
import os
import socket
import subprocess
import sys
import threading
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port, deadline):
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.settimeout(10)
                s.sendall(b"GET / HTTP/1.1\r\nHost: capos\r\nConnection: close\r\n\r\n")
                got = bytearray()
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    got += chunk
                if got:
                    return bytes(got)
        except OSError:
            pass
        time.sleep(1)
    return b""


def hostile(port, http_port):
    """A hostile peer within what SLIRP lets through: 12 idle connections
    to the echo port (three times its backlog; SLIRP's own host-side
    listen queue is 1, so more only wait here), a request of garbage and
    one that never ends to the HTTP port, then all dropped at once."""
    socks = []
    for _ in range(12):
        try:
            socks.append(socket.create_connection(("127.0.0.1", port), timeout=0.5))
        except OSError:
            pass
    for junk in (bytes(range(256)) * 8, b"GET /" + b"A" * 8000):
        try:
            s = socket.create_connection(("127.0.0.1", http_port), timeout=2)
            s.sendall(junk)
            socks.append(s)
        except OSError:
            pass
    time.sleep(1)
    for s in socks:
        s.close()


def client(port, http_port, result, deadline):
    page = http_get(http_port, deadline)
    t0 = time.monotonic()
    if page:
        hostile(port, http_port)
        t1 = time.monotonic()
        page = http_get(http_port, deadline)  # still served afterwards
        # More connections than netd's 16 TCP slots and 24 objects: each
        # closed socket must give both back.
        for _ in range(30):
            if not http_get(http_port, deadline).startswith(b"HTTP/1.1 200 OK"):
                page = b""
                break
        print(f"timing: hostile {t1 - t0:.1f}s, second GET {time.monotonic() - t1:.1f}s", flush=True)
    result["http"] = page.startswith(b"HTTP/1.1 200 OK") and b"<h1>capOS status</h1>" in page and b"httpd" in page
    if not result["http"]:
        result["page"] = page[:200]
        return
    # hostfwd accepts on the host at once and connects to the guest only
    # then: until netd listens the connection is closed without data.
    payload = bytes((i * 7 + 3) & 0xFF for i in range(20000))
    t2 = time.monotonic()
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.settimeout(10)
                s.sendall(payload)
                got = bytearray()
                while len(got) < len(payload):
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    got += chunk
                if got:
                    print(f"timing: echo {time.monotonic() - t2:.1f}s", flush=True)
                    result["echo"] = bytes(got) == payload
                    result["bytes"] = len(got)
                    return
        except OSError:
            pass
        time.sleep(1)


def main():
    run_qemu, args = sys.argv[1], sys.argv[2:]
    port, http_port = free_port(), free_port()
    net = ["-netdev", f"user,id=n0,hostfwd=tcp:127.0.0.1:{port}-:7,hostfwd=tcp:127.0.0.1:{http_port}-:80",
           "-device", "virtio-net-pci,netdev=n0,disable-legacy=on,addr=4"]
    if "--" not in args:
        args.append("--")
    result = {}
    t = threading.Thread(target=client, args=(port, http_port, result, time.monotonic() + 50), daemon=True)
    t.start()
    rc = subprocess.call([sys.executable, run_qemu] + args + net)
    t.join(timeout=1)
    if not result.get("http"):
        print(f"FAIL: GET / through 127.0.0.1:{http_port} -> guest port 80: {result}")
        return 1
    print("status page ok")
    if not result.get("echo"):
        print(f"FAIL: echo through 127.0.0.1:{port} -> guest port 7: {result or 'no answer'}")
        return 1
    print(f"echo ok: {result['bytes']} bytes")
    return rc


if __name__ == "__main__":
    sys.exit(main())
