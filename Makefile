# One command per habit: make run, make test, make lint, make bench.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PAPERSTAND_TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: install run test lint bench postfix wrk chromium clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/paperstand migrate
	$(BIN)/paperstand serve

# Browser tests drive Debian's Chromium; install it when missing (never a downloaded browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get install -y -q chromium >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null)) \
	  || echo "could not install chromium: browser tests will be skipped"; }

# pytest exits 5 when it collected nothing: that is a broken suite, never a pass.
test: $(STAMP) chromium
	@$(BIN)/pytest; rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

# The digest benchmark delivers to Postfix's smtp-sink and compares with its smtp-source.
postfix:
	@command -v smtp-sink >/dev/null 2>&1 || [ -x /usr/sbin/smtp-sink ] || { \
	  echo "installing Debian's postfix for smtp-sink and smtp-source"; \
	  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections 2>/dev/null; \
	  (DEBIAN_FRONTEND=noninteractive apt-get install -y -q postfix >/dev/null 2>&1 \
	   || (apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postfix >/dev/null)) \
	  || echo "could not install postfix: the digest benchmark will be skipped"; }

# The page benchmark loads the server with Debian's wrk.
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "installing Debian's wrk for the page benchmark"; \
	  (apt-get install -y -q wrk >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null)) \
	  || echo "could not install wrk: the page benchmark will be skipped"; }

# Every benchmark prints its figure beside its anchor, measured in the same run; see docs/PERFORMANCE.md.
bench: $(STAMP) postfix wrk
	$(BIN)/python bench/import_jsonl.py
	$(BIN)/python bench/digests.py
	$(BIN)/python bench/digest_load.py
	$(BIN)/python bench/search_quality.py
	$(BIN)/python bench/search_speed.py
	$(BIN)/python bench/embed_speed.py
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/login_timing.py
	$(BIN)/python bench/votes.py
	$(BIN)/python bench/trending.py
	nice -n 10 $(BIN)/python bench/recommend_quality.py
	nice -n 10 $(BIN)/python bench/recommend_speed.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
