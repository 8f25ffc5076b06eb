# ---- Filesystem service (user/storage/fsd.cpp) and a Directory/File client (user/tests/fstest.cpp) ----
# The image is made at test time by tools/mkfs-capos (raw, 4 MiB). Boot 1
# writes a tree, syncs it and runs the hostile-client checks; boot 2 of the
# same image finds the synced tree intact and the unsynced file gone. Same
# for virtio-blk and NVMe. Included from tests/qemu/CMakeLists.txt.
set(FS_HOSTILE_MARKERS
  --expect "fstest: refused name with '/': invalid-argument (name contains '/')"
  --expect "fstest: refused name '..': invalid-argument (name is '.' or '..')"
  --expect "fstest: refused name with NUL: invalid-argument (name contains NUL)"
  --expect "fstest: refused 10 KiB name: invalid-argument (name longer than 255 bytes)"
  --expect "fstest: refused open of a missing file: invalid-argument (no such entry)"
  --expect "fstest: refused create over an existing file: invalid-argument (the name is taken)"
  --expect "fstest: refused write at offset 2^64-5: invalid-argument (offset past the largest file size)"
  --expect "fstest: refused read of 9000 bytes: invalid-argument (maxBytes must be 1 to 8192)"
  --expect "fstest: refused create in a read-only directory: invalid-argument (read-only directory)"
  --expect "fstest: refused writable open through a read-only directory: invalid-argument (read-only directory)"
  --expect "fstest: refused write through File.readOnly: invalid-argument (read-only file)"
  --expect "fstest: refused stat of '..' in a sub-directory: invalid-argument (name is '.' or '..')"
  --expect "fstest: refused rename into '..': invalid-argument (name is '.' or '..')"
  --expect "fstest: refused moving a directory into itself: invalid-argument (cannot move a directory into itself)"
  --expect "fstest: refused a 31-byte store key: invalid-argument (a key is 32 bytes (SHA-256))"
  --expect "fstest: store: put, get, list, remove by SHA-256 key ok"
  --expect "fstest: refused a bulk read of 2 MiB: invalid-argument (maxBytes must be 1 to 1 MiB)"
  --expect "fstest: refused a bulk write without a MemoryObject: invalid-argument (attach a MemoryObject as `buffer`)"
  --expect "fstest: refused a bulk read past the buffer: invalid-argument (the buffer is too small for bufferOffset plus the bytes)"
  --expect "fstest: refused a bulk read into an endpoint: invalid-argument (the buffer is an endpoint, not a kernel MemoryObject)"
  --expect "fstest: refused a bulk write through File.readOnly: invalid-argument (read-only file)"
  --expect "fstest: bulk: 300000 bytes written and read back through a MemoryObject, 0 mismatches"
  --expect "fstest: refused one open file too many: overloaded (too many open files and directories: close some)"
  --expect "fstest: refused write to a full disk: overloaded (no space left on the device)"
  --expect "fstest: all checks passed" --expect "init: fstest exited: code 0"
  --expect "init: all services ended" --expect "process 1 (init) exited with status 0")
