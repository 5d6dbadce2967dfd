# make install   create/complete .venv (torch, mmcv with compiled ops, mmdet, torchreid, ...)
# make test      install if needed, then run the whole test suite
# make bench     the loss benchmark on this machine's CPU
# make demo      teachers and students of all three tasks on built-in toy data
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.ldrld-installed

.PHONY: install test bench demo
install: $(STAMP)

$(STAMP): requirements/pins.txt setup.cfg tools/install_env.sh
	LDRLD_VENV=$(VENV) bash tools/install_env.sh
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) tools/bench_loss.py

demo: $(STAMP)
	$(PY) tools/demo.py --task all
