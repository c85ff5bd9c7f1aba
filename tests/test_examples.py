"""Every example notebook runs, end to end, as a plain script."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.py"))


def test_there_are_examples() -> None:
    assert any(path.name == "quickstart.py" for path in EXAMPLES)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs(
    path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The notebook runs without error and prints something readable."""
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(path.parent)
    runpy.run_path(str(path), run_name="__main__")
    assert capsys.readouterr().out.strip()
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def test_quickstart_tells_the_two_obligations(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The quickstart shows both obligations of a referral."""
    runpy.run_path(str(EXAMPLES[0].parent / "quickstart.py"))
    out = capsys.readouterr().out
    assert "owes Carol  2  (recipient)" in out
    assert "owes Carol  1  (referrer)" in out
    assert "total:      0" in out
