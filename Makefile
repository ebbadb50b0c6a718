# The one place commands live. `make run` and `make test` are all a new machine needs.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
CHROMA_PORT ?= 8100
SCALE_DATABASE_URL ?= postgresql+psycopg://root@127.0.0.1:5432/test

.PHONY: install run test lint bench ingest clean scale-demo

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: install
	$(BIN)/rongchuang ingest
	$(BIN)/rongchuang serve --host $(HOST) --port $(PORT)

ingest: install
	$(BIN)/rongchuang ingest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: install lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Two web workers (8000, 8001) on one PostgreSQL database and one Chroma server: README "Run on
# several workers". Ctrl+C stops all three.
scale-demo: install
	mkdir -p var/scale
	export RONGCHUANG_DATABASE_URL='$(SCALE_DATABASE_URL)' RONGCHUANG_CHROMA_URL=http://127.0.0.1:$(CHROMA_PORT) \
	  RONGCHUANG_DATA_DIR=var/scale/ingest; \
	$(BIN)/chroma run --path var/scale/chroma --host 127.0.0.1 --port $(CHROMA_PORT) > var/scale/chroma.log 2>&1 & c=$$!; \
	trap 'kill $$c $$a $$b 2>/dev/null' EXIT INT TERM; \
	$(BIN)/rongchuang ingest || exit 1; \
	RONGCHUANG_DATA_DIR=var/scale/a $(BIN)/rongchuang serve --port 8000 & a=$$!; \
	RONGCHUANG_DATA_DIR=var/scale/b $(BIN)/rongchuang serve --port 8001 & b=$$!; \
	wait $$a $$b

bench: install
	$(BIN)/python -m eval.bench $(BENCH_ARGS)
	$(BIN)/python -m eval.bench_scale

clean:
	rm -rf var test-artifacts bench-results .pytest_cache .ruff_cache
