# The commands a newcomer needs:
#   make dev        the whole system on one machine, on the embedded broker (`tributary dev`)
#   make test       the whole test suite (swift test)
#   make test-fast  the tests that start no processes, Python or browser (TRIBUTARY_FAST=1), in under a minute
# `make setup` installs what a new Debian/Ubuntu machine lacks (run as root, or with sudo).

SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
# The interop tests' Python packages live in a virtual environment: Debian's own python3 refuses
# `pip install` outside one. The Swift tests run .venv/bin/python3 when it exists.
VENV := .venv
PYTHON ?= python3

.PHONY: dev test test-fast test-slow setup setup-system setup-python setup-browser bench-kafka format lint

# No Python needed: the system runs without it.
dev: setup-system
	swift run tributary dev

# At most TEST_WIDTH tests run at once in the test process (swift-testing's own setting): with every
# test at once, a loaded 2-core machine (a build beside it) ran some so slowly that their 30 s waits
# ran out; 16 at once passed there, in about the same wall time.
TEST_WIDTH ?= 16

test: setup
	SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=$(TEST_WIDTH) swift test

# Also the tests tagged slow (Tests/TestSupport/Tags.swift): `tributary init`'s package built from scratch.
test-slow: setup
	TRIBUTARY_SLOW=1 SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=$(TEST_WIDTH) swift test --filter InitTemplateTests

# Leaves out what is tagged processes, python or browser (Tests/TestSupport/Tags.swift), in
# parallel shards (Tests/test-fast.sh says why).
test-fast: setup-system
	swift build --build-tests
	Tests/test-fast.sh

setup: setup-system setup-python setup-browser

# Debian's Chromium and its driver, for the console's browser test (Tests/ConsoleTests/ConsoleBrowserTests.swift).
setup-browser:
	@[ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] || ($(SUDO) apt-get update && $(SUDO) apt-get install -y chromium chromium-driver)

# librdkafka (and its mock cluster header) from the distribution.
setup-system:
	@pkg-config --exists rdkafka || ($(SUDO) apt-get update && $(SUDO) apt-get install -y librdkafka-dev pkg-config)

# Python packages of the interop tests (official stripe, standardwebhooks, confluent-kafka, cloudevents),
# in $(VENV); reinstalled when requirements.txt changes.
setup-python: $(VENV)/.requirements-installed

$(VENV)/.requirements-installed: Tests/Interop/requirements.txt
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || ($(SUDO) apt-get update && $(SUDO) apt-get install -y python3-venv)
	@[ -x $(VENV)/bin/python3 ] || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python3 -m pip install -q -r Tests/Interop/requirements.txt
	@touch $@

bench-kafka: setup
	Benchmarks/kafka-bench.sh

# Formatting with the toolchain's swift-format and the repository's .swift-format.
FORMATTED := Shared Services Tests Benchmarks Package.swift

format:
	swift format format --in-place --recursive $(FORMATTED)

lint:
	swift format lint --strict --recursive $(FORMATTED)
