"""What the second newcomer trial met (2026-11-30), each a regression test
written before its fix.

The promises:

* an export says what the file holds, counted by kind of entry, wherever
  the file holds more than favors (GraphML, GEXF, JSON Lines);
* ``assign`` refused because the debt runs the other way says so, names
  who owes whom and the argument order, never a negative amount;
* a decimal comma (``1,5``) is refused with a hint to type a point;
* a Parquet file, which the command writes for analysis tools, is refused
  on import with the reason and the way to keep the whole ledger.
"""

from __future__ import annotations

import json
from collections import Counter
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from favorledger import Ledger, settle, trading
from favorledger._exact import normalize
from favorledger.errors import InvalidValueError, MarketError, shown
from favorledger.io.sqlite import open_ledger
from tests.command_line import run

T0 = "2024-01-01T00:00+00:00"


def market_ledger(db: str) -> Ledger:
    """Favors, a called pledge and an applied settlement, in a store."""
    with open_ledger(db, create=True) as led:
        led.record("carol", "me", 3, id="f1", at=T0)
        led.record("me", "dan", 2, id="f2", at=T0)
        trading.pledge(led, "dan", "carol", 1, id="p1", at=T0)
        trading.call(led, "p1", id="f3", at="2024-01-02T00:00+00:00")
        led.apply(settle(led), at="2024-01-03T00:00+00:00")  # 3 transfers
        return led


@pytest.mark.parametrize("kind", ["graphml", "gexf", "jsonl"])
def test_an_export_counts_every_kind_of_entry_it_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    db = str(tmp_path / "m.db")
    market_ledger(db)
    out = tmp_path / f"x.{kind}"
    code, said, _ = run(capsys, "--db", db, "export", str(out))
    assert code == 0
    assert said.startswith(
        f"wrote 7 entries (3 favors, 1 pledge, 3 settlements) to {out} ({kind})"
    )
    code, said, _ = run(capsys, "--db", db, "--json", "export", str(out), "--force")
    report = json.loads(said)
    assert report["written"] == 7
    assert report["held"] == {"favor": 3, "pledge": 1, "settlement": 3}


@settings(max_examples=25, deadline=None)
@given(
    values=st.lists(st.integers(1, 9), min_size=1, max_size=6),
    pledges=st.integers(0, 2),
)
def test_the_counts_an_export_names_are_the_entries_a_reader_gets_back(
    tmp_path_factory: pytest.TempPathFactory, values: list[int], pledges: int
) -> None:
    from favorledger.cli.files import held  # the counts the message names
    from favorledger.io.exported import carried
    from favorledger.io.graphs import read_graphml

    led = Ledger()
    for i, value in enumerate(values):
        led.record("ann" if i % 2 else "bob", "cat", value, at=T0)
    for i in range(pledges):
        trading.pledge(led, "cat", "ann", 1, id=f"p{i}", at=T0)
    path = tmp_path_factory.mktemp("held") / "x.graphml"
    from favorledger.io.graphs import write_graphml

    write_graphml(led, path)
    back = Counter(type(entry).__name__.lower() for entry in read_graphml(path))
    assert held(carried(led, "graphml")) == dict(sorted(back.items()))


@pytest.mark.parametrize("swapped", [True, False])
def test_assign_against_the_debt_names_who_owes_whom(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], swapped: bool
) -> None:
    db = str(tmp_path / "a.db")
    run(capsys, "--db", db, "record", "carol", "me", "3", "--at", T0)  # me owes carol
    argv = ["me", "carol"] if swapped else ["carol", "me"]
    code, _, err = run(capsys, "--db", db, "assign", *argv, "dan", "5")
    assert code == 2
    assert "(-" not in err, err  # no negative debt
    if swapped:
        assert "'carol' owes 'me' nothing" in err
        assert "'me' owes 'carol' 3" in err
        assert "HOLDER DEBTOR NEW_HOLDER" in err
    else:
        assert "exceeds what 'me' owes 'carol' (3)" in err


def test_assign_in_python_names_the_debt_the_other_way() -> None:
    led = Ledger()
    led.record("carol", "me", 3)
    with pytest.raises(MarketError, match="'carol' owes 'me' nothing"):
        trading.assign(led, "me", "carol", "dan", 1)
    assert len(led.log) == 1


@pytest.mark.parametrize("typed", ["1,5", "12,25", "0,1"])
def test_a_decimal_comma_gets_a_hint(typed: str) -> None:
    led = Ledger()
    with pytest.raises(InvalidValueError) as error:
        led.record("a", "b", typed)
    assert f"got {typed!r}" in str(error.value)
    assert f"use a point: {typed.replace(',', '.')}" in str(error.value)
    assert len(led.log) == 0


def test_a_parquet_file_is_refused_on_import_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "p.db")
    path = tmp_path / "x.parquet"
    path.write_bytes(b"PAR1")
    code, out, err = run(capsys, "--db", db, "import", str(path))
    assert (code, out) == (2, "")
    assert "Parquet" in err
    assert "not read back" in err
    assert ".jsonl" in err
    assert not Path(db).exists()


@settings(max_examples=60, deadline=None)
@given(
    owed=st.fractions(min_value=-5, max_value=5, max_denominator=4),
    more=st.fractions(min_value=Fraction(1, 4), max_value=3, max_denominator=4),
)
def test_an_assignment_refused_names_the_debt_as_it_runs(
    owed: Fraction, more: Fraction
) -> None:
    """What the refusal says follows the net debt: a positive one is quoted,
    none is "nothing", and one running the other way is named with the
    argument order."""
    from favorledger.market import Market
    from favorledger.model import Assignment

    amount = max(owed, Fraction(0)) + more
    wanted = Assignment(holder="h", debtor="d", new_holder="n", amount=amount, at=T0)
    with pytest.raises(MarketError) as error:
        Market.check_assignment(wanted, normalize(owed))
    said = str(error.value)
    assert said.startswith("Assignment.amount exceeds what 'd' owes 'h'")
    assert ("owes 'h' nothing" in said) == (owed <= 0)
    assert ("the one owed comes first" in said) == (owed < 0)
    if owed > 0:
        assert f"owes 'h' ({shown(normalize(owed))})," in said
    if owed < 0:
        assert f"'h' owes 'd' {shown(normalize(-owed))};" in said
