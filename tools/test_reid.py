"""Evaluate a Re-ID checkpoint on Market-1501's query and gallery: torchreid's rank-1/5/10/20 and mAP.

    python tools/test_reid.py configs/reid/market1501_r50_r18_ldrld.py work_dirs/reid/market1501_r50_r18_ldrld \\
        --data-root DIR

CHECKPOINT is a weights file or the work dir of the run that wrote it (its last checkpoint). The
architecture comes from the checkpoint (else the config's model.name), the class count from its
classifier. The rank-1 and mAP are printed and logged under --work-dir as a training run logs them.
"""

import sys

from ldrld_core.errors import cli_boundary


@cli_boundary("test_reid.py")
def main(argv=None):
    from ldrld_mm import cli
    from ldrld_reid.cli import load_run_config, refuse_retired
    from ldrld_reid.runner import evaluate

    argv = sys.argv[1:] if argv is None else [str(a) for a in argv]
    refuse_retired(argv)
    args = cli.parser("test_reid.py", __doc__, training=False).parse_args(argv)
    evaluate(load_run_config(args, training=False), args.checkpoint, trust=args.trust_checkpoint)


if __name__ == "__main__":
    sys.exit(main())
