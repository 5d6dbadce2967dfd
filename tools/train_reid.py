"""Market-1501 Re-ID with torchreid: ResNet-50 teacher -> ResNet-18 student with LDRLD.

    python tools/train_reid.py                          # teacher (if absent), student, evaluation
    python tools/train_reid.py CONFIG --data-root DIR   # DIR/market1501/Market-1501-v15.09.15/...
    python tools/train_reid.py --mode teacher           # train and evaluate the teacher only
    python tools/train_reid.py --mode student --teacher-checkpoint T.pth [--loss ldrld|kd|dkd|none]
    python tools/train_reid.py --mode eval --student-checkpoint S.pth
    python tools/train_reid.py --mode student --resume        # continue from the stage's latest checkpoint

The recipe is the MMEngine config configs/reid/market1501_r50_r18_ldrld.py (CONFIG or --config;
torchreid's own option names); options override it, with the flags of the other tools
(--data-root, --work-dir, --cfg-options; --root and --save-dir still work, with a deprecation
line). Training and evaluation are torchreid's Engine.run; a run ends with torchreid's
rank-1/5/10/20 and mAP, the rank-1 and mAP also written to <work-dir>/results_<what>.json. Offline, --no-pretrained
skips the ImageNet initialisation. Bad input ends in one line on stderr and
exit status 2 (LDRLD_DEBUG=1 for the traceback). See docs/reid.md.
"""

import argparse
import os
import sys

from ldrld_core.checkpoint import add_trust_flag
from ldrld_core.errors import cli_boundary

DEFAULT_CONFIG = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "configs", "reid", "market1501_r50_r18_ldrld.py"
)


class _Deprecated(argparse.Action):
    """An old option name: stores into the new one's place and prints one deprecation line."""

    def __init__(self, option_strings, dest, new=None, **kwargs):
        self.new = new
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"{parser.prog}: {option_string} is deprecated; use {self.new}", file=sys.stderr)
        setattr(namespace, self.dest, values)


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        prog="train_reid.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    from mmengine.config import DictAction

    p.add_argument("config", nargs="?", help=f"an MMEngine config of task 'reid' (default: {DEFAULT_CONFIG})")
    p.add_argument("--config", dest="config_option", metavar="CONFIG", help="the same as CONFIG")
    p.add_argument("--data-root", help="folder holding market1501/ as torchreid expects (data.root)")
    p.add_argument("--root", dest="data_root", action=_Deprecated, new="--data-root", help=argparse.SUPPRESS)
    p.add_argument(
        "--mode",
        choices=("teacher", "student", "eval"),
        help="one stage only; default: teacher if its checkpoint is absent, then student, then eval",
    )
    p.add_argument(
        "--teacher-checkpoint",
        help="teacher weights to distil from (written there in --mode teacher); default <work-dir>/teacher/model.pth",
    )
    p.add_argument(
        "--student-checkpoint",
        help="student weights to evaluate in --mode eval (written there when "
        "training); default <work-dir>/student_<loss>/model.pth",
    )
    p.add_argument(
        "--loss",
        choices=("ldrld", "kd", "dkd", "none"),
        help="distillation loss added to the cross-entropy; none trains the student alone",
    )
    p.add_argument("--max-epoch", type=int, help="train.max_epoch")
    p.add_argument("--batch-size", type=int, help="training batch size (train.batch_size)")
    p.add_argument("--lr", type=float, help="train.lr")
    p.add_argument(
        "--eval-freq", type=int, help="test and checkpoint every N epochs (test.eval_freq; -1: at the end only)"
    )
    p.add_argument("--alpha", type=float, help="LDRLD/DKD alpha (KD: its loss weight)")
    p.add_argument("--beta", type=float, help="LDRLD/DKD beta")
    p.add_argument("--temperature", type=float, help="distillation temperature T")
    p.add_argument("--depth", type=int, help="LDRLD depth d (top-d classes)")
    p.add_argument("--device", choices=("cpu", "cuda"), help="default: cuda when available")
    p.add_argument(
        "--work-dir", help="where checkpoints and results go (work_dir; default work_dirs/<config path under configs/>)"
    )
    p.add_argument("--save-dir", dest="work_dir", action=_Deprecated, new="--work-dir", help=argparse.SUPPRESS)
    p.add_argument(
        "--resume",
        nargs="?",
        const="auto",
        metavar="CHECKPOINT",
        help="continue training: from CHECKPOINT (a model/model.pth.tar-N), or (no value) from the stage's latest",
    )
    p.add_argument("--seed", type=int, help="randomness.seed")
    p.add_argument("--workers", type=int, help="data-loading processes (data.workers; 0: none)")
    p.add_argument(
        "--pretrained",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="start from ImageNet weights (downloaded once into torch's hub cache); --no-pretrained: "
        "random weights, nothing downloads",
    )
    p.add_argument(
        "--cfg-options",
        nargs="+",
        action=DictAction,
        default={},
        metavar="KEY=VALUE",
        help="override config entries (as in MMDetection's tools), e.g. distill.ldrld.alpha=2.0",
    )
    add_trust_flag(p)
    args = p.parse_args(argv)
    if args.config and args.config_option and args.config != args.config_option:
        p.error(f"two configs given: {args.config} and --config {args.config_option}")
    args.config = args.config or args.config_option or DEFAULT_CONFIG
    return args


@cli_boundary("train_reid.py")
def main(argv=None):
    args = parse_args(argv)
    from ldrld_reid.config import apply_overrides, load_config
    from ldrld_reid.runner import run

    cfg = apply_overrides(load_config(args.config), args)
    run(
        cfg,
        mode=args.mode,
        teacher_checkpoint=args.teacher_checkpoint,
        student_checkpoint=args.student_checkpoint,
        resume=args.resume,
        trust=args.trust_checkpoint,
    )


if __name__ == "__main__":
    sys.exit(main())
