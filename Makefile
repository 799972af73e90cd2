# Two entry points for new users (see README): `make demo` and `make test`.
# Both create a project-local virtual environment in .venv and install the kit into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test bench clean app

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[all]'
	# Compile the coordination kernels once (numba caches them next to the code).
	$(BIN)/python -m tsinvest.linking._kernels
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/tsinvest run coordinated_abuse --data data_samples --out reports/coordinated_abuse

test: install
	scripts/ensure-chromium
	scripts/ensure-java
	$(BIN)/ruff check tsinvest
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

# The read-only app: Voila serves the notebooks in app/ (code hidden); detection is cached.
# app/jupyter holds its template (no CDN request): JUPYTER_PATH points Voila at it.
APP_DATA ?= data_samples
APP_PORT ?= 8866
app: install
	cd app && TSINVEST_APP_DATA=$(abspath $(APP_DATA)) JUPYTER_PATH=$(abspath app/jupyter) ../$(BIN)/voila --no-browser --port=$(APP_PORT) --Voila.ip=127.0.0.1 --template=tsinvest --preheat_kernel=True --pool_size=1 .

bench: install
	$(BIN)/python bench/bench_coordination.py --events 1000000

clean:
	rm -rf $(VENV) reports
