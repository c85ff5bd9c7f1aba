"""Reopening a store gives exactly the ledger its entries replayed one by one.

Reopening takes fast paths (``plain_favor`` rows straight to ``_add_plain``,
the trusted rebuild of the others); the promise they must keep, and any
bulk path a later round tries (issue 13), is that the reopened ledger is
exactly the one adding the entries one at a time gives: the same log,
people (in order, with their dates), favors, balances and pair rows (in the
same order, each amount of the same type and form), reversals, ties and
market, whatever mix of plain favors, referrals, reversals and market
entries the store holds; and a row that cannot be replayed (an id stored
twice) is set aside with its seq, the rest indexed.
"""

from __future__ import annotations

import gc
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest.mock import patch

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_sqlite import _insert_raw, rich_ledgers

from favorledger import Favor, Ledger, trading
from favorledger._collector import UNTRACKS
from favorledger.io import stored as stored_module
from favorledger.io.jsonl import dumps_entry
from favorledger.io.sqlite import open_ledger
from favorledger.model import Entry
from favorledger.testing.strategies import ledgers

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def exact(value: object) -> str:
    """A value with its type and form (``Decimal('5')`` is not ``Decimal('5.0')``)."""
    return f"{type(value).__name__}:{value!r}"


def state(led: Ledger) -> list[object]:
    """Everything the ledger holds, in order, every amount with its form."""
    market = led._market
    return [
        [dumps_entry(entry) for entry in led._log],
        [(key, dumps_entry(person)) for key, person in led._people.items()],
        [(key, dumps_entry(favor)) for key, favor in led._favors.items()],
        [(key, exact(amount)) for key, amount in led._balance.items()],
        [
            (debtor, [(creditor, exact(gross)) for creditor, gross in row.items()])
            for debtor, row in led._owed.items()
        ],
        sorted(led._reversal_of),
        sorted(led._reversals),
        sorted(led._statements, key=repr),
        sorted(led._ties, key=sorted),
        [sorted(getattr(market, name)) for name in sorted(vars(market))],
        repr(led.who_owes_whom()),
        [entry.id for person in sorted(led._people) for entry in led.history(person)],
        Ledger.__repr__(led),
    ]


def one_by_one(entries: list[Entry], **settings_: object) -> Ledger:
    """The ledger replaying ``entries`` one entry at a time."""
    led = Ledger(**settings_)  # type: ignore[arg-type]
    for entry in entries:
        led.add(entry)
    return led


def stored(path: Path, entries: list[Entry], share: object) -> None:
    with open_ledger(path, referral_share=share) as led:  # type: ignore[arg-type]
        led.add_many(entries)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def plain(n: int, giver: str, receiver: str, value: object) -> Favor:
    return Favor(giver=giver, receiver=receiver, value=value, id=f"f{n}", at=at(n))  # type: ignore[arg-type]


# --------------------------------------------------------------- properties
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    led=st.one_of(
        ledgers(market=True),
        ledgers(min_people=2, max_people=40, max_favors=60, market=True),
        rich_ledgers(),
    )
)
def test_a_reopened_store_is_the_ledger_replayed_one_by_one(
    tmp_path_factory: pytest.TempPathFactory, led: Ledger
) -> None:
    path = tmp_path_factory.mktemp("bulk") / "favors.db"
    log = list(led.log)
    stored(path, log, led.referral_share)
    with open_ledger(path, referral_share=led.referral_share) as back:
        assert state(back) == state(one_by_one(log, referral_share=led.referral_share))
        assert back.damage == ()


# ----------------------------------------------------------- regressions
def mixed_store() -> list[Entry]:
    """Plain favors, then referrals, reversals and the market, then plain
    favors again (people met again and people new, whole amounts and not)."""
    led = Ledger()
    n = 0
    for giver, receiver, value in [
        ("ann", "bob", 2),
        ("bob", "ann", 2),  # bob's and ann's balances back to 0
        ("ann", "bob", 3),  # a pair met again
        ("cat", "ann", "2.5"),
        ("cat", "ann", "2.5"),  # a non-whole sum that looks whole: 5
        ("dan", "bob", "1/3"),
        ("ann", "dan", 1024),
        ("ann", "dan", 1),  # past the shared small amounts
    ]:
        n += 1
        led.add(plain(n, giver, receiver, value))
    led.record("eve", "ann", 4, via="bob", id="v1", at=at(100))
    led.reverse("f3", id="r1", at=at(101))
    led.reverse("v1", id="r2", at=at(102))
    pledge = trading.pledge(led, "bob", "eve", 2, id="p1", at=at(103))
    trading.call(led, pledge.id, at=at(104))
    led.add_person("fay", "Fay", at=at(105))
    led.tie("fay", "ann", "0.5", id="t1", at=at(106))
    for giver, receiver, value in [
        ("bob", "ann", 3),  # the pair reversed above, owed again
        ("fay", "gus", 1),  # fay was stated, gus is new
        ("dan", "bob", "2/3"),  # a Ratio pair reaching a whole 1
        ("gus", "fay", 1),
        ("ann", "cat", 5),  # cat's balance back to 0
    ]:
        n += 1
        led.add(plain(n, giver, receiver, value))
    return list(led.log)