foreach(drv virtio nvme)
  if(drv STREQUAL "virtio")
    set(fs_driver vblk)
    set(fs_dev -device virtio-blk-pci,drive=d0,disable-legacy=on,addr=3)
  else()
    set(fs_driver nvme)
    set(fs_dev -device nvme,serial=capos0,drive=d0,addr=4)
  endif()
  add_custom_command(OUTPUT ${PKG_DIR}/fs_${drv}.bin
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PKG_DIR}
    COMMAND mkmanifest --bin-dir ${CMAKE_BINARY_DIR}/bin -o ${PKG_DIR}/fs_${drv}.bin
            ${CMAKE_CURRENT_SOURCE_DIR}/manifests/fs_${drv}.json
    DEPENDS init ${fs_driver} fsd fstest mkmanifest ${CMAKE_CURRENT_SOURCE_DIR}/manifests/fs_${drv}.json
    COMMENT "Test boot package: filesystem over ${drv}")
  add_custom_target(qemu_test_package_fs_${drv} ALL DEPENDS ${PKG_DIR}/fs_${drv}.bin)
  set(img ${CMAKE_CURRENT_BINARY_DIR}/fs_${drv}.img)
  add_test(NAME qemu.fs_${drv}_image COMMAND mkfs-capos format ${img} 4M)
  set_tests_properties(qemu.fs_${drv}_image PROPERTIES FIXTURES_SETUP fs_${drv}_disk LABELS qemu
    RESOURCE_LOCK fs_${drv}_image)
  set(fs_qemu -drive file=${img},format=raw,if=none,id=d0 ${fs_dev})
  capos_qemu_test(fs_${drv}_write --kernel ${KERNEL_ELF} --module ${PKG_DIR}/fs_${drv}.bin --timeout 120
    --forbid "fstest: FAILED"
    --expect "fsd: mounted capos-fs v2 on "
    --expect "fstest: boot 1: wrote hello.txt, big.bin (20000 bytes, 5 blocks), sub/inner, synced, 0 mismatches"
    ${FS_HOSTILE_MARKERS} -- ${fs_qemu})
  set_tests_properties(qemu.fs_${drv}_write PROPERTIES FIXTURES_REQUIRED fs_${drv}_disk
    FIXTURES_SETUP fs_${drv}_written RESOURCE_LOCK fs_${drv}_image)
  capos_qemu_test(fs_${drv}_reboot --kernel ${KERNEL_ELF} --module ${PKG_DIR}/fs_${drv}.bin --timeout 120
    --forbid "fstest: FAILED"
    --expect "fstest: found boot 1's tree: big.bin 0 mismatches, hello.txt intact, sub/inner intact, unsynced file gone"
    ${FS_HOSTILE_MARKERS} -- ${fs_qemu})
  set_tests_properties(qemu.fs_${drv}_reboot PROPERTIES FIXTURES_REQUIRED "fs_${drv}_disk;fs_${drv}_written"
    RESOURCE_LOCK fs_${drv}_image)
  # The image checks out on the host too, with the same code.
  add_test(NAME qemu.fs_${drv}_check COMMAND mkfs-capos check ${img})
  set_tests_properties(qemu.fs_${drv}_check PROPERTIES FIXTURES_REQUIRED "fs_${drv}_disk;fs_${drv}_written"
    DEPENDS qemu.fs_${drv}_reboot RESOURCE_LOCK fs_${drv}_image LABELS qemu
    PASS_REGULAR_EXPRESSION "consistent: generation [0-9]+, 3 files, 3 directories")
endforeach()

# ---- The shell's file commands over a granted home directory (user/shell/fs_commands.cpp) ----
# Boot 1 makes a directory and a file, reads, renames, and meets refusals;
# boot 2 of the same image reads the file back and cleans up.
capos_json_package(fs_shell qemu_test_package_fs_shell DEPENDS init vblk fsd shell terminal
  COMMENT "Test boot package: shell over a filesystem")
set(fs_shell_img ${CMAKE_CURRENT_BINARY_DIR}/fs_shell.img)
add_test(NAME qemu.fs_shell_image COMMAND mkfs-capos format ${fs_shell_img} 2M)
set_tests_properties(qemu.fs_shell_image PROPERTIES FIXTURES_SETUP fs_shell_disk LABELS qemu
  RESOURCE_LOCK fs_shell_image)
set(fs_shell_qemu -drive file=${fs_shell_img},format=raw,if=none,id=d0
  -device virtio-blk-pci,drive=d0,disable-legacy=on,addr=3)
