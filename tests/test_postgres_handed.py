"""A PostgreSQL handle that only writes keeps a bounded memory of its writes.

A favor that needs no state is handed in without a catch-up; when another
writer stored something in between, the handle is *behind* and keeps the
favor (``_handed``) to index it, as the very object its call returned, at
its next read. A handle that never reads kept every such favor; now it keeps
at most :attr:`PostgresLedger.most_handed` of them and forgets them before
the write that would keep one more, without reading the store. It still
reads its own writes: every favor it returned is in its ledger once it
reads, the ones it kept as those objects.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from favorledger import Favor, Ledger, trading
from favorledger.errors import FavorLedgerError, StoreError
from favorledger.io.postgres import PostgresLedger, open_ledger
from favorledger.io.sqlite import StoredLedger

AT = "2024-01-01T00:00Z"
_names = itertools.count()


def _handed(led: object) -> dict[str, Favor]:
    """What the handle keeps, read without catching up."""
    found: dict[str, Favor] = object.__getattribute__(led, "_handed")
    return found


def _reads_its_writes(led: object, returned: list[Favor]) -> None:
    """A read of ``led`` answers with every favor in ``returned``; those it
    kept to index (read first, without catching up) as those objects."""
    kept = dict(_handed(led))
    favors = led.favors  # type: ignore[attr-defined]
    assert [favors[f.id] for f in returned] == returned
    assert all(favors[i] is f for i, f in kept.items())


def _interleaved(
    mine: object, theirs: Any, count: int, write: Callable[[int], Favor]
) -> tuple[list[Favor], list[int]]:
    """``count`` rounds of ``write(n)`` on ``mine`` and a favor by ``theirs``
    in between (so ``mine`` is behind): what ``write`` returned, and how many
    favors ``mine`` kept after each round."""
    returned: list[Favor] = []
    sizes = []
    for n in range(count):
        returned.append(write(n))
        theirs.record("bob", "ann", 1, id=f"t{n}", at=AT)
        sizes.append(len(_handed(mine)))
    return returned, sizes


_WRITES: dict[str, Callable[[Any, int], Favor]] = {
    "record": lambda led, n: led.record("ann", "bob", 1, id=f"m{n}", at=AT),
    "add": lambda led, n: led.add(
        Favor(giver="ann", receiver="bob", value=1, id=f"m{n}", at=AT)
    ),
}
"""A favor that needs no state, written by ``record`` or by ``add``."""


@pytest.mark.parametrize("way", _WRITES)
def test_a_handle_that_only_writes_keeps_at_most_most_handed_favors(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, way: str
) -> None:
    """Bounded the same way whether the favors come by ``record`` or ``add``."""
    monkeypatch.setattr(PostgresLedger, "most_handed", 8, raising=False)
    url = f"{postgres_url}?ledger=writes_{way}"
    write = _WRITES[way]
    with open_ledger(url) as mine, open_ledger(url) as theirs:
        returned, sizes = _interleaved(mine, theirs, 60, lambda n: write(mine, n))
        assert mine.behind  # type: ignore[attr-defined]
        assert max(sizes) <= 8
        assert max(sizes) == 8  # it did keep favors, up to the bound
        assert _handed(mine)  # the last ones it wrote
        _reads_its_writes(mine, returned)
        assert len(mine.log) == 120
        assert mine.balance("ann") == 0
        assert _handed(mine) == {}


def test_a_handle_that_only_writes_never_reads_what_others_wrote(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What was seen (bench_postgres.py, 16 writers): each write-only handle
    stalled for 5 to 6 s at its 1,025th favor, when it kept ``most_handed``
    favors unindexed and caught up, reading the 16,000 favors the others had
    written. A write past the bound now forgets what it kept instead: the
    handle's read position does not move until it reads."""
    monkeypatch.setattr(PostgresLedger, "most_handed", 8, raising=False)
    url = f"{postgres_url}?ledger=writes_only"
    with open_ledger(url) as mine, open_ledger(url) as theirs:
        mine.record("ann", "bob", 1, id="m", at=AT)
        theirs.record("bob", "ann", 1, id="t", at=AT)
        store = object.__getattribute__(mine, "_store")
        seen = store._seen
        for n in range(40):
            mine.record("ann", "bob", 1, id=f"m{n}", at=AT)
            theirs.record("bob", "ann", 1, id=f"t{n}", at=AT)
            assert store._seen == seen, f"the write of m{n} read the store"
        assert len(mine.log) == 82  # and a read reads it all


@settings(
    max_examples=25,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    most=st.integers(1, 6),
    steps=st.lists(st.sampled_from(["mine", "theirs", "read"]), max_size=40),
)
@example(most=1, steps=["theirs", "mine", "mine", "read", "theirs", "mine"])
def test_the_handed_favors_stay_bounded_and_are_read_as_returned(
    postgres_url: str, most: int, steps: list[str]
) -> None:
    """Whatever the interleaving of this handle's writes, another writer's
    and this handle's reads: the handle never keeps more than the bound,
    each read answers with every favor it wrote before (the ones it kept as
    the objects its calls returned), and a refresh with the other writer's
    too."""
    url = f"{postgres_url}?ledger=h{next(_names)}"
    with open_ledger(url) as mine, open_ledger(url) as theirs:
        mine.most_handed = most  # type: ignore[attr-defined]
        returned: list[Favor] = []
        written = 0
        for n, step in enumerate(steps):
            if step == "mine":
                returned.append(mine.record("ann", "bob", 1, id=f"f{n}", at=AT))
                written += 1
            elif step == "theirs":
                theirs.record("bob", "ann", 2, id=f"f{n}", at=AT)
                written += 1
            else:  # a read answers with its own writes, without refresh
                _reads_its_writes(mine, returned)
            assert len(_handed(mine)) <= most
        _reads_its_writes(mine, returned)
        mine.refresh()  # and with the other writer's
        assert len(mine.log) == written


