"""One teacher policy for the three tasks (ldrld_mm.teacher): the teacher is never in the student's
state_dict, parameters or optimizer, moves with the student, and stays in eval mode with no gradients.
Built through each framework's own registry on toy sizes."""

import warnings

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

from ldrld_cls.engine.smoke import write_random_teacher
from ldrld_core.errors import ClassCountError
from ldrld_mm.teacher import HoldsTeacher, check_class_count, freeze

from det_helpers import toy_config

pytestmark = pytest.mark.usefixtures("one_thread")


def _classification(tmp_path):
    from mmengine.registry import MODELS

    import ldrld_cls.engine  # noqa: F401  (registers the modules)

    path = write_random_teacher("resnet20", 10, "cifar", str(tmp_path / "resnet20.pth"))
    model = MODELS.build(
        dict(
            type="ClsDistiller",
            num_classes=10,
            student=dict(arch="resnet8"),
            teacher=dict(arch="resnet20", checkpoint=path),
            distill_loss=dict(type="KDLoss"),
        )
    )
    optim = dict(optimizer=dict(type="SGD", lr=0.1))  # MMEngine's default constructor
    return model, optim


def _detection(tmp_path):
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules

    import ldrld_det  # noqa: F401  (registers the modules)

    register_all_modules()
    cfg = Config.fromfile(toy_config("ldrld"))
    cfg.model.teacher_checkpoint = None  # random teacher weights: only where it is held matters here
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MODELS.build(cfg.model)
    return model, cfg.optim_wrapper


@pytest.mark.parametrize("build", [_classification, _detection], ids=["cls", "det"])
def test_the_teacher_is_held_outside_the_student_moved_with_it_and_always_in_eval(tmp_path, build):
    model, optim_cfg = build(tmp_path)
    assert isinstance(model, HoldsTeacher)
    teacher = model.teacher
    teacher_params = {id(p) for p in teacher.parameters()}
    assert teacher_params and not teacher_params & {id(p) for p in model.parameters()}
    assert not [k for k in model.state_dict() if k.startswith("teacher")]
    assert "teacher" not in dict(model.named_children())
    optimizer = build_optim_wrapper(model, optim_cfg).optimizer
    assert not teacher_params & {id(p) for group in optimizer.param_groups for p in group["params"]}
    model.train()
    assert model.training and not teacher.training and not any(m.training for m in teacher.modules())
    assert not any(p.requires_grad for p in teacher.parameters())
    model.double()  # what .to(device) and .cuda() go through: nn.Module._apply
    assert all(p.dtype == torch.float64 for p in teacher.parameters())
    model.to(torch.float32)
    assert all(p.dtype == torch.float32 for p in teacher.parameters())
    assert model.teacher is teacher


def test_reid_freezes_its_teacher_with_the_same_policy():
    from ldrld_reid import compat, engine

    assert engine.freeze is freeze
    teacher = freeze(compat.models().build_model("resnet18", 4, loss="softmax", pretrained=False).train())
    assert not teacher.training and not any(p.requires_grad for p in teacher.parameters())


def test_class_count_is_one_sentence():
    check_class_count(80, 80, "teacher_config t.py", "box head")
    with pytest.raises(ClassCountError, match=r"^teacher_config t\.py: the teacher's box head has 3 classes but"):
        check_class_count(3, 80, "teacher_config t.py", "box head")
