"""Detection: teacher re-normalisation, toy data, atomic checkpoint writes, the
student export, one visualizer per run, the packaged recipe. (Bad inputs:
tests/test_bad_inputs.py.)"""

import io
import json
import os
import subprocess
import sys

import pytest
import torch

from toy.det import make_toy_coco

from det_helpers import CONFIGS, run_tool, toy_config


@pytest.fixture(scope="module")
def coco(tmp_path_factory):
    return make_toy_coco(str(tmp_path_factory.mktemp("coco_inputs")), num_train=2, num_val=2)


def test_renormalizes_student_batch_for_a_caffe_teacher():
    from mmdet.models.data_preprocessors import DetDataPreprocessor
    from mmdet.structures import DetDataSample

    import ldrld_det  # noqa: F401
    from ldrld_det.renormalize import Renormalizer

    student = DetDataPreprocessor(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_size_divisor=32
    )
    teacher = DetDataPreprocessor(
        mean=[103.53, 116.28, 123.675], std=[1.0, 1.0, 1.0], bgr_to_rgb=False, pad_size_divisor=32
    )
    gen = torch.Generator().manual_seed(0)
    images = [
        torch.randint(0, 256, (3, 50, 70), generator=gen, dtype=torch.uint8),
        torch.randint(0, 256, (3, 64, 40), generator=gen, dtype=torch.uint8),
    ]

    def batch():
        samples = []
        for img in images:
            s = DetDataSample()
            s.set_metainfo(dict(img_shape=tuple(img.shape[1:]), ori_shape=tuple(img.shape[1:])))
            samples.append(s)
        return dict(inputs=[i.clone() for i in images], data_samples=samples)

    s_out = student(batch())
    t_out = teacher(batch())
    renorm = Renormalizer(student, teacher)
    assert not renorm.identity and renorm.flip
    ours = renorm(s_out["inputs"], s_out["data_samples"])
    assert ours.shape == t_out["inputs"].shape == (2, 3, 64, 96)
    torch.testing.assert_close(ours, t_out["inputs"], atol=1e-3, rtol=0)
    assert Renormalizer(student, student).identity


def test_toy_coco_is_valid_coco(tmp_path):
    from pycocotools.coco import COCO

    root = make_toy_coco(str(tmp_path), num_train=3, num_val=2, image_size=(96, 80))
    coco = COCO(os.path.join(root, "annotations", "instances_train2017.json"))
    assert len(coco.getCatIds()) == 80 and len(coco.getImgIds()) == 3
    names = {coco.loadCats(a["category_id"])[0]["name"] for a in coco.dataset["annotations"]}
    assert names <= {"person", "bottle", "bus", "car", "sports ball", "frisbee"} and names
    for ann in coco.dataset["annotations"]:
        x, y, w, h = ann["bbox"]
        assert x >= 0 and y >= 0 and x + w <= 96 and y + h <= 80
        assert os.path.isfile(os.path.join(root, "train2017", coco.loadImgs(ann["image_id"])[0]["file_name"]))


def test_atomic_backend_keeps_the_previous_file_on_a_failed_write(tmp_path):
    from mmengine.fileio import get_file_backend

    import ldrld_mm  # noqa: F401

    backend = get_file_backend(str(tmp_path), backend_args=dict(backend="local_atomic"))
    target = tmp_path / "epoch_1.pth"
    backend.put(b"first", target)
    with pytest.raises(TypeError):
        backend.put(object(), target)  # fails mid-write: nothing valid to write
    assert target.read_bytes() == b"first"
    assert os.listdir(tmp_path) == ["epoch_1.pth"]  # no temporary file left behind
    backend.put_text("second", target)
    assert target.read_text() == "second"


