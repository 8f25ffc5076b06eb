#!/usr/bin/env python3
"""Forge the persistent account file on a capOS disk image the way an
attacker without the boot package's key could: replace the first account's
Argon2id verifier with one for a password of the attacker's choice (same
parameters, same length, so the file still parses), and keep the old MAC.
The credential store must refuse the file (qemu.login_persist_forged).

usage: forge_account.py <mkfs-capos> <image> <path in image> <new password>
"""
import subprocess
import sys
import tempfile


def main():
    mkfs, image, path, password = sys.argv[1:5]
    data = bytearray(subprocess.run([mkfs, "cat", image, path], check=True, capture_output=True).stdout)
    start = data.find(b"$argon2id$")
    if data[:8] != b"capOSac1" or start < 0:
        sys.exit("forge_account: not an account file")
    end = data.find(b"\n", start)
    old = bytes(data[start:end])
    # Same 16-byte salt length as the store's own, so the forged verifier
    # has the same length and the header's body length stays right.
    new = subprocess.run(["argon2", "forgedsalt123456", "-id", "-k", "12288", "-t", "3", "-p", "1", "-e"],
                         input=password.encode(), check=True, capture_output=True).stdout.strip()
    if len(new) != len(old):
        sys.exit("forge_account: verifier lengths differ (%d vs %d)" % (len(new), len(old)))
    data[start:end] = new
    with tempfile.NamedTemporaryFile() as f:
        f.write(data)
        f.flush()
        subprocess.run([mkfs, "put", image, path, f.name], check=True)
    print("forge_account: replaced the verifier of the first account in %s" % path)


if __name__ == "__main__":
    main()
