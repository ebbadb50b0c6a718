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

# Runs a command and says every few seconds (wall clock) that it still runs: venv and pip are silent
# for minutes on a busy machine, and `make run > out.txt` should show it is alive.
TICK = sh -c '"$$@" & pid=$$!; start=$$(date +%s); last=$$start; while kill -0 $$pid 2>/dev/null; do \
	sleep 1; now=$$(date +%s); if [ $$((now - last)) -ge 6 ]; then last=$$now; \
	echo "    仍在进行（已 $$((now - start)) 秒）…"; fi; done; wait $$pid' tick

$(STAMP): pyproject.toml
	@echo "==> 安装依赖到 $(VENV)（首次需要几分钟：下载并编译依赖，取决于网络和 CPU）"
	@test -x $(BIN)/python || $(TICK) $(PY) -m venv $(VENV)
	@$(TICK) $(BIN)/python -m pip install --quiet --upgrade pip
	@$(TICK) $(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: install
	@echo "==> 建立知识库索引（首次要为每一段计算向量，见 README；以后只处理改动的文件）"
	$(BIN)/rongchuang ingest
	@echo "==> 启动网页服务（准备好后会显示地址）"
	$(BIN)/rongchuang serve --host $(HOST) --port $(PORT)

ingest: install
	$(BIN)/rongchuang ingest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

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
