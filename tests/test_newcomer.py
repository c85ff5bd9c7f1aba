"""What a newcomer met at the command line (the trial of 2026-11-30), each a
regression test written before its fix.

The promises:

* retrying ``record ... --id X`` without ``--at`` changes nothing (the README:
  "re-recording the same favor id with the same body changes nothing"); a
  different body, or an explicitly different time, is still refused;
* the command refuses to date an entry after now (a favor not yet done is a
  pledge), naming ``--at``; queries may look at any time, and the Python
  library stays permissive (replicas, imports);
* messages show values as the user typed or sees them (``1.5``, ISO times,
  the option's name), never Python reprs;
* argparse corners get our one-line errors.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from favorledger import Ledger
from favorledger.cli import main
from favorledger.errors import in_words
from favorledger.io.sqlite import open_ledger
from tests.command_line import run

T1 = "2024-01-01T09:00:00+00:00"
REPR = re.compile(r"Decimal\(|Fraction\(|Ratio\(|datetime\.|\bNone\b|=None|\[\{")


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "favors.db")


def favor_ids(db: str) -> list[str]:
    with open_ledger(db, readonly=True) as led:
        return list(led.favors)


# -------------------------------------------------------------- B1: retries
def test_retrying_record_without_at_is_idempotent(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    first = run(capsys, "--db", db, "record", "hal", "ann", "2", "--id", "myid1")
    again = run(capsys, "--db", db, "record", "hal", "ann", "2", "--id", "myid1")
    assert first[0] == again[0] == 0, again
    assert again[1] == first[1]  # the same favor, as first recorded
    assert favor_ids(db) == ["myid1"]
    with open_ledger(db, readonly=True) as led:
        assert led.balance("hal") == 2


@pytest.mark.parametrize(
    ("change", "named"),
    [(["3"], "value 2 != 3"), (["2", "--at", T1], "at ")],
)
def test_a_retry_with_another_body_or_an_explicit_time_is_refused(
    db: str, capsys: pytest.CaptureFixture[str], change: list[str], named: str
) -> None:
    run(capsys, "--db", db, "record", "hal", "ann", "2", "--id", "x")
    code, _, err = run(capsys, "--db", db, "record", "hal", "ann", *change, "--id", "x")
    assert code == 2
    assert "already recorded with a different body" in err
    assert named in err
    assert not REPR.search(err), err
    assert favor_ids(db) == ["x"]


def test_retrying_record_on_a_second_handle_catches_up_first(tmp_path: Path) -> None:
    """A retry through another process's handle sees the first write."""
    path = str(tmp_path / "s.db")
    with open_ledger(path, create=True) as one, open_ledger(path) as two:
        first = one.record("a", "b", 2, id="f1")
        assert two.record("a", "b", 2, id="f1") == first
        assert len(two.log) == len(one.log) == 1


# ---------------------------------------------------------- A4: future times
NOW_ISH = datetime.now(UTC)
FUTURE = [
    ["record", "carol", "me", "3"],
    ["tie", "carol", "me", "0.5"],
    ["person", "carol"],
    ["pledge", "carol", "me", "2"],
    ["ask", "me", "carol", "1"],
    ["barter", "carol", "me", "1", "2"],
]


