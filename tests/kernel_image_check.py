#!/usr/bin/env python3
"""The production kernel carries no test-only code; the test kernel does.

capos.elf must not contain the boot self tests (namespace capos::selftest,
which also holds the capos.test=pagefault|doublefault|panic fault triggers)
nor the bare-ELF init path; capos-test.elf must contain both, so this check
fails if the split stops meaning anything (kernel/boot/test_entry.h).
"""
import argparse
import subprocess
import sys

# Demangled symbols that only test code defines.
TEST_SYMBOLS = ("capos::selftest::",)
# Bytes only test code carries: every self test's log and panic lines say
# "selftest"; the bare-ELF init path logs "starting init (pid".
TEST_BYTES = (b"selftest", b"capOS: starting init (pid")


def symbols(path):
    out = subprocess.run(["llvm-nm", "-C", "--defined-only", path], check=True, capture_output=True, text=True)
    return [line.split(" ", 2)[-1] for line in out.stdout.splitlines()]


def test_code(path):
    """What test-only code `path` holds, as a list of descriptions."""
    found = []
    syms = symbols(path)
    for pattern in TEST_SYMBOLS:
        hits = [s for s in syms if pattern in s]
        if hits:
            found.append("%d symbols matching %r (e.g. %s)" % (len(hits), pattern, hits[0]))
    data = open(path, "rb").read()
    for needle in TEST_BYTES:
        if needle in data:
            found.append("the bytes %r" % needle.decode())
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--production", required=True)
    ap.add_argument("--test", required=True)
    a = ap.parse_args()
    ok = True
    prod = test_code(a.production)
    for what in prod:
        print("FAIL: production kernel %s contains %s" % (a.production, what))
        ok = False
    test = test_code(a.test)
    expected = len(TEST_SYMBOLS) + len(TEST_BYTES)
    if len(test) != expected:
        print("FAIL: test kernel %s should hold every test marker, found only: %s" % (a.test, test))
        ok = False
    if ok:
        print("ok: %s has no test code; %s has: %s" % (a.production, a.test, "; ".join(test)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
