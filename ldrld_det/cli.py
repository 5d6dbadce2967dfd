"""What the detection tools add to the shared command-line core (``ldrld_mm.cli``):
COCO 2017's folder layout behind ``--data-root``, checked before a run starts, and
where a detection config keeps its teacher checkpoint."""

import json
import os

from ldrld_core.errors import DatasetError
from ldrld_mm.cli import Task

COCO_LAYOUT = (
    "expected COCO 2017's layout: DIR/annotations/instances_{train,val}2017.json, "
    "DIR/train2017/*.jpg, DIR/val2017/*.jpg"
)
PARSE_LIMIT = 64 << 20  # annotation files up to this size are parsed in full before the run (COCO's: 450 MB)


def _datasets(loader_cfg):
    """The innermost dataset configs inside a dataloader config (through wrappers)."""
    dataset = loader_cfg.get("dataset") if loader_cfg else None
    while dataset is not None and "dataset" in dataset:
        dataset = dataset["dataset"]
    return [dataset] if dataset is not None else []


def check_annotations(path) -> None:
    """A COCO annotation file that is JSON with images, annotations and categories.
    Files beyond ``PARSE_LIMIT`` are checked for a JSON object's first and last byte only."""
    size = os.path.getsize(path)
    if size == 0:
        raise DatasetError(f"COCO annotation file {path} is empty; expected COCO's instances JSON")
    if size > PARSE_LIMIT:
        with open(path, "rb") as f:
            head = f.read(64).lstrip()[:1]
            f.seek(max(0, size - 64))
            tail = f.read().rstrip()[-1:]
        if head != b"{" or tail != b"}":
            raise DatasetError(
                f"COCO annotation file {path} is not a complete JSON object (truncated?); "
                f"expected COCO's instances JSON"
            )
        return
    try:
        with open(path, "rb") as f:
            data = json.load(f)
    except (ValueError, UnicodeDecodeError) as err:
        raise DatasetError(
            f"COCO annotation file {path} is not valid JSON ({err}); expected COCO's instances JSON"
        ) from None
    missing = [k for k in ("images", "annotations", "categories") if not isinstance(data, dict) or k not in data]
    if missing:
        raise DatasetError(
            f"COCO annotation file {path} has no {', '.join(missing)}; expected COCO's instances "
            f"JSON with images, annotations and categories"
        )


def check_coco_root(root, splits) -> None:
    root = os.fspath(root)
    if not os.path.isdir(root):
        raise DatasetError(f"COCO data root {root}: no such folder; {COCO_LAYOUT}")
    missing = []
    for split in splits:
        ann = os.path.join(root, "annotations", f"instances_{split}2017.json")
        if not os.path.isfile(ann):
            missing.append(ann)
        if not os.path.isdir(os.path.join(root, f"{split}2017")):
            missing.append(os.path.join(root, f"{split}2017") + "/")
    if missing:
        raise DatasetError(f"COCO data root {root} is incomplete, missing: {', '.join(missing)}; {COCO_LAYOUT}")
    for split in splits:
        check_annotations(os.path.join(root, "annotations", f"instances_{split}2017.json"))


def apply_data_root(cfg, root, splits) -> None:
    """Point every dataset and COCO evaluator of ``cfg`` at ``root`` (or check
    the config's own data_root when ``root`` is None)."""
    loaders = [cfg.get(f"{name}_dataloader") for name in ("train", "val", "test")]
    if root is None:
        roots = {d.get("data_root") for loader in loaders for d in _datasets(loader)}
        for r in sorted(x for x in roots if x):
            check_coco_root(r, splits)
        return
    check_coco_root(root, splits)
    root = os.path.abspath(root)
    for loader in loaders:
        for dataset in _datasets(loader):
            dataset["data_root"] = root
    for name in ("val_evaluator", "test_evaluator"):
        evaluators = cfg.get(name)
        for ev in evaluators if isinstance(evaluators, list) else [evaluators]:
            if ev and ev.get("type") == "CocoMetric":
                ev["ann_file"] = os.path.join(root, "annotations", "instances_val2017.json")


def teacher_slot(cfg):
    model = cfg.get("model", {})
    if model.get("type") != "RoIDistiller":
        return None
    return model, "teacher_checkpoint", "trust_teacher_checkpoint"


DETECTION = Task("detection", "configs/frcnn_r101_r18_ldrld.py", apply_data_root, teacher_slot)
