# ---- Issue 21: persistent accounts and the audit log (docs/identity.md) ----
# Included from tests/qemu/CMakeLists.txt after the login tests (uses
# LOGIN_PW, KERNEL_ELF). The default system plus persist_overlay.cue: a
# virtio-blk disk under fsd, the credstore's `identity` directory on it and
# the HMAC key `credkey` in the boot package (target `credkey`,
# user/CMakeLists.txt).
capos_manifest(qemu_persist_package CUE ${CAPOS_ROOT}/system.cue OVERLAY ${CMAKE_CURRENT_SOURCE_DIR}/manifests/persist_overlay.cue
  BIN_DIR ${CMAKE_BINARY_DIR}/bin OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/packages/persist.bin
  DEPENDS init logd sysinfo manual launcher shell demo demo_crash manual_pages terminal credstore auditd lifecycle broker
    sessions session_probe threads_demo vblk fsd nvme credkey)

set(persist_img ${CMAKE_CURRENT_BINARY_DIR}/login_persist.img)
set(PERSIST_BOOT --kernel ${KERNEL_ELF} --module ${CMAKE_CURRENT_BINARY_DIR}/packages/persist.bin --timeout 120)
set(anchor_img ${CMAKE_CURRENT_BINARY_DIR}/login_anchor.img)
set(persist_qemu -drive file=${persist_img},format=raw,if=none,id=d0 -device virtio-blk-pci,drive=d0,disable-legacy=on,addr=3
  -drive file=${anchor_img},format=raw,if=none,id=a0 -device nvme,serial=anchor0,drive=a0,addr=4)
# The anchor device starts blank (all zero: generation 0).
add_test(NAME qemu.login_persist_image COMMAND sh -c "$<TARGET_FILE:mkfs-capos> format ${persist_img} 2M && truncate -s 0 ${anchor_img} && truncate -s 64K ${anchor_img}")
set_tests_properties(qemu.login_persist_image PROPERTIES FIXTURES_SETUP login_persist_disk LABELS qemu
  RESOURCE_LOCK login_persist_image)
# Boot 1: a fresh disk has no account file; `setup` enrolls op and commits it.
# auditd starts its stored chain.
capos_qemu_test(login_persist_setup ${PERSIST_BOOT} --forbid "persist-pw-1"
  --expect "fsd: mounted capos-fs v2" --expect-anywhere "auditd: audit.log verified: 0 records"
  --input "capos> =>setup op\\r" --input "new password> =>persist-pw-1\\r" --input "again> =>persist-pw-1\\r"
  --expect "audit: setup created the persistent operator account op" --expect "session 2: operator op"
  --input "op@capos> =>shutdown\\r" --expect "shutting down"
  -- ${persist_qemu})
set_tests_properties(qemu.login_persist_setup PROPERTIES FIXTURES_REQUIRED login_persist_disk
  FIXTURES_SETUP login_persist_enrolled RESOURCE_LOCK login_persist_image)
# Boot 2, same disk: the account is back, setup is refused, a wrong
# password is refused and the right one logs in. The audit chain goes on
# from boot 1's five records (through power off) and verifies end to end.
capos_qemu_test(login_persist_login ${PERSIST_BOOT} --forbid "persist-pw-1" --forbid "wrong-pw-3"
  --forbid "CHAIN BROKEN"
  --expect-anywhere "auditd: audit.log verified: 5 records"
  --expect-anywhere "credstore: anchor generation 1"
  --expect "credstore: 1 persistent account(s), generation 1"
  --input "capos> =>setup mallory\\r" --expect "setup: this machine already has accounts: use `login`"
  --input "capos> =>login op\\r" --input "password> =>wrong-pw-3\\r"
  --expect "audit: login failed for op" --expect "login: wrong user or password"
  --input "capos> =>login op\\r" --input "password> =>persist-pw-1\\r"
  --expect "audit: login ok for op (operator)" --expect "session 2: operator op"
  --input "op@capos> =>audit 20\\r" --expect "audit: 11 records (seq 0 to 10), chain verified, head "
  --expect "  #0 sessions: session 1 started: anonymous - with 2 capabilities"
  --expect "  #1 sessions: setup created the persistent operator account op"
  --expect "  #4 lifecycle: power off requested"
  --expect "  #7 sessions: login failed for op" --expect "  #8 sessions: login ok for op (operator)"
  --input "op@capos> =>shutdown\\r" --expect "shutting down"
  -- ${persist_qemu})
