"""Reading what an MMEngine run logged: its LocalVisBackend writes one JSON
object per logging step to ``<work_dir>/<timestamp>/vis_data/scalars.json``
(one timestamp folder per start, so a resumed run has several). Plain JSON: no
MMEngine needed to read it."""

import json
import os


def read_scalars(work_dir):
    """Every record logged under ``work_dir``, folder by folder in name (= time) order."""
    records = []
    for dirpath, dirs, files in os.walk(work_dir):
        dirs.sort()
        if "scalars.json" in files:
            with open(os.path.join(dirpath, "scalars.json")) as f:
                records += [json.loads(line) for line in f if line.strip()]
    return records
