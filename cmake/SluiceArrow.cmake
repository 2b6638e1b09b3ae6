# Locates Arrow C++ and defines one interface target, `sluice::arrow`, carrying Arrow,
# Arrow compute, Parquet and Arrow's S3 filesystem.
#
# Order: a system Arrow (CMake package config, e.g. from apt.arrow.apache.org or conda)
# first; otherwise the C++ SDK bundled in the pyarrow wheel of SLUICE_PYTHON (the venv
# made by scripts/deps.sh). The wheel ships versioned shared objects only
# (libarrow.so.2600), so imported targets point at those files and the binaries get an
# RPATH to the wheel's directory.

set(SLUICE_PYTHON "${CMAKE_SOURCE_DIR}/.venv/bin/python" CACHE FILEPATH
    "Python whose pyarrow wheel provides Arrow C++ when no system Arrow is found")
option(SLUICE_USE_SYSTEM_ARROW "Look for a system Arrow before the pyarrow wheel" ON)

add_library(sluice_arrow INTERFACE)
add_library(sluice::arrow ALIAS sluice_arrow)

set(_sluice_arrow_found FALSE)
if(SLUICE_USE_SYSTEM_ARROW)
  find_package(Arrow 21 CONFIG QUIET)
  find_package(Parquet CONFIG QUIET)
  find_package(ArrowCompute CONFIG QUIET)
  if(Arrow_FOUND AND Parquet_FOUND AND ArrowCompute_FOUND)
    target_link_libraries(sluice_arrow INTERFACE Parquet::parquet_shared
                          ArrowCompute::arrow_compute_shared Arrow::arrow_shared)
    find_library(_sluice_arrow_s3 NAMES arrow_s3 HINTS ${ARROW_LIB_DIR})
    if(_sluice_arrow_s3)
      target_link_libraries(sluice_arrow INTERFACE ${_sluice_arrow_s3})
    endif()
    message(STATUS "sluice: using system Arrow ${Arrow_VERSION}")
    set(_sluice_arrow_found TRUE)
  endif()
endif()

if(NOT _sluice_arrow_found)
  if(NOT EXISTS "${SLUICE_PYTHON}")
    message(FATAL_ERROR "sluice: no system Arrow and no Python at ${SLUICE_PYTHON}; "
                        "run `make deps` (scripts/deps.sh) to create the venv with pyarrow")
  endif()
  execute_process(
    COMMAND "${SLUICE_PYTHON}" -c
            "import pyarrow as pa; print(pa.get_include()); print(pa.get_library_dirs()[0]); print(pa.__version__)"
    OUTPUT_VARIABLE _sluice_pa OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE _sluice_pa_rc ERROR_VARIABLE _sluice_pa_err)
  if(NOT _sluice_pa_rc EQUAL 0)
    message(FATAL_ERROR "sluice: cannot import pyarrow with ${SLUICE_PYTHON}: ${_sluice_pa_err}")
  endif()
  string(REPLACE "\n" ";" _sluice_pa "${_sluice_pa}")
  list(GET _sluice_pa 0 SLUICE_ARROW_INCLUDE_DIR)
  list(GET _sluice_pa 1 SLUICE_ARROW_LIB_DIR)
  list(GET _sluice_pa 2 SLUICE_ARROW_VERSION)
  string(REGEX MATCH "^([0-9]+)" _sluice_major "${SLUICE_ARROW_VERSION}")
  set(_sluice_so_suffix "${_sluice_major}00")

  foreach(_lib parquet arrow_compute arrow_s3 arrow)
    set(_path "${SLUICE_ARROW_LIB_DIR}/lib${_lib}.so.${_sluice_so_suffix}")
    if(NOT EXISTS "${_path}")
      message(FATAL_ERROR "sluice: ${_path} is missing from the pyarrow wheel")
    endif()
    add_library(sluice_wheel_${_lib} SHARED IMPORTED)
    set_target_properties(sluice_wheel_${_lib} PROPERTIES IMPORTED_LOCATION "${_path}")
    target_link_libraries(sluice_arrow INTERFACE sluice_wheel_${_lib})
  endforeach()
  # Arrow's headers are third-party code: SYSTEM keeps our -Werror off their warnings.
  target_include_directories(sluice_arrow SYSTEM INTERFACE "${SLUICE_ARROW_INCLUDE_DIR}")
  set(CMAKE_BUILD_RPATH "${SLUICE_ARROW_LIB_DIR}")
  message(STATUS "sluice: using Arrow ${SLUICE_ARROW_VERSION} from the pyarrow wheel at ${SLUICE_ARROW_LIB_DIR}")
endif()
