# Everything a fresh clone needs: `make run` and `make test` create .venv and install first.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app app
export FLASK_APP := app

.PHONY: run test test-pg install browser opensearch opensearch-stop bench bench-visible bench-relevance lint translations clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

translations: install
	$(VENV)/bin/pybabel -q compile -d translations

run: install translations
	$(FLASK) db upgrade
	$(FLASK) geo load-regions
	$(FLASK) costs load-facts
	$(FLASK) demo seed --if-empty --homes 3000 --reviews 30000 --seed 1
	$(FLASK) search reindex
	$(FLASK) run --host 127.0.0.1 --port 5000

browser:
	bash scripts/ensure-browser.sh

test: install translations
	-bash scripts/ensure-browser.sh
	$(PY) -m pytest -q $(PYTEST_ARGS)

test-pg: install translations
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} $(PY) -m pytest -q $(PYTEST_ARGS)

opensearch:
	bash scripts/opensearch.sh start

opensearch-stop:
	bash scripts/opensearch.sh stop

bench: install translations
	-command -v wrk >/dev/null || [ "$$(id -u)" != 0 ] || (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null)
	-curl -fs http://127.0.0.1:9200 >/dev/null || bash scripts/opensearch.sh start
	$(PY) -m bench.run $(BENCH_ARGS)

# time from a provider's change to a family's search, production stack on the real OpenSearch node
bench-visible: install translations
	-curl -fs http://127.0.0.1:9200 >/dev/null || bash scripts/opensearch.sh start
	OPENSEARCH_URL=$${OPENSEARCH_URL:-http://127.0.0.1:9200} $(PY) -m bench.visible $(BENCH_ARGS)

bench-relevance: install translations
	-curl -fs http://127.0.0.1:9200 >/dev/null || bash scripts/opensearch.sh start
	$(PY) -m bench.relevance.run $(BENCH_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/hadolint docs/ops/Dockerfile
	$(VENV)/bin/check-jsonschema --schemafile docs/ops/vendor/compose-spec.schema.json docs/ops/compose.yaml
	$(VENV)/bin/lint-imports
