"""A value that begins with ``-`` reaches the command as it was typed.

argparse reads an argument that begins with ``-`` as an option (``--kind
-x`` is ``--kind`` without its value, then an unknown ``-x``), unless it is
a negative number (``-1``, ``-1/2``: an amount, refused by the command
naming it). The way to give any other such value is documented
(docs/command-line.md, ``favorledger --help``): ``--kind=-x`` for an
option, ``--`` before the arguments (``record -- -x bob 1``). Each form takes
any text, ``--`` itself too: argparse dropped a ``--`` given as
``--kind=--`` before Python 3.13, and still drops it in ``record -- ann --
1``, leaving the list ``[]`` in place of the value (``--kind must be a
string, got []``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from favorledger.cli.parser import build_parser
from favorledger.io.sqlite import open_ledger
from tests.command_line import run

AT = "2024-01-01T00:00Z"

# Texts that argparse might take for something else: dashes, "=", spaces,
# digits (a negative number) and the letters of options (-h, --json, --k).
_tricky = st.text(st.sampled_from("-= 1./hjksonz"), max_size=8)
values = _tricky | st.text(max_size=8)


def test_two_dashes_are_a_value_given_with_equals_or_after_the_separator(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: ``--kind=--`` and ``record -- ann -- 1`` were refused
    with ``must be a string, got []``."""
    db = str(tmp_path / "s.db")
    code, _, err = run(
        capsys,
        f"--db={db}",
        "record",
        "--kind=--",
        "--reason=--",
        "--tag=--",
        "--id=f1",
        f"--at={AT}",
        "--",
        "ann",
        "--",
        "1",
    )
    assert code == 0, err
    with open_ledger(db, readonly=True) as led:
        favor = led.favors["f1"]
    assert (favor.giver, favor.receiver, favor.kind) == ("ann", "--", "--")
    assert (favor.reason, favor.tags) == ("--", frozenset({"--"}))
    code, out, err = run(capsys, "--db", db, "--json", "log", "--kind=--")
    assert code == 0, err
    assert [entry["id"] for entry in json.loads(out)] == ["f1"]


def test_two_dashes_refused_as_an_amount_are_named_as_typed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: ``record -- ann bob --`` said ``got [] of type list``."""
    db = tmp_path / "s.db"
    code, out, err = run(capsys, "--db", str(db), "record", "--", "ann", "bob", "--")
    assert (code, out) == (2, "")
    assert err == "favorledger: error: VALUE must be a number, got '--'\n"
    assert not db.exists()


@given(giver=values, receiver=values, value=values, kind=values, reason=values)
@example(giver="-ann", receiver="--", value="-1", kind="-:", reason="--")
@example(giver="--json", receiver="-h", value="--", kind="--", reason="-")
@example(giver="--k", receiver="-", value="- 1", kind="=", reason="--at=x")
def test_any_value_is_taken_as_typed_with_equals_or_after_the_separator(
    giver: str, receiver: str, value: str, kind: str, reason: str
) -> None:
    """``--kind=VALUE`` and the arguments after ``--`` are taken as typed,
    whatever they hold (the command then checks them)."""
    args = build_parser().parse_args(
        [
            "record",
            f"--kind={kind}",
            f"--reason={reason}",
            "--",
            giver,
            receiver,
            value,
        ]
    )
    assert (args.giver, args.receiver, args.value) == (giver, receiver, value)
    assert (args.kind, args.reason) == (kind, reason)


@given(db=values, person=values)
@example(db="--", person="--")
@example(db="-x.db", person="-ann")
def test_the_store_and_an_optional_argument_are_taken_as_typed(
    db: str, person: str
) -> None:
    """``--db=PATH`` and an optional argument after ``--`` likewise."""
    args = build_parser().parse_args([f"--db={db}", "balance", "--", person])
    assert (args.db, args.person) == (db, person)


def test_the_help_says_how_to_give_a_value_that_begins_with_a_dash(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    assert "--kind=-x" in " ".join(out.split())
    assert "favorledger record -- -x bob 1" in " ".join(out.split())
