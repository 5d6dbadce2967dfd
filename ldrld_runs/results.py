"""What a finished run scored, read from what the run itself wrote.

- classification and detection: MMEngine's logged validation scalars
  (``<work_dir>/<timestamp>/vis_data/scalars.json``, through
  ``ldrld_core.run_logs``): top-1 (``accuracy/top1``, in %) or COCO AP
  (``coco/bbox_mAP``, reported x100) at every validation;
- Re-ID: ``results_<stage>.json`` of ``tools/train_reid.py``: mAP and rank-1
  (reported in %) of each of torchreid's tests.

Each is ``{'metric', 'last', 'last_epoch', 'best', 'best_epoch', 'extra': {...}}``.
"""

import glob
import json
import os

from ldrld_core.run_logs import read_scalars

METRICS = {
    "cls": ("top-1 (%)", "accuracy/top1", 1.0),
    "det": ("AP", "coco/bbox_mAP", 100.0),
    "reid": ("mAP (%)", "mAP", 100.0),
}
EXTRA = {
    "cls": (("top-5", "accuracy/top5", 1.0),),
    "det": (("AP50", "coco/bbox_mAP_50", 100.0), ("AP75", "coco/bbox_mAP_75", 100.0)),
    "reid": (("rank-1", "rank1", 100.0),),
}


def _summary(task, points):
    """``points``: ``[(epoch, {key: value})]`` in order."""
    name, key, scale = METRICS[task]
    scored = [(epoch, values) for epoch, values in points if key in values]
    if not scored:
        return None
    last_epoch, last = scored[-1]
    best_epoch, best = max(scored, key=lambda p: p[1][key])
    return {
        "metric": name,
        "last": scale * last[key],
        "last_epoch": last_epoch,
        "best": scale * best[key],
        "best_epoch": best_epoch,
        "extra": {label: scale_ * last[k] for label, k, scale_ in EXTRA[task] if k in last},
    }


def mmengine_points(work_dir):
    """``[(epoch, scalars)]`` of every validation an MMEngine run logged."""
    points = {}
    for record in read_scalars(work_dir):
        if not any(k.startswith("loss") for k in record) and "step" in record:
            points[int(record["step"])] = record  # a resumed run logs an epoch again: the last one counts
    return sorted(points.items())


def reid_points(work_dir):
    found = sorted(glob.glob(os.path.join(work_dir, "results_student_*.json"))) or sorted(
        glob.glob(os.path.join(work_dir, "results_teacher.json"))
    )
    if not found:
        return []
    with open(found[-1]) as f:
        record = json.load(f)
    tests = record.get("tests") or [dict(epoch=None, rank1=record["rank1"], mAP=record["mAP"])]
    return [(t.get("epoch"), t) for t in tests]


# the scores a study names (``metrics = [(key, label)]``), as logged and scaled to the tables' units
SCORES = {
    "cls": {"top1": ("accuracy/top1", 1.0), "top5": ("accuracy/top5", 1.0)},
    "det": {"AP": ("coco/bbox_mAP", 100.0), "AP50": ("coco/bbox_mAP_50", 100.0), "AP75": ("coco/bbox_mAP_75", 100.0)},
    "reid": {"mAP": ("mAP", 100.0), "rank1": ("rank1", 100.0)},
}


def evaluations(task, work_dir):
    """``[(epoch, {score: value})]`` of every evaluation the run logged, in order (scores: SCORES)."""
    points = reid_points(work_dir) if task == "reid" else mmengine_points(work_dir)
    named = SCORES[task].items()
    return [(e, {k: scale * v[key] for k, (key, scale) in named if key in v}) for e, v in points]


def run_result(task, work_dir):
    """The run's scores, or None when it logged none."""
    points = reid_points(work_dir) if task == "reid" else mmengine_points(work_dir)
    return _summary(task, points)
