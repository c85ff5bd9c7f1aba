"""Ctrl-C while the ``favorledger`` command is still loading.

The command's first line of its own runs only after the package and the
command's parser have been imported, and Python answers Ctrl-C there with a
traceback. So when this process *is* the command (the ``favorledger``
script, or ``python -m favorledger``), the package's first import installs
a SIGINT handler that says ``favorledger: interrupted`` and exits with 130
at once: nothing has been opened or written yet. :func:`favorledger.cli.main`
puts Python's own handler back before it does anything, so a command
interrupted later stops as before (a store's transaction rolls back); the
rest of the library a command needs is imported after that, once it knows
which command it runs, and ``main`` answers an interrupt there with the same
line and status. Importing favorledger in any other program changes nothing.
"""

from __future__ import annotations

import itertools
import os
import signal
import sys
from types import FrameType


def _the_command() -> bool:
    """Whether this process runs the ``favorledger`` command."""
    if os.path.basename(sys.argv[0]).removesuffix(".exe") == "favorledger":
        return True  # the console script
    argv = sys.orig_argv
    return any(
        flag == "-m" and module == "favorledger"
        for flag, module in itertools.pairwise(argv)
    )


def interrupted(signum: int, frame: FrameType | None) -> None:  # noqa: ARG001
    """The SIGINT handler while the command loads."""
    try:
        os.write(2, b"favorledger: interrupted\n")
    finally:
        os._exit(130)


def loaded() -> None:
    """The command has loaded: Ctrl-C raises KeyboardInterrupt again."""
    if signal.getsignal(signal.SIGINT) is interrupted:
        signal.signal(signal.SIGINT, signal.default_int_handler)


if _the_command() and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
    signal.signal(signal.SIGINT, interrupted)
