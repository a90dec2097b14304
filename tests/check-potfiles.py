#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fails when a file with translatable strings is missing from po/POTFILES.in,
or when POTFILES.in names a file that is not there (TAP output)."""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
listed = [l.strip() for l in (root / "po" / "POTFILES.in").read_text().splitlines()
          if l.strip() and not l.startswith("#")]

marks = {
    ".c": re.compile(r"\b(?:_|N_|C_|NC_)\s*\(|\bg_dngettext\s*\("),
    ".ui": re.compile(r'translatable="yes"'),
    ".xml": re.compile(r"gettext-domain="),
    ".in": re.compile(r"."),
}
needed = set()
for path in list((root / "src").rglob("*")) + list((root / "data").glob("*")):
    if path.is_file() and path.suffix in marks and marks[path.suffix].search(path.read_text()):
        needed.add(str(path.relative_to(root)))

missing = sorted(needed - set(listed))
gone = sorted(p for p in listed if not (root / p).is_file())
unsorted = listed != sorted(listed)

print("1..3")
print(("not ok" if missing else "ok") + " 1 every file with translatable strings is listed")
for p in missing:
    print(f"# missing from po/POTFILES.in: {p}")
print(("not ok" if gone else "ok") + " 2 every listed file exists")
for p in gone:
    print(f"# listed but not there: {p}")
print(("not ok" if unsorted else "ok") + " 3 po/POTFILES.in is sorted")
sys.exit(1 if missing or gone or unsorted else 0)
