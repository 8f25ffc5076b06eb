# ---- Issue 15: SchedulingContext (docs/scheduling.md, user/tests/schedtest.cpp) ----
# init mints `light` (weight 1), `heavy` (weight 4) and `capped` (20 ms per
# 100 ms) from its root context as the manifest's `schedule` entries say;
# schedtest measures the shares from the contexts' own accounting and
# checks that every escalation through mint is refused. The qemu_smp2 twin
# runs the same on two CPUs.
capos_json_package(sched_context qemu_test_package_sched DEPENDS init schedtest
  COMMENT "Test boot package: SchedulingContext weights, budget and mint refusals")
capos_qemu_test(sched_context --kernel ${KERNEL_ELF} --module ${PKG_DIR}/sched_context.bin --timeout 120
  --expect "schedtest: light: weight 1, budget 0 us per 0 us"
  --expect "schedtest: heavy: weight 4, budget 0 us per 0 us"
  --expect "schedtest: capped: weight 1, budget 20000 us per 100000 us"
  --expect "schedtest: root: weight 1024, budget 0 us per 0 us"
  --expect "schedtest: escalation refused 9 of 9, narrower mints accepted"
  --expect "schedtest: weight share ok"
  --expect "schedtest: budget share ok"
  --expect "schedtest: all checks passed"
  --forbid "schedtest: FAIL")

# ---- Issue 15: SMP stress (kernel/selftest_smp_stress.cpp, user/tests/smpstress.cpp) ----
# IPC with calls in flight, PARK/UNPARK ping-pong and map/unmap of a shared
# MemoryObject on threads of every CPU for 3 s of guest time, while victims
# calling the same server are spawned and killed. Every call is counted
# (answered, refused with a defined error, or LOST); two rounds end with
# exactly equal free frames and heap allocations. The qemu_smp2 twin is the
# `-smp 2 -accel tcg,thread=multi` run (PROCESSORS 2).
capos_qemu_test(smp_stress --kernel ${TEST_KERNEL_ELF} --module ${USER_DIR}/smpstress.elf
  --append "capos.test=smp_stress" --timeout 200
  --expect "LOST 0" --expect "smpstress: no lost completions"
  --expect "selftest smp_stress: second round"
  --expect "LOST 0" --expect "smpstress: no lost completions"
  --expect "selftest smp_stress: free frames" --expect "capOS: selftest smp_stress ok"
  --forbid "smpstress: FAILED")
add_dependencies(qemu_test_images smpstress)

# ---- Issue 15: binding at spawn (Service.runOn, SpawnRequest.runOn) ----
# schedhog never binds itself: it runs on `capped` (20 ms per 100 ms)
# because init spawned it with runOn, and a copy it spawns without runOn
# runs on the same context; both are held to the budget. A runOn naming
# no SchedulingContext grant is refused.
capos_json_package(sched_bind qemu_test_package_sched_bind DEPENDS init schedhog
  COMMENT "Test boot package: a hog bound to a budgeted context at spawn")
capos_qemu_test(sched_bind --kernel ${KERNEL_ELF} --module ${PKG_DIR}/sched_bind.bin --timeout 120
  --expect "schedhog: runOn binds at spawn"
  --expect "schedhog: a child inherits its spawner's context"
  --expect "schedhog: runOn naming no context grant refused"
  --expect "schedhog: all checks passed"
  --forbid "schedhog: FAIL")
