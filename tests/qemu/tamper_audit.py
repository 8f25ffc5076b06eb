#!/usr/bin/env python3
"""Change one byte of a record's text in auditd's stored chain on a capOS
disk image (keeping every length, so the file still decodes): auditd must
find the chain broken at that record (qemu.login_persist_forged).

usage: tamper_audit.py <mkfs-capos> <image> <path in image> <text to find>
"""
import subprocess
import sys
import tempfile


def main():
    mkfs, image, path, needle = sys.argv[1:5]
    data = bytearray(subprocess.run([mkfs, "cat", image, path], check=True, capture_output=True).stdout)
    at = data.find(needle.encode())
    if at < 0:
        sys.exit("tamper_audit: `%s` is not in %s" % (needle, path))
    data[at] ^= 0x20  # flips the case of a letter: still printable text
    with tempfile.NamedTemporaryFile() as f:
        f.write(data)
        f.flush()
        subprocess.run([mkfs, "put", image, path, f.name], check=True)
    print("tamper_audit: changed the record containing `%s`" % needle)


if __name__ == "__main__":
    main()
