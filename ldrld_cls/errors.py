"""Errors for bad user input: each says which input was wrong and what was expected.

All derive from ``ValueError`` so that the command-line tools print them as one
line and exit non-zero, without a traceback.
"""


class ClsInputError(ValueError):
    """A configuration, a data set on disk or a model that does not fit."""


class UnknownModelError(ClsInputError):
    """A model name that no family of the registry holds."""


class DatasetError(ClsInputError):
    """A data set root that is missing or not laid out as expected."""


class ClassCountError(ClsInputError):
    """The number of classes of the data, the model and the teacher disagree."""
