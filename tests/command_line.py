"""Running the ``favorledger`` command inside a test."""

from __future__ import annotations

import pytest

from favorledger.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """The command's exit status and what it printed on stdout and stderr."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err
