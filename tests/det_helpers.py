"""Small-scale configs and runners for the detection tests (CPU, toy COCO)."""
import os
import subprocess
import sys

from ldrld_core.run_logs import read_scalars
from ldrld_det.toy_data import TOY_PIPELINES

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIGS = os.path.join(ROOT, "configs")

# Everything that makes a COCO config cheap on a CPU: small images, one epoch,
# no workers, no downloaded backbone weights.
SMALL = TOY_PIPELINES + """
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(pipeline=test_pipeline))
train_cfg = dict(max_epochs=1)
default_hooks = dict(logger=dict(interval=1))
env_cfg = dict(cudnn_benchmark=False)
"""

TEACHER_R18_CAFFE = """
model = dict(backbone=dict(depth=18, init_cfg=None), neck=dict(in_channels=[64, 128, 256, 512]),
             test_cfg=dict(rcnn=dict(score_thr=0.0)))
# the 3x schedule wraps its data set in RepeatDataset(times=3): once is enough here
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(times=1, dataset=dict(pipeline=train_pipeline)))
"""


def write_config(folder, name, bases, body=""):
    path = os.path.join(folder, name)
    bases = ", ".join(repr(b) for b in bases)
    with open(path, "w") as f:
        f.write(f"_base_ = [{bases}]\n{SMALL}\n{body}\n")
    return path


def small_teacher_config(folder, extra=""):
    """The packaged teacher config at toy scale: a caffe-style R-18 instead of R-101."""
    return write_config(folder, "teacher_small.py", [os.path.join(CONFIGS, "frcnn_r101_teacher.py")],
                        TEACHER_R18_CAFFE + extra)


def small_student_config(folder, config_name, teacher_cfg, name=None, extra="", rois_per_image=128):
    """A packaged distillation config at toy scale, its teacher swapped for ``teacher_cfg``."""
    # score_thr 0: a few iterations in, every box counts, so CocoMetric has detections to score
    # 128 sampled RoIs per image instead of 512 keeps the box heads cheap (the
    # recipe's 512 is checked on the packaged config and in the RoI test)
    body = (f"model = dict(backbone=dict(init_cfg=None), teacher_config={teacher_cfg!r}, "
            f"teacher_checkpoint=None, test_cfg=dict(rcnn=dict(score_thr=0.0)), "
            f"train_cfg=dict(rcnn=dict(sampler=dict(num={rois_per_image}))))\n{extra}")
    return write_config(folder, name or config_name, [os.path.join(CONFIGS, config_name)], body)


def run_tool(tool, *args, check=True, timeout=600):
    """Run tools/<tool> in a fresh interpreter, as a user would."""
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools", tool), *map(str, args)],
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{tool} exited {proc.returncode}\nstdout:\n{proc.stdout[-3000:]}\n"
                             f"stderr:\n{proc.stderr[-6000:]}")
    return proc


def scalars(work_dir):
    """Every record MMEngine's LocalVisBackend logged under ``work_dir``."""
    return read_scalars(work_dir)
