# bench.blk_linux_smoke: run blk_bench on the host against a 16 MiB file in
# the build tree (O_DIRECT works on the build filesystem) and check that it
# prints both rows with figures and `BENCH done`, or, where io_uring is
# disabled on the host (seccomp, io_uring_disabled), says so as status=na.
file(REMOVE ${IMG})
file(WRITE ${IMG} "")
execute_process(COMMAND truncate -s 16M ${IMG} RESULT_VARIABLE trc)
if(NOT trc EQUAL 0)
  message(FATAL_ERROR "cannot size ${IMG}")
endif()
execute_process(COMMAND ${BENCH} ${IMG} --wait-ms 0
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc TIMEOUT 50)
file(REMOVE ${IMG})
message("${out}${err}")
if(out MATCHES "status=na reason=io_uring_")
  return()
endif()
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "blk_bench exited with ${rc}")
endif()
if(NOT out MATCHES "BENCH row=blk_read_4k_random iters=400 median_cycles=[0-9]+ p99_cycles=[0-9]+ ns_per_read=[0-9]+ reads_per_s=[0-9]+")
  message(FATAL_ERROR "row blk_read_4k_random missing or without figures")
endif()
if(NOT out MATCHES "BENCH row=blk_read_seq_8k bytes=4194304 ns=[0-9]+ kib_per_s=[0-9]+")
  message(FATAL_ERROR "row blk_read_seq_8k missing or without figures")
endif()
if(NOT out MATCHES "\nBENCH done\n")
  message(FATAL_ERROR "missing BENCH done")
endif()
