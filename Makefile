# baocao — make demo | make test (each does all set-up: .venv from uv.lock)
SHELL := /bin/bash
# uv: $UV if set and not empty, else on PATH, else where pip put it (pyenv: no shim until a rehash)
ifeq ($(strip $(UV)),)
UV := $(shell command -v uv 2>/dev/null || python3 -c 'import uv; print(uv.find_uv_bin())' 2>/dev/null || echo $(HOME)/.local/bin/uv)
endif
VENV := .venv
BAOCAO := $(VENV)/bin/baocao
# The suite runs in parallel (pytest-xdist, one worker per CPU; tests sharing a module-scoped
# server stay on one worker through xdist_group). Serial: make test PYTEST_ARGS=-n0
PYTEST_WORKERS ?= auto
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help setup test demo lint bench clean migration report-preview

help: ## Show the targets
	@echo "baocao — các lệnh:"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(UV):
	python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv

setup: $(VENV)/.synced ## Create .venv and install from uv.lock

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --all-groups --compile-bytecode
	@# uv compiles site-packages only; with PYTHONDONTWRITEBYTECODE set, baocao's own modules
	@# would be recompiled on every start
	$(VENV)/bin/python -m compileall -q -j 0 flows parsers storage config reports > /dev/null
	@touch $@

test: setup ## Run the whole test suite
	$(VENV)/bin/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

demo: setup ## Full local demo: Prefect UI on 127.0.0.1:4200, IMAP, SMTP capture; data in ./demo-data
	$(VENV)/bin/python -m flows.dev.demo

lint: setup ## Ruff over the code, mypy over parsers/ storage/ reports/ (pyproject [tool.mypy])
	$(VENV)/bin/ruff check flows parsers storage config reports tests bench
	$(VENV)/bin/mypy

bench: setup ## Run the benchmarks (prints figures)
	@for f in bench/bench_*.py; do echo "== $$f"; $(VENV)/bin/python $$f || exit 1; done

report-preview: setup ## Regenerate docs/report-page1.png (LibreOffice + pdftoppm)
	$(VENV)/bin/python -m flows.dev.report_preview

migration: setup ## Regenerate the (unreleased) initial migration from the models
	$(VENV)/bin/python -m storage.migrations.regenerate

clean: ## Remove .venv and ./data
	rm -rf $(VENV) data
