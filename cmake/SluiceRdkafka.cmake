# Locates librdkafka and defines `sluice::rdkafka`.
#
# The library comes from the pinned confluent-kafka wheel in SLUICE_PYTHON's venv
# (librdkafka 2.16, self-contained: SSL, SASL, zstd and lz4 linked in), the headers from
# Debian's librdkafka-dev. Debian bookworm's own librdkafka 2.0.2 loses a consumer's
# whole cooperative assignment when an offset commit races the group's rejoin
# (librdkafka issue #4059, fixed in 2.10): sluice commits after every trigger, so that
# bug would turn every rebalance into replays. librdkafka keeps its C ABI backward
# compatible, and the 2.0.2 headers declare a subset of the 2.16 API. Without the wheel
# (SLUICE_RDKAFKA_FROM_WHEEL=OFF) the system library is used. See docs/decisions.md.

option(SLUICE_RDKAFKA_FROM_WHEEL "Use the librdkafka bundled in the confluent-kafka wheel" ON)
pkg_check_modules(RDKAFKA REQUIRED rdkafka)

add_library(sluice_rdkafka INTERFACE)
add_library(sluice::rdkafka ALIAS sluice_rdkafka)
target_include_directories(sluice_rdkafka SYSTEM INTERFACE ${RDKAFKA_INCLUDE_DIRS})

set(_sluice_rdkafka_lib "")
if(SLUICE_RDKAFKA_FROM_WHEEL AND EXISTS "${SLUICE_PYTHON}")
  execute_process(
    COMMAND "${SLUICE_PYTHON}" -c
            "import confluent_kafka, glob, os; d = os.path.join(os.path.dirname(os.path.dirname(confluent_kafka.__file__)), 'confluent_kafka.libs'); print(sorted(glob.glob(os.path.join(d, 'librdkafka*.so*')))[0]); print(confluent_kafka.libversion()[0])"
    OUTPUT_VARIABLE _sluice_rk OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE _sluice_rk_rc ERROR_QUIET)
  if(_sluice_rk_rc EQUAL 0)
    string(REPLACE "\n" ";" _sluice_rk "${_sluice_rk}")
    list(GET _sluice_rk 0 _sluice_rdkafka_lib)
    list(GET _sluice_rk 1 SLUICE_RDKAFKA_VERSION)
  endif()
endif()

if(_sluice_rdkafka_lib)
  add_library(sluice_wheel_rdkafka SHARED IMPORTED)
  set_target_properties(sluice_wheel_rdkafka PROPERTIES IMPORTED_LOCATION "${_sluice_rdkafka_lib}")
  target_link_libraries(sluice_rdkafka INTERFACE sluice_wheel_rdkafka)
  get_filename_component(_sluice_rdkafka_dir "${_sluice_rdkafka_lib}" DIRECTORY)
  list(APPEND CMAKE_BUILD_RPATH "${_sluice_rdkafka_dir}")
  message(STATUS "sluice: using librdkafka ${SLUICE_RDKAFKA_VERSION} from the confluent-kafka wheel")
else()
  target_link_libraries(sluice_rdkafka INTERFACE ${RDKAFKA_LINK_LIBRARIES})
  message(WARNING "sluice: using the system librdkafka ${RDKAFKA_VERSION}; versions before 2.10 can lose "
                  "consumer-group assignments during rebalances (librdkafka issue #4059)")
endif()