def test_a_mixed_store_reopens_as_its_entries_replayed_one_by_one(
    tmp_path: Path,
) -> None:
    path = tmp_path / "favors.db"
    entries = mixed_store()
    stored(path, entries, "1/2")
    with open_ledger(path) as back:
        assert state(back) == state(one_by_one(entries))
        assert back.balance("cat") == 0
        assert back.owes("bob", "dan") == 1


def test_a_row_with_an_id_stored_twice_is_set_aside(tmp_path: Path) -> None:
    """A plain favor whose id is already stored (a store changed around the
    library) is set aside as damage naming its seq; the rest is indexed."""
    path = tmp_path / "favors.db"
    entries = mixed_store()
    stored(path, entries, "1/2")
    with sqlite3.connect(path) as connection:  # a store changed around the library
        connection.execute("DROP TRIGGER entries_new_id")
        connection.execute("DROP INDEX entries_entry_id")
    again = dumps_entry(entries[0]).replace('"value": "2"', '"value": "7"')
    _insert_raw(path, ("f1", "favor", "x", again))
    with open_ledger(path) as back:
        assert back.damage == (
            f"{path}: entry {len(entries) + 1} cannot be replayed: Favor.id 'f1'"
            " is already recorded with a different body: value 2 != 7",
        )
        assert state(back) == state(one_by_one(entries))


# ------------------------------------------------- every query, any order
def _favor_fields(favor: Favor) -> list[str]:
    """Each field with its type and form; a time's ``fold`` (which no
    stored text keeps, and equality ignores) left out, tags sorted."""
    values = (getattr(favor, field.name) for field in attrs.fields(Favor))
    return [
        exact(value.replace(fold=0) if isinstance(value, datetime) else value)
        if not isinstance(value, frozenset)
        else f"frozenset:{sorted(value)!r}"  # the same set, in any order
        for value in values
    ]


def _shown(answer: object) -> str:
    """``repr(answer)``, but a time's ``fold`` (see :func:`_favor_fields`)."""
    return repr(answer).replace("fold=1, ", "")


_ENTRIES = frozenset({"favor by id", "log entries"})
"""Queries answered by entries, compared by equality (their JSON lines and
fields are compared by the others: a set of tags shows in any order)."""


