"""Names and texts given as ``str`` subclasses are their text; ``None`` is no name.

Programs often keep people in a ``StrEnum`` or a ``str`` subclass. The
ledger stores what such a value spells, exactly as if the plain string had
been given; and something that is not a string is never a person.
"""

from __future__ import annotations

from enum import StrEnum

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from favorledger import InvalidValueError, Ledger


class Who(StrEnum):
    ANN = "ann"
    BOB = "bob"


class Tagged(str):
    """A ``str`` subclass such as a program might use for ids."""


# printable names (control characters are refused by their own rule)
printable = st.characters(categories=["L", "N", "P", "S"])
names = st.text(printable, min_size=1, max_size=10)


@given(giver=names, receiver=names, reason=st.text(printable, max_size=20))
@example(giver=Who.ANN.value, receiver=Who.BOB.value, reason="lunch")
def test_a_str_subclass_is_recorded_as_its_text(giver, receiver, reason):
    """Recording with ``str`` subclasses for the people and the reason gives
    the same favor, balances and history as the plain strings."""
    if giver == receiver:
        receiver = giver + "+"
    plain, sub = Ledger(), Ledger()
    a = plain.record(giver, receiver, 1, reason=reason, at="2024-01-01T00:00Z")
    b = sub.record(
        Tagged(giver), Tagged(receiver), 1, reason=Tagged(reason), at=a.at, id=a.id
    )
    assert (b.giver, b.receiver, b.reason) == (a.giver, a.receiver, a.reason)
    assert sub.balances() == plain.balances()
    assert sub.history(a.giver) == plain.history(a.giver)  # as kept (NFC)


def test_a_strenum_member_is_a_person() -> None:
    """A ``StrEnum`` member names the person it spells."""
    led = Ledger()
    favor = led.record(Who.ANN, Who.BOB, 2, reason=Who.BOB)
    assert (favor.giver, favor.receiver, favor.reason) == ("ann", "bob", "bob")
    assert led.balance("ann") == 2
    assert set(led.people) == {"ann", "bob"}


@pytest.mark.parametrize("role", ["giver", "receiver", "reason"])
@pytest.mark.parametrize("value", [None, 3, b"ann"])
def test_something_that_is_not_a_string_is_refused(role: str, value: object) -> None:
    """``None``, numbers and bytes are not names or reasons: the error names
    the field, and the ledger is unchanged."""
    led = Ledger()
    args = {"giver": "ann", "receiver": "bob", "reason": ""} | {role: value}
    with pytest.raises(InvalidValueError, match=f"{role} must be a"):
        led.record(args["giver"], args["receiver"], 1, reason=args["reason"])
    assert not list(led.log)
    assert None not in led.people
