"""The example notebooks run as notebooks, draw pictures, and say what is true.

``tests/test_examples.py`` runs every ``examples/*.py`` as a plain script.
Here each one is converted to ``.ipynb`` with jupytext and executed in a
Jupyter kernel with nbclient, as a reader (or the documentation build) runs
it; this needs the ``notebooks`` extra (jupytext, nbclient, ipykernel) and is
skipped without it. The kernel draws with matplotlib's inline backend, so
the pictures are real ``image/png`` outputs.

The claims the notebooks' prose makes about their (seeded) data are checked
against what the notebooks print, so the prose cannot go stale unnoticed.
"""

from __future__ import annotations

import functools
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

jupytext = pytest.importorskip("jupytext")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

EXAMPLES = Path(__file__).parent.parent / "examples"
NOTEBOOKS = sorted(path.stem for path in EXAMPLES.glob("*.py"))
ILLUSTRATED = ["community_timebank", "job_search", "medici", "quickstart"]
"""The notebooks that must draw at least one picture."""


@functools.cache
def executed(name: str) -> Any:
    """The notebook ``examples/NAME.py`` executed in a kernel.

    Each cell may take at most two minutes (``timeout``): a bound against a
    hang, not a timing promise (the test suite makes none: a loaded machine
    is no bug).
    """
    notebook = jupytext.read(EXAMPLES / f"{name}.py")
    env = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}
    client = nbclient.NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(EXAMPLES)}},
    )
    client.execute(env=env)  # raises CellExecutionError, naming the cell
    return notebook


def outputs(name: str) -> list[dict[str, Any]]:
    notebook = executed(name)
    return [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    ]


def printed(name: str) -> str:
    return "".join(
        o.get("text", "") for o in outputs(name) if o.get("name") == "stdout"
    )


def test_the_issue_notebooks_are_all_there() -> None:
    assert set(ILLUSTRATED) <= set(NOTEBOOKS)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_each_notebook_executes_in_a_kernel(name: str) -> None:
    notebook = executed(name)
    assert printed(name).strip(), "the notebook prints nothing"
    kinds = {cell.cell_type for cell in notebook.cells}
    assert kinds == {"markdown", "code"}, "a notebook explains itself in prose"
    errors = [o for o in outputs(name) if o.get("output_type") == "error"]
    assert errors == []


@pytest.mark.parametrize("name", ILLUSTRATED)
def test_each_notebook_draws_a_picture(name: str) -> None:
    images = [o for o in outputs(name) if "image/png" in o.get("data", {})]
    assert images, "no picture was drawn"


def test_quickstart_tells_the_two_obligations() -> None:
    text = printed("quickstart")
    assert "me  owes carol  3    (recipient)" in text
    assert "bob owes carol  1.5  (referrer)" in text


def test_job_search_says_what_its_prose_says() -> None:
    text = printed("job_search")
    lines = text.splitlines()
    # "Trust alone says 'ask Bob'", but leverage goes through Dan, who owes me
    assert "me -> bob -> omar -> vera: trust 0.405, 3 hops (trust)" in lines
    assert "me -> dan -> pia -> vera: trust 0.32, 3 hops (leverage)" in lines
    capacity = dict(row.rsplit(maxsplit=1) for row in _table(text, "contact  can ask"))
    assert capacity["Bob"] == "0", "I owe Bob: ask him for nothing more yet"
    assert [row.split()[0] for row in _table(text, "person  times")] == ["Gil"]


def test_community_timebank_says_what_its_prose_says() -> None:
    text = printed("community_timebank")
    assert "balances sum to 0" in text
    rows = _table(text, "way to square up")[:4]
    pairs, fewest, ties, clearing = ((int(r.split()[-2]), r.split()[-1]) for r in rows)
    assert fewest[0] < ties[0] < clearing[0] < pairs[0], "returns, as the prose says"
    hours = [Decimal(row[1]) for row in (fewest, ties, clearing, pairs)]
    assert hours == sorted(hours), "the fewest transfers move the fewest hours"
    assert "non-zero balances left: 0" in text
    assert "still to settle: []" in text


def test_medici_says_what_its_prose_says() -> None:
    text = printed("medici")
    betweenness = _table(text, "family        marriages")
    assert betweenness[0].split()[0] == "Medici", "Medici first by betweenness"
    assert "did the most favors: the Medici" in text
    assert "referred most: the Medici" in text
    shares = [row.split() for row in _table(text, "referral share")]
    assert shares[0][0] == "0"
    assert shares[0][2:] == ["1", "Medici"], "free introductions: Medici owed most"
    assert shares[1][0] == "1/2"
    assert shares[1][2] != "1", "at one half they are not"
    on_paths = _table(text, "family     on paths")
    assert on_paths[0].split()[0] == "Medici", "Medici on the most referral paths"
    for words in ("Historical data", "Simulated", "Our assumption"):
        assert words in _markdown("medici")


def _table(text: str, header: str) -> list[str]:
    """The rows of the printed table whose header line starts with ``header``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.strip() or line == "...":
            break
        rows.append(line)
    return rows


def _markdown(name: str) -> str:
    notebook = executed(name)
    return "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
