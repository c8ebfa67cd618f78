# The two commands of the README, and their parts.
.PHONY: demo test deps build unit integration e2e bench clean

demo: deps build
	scripts/demo

test: deps build
	scripts/test

deps:
	scripts/install-deps

build:
	scripts/build

unit: build
	cd build && ../scripts/with-postgres ../scripts/with-redis ctest --output-on-failure -j2

integration: build
	node --test --test-concurrency=1 tests/integration/

e2e: build
	cd tests/e2e && node --test --test-concurrency=1

bench: deps build
	bench/run

clean:
	rm -rf build
