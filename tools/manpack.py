#!/usr/bin/env python3
"""Packs manual pages into one boot-package binary (`manual.pages`) read by
the Manual service. Record format, repeated to end of file (little endian):
  u32 name_len, name, u8 section, u32 summary_len, summary, u32 text_len, text
Pages: <dir>/<Name>.txt (section 7, generated per interface) and
docs/man/<name>.<section>.txt (hand-written). Every page has the layout
"NAME\\n    <name> - <summary>"; a page without it is an error."""
import pathlib
import re
import struct
import sys


def record(name, section, summary, text):
    out = b""
    for field in (name.encode(),):
        out += struct.pack("<I", len(field)) + field
    out += struct.pack("<B", section)
    for field in (summary.encode(), text.encode()):
        out += struct.pack("<I", len(field)) + field
    return out


def main():
    out, generated, handwritten = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
    pages = []
    for p in sorted(generated.glob("*.txt")):
        if p.name != "index.txt":
            pages.append((p.stem, 7, p))
    for p in sorted(handwritten.glob("*.txt")) if handwritten.is_dir() else []:
        m = re.fullmatch(r"(.+)\.(\d)\.txt", p.name)
        if not m:
            sys.exit(f"manpack: {p}: name must be <topic>.<section>.txt")
        pages.append((m.group(1), int(m.group(2)), p))
    blob = b""
    seen = set()
    for name, section, path in pages:
        text = path.read_text()
        m = re.search(r"^NAME\n\s+(\S+) - (.+)$", text, re.M)
        if not m:
            sys.exit(f"manpack: {path}: missing 'NAME' line '<name> - <summary>'")
        if (name, section) in seen:
            sys.exit(f"manpack: duplicate page {name}({section})")
        seen.add((name, section))
        blob += record(name, section, m.group(2).strip(), text)
    tmp = out.with_suffix(".tmp")
    tmp.write_bytes(blob)
    tmp.replace(out)
    print(f"manpack: {len(pages)} pages, {len(blob)} bytes -> {out}")


if __name__ == "__main__":
    main()