set_tests_properties(qemu.login_persist_login PROPERTIES FIXTURES_REQUIRED "login_persist_disk;login_persist_enrolled"
  FIXTURES_SETUP login_persist_used RESOURCE_LOCK login_persist_image)
# Replay: the generation-1 account file is kept aside, boot 3 changes op's
# password (`passwd`: generation 2, the anchor follows), and the kept file
# is put back. Its MAC is valid — the store wrote it — but it is older than
# the anchor: boot 4 loads nothing, the old password no longer logs in and
# setup stays refused. Without the anchor check the old password would work.
set(persist_gen1 ${CMAKE_CURRENT_BINARY_DIR}/login_persist_accounts.gen1)
add_test(NAME qemu.login_persist_keep COMMAND sh -c "$<TARGET_FILE:mkfs-capos> cat ${persist_img} identity/accounts > ${persist_gen1}")
set_tests_properties(qemu.login_persist_keep PROPERTIES FIXTURES_REQUIRED "login_persist_disk;login_persist_used"
  FIXTURES_SETUP login_persist_kept LABELS qemu RESOURCE_LOCK login_persist_image)
capos_qemu_test(login_persist_passwd ${PERSIST_BOOT} --forbid "persist-pw-1" --forbid "persist-pw-2" --forbid "wrong-pw-5"
  --input "capos> =>login op\\r" --input "password> =>persist-pw-1\\r" --expect "session 2: operator op"
  --input "op@capos> =>passwd\\r" --input "current password> =>wrong-pw-5\\r"
  --input "new password> =>persist-pw-2\\r" --input "again> =>persist-pw-2\\r"
  --expect "audit: password change failed for op: wrong password (failure 1" --expect "passwd: wrong password"
  --input "op@capos> =>passwd\\r" --input "current password> =>persist-pw-1\\r"
  --input "new password> =>persist-pw-2\\r" --input "again> =>persist-pw-2\\r"
  --expect "audit: password changed for op" --expect "passwd: password changed"
  --input "op@capos> =>logout\\r" --expect "logged out"
  --input "capos> =>login op\\r" --input "password> =>persist-pw-1\\r" --expect "login: wrong user or password"
  --input "capos> =>login op\\r" --input "password> =>persist-pw-2\\r" --expect "session 4: operator op"
  --input "op@capos> =>shutdown\\r" --expect "shutting down"
  -- ${persist_qemu})
set_tests_properties(qemu.login_persist_passwd PROPERTIES FIXTURES_REQUIRED "login_persist_disk;login_persist_kept"
  FIXTURES_SETUP login_persist_changed RESOURCE_LOCK login_persist_image)
add_test(NAME qemu.login_persist_replay COMMAND mkfs-capos put ${persist_img} identity/accounts ${persist_gen1})
set_tests_properties(qemu.login_persist_replay PROPERTIES FIXTURES_REQUIRED "login_persist_disk;login_persist_changed"
  FIXTURES_SETUP login_persist_replay_put LABELS qemu RESOURCE_LOCK login_persist_image)
capos_qemu_test(login_persist_replayed ${PERSIST_BOOT} --forbid "persist-pw-1"
  --expect-anywhere "credstore: the account file is older than the anchor (a replayed copy) (anchor generation 2): no accounts loaded, setup refused"
  --input "capos> =>login op\\r" --input "password> =>persist-pw-1\\r" --expect "login: wrong user or password"
  --input "capos> =>setup eve\\r" --expect "setup: the account store failed its integrity check: setup is disabled"
  --input "capos> =>exit\\r" --expect "init: all services ended"
  -- ${persist_qemu})
set_tests_properties(qemu.login_persist_replayed PROPERTIES FIXTURES_REQUIRED "login_persist_disk;login_persist_replay_put"
  FIXTURES_SETUP login_persist_replay_seen RESOURCE_LOCK login_persist_image)

# Offline, without the key: op's verifier replaced by one for a password
# the attacker chose, and one letter of the audit record of the failed
# login changed. Boot 3 refuses the whole account file: neither password
# logs in, and setup stays refused (a damaged store does not reopen the
# machine); auditd finds its chain broken at that record, keeps the file as
# audit.broken and starts a new chain saying so.
add_test(NAME qemu.login_persist_forge
  COMMAND sh -c "${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/forge_account.py $<TARGET_FILE:mkfs-capos> ${persist_img} identity/accounts forged-pw-1 && ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/tamper_audit.py $<TARGET_FILE:mkfs-capos> ${persist_img} audit/audit.log \"login failed for op\"")
