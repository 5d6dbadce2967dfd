"""One family of errors for bad user input, and the boundary that turns them into one line.

Every error a user can cause (a missing file, a data set in the wrong layout, a
checkpoint of another model, a download that cannot happen offline, an option
out of range) is an :class:`InputError`: a ``ValueError`` whose message names
the input, what was wrong and what was expected. The command-line tools run
their ``main`` inside :func:`cli_boundary`, which prints ``<tool>: error:
<message>`` on stderr and exits with status 2; ``LDRLD_DEBUG=1`` shows the
traceback as well. Every other exception is a failure of the run, shown with its
traceback (exit status 1): a ``ValueError`` that is not an ``InputError`` is not
taken for bad input.
"""

import functools
import os
import sys
import traceback

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


def cli_boundary(prog):
    """Decorator for a tool's ``main``. Bad input — an :class:`InputError` and nothing else —
    ends in one ``<prog>: error: ...`` line on stderr and exit status 2 (the traceback as well
    with ``LDRLD_DEBUG=1``). Any other exception is a failure, not bad input (a ``ValueError`` or
    ``IndexError`` from deep inside a framework included): its traceback, then one ``<prog>:
    failed: ...`` line, and exit status 1. A ``main`` that returns an int exits with it; any
    other return value means 0."""

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
            except InputError as err:
                if debug():
                    raise
                print(f"{prog}: error: {_one_line(err)}", file=sys.stderr)
                return EXIT_BAD_INPUT
            except Exception as err:  # noqa: BLE001  (a failure: the traceback, then its one line last)
                traceback.print_exc(file=sys.stderr)
                print(f"{prog}: failed: {type(err).__name__}: {_one_line(err)}", file=sys.stderr)
                return EXIT_FAILED
            return result if isinstance(result, int) and not isinstance(result, bool) else 0

        return run

    return wrap


def _one_line(err) -> str:
    text = " ".join(part.strip() for part in str(err).strip().splitlines() if part.strip())
    return text or type(err).__name__