capos_qemu_test(fs_shell_write --kernel ${KERNEL_ELF} --module ${PKG_DIR}/fs_shell.bin --timeout 120
  --input "capos> =>df\\r" --expect "capos-fs v2: 2032 KiB free of 2048 KiB (508 of 512 blocks of 4096 bytes), 2 nodes"
  --input "capos> =>ls\\r" --expect "(empty)"
  --input "capos> =>mkdir notes\\r"
  --input "capos> =>write notes/todo buy milk\\r" --expect "write: 9 bytes, synced"
  --input "capos> =>cat notes/todo\\r" --expect "buy milk"
  --input "capos> =>stat notes/todo\\r" --expect "notes/todo: file, 9 bytes, 1 blocks, changed in generation"
  --input "capos> =>mv notes/todo notes/done\\r"
  --input "capos> =>ls notes\\r" --expect "done  9"
  --input "capos> =>cat ../secret\\r" --expect "cat: invalid-argument (name is '.' or '..')"
  --input "capos> =>cat notes/todo\\r" --expect "cat: invalid-argument (no such entry)"
  --input "capos> =>rm notes\\r" --expect "rm: failed (directory not empty)"
  --input "capos> =>mv notes/done elsewhere\\r" --expect "mv: `elsewhere` must be in the directory of `notes/done` or below it"
  --input "capos> =>exit\\r" --expect "init: all services ended" --expect "process 1 (init) exited with status 0"
  -- ${fs_shell_qemu})
set_tests_properties(qemu.fs_shell_write PROPERTIES FIXTURES_REQUIRED fs_shell_disk
  FIXTURES_SETUP fs_shell_written RESOURCE_LOCK fs_shell_image)
capos_qemu_test(fs_shell_reboot --kernel ${KERNEL_ELF} --module ${PKG_DIR}/fs_shell.bin --timeout 120
  --input "capos> =>cat notes/done\\r" --expect "buy milk"
  --input "capos> =>rm notes/done\\r"
  --input "capos> =>rm notes\\r"
  --input "capos> =>ls\\r" --expect "(empty)"
  --input "capos> =>exit\\r" --expect "init: all services ended" --expect "process 1 (init) exited with status 0"
  -- ${fs_shell_qemu})
set_tests_properties(qemu.fs_shell_reboot PROPERTIES FIXTURES_REQUIRED "fs_shell_disk;fs_shell_written"
  RESOURCE_LOCK fs_shell_image)

# ---- FAT32, read-only, through the same fsd and shell (lib/fat) ----
# The image is made with mtools at test time (tests/qemu/make_fat_image.sh).
set(fat_img ${CMAKE_CURRENT_BINARY_DIR}/fat32.img)
add_test(NAME qemu.fat_image COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/make_fat_image.sh ${fat_img})
set_tests_properties(qemu.fat_image PROPERTIES FIXTURES_SETUP fat_disk LABELS qemu RESOURCE_LOCK fat_image)
capos_qemu_test(fat_shell --kernel ${KERNEL_ELF} --module ${PKG_DIR}/fs_shell.bin --timeout 120
  --expect "fsd: mounted fat32 (read-only) on virtio-blk"
  --input "capos> =>ls\\r" --expect "sub/" --expect "README.TXT  17" --expect "Long-File-Name.txt  30"
  --input "capos> =>cat Long-File-Name.txt\\r" --expect "a long name, read through fsd"
  --input "capos> =>cat readme.txt\\r" --expect "hello from FAT32"
  --input "capos> =>cat sub/inner.txt\\r" --expect "inner"
  --input "capos> =>write new.txt hi\\r" --expect "write: invalid-argument (read-only directory)"
  --input "capos> =>rm README.TXT\\r" --expect "rm: invalid-argument (read-only directory)"
  --input "capos> =>df\\r" --expect "fat32 (read-only): 34260 KiB free of 34264 KiB"
  --input "capos> =>exit\\r" --expect "init: all services ended" --expect "process 1 (init) exited with status 0"
  -- -drive file=${fat_img},format=raw,if=none,id=d0 -device virtio-blk-pci,drive=d0,disable-legacy=on,addr=3)
set_tests_properties(qemu.fat_shell PROPERTIES FIXTURES_REQUIRED fat_disk RESOURCE_LOCK fat_image)

