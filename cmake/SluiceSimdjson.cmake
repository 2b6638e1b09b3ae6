# simdjson as a static library with hidden symbols, from the upstream single-header
# amalgamation fetched by scripts/deps.sh into ~/.cache/sluice.
#
# Why not a shared libsimdjson: the pyarrow wheel's libparquet exports the symbols of
# its own bundled simdjson (another version). With two copies in one process, the
# dynamic linker binds our calls to whichever comes first — a crash in practice. A
# static copy with hidden visibility binds our calls at link time and exports nothing.
set(SLUICE_SIMDJSON_DIR "$ENV{HOME}/.cache/sluice/simdjson-3.0.1/singleheader" CACHE PATH
    "Directory holding simdjson.h and simdjson.cpp (the single-header amalgamation)")
if(NOT EXISTS "${SLUICE_SIMDJSON_DIR}/simdjson.cpp")
  message(FATAL_ERROR "sluice: ${SLUICE_SIMDJSON_DIR}/simdjson.cpp not found; run `make deps`")
endif()
add_library(sluice_simdjson STATIC "${SLUICE_SIMDJSON_DIR}/simdjson.cpp")
target_include_directories(sluice_simdjson SYSTEM PUBLIC "${SLUICE_SIMDJSON_DIR}")
set_target_properties(sluice_simdjson PROPERTIES CXX_VISIBILITY_PRESET hidden
                                                 VISIBILITY_INLINES_HIDDEN ON
                                                 POSITION_INDEPENDENT_CODE ON)
target_compile_definitions(sluice_simdjson PUBLIC SIMDJSON_THREADS_ENABLED=1)
# Keep every symbol of static archives out of the executables' dynamic symbol table.
target_link_options(sluice_simdjson INTERFACE "LINKER:--exclude-libs,ALL")
add_library(sluice::simdjson ALIAS sluice_simdjson)
