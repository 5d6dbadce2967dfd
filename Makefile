# make install   create/complete .venv (torch, mmcv with compiled ops, mmdet, torchreid, ...)
# make test      install if needed, then run the whole test suite
# make lint      ruff check (lint rules, import order) and ruff format --check (line length 120, pyproject.toml)
# make bench     the loss benchmark on this machine's CPU
# make demo      teachers and students of all three tasks, three seeds each, on built-in data (10-11 min on 2 cores)
# make study-det the detection study: 36 typeface characters, Student/KD/DKD/LDRLD over 3 seeds (docs/detection.md)
# make study-det-cascade  the same scenes with Cascade R-CNN: Student/KD/LDRLD over 3 seeds, every stage distilled
# make study-cls  the classification study: 62 typeface characters, unseen typefaces in test; Student/KD/DKD/LDRLD
#                over 3 seeds, as the recipe has them and with one common loss warm-up (docs/typefaces.md)
# make study-cls-ablations  then Tables 15 and 17's ablations (with the common loss warm-up) over 2 seeds, in the
#                same outputs/study_cls
# (each study is a file of configs/studies/; tools/study.py runs any of them, or one of your own: docs/sweeps.md)
# make study-reid the Re-ID study: typefaces as identities, unseen ones in query and gallery (docs/typefaces.md)
# make cluster   a single-node Slurm cluster on this machine (root; installs Debian's slurm packages when missing);
#                make cluster-status, make cluster-down (tools/slurm_local.sh)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.ldrld-installed

.PHONY: install test lint bench demo study-det study-det-cascade study-cls study-cls-ablations study-reid cluster cluster-status cluster-down
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
	$(PY) tools/study.py configs/studies/det_glyphs.py --out outputs/study_det

study-det-cascade: $(STAMP)
	$(PY) tools/study.py configs/studies/det_glyphs_cascade.py --out outputs/study_det

study-cls: $(STAMP)
	$(PY) tools/study.py configs/studies/cls_typefaces.py --out outputs/study_cls

study-cls-ablations: $(STAMP)
	$(PY) tools/study.py configs/studies/cls_typefaces.py --ablations --resume --out outputs/study_cls

study-reid: $(STAMP)
	$(PY) tools/study.py configs/studies/reid_typefaces.py --out outputs/study_reid