set_tests_properties(qemu.login_persist_forge PROPERTIES FIXTURES_REQUIRED "login_persist_disk;login_persist_replay_seen"
  FIXTURES_SETUP login_persist_forged LABELS qemu RESOURCE_LOCK login_persist_image)
capos_qemu_test(login_persist_forged ${PERSIST_BOOT}
  --expect-anywhere "auditd: audit.log FAILED verification at record 7 (its hash does not chain): kept as audit.broken, a new chain starts"
  --expect "credstore: the account file failed its check (the MAC does not match"
  --input "capos> =>login op\\r" --input "password> =>forged-pw-1\\r" --expect "login: wrong user or password"
  --input "capos> =>setup eve\\r" --expect "setup: the account store failed its integrity check: setup is disabled"
  --input "capos> =>exit\\r" --expect "init: all services ended"
  -- ${persist_qemu})
set_tests_properties(qemu.login_persist_forged PROPERTIES FIXTURES_REQUIRED "login_persist_disk;login_persist_forged"
  FIXTURES_SETUP login_persist_booted RESOURCE_LOCK login_persist_image)
# The broken chain stays on the disk as evidence, next to the new one.
add_test(NAME qemu.login_persist_evidence COMMAND mkfs-capos ls ${persist_img})
set_tests_properties(qemu.login_persist_evidence PROPERTIES FIXTURES_REQUIRED "login_persist_disk;login_persist_booted"
  LABELS qemu RESOURCE_LOCK login_persist_image PASS_REGULAR_EXPRESSION "audit/audit\\.broken.*audit/audit\\.log|audit/audit\\.log.*audit/audit\\.broken"
  FIXTURES_SETUP login_persist_checked)
# A consistent rewrite: offline, one letter of boot 3's record of the failed
# login is changed and the SHA-256 chain recomputed from there on, so every
# link verifies again. Only the records' MACs (auditkey, never on the disk)
# can tell: boot 4 refuses the chain at that record for its MAC. Without
# the MAC this chain would load whole.
add_test(NAME qemu.login_persist_rehash
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/tamper_audit.py --rehash $<TARGET_FILE:mkfs-capos> ${persist_img} audit/audit.log "login failed for op")
set_tests_properties(qemu.login_persist_rehash PROPERTIES FIXTURES_REQUIRED "login_persist_disk;login_persist_checked"
  FIXTURES_SETUP login_persist_rehashed LABELS qemu RESOURCE_LOCK login_persist_image)
capos_qemu_test(login_persist_rehashed ${PERSIST_BOOT}
  --expect-anywhere "(its MAC is not auditd's key's): kept as audit.broken, a new chain starts"
  --input "capos> =>exit\\r" --expect "init: all services ended"
  -- ${persist_qemu})
set_tests_properties(qemu.login_persist_rehashed PROPERTIES FIXTURES_REQUIRED "login_persist_disk;login_persist_rehashed"
  FIXTURES_SETUP login_persist_rehash_seen RESOURCE_LOCK login_persist_image)
# Deleting the account file offline (the anchor, on its own device, still
# counts generation 2, the password change): without the anchor this is a fresh
# machine and `setup` would enroll a new operator. The store stays locked.
add_test(NAME qemu.login_persist_delete COMMAND mkfs-capos rm ${persist_img} identity/accounts)
set_tests_properties(qemu.login_persist_delete PROPERTIES FIXTURES_REQUIRED "login_persist_disk;login_persist_rehash_seen"
  FIXTURES_SETUP login_persist_deleted LABELS qemu RESOURCE_LOCK login_persist_image)
capos_qemu_test(login_persist_deleted ${PERSIST_BOOT}
  --expect-anywhere "credstore: the account file is missing, but the anchor counts a committed one (anchor generation 2): no accounts loaded, setup refused"
  --input "capos> =>setup eve\\r" --expect "setup: the account store failed its integrity check: setup is disabled"
  --input "capos> =>exit\\r" --expect "init: all services ended"
  -- ${persist_qemu})
set_tests_properties(qemu.login_persist_deleted PROPERTIES FIXTURES_REQUIRED "login_persist_disk;login_persist_deleted"
  RESOURCE_LOCK login_persist_image)

