"""What tools/train_det.py and tools/test_det.py share: config loading, the
COCO folder check, ``--data-root`` and ``--teacher-checkpoint``, and turning
bad input into one line on stderr instead of a traceback."""
import argparse
import functools
import itertools
import os
import sys
import warnings

from ldrld_core import CheckpointError

# mmengine 0.10.7 imports pkg_resources, which warns on every start; it is noise to a user.
warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)

COCO_LAYOUT = ("expected COCO 2017's layout: DIR/annotations/instances_{train,val}2017.json, "
               "DIR/train2017/*.jpg, DIR/val2017/*.jpg")


class InputError(ValueError):
    """Bad input from the command line or a config (reported without a traceback)."""


def friendly_errors(main):
    """Run ``main``; bad input (a ValueError, e.g. from a config field, a missing
    file, an unusable checkpoint) ends with one ``error: ...`` line and exit
    code 2. ``LDRLD_DEBUG=1`` shows the traceback as well."""
    @functools.wraps(main)
    def run(*args, **kwargs):
        try:
            return main(*args, **kwargs)
        except (ValueError, CheckpointError, FileNotFoundError) as err:
            if os.environ.get("LDRLD_DEBUG"):
                raise
            print(f"error: {err}", file=sys.stderr)
            sys.exit(2)
    return run


def add_common_args(parser: argparse.ArgumentParser) -> None:
    from mmengine.config import DictAction
    parser.add_argument("--work-dir", help="folder for logs, checkpoints and metrics")
    parser.add_argument("--data-root", help="a folder in COCO 2017's layout (overrides the config's data_root)")
    parser.add_argument("--cfg-options", nargs="+", action=DictAction,
                        help="override config entries, xxx=yyy (as in MMDetection's tools)")
    parser.add_argument("--launcher", choices=["none", "pytorch", "slurm", "mpi"], default="none",
                        help="job launcher (pytorch for torchrun, multi-GPU and multi-node)")
    parser.add_argument("--local_rank", "--local-rank", type=int, default=0)


_LOADED = itertools.count()


def load_config(path, args):
    from mmengine.config import Config
    if not os.path.isfile(path):
        raise InputError(f"config file not found: {path}")
    cfg = Config.fromfile(path)
    cfg.launcher = args.launcher
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if "LOCAL_RANK" not in os.environ:
        os.environ["LOCAL_RANK"] = str(args.local_rank)
    if args.work_dir:
        cfg.work_dir = args.work_dir
    elif cfg.get("work_dir") is None:
        cfg.work_dir = os.path.join("work_dirs", os.path.splitext(os.path.basename(path))[0])
    visualizer = cfg.get("visualizer")
    if isinstance(visualizer, dict) and visualizer.get("name") == "visualizer":
        # MMDetection names every run's visualizer 'visualizer', and MMEngine keeps
        # one instance per name and process: a second runner built in the same
        # process (the demo, a notebook, the tests) would log into the first
        # one's folder. One name per loaded config keeps each run's logs its own.
        visualizer["name"] = f"visualizer_{os.getpid()}_{next(_LOADED)}"
    return cfg


def _datasets(loader_cfg):
    """The CocoDataset configs inside a dataloader config (through wrappers)."""
    dataset = loader_cfg.get("dataset") if loader_cfg else None
    while dataset is not None and "dataset" in dataset:
        dataset = dataset["dataset"]
    return [dataset] if dataset is not None else []


def check_coco_root(root, splits) -> None:
    root = os.fspath(root)
    if not os.path.isdir(root):
        raise InputError(f"COCO data root not found: {root}; {COCO_LAYOUT}")
    missing = []
    for split in splits:
        ann = os.path.join(root, "annotations", f"instances_{split}2017.json")
        if not os.path.isfile(ann):
            missing.append(ann)
        if not os.path.isdir(os.path.join(root, f"{split}2017")):
            missing.append(os.path.join(root, f"{split}2017") + "/")
    if missing:
        raise InputError(f"COCO data root {root} is incomplete, missing: {', '.join(missing)}; {COCO_LAYOUT}")


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


def set_teacher_checkpoint(cfg, path, trust) -> None:
    model = cfg.model
    if path is not None:
        if model.get("type") != "RoIDistiller":
            raise InputError(f"--teacher-checkpoint: config's model is {model.get('type')}, not a RoIDistiller")
        model["teacher_checkpoint"] = path
    if trust:
        model["trust_teacher_checkpoint"] = True
    ckpt = model.get("teacher_checkpoint")
    if ckpt and not str(ckpt).startswith(("http://", "https://")) and not os.path.isfile(ckpt):
        raise InputError(f"teacher checkpoint not found: {ckpt} (set it with --teacher-checkpoint PATH)")