def _queries(led: Ledger) -> dict[str, Callable[[Ledger], object]]:
    """What a user may ask a ledger, by name; the people, ids and times to
    ask about come from ``led`` (the ledger as recorded)."""
    people = sorted(led.people)
    ids = list(led.favors)
    times = sorted({entry.at for entry in led.log})
    return {
        "favors": lambda x: [(k, _favor_fields(f)) for k, f in x.favors.items()],
        "favor by id": lambda x: [x.favors[i] for i in ids],
        "a favor's fields": lambda x: [_favor_fields(x.favors[i]) for i in ids],
        "log": lambda x: [dumps_entry(entry) for entry in x.log],
        "log entries": lambda x: x.log,
        "index entries": lambda x: [dumps_entry(entry) for entry in x.index.entries],
        "index": lambda x: (dict(x.index.balances), dict(x.index.owed)),
        "len": len,
        "repr": Ledger.__repr__,
        "people": lambda x: [(k, dumps_entry(p)) for k, p in x.people.items()],
        "balances": lambda x: [(k, exact(v)) for k, v in x.balances().items()],
        "balance": lambda x: [exact(x.balance(p)) for p in people],
        "owes": lambda x: [exact(x.owes(a, b)) for a in people for b in people],
        "who owes whom": lambda x: x.who_owes_whom(),
        "obligations": lambda x: x.obligations(),
        "obligations of": lambda x: [x.obligations(p) for p in people],
        "history": lambda x: [[dumps_entry(e) for e in x.history(p)] for p in people],
        "is reversed": lambda x: [x.is_reversed(i) for i in ids],
        "reversals": lambda x: sorted(x.reversals.items()),
        "ties": lambda x: x.ties(),
        "as of": lambda x: [x.as_of(t).balances() for t in times[:3]],
        "graph": lambda x: sorted(x.to_networkx().edges(data=True)),
        "market": lambda x: sorted(x.market.entries),
    }


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    led=st.one_of(
        ledgers(market=True),
        ledgers(min_people=2, max_people=30, max_favors=60, market=True),
        rich_ledgers(),
    ),
    plains=st.lists(
        st.tuples(
            st.integers(0, 7),
            st.integers(0, 7),
            st.sampled_from([1, 2, 3, 1024, 1025, "2.5", "1/3"]),
        ),
        max_size=30,
    ),
    run=st.sampled_from([1, 2, 3, 512]),
    data=st.data(),
)
def test_a_reopened_ledger_answers_as_the_recorded_one_in_any_order(
    tmp_path_factory: pytest.TempPathFactory,
    led: Ledger,
    plains: list[tuple[int, int, object]],
    run: int,
    data: st.DataObject,
) -> None:
    """Record a ledger (then runs of plain favors, which reopening reads in
    bulk), store it, reopen it: every favor equals the recorded one, field
    by field with the same types, and every query answers the same, asked
    in any order (a first question must not change what a later one sees);
    the reopened ledger's head is the writer's. ``run`` is how many plain
    favors reopening indexes together."""
    names = [f"q{n}" for n in range(8)]
    for n, (giver, receiver, value) in enumerate(plains):
        if giver != receiver:
            led.record(names[giver], names[receiver], value, id=f"z{n}", at=at(n))  # type: ignore[arg-type]
    path = tmp_path_factory.mktemp("queries") / "favors.db"
    with open_ledger(path, referral_share=led.referral_share) as writer:
        writer.add_many(led.log)
        head = writer.head
    queries = _queries(led)
    order = data.draw(st.permutations(sorted(queries)))
    with (
        patch.object(stored_module, "RUN", run),
        open_ledger(path, referral_share=led.referral_share) as back,
    ):
        for name in order:
            answer, recorded = queries[name](back), queries[name](led)
            assert answer == recorded, name
            if name not in _ENTRIES:  # types and forms too
                assert _shown(answer) == _shown(recorded), name
        assert back.head == head
        assert back.damage == ()
        assert state(back) == state(led)
        for favor in back.favors.values():  # a plain favor holds only atoms
            plain_one = (favor.via, favor.fulfils, favor.reason, favor.tags)
            if plain_one == (None, None, "", set()):
                assert not gc.is_tracked(favor) or not UNTRACKS


@pytest.mark.parametrize("run", [1, 2, 3, 512])
def test_an_id_stored_twice_inside_a_run_is_set_aside(tmp_path: Path, run: int) -> None:
    """However the plain favors fall into runs, a favor whose id is already
    stored is set aside with its seq, the favors before and after it kept."""
    path = tmp_path / "favors.db"
    entries: list[Entry] = [plain(n, "ann", "bob", n) for n in range(1, 6)]
    stored(path, entries, "1/2")
    with sqlite3.connect(path) as connection:  # a store changed around the library
        connection.execute("DROP TRIGGER entries_new_id")
        connection.execute("DROP INDEX entries_entry_id")
    again = dumps_entry(entries[1]).replace('"value": "2"', '"value": "7"')
    later = [plain(n, "bob", "cat", 1) for n in range(6, 9)]
    _insert_raw(
        path,
        ("f2", "favor", "x", again),
        *(("", "favor", "x", dumps_entry(favor)) for favor in later),
    )
    with patch.object(stored_module, "RUN", run), open_ledger(path) as back:
        assert back.damage == (
            f"{path}: entry 6 cannot be replayed: Favor.id 'f2'"
            " is already recorded with a different body: value 2 != 7",
        )
        assert state(back) == state(one_by_one([*entries, *later]))


