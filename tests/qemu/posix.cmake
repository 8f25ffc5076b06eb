# ---- The POSIX layer over real files and pipes (user/libc/tests/posix_files.c, docs/posix.md) ----
# posix_files runs as a service beside vblk + fsd with fsd's home Directory
# granted as "root". Boot 1 of a fresh image works a tree of files through
# open/read/write/lseek/stat/readdir/rename/unlink, pipes and poll, and
# writes + fsyncs persist.txt; boot 2 of the same image reads it back.
# Included from tests/qemu/CMakeLists.txt.
capos_json_package(posix_fs qemu_test_package_posix_fs DEPENDS init vblk fsd posix_files posix_child lua
  COMMENT "Test boot package: POSIX files and pipes over fsd")
set(posix_img ${CMAKE_CURRENT_BINARY_DIR}/posix_fs.img)
add_test(NAME qemu.posix_fs_image COMMAND mkfs-capos format ${posix_img} 4M)
set_tests_properties(qemu.posix_fs_image PROPERTIES FIXTURES_SETUP posix_fs_disk LABELS qemu
  RESOURCE_LOCK posix_fs_image)
set(posix_qemu -drive file=${posix_img},format=raw,if=none,id=d0 -device virtio-blk-pci,drive=d0,disable-legacy=on,addr=3)
set(POSIX_FILE_MARKERS
  --expect "posix: mkdir data ok" --expect "posix: write ok" --expect "posix: fopen + fgets reads the lines back, then EOF ok"
  --expect "posix: lseek from the end ok" --expect "posix: pwrite/pread leave the offset alone ok"
  --expect "posix: the gap reads as zeroes ok" --expect "posix: ftruncate ok" --expect "posix: appended at the end ok"
  --expect "posix: 5000 lines (25 KB) through fprintf/fscanf ok"
  --expect "posix: open of a missing file is ENOENT ok" --expect "posix: a file as a directory is ENOTDIR ok"
  --expect "posix: a path above the granted directory is EACCES ok"
  --expect "posix: an absolute path cannot climb out either ok" --expect "posix: stat sees the move ok"
  --expect "posix: openat relative to a directory fd ok" --expect "posix: openat cannot climb above its directory fd ok"
  --expect "posix: readdir lists big.bin and sub/ ok" --expect "posix: rmdir of a non-empty directory is ENOTEMPTY ok"
  --expect "posix: unlink and rmdir clean up ok"
  --expect "posix: poll: readable after a write ok" --expect "posix: end of file once every write end is closed ok"
  --expect "posix: writing with no reader left is EPIPE ok"
  --expect "posix: the child's argv and environment came back through the pipe ok"
  --expect "posix: 10000 bytes through the child and back, upper-cased, in 5 rounds ok"
  --expect "posix: closing stdin ends the child's input ok" --expect "posix: the child's exit code ok"
  --expect "posix: the forked child's stdout came back through the pipe ok"
  --expect "posix: fork + a failing exec: -1 with the exec's errno in the parent ok"
  --expect "posix: exec without fork is ENOSYS ok"
  --expect "posix: the Lua runner ran /hello.lua from the disk ok"
  --expect "posix: unsupported file actions are EINVAL ok"
  --expect "posix: all checks passed" --expect "init: posix_files exited: code 0")
capos_qemu_test(posix_files_write --kernel ${KERNEL_ELF} --module ${PKG_DIR}/posix_fs.bin --timeout 150
  --forbid "posix: FAIL" --expect "fsd: mounted capos-fs v2 on "
  --expect "posix: boot 1 wrote persist.txt ok" ${POSIX_FILE_MARKERS} -- ${posix_qemu})
set_tests_properties(qemu.posix_files_write PROPERTIES FIXTURES_REQUIRED posix_fs_disk
  FIXTURES_SETUP posix_fs_written RESOURCE_LOCK posix_fs_image)
capos_qemu_test(posix_files_reboot --kernel ${KERNEL_ELF} --module ${PKG_DIR}/posix_fs.bin --timeout 150
  --forbid "posix: FAIL" --expect "posix: boot 2 read persist.txt intact ok" ${POSIX_FILE_MARKERS} -- ${posix_qemu})
set_tests_properties(qemu.posix_files_reboot PROPERTIES FIXTURES_REQUIRED "posix_fs_disk;posix_fs_written"
  RESOURCE_LOCK posix_fs_image)

# ---- SQLite (Debian's libsqlite3.a, user/sqlite, docs/sqlite.md) over the same layer ----
# Boot 1 of a fresh image creates /notes.db and works it; boot 2 finds the
# rows (the database survived a reboot) and passes integrity_check.
capos_json_package(sqlite qemu_test_package_sqlite DEPENDS init vblk fsd sqlite_test
  COMMENT "Test boot package: SQLite over fsd")
set(sqlite_img ${CMAKE_CURRENT_BINARY_DIR}/sqlite.img)
add_test(NAME qemu.sqlite_image COMMAND mkfs-capos format ${sqlite_img} 4M)
set_tests_properties(qemu.sqlite_image PROPERTIES FIXTURES_SETUP sqlite_disk LABELS qemu RESOURCE_LOCK sqlite_image)
set(sqlite_qemu -drive file=${sqlite_img},format=raw,if=none,id=d0 -device virtio-blk-pci,drive=d0,disable-legacy=on,addr=3)
capos_qemu_test(sqlite_write --kernel ${KERNEL_ELF} --module ${PKG_DIR}/sqlite.bin --timeout 150
  --forbid "sqlite: FAIL" --expect "sqlite: version 3."
  --expect "sqlite: create table ok" --expect "sqlite: insert 200 rows in one transaction ok"
  --expect "sqlite: a rolled-back delete leaves every row ok" --expect "sqlite: an index and a range query ok"
  --expect "sqlite: select by primary key ok" --expect "sqlite: sum of the scores ok"
  --expect "sqlite: integrity_check ok" --expect "sqlite: reopen finds the 200 rows ok"
  --expect "sqlite: boot 1 wrote 200 rows" --expect "sqlite: all checks passed"
  --expect "init: sqlite_test exited: code 0" -- ${sqlite_qemu})
set_tests_properties(qemu.sqlite_write PROPERTIES FIXTURES_REQUIRED sqlite_disk FIXTURES_SETUP sqlite_written
  RESOURCE_LOCK sqlite_image)
capos_qemu_test(sqlite_reboot --kernel ${KERNEL_ELF} --module ${PKG_DIR}/sqlite.bin --timeout 150
  --forbid "sqlite: FAIL" --expect "sqlite: boot 2 finds boot 1's 200 rows ok"
  --expect "sqlite: integrity_check after the reboot ok" --expect "sqlite: boot 2 adds a row ok"
  --expect "sqlite: all checks passed" --expect "init: sqlite_test exited: code 0" -- ${sqlite_qemu})
set_tests_properties(qemu.sqlite_reboot PROPERTIES FIXTURES_REQUIRED "sqlite_disk;sqlite_written"
  RESOURCE_LOCK sqlite_image)
