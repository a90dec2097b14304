#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# meson install into a throwaway prefix gives a working Rekey: the files are
# there and the installed program starts (TAP output).
set -uo pipefail
build_dir=$1
dest=$(mktemp -d "${TMPDIR:-/tmp}/rekey-install.XXXXXX")
trap 'rm -rf "$dest"' EXIT
n=0 failed=0
check() {  # check DESCRIPTION COMMAND…
  local what=$1; shift
  n=$((n + 1))
  if "$@" >"$dest/out" 2>&1; then echo "ok $n $what"; else
    echo "not ok $n $what"; sed 's/^/# /' "$dest/out" | head -20; failed=1; fi
}

echo "1..17"
check "meson install succeeds" meson install -C "$build_dir" --destdir "$dest/root" --no-rebuild --quiet
prefix=$(meson introspect --buildoptions "$build_dir" | python3 -c \
  'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="prefix"))')
root=$dest/root$prefix
share=$root/share
check "binaries installed" test -x "$root/bin/rekey" -a -x "$root/bin/rekey-sandbox" -a -x "$root/bin/rekeyctl"
check "desktop file installed and valid" desktop-file-validate "$share/applications/io.github.rekeyapp.Rekey.desktop"
check "metainfo installed and valid" appstreamcli validate --no-net "$share/metainfo/io.github.rekeyapp.Rekey.metainfo.xml"
check "icons installed" test -f "$share/icons/hicolor/scalable/apps/io.github.rekeyapp.Rekey.svg" \
  -a -f "$share/icons/hicolor/symbolic/apps/io.github.rekeyapp.Rekey-symbolic.svg" \
  -a -f "$share/icons/hicolor/16x16/apps/io.github.rekeyapp.Rekey.svg"
check "settings schema installed" glib-compile-schemas --strict "$share/glib-2.0/schemas"
check "German translation installed" test -f "$share/locale/de/LC_MESSAGES/rekey.mo"
check "rekey --version" bash -c "'$root/bin/rekey' --version | grep -q '^rekey [0-9]'"
check "rekey --help names its options" bash -c "'$root/bin/rekey' --help | grep -q -- '--sandbox' && '$root/bin/rekey' --help | grep -q -- '--profile'"
check "rekey-sandbox --help" bash -c "'$root/bin/rekey-sandbox' --help | grep -q -- '--allowed-ips'"
check "rekeyctl --help lists its commands" bash -c "'$root/bin/rekeyctl' --help | grep -q '^  rekeyctl recover'"

# rekeyctl(1), where man finds it, and readable.
page=$share/man/man1/rekeyctl.1
check "manual page rekeyctl(1) installed" test -s "$page"
if command -v man >/dev/null; then
  check "man -l renders rekeyctl(1)" bash -c \
    "MANWIDTH=80 man -l '$page' 2>&1 | grep -q '^EXIT STATUS' && MANWIDTH=80 man -l '$page' | grep -q 'rekeyctl \\[-p NAME\\] reset USER'"
else
  echo "ok 13 # SKIP man is not installed"; n=$((n + 1))
fi

# The completion, in bash-completion's directory for this prefix (its
# pkg-config completionsdir, or datadir/bash-completion/completions).
completion=$(find "$dest/root" -path '*/bash-completion/completions/rekeyctl' | head -1)
check "bash completion installed and loads" bash -c \
  "test -n '$completion' && bash -n '$completion' && . '$completion' && complete -p rekeyctl | grep -q _rekeyctl && COMP_WORDS=(rekeyctl re) COMP_CWORD=1 && _rekeyctl && [[ \"\${COMPREPLY[*]}\" == 'remove reset recover' ]]"

# The installed app, started as a desktop would, on its sandbox: it finds its
# schema, resources and keyring, seeds the sandbox and stores the admin key.
home=$dest/home
mkdir -p "$home"
if [[ -n ${DISPLAY:-} && -n ${DBUS_SESSION_BUS_ADDRESS:-} ]]; then
  export XDG_DATA_HOME=$home XDG_DATA_DIRS=$share:/usr/share \
         GSETTINGS_SCHEMA_DIR=$share/glib-2.0/schemas
  "$root/bin/rekey" --sandbox >"$dest/app.log" 2>&1 &
  first=$!
  # Running once it owns its name on the session bus (slow under ASan).
  for _ in $(seq 600); do
    owner=$(gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
              --method org.freedesktop.DBus.NameHasOwner io.github.rekeyapp.Rekey 2>/dev/null)
    [[ $owner == *true* ]] && break
    kill -0 "$first" 2>/dev/null || break
    sleep 0.1
  done
  # One Rekey: a second launch hands over to the first and returns at once.
  check "a second rekey raises the first and exits" timeout 60 "$root/bin/rekey"
  for _ in $(seq 300); do
    # (into a variable: a pipe into grep -q would end secret-tool early)
    items=$(secret-tool search --all xdg:schema io.github.rekeyapp.Rekey.ApiKey username admin 2>&1 |
              grep -v '^secret')
    [[ $items == *"attribute.server = http://127.0.0.1"* ]] && break
    sleep 0.1
  done
  kill -TERM "$first" 2>/dev/null
  wait "$first"
  rc=$?
  # SIGTERM makes Rekey quit cleanly, as Ctrl+Q does.
  check "the installed rekey --sandbox ran and quit cleanly on SIGTERM" test "$rc" -eq 0
  # Attributes only (secret-tool prints them on stderr): the secret line is
  # dropped before anything is kept.
  secret-tool search --all xdg:schema io.github.rekeyapp.Rekey.ApiKey username admin 2>&1 |
    grep -v '^secret' >"$dest/items" || true
  check "it seeded its sandbox and keeps the admin key in the keyring" bash -c \
    "test -e '$home/rekey/sandbox.db' && grep -q 'attribute.server = http://127.0.0.1' '$dest/items' || { cat '$dest/items' '$dest/app.log'; false; }"
else
  echo "ok 15 # SKIP no display or session bus"
  echo "ok 16 # SKIP no display or session bus"
  echo "ok 17 # SKIP no display or session bus"
fi
exit $failed
