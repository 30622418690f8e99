# The course's commands. `make book` and `make test` are the two a new reader needs;
# both create .venv from requirements.txt on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: book test test-foreign lab execute clean venv chromium bench

venv: $(STAMP)

$(STAMP): requirements.txt constraints.txt pyproject.toml
	@echo ">> creating $(VENV) with $(PYTHON) (first use: a few minutes)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --progress-bar off -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip check
	@touch $(STAMP)

## MathJax 3 from npm, served by the book itself (_config.yml html_static_path), so math renders
## offline. Kept in .venv (not committed); only the CHTML combined component and its lazy-loaded parts.
MATHJAX := $(VENV)/mathjax/static/mathjax/tex-mml-chtml.js
$(MATHJAX):
	npm install --prefix $(VENV)/mathjax --no-save --no-audit --no-fund --loglevel=error mathjax@3.2.2
	rm -rf $(VENV)/mathjax/static && mkdir -p $(VENV)/mathjax/static/mathjax
	cd $(VENV)/mathjax/node_modules/mathjax/es5 && \
	  cp -r tex-mml-chtml.js a11y adaptors input output sre ui $(CURDIR)/$(VENV)/mathjax/static/mathjax/

## uPlot from npm, the charting library of the in-browser explorers (nnlib/web, issue 17), served
## by the book like MathJax (_config.yml html_static_path): offline, no CDN. Kept in .venv.
UPLOT := $(VENV)/web/static/uplot/uPlot.iife.min.js
$(UPLOT):
	npm install --prefix $(VENV)/web --no-save --no-audit --no-fund --loglevel=error uplot@1.6.32
	rm -rf $(VENV)/web/static && mkdir -p $(VENV)/web/static/uplot
	cp $(VENV)/web/node_modules/uplot/dist/uPlot.iife.min.js \
	  $(VENV)/web/node_modules/uplot/dist/uPlot.min.css $(VENV)/web/static/uplot/

## build the book into _build/html from the stored (executed) notebooks; fails on any warning
book: $(STAMP) $(MATHJAX) $(UPLOT)
	$(BIN)/jupyter-book build . -W -n --keep-going
	@# Sphinx copies the static files only when some page is rebuilt: a changed explorer module
	@# alone would leave the old copy in the book, so copy them every time
	cp nnlib/web/nnlib-web/* _build/html/_static/nnlib-web/

## run every test: nnlib unit tests, the document ledger, nbval over every chapter, and the
## real-browser tests (the built book and JupyterLab in Debian's Chromium), three workers on the cores;
## meanwhile, nbval over every chapter again under the foreign CPU profile (tests/profiles.py).
## The two sessions overlap because the first leaves the cores idle while browsers and kernels
## start; the foreign session runs at a lower priority (nice 10), so it takes the idle time and
## the browser tests, which wait on timeouts, are not starved. Its report is printed after the
## first one's.
## One BLAS thread per process: five test processes share the cores, and OpenBLAS's idle threads
## spin. (OpenBLAS splits a product by rows and columns, never along the sum: same digits; nbval
## over every chapter passes with 1 thread, and the outputs were stored with the default.)
XDIST := -n 2 --dist loadscope --no-loadscope-reorder
test: export OPENBLAS_NUM_THREADS = 1
test-foreign: export OPENBLAS_NUM_THREADS = 1
test: $(STAMP) chromium book
	@mkdir -p _build
	@nice -n 10 $(MAKE) --no-print-directory test-foreign > _build/test-foreign.log 2>&1 & foreign=$$!; \
	NNLIB_CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest -n 3 --dist loadscope --no-loadscope-reorder --durations=15; main=$$?; \
	wait $$foreign; other=$$?; \
	echo; echo ">> nbval under the foreign CPU profile (log: _build/test-foreign.log)"; \
	tail -n 25 _build/test-foreign.log; \
	exit $$(( main || other ))

## nbval over every chapter under the foreign CPU profile: another OpenBLAS kernel, numpy's
## SIMD paths and glibc's FMA code off, so that a stored output that holds only on this CPU
## fails here too. The book explorers' frames are built but not drawn here (NNLIB_STATIC_FRAMES,
## nnlib/explore.py): nbval compares no picture bytes, and the first session draws them all.
test-foreign: $(STAMP)
	NNLIB_STATIC_FRAMES=undrawn $(BIN)/python -m tests.profiles foreign \
	  $(BIN)/python -m pytest $(XDIST) -p no:cacheprovider chapters

## Debian's Chromium for the browser tests (Playwright cannot download its own browser here)
CHROMIUM ?= /usr/bin/chromium
chromium:
	@if [ -x "$(CHROMIUM)" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo ">> installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null) \
	  || echo "!! apt-get install chromium FAILED: the browser tests will fail (see above)"; \
	else \
	  echo "!! NO CHROMIUM at $(CHROMIUM) and not root: the browser tests will FAIL."; \
	  echo "!! Install Debian's chromium package (sudo apt-get install chromium) or set CHROMIUM=..."; \
	fi

## re-execute every chapter in place, each in a fresh kernel (then commit the outputs)
# nbconvert (no widget state: the book shows the kernel-free explorers; no per-cell timestamps);
# a cell error stops the loop and leaves that notebook unchanged on disk.
NB ?= chapters/*.ipynb
execute: $(STAMP)
	@for nb in $(NB); do start=$$(date +%s); \
	  $(BIN)/jupyter nbconvert --log-level=WARN --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=600 --ExecutePreprocessor.store_widget_state=False \
	    --ExecutePreprocessor.record_timing=False "$$nb" || exit 1; \
	  echo "$$nb: $$(( $$(date +%s) - start )) s"; done

## open the course in JupyterLab, bound to localhost, token on
lab: $(STAMP) $(UPLOT)
	$(BIN)/jupyter lab --ip=127.0.0.1 --no-browser $(if $(filter 0,$(shell id -u)),--allow-root,)

## benchmarks (about 25 minutes on a quiet machine): writes benchmarks/RESULTS.md
bench: $(STAMP) chromium
	NNLIB_CHROMIUM=$(CHROMIUM) $(BIN)/python -m benchmarks.run

clean:
	rm -rf _build .pytest_cache
