# The one place commands live. `make run` and `make test` are all a new machine needs.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint bench ingest clean

install: $(STAMP)

# Runs a command and says every 10 s that it still does: pip --quiet is silent for minutes.
TICK = sh -c '"$$@" & pid=$$!; t=0; while kill -0 $$pid 2>/dev/null; do sleep 1; t=$$((t+1)); \
	if [ $$((t % 10)) -eq 0 ]; then echo "    仍在进行（已 $$t 秒）…"; fi; done; wait $$pid' tick

$(STAMP): pyproject.toml
	@echo "==> 安装依赖到 $(VENV)（首次需要几分钟：下载并编译依赖，取决于网络和 CPU）"
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
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

test: install lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m eval.bench $(BENCH_ARGS)

clean:
	rm -rf var test-artifacts bench-results .pytest_cache .ruff_cache
