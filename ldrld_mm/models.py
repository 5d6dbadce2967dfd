"""The student alone, from any model config of this project.

A distiller config (detection's ``RoIDistiller``, classification's
``ClsDistiller``) describes a student and, beside it, a teacher and a loss.
Evaluating, exporting or plotting a trained student needs the student's model
alone, without building or loading the teacher: each distiller class says how
through its ``student_config(model_cfg)`` classmethod, and
:func:`student_model_cfg` applies it. Any other config is returned as is.
"""

import copy


def _model_class(type_name):
    from mmengine.registry import MODELS

    with MODELS.switch_scope_and_registry(None) as registry:  # the default scope's registry (e.g. mmdet's)
        return registry.get(type_name)


def student_model_cfg(model_cfg) -> dict:
    """A copy of ``model_cfg`` that builds the student network alone."""
    model_cfg = copy.deepcopy(model_cfg)
    kind = model_cfg.get("type")
    cls = kind if isinstance(kind, type) else _model_class(kind) if isinstance(kind, str) else None
    to_student = getattr(cls, "student_config", None)
    return to_student(model_cfg) if to_student is not None else model_cfg
