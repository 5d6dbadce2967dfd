"""One family of errors for bad user input, and the boundary that turns them into one line.

Every error a user can cause (a missing file, a data set in the wrong layout, a
checkpoint of another model, a download that cannot happen offline, an option
out of range) is an :class:`InputError`: a ``ValueError`` whose message names
the input, what was wrong and what was expected. The command-line tools run
their ``main`` inside :func:`cli_boundary`, which prints ``<tool>: error:
<message>`` on stderr and exits with status 2; ``LDRLD_DEBUG=1`` shows the
traceback as well.
"""

import functools
import os
import sys

EXIT_BAD_INPUT = 2
EXIT_FAILED = 1


class InputError(ValueError):
    """Bad input: a file, folder, option or value that cannot be used as given."""


class ConfigError(InputError):
    """A configuration file or option that cannot be used."""


class DatasetError(InputError):
    """A data set folder that is missing or not laid out as expected."""


class CheckpointError(InputError):
    """A checkpoint that is missing, unreadable or does not fit the model."""


class ClassCountError(InputError):
    """The class counts of the data, the model and the teacher disagree."""


class DownloadError(InputError):
    """A file that had to be downloaded at run time and could not be."""


def debug() -> bool:
    return os.environ.get("LDRLD_DEBUG", "") not in ("", "0")


def _framework_errors():
    """Exceptions that, raised while a tool reads its inputs, mean bad input."""
    return (InputError, ValueError, FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError)


def cli_boundary(prog):
    """Decorator for a tool's ``main``: bad input ends in one ``<prog>: error: ...``
    line on stderr and exit status 2, anything else in one ``<prog>: failed: ...``
    line and status 1; no traceback unless ``LDRLD_DEBUG=1``. A ``main`` that
    returns an int exits with it; any other return value means 0."""

    def wrap(main):
        @functools.wraps(main)
        def run(*args, **kwargs):
            try:
                result = main(*args, **kwargs)
            except SystemExit:
                raise
            except KeyboardInterrupt:
                print(f"{prog}: interrupted", file=sys.stderr)
                return 130
            except _framework_errors() as err:
                if debug():
                    raise
                print(f"{prog}: error: {_one_line(err)}", file=sys.stderr)
                return EXIT_BAD_INPUT
            except Exception as err:  # noqa: BLE001  (one line, the traceback on request)
                if debug():
                    raise
                print(
                    f"{prog}: failed: {type(err).__name__}: {_one_line(err)} (set LDRLD_DEBUG=1 for the traceback)",
                    file=sys.stderr,
                )
                return EXIT_FAILED
            return result if isinstance(result, int) and not isinstance(result, bool) else 0

        return run

    return wrap


def _one_line(err) -> str:
    text = " ".join(part.strip() for part in str(err).strip().splitlines() if part.strip())
    if (
        isinstance(err, (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError))
        and err.filename
        and err.strerror
    ):
        text = f"{err.filename}: {err.strerror}"
    if isinstance(err, KeyError) and text.startswith(("'", '"')):
        text = text[1:-1]
    return text or type(err).__name__
