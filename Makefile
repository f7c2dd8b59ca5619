# The README's commands. Everything goes through CMake presets (CMakePresets.json).
#   make            install missing packages, build everything into build/
#   make test       ... and run the whole suite with ctest
#   make demo       ... start the embedded cluster and run `pgkit demo`
#   make test-sanitize   the suite under ASan+UBSan (build-sanitize/)
#   make test-tsan       the pool's tests under ThreadSanitizer (build-tsan/)
#   make format | lint | clean
PGKIT_WERROR ?= OFF
CMAKE_ARGS ?=
PGKIT := build/tools/pgkit/pgkit

.PHONY: all deps build test demo test-sanitize test-tsan format lint clean

all: build

deps:
	@scripts/install-deps

build: deps
	cmake --preset default -DPGKIT_WERROR=$(PGKIT_WERROR) $(CMAKE_ARGS) >/dev/null
	cmake --build --preset default

test: build
	ctest --preset default

demo: build
	$(PGKIT) db start
	$(PGKIT) demo

test-sanitize: deps
	cmake --preset sanitize -DPGKIT_WERROR=$(PGKIT_WERROR) $(CMAKE_ARGS) >/dev/null
	cmake --build --preset sanitize
	ctest --preset sanitize

# The pool's tests under ThreadSanitizer (build-tsan/).
test-tsan: deps
	cmake --preset tsan -DPGKIT_WERROR=$(PGKIT_WERROR) $(CMAKE_ARGS) >/dev/null
	cmake --build --preset tsan
	ctest --preset tsan

SOURCES = $(shell git ls-files '*.cpp' '*.hpp')

format:
	clang-format -i $(SOURCES)

# clang-tidy 16 (scripts/install-deps): 14 cannot parse std::source_location with libstdc++ 12.
CLANG_TIDY ?= clang-tidy-16

lint: build
	$(CLANG_TIDY) -p build --quiet $(filter %.cpp,$(SOURCES))

clean:
	rm -rf build build-sanitize build-tsan
