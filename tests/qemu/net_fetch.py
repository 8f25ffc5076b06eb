#!/usr/bin/env python3
"""QEMU test of netd's TcpConnector and UdpSocket: capOS fetches a page
over HTTP/1.1 from a server this script runs on the host loopback.
SLIRP's guestfwd sends the guest's connections to 10.0.2.100:80 to that
server (so the host port can be any free one and nothing listens beyond
127.0.0.1). With --udp, the script also sends datagrams through a udp
hostfwd (127.0.0.1 only) to guest port 5000 until one comes back.

Usage: net_fetch.py <run_qemu.py> <run_qemu args...>
"""
import socket
import subprocess
import sys
import threading
import time

BODY = b"capOS fetched this page from the host.\n"


def serve(listener, result):
    listener.settimeout(60)
    try:
        conn, _ = listener.accept()
    except OSError as e:
        result["error"] = str(e)
        return
    with conn:
        conn.settimeout(30)
        request = bytearray()
        while b"\r\n\r\n" not in request:
            chunk = conn.recv(4096)
            if not chunk:
                break
            request += chunk
        result["request"] = bytes(request.split(b"\r\n", 1)[0])
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                     b"Connection: close\r\n\r\n" % len(BODY) + BODY)


def udp_client(port, result, deadline):
    payload = b"capOS udp echo test"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.5)
        while time.monotonic() < deadline:
            s.sendto(payload, ("127.0.0.1", port))
            try:
                data, _ = s.recvfrom(2048)
            except OSError:
                continue
            result["udp"] = data == payload
            return


def main():
    udp = "--udp" in sys.argv
    argv = [a for a in sys.argv if a != "--udp"]
    run_qemu, args = argv[1], argv[2:]
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    udp_port = 0
    if udp:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            udp_port = u.getsockname()[1]
    fwd = f",hostfwd=udp:127.0.0.1:{udp_port}-:5000" if udp else ""
    net = ["-netdev", f"user,id=n0,guestfwd=tcp:10.0.2.100:80-tcp:127.0.0.1:{port}{fwd}",
           "-device", "virtio-net-pci,netdev=n0,disable-legacy=on,addr=4"]
    if "--" not in args:
        args.append("--")
    result = {}
    t = threading.Thread(target=serve, args=(listener, result), daemon=True)
    t.start()
    if udp:
        threading.Thread(target=udp_client, args=(udp_port, result, time.monotonic() + 50), daemon=True).start()
    rc = subprocess.call([sys.executable, run_qemu] + args + net)
    t.join(timeout=1)
    listener.close()
    if result.get("request") != b"GET /capos HTTP/1.1":
        print(f"FAIL: the host server saw {result}")
        return 1
    print("host server answered:", result["request"].decode())
    if udp and not result.get("udp"):
        print(f"FAIL: no UDP echo through 127.0.0.1:{udp_port} -> guest port 5000: {result}")
        return 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
