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
    """The quickstart shows both obligations of a referral, with the README's
    people and numbers, as a short labelled story that writes no file."""
    folder = EXAMPLES[0].parent
    before = sorted(folder.parent.rglob("*.png"))
    runpy.run_path(str(folder / "quickstart.py"))
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert "    me  owes carol  3    (recipient)" in lines
    assert "    bob owes carol  1.5  (referrer)" in lines
    assert "    balances: carol 4.5, bob -1.5, me -3 (total 0)" in lines
    assert [line[:2] for line in lines if not line.startswith(" ")] == [
        "1.",
        "2.",
        "3.",
        "4.",
    ]
    assert len(lines) <= 20
    assert sorted(folder.parent.rglob("*.png")) == before
    readme = (folder.parent / "README.md").read_text("utf-8")
    assert 'led.record("carol", "me", 3, via="bob"' in readme
