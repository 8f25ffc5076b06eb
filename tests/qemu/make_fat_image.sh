#!/bin/sh
# A 34 MiB FAT32 image for qemu.fat_shell, made with mtools at test time:
# /home/README.TXT (8.3), /home/Long-File-Name.txt (VFAT), /home/sub/inner.txt.
set -eu
img=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -f "$img"
truncate -s 34M "$img"
mformat -i "$img" -F -v CAPOSFAT ::
mmd -i "$img" ::/home ::/home/sub
printf 'hello from FAT32\n' > "$tmp/readme"
printf 'a long name, read through fsd\n' > "$tmp/long"
printf 'inner\n' > "$tmp/inner"
mcopy -i "$img" "$tmp/readme" ::/home/README.TXT
mcopy -i "$img" "$tmp/long" ::/home/Long-File-Name.txt
mcopy -i "$img" "$tmp/inner" ::/home/sub/inner.txt