def test_exported_student_loads_in_plain_mmdetection(tmp_path):
    from mmdet.registry import MODELS
    from mmengine.config import Config

    import ldrld_det  # noqa: F401

    distiller = MODELS.build(Config.fromfile(toy_config("ldrld")).model)
    buffer = io.BytesIO()
    torch.save({"state_dict": distiller.state_dict(), "meta": {"epoch": 1}}, buffer)
    (tmp_path / "train.pth").write_bytes(buffer.getvalue())
    run_tool("export_student.py", tmp_path / "train.pth", tmp_path / "student.pth")
    # A fresh interpreter that never imports this toolkit: MMDetection's packaged
    # config at the toy widths loads the exported weights strictly.
    script = f"""
from mmengine.hub import get_config
from mmengine.runner import load_checkpoint
from mmdet.utils import register_all_modules
from mmdet.registry import MODELS
register_all_modules()
cfg = get_config('mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py')
cfg.model.backbone.update(depth=18, base_channels=32, init_cfg=None)
cfg.model.neck.update(in_channels=[32, 64, 128, 256], out_channels=64)
cfg.model.rpn_head.update(in_channels=64, feat_channels=64)
cfg.model.roi_head.bbox_roi_extractor.out_channels = 64
cfg.model.roi_head.bbox_head.update(in_channels=64, fc_out_channels=128)
model = MODELS.build(cfg.model)
load_checkpoint(model, {str(tmp_path / 'student.pth')!r}, strict=True)
import sys
assert 'ldrld_det' not in sys.modules and 'ldrld_core' not in sys.modules
print('loaded', len(model.state_dict()))
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "loaded" in proc.stdout


def test_two_runners_in_one_process_log_into_their_own_folders(tmp_path, coco):
    """MMDetection's configs name every visualizer 'visualizer' and MMEngine keeps
    one instance per name: without a name per run, the second runner built in a
    process (a notebook, the tests) would write its logs into the first's folder."""
    from ldrld_det.cli import DETECTION
    from ldrld_mm import cli

    visualizers = []
    for run in ("first", "second"):
        args = cli.parser("train_det.py", "").parse_args(
            [toy_config("student"), "--data-root", coco, "--work-dir", str(tmp_path / run)]
        )
        runner = cli.build_runner(cli.load_config(args, DETECTION))
        visualizers.append(runner.visualizer)
        backend = runner.visualizer.get_backend("LocalVisBackend")
        assert backend._save_dir.startswith(str(tmp_path / run)), backend._save_dir
    assert visualizers[0] is not visualizers[1]


def test_packaged_configs_inherit_mmdetection_and_set_the_recipe():
    from mmengine.config import Config

    cfg = Config.fromfile(os.path.join(CONFIGS, "frcnn_r101_r18_ldrld.py"))
    assert cfg.model.type == "RoIDistiller" and cfg.model.backbone.depth == 18
    assert cfg.model.distill_loss.type == "LDRLDLoss"
    assert cfg.model.teacher_checkpoint.startswith("https://download.openmmlab.com/")
    assert cfg.train_dataloader.batch_size == 2  # x 8 GPUs = 16
    assert cfg.model.train_cfg.rcnn.sampler.num == 512 and cfg.model.train_cfg.rcnn.sampler.pos_fraction == 0.25
    assert cfg.optim_wrapper.optimizer.lr == 0.02 and cfg.train_cfg.max_epochs == 12
    assert [s["milestones"] for s in cfg.param_scheduler if s["type"] == "MultiStepLR"] == [[8, 11]]
    scales = [t for t in cfg.train_pipeline if t["type"] == "RandomChoiceResize"][0]["scales"]
    assert min(s[1] for s in scales) == 640 and max(s[1] for s in scales) == 800
    teacher = Config.fromfile(cfg.model.teacher_config)
    assert teacher.model.backbone.depth == 101 and teacher.model.backbone.style == "caffe"
    assert teacher.model.data_preprocessor.std == [1.0, 1.0, 1.0]
    assert not teacher.model.data_preprocessor.bgr_to_rgb
    r50 = Config.fromfile(os.path.join(CONFIGS, "frcnn_r101_r50_ldrld.py"))
    assert r50.model.backbone.depth == 50
    assert json.dumps(cfg.model.distill_loss.to_dict())


def test_detection_losses_never_add_a_second_cross_entropy():
    from ldrld_core import build_loss
    from ldrld_det.distiller import without_ce

    s, t = torch.randn(2, 6, 81)
    labels = torch.randint(0, 81, (6,))
    combo = build_loss(
        without_ce(
            dict(
                type="DistillLossSum",
                losses=[dict(type="LDRLDLoss", alpha=1.0, beta=0.25), dict(type="DKDLoss", warmup=0)],
            )
        )
    )
    assert set(combo(s, t, labels)) == {"loss_local", "loss_rntk", "loss_tckd", "loss_nckd"}
    assert "loss_ce" not in build_loss(without_ce(dict(type="KDLoss")))(s, t, labels)
    with pytest.raises(ValueError, match=r"distill_loss.losses\[1\].ce_weight must be 0 in detection"):
        without_ce(dict(type="DistillLossSum", losses=[dict(type="KDLoss"), dict(type="DKDLoss", ce_weight=1)]))