# ---- Power cuts: QEMU killed at seeded random moments during a write workload (user/tests/fschurn.cpp) ----
capos_json_package(fs_churn qemu_test_package_fs_churn DEPENDS init vblk fsd fschurn
  COMMENT "Test boot package: filesystem power-cut workload")
add_test(NAME qemu.fs_power_cut
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/fs_crash.py --kernel ${KERNEL_ELF}
          --package ${PKG_DIR}/fs_churn.bin --image ${CMAKE_CURRENT_BINARY_DIR}/fs_churn.img
          --mkfs $<TARGET_FILE:mkfs-capos> --log ${CMAKE_CURRENT_BINARY_DIR}/fs_power_cut.log)
set_tests_properties(qemu.fs_power_cut PROPERTIES TIMEOUT 180 LABELS qemu PASS_REGULAR_EXPRESSION "fs_crash: PASS")

# ---- Filesystem bench boot (user/tests/fsbench.cpp; `make bench`, tools/bench/fs_bench.py) ----
# Booted by the bench over a 256 MiB mkfs-capos image, next to Linux on ext4.
capos_json_package(fsbench_virtio qemu_test_package_fsbench_virtio DEPENDS init vblk fsd fsbench
  COMMENT "Bench boot package: filesystem figures over virtio-blk")
# Smoke: the whole workload runs and every byte reads back (figures not judged).
set(fsbench_img ${CMAKE_CURRENT_BINARY_DIR}/fsbench.img)
add_test(NAME qemu.fsbench_image COMMAND mkfs-capos format ${fsbench_img} 256M)
set_tests_properties(qemu.fsbench_image PROPERTIES FIXTURES_SETUP fsbench_disk LABELS qemu
  RESOURCE_LOCK fsbench_image)
capos_qemu_test(fsbench_smoke --kernel ${KERNEL_ELF} --module ${PKG_DIR}/fsbench_virtio.bin --timeout 280
  --forbid "fsbench: FAILED" --expect "fsd: device I/O by bulk calls, 256 KiB windows"
  --expect "BENCH row=fs_create_small iters=1000 busy_cycles_per_op=" --expect "BENCH row=fs_read_small iters=1000"
  --expect "BENCH row=fs_write_seq iters=8192" --expect "BENCH row=fs_read_seq iters=8192"
  --expect "BENCH row=fs_write_bulk iters=64" --expect "BENCH row=fs_read_bulk iters=64" --expect "BENCH done"
  --expect "init: fsbench exited: code 0" --expect "process 1 (init) exited with status 0"
  -- -drive file=${fsbench_img},format=raw,if=none,id=d0,cache=unsafe
     -device virtio-blk-pci,drive=d0,disable-legacy=on,addr=3)
set_tests_properties(qemu.fsbench_smoke PROPERTIES TIMEOUT 300 FIXTURES_REQUIRED fsbench_disk
  RESOURCE_LOCK fsbench_image)

# ---- Persistent Namespace (user/storage/ns_server.cpp, user/tests/nstest.cpp) ----
# Boot 1 (ns_bind) holds a writable directory and a writable Namespace over
# it and binds names; boot 2 (ns_resolve), over the same disk, holds only a
# read-only Namespace and must resolve exactly boot 1's bindings.
foreach(ns_pkg ns_bind ns_resolve)
  add_custom_command(OUTPUT ${PKG_DIR}/${ns_pkg}.bin
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PKG_DIR}
    COMMAND mkmanifest --bin-dir ${CMAKE_BINARY_DIR}/bin -o ${PKG_DIR}/${ns_pkg}.bin
            ${CMAKE_CURRENT_SOURCE_DIR}/manifests/${ns_pkg}.json
    DEPENDS init vblk fsd nstest mkmanifest ${CMAKE_CURRENT_SOURCE_DIR}/manifests/${ns_pkg}.json
    COMMENT "Test boot package: ${ns_pkg}")
  add_custom_target(qemu_test_package_${ns_pkg} ALL DEPENDS ${PKG_DIR}/${ns_pkg}.bin)
