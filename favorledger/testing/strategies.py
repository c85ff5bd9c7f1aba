"""Hypothesis strategies for favorledger, for your own property-based tests.

Every function takes keyword arguments only and returns a strategy. They are
the ones favorledger's own specification is written with. This module needs
the ``testing`` extra (``pip install -e '.[testing]'`` in the checkout).

Examples
--------
>>> from hypothesis import given
>>> from favorledger import total
>>> from favorledger.testing.strategies import ledgers
>>> @given(ledgers(max_favors=10))
... def test_balances_sum_to_zero(led):
...     assert total(led.balances().values()) == 0
>>> test_balances_sum_to_zero()
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

from hypothesis import strategies as st

from favorledger import trading
from favorledger._exact import Amount, mul, normalize
from favorledger.discharge import latest_between
from favorledger.ledger import Ledger
from favorledger.model import Favor, as_id

__all__ = ["favors", "ledgers", "person_ids", "texts", "times", "values"]

_NAMES = ("ann", "bob", "carol", "dan", "eve", "fay", "gus", "hal", "ivy", "jo")
_SHARES = ("0", "1/3", "1/2", "1")
_DECIMAL_SHARES = ("0", "1/2", "1")
_START = datetime(2020, 1, 1)
# What an id may hold: str.isprintable(), i.e. no Cc, Cf, Cs, Co, Cn, Zl, Zp
# and no Zs but the plain space.
_PRINTABLE = st.characters(
    exclude_categories=["Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"]
) | st.just(" ")
_END = datetime(2030, 1, 1)
HALF = Decimal("0.5")


def person_ids(*, pool: Sequence[str] | None = _NAMES) -> st.SearchStrategy[str]:
    """Person ids: drawn from ``pool``, or any valid id when ``pool`` is None
    (in the form the ledger keeps: stripped, Unicode NFC).

    A small pool makes people meet often, which is what finds bugs.
    """
    if pool is not None:
        return st.sampled_from(tuple(pool))
    return st.text(_PRINTABLE, min_size=1, max_size=12).map(as_id).filter(bool)


def texts(*, max_size: int = 20) -> st.SearchStrategy[str]:
    """Free text a name or reason may hold: any Unicode but lone surrogates
    (control characters and line breaks included).

    Examples
    --------
    >>> from favorledger import Person
    >>> from hypothesis import given
    >>> @given(texts())
    ... def test_any_text_is_a_name(name):
    ...     assert Person("ann", name=name).name == name
    >>> test_any_text_is_a_name()
    """
    return st.text(st.characters(exclude_categories=["Cs"]), max_size=max_size)


def values(
    *,
    max_value: int = 1000,
    decimals: bool = True,
    fractions: bool = True,
) -> st.SearchStrategy[Amount]:
    """Exact positive favor values: ints, Decimals with up to 2 places, Fractions.

    Fractions have small denominators (up to 12), so thirds and sevenths
    appear: a ledger must keep them exact.
    """
    choices: list[st.SearchStrategy[Amount]] = [st.integers(1, max_value).map(Decimal)]
    if decimals:
        choices.append(
            st.integers(1, max_value * 100).map(lambda n: Decimal(n).scaleb(-2))
        )
    if fractions:
        choices.append(
            st.builds(Fraction, st.integers(1, max_value * 12), st.integers(1, 12)).map(
                normalize
            )
        )
    return st.one_of(choices)


def times(
    *, start: datetime = _START, end: datetime = _END
) -> st.SearchStrategy[datetime]:
    """Timezone-aware times (UTC) between naive ``start`` and ``end``."""
    return st.datetimes(min_value=start, max_value=end, timezones=st.just(UTC))


@st.composite
def _favors(
    draw: st.DrawFn,
    people: st.SearchStrategy[str],
    amounts: st.SearchStrategy[Amount],
    referrals: bool,
    ids: st.SearchStrategy[str] | None,
    shares: Sequence[str],
) -> Favor:
    giver = draw(people)
    receiver = draw(people.filter(lambda p: p != giver))
    via = None
    share = None
    if referrals and draw(st.booleans()):
        via = draw(people.filter(lambda p: p not in (giver, receiver)))
        share = draw(st.none() | st.sampled_from(shares))
    extra = {} if ids is None else {"id": draw(ids)}
    return Favor(
        giver=giver,
        receiver=receiver,
        value=draw(amounts),
        kind=draw(st.sampled_from(["favor", "introduction", "advice", "job"])),
        at=draw(times()),
        via=via,
        referral_share=share,
        **extra,
    )


def favors(
    *,
    people: st.SearchStrategy[str] | None = None,
    amounts: st.SearchStrategy[Amount] | None = None,
    referrals: bool = True,
    ids: st.SearchStrategy[str] | None = None,
    fractions: bool = True,
) -> st.SearchStrategy[Favor]:
    """Valid favors among ``people`` (default: :func:`person_ids`).

    Parameters
    ----------
    people
        Where giver, receiver and referrer come from; it must be able to
        produce three distinct ids when ``referrals`` is on.
    amounts
        The values (default :func:`values`).
    referrals
        Whether some favors are done ``via`` a referrer (with a share of
        ``None``, 0, 1/3, 1/2 or 1).
    ids
        Where ids come from (default: fresh unique ids).
    fractions
        If false, every value and share has a decimal form (no thirds):
        what a Parquet favors table holds.
    """
    return _favors(
        people if people is not None else person_ids(),
        amounts if amounts is not None else values(fractions=fractions),
        referrals,
        ids,
        _SHARES if fractions else _DECIMAL_SHARES,
    )


@st.composite
def _ledgers(
    draw: st.DrawFn,
    min_people: int,
    max_people: int,
    max_favors: int,
    market: bool,
    fractions: bool,
) -> Ledger:
    count = draw(st.integers(min_people, max_people))
    pool = _NAMES[:count] if count <= len(_NAMES) else [f"p{i}" for i in range(count)]
    defaults = ["1/2", "1/3", "1", "0"] if fractions else ["1/2", "1", "0"]
    ledger = Ledger(referral_share=draw(st.sampled_from(defaults)))
    for person in pool:
        ledger.add_person(person)
    people = st.sampled_from(pool)
    entries = draw(
        st.lists(
            favors(people=people, referrals=count >= 3, fractions=fractions),
            max_size=max_favors,
        )
    )
    ledger.add_many(entries)
    if market:
        _market(draw, ledger, people, entries)
    return ledger


def _market(
    draw: st.DrawFn,
    ledger: Ledger,
    people: st.SearchStrategy[str],
    entries: list[Favor],
) -> None:
    """Reverse some favors, call or release pledges, assign some IOUs."""
    if entries:
        for favor in draw(st.lists(st.sampled_from(entries), max_size=3, unique=True)):
            later = max(favor.at, draw(times()))  # at once, or found out later
            at = draw(st.sampled_from([favor.at, later]))
            ledger.reverse(favor.id, at=at, reason="a mistake")
    for pledge in draw(st.lists(favors(people=people, referrals=False), max_size=3)):
        pledged = trading.pledge(
            ledger, pledge.giver, pledge.receiver, pledge.value, at=pledge.at
        )
        called = draw(st.sampled_from(["call", "part", "release", "open"]))
        if called == "call":
            trading.call(ledger, pledged.id, at=pledge.at)
        elif called == "part":
            trading.call(
                ledger, pledged.id, at=pledge.at, value=mul(pledge.value, HALF)
            )
        elif called == "release":
            trading.release(ledger, pledged.id, at=pledge.at)
    for _ in range(draw(st.integers(0, 3))):
        debts = ledger.who_owes_whom()
        if not debts or len(ledger.people) < 3:
            break
        debt = draw(st.sampled_from(debts))
        others = [p for p in ledger.people if p not in (debt.debtor, debt.creditor)]
        share = draw(st.sampled_from([Decimal(1), HALF]))
        new_holder = draw(st.sampled_from(sorted(others)))
        at = draw(times())  # not before the debts it moves (assign refuses that)
        pairs = [(debt.debtor, debt.creditor), (debt.creditor, new_holder)]
        latest = latest_between(ledger, pairs)
        trading.assign(
            ledger,
            debt.creditor,
            debt.debtor,
            new_holder,
            mul(debt.amount, share),
            at=at if latest is None else max(at, latest.at),
        )


def ledgers(
    *,
    min_people: int = 2,
    max_people: int = 6,
    max_favors: int = 20,
    market: bool = False,
    fractions: bool = True,
) -> st.SearchStrategy[Ledger]:
    """Ledgers of up to ``max_favors`` favors among ``min_people``-``max_people``.

    The ledger's default referral share is drawn too (1/2, 1/3, 1 or 0).
    With ``market``, some favors are then reversed (at their own time or
    later), pledges are made and called (in full or in part), released or
    left open, and some IOUs are assigned to a third person. With
    ``fractions=False`` every amount has a decimal form (no thirds).
    """
    if min_people < 2 or max_people < min_people:
        raise ValueError(
            f"need 2 <= min_people <= max_people, got {min_people}, {max_people}"
        )
    return _ledgers(min_people, max_people, max_favors, market, fractions)