# The AuditLog (auditd): a failed and a successful login are records of a
# hash chain the operator's `audit` command reads and verifies end to end;
# the anonymous bundle has no `audit`. Writers cannot choose their source:
# every record here says `sessions`.
capos_qemu_test(login_audit ${LOGIN_BOOT} --forbid "wrong-pw-4" --forbid "CHAIN BROKEN"
  --input "capos> =>audit\\r" --expect "audit: no `audit` capability in this session"
  --input "capos> =>login op\\r" --input "password> =>wrong-pw-4\\r" --expect "login: wrong user or password"
  --input "capos> =>login op\\r" --input "password> =>${LOGIN_PW}\\r" --expect "session 2: operator op"
  --input "op@capos> =>audit 20\\r" --expect "audit: 5 records (seq 0 to 4), chain verified, head "
  --expect "  #0 sessions: session 1 started: anonymous - with 2 capabilities"
  --expect "  #1 sessions: login failed for op (failure 1, next check delayed 1000 ms)"
  --expect "  #2 sessions: login ok for op (operator)"
  --expect "  #3 sessions: session 1 (anonymous -) ended, its capabilities are revoked"
  --expect "  #4 sessions: session 2 started: operator op with 11 capabilities"
  --input "op@capos> =>shutdown\\r" --expect "shutting down")

# Keys reach only the service the manifest names (docs/identity.md, "Keys"):
# `plain` holds a BootPackage with no secret, `keyed` one narrowed to
# credkey. Neither finds auditkey, only `keyed` reads credkey, both read
# ordinary data, and neither can narrow again (init's BootPackage is the
# only one that narrows). Without the kernel's check every line with READ
# or GRANTED for a key below appears and the test fails.
add_custom_command(OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/packages/boot_secrets.bin
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_CURRENT_BINARY_DIR}/packages
  COMMAND mkmanifest --bin-dir ${CMAKE_BINARY_DIR}/bin -o ${CMAKE_CURRENT_BINARY_DIR}/packages/boot_secrets.bin
          ${CMAKE_CURRENT_SOURCE_DIR}/manifests/boot_secrets.json
  DEPENDS init bootpeek manual_pages credkey mkmanifest ${CMAKE_CURRENT_SOURCE_DIR}/manifests/boot_secrets.json
  COMMENT "Test boot package: secrets only for the service that names them")
add_custom_target(qemu_boot_secrets_package ALL DEPENDS ${CMAKE_CURRENT_BINARY_DIR}/packages/boot_secrets.bin)
capos_qemu_test(boot_secrets --kernel ${KERNEL_ELF} --module ${CMAKE_CURRENT_BINARY_DIR}/packages/boot_secrets.bin --timeout 60
  --forbid "bootpeek plain: credkey: READ" --forbid "bootpeek plain: auditkey: READ" --forbid "bootpeek keyed: auditkey: READ"
  --forbid "GRANTED"
  --expect-anywhere "bootpeek plain: manual.pages: READ 32 bytes"
  --expect-anywhere "bootpeek plain: credkey: cannot find it (not-found)"
  --expect-anywhere "bootpeek plain: auditkey: cannot find it (not-found)"
  --expect-anywhere "bootpeek plain: narrow(credkey) refused: invalid-argument (permission-denied)"
  --expect-anywhere "bootpeek keyed: manual.pages: READ 32 bytes"
  --expect-anywhere "bootpeek keyed: credkey: READ 32 bytes"
  --expect-anywhere "bootpeek keyed: auditkey: cannot find it (not-found)"
  --expect-anywhere "bootpeek keyed: narrow(credkey) refused: invalid-argument (permission-denied)"
  --expect "init: all services ended")

# auditd gone (the overlay runs a program that dies at once in its place):
# sessions still work (their records fail), and `shutdown` still powers off
# — the lifecycle service records the request on its kernel LogSink instead
# of the dead AuditLog. Fail-closed for a dead auditd would leave the
# machine unable to power off; a refusal by a live auditd still blocks it.
capos_manifest(qemu_audit_gone_package CUE ${CAPOS_ROOT}/system.cue OVERLAY ${CMAKE_CURRENT_SOURCE_DIR}/manifests/audit_gone_overlay.cue
  BIN_DIR ${CMAKE_BINARY_DIR}/bin OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/packages/audit_gone.bin
  DEPENDS init logd sysinfo manual launcher shell demo demo_crash manual_pages terminal credstore lifecycle broker
    sessions session_probe threads_demo netd lua)
