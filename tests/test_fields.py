"""Every field of every record keeps a good value and refuses a bad one by name.

The promise of ``favorledger.model``, field by field: a record built
directly (as a file reader or a program does) holds exactly the values it
was given, converted to their one normal form, and a value a field cannot
hold raises that record's own error (a :class:`~favorledger.FavorLedgerError`
and a ``ValueError``) whose message names the field as ``Record.field``.
The table below gives, for each record, one value per field that is good and
not the default; the test then spoils each field in turn.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs
import pytest

from favorledger import (
    FavorLedgerError,
    InvalidFavorError,
    InvalidPersonError,
    InvalidValueError,
)
from favorledger._exact import Ratio
from favorledger.errors import InvalidEntryError, InvalidTieError
from favorledger.model import (
    Answer,
    Ask,
    Assignment,
    Debt,
    Favor,
    Obligation,
    Person,
    Pledge,
    Release,
    Reversal,
    Settlement,
    Tie,
    Transfer,
)

AT = "2024-05-01T09:30:00+02:00"
LATER = "2024-06-01T09:30:00+02:00"
MOMENT = datetime(2024, 5, 1, 9, 30, tzinfo=timezone(timedelta(hours=2)))

GOOD: list[tuple[type, type[FavorLedgerError], dict[str, Any], dict[str, Any]]] = [
    (
        Person,
        InvalidPersonError,
        {"id": " ann ", "name": "Ann", "tags": ["python"], "at": AT},
        {"id": "ann", "tags": frozenset({"python"}), "at": MOMENT},
    ),
    (
        Favor,
        InvalidFavorError,
        {
            "id": "f1",
            "giver": "ann",
            "receiver": "bob",
            "value": "2.50",
            "kind": "advice",
            "at": AT,
            "via": "cat",
            "reason": "a lift",
            "tags": ("car",),
            "referral_share": "1/4",
            "fulfils": "p1",
        },
        {
            "value": Decimal("2.5"),
            "at": MOMENT,
            "tags": frozenset({"car"}),
            "referral_share": Decimal("0.25"),
        },
    ),
    (
        Reversal,
        InvalidFavorError,
        {"id": "r1", "favor_id": "f1", "at": AT, "reason": "twice"},
        {"at": MOMENT},
    ),
    (
        Tie,
        InvalidTieError,
        {
            "id": "t1",
            "a": "ann",
            "b": "bob",
            "strength": "0.5",
            "kind": "colleague",
            "reason": "same team",
            "at": AT,
        },
        {"strength": Decimal("0.5"), "at": MOMENT},
    ),
    (
        Pledge,
        InvalidEntryError,
        {
            "id": "p1",
            "giver": "ann",
            "receiver": "bob",
            "value": 3,
            "kind": "lift",
            "reason": "to the airport",
            "at": AT,
            "expires": LATER,
        },
        {"value": Decimal(3), "at": MOMENT, "expires": MOMENT + timedelta(days=31)},
    ),
    (
        Release,
        InvalidEntryError,
        {"id": "l1", "pledge_id": "p1", "at": AT, "reason": "not needed"},
        {"at": MOMENT},
    ),
    (
        Ask,
        InvalidEntryError,
        {
            "id": "a1",
            "asker": "ann",
            "asked": "bob",
            "value": Fraction(1, 3),
            "kind": "lift",
            "reason": "to the airport",
            "at": AT,
            "due": LATER,
        },
        {"value": Ratio(1, 3), "at": MOMENT, "due": MOMENT + timedelta(days=31)},
    ),
    (
        Answer,
        InvalidEntryError,
        {"id": "n1", "ask_id": "a1", "status": "declined", "at": AT},
        {"at": MOMENT},
    ),
    (
        Assignment,
        InvalidEntryError,
        {
            "id": "s1",
            "holder": "ann",
            "debtor": "bob",
            "new_holder": "cat",
            "amount": "1.5",
            "at": AT,
            "reason": "paid in kind",
        },
        {"amount": Decimal("1.5"), "at": MOMENT},
    ),
    (
        Settlement,
        InvalidEntryError,
        {
            "id": "x1",
            "payer": "ann",
            "payee": "cat",
            "amount": "2",
            "discharged": [Debt("ann", "bob", 2), Debt("bob", "cat", 2)],
            "passed": [],
            "kind": "cash",
            "at": AT,
            "reason": "evening up",
        },
        {
            "amount": Decimal(2),
            "discharged": (
                Debt("ann", "bob", Decimal(2)),
                Debt("bob", "cat", Decimal(2)),
            ),
            "passed": (),
            "at": MOMENT,
        },
    ),
    (
        Transfer,
        InvalidValueError,
        {
            "payer": "ann",
            "payee": "bob",
            "amount": "1/3",
            "explained_by": [Obligation("bob", "ann", Decimal(1), "f1", "recipient")],
        },
        {
            "amount": Ratio(1, 3),
            "explained_by": (Obligation("bob", "ann", Decimal(1), "f1", "recipient"),),
        },
    ),
]
"""(record, its error, good arguments, what a field holds where it differs
from the argument)."""

BAD = {1: 2}
"""A value no field accepts: not text, a number, a time or a list."""

CASES = [
    pytest.param(record, error, good, name, id=f"{record.__name__}.{name}")
    for record, error, good, _ in GOOD
    for name in good
]


@pytest.mark.parametrize(("record", "error", "good", "expected"), GOOD)
def test_a_record_holds_the_values_it_was_given(
    record: type, error: type[FavorLedgerError], good: dict[str, Any], expected: Any
) -> None:
    """Each field holds its argument, in normal form; none falls back to a
    default or drops the value."""
    del error
    made = record(**good)
    for name, value in good.items():
        want = expected.get(name, value)
        got = getattr(made, name)
        assert got == want, f"{record.__name__}.{name}: {got!r} != {want!r}"
        assert type(got) is type(want), f"{record.__name__}.{name}: {type(got)}"


@pytest.mark.parametrize(("record", "error", "good", "name"), CASES)
def test_each_field_refuses_a_bad_value_naming_the_field(
    record: type, error: type[FavorLedgerError], good: dict[str, Any], name: str
) -> None:
    """A value the field cannot hold raises the record's own error, which is
    a ``ValueError``, naming ``Record.field``."""
    with pytest.raises(FavorLedgerError) as caught:
        record(**{**good, name: BAD})
    assert type(caught.value) is error
    assert isinstance(caught.value, ValueError)
    assert f"{record.__name__}.{name}" in str(caught.value)


def test_the_table_covers_every_field_of_every_record() -> None:
    """No field of a record escapes the two tests above."""
    for record, _, good, _ in GOOD:
        fields = {f.alias for f in attrs.fields(record)}
        assert set(good) == fields, record.__name__
