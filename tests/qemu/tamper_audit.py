#!/usr/bin/env python3
"""Change one byte of a record's text in auditd's stored chain on a capOS
disk image (keeping every length, so the file still decodes).

Without --rehash only the text changes: auditd must find the hash chain
broken at that record (qemu.login_persist_forged). With --rehash the
attacker also recomputes the SHA-256 chain from that record on, so every
link verifies again; only the records' MACs (keyed with auditkey, which is
not on the disk) can tell (qemu.login_persist_rehashed).

Record layout (user/services/identity/audit_file.h): u8 source length,
u8 text length, u64 seq, u64 timeNs, source, text, 32-byte hash, 32-byte MAC.

usage: tamper_audit.py [--rehash] <mkfs-capos> <image> <path in image> <text to find>
"""
import hashlib
import struct
import subprocess
import sys
import tempfile

HEADER, HASH, MAC = 18, 32, 32


def records(data):
    at = 0
    while at < len(data):
        src, text = data[at], data[at + 1]
        n = HEADER + src + text + HASH + MAC
        yield at, src, text, n
        at += n


def rehash(data, first):
    """Recomputes the hash of every record from byte offset `first` on."""
    prev = bytes(HASH)
    for at, src, text, n in records(data):
        hash_at = at + HEADER + src + text
        if at >= first:
            seq, time_ns = struct.unpack_from("<QQ", data, at + 2)
            body = data[at + HEADER:hash_at]
            h = hashlib.sha256(prev + struct.pack("<QQ", seq, time_ns) + struct.pack("<I", src) + body[:src] +
                               struct.pack("<I", text) + body[src:]).digest()
            data[hash_at:hash_at + HASH] = h
        prev = bytes(data[hash_at:hash_at + HASH])


def main():
    args = sys.argv[1:]
    do_rehash = args and args[0] == "--rehash"
    if do_rehash:
        args = args[1:]
    mkfs, image, path, needle = args[:4]
    data = bytearray(subprocess.run([mkfs, "cat", image, path], check=True, capture_output=True).stdout)
    at = data.find(needle.encode())
    if at < 0:
        sys.exit("tamper_audit: `%s` is not in %s" % (needle, path))
    data[at] ^= 0x20  # flips the case of a letter: still printable text
    if do_rehash:
        start = max(r for r, _, _, _ in records(data) if r <= at)
        rehash(data, start)
    with tempfile.NamedTemporaryFile() as f:
        f.write(data)
        f.flush()
        subprocess.run([mkfs, "put", image, path, f.name], check=True)
    print("tamper_audit: changed the record containing `%s`%s" % (needle, " and rehashed the chain" if do_rehash else ""))


if __name__ == "__main__":
    main()