endforeach()
set(ns_img ${CMAKE_CURRENT_BINARY_DIR}/ns.img)
add_test(NAME qemu.ns_image COMMAND mkfs-capos format ${ns_img} 2M)
set_tests_properties(qemu.ns_image PROPERTIES FIXTURES_SETUP ns_disk LABELS qemu RESOURCE_LOCK ns_image)
set(ns_qemu -drive file=${ns_img},format=raw,if=none,id=d0 -device virtio-blk-pci,drive=d0,disable-legacy=on,addr=3)
capos_qemu_test(ns_bind --kernel ${KERNEL_ELF} --module ${PKG_DIR}/ns_bind.bin --timeout 120
  --forbid "nstest: FAILED"
  --expect "nstest: refused name with '/': invalid-argument (name contains '/')"
  --expect "nstest: refused name '..': invalid-argument (name is '.' or '..')"
  --expect "nstest: refused a path through '..': invalid-argument (name is '.' or '..')"
  --expect "nstest: refused a missing path: invalid-argument (no such entry)"
  --expect "nstest: refused a path through a file: invalid-argument (a path step names a file)"
  --expect "nstest: refused a file binding of a directory: invalid-argument (the path names a directory, not a file)"
  --expect "nstest: refused a directory binding of a file: invalid-argument (the path names a file, not a directory)"
  --expect "nstest: refused a file binding without a path: invalid-argument (a file binding needs a path)"
  --expect "nstest: refused a path of 17 names: invalid-argument (path has more than 16 names)"
  --expect "nstest: refused a 31-byte blob key: invalid-argument (a key is 32 bytes (SHA-256))"
  --expect "nstest: refused a 10 KiB name: invalid-argument (name longer than 255 bytes)"
  --expect "nstest: refused resolve of a name with NUL: invalid-argument (name contains NUL)"
  --expect "nstest: refused a list of 65: invalid-argument (maxEntries must be 1 to 64)"
  --expect "nstest: refused resolve of an unbound name: invalid-argument (no such binding)"
  --expect "nstest: refused unbind of an unbound name: invalid-argument (no such binding)"
  --expect "nstest: refused resolve of a removed entry: invalid-argument (the bound entry is gone)"
  --expect "nstest: refused resolve after unbind: invalid-argument (no such binding)"
  --expect "nstest: refused resolve outside the prefix: invalid-argument (no such binding)"
  --expect "nstest: refused a name that fits alone but not after the prefix: invalid-argument (name longer than 255 bytes)"
  --expect "nstest: app. names: cfg"
  --expect "nstest: refused prefix with '/': invalid-argument (prefix contains '/' or NUL)"
  --expect "nstest: refused bind on a read-only namespace: invalid-argument (read-only namespace)"
  --expect "nstest: refused unbind on a read-only namespace: invalid-argument (read-only namespace)"
  --expect "nstest: refused a writable sub of a read-only namespace: invalid-argument (read-only namespace)"
  --expect "nstest: refused closing the granted namespace: invalid-argument (a granted namespace stays open)"
  --expect "nstest: boot 1 names: app.cfg blob docs readme"
  --expect "nstest: all checks passed" --expect "init: nstest exited: code 0"
  --expect "process 1 (init) exited with status 0"
  -- ${ns_qemu})
set_tests_properties(qemu.ns_bind PROPERTIES FIXTURES_REQUIRED ns_disk FIXTURES_SETUP ns_bound
  RESOURCE_LOCK ns_image)
