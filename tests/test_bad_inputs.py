"""The bad-input catalogue (docs/testing.md lists it): every command-line tool, given a wrong
file, folder, layout, checkpoint, option or value, or a download that cannot happen, ends
with exit status 2 and one line that names the input and what was expected, without a
traceback, and leaves its work dir as it was (an existing checkpoint included).

Most cases run the tool's ``main`` in this process (the tools are small wrappers, and the
imports are paid once); the first cases run fresh interpreters, as a user does.
"""

import json
import os
import shlex

import pytest
import torch

from ldrld_cls.engine.smoke import write_random_teacher
from toy.cls import make_toy_dataset
from toy.det import make_toy_coco
from toy.digits import make_digits
from toy.reid import make_toy_market1501

from det_helpers import toy_config
from tool_helpers import TOY, call_tool, run_tool

OFFLINE = {"https_proxy": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9", "no_proxy": ""}
CONFIGS = {
    "reid_config": os.path.join(TOY, "reid", "ldrld.py"),
    "reid_student": os.path.join(TOY, "reid", "student.py"),
    "cls_ldrld": os.path.join(TOY, "cls", "ldrld.py"),
    "cls_student": os.path.join(TOY, "cls", "student.py"),
    **{f"det_{name}": toy_config(name) for name in ("student", "ldrld")},
}


class Pickled:  # what a checkpoint that needs full unpickling holds
    pass


@pytest.fixture(scope="module")
def assets(tmp_path_factory):
    base = tmp_path_factory.mktemp("bad_inputs")
    coco = make_toy_coco(str(base / "coco"), num_train=2, num_val=2, image_size=(128, 96))
    one = make_toy_coco(str(base / "coco_one"), num_train=1, num_val=1, image_size=(128, 96))
    _, digits = make_digits(str(base / "digits"), teacher_per_class=2, student_per_class=2, test_per_class=1)
    cifar = make_toy_dataset(
        "cifar100", str(base / "cifar"), seed=0, active_classes=2, train_per_class=2, val_per_class=1
    )
    market = base / "market"
    make_toy_market1501(market, num_train_ids=4, num_test_ids=4, train_images_per_id=2)
    other_market = base / "market_other"
    make_toy_market1501(other_market, seed=1, num_train_ids=3, num_test_ids=4, train_images_per_id=2)
    reid_teacher = base / "reid_teacher.pth"
    from ldrld_reid import compat

    torch.save({"state_dict": compat.models().build_model("resnet18", 3, pretrained=False).state_dict()}, reid_teacher)
    import torchvision

    classifier = base / "resnet18_classifier.pth"
    torch.save(torchvision.models.resnet18().state_dict(), classifier)
    truncated = base / "truncated.pth"
    torch.save({"state_dict": {"w": torch.zeros(1000)}}, truncated)
    truncated.write_bytes(truncated.read_bytes()[:200])
    unsafe = base / "unsafe.pth"
    torch.save({"state_dict": {}, "meta": Pickled()}, unsafe)
    teacher20 = write_random_teacher("resnet20", 10, "cifar", str(base / "resnet20.pth"))
    teacher5 = write_random_teacher("resnet20", 5, "cifar", str(base / "resnet20_5.pth"))
    wrong_arch = write_random_teacher("vgg8", 10, "cifar", str(base / "vgg8.pth"))
    bad_json = base / "coco_bad_json"
    make_toy_coco(str(bad_json), num_train=2, num_val=2, image_size=(128, 96))
    ann = bad_json / "annotations" / "instances_train2017.json"
    ann.write_text(ann.read_text()[:100])
    empty_json = base / "coco_empty_json"
    make_toy_coco(str(empty_json), num_train=2, num_val=2, image_size=(128, 96))
    (empty_json / "annotations" / "instances_train2017.json").write_text("")
    no_images = base / "coco_no_images"
    make_toy_coco(str(no_images), num_train=2, num_val=2, image_size=(128, 96))
    (no_images / "annotations" / "instances_train2017.json").write_text(json.dumps({"annotations": []}))
    syntax = base / "syntax_error.py"
    syntax.write_text("_base_ = ['x.py'\nmodel = dict(\n")
    bad_reid = base / "bad_reid.py"
    bad_reid.write_text("task = 'reid'\ntrain = dict(lr=\n")
    typo_reid = base / "typo_reid.py"
    typo_reid.write_text(f"_base_ = [{CONFIGS['reid_student']!r}]\ntrain = dict(max_epochs=3)\n")
    old_reid = base / "old_reid.py"  # the two-stage Re-ID config's loss section
    old_reid.write_text(f"_base_ = [{CONFIGS['reid_student']!r}]\ndistill = dict(loss='kd')\n")
    three_classes = base / "teacher_3_classes.py"
    three_classes.write_text(
        f"_base_ = [{toy_config('teacher')!r}]\nmodel = dict(roi_head=dict(bbox_head=dict(num_classes=3)))\n"
    )
    a_file = base / "a_file"
    a_file.write_text("not a folder")
    no_meta = base / "cifar_no_meta"
    make_toy_dataset("cifar100", str(no_meta), seed=0, active_classes=2, train_per_class=2, val_per_class=1)
    os.remove(no_meta / "cifar-100-python" / "meta")
    bad_name = base / "market_bad_name"
    data_dir = make_toy_market1501(bad_name, num_train_ids=2, num_test_ids=2)
    from PIL import Image

    Image.new("RGB", (64, 128)).save(os.path.join(data_dir, "query", "bad-name.jpg"))
    return dict(
        base=base,
        coco=coco,
        one=one,
        digits=digits,
        cifar=cifar,
        market=market,
        other_market=other_market,
        reid_teacher=reid_teacher,
        classifier=classifier,
        truncated=truncated,
        unsafe=unsafe,
        teacher20=teacher20,
        teacher5=teacher5,
        wrong_arch=wrong_arch,
        bad_json=bad_json,
        empty_json=empty_json,
        no_images=no_images,
        syntax=syntax,
        bad_reid=bad_reid,
        typo_reid=typo_reid,
        old_reid=old_reid,
        three_classes=three_classes,
        a_file=a_file,
        no_meta=no_meta,
        bad_name=bad_name,
    )


def _snapshot(folder):
    """Every file under ``folder`` with its bytes and modification time (None: no folder)."""
    if not os.path.isdir(folder):
        return None
    found = {}
    for dirpath, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(dirpath, name)
            with open(path, "rb") as f:
                found[os.path.relpath(path, folder)] = (f.read(), os.stat(path).st_mtime_ns)
    return found


def _work_dir(tmp_path):
    """A work dir that already holds a finished run's checkpoint: a failing run must leave it alone."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "epoch_1.pth").write_bytes(b"an earlier run's checkpoint")
    (work / "last_checkpoint").write_text(str(work / "epoch_1.pth"))
    return work


# (id, tool, its command line: {name} stands for an asset, {work} for the work dir and {det_student} etc. for the
# toy configs, what the one error line must say)
CASES = [
    (
        "det-missing-config",
        "train_det.py",
        "configs/nope.py --work-dir {work}",
        ["config configs/nope.py: no such file", "expected an MMEngine config"],
    ),
    ("det-config-syntax-error", "train_det.py", "{syntax} --work-dir {work}", ["syntax_error.py could not be read"]),
    (
        "det-missing-data-folder",
        "train_det.py",
        "{det_student} --data-root {base}/no --work-dir {work}",
        ["COCO data root", "no such folder", "instances_{train,val}2017.json"],
    ),
    (
        "det-incomplete-layout",
        "train_det.py",
        "{det_student} --data-root {digits} --work-dir {work}",
        ["is incomplete, missing", "instances_train2017.json", "expected COCO 2017's layout"],
    ),
    (
        "det-truncated-annotations",
        "train_det.py",
        "{det_student} --data-root {bad_json} --work-dir {work}",
        ["instances_train2017.json is not valid JSON", "expected COCO's instances JSON"],
    ),
    (
        "det-empty-annotations",
        "train_det.py",
        "{det_student} --data-root {empty_json} --work-dir {work}",
        ["instances_train2017.json is empty"],
    ),
    (
        "det-annotations-without-images",
        "train_det.py",
        "{det_student} --data-root {no_images} --work-dir {work}",
        ["has no images, categories", "expected COCO's instances JSON"],
    ),
    (
        "det-missing-teacher",
        "train_det.py",
        "{det_ldrld} --data-root {coco} --teacher-checkpoint {base}/nope.pth --work-dir {work}",
        ["teacher checkpoint", "nope.pth: no such file", "--teacher-checkpoint"],
    ),
    (
        "det-truncated-teacher",
        "train_det.py",
        "{det_ldrld} --data-root {coco} --teacher-checkpoint {truncated} --work-dir {work}",
        ["could not read checkpoint", "truncated.pth"],
    ),
    (
        "det-teacher-of-another-architecture",
        "train_det.py",
        "{det_ldrld} --data-root {coco} --teacher-checkpoint {classifier} --work-dir {work}",
        ["resnet18_classifier.pth does not fit FasterRCNN", "missing keys", "another architecture or class count"],
    ),
    (
        "det-teacher-of-another-class-count",
        "train_det.py",
        "{det_ldrld} --data-root {coco} --work-dir {work} --cfg-options model.teacher_config={three_classes}",
        ["teacher's box head has 3 classes but the student's has 80"],
    ),
    (
        "det-teacher-needs-unpickling",
        "train_det.py",
        "{det_ldrld} --data-root {coco} --teacher-checkpoint {unsafe} --work-dir {work}",
        ["unsafe.pth holds Python objects", "--trust-checkpoint"],
    ),
    (
        "det-unknown-loss",
        "train_det.py",
        "{det_ldrld} --data-root {coco} --work-dir {work} --cfg-options model.distill_loss.type=NoSuchLoss",
        ["unknown distillation loss type 'NoSuchLoss'", "expected one of"],
    ),
    (
        "det-unknown-model-argument",
        "train_det.py",
        "{det_student} --data-root {coco} --work-dir {work} --cfg-options model.colour=red",
        ["unexpected keyword argument 'colour'", "check the config and --cfg-options"],
    ),
    (
        "det-missing-resume",
        "train_det.py",
        "{det_student} --data-root {coco} --work-dir {work} --resume {base}/gone.pth",
        ["--resume", "gone.pth: no such file"],
    ),
    (
        "det-work-dir-under-a-file",
        "train_det.py",
        "{det_student} --data-root {coco} --work-dir {a_file}/run",
        ["a_file is a file, not a folder", "expected a folder"],
    ),
    (
        "det-fewer-images-than-the-batch",
        "train_det.py",
        "{det_student} --data-root {one} --work-dir {work}",
        ["holds 1 usable image(s), fewer than one batch of 2", "train_dataloader.batch_size"],
    ),
    (
        "det-teacher-download-offline",
        "train_det.py",
        "{det_ldrld} --data-root {coco} --work-dir {work} --teacher-checkpoint https://download.openmmlab.com/mmdetection/v2.0/no_such_teacher-0000.pth",
        [
            "could not download https://download.openmmlab.com/mmdetection/v2.0/no_such_teacher-0000.pth",
            "hub/checkpoints/no_such_teacher-0000.pth",
            "--teacher-checkpoint PATH",
        ],
    ),
    (
        "det-backbone-download-offline",
        "train_det.py",
        "configs/frcnn_r18_fpn_1x_coco.py --data-root {coco} --work-dir {work}",
        [
            "ImageNet initialisation model.backbone.init_cfg (torchvision://resnet18)",
            "could not download",
            "hub/checkpoints/resnet18-f37072fd.pth",
            "--no-pretrained",
        ],
    ),
    (
        "test-det-missing-checkpoint",
        "test_det.py",
        "{det_ldrld} {base}/nope.pth --data-root {coco} --work-dir {work}",
        ["checkpoint", "nope.pth: no such file", "tools/train_det.py"],
    ),
    (
        "test-det-checkpoint-of-another-model",
        "test_det.py",
        "{det_ldrld} {classifier} --data-root {coco} --work-dir {work}",
        ["resnet18_classifier.pth does not fit FasterRCNN"],
    ),
    (
        "cls-missing-data-folder",
        "train_cls.py",
        "{cls_student} --data-root {base}/no_digits --work-dir {work}",
        ["CIFAR-100: data root", "no_digits does not exist", "cifar-100-python"],
    ),
    (
        "cls-wrong-layout",
        "train_cls.py",
        "{cls_student} --data-root {no_meta} --work-dir {work}",
        ["is not laid out as expected", "meta (torchvision's layout)"],
    ),
    (
        "cls-unknown-model",
        "train_cls.py",
        "{cls_student} --data-root {digits} --work-dir {work} --cfg-options model.student.arch=resnet33",
        ["unknown model name 'resnet33'", "did you mean"],
    ),
    (
        "cls-teacher-of-another-architecture",
        "train_cls.py",
        "{cls_ldrld} --data-root {digits} --teacher-checkpoint {wrong_arch} --work-dir {work}",
        ["model.teacher (arch='resnet20'", "vgg8.pth does not fit"],
    ),
    (
        "cls-teacher-of-another-class-count",
        "train_cls.py",
        "{cls_ldrld} --data-root {digits} --teacher-checkpoint {teacher5} --work-dir {work}",
        ["trained for 5 classes", "built for 10"],
    ),
    (
        "cls-data-of-another-class-count",
        "train_cls.py",
        "{cls_student} --data-root {cifar} --work-dir {work}",
        ["has 100 classes, but the model is built for 10"],
    ),
    (
        "cls-missing-teacher",
        "train_cls.py",
        "{cls_ldrld} --data-root {digits} --work-dir {work} --teacher-checkpoint {base}/nope.pth",
        ["teacher checkpoint", "nope.pth: no such file"],
    ),
    (
        "cls-teacher-for-a-config-without-one",
        "train_cls.py",
        "{cls_student} --data-root {digits} --teacher-checkpoint {teacher20} --work-dir {work}",
        ["--teacher-checkpoint", "trains without a teacher"],
    ),
    (
        "cls-mpi-launcher-without-cuda",
        "train_cls.py",
        "{cls_student} --data-root {digits} --work-dir {work} --launcher mpi",
        ["--launcher mpi without CUDA", "--launcher pytorch"],
    ),
    (
        "cls-retired-optimizer-constructor",
        "train_cls.py",
        "{cls_student} --data-root {digits} --work-dir {work} "
        "--cfg-options optim_wrapper.constructor=StudentOptimWrapperConstructor",
        ["optim_wrapper.constructor='StudentOptimWrapperConstructor' is retired", "delete the constructor key"],
    ),
    (
        "cls-teacher-download-offline",
        "train_cls.py",
        "{cls_ldrld} --data-root {digits} --work-dir {work} --teacher-checkpoint torchvision://resnet34",
        [
            "the teacher weights (torchvision://resnet34)",
            "could not download",
            "hub/checkpoints/resnet34-b627a593.pth",
            "--teacher-checkpoint PATH",
        ],
    ),
    (
        "reid-missing-data-folder",
        "train_reid.py",
        "{reid_student} --data-root {base}/no_market --work-dir {work}",
        ["Market-1501 not found", "no_market does not exist", "bounding_box_train"],
    ),
    (
        "reid-bad-file-name",
        "train_reid.py",
        "{reid_student} --data-root {bad_name} --work-dir {work}",
        ["bad-name.jpg", "do not match Market-1501's pattern", "PPPP_cCsS_FFFFFF_BB.jpg"],
    ),
    (
        "reid-config-syntax-error",
        "train_reid.py",
        "{bad_reid} --work-dir {work}",
        ["bad_reid.py could not be read", "SyntaxError"],
    ),
    (
        "reid-unknown-key",
        "train_reid.py",
        "{typo_reid} --work-dir {work}",
        ["unknown key train.'max_epochs'", "known keys at this level"],
    ),
    (
        "reid-unknown-cfg-option",
        "train_reid.py",
        "{reid_student} --data-root {market} --work-dir {work} --cfg-options data.heigth=64",
        ["--cfg-options data.heigth=64", "unknown key data.'heigth'"],
    ),
    (
        "reid-retired-distill-key",
        "train_reid.py",
        "{old_reid} --work-dir {work}",
        ["distill: Re-ID configs take distill_loss=dict(type='LDRLDLoss', ...)", "teacher=dict(name=..., checkpoint"],
    ),
    (
        "reid-retired-mode-flag",
        "train_reid.py",
        "{reid_config} --mode student --teacher-checkpoint {reid_teacher}",
        ["--mode is retired", "the teacher with its own config", "tools/test_reid.py CONFIG CHECKPOINT"],
    ),
    (
        "reid-retired-max-epoch-flag",
        "train_reid.py",
        "{reid_student} --max-epoch 3",
        ["--max-epoch is retired: --cfg-options train.max_epoch=N"],
    ),
    (
        "reid-amp-is-not-for-torchreid",
        "train_reid.py",
        "{reid_student} --data-root {market} --work-dir {work} --amp",
        ["--amp: torchreid's engine trains Re-ID in float32"],
    ),
    (
        "reid-teacher-checkpoint-without-a-teacher",
        "train_reid.py",
        "{reid_student} --data-root {market} --work-dir {work} --teacher-checkpoint {reid_teacher}",
        ["--teacher-checkpoint: config", "trains without a teacher"],
    ),
    (
        "reid-distilling-without-a-teacher-checkpoint",
        "train_reid.py",
        "{reid_config} --data-root {market} --work-dir {work}",
        ["teacher.checkpoint is not set; pass --teacher-checkpoint PATH"],
    ),
    (
        "reid-teacher-of-other-identities",
        "train_reid.py",
        "{reid_config} --data-root {market} --work-dir {work} --teacher-checkpoint {reid_teacher}",
        ["classifies 3 identities but the training data has 4"],
    ),
    (
        "reid-batch-larger-than-the-data",
        "train_reid.py",
        "{reid_student} --data-root {market} --work-dir {work} --cfg-options train.batch_size=64",
        ["train.batch_size 64", "larger than the 8 training images"],
    ),
    (
        "reid-missing-resume",
        "train_reid.py",
        "{reid_student} --data-root {market} --work-dir {work} --resume {base}/gone.tar",
        ["--resume", "gone.tar: no such file"],
    ),
    (
        "reid-imagenet-download-offline",
        "train_reid.py",
        "{reid_student} --data-root {market} --work-dir {work} --cfg-options model.pretrained=true",
        [
            "ImageNet initialisation of model.name resnet18",
            "could not download",
            "hub/checkpoints/resnet18-5c106cde.pth",
            "--no-pretrained",
        ],
    ),
    (
        "reid-unknown-option",
        "train_reid.py",
        "{reid_student} --epochs 3",
        ["unrecognized arguments: --epochs 3"],
    ),
    (
        "reid-test-missing-checkpoint",
        "test_reid.py",
        "{reid_student} {base}/nothing.pth --data-root {market} --work-dir {work}",
        ["checkpoint", "nothing.pth: no such file; expected the weights to evaluate"],
    ),
    (
        "plot-corr-missing-checkpoint",
        "plot_corr.py",
        "--task reid --teacher {base}/t.pth --student {base}/s.pth --out {work}/corr.png",
        ["checkpoint", "t.pth: no such file"],
    ),
    (
        "plot-corr-bad-classes",
        "plot_corr.py",
        "--task reid --teacher {reid_teacher} --student {reid_teacher} --config {reid_config}"
        " --data-root {other_market} --classes some --out {work}/corr.png",
        ["--classes must be all, present or a number, got 'some'"],
    ),
    ("demo-out-is-a-file", "demo.py", "--out {a_file}", ["--out", "exists and is not a folder"]),
    ("demo-one-seed", "demo.py", "--seeds 0 --out {work}/demo", ["needs at least two seeds"]),
    ("demo-old-task-flag", "demo.py", "--task det-glyphs", ["--task: studies are files now", "tools/study.py"]),
    ("study-missing-file", "study.py", "{work}/nope.py --out {work}/s", ["study", "nope.py: no such file"]),
]
SUBPROCESS = {"det-missing-config", "reid-missing-data-folder", "cls-missing-data-folder", "reid-unknown-option"}


def test_the_catalogue_is_large_and_covers_every_tool():
    assert len(CASES) >= 30 and len({c[0] for c in CASES}) == len(CASES)
    assert {c[1] for c in CASES} == {
        "train_det.py",
        "test_det.py",
        "train_cls.py",
        "train_reid.py",
        "test_reid.py",
        "plot_corr.py",
        "demo.py",
        "study.py",
    }


@pytest.mark.parametrize("case, tool, args, expected", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_sentence_and_leaves_the_work_dir_alone(
    assets, tmp_path, monkeypatch, case, tool, args, expected
):
    work = _work_dir(tmp_path)
    before = _snapshot(work)
    argv = [token.format(**assets, **CONFIGS, work=work) for token in shlex.split(args)]
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))  # an empty hub cache: every download is tried
    for key, value in OFFLINE.items():  # and every download fails at once: an unreachable proxy
        monkeypatch.setenv(key, value)
    if case in SUBPROCESS:
        proc = run_tool(tool, *argv, check=False, env=dict(OFFLINE, TORCH_HOME=str(tmp_path / "torch_home")))
        code, out, err = proc.returncode, proc.stdout, proc.stderr
    else:
        try:
            code, out, err = call_tool(tool, *argv)
        except SystemExit as exit_:  # argparse
            code, out, err = exit_.code, "", ""
    assert code == 2, (code, err[-2000:], out[-2000:])
    assert "Traceback" not in err + out
    errors = [line for line in err.splitlines() if ": error: " in line]
    assert len(errors) == 1, err
    for text in expected:
        assert text in errors[0], (text, errors[0])
    assert _snapshot(work) == before  # nothing created or changed, the earlier checkpoint intact


def _boundary_run(fn, capsys):
    from ldrld_core.errors import cli_boundary

    code = cli_boundary("tool.py")(fn)()
    return code, capsys.readouterr().err


def test_only_the_input_error_family_is_one_line(capsys):
    import numpy as np

    from ldrld_core.errors import DatasetError

    def bad_input():
        raise DatasetError("data root x: no such folder; expected Market-1501's layout")

    code, err = _boundary_run(bad_input, capsys)
    assert code == 2 and err == "tool.py: error: data root x: no such folder; expected Market-1501's layout\n"

    def framework_index_error():
        return np.zeros(19)[19]  # what torchreid's Engine.test raised on a short gallery

    def framework_value_error():
        return int("a deep framework value")

    for crash, kind in ((framework_index_error, "IndexError"), (framework_value_error, "ValueError")):
        code, err = _boundary_run(crash, capsys)
        assert code == 1
        assert err.startswith("Traceback (most recent call last):") and f"in {crash.__name__}" in err
        assert err.strip().splitlines()[-1].startswith(f"tool.py: failed: {kind}: ")
        assert ": error: " not in err


def test_reading_a_config_downloads_nothing(assets, tmp_path, monkeypatch):
    """``ldrld_mm.cli.load_config`` checks a run's inputs without the network: offline, with an
    empty hub cache, a config whose backbone starts from ``torchvision://resnet18`` and a teacher
    given as a URL both read, the URL kept as given and nothing fetched. The downloads happen once,
    where the model is built (the ``*-download-offline`` cases above give their sentence)."""
    from ldrld_det.cli import DETECTION
    from ldrld_mm import cli

    hub = tmp_path / "torch_home"
    monkeypatch.setenv("TORCH_HOME", str(hub))
    for key, value in OFFLINE.items():
        monkeypatch.setenv(key, value)
    url = "https://download.openmmlab.com/mmdetection/v2.0/no_such_teacher-0000.pth"
    for config, extra in (
        (os.path.join(os.path.dirname(TOY), "frcnn_r18_fpn_1x_coco.py"), []),
        (CONFIGS["det_ldrld"], ["--teacher-checkpoint", url]),
    ):
        argv = [config, "--data-root", assets["coco"], "--work-dir", str(tmp_path / "work"), *extra]
        cfg = cli.load_config(cli.parser("train_det.py", "").parse_args(argv), DETECTION)
        assert not hub.exists() or not any(hub.rglob("*.pth")), sorted(hub.rglob("*"))
    assert cfg.model.teacher_checkpoint == url
    assert not (tmp_path / "work").exists()
