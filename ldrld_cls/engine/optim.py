"""The name of a retired optimizer constructor, kept to tell old configs what to write instead.

The classification distiller holds its teacher outside ``parameters()``
(``ldrld_mm.teacher.HoldsTeacher``), so MMEngine's default constructor already builds the
optimizer over the student alone; a student-only constructor beside it said the same thing twice.
"""

from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS

from ldrld_core.errors import ConfigError


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class StudentOptimWrapperConstructor:
    """Retired: one sentence that says to delete ``optim_wrapper.constructor``."""

    def __init__(self, *args, **kwargs):
        raise ConfigError(
            "optim_wrapper.constructor='StudentOptimWrapperConstructor' is retired: the teacher is held outside "
            "the model's parameters, so MMEngine's default constructor optimises the student alone; delete the "
            "constructor key from optim_wrapper"
        )
