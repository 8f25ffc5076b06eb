#!/usr/bin/env python3
"""Every interface in schema/*.capnp has a generated manual page that names
every one of its methods and has a NAME summary; the index lists them all."""
import pathlib
import re
import sys

root, man = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
failures = []
index = (man / "index.txt").read_text() if (man / "index.txt").exists() else ""
for schema in sorted((root / "schema").glob("*.capnp")):
    text = schema.read_text()
    for m in re.finditer(r"^interface (\w+) @0x[0-9a-f]+ \{(.*?)^\}", text, re.S | re.M):
        name, body = m.group(1), m.group(2)
        page = man / f"{name}.txt"
        if not page.exists():
            failures.append(f"{name}: no page {page}")
            continue
        content = page.read_text()
        if f"NAME\n    {name} - " not in content or content.split(f"{name} - ", 1)[1].startswith("\n"):
            failures.append(f"{name}: empty NAME summary")
        for method in re.findall(r"^\s+(\w+) @\d+ (?:\([^)]*\)|\w+) ->", body, re.M):
            if f"    {method} @" not in content:
                failures.append(f"{name}: method {method} missing from its page")
        if not re.search(rf"^{name} - \S", index, re.M):
            failures.append(f"{name}: not in index.txt")
for f in failures:
    print("FAIL:", f)
count = len(list(man.glob("*.txt"))) - 1
print(f"{count} pages checked" if not failures else f"{len(failures)} problems")
sys.exit(1 if failures else 0)
