# Edu Roll-up: the two commands a newcomer types are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
N ?=

.PHONY: demo test venv sysdeps lint docs bench bench-web profile clean-workspace

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

## System packages the tests use (LibreOffice, poppler, Thai fonts, Chromium).
sysdeps:
	bash scripts/install-system-deps.sh

## Build the demo province in this folder (plan/, inbox/), run the nightly job on it, and
## write the committee's report documents (.docx, .pdf) for Q2 and the year.
demo: venv
	$(BIN)/edurollup demo --workspace .
	$(BIN)/edurollup report --fy 2568 --quarter 2 --document --workspace .
	$(BIN)/edurollup report --fy 2568 --annual --document --workspace .

## Set up everything, check the code with ruff and run the whole test suite.
test: venv sysdeps
	$(BIN)/ruff check pipeline schemas tests bench
	$(BIN)/python -m pytest -q

lint: venv
	$(BIN)/ruff check pipeline schemas tests bench

## Regenerate docs/cli.md from the commands' --help.
docs: venv
	$(BIN)/python -m pipeline.clidoc > docs/cli.md

## Benchmark: make bench [N=1000]
bench: venv
	$(BIN)/python bench/run.py $(if $(N),--n $(N))

## The clerks' web page: upload -> problems shown, median and p95 over 200 uploads
bench-web: venv
	$(BIN)/python bench/web.py $(if $(N),--n $(N))

## Where the time goes: make profile [N=30000] (the cold and 1 % runs under py-spy)
profile: venv
	$(BIN)/python -m pip install -q -e '.[dev,bench]'
	$(BIN)/python bench/profile.py $(if $(N),--n $(N))

clean-workspace:
	rm -rf state outbox/* inbox/* plan demo-manifest.json
	touch inbox/.gitkeep outbox/.gitkeep
