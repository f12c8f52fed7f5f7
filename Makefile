# Developer shortcuts; the scripts are the source of truth.
.PHONY: all debug asan fuzz test run clean
all:
	scripts/build release
debug:
	scripts/build debug
asan:
	scripts/build asan
fuzz:
	scripts/build fuzz
test:
	scripts/test
run:
	scripts/run
clean:
	rm -rf build build-debug build-asan build-fuzz
