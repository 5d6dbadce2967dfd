"""Errors for bad user input: the project's one family (``ldrld_core.errors``), and
the one kind only classification raises."""

from ldrld_core.errors import ClassCountError, ConfigError, DatasetError, InputError


class UnknownModelError(InputError):
    """A model name that no family of the registry holds."""


__all__ = ["ClassCountError", "ConfigError", "DatasetError", "InputError", "UnknownModelError"]
