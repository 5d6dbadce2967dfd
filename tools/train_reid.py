"""Market-1501 Re-ID with torchreid: ResNet-50 teacher -> ResNet-18 student with LDRLD.

    python tools/train_reid.py                          # teacher (if absent), student, evaluation
    python tools/train_reid.py --root DIR               # DIR/market1501/Market-1501-v15.09.15/...
    python tools/train_reid.py --mode teacher           # train and evaluate the teacher only
    python tools/train_reid.py --mode student --teacher-checkpoint T.pth [--loss ldrld|kd|dkd|none]
    python tools/train_reid.py --mode eval --student-checkpoint S.pth

The recipe is configs/reid/market1501_r50_r18_ldrld.yaml (--config); options
override it. A run ends with rank-1/5/10/20 and mAP, also written to
<save-dir>/results_<what>.json. See docs/reid.md.
"""
import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

DEFAULT_CONFIG = os.path.join(ROOT, "configs", "reid", "market1501_r50_r18_ldrld.yaml")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", default=DEFAULT_CONFIG, help="YAML recipe (default: %(default)s)")
    p.add_argument("--root", help="folder holding market1501/ as torchreid expects (config: data.root)")
    p.add_argument("--mode", choices=("teacher", "student", "eval"),
                   help="one stage only; default: teacher if its checkpoint is absent, then student, then eval")
    p.add_argument("--teacher-checkpoint", help="teacher weights to distil from (written there in --mode teacher); "
                                                "default <save-dir>/teacher/model.pth")
    p.add_argument("--student-checkpoint", help="student weights to evaluate in --mode eval (written there when "
                                                "training); default <save-dir>/student_<loss>/model.pth")
    p.add_argument("--loss", choices=("ldrld", "kd", "dkd", "none"),
                   help="distillation loss added to the cross-entropy; none trains the student alone")
    p.add_argument("--max-epoch", type=int)
    p.add_argument("--batch-size", type=int, help="training batch size")
    p.add_argument("--lr", type=float)
    p.add_argument("--alpha", type=float, help="LDRLD/DKD alpha (KD: its loss weight)")
    p.add_argument("--beta", type=float, help="LDRLD/DKD beta")
    p.add_argument("--temperature", type=float, help="distillation temperature T")
    p.add_argument("--depth", type=int, help="LDRLD depth d (top-d classes)")
    p.add_argument("--device", choices=("cpu", "cuda"), help="default: cuda when available")
    p.add_argument("--save-dir", help="where checkpoints and results go (config: run.save_dir)")
    p.add_argument("--resume", help="a last.pth to continue training from its saved epoch")
    p.add_argument("--seed", type=int)
    p.add_argument("--workers", type=int, help="data-loading processes")
    p.add_argument("--pretrained", action=argparse.BooleanOptionalAction, default=None,
                   help="start from ImageNet weights (torchreid downloads them once); --no-pretrained for offline")
    p.add_argument("--trust-checkpoint", action="store_true",
                   help="load checkpoints that need full unpickling (only files you trust)")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from ldrld_reid.config import apply_overrides, load_config

    try:
        cfg = apply_overrides(load_config(args.config), args)
        from ldrld_reid.runner import run
        run(cfg, mode=args.mode, teacher_checkpoint=args.teacher_checkpoint,
            student_checkpoint=args.student_checkpoint, resume=args.resume, trust=args.trust_checkpoint)
    except (ValueError, FileNotFoundError) as err:  # bad inputs: one clear message, no traceback
        print(f"train_reid.py: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
