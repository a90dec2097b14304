#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fails when a file with translatable strings is missing from po/POTFILES.in,
when POTFILES.in names a file that is not there, when po/rekey.pot is behind
the sources, or when a translation is incomplete (TAP output)."""
import pathlib
import re
import subprocess
import sys
import tempfile

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

linguas = [l.strip() for l in (root / "po" / "LINGUAS").read_text().split() if l.strip()]
incomplete = []
for lang in linguas:
    # every message of the template translated, none fuzzy
    r = subprocess.run(["msgcmp", str(root / "po" / f"{lang}.po"),
                        str(root / "po" / "rekey.pot")], capture_output=True, text=True)
    s = subprocess.run(["msgfmt", "--check", "--statistics", "-o", "/dev/null",
                        str(root / "po" / f"{lang}.po")], capture_output=True, text=True)
    if r.returncode != 0 or s.returncode != 0 or "fuzzy" in s.stderr or "untranslated" in s.stderr:
        incomplete.append((lang, (r.stderr + s.stderr).strip()))

# The committed template holds exactly the messages of the sources, as
# `meson compile rekey-pot` extracts them (the keywords of meson's glib preset).
stale = ""
with tempfile.TemporaryDirectory() as tmp:
    fresh = pathlib.Path(tmp) / "fresh.pot"
    x = subprocess.run(["xgettext", "--from-code=UTF-8", "--keyword=_", "--keyword=N_",
                        "--keyword=C_:1c,2", "--keyword=NC_:1c,2", "--keyword=g_dcgettext:2",
                        "--keyword=g_dngettext:2,3", "--keyword=g_dpgettext2:2c,3",
                        "--directory", str(root), "--files-from", str(root / "po" / "POTFILES.in"),
                        "--output", str(fresh)], capture_output=True, text=True)
    if x.returncode != 0:
        stale = x.stderr
    else:
        committed = str(root / "po" / "rekey.pot")
        for ours, theirs, what in ((committed, str(fresh), "not in po/rekey.pot"),
                                   (str(fresh), committed, "no longer in the sources")):
            c = subprocess.run(["msgcmp", "--use-untranslated", ours, theirs],
                               capture_output=True, text=True)
            if c.returncode != 0:
                stale += f"{what}:\n{c.stderr}"

print("1..5")
print(("not ok" if missing else "ok") + " 1 every file with translatable strings is listed")
for p in missing:
    print(f"# missing from po/POTFILES.in: {p}")
print(("not ok" if gone else "ok") + " 2 every listed file exists")
for p in gone:
    print(f"# listed but not there: {p}")
print(("not ok" if unsorted else "ok") + " 3 po/POTFILES.in is sorted")
print(("not ok" if incomplete else "ok") + " 4 every translation is complete")
for lang, why in incomplete:
    for line in why.splitlines()[:10]:
        print(f"# {lang}: {line}")
print(("not ok" if stale else "ok") + " 5 po/rekey.pot is up to date (meson compile -C build rekey-pot)")
for line in stale.splitlines()[:20]:
    print(f"# {line}")
sys.exit(1 if missing or gone or unsorted or incomplete or stale else 0)