capos_qemu_test(lifecycle_audit_gone --kernel ${KERNEL_ELF} --module ${CMAKE_CURRENT_BINARY_DIR}/packages/audit_gone.bin --timeout 90
  --expect-anywhere "init: auditd exited: page fault"
  --input "capos> =>setup op\\r" --input "new password> =>gone-pw-1\\r" --input "again> =>gone-pw-1\\r"
  --expect "session 2: operator op"
  --input "op@capos> =>shutdown\\r"
  --expect "lifecycle: the AuditLog is gone (auditd ended): power off requested, recorded here only"
  --expect "capOS: power off requested by lifecycle")

# passwd refuses what it cannot change: an anonymous session, and a seed
# account from the manifest (its verifier is the manifest's; after the
# right current password the store says so and nothing changes).
capos_qemu_test(login_passwd_refused ${LOGIN_BOOT} --forbid "${LOGIN_PW}" --forbid "seed-new-1"
  --input "capos> =>passwd\\r" --expect "passwd: log in to an account first"
  ${LOGIN_OP}
  --input "op@capos> =>passwd\\r" --input "current password> =>${LOGIN_PW}\\r"
  --input "new password> =>seed-new-1\\r" --input "again> =>seed-new-1\\r"
  --expect "passwd: a seed account: its password changes in the manifest"
  --input "op@capos> =>logout\\r" --expect "logged out"
  --input "capos> =>login op\\r" --input "password> =>${LOGIN_PW}\\r" --expect "session 4: operator op"
  --input "op@capos> =>shutdown\\r" --expect "shutting down")

# More than one account (`adduser`), on its own disk and anchor. Boot 1:
# setup enrolls op; op adds alice as an operator (a new generation of the
# account file); a duplicate, a bad name, a guest on a machine without a
# guest bundle and mismatched entries are refused and change nothing; an
# anonymous session is refused. Boot 2, same disk: both accounts are back
# (generation 2) and alice logs in with her password.
set(adduser_img ${CMAKE_CURRENT_BINARY_DIR}/login_adduser.img)
set(adduser_anchor ${CMAKE_CURRENT_BINARY_DIR}/login_adduser_anchor.img)
set(adduser_qemu -drive file=${adduser_img},format=raw,if=none,id=d0 -device virtio-blk-pci,drive=d0,disable-legacy=on,addr=3
  -drive file=${adduser_anchor},format=raw,if=none,id=a0 -device nvme,serial=anchor0,drive=a0,addr=4)
add_test(NAME qemu.login_adduser_image COMMAND sh -c "$<TARGET_FILE:mkfs-capos> format ${adduser_img} 2M && truncate -s 0 ${adduser_anchor} && truncate -s 64K ${adduser_anchor}")
set_tests_properties(qemu.login_adduser_image PROPERTIES FIXTURES_SETUP login_adduser_disk LABELS qemu
  RESOURCE_LOCK login_adduser_image)
capos_qemu_test(login_adduser_add ${PERSIST_BOOT} --forbid "adduser-pw-1" --forbid "alice-pw-1" --forbid "alice-pw-2"
  --expect-anywhere "credstore: 0 persistent account(s), generation 0"
  --input "capos> =>adduser eve operator\\r" --expect "audit: adduser eve refused: session 1 is not an operator's"
  --expect "adduser: only an operator session can add accounts"
  --input "capos> =>setup op\\r" --input "new password> =>adduser-pw-1\\r" --input "again> =>adduser-pw-1\\r"
  --expect "session 2: operator op"
  --input "op@capos> =>adduser alice operator\\r" --input "new password> =>alice-pw-1\\r" --input "again> =>alice-pw-1\\r"
  --expect "audit: op added the persistent operator account alice" --expect "adduser: added alice (operator)"
  --input "op@capos> =>adduser alice operator\\r" --input "new password> =>alice-pw-2\\r" --input "again> =>alice-pw-2\\r"
  --expect "audit: adduser alice by op refused: the user exists" --expect "adduser: the user exists"
  --input "op@capos> =>adduser op operator\\r" --input "new password> =>alice-pw-2\\r" --input "again> =>alice-pw-2\\r"
  --expect "adduser: the user exists"
  --input "op@capos> =>adduser bad/name\\r" --expect "adduser: a user name is 1 to 32 letters, digits, '-', '_' or '.'"
  --input "op@capos> =>adduser bob root\\r" --expect "adduser: the role is operator or guest"
  --input "op@capos> =>adduser bob\\r" --expect "adduser: this machine has no guest bundle (#allowGuest)"
  --input "op@capos> =>adduser bob operator\\r" --input "new password> =>alice-pw-1\\r" --input "again> =>alice-pw-2\\r"
  --expect "adduser: the passwords were empty or did not match"
  --input "op@capos> =>logout\\r" --expect "logged out"
  --input "capos> =>adduser bob operator\\r" --expect "audit: adduser bob refused: session 3 is not an operator's"
  --expect "adduser: only an operator session can add accounts"
  --input "capos> =>exit\\r" --expect "init: all services ended"
  -- ${adduser_qemu})
