# bench.linux_smoke: run bench_linux with 20 iterations on the host and check
# that it prints every row (a figure or `status=na`) and `BENCH done`.
execute_process(COMMAND ${BENCH} --iters 20 --true ${TRUE}
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc TIMEOUT 50)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "bench_linux exited with ${rc}")
endif()
if(NOT out MATCHES "BENCH tsc_hz=[0-9]+")
  message(FATAL_ERROR "missing BENCH tsc_hz line")
endif()
# boot_to_init is n/a on the host (not booted as /init) and io_uring may be
# disabled on a CI host (seccomp, io_uring_disabled); those rows may say
# status=na. Every other row must produce figures.
foreach(row io_uring_nop_b1 io_uring_nop_b32 boot_to_init)
  if(NOT out MATCHES "BENCH row=${row} ")
    message(FATAL_ERROR "row ${row} missing")
  endif()
endforeach()
foreach(row tsc_overhead getppid pipe_rtt unix_rtt unix_rtt_scm futex_rtt pthread_create_join
            posix_spawn_wait)
  if(NOT out MATCHES "BENCH row=${row} iters=[0-9]+ median_cycles=[0-9]+ p99_cycles=[0-9]+")
    message(FATAL_ERROR "row ${row} missing or without figures")
  endif()
endforeach()
if(NOT out MATCHES "\nBENCH done\n")
  message(FATAL_ERROR "missing BENCH done")
endif()