capos_qemu_test(ns_resolve --kernel ${KERNEL_ELF} --module ${PKG_DIR}/ns_resolve.bin --timeout 120
  --forbid "nstest: FAILED"
  --expect "nstest: boot 2 names: app.cfg blob docs readme"
  --expect "nstest: refused write through a read-only binding: invalid-argument (read-only file)"
  --expect "nstest: refused create in the resolved directory: invalid-argument (read-only directory)"
  --expect "nstest: refused stat of '..' in the resolved directory: invalid-argument (name is '.' or '..')"
  --expect "nstest: refused resolve of an entry that was never bound: invalid-argument (no such binding)"
  --expect "nstest: refused resolve of a path: invalid-argument (name contains '/')"
  --expect "nstest: refused bind on the granted read-only namespace: invalid-argument (read-only namespace)"
  --expect "nstest: boot 2: resolved boot 1's readme, app.cfg, docs and blob read-only"
  --expect "nstest: all checks passed" --expect "init: nstest exited: code 0"
  --expect "process 1 (init) exited with status 0"
  -- ${ns_qemu})
set_tests_properties(qemu.ns_resolve PROPERTIES FIXTURES_REQUIRED "ns_disk;ns_bound" RESOURCE_LOCK ns_image)
add_test(NAME qemu.ns_check COMMAND mkfs-capos check ${ns_img})
set_tests_properties(qemu.ns_check PROPERTIES FIXTURES_REQUIRED "ns_disk;ns_bound" DEPENDS qemu.ns_resolve
  RESOURCE_LOCK ns_image LABELS qemu PASS_REGULAR_EXPRESSION "consistent: generation [0-9]+, 6 files, 3 directories")

# ---- Directory grants: the manifest's `directory` cap source (user/init/spawn.cpp, user/tests/dirgrant.cpp) ----
# init narrows fsd's root to users/alice (writable) and users/alice/public
# (read-only) for dirgrant, which must use exactly those and reach nothing
# above; a grant of a missing directory stops that service with the reason.
capos_json_package(dir_grant qemu_test_package_dir_grant DEPENDS init vblk fsd dirgrant
  COMMENT "Test boot package: directory grants")
set(grant_img ${CMAKE_CURRENT_BINARY_DIR}/dir_grant.img)
add_test(NAME qemu.dir_grant_image
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/make_grant_image.sh $<TARGET_FILE:mkfs-capos> ${grant_img})
set_tests_properties(qemu.dir_grant_image PROPERTIES FIXTURES_SETUP grant_disk LABELS qemu
  RESOURCE_LOCK grant_image)
# init reports bob while dirgrant already runs: the two lines come from different processes,
# so their order is not part of the test.
capos_qemu_test(dir_grant --kernel ${KERNEL_ELF} --module ${PKG_DIR}/dir_grant.bin --timeout 120
  --forbid "dirgrant: FAILED"
  --expect-anywhere "init: cannot start bob: cap `home`: Directory.sub(`bob`) of `fsd`.`root` failed: invalid-argument (no such entry)"
  --expect "dirgrant: home holds: public/ notes"
  --expect "dirgrant: refused stat of '..': invalid-argument (name is '.' or '..')"
  --expect "dirgrant: refused sub '..': invalid-argument (name is '.' or '..')"
  --expect "dirgrant: refused open of '../secret': invalid-argument (name contains '/')"
  --expect "dirgrant: refused open of '/users/secret': invalid-argument (name contains '/')"
  --expect "dirgrant: refused open of the parent's 'secret' by its bare name: invalid-argument (no such entry)"
  --expect "dirgrant: refused sub '.': invalid-argument (name is '.' or '..')"
  --expect "dirgrant: refused rename into '..': invalid-argument (name is '.' or '..')"
  --expect "dirgrant: refused rename into '/users': invalid-argument (name contains '/')"
  --expect "dirgrant: refused rename to '../todo': invalid-argument (name contains '/')"
  --expect "dirgrant: refused create in the read-only grant: invalid-argument (read-only directory)"
  --expect "dirgrant: refused remove in the read-only grant: invalid-argument (read-only directory)"
  --expect "dirgrant: refused writable open in the read-only grant: invalid-argument (read-only directory)"
  --expect "dirgrant: refused sub '..' of the read-only grant: invalid-argument (name is '.' or '..')"
  --expect "dirgrant: all checks passed" --expect "init: dirgrant exited: code 0"
  --expect "process 1 (init) exited with status 0"
  -- -drive file=${grant_img},format=raw,if=none,id=d0 -device virtio-blk-pci,drive=d0,disable-legacy=on,addr=3)
