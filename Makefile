# Thin wrapper over Meson. Every target installs missing Debian packages first,
# so `make check` and `make demo` work as the first command on a fresh machine.
#   make            build (build/)
#   make check      all suites; unit again under ASan+UBSan; fuzz corpora under libFuzzer
#   make demo       build, then two agents behind NATs: status, ping, iperf3, goet across a cut
#   make fuzz       run every libFuzzer target for FUZZ_SECONDS (default 60)
#   make bench      every benchmark in bench/ (root), then docs/benchmarks.md and its plots;
#                   BENCH_QUICK=1: one short round (bench/all.sh)
#   make install    meson install (PREFIX, default /usr/local)
#   make deb        the riftgate and goet Debian packages, in build-deb/
#   make format     clang-format every C file in place
#   make clean      remove the build directories

FUZZ_SECONDS ?= 60
PREFIX ?= /usr/local
BUILD ?= build

.PHONY: all deps build check demo fuzz bench install deb format format-check clean

all: build

deps:
	@scripts/install-deps

build: deps
	@scripts/meson-setup $(BUILD) --prefix=$(PREFIX)
	ninja -C $(BUILD)

check: deps
	@scripts/check

demo: build
	@scripts/demo $(BUILD)

fuzz: deps
	@FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz

bench: build
	@bench/all.sh $(BUILD)

install: build
	meson install -C $(BUILD)

deb: deps
	@scripts/deb

format:
	@git ls-files -z '*.c' '*.h' | xargs -0 -r clang-format -i

format-check:
	@git ls-files -z '*.c' '*.h' | xargs -0 -r clang-format --dry-run --Werror

clean:
	rm -rf build build-asan build-fuzz build-cov build-deb
