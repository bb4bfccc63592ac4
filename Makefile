# Entry points: `make run` (the word count over the built-in line source),
# `make test` (all tests), `make bench`. Each installs what it needs first.
BUILD ?= build
JOBS ?= 2

.PHONY: setup setup-test build run test bench clean
setup:
	@bash ./setup.sh
setup-test:
	@bash ./setup.sh --test
build: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)
run: build
	$(BUILD)/bin/network_wordcount --builtin-source --master local[2]
test: setup-test build
	cd $(BUILD) && ctest --output-on-failure -j1
bench: build
	bash bench/run.sh
clean:
	rm -rf $(BUILD)
