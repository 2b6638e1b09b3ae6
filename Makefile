# sluice developer entry points. Every target installs what is missing first.
#   make demo    - build, then run the reference IoT job end to end
#   make test    - build (release + ASan/UBSan), check formatting, run every test
#   make bench   - the reference-job benchmark (bench/README.md)
#   make bench-peers - sluice against Spark, Flink, Python, Quix Streams, DuckDB (bench/peers/)
.PHONY: all deps build build-asan test test-unit test-asan test-golden test-e2e \
        format format-check demo bench bench-peers clean

BUILD_DIR ?= build
ASAN_DIR ?= build-asan
JOBS ?= $(shell nproc)
PYTHON := .venv/bin/python
CMAKE_COMMON := -G Ninja -DSLUICE_PYTHON=$(CURDIR)/.venv/bin/python
# ccache keyed on paths relative to the checkout, so every clone shares one cache.
export CCACHE_DIR ?= $(HOME)/.cache/ccache
export CCACHE_BASEDIR ?= $(CURDIR)
export CCACHE_NOHASHDIR ?= true

all: build

deps:
	@scripts/deps.sh

$(BUILD_DIR)/build.ninja: | deps
	cmake -S . -B $(BUILD_DIR) $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD_DIR)/build.ninja
	ninja -C $(BUILD_DIR) -j $(JOBS)

$(ASAN_DIR)/build.ninja: | deps
	cmake -S . -B $(ASAN_DIR) $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=Debug -DSLUICE_SANITIZE=ON

build-asan: deps $(ASAN_DIR)/build.ninja
	ninja -C $(ASAN_DIR) -j $(JOBS)

format:
	@scripts/format.sh fix

format-check: deps
	@scripts/format.sh check

# Tests that need a real S3-compatible server get MinIO (scripts/s3-dev.sh) on its own
# port and data directory, started by each target that needs it and removed afterwards,
# pass or fail.
TEST_S3 := SLUICE_S3_PORT=39910 SLUICE_S3_DIR=/tmp/sluice-test-s3
TEST_S3_ENV := $(TEST_S3) SLUICE_TEST_S3_ENDPOINT=http://127.0.0.1:39910 SLUICE_TEST_S3_REQUIRED=1

test-unit: build
	@$(TEST_S3) scripts/s3-dev.sh clean && $(TEST_S3) scripts/s3-dev.sh start
	@$(TEST_S3_ENV) ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS); rc=$$?; \
	  $(TEST_S3) scripts/s3-dev.sh clean; exit $$rc

test-golden: build
	SLUICE_BIN=$(CURDIR)/$(BUILD_DIR)/sluice $(PYTHON) -m pytest -q tests/golden

# The end-to-end suite runs against a real Apache Kafka broker (scripts/kafka-dev.sh) and
# MinIO, started here on their own ports and data directories and removed afterwards,
# pass or fail.
TEST_KAFKA := SLUICE_KAFKA_PORT=39192 SLUICE_KAFKA_DIR=/tmp/sluice-e2e-kafka
test-e2e: build
	@$(TEST_KAFKA) scripts/kafka-dev.sh clean && $(TEST_KAFKA) scripts/kafka-dev.sh start
	@$(TEST_S3) scripts/s3-dev.sh clean && $(TEST_S3) scripts/s3-dev.sh start
	@$(TEST_KAFKA) $(TEST_S3) SLUICE_BIN=$(CURDIR)/$(BUILD_DIR)/sluice $(PYTHON) -m pytest -q tests/e2e; rc=$$?; \
	  $(TEST_KAFKA) scripts/kafka-dev.sh clean; $(TEST_S3) scripts/s3-dev.sh clean; exit $$rc

# The sanitizer build runs the unit tests and the golden suite (the 1M-event end-to-end
# test would take minutes under ASan and adds no coverage the golden suite lacks).
test-asan: build-asan
	@$(TEST_S3) scripts/s3-dev.sh clean && $(TEST_S3) scripts/s3-dev.sh start
	@$(TEST_S3_ENV) ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN_DIR) --output-on-failure -j $(JOBS); rc=$$?; \
	  $(TEST_S3) scripts/s3-dev.sh clean; exit $$rc
	ASAN_OPTIONS=detect_leaks=1 SLUICE_BIN=$(CURDIR)/$(ASAN_DIR)/sluice \
	  $(PYTHON) -m pytest -q tests/golden

test: format-check test-unit test-golden test-e2e test-asan

demo: build
	$(BUILD_DIR)/sluice demo

bench: build
	bench/run.sh

bench-peers: build
	bench/peers/run.sh

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)