@pytest.mark.parametrize("argv", FUTURE, ids=lambda argv: argv[0])
def test_the_command_refuses_an_entry_dated_after_now(
    db: str, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, out, err = run(capsys, "--db", db, *argv, "--at", "2099-01-01")
    assert (code, out) == (2, "")
    assert "--at" in err
    assert "2099-01-01" in err
    assert "future" in err
    assert not Path(db).exists()  # a refused first entry creates no store


def test_a_future_favor_is_refused_after_the_store_exists(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "--db", db, "record", "carol", "me", "3", "--id", "f1", "--at", T1)
    code, _, err = run(
        capsys, "--db", db, "record", "carol", "me", "3", "--at", "2099-01-01T00:00"
    )
    assert code == 2
    assert "pledge" in err  # what to use instead
    assert favor_ids(db) == ["f1"]
    for argv in (["reverse", "f1"], ["settle", "--apply"], ["clear", "--apply"]):
        code, _, err = run(capsys, "--db", db, *argv, "--at", "2099-01-01")
        assert code == 2, argv
        assert "--at" in err
    with open_ledger(db, readonly=True) as led:
        assert len(led.log) == 1  # nothing but f1 was recorded


@settings(max_examples=20, deadline=None)
@given(st.timedeltas(min_value=timedelta(days=-3650), max_value=timedelta(0)))
def test_any_time_up_to_now_is_accepted(back: timedelta) -> None:
    import tempfile

    moment = (datetime.now(UTC) + back).isoformat()
    with tempfile.TemporaryDirectory() as directory:
        db = str(Path(directory) / "s.db")
        assert main(["--db", db, "record", "a", "b", "1", "--at", moment]) == 0
        with open_ledger(db, readonly=True) as led:
            assert [f.at for f in led.favors.values()] == [
                datetime.fromisoformat(moment)
            ]


def test_queries_may_ask_about_the_future(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "--db", db, "record", "a", "b", "1", "--at", T1)
    code, out, _ = run(capsys, "--db", db, "balance", "a", "--at", "2099-01-01")
    assert (code, out) == (0, "1\n")


def test_the_library_keeps_future_times_for_replicas() -> None:
    """A replica whose clock runs behind must still take another's log."""
    led = Ledger()
    ahead = datetime.now(UTC) + timedelta(minutes=5)
    assert led.record("a", "b", 1, at=ahead).at == ahead


# ------------------------------------------------- B2: values as users see them
def _fails(capsys: pytest.CaptureFixture[str], db: str, *argv: str) -> str:
    code, _, err = run(capsys, "--db", db, *argv)
    assert code == 2, (argv, err)
    assert not REPR.search(err), err
    return err


def test_errors_show_values_as_typed(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "got 1.5" in _fails(capsys, db, "tie", "hal", "ann", "1.5")
    assert "got -2" in _fails(capsys, db, "record", "hal", "ann", "-2")
    run(capsys, "--db", db, "pledge", "hal", "ann", "2", "--id", "p1", "--at", T1)
    err = _fails(capsys, db, "call", "p1", "--value", "5")
    assert "--value" in err
    assert "got 5" in err


def test_settlement_details_read_as_debts(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "--db", db, "record", "carol", "me", "3", "--via", "bob", "--at", T1)
    run(capsys, "--db", db, "record", "me", "bob", "1", "--at", T1)
    assert run(capsys, "--db", db, "settle", "--apply")[0] == 0
    for command in (["log"], ["history", "me"]):
        code, out, _ = run(capsys, "--db", db, *command)
        assert code == 0
        settled = [line for line in out.splitlines() if "settlement" in line]
        assert settled, out
        for line in settled:
            assert not REPR.search(line), line
            assert "{" not in line
            assert re.search(r"\w+ owes \w+ [\d/.]+", line), line
    code, out, _ = run(capsys, "--db", db, "--json", "log", "--type", "settlement")
    assert all(isinstance(e["discharged"], list) for e in json.loads(out))


# ------------------------------------------------------- B11: argparse corners
@pytest.mark.parametrize(
    ("argv", "wanted"),
    [
        (
            ["record", "dave", "ann", "3", "--via", "eve", "--share", "-1/2"],
            "--share must be zero or positive, got -",
        ),
        (
            ["record", "dave", "ann", "3", "--via", "eve", "--share", "-0.5"],
            "--share must be zero or positive, got -",
        ),
        (["record", "dave", "ann", "-1/2"], "VALUE must be positive, got -1/2"),
        (["reverse", ""], "FAVOR_ID must not be empty"),
        (["reverse", "  "], "FAVOR_ID must not be empty"),
        (["person", ""], "PERSON must be a non-empty string"),
        (
            ["log", "--since", "2026-01-01", "--until", "1999-01-01"],
            "--since must not be after --until",
        ),
    ],
)
def test_argparse_corners_get_our_one_line_errors(
    db: str, capsys: pytest.CaptureFixture[str], argv: list[str], wanted: str
) -> None:
    run(capsys, "--db", db, "record", "a", "b", "1", "--id", "f1", "--at", T1)
    code, out, err = run(capsys, "--db", db, *argv)
    assert (code, out) == (2, "")
    assert err.startswith("favorledger: error: ")
    assert len(err.splitlines()) == 1, err  # no usage text
    assert wanted in err, err
    assert favor_ids(db) == ["f1"]


def test_a_nan_tie_strength_is_not_called_a_float_refusal() -> None:
    """A tie's strength may be a float (a weight); NaN is refused as not a
    number in (0, 1], not as a float."""
    led = Ledger()
    with pytest.raises(ValueError, match=r"must be a number in \(0, 1\], got nan"):
        led.tie("a", "b", float("nan"))
    assert led.tie("a", "b", 0.1 + 0.2).strength == Decimal("0.3")


@settings(max_examples=20, deadline=None)
@given(st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=36500)))
def test_any_time_after_now_is_refused_and_creates_nothing(ahead: timedelta) -> None:
    import tempfile

    moment = (datetime.now(UTC) + ahead).isoformat()
    with tempfile.TemporaryDirectory() as directory:
        db = Path(directory) / "s.db"
        assert main(["--db", str(db), "record", "a", "b", "1", "--at", moment]) == 2
        assert not db.exists()


# ------------------------------------------- the one place values are shown
@given(
    st.one_of(
        st.decimals(allow_nan=False, allow_infinity=False, places=6),
        st.fractions(max_denominator=10**6),
        st.datetimes(timezones=st.just(UTC)),
    )
)
def test_a_shown_value_reads_back_as_itself(value: object) -> None:
    """``errors.shown`` writes a number or a time as a person would type it:
    reading the text back gives the value, and no Python repr shows."""
    from fractions import Fraction

    from favorledger.errors import shown

    text = shown(value)
    assert not REPR.search(text), text
    if isinstance(value, datetime):
        assert datetime.fromisoformat(text) == value
    elif isinstance(value, Fraction):
        assert Fraction(text) == value
    else:
        assert Decimal(text) == value


ENTRY_KINDS = ("Favor", "Pledge", "Tie", "Person", "Reversal", "Ask", "Answer")
FIELD_NAMES = st.sampled_from(["value", "giver", "at", "strength", "id", "via"])


@given(
    kind=st.sampled_from(ENTRY_KINDS),
    field=FIELD_NAMES,
    words=st.dictionaries(FIELD_NAMES, st.sampled_from(["VALUE", "--at", '"worth"'])),
    rest=st.text(alphabet="abc ,.-0123456789", max_size=20),
)
def test_a_message_names_a_field_as_the_person_typed_it(
    kind: str, field: str, words: dict[str, str], rest: str
) -> None:
    """A field with a word of its own is named by it; any other keeps its
    entry's name; the rest of the message is untouched."""
    message = f"{kind}.{field} must be positive{rest}"
    said = in_words(message, words)
    named = words.get(field, f"{kind}.{field}")
    assert said == f"{named} must be positive{rest}"
