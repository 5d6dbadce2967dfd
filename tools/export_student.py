"""Write a distilled student as a plain MMDetection checkpoint.

    python tools/export_student.py work_dirs/frcnn_r101_r18_ldrld/epoch_12.pth r18_student.pth

Training checkpoints already hold only the student's weights, under the keys of
a plain Faster R-CNN; this keeps just ``state_dict`` and a small ``meta`` (no
optimizer, no MMEngine log buffers), so any MMDetection 3.x tool loads the file
with the student's own config, e.g. configs/frcnn_r18_fpn_1x_coco.py.
"""

import argparse
import sys

from ldrld_core.errors import cli_boundary


@cli_boundary("export_student.py")
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", help="a checkpoint written by tools/train_det.py")
    parser.add_argument("out", help="where to write the student checkpoint")
    args = parser.parse_args(argv)
    import ldrld_mm  # noqa: F401  (lets weights_only loading read MMEngine's metadata)
    from ldrld_core import extract_state_dict, read_checkpoint
    from ldrld_core.atomic_io import atomic_torch_save

    checkpoint = read_checkpoint(args.checkpoint)
    state = extract_state_dict(checkpoint, args.checkpoint)
    meta = checkpoint.get("meta", {}) if isinstance(checkpoint, dict) else {}
    keep = {k: meta[k] for k in ("epoch", "iter", "dataset_meta", "mmengine_version") if k in meta}
    atomic_torch_save({"meta": keep, "state_dict": state}, args.out)
    print(f"wrote {len(state)} student tensors to {args.out}")


if __name__ == "__main__":
    sys.exit(main())
