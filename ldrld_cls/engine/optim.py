"""Build the optimizer over the student's parameters only (the teacher is frozen)."""

from mmengine.optim import DefaultOptimWrapperConstructor
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS

from ldrld_core.errors import ConfigError


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class StudentOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """``DefaultOptimWrapperConstructor`` applied to ``model.student``
    (``paramwise_cfg`` options apply within the student)."""

    def __call__(self, model):
        if hasattr(model, "module"):  # DDP and other wrappers
            model = model.module
        student = getattr(model, "student", None)
        if student is None:
            raise ConfigError(
                f"StudentOptimWrapperConstructor needs a model with a .student network, got {type(model).__name__}"
            )
        return super().__call__(student)
