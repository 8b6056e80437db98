# Darner — build, run and test. `make run` and `make test` install whatever Debian packages are
# missing first, so both work on a fresh Debian 12 machine.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
JOBS ?= $(shell nproc)
PORT ?= 6379
PYTHON := /usr/bin/python3

APT_PACKAGES := g++ cmake ninja-build libasio-dev libabsl-dev libmimalloc-dev libxxhash-dev \
	libgtest-dev liburing-dev nlohmann-json3-dev redis-server redis-tools python3-pytest python3-redis \
	python3-hiredis clang-19 libclang-rt-19-dev clang-format-19 clang-tidy-19

.PHONY: deps build run test test-release test-asan test-tsan fuzz format lint clean

deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q "install ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing missing packages: $$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@# The ioredis cluster test runs on Node.js; use the machine's if it has one.
	@if ! command -v node >/dev/null || ! command -v npm >/dev/null; then \
		echo "Installing nodejs and npm"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null; \
	fi

# build/<mode>/ for mode in release, asan, tsan, fuzz. Every mode compiles with clang 19 and
# libstdc++ (docs/toolchain.md says why); a tree configured with another compiler needs
# `make clean` first.
CONFIGURE := CXX=clang++-19 cmake -S . -G Ninja
build/release/build.ninja:
	$(CONFIGURE) -B build/release -DCMAKE_BUILD_TYPE=Release
build/asan/build.ninja:
	$(CONFIGURE) -B build/asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDARNER_SANITIZE=asan
build/tsan/build.ninja:
	$(CONFIGURE) -B build/tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDARNER_SANITIZE=tsan
build/fuzz/build.ninja:
	$(CONFIGURE) -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDARNER_FUZZ=ON

build: deps build/release/build.ninja
	ninja -C build/release -j$(JOBS) darner

run: build
	./build/release/darner --port=$(PORT)

# Unit tests (ctest) and the black-box suite against one build mode.
define run_suite
	ninja -C build/$(1) -j$(JOBS)
	cd build/$(1) && ctest --output-on-failure -j$(JOBS)
	DARNER_BIN=$(CURDIR)/build/$(1)/darner $(2) $(PYTHON) -m pytest tests -q -p no:cacheprovider
endef

# The black-box suite again with --cluster_mode=emulated. Only the release run does this, to
# keep `make test` well inside its time budget (the rerun exercises reply shapes, not threads).
define run_emulated
	DARNER_BIN=$(CURDIR)/build/$(1)/darner DARNER_EXTRA_FLAGS=--cluster_mode=emulated $(2) \
		$(PYTHON) -m pytest tests -q -p no:cacheprovider
endef

# The black-box suite against a real redis-server (7.0, from Debian) instead of Darner: the tests
# must encode Redis's behaviour, not Darner's (darner_only tests are skipped).
define run_against_redis
	DARNER_TEST_TARGET=redis $(PYTHON) -m pytest tests -q -p no:cacheprovider
endef

test-release: deps build/release/build.ninja
	$(call run_suite,release,)
	$(call run_emulated,release,)
	$(call run_against_redis)

test-asan: deps build/asan/build.ninja
	$(call run_suite,asan,ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 UBSAN_OPTIONS=halt_on_error=1 DARNER_TEST_IO_TIMEOUT=30)

test-tsan: deps build/tsan/build.ninja
	$(call run_suite,tsan,TSAN_OPTIONS=halt_on_error=1 DARNER_TEST_IO_TIMEOUT=30)

# Each target runs from its seed corpus (fuzz/corpus/<name>) for FUZZ_SECONDS (RESP) or a
# third of it (the RDB payload decoder, a smaller input space).
fuzz: deps build/fuzz/build.ninja
	ninja -C build/fuzz -j$(JOBS) resp_parser_fuzz rdb_payload_fuzz
	mkdir -p build/fuzz/corpus/resp build/fuzz/corpus/rdb build/fuzz/artifacts
	cp fuzz/corpus/resp/* build/fuzz/corpus/resp/ && cp fuzz/corpus/rdb/* build/fuzz/corpus/rdb/
	./build/fuzz/fuzz/resp_parser_fuzz -max_total_time=$${FUZZ_SECONDS:-60} -max_len=4096 \
		-artifact_prefix=build/fuzz/artifacts/ -print_final_stats=1 build/fuzz/corpus/resp 2>&1 | tail -3
	./build/fuzz/fuzz/rdb_payload_fuzz -max_total_time=$$(( $${FUZZ_SECONDS:-60} / 3 )) -max_len=4096 \
		-artifact_prefix=build/fuzz/artifacts/ -print_final_stats=1 build/fuzz/corpus/rdb 2>&1 | tail -3

# The C++ sources under version control: what `format` rewrites and `lint` checks.
SOURCES = $(shell git ls-files '*.cc' '*.h')

# clang-format (.clang-format) over the whole tree.
format: deps
	clang-format-19 -i $(SOURCES)

# Formatting, then clang-tidy with the checks in .clang-tidy, over every source the release
# build compiles (headers through them). Any finding fails.
lint: deps build/release/build.ninja
	clang-format-19 --dry-run --Werror $(SOURCES)
	run-clang-tidy-19 -quiet -p build/release -j $(JOBS) \
		-source-filter='^$(CURDIR)/(src|bench|fuzz)/' 2>&1 | \
		{ grep -E 'warning:|error:' || true; } | sort -u | tee build/lint.log
	@test ! -s build/lint.log || { echo "clang-tidy: $$(wc -l < build/lint.log) findings"; exit 1; }

test: lint test-release test-asan test-tsan fuzz

clean:
	rm -rf build
