"""What a finished run scored, read from what the run itself wrote.

- classification and detection: MMEngine's logged validation scalars
  (``<work_dir>/<timestamp>/vis_data/scalars.json``, through
  ``ldrld_core.run_logs``): top-1 (``accuracy/top1``, in %) or COCO AP
  (``coco/bbox_mAP``, reported x100) at every validation;
- Re-ID: the same file, as ``tools/train_reid.py`` writes it: mAP and rank-1
  (``reid/mAP``, ``reid/rank1``, reported in %) of each of torchreid's tests.

Each is ``{'metric', 'last', 'last_epoch', 'best', 'best_epoch', 'extra': {...}}``.
"""

from ldrld_core.run_logs import read_scalars

# the scores a run may log, by the short names studies use (``metrics = [(score, label)]``): the key
# logged and the scale to the tables' units; a run's main score is the first of these it logged
SCORES = {
    "top1": ("accuracy/top1", 1.0),
    "top5": ("accuracy/top5", 1.0),
    "AP": ("coco/bbox_mAP", 100.0),
    "AP50": ("coco/bbox_mAP_50", 100.0),
    "AP75": ("coco/bbox_mAP_75", 100.0),
    "mAP": ("reid/mAP", 100.0),
    "rank1": ("reid/rank1", 100.0),
}
MAIN = (("top1", "top-1 (%)"), ("AP", "AP"), ("mAP", "mAP (%)"))
EXTRA = {"top1": ("top5",), "AP": ("AP50", "AP75"), "mAP": ("rank1",)}
LABELS = {"top5": "top-5", "AP50": "AP50", "AP75": "AP75", "rank1": "rank-1"}


def _summary(points):
    """``points``: ``[(epoch, {score: value})]`` in order (``evaluations``)."""
    main = next(((k, label) for k, label in MAIN if any(k in v for _, v in points)), None)
    if main is None:
        return None
    key, name = main
    scored = [(epoch, values) for epoch, values in points if key in values]
    last_epoch, last = scored[-1]
    best_epoch, best = max(scored, key=lambda p: p[1][key])
    return {
        "metric": name,
        "last": last[key],
        "last_epoch": last_epoch,
        "best": best[key],
        "best_epoch": best_epoch,
        "extra": {LABELS[k]: last[k] for k in EXTRA[key] if k in last},
    }


def mmengine_points(work_dir):
    """``[(epoch, scalars)]`` of every validation an MMEngine run logged."""
    points = {}
    for record in read_scalars(work_dir):
        if not any(k.startswith("loss") for k in record) and "step" in record:
            points[int(record["step"])] = record  # a resumed run logs an epoch again: the last one counts
    return sorted(points.items())


def evaluations(work_dir):
    """``[(epoch, {score: value})]`` of every evaluation the run logged, in order (scores: SCORES)."""
    return [
        (e, {k: scale * v[key] for k, (key, scale) in SCORES.items() if key in v}) for e, v in mmengine_points(work_dir)
    ]


def run_result(work_dir):
    """The run's scores, or None when it logged none."""
    return _summary(evaluations(work_dir))