set_tests_properties(qemu.dir_grant PROPERTIES FIXTURES_REQUIRED grant_disk RESOURCE_LOCK grant_image)

# ---- Directory grants through the launcher: the shell's `@home/a/b` and `ro @...` (user/shell/launch.cpp) ----
# The shell holds fsd's root as `home` and starts dirgrant (as in
# qemu.dir_grant) with users/alice and a read-only users/alice/public.
capos_json_package(launch_dir qemu_test_package_launch_dir DEPENDS init terminal vblk fsd launcher shell dirgrant lua hello
  COMMENT "Test boot package: directory grants through the launcher")
set(launch_img ${CMAKE_CURRENT_BINARY_DIR}/launch_dir.img)
add_test(NAME qemu.launch_dir_image
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/make_grant_image.sh $<TARGET_FILE:mkfs-capos> ${launch_img})
set_tests_properties(qemu.launch_dir_image PROPERTIES FIXTURES_SETUP launch_disk LABELS qemu
  RESOURCE_LOCK launch_image)
capos_qemu_test(launch_dir --kernel ${KERNEL_ELF} --module ${PKG_DIR}/launch_dir.bin --timeout 120
  --forbid "dirgrant: FAILED" --forbid "run: `lua` did not take"
  --input "capos> =>run \"dirgrant\" with { stdio: client @stdio, home: @home/users/bob, pub: ro @home }\\r"
  --expect "run: `home`: no directory `bob` below `home`: invalid-argument (no such entry)"
  --input "capos> =>run \"dirgrant\" with { stdio: client @stdio, home: @home/users/../users }\\r"
  --expect "run: column 63: a directory grant only descends: no '.' or '..'"
  --input "capos> =>run \"dirgrant\" with { stdio: client @stdio, home: @home/users/alice, pub: ro @home/users/alice/public }\\r"
  --expect "dirgrant: home holds: public/ notes"
  --expect "dirgrant: refused open of '../secret': invalid-argument (name contains '/')"
  --expect "dirgrant: refused create in the read-only grant: invalid-argument (read-only directory)"
  --expect "dirgrant: all checks passed" --expect "exited with code 0"
  --input "capos> =>cat users/alice/todo\\r" --expect "x"
  # Arguments after the binary name reach a C program's argv (the launcher
  # hands the shell the child's `args` endpoint); a program that does not
  # take them is named, and `spawn` refuses them.
  --input "capos> =>write t.lua print(('lua:%d:%s:%s:%d'):format(#arg,arg[0],arg[1],6*7))\\r" --expect "synced"
  --input "capos> =>run \"lua\" \"t.lua\" \"two words\" with { stdio: client @stdio, vm: new virtualMemory, cwd: @home }\\r"
  --expect "lua:1:t.lua:two words:42" --expect "exited with code 0"
  --input "capos> =>run \"lua\" \"nope.lua\" with { stdio: client @stdio, vm: new virtualMemory, cwd: @home }\\r"
  --expect "lua: cannot read nope.lua: " --expect "exited with code 1"
  --input "capos> =>run \"hello\" \"x\"\\r"
  --expect "run: `hello` did not take its arguments (disconnected)" --expect "exited with code 2"
  --input "capos> =>spawn \"lua\" \"t.lua\"\\r" --expect "spawn: only `run` passes arguments"
  --input "capos> =>exit\\r" --expect "init: all services ended" --expect "process 1 (init) exited with status 0"
  -- -drive file=${launch_img},format=raw,if=none,id=d0 -device virtio-blk-pci,drive=d0,disable-legacy=on,addr=3)
set_tests_properties(qemu.launch_dir PROPERTIES FIXTURES_REQUIRED launch_disk RESOURCE_LOCK launch_image)
