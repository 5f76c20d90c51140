# cmake -DPYTHON=... -DSCRIPT=... -DOUT=... -P expect_failure.cmake
# tools/gpu-peers --dry-run on a library that does not exist must fail the controlled way: exit status exactly 1
# (not a crash, not a traceback's status from an uncaught error), a JSON file written anyway, and the load
# failure named in it.
file(REMOVE ${OUT})
execute_process(COMMAND ${PYTHON} ${SCRIPT} --dry-run --lib ${CMAKE_CURRENT_LIST_DIR}/no-such-dir/libseqref_gpu_capi.so
                        --out ${OUT}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 1)
  message(FATAL_ERROR "expected exit status 1 from a dry run on a missing library; got '${rc}'")
endif()
if(NOT EXISTS ${OUT})
  message(FATAL_ERROR "the dry run on a missing library wrote no JSON (${OUT})")
endif()
file(READ ${OUT} json)
if(NOT json MATCHES "cannot load")
  message(FATAL_ERROR "${OUT} does not report the library load failure ('cannot load'):\n${json}")
endif()
message("ok: exit status 1, ${OUT} names the load failure")
