# make install   create/complete .venv (torch, mmcv with compiled ops, mmdet, torchreid, ...)
# make test      install if needed, then run the whole test suite
# make lint      ruff check (lint rules, import order) and ruff format --check (line length 120, pyproject.toml)
# make bench     the loss benchmark on this machine's CPU
# make demo      teachers and students of all three tasks, three seeds each, on built-in data (10-11 min on 2 cores)
# make study-det the detection study: 36 typeface characters, Student/KD/DKD/LDRLD over 3 seeds (docs/detection.md)
# make cluster   a single-node Slurm cluster on this machine (root; installs Debian's slurm packages when missing);
#                make cluster-status, make cluster-down (tools/slurm_local.sh)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.ldrld-installed

.PHONY: install test lint bench demo study-det cluster cluster-status cluster-down
install: $(STAMP)

$(STAMP): requirements/pins.txt setup.cfg tools/install_env.sh
	LDRLD_VENV=$(VENV) bash tools/install_env.sh
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: $(STAMP)
	$(PY) tools/bench_loss.py

demo: $(STAMP)
	$(PY) tools/demo.py

cluster:
	bash tools/slurm_local.sh up

cluster-status:
	bash tools/slurm_local.sh status

cluster-down:
	bash tools/slurm_local.sh down

study-det: $(STAMP)
	$(PY) tools/demo.py --task det-glyphs --out outputs/study_det
