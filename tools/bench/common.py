"""Shared by the bench tools: the repository root, logging and the pairing table."""

import os
import subprocess

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# ---------------------------------------------------------------------------
# The pairing table: the one place that says which capOS row is compared with
# which Linux row. (capOS row, Linux row, description). A capOS row may appear
# more than once. Rows absent from a guest's output show as `n/a — <reason>`.
PAIRS = [
    ("boot_to_init", "boot_to_init",
     "Boot to first user instruction (guest TSC since vCPU reset)"),
    ("boot_to_init_wall", "boot_to_init_wall",
     "Boot to first user instruction (host wall clock from QEMU spawn)"),
    ("kcall_trivial", "getppid",
     "Trivial kernel call (capOS: CALL to a trivial kernel cap)"),
    ("ring_nop_b1", "io_uring_nop_b1",
     "Ring NOP, batch 1: submit + enter + reap"),
    ("ring_nop_b32", "io_uring_nop_b32",
     "Ring NOP, batch 32, per op"),
    ("ring_nop_b16", "io_uring_nop_b32",
     "Ring NOP, full-SQ batch, per op (capOS SQ holds 16; Linux batch 32)"),
    ("endpoint_rtt", "pipe_rtt",
     "IPC round trip, 2 processes (capOS endpoint CALL→RECV→RETURN)"),
    ("endpoint_rtt", "unix_rtt",
     "IPC round trip, 2 processes, vs AF_UNIX stream"),
    ("endpoint_rtt_cap", "unix_rtt_scm",
     "IPC round trip transferring a cap (Linux: an fd via SCM_RIGHTS)"),
    ("park_rtt", "futex_rtt",
     "Thread wake/wait round trip, 2 threads (capOS PARK/UNPARK vs futex)"),
    ("thread_spawn_join", "pthread_create_join",
     "Start a thread that returns at once, then join it"),
    ("spawn_wait", "posix_spawn_wait",
     "Spawn + wait of a tiny static binary"),
    ("tsc_overhead", "tsc_overhead",
     "Timer overhead: empty lfence;rdtsc;lfence pair (not subtracted)"),
]

NA_NOT_IMPLEMENTED = "n/a — not implemented yet"


def log(msg):
    print(f"bench: {msg}", flush=True)


def run(cmd, **kw):
    log("$ " + " ".join(cmd))
    return subprocess.run(cmd, check=True, **kw)