set_tests_properties(qemu.login_adduser_add PROPERTIES FIXTURES_REQUIRED login_adduser_disk
  FIXTURES_SETUP login_adduser_added RESOURCE_LOCK login_adduser_image)
capos_qemu_test(login_adduser_login ${PERSIST_BOOT} --forbid "adduser-pw-1" --forbid "alice-pw-1" --forbid "alice-pw-2"
  --expect-anywhere "credstore: anchor generation 2"
  --expect "credstore: 2 persistent account(s), generation 2"
  --input "capos> =>login bob\\r" --input "password> =>alice-pw-1\\r" --expect "login: wrong user or password"
  --input "capos> =>login alice\\r" --input "password> =>alice-pw-2\\r" --expect "login: wrong user or password"
  --input "capos> =>login alice\\r" --input "password> =>alice-pw-1\\r"
  --expect "audit: login ok for alice (operator)" --expect "session 2: operator alice"
  --input "alice@capos> =>whoami\\r" --expect "alice (operator, session 2)"
  --input "alice@capos> =>logout\\r" --expect "logged out"
  --input "capos> =>login op\\r" --input "password> =>adduser-pw-1\\r" --expect "session 4: operator op"
  --input "op@capos> =>shutdown\\r" --expect "shutting down"
  -- ${adduser_qemu})
set_tests_properties(qemu.login_adduser_login PROPERTIES FIXTURES_REQUIRED "login_adduser_disk;login_adduser_added"
  RESOURCE_LOCK login_adduser_image)

# Session expiry: with SESSION_LIFETIME_S=5 in the sessions service's env,
# op's session is revoked 5 s after setup logged it in, like a logout:
# audited, its bundle stale (an operator command fails), whoami anonymous.
capos_manifest(qemu_expiry_package CUE ${CAPOS_ROOT}/system.cue OVERLAY ${CMAKE_CURRENT_SOURCE_DIR}/manifests/expiry_overlay.cue
  BIN_DIR ${CMAKE_BINARY_DIR}/bin OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/packages/expiry.bin
  DEPENDS init logd sysinfo manual launcher shell demo demo_crash manual_pages terminal credstore auditd lifecycle broker
    sessions session_probe threads_demo netd lua)
capos_qemu_test(login_expiry --kernel ${KERNEL_ELF} --module ${CMAKE_CURRENT_BINARY_DIR}/packages/expiry.bin --timeout 90
  --forbid "expiry-pw-1"
  --expect-anywhere "sessions: guest and operator sessions expire after 5 s"
  --input "capos> =>setup op\\r" --input "new password> =>expiry-pw-1\\r" --input "again> =>expiry-pw-1\\r"
  --expect "session 2: operator op"
  --input "op@capos> =>whoami\\r" --expect "op (operator, session 2)"
  --expect "audit: session 2 (operator op) expired after its lifetime of 5 s"
  --expect "audit: session 2 (operator op) ended, its capabilities are revoked"
  --input "its capabilities are revoked=>audit 1\\r" --expect "audit: failed: disconnected"
  --input "op@capos> =>whoami\\r" --expect "anonymous (anonymous, session 0)"
  --input "op@capos> =>exit\\r" --expect "init: all services ended")
capos_manifest(qemu_expiry_bad_package CUE ${CAPOS_ROOT}/system.cue OVERLAY ${CMAKE_CURRENT_SOURCE_DIR}/manifests/expiry_bad_overlay.cue
  BIN_DIR ${CMAKE_BINARY_DIR}/bin OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/packages/expiry_bad.bin
  DEPENDS init logd sysinfo manual launcher shell demo demo_crash manual_pages terminal credstore auditd lifecycle broker
    sessions session_probe threads_demo netd lua)
capos_qemu_test(login_expiry_bad --kernel ${KERNEL_ELF} --module ${CMAKE_CURRENT_BINARY_DIR}/packages/expiry_bad.bin --timeout 60
  --expect-anywhere "sessions: SESSION_LIFETIME_S is 1 to 86400 seconds: not serving"
  --expect-anywhere "init: sessions exited"
  --input "capos> =>exit\\r" --expect "init: all services ended")