@pytest.mark.parametrize("run", [1, 2, 512])
@pytest.mark.parametrize(
    ("taken", "what"), [("t1", "a tie"), ("r1", "a reversal"), ("p1", "a pledge")]
)
def test_a_plain_favor_with_another_entrys_id_is_set_aside(
    tmp_path: Path, run: int, taken: str, what: str
) -> None:
    """Ids are one namespace: a plain favor stored (around the library) under
    the id of a tie, a reversal or a pledge is set aside, in a run or not."""
    path = tmp_path / "favors.db"
    entries = mixed_store()
    stored(path, entries, "1/2")
    with sqlite3.connect(path) as connection:
        connection.execute("DROP TRIGGER entries_new_id")
        connection.execute("DROP INDEX entries_entry_id")
    clash = Favor(giver="ann", receiver="bob", value=1, id=taken, at=at(200))
    after = plain(300, "bob", "cat", 2)
    _insert_raw(
        path,
        ("", "favor", "x", dumps_entry(clash)),
        ("", "favor", "x", dumps_entry(after)),
    )
    with patch.object(stored_module, "RUN", run), open_ledger(path) as back:
        assert back.damage == (
            f"{path}: entry {len(entries) + 1} cannot be replayed: Favor.id"
            f" {taken!r} is already recorded as {what}",
        )
        assert state(back) == state(one_by_one([*entries, after]))


def _with_a_changed_row(
    tmp_path: Path, pair: tuple[str, str], old: str, new: str
) -> tuple[Path, list[Entry]]:
    """A store of two plain favors from ann to bob, then a third row, the
    line of a favor of 3 between ``pair`` (id f9) with ``old`` changed to
    ``new`` around the library; the store's path and its two good entries."""
    path = tmp_path / "favors.db"
    entries: list[Entry] = [plain(n, "ann", "bob", n) for n in (1, 2)]
    stored(path, entries, "1/2")
    giver, receiver = pair
    line = dumps_entry(
        Favor(giver=giver, receiver=receiver, value=3, id="f9", at=at(10))
    )
    assert old in line
    _insert_raw(path, ("f9", "favor", "x", line.replace(old, new)))
    return path, entries


@pytest.mark.parametrize(
    ("old", "new", "why"),
    [
        (
            "2024-01-01T00:00:10+00:00",
            "yesterday",
            "Favor.at must be an ISO-8601 time, got 'yesterday'",
        ),
        ('"value": "3"', '"value": "x"', "Favor.value must be a number, got 'x'"),
    ],
)
def test_a_plain_looking_row_whose_time_or_value_cannot_be_read_is_damage(
    tmp_path: Path, old: str, new: str, why: str
) -> None:
    """A row changed around the library that reads as a plain favor but whose
    time or value is no time or number: the store opens, that row is set
    aside with the checked path's reason (main raised a bare ``ValueError``
    or ``InvalidOperation`` and the store could not be opened)."""
    path, entries = _with_a_changed_row(tmp_path, ("ann", "bob"), old, new)
    with open_ledger(path) as back:
        assert back.damage == (f"{path}: entry 3: {why}",)
        assert state(back) == state(one_by_one(entries))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('"value": "3"', '"value": "0"'),
        ('"value": "3"', '"value": "-3"'),
        ('"value": "3"', '"value": "NaN"'),
        ('"value": "3"', '"value": "Infinity"'),
        ('"value": "3"', '"value": "1e30"'),
        ('"value": "3"', '"value": "1000000000000000"'),
        ('"value": "3"', '"value": "-1/2"'),
        ('"receiver": "dee"', '"receiver": "cy"'),
        ('"giver": "cy"', '"giver": ""'),
        ('"receiver": "dee"', '"receiver": ""'),
        ('"id": "f9"', '"id": ""'),
        ("2024-01-01T00:00:10+00:00", "2024-01-01T00:00:10"),
    ],
)
def test_a_plain_looking_row_that_no_write_would_make_is_damage(
    tmp_path: Path, old: str, new: str
) -> None:
    """A row changed around the library that reads as a plain favor but holds
    what no write takes (a value of zero, below, not finite or too large; a
    favor to oneself; a blank id; a time without its offset): the store
    opens, that row is set aside as damage with the checked path's reason,
    and the balances still sum to zero (main indexed such rows unchecked,
    or raised a bare ``KeyError`` or ``InvalidOperation``)."""
    path, entries = _with_a_changed_row(tmp_path, ("cy", "dee"), old, new)
    with open_ledger(path) as back:
        (damage,) = back.damage
        assert damage.startswith(f"{path}: entry 3: ")
        assert state(back) == state(one_by_one(entries))
        assert sum(back.balances().values()) == 0
