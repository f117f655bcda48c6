# The two commands a newcomer needs:
#   make dev    the whole system on one machine, on the embedded broker (`tributary dev`)
#   make test   the test suite
# `make setup` installs what a new Debian/Ubuntu machine lacks (run as root, or with sudo).

SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)

.PHONY: dev test setup setup-system setup-python bench-kafka

dev: setup
	swift run tributary dev

test: setup
	swift test

setup: setup-system setup-python

# librdkafka (and its mock cluster header) from the distribution.
setup-system:
	@pkg-config --exists rdkafka || ($(SUDO) apt-get update && $(SUDO) apt-get install -y librdkafka-dev pkg-config)

# Python packages of the interop tests (official stripe, standardwebhooks, confluent-kafka, cloudevents).
setup-python:
	@if [ -f Tests/Interop/requirements.txt ]; then python3 -m pip install -q -r Tests/Interop/requirements.txt; fi

bench-kafka: setup
	Benchmarks/kafka-bench.sh
