#!/usr/bin/env python3
"""Writes corpus/mini: a 64 KiB FAT32 volume small enough to fuzz (our
reader does not insist on FAT32's 65525-cluster minimum, mformat does).
Root: "Hello World.txt" (VFAT name + 8.3 alias), directory SUB with
"a.txt" (8.3, lower-case flags) and an empty file."""
import struct, sys

SECTORS, RESERVED, FAT_SECTORS, ROOT = 128, 2, 1, 2
img = bytearray(SECTORS * 512)
bs = bytearray(512)
bs[0:3] = b"\xeb\x58\x90"; bs[3:11] = b"CAPOSFUZ"
struct.pack_into("<HBHBHHBHHHII", bs, 11, 512, 1, RESERVED, 1, 0, 0, 0xF8, 0, 1, 1, 0, SECTORS)
struct.pack_into("<IHHIHH", bs, 36, FAT_SECTORS, 0, 0, ROOT, 1, 0)
bs[82:90] = b"FAT32   "; bs[510:512] = b"\x55\xaa"
img[0:512] = bs
data = RESERVED + FAT_SECTORS

def fat(c, v): struct.pack_into("<I", img, RESERVED * 512 + 4 * c, v)
for c, v in [(0, 0x0FFFFFF8), (1, 0x0FFFFFFF), (2, 0x0FFFFFFF), (3, 0x0FFFFFFF), (4, 5), (5, 0x0FFFFFFF)]:
    fat(c, v)

def entry(name11, attr, cluster, size, nt=0):
    return name11 + bytes([attr, nt, 0]) + b"\0" * 6 + struct.pack("<H", cluster >> 16) + b"\0" * 4 + \
        struct.pack("<HI", cluster & 0xFFFF, size)

def checksum(n):
    s = 0
    for b in n: s = (((s & 1) << 7) + (s >> 1) + b) & 0xFF
    return s

def lfn(name, short):
    units = [ord(c) for c in name] + [0]
    units += [0xFFFF] * (-len(units) % 13)
    parts = [units[i:i + 13] for i in range(0, len(units), 13)]
    out = b""
    for seq in range(len(parts), 0, -1):
        p = parts[seq - 1]
        e = bytearray(32)
        e[0] = seq | (0x40 if seq == len(parts) else 0)
        for k, off in enumerate([1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30]):
            struct.pack_into("<H", e, off, p[k])
        e[11] = 0x0F; e[13] = checksum(short)
        out += bytes(e)
    return out

def put(cluster, content): img[(data + cluster - 2) * 512:(data + cluster - 2) * 512 + len(content)] = content

short = b"HELLOW~1TXT"
put(2, entry(b"CAPOSFUZZ  ", 0x08, 0, 0) + lfn("Hello World.txt", short) + entry(short, 0x20, 4, 600) +
    entry(b"SUB        ", 0x10, 3, 0))
put(3, entry(b".          ", 0x10, 3, 0) + entry(b"..         ", 0x10, 0, 0) + entry(b"A       TXT", 0x20, 0, 0, 0x18) +
    entry(b"EMPTY      ", 0x20, 0, 0))
put(4, (b"hello, fat! " * 50)[:600])
sys.stdout.buffer.write(bytes(img[:SECTORS * 512]))
