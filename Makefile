# ringsmb front door. `make serve` and `make test` do all the set-up.
BUILD ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
PORT ?= 4445
SHARE ?= $(CURDIR)/demo-share

.PHONY: all build deps serve test test-asan unit interop bench clean fuzz-smoke fuzz fuzz-build \
        fuzz-capture

all: build

deps:
	@scripts/deps.sh build

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

serve: build
	@# Guests act as the guest account (nobody) when the server runs as root:
	@# a new demo share is writable by everyone, like /tmp.
	@[ -d "$(SHARE)" ] || { mkdir -p "$(SHARE)" && chmod 1777 "$(SHARE)"; }
	@echo
	@echo "Serving $(SHARE) as share 'demo' on 127.0.0.1:$(PORT) (guest access). Connect with:"
	@echo "  smbclient //127.0.0.1/demo -p $(PORT) -N"
	@echo "Stop with Ctrl-C."
	@echo
	exec $(BUILD)/ringsmbd --listen 127.0.0.1:$(PORT) --share demo="$(SHARE)" --guest

test:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The whole suite (unit and interop) against an AddressSanitizer +
# UndefinedBehaviorSanitizer build in build-asan. Not part of `make test`
# (the instrumented build takes about 10 minutes on 2 cores).
ASAN_BUILD ?= build-asan
test-asan:
	@scripts/deps.sh test
	@[ -f $(ASAN_BUILD)/build.ninja ] || cmake -S . -B $(ASAN_BUILD) -G Ninja \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRINGSMB_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)

unit: build
	cd $(BUILD) && ctest --output-on-failure -L unit -j $(JOBS)

interop: build
	@scripts/deps.sh test
	cd $(BUILD) && ctest --output-on-failure -L interop

# ringsmbd and Samba's smbd side by side on loopback (docs/performance.md);
# results in bench/out/. About 10 minutes after the build; QUICK=1 for a smoke test.
bench:
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory build
	BUILD=$(BUILD) bench/compare

# libFuzzer targets (fuzz/, docs/testing.md "Fuzzing"), built with clang
# in build-fuzz. fuzz-smoke runs each target FUZZ_SECONDS (default 60; seven
# targets), fuzz an hour each; both fail on any crash. FUZZ_TARGETS="a b"
# runs only those. Neither is part of `make test`. fuzz-capture (root)
# captures real traffic again and rewrites the seeds in fuzz/captured/.
FUZZ_BUILD ?= build-fuzz

fuzz-build:
	@scripts/deps.sh fuzz
	@[ -f $(FUZZ_BUILD)/build.ninja ] || cmake -S . -B $(FUZZ_BUILD) -G Ninja \
	  -DCMAKE_CXX_COMPILER=clang++ -DRINGSMB_FUZZ=ON -DRINGSMB_TESTS=OFF \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_all

fuzz-smoke: fuzz-build
	fuzz/run.sh $(FUZZ_BUILD) $(or $(FUZZ_SECONDS),60) $(FUZZ_TARGETS)

fuzz: fuzz-build
	fuzz/run.sh $(FUZZ_BUILD) $(or $(FUZZ_SECONDS),3600) $(FUZZ_TARGETS)

fuzz-capture: fuzz-build
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory build
	fuzz/capture.sh $(BUILD) $(FUZZ_BUILD)

clean:
	rm -rf $(BUILD)
