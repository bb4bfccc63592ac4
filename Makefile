# Entry points: `make run` (the word count over the built-in line source),
# `make test` (all tests), `make test-unit` (the fast in-process tests),
# `make bench`. Each installs what it needs first; `make run` builds only the
# word count, so a first run does not wait for the tests to compile.
BUILD ?= build
JOBS ?= 2

.PHONY: setup setup-test configure build run test test-unit bench clean
setup:
	@bash ./setup.sh
setup-test:
	@bash ./setup.sh --test
configure: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
build: configure
	@cmake --build $(BUILD) -j$(JOBS)
run: configure
	@cmake --build $(BUILD) -j$(JOBS) --target network_wordcount
	$(BUILD)/bin/network_wordcount --builtin-source --master local[2]
test: setup-test build
	cd $(BUILD) && ctest --output-on-failure -j1
test-unit: setup-test build
	cd $(BUILD) && ctest --output-on-failure -j2 -L unit
bench: build
	bash bench/run.sh
clean:
	rm -rf $(BUILD)