def test_a_read_that_fails_to_catch_up_leaves_the_handle_behind(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read whose catch-up fails raises, and the handle stays behind: its
    next read catches up, and answers with every favor stored."""
    url = f"{postgres_url}?ledger=fails"
    with open_ledger(url) as mine, open_ledger(url) as theirs:
        mine.record("ann", "bob", 1, id="m0", at=AT)
        theirs.record("bob", "ann", 1, id="t0", at=AT)
        mine.record("ann", "bob", 1, id="m1", at=AT)
        assert mine.behind  # type: ignore[attr-defined]

        def failing(*_: object) -> None:
            raise StoreError("the server went away")

        with monkeypatch.context() as patched:
            patched.setattr(StoredLedger, "_catch_up", failing)
            with pytest.raises(StoreError, match="the server went away"):
                mine.balance("ann")
        assert mine.behind  # type: ignore[attr-defined]
        assert sorted(mine.favors) == ["m0", "m1", "t0"]
        assert not mine.behind  # type: ignore[attr-defined]


def test_a_stale_handle_adding_a_second_fulfilment_of_a_pledge_is_refused(
    postgres_url: str,
) -> None:
    """A favor that fulfils a pledge needs state: ``add`` takes the locked
    way, which catches up first, so a handle that has not read the call
    another handle made cannot store a second fulfilment."""
    url = f"{postgres_url}?ledger=pledged"
    with open_ledger(url) as mine, open_ledger(url) as theirs:
        trading.pledge(mine, "ann", "bob", 2, id="p1", at=AT)
        assert theirs.refresh() == 1  # it knows the pledge, not the call
        call = trading.call(mine, "p1", at=AT, id="c1")
        second = attrs.evolve(call, id="c2")
        with pytest.raises(FavorLedgerError):
            theirs.add(second)
        assert "c2" not in theirs.favors


def _closed_reads(led: Any) -> dict[str, Callable[[], object]]:
    """The reads of a ledger's contents that a closed ledger answers (or,
    closed behind its store, refuses)."""
    return {
        "balances": lambda: led.balances(),
        "who_owes_whom": lambda: led.who_owes_whom(),
        "history": lambda: led.history("ann"),
        "log": lambda: [e.id for e in led.log],
        "len": lambda: len(led),
        "balance": lambda: led.balance("ann"),
    }


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_a_closed_ledger_answers_from_what_it_read_on_either_store(
    store: str, request: pytest.FixtureRequest, tmp_path: Any
) -> None:
    """Closed, a ledger that read everything it wrote (every SQLite ledger;
    a PostgreSQL handle that is not behind) answers from what it had read,
    without what others stored after, as it answered before closing; only
    ``refresh`` (which reads the store) refuses, with ``StoreError``."""
    if store == "sqlite":
        location = str(tmp_path / "favors.db")
    else:
        location = f"{request.getfixturevalue('postgres_url')}?ledger=closed"
    with Ledger.open(location) as mine, Ledger.open(location) as theirs:
        mine.record("ann", "bob", 1, id="m0", at=AT)
        assert not getattr(mine, "behind", False)
        before = {name: read() for name, read in _closed_reads(mine).items()}
        mine.close()
        theirs.record("bob", "cat", 2, id="t0", at=AT)
        assert mine.closed
        assert {name: read() for name, read in _closed_reads(mine).items()} == before
        assert before["log"] == ["m0"]
        assert "closed store" in repr(mine)
        with pytest.raises(StoreError, match="closed"):
            mine.refresh()
        with pytest.raises(StoreError, match="closed"):
            mine.record("ann", "bob", 1, id="m1", at=AT)
    with Ledger.open(location) as again:
        assert [e.id for e in again.log] == ["m0", "t0"]


def test_a_handle_closed_behind_its_store_refuses_reads_saying_so(
    postgres_url: str,
) -> None:
    """A PostgreSQL handle closed while behind (another writer stored a favor
    before its own, which it has not indexed) cannot catch up: every read of
    its contents raises ``StoreError`` saying why (it answered nothing from
    a ledger missing its own write), and it stays behind; what it says of
    its store (``closed``, ``behind``, ``path``, ``repr``) it still answers.
    Reopened, the ledger has every favor."""
    url = f"{postgres_url}?ledger=closedbehind"
    with open_ledger(url) as mine, open_ledger(url) as theirs:
        mine.record("ann", "bob", 1, id="m0", at=AT)
        theirs.record("bob", "ann", 1, id="t0", at=AT)
        mine.record("ann", "bob", 1, id="m1", at=AT)
        assert mine.behind  # type: ignore[attr-defined]
        mine.close()
        assert mine.closed
        assert mine.behind  # type: ignore[attr-defined]
        assert mine.path == theirs.path
        assert repr(mine) == f"<PostgresLedger: behind its closed store {url!r}>"
        for name, read in _closed_reads(mine).items():
            with pytest.raises(
                StoreError,
                match=r": cannot read: the ledger was closed before it read the"
                r" favors stored since it last read \(its own among them\);"
                r" open it again to read them$",
            ):
                read()
            assert mine.behind, name  # type: ignore[attr-defined]
        with pytest.raises(StoreError, match="closed"):
            mine.refresh()
        mine.close()  # idempotent
    with open_ledger(url) as again:
        assert sorted(again.favors) == ["m0", "m1", "t0"]
