# bench.fs_linux_smoke: run fs_bench on the host in an empty directory of
# the build tree (--keep-cache: the host's page cache is left alone) and
# check that it prints all four rows with figures and `BENCH done` (its
# own read-back checks make a wrong answer fail the run).
file(REMOVE_RECURSE ${DIR})
file(MAKE_DIRECTORY ${DIR})
execute_process(COMMAND ${BENCH} ${DIR} --keep-cache
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc TIMEOUT 110)
file(REMOVE_RECURSE ${DIR})
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "fs_bench exited with ${rc}")
endif()
foreach(row fs_create_small fs_read_small)
  if(NOT out MATCHES "BENCH row=${row} iters=1000( busy_cycles_per_op=[0-9]+)? median_cycles=[0-9]+ p99_cycles=[0-9]+ ns=[0-9]+ ops_per_s=[0-9]+")
    message(FATAL_ERROR "row ${row} missing or without figures")
  endif()
endforeach()
foreach(row fs_write_seq fs_read_seq)
  if(NOT out MATCHES "BENCH row=${row} iters=8192( busy_cycles_per_op=[0-9]+)? median_cycles=[0-9]+ p99_cycles=[0-9]+ ns=[0-9]+ kib_per_s=[0-9]+")
    message(FATAL_ERROR "row ${row} missing or without figures")
  endif()
endforeach()
if(NOT out MATCHES "\nBENCH done\n")
  message(FATAL_ERROR "missing BENCH done")
endif()
