# Handoff — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
MANAGE := $(BIN)/python manage.py

.PHONY: run test cluster venv system-deps lint fmt messages check-deploy bench audit clean screenshots

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed

## make run: set up and start web + Celery worker + beat on SQLite and a file broker.
run: venv
	@mkdir -p var
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo
	@echo "Starting web on http://127.0.0.1:8000 with a Celery worker and beat (Ctrl-C stops all)."
	@bash -c 'trap "trap - INT TERM EXIT; kill 0" INT TERM EXIT; \
	  $(BIN)/celery -A marketplace worker -B --pool=solo --loglevel=INFO & \
	  $(MANAGE) runserver 127.0.0.1:8000 & wait'

system-deps:
	bash .ci/system-deps.sh

## make test: install what is missing, throwaway PostgreSQL + Redis, every test.
test: system-deps venv
	bash .ci/test.sh

## make cluster: the full topology test (nginx, two web nodes, PgBouncer, Redis broker
## and cache, S3, two workers, two beats; nodes killed under load; about 4 minutes).
## make test runs its short form. Figures: docs/deploy.md.
cluster: system-deps venv
	bash .ci/cluster.sh

## make screenshots: the browser journeys again, writing their screenshots into
## docs/screenshots (make test writes them into var/screenshots).
screenshots: system-deps venv
	HANDOFF_SCREENSHOTS_DIR=docs/screenshots bash .ci/test.sh tests/browser

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

fmt: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

messages: venv
	for app in accounts listings escrow governance; do (cd $$app && PYTHONPATH=.. DJANGO_SETTINGS_MODULE=marketplace.settings ../$(BIN)/django-admin makemessages -l zh_Hans --no-obsolete); done
	$(MANAGE) makemessages -l zh_Hans --no-obsolete --ignore='accounts/*' --ignore='listings/*' --ignore='escrow/*' --ignore='governance/*' --ignore='.venv/*' --ignore='var/*' --ignore='tests/*' --ignore='bench/*'
	$(MANAGE) compilemessages --ignore=.venv

## make bench: throwaway PostgreSQL + Redis, production settings, 100,000 listings;
## pages under wrk against the ceiling, the release job, the detectors, growth.
## Results in bench/results/<date>.json. BENCH_GROWTH_1M=1 adds the 1,000,000 step.
bench: venv
	BENCH_GROWTH_1M=$(BENCH_GROWTH_1M) bash bench/run.sh $(BENCH_ARGS)

audit: venv
	$(BIN)/pip install -q pip-audit && $(BIN)/pip-audit -r requirements.txt

clean:
	rm -rf var .pytest_cache
