"""A hook for the distributed tests (imported through a config's custom_imports): after
training, every rank saves its own copy of the student's weights and what it sees of the
teacher, so the test can compare the ranks."""

import os

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


@HOOKS.register_module()
class RankWeightsHook(Hook):
    def after_train(self, runner):
        wrapped = runner.model
        model = wrapped.module if is_model_wrapper(wrapped) else wrapped
        teacher = getattr(model, "teacher", None)
        torch.save(
            {
                "student": model.state_dict(),
                "wrapped": type(wrapped).__name__,
                "teacher": None if teacher is None else teacher.state_dict(),
                "teacher_training": None if teacher is None else teacher.training,
                "teacher_in_ddp": any(p is q for p in wrapped.parameters() for q in teacher.parameters())
                if teacher is not None
                else None,
            },
            os.path.join(runner.work_dir, f"rank{get_rank()}.pth"),
        )
