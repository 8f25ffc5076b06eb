#!/bin/sh
# A 2 MiB capOS filesystem for qemu.dir_grant, made with mkfs-capos at test
# time: /users/secret, /users/alice/notes, /users/alice/public/readme.
set -eu
mkfs=$1
img=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -f "$img"
"$mkfs" format "$img" 2M
"$mkfs" mkdir "$img" users
"$mkfs" mkdir "$img" users/alice
"$mkfs" mkdir "$img" users/alice/public
printf 'not for alice\n' > "$tmp/secret"
printf 'alice notes\n' > "$tmp/notes"
printf 'public readme\n' > "$tmp/readme"
"$mkfs" put "$img" users/secret "$tmp/secret"
"$mkfs" put "$img" users/alice/notes "$tmp/notes"
"$mkfs" put "$img" users/alice/public/readme "$tmp/readme"
