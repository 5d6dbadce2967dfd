"""Train a Re-ID network or distil a student (Market-1501) with torchreid's own engine.

    python tools/train_reid.py configs/reid/market1501_r50.py --data-root DIR          # the teacher, alone
    python tools/train_reid.py configs/reid/market1501_r50_r18_ldrld.py --data-root DIR \\
        --teacher-checkpoint work_dirs/reid/market1501_r50                              # its run, or model.pth
    python tools/train_reid.py CONFIG --resume              # continue from the run's latest checkpoint
    python tools/test_reid.py CONFIG CHECKPOINT              # evaluate

DIR holds market1501/Market-1501-v15.09.15/... as torchreid expects. The config is an MMEngine
config with torchreid's option names; a distilling one has teacher=dict(name, checkpoint) and
distill_loss=dict(type='LDRLDLoss' | 'KDLoss' | 'DKDLoss', ...) as in the detection and
classification configs. Options (those of tools/train_det.py and tools/train_cls.py): --data-root,
--teacher-checkpoint, --work-dir, --cfg-options, --resume [CHECKPOINT], --no-pretrained,
--trust-checkpoint; --amp, --auto-scale-lr, --fast and a --launcher are refused in one sentence
(torchreid's engine, one process). A run ends with torchreid's rank-1/5/10/20 and mAP; its scalars
(losses, rank-1, mAP) go to <work-dir>/<timestamp>/vis_data/scalars.json, its final weights to
<work-dir>/model.pth (named by <work-dir>/last_checkpoint). Bad input ends in one line on stderr
and exit status 2 (LDRLD_DEBUG=1 for the traceback). See docs/reid.md.
"""

import sys

from ldrld_core.errors import cli_boundary


@cli_boundary("train_reid.py")
def main(argv=None):
    from ldrld_mm import cli
    from ldrld_reid.cli import load_run_config, refuse_retired
    from ldrld_reid.runner import train

    argv = sys.argv[1:] if argv is None else [str(a) for a in argv]
    refuse_retired(argv)
    args = cli.parser("train_reid.py", __doc__).parse_args(argv)
    train(load_run_config(args), resume=args.resume, trust=args.trust_checkpoint)


if __name__ == "__main__":
    sys.exit(main())
