"""Fuzzing every reader: whatever a file or a command line holds, the answer
is success or a :class:`~favorledger.FavorLedgerError`, and a failed import
leaves its target exactly as it was.

Two kinds of input, for every reader (JSON Lines, the favor CSV, the edge
CSV, GraphML, GEXF, and the command line's arguments):

* **structured**: hypothesis builds lines, rows and arguments from the
  format's own vocabulary (field names, entry types, JSON values of every
  type, hostile numbers and texts);
* **mutated**: a valid file written by the library, with random byte edits
  (flips, insertions of hostile tokens, deletions, duplications, truncation).

Never another exception, never a partial import. (A hang would show as a
test that does not finish; no wall-clock assertion is made here. The time a
refusal takes is measured by ``benchmarks/bench_refusal.py``.)

The default profile runs a bounded number of examples per reader, for CI;
``HYPOTHESIS_PROFILE=fuzz python -m pytest tests/test_fuzz.py`` runs many
more (``--hypothesis-show-statistics`` reports how many).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import tempfile
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from favorledger import FavorLedgerError, Ledger, trading
from favorledger.cli import main
from favorledger.io.graphs import read_gexf, read_graphml, write_gexf, write_graphml
from favorledger.io.jsonl import dumps_entry, loads_entry, read_jsonl, write_jsonl
from favorledger.io.sqlite import open_ledger
from favorledger.io.tables import (
    FAVOR_COLUMNS,
    _add_located,
    import_csv,
    read_csv,
    read_edges,
    write_csv,
    write_edges,
)

T1 = "2024-01-01T09:00:00+00:00"
T2 = "2024-02-01T09:00:00+05:30"


def examples(bounded: int) -> int:
    """``bounded`` examples in the default profile; the loaded profile's
    count when it asks for more (``fuzz``, ``thorough``)."""
    loaded = settings.default.max_examples
    return bounded if loaded <= 100 else loaded


FUZZ = settings(
    max_examples=examples(40),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SLOW_FUZZ = settings(
    max_examples=examples(15),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def rich_ledger() -> Ledger:
    """Every kind of entry, fractions, referrals, tags and odd offsets."""
    led = Ledger()
    led.add_person("ann", name="Ann Ó'Neil", tags={"python", "hiring"})
    led.tie("ann", "bob", "0.8", kind="friend", at=T1, id="t1", reason="school")
    led.record("carol", "ann", "2.50", via="bob", id="f1", at=T1, tags={"intro"})
    led.record("ann", "bob", "1/3", id="f2", at=T2, reason='advice, "quoted"\nok')
    led.record("bob", "dan", 4, via="carol", referral_share="1/4", id="f3", at=T2)
    led.reverse("f3", id="r1", at=T2, reason="twice")
    trading.pledge(led, "dan", "ann", 2, id="p1", at=T1, expires="2030-01-01T00:00Z")
    trading.ask(led, "ann", "carol", 1, id="a1", at=T1)
    trading.answer(led, "a1", "accepted", id="an1", at=T2)
    led.add_person("bob", name="Bob", tags={"design"})
    return led


SEED = rich_ledger()
KEYS = sorted({key for e in SEED.log for key in json.loads(dumps_entry(e))})
TYPES = ["person", "favor", "reversal", "tie", "pledge", "release", "ask"]
TYPES += ["answer", "assignment", "debt", ""]


def seed_bytes(write: Callable[[Ledger, str], object], suffix: str) -> bytes:
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, f"seed{suffix}")
        write(SEED, path)
        return Path(path).read_bytes()


SEEDS = {
    ".jsonl": seed_bytes(lambda led, p: write_jsonl(led.log, p), ".jsonl"),
    ".csv": seed_bytes(write_csv, ".csv"),
    "edges.csv": seed_bytes(write_edges, ".csv"),
    ".graphml": seed_bytes(write_graphml, ".graphml"),
    ".gexf": seed_bytes(write_gexf, ".gexf"),
}

# ------------------------------------------------------------- strategies

HOSTILE_TEXT = [
    "",
    " ",
    "\x00",
    "\x1b[2J",
    "\ud800",
    "\udcff",
    "\u202e",
    "\u2028",
    "\ufeff",
    "=1+1",
    "'",
    '"',
    "x" * 300,
    "1e-99999999",
    "1e99999999",
    "9" * 5000,
    "1_5",
    "\u0663",
    "1/0",
    "NaN",
    "-Infinity",
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:59:59-05:00",
    "2024-01-01",
    T1,
    "f1",
    "ann",
    "bob",
]
HOSTILE_BYTES = [
    b"\xff",
    b"\x00",
    b"\xed\xa0\x80",  # a surrogate, encoded (not UTF-8)
    b"\xef\xbb\xbf",
    b"\r",
    b"\n",
    b'"',
    b",",
    b"[" * 2000,
    b"9" * 5000,
    b"1e-99999999",
    b"NaN",
    b'\\ud800"',
    b"<",
    b"&#0;",
    b"<!DOCTYPE a [<!ENTITY e 'x'>]>",
    b"encoding='utb-8'",
    b'"id": "f1", "id": "f2"',
]

json_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=8),
    st.sampled_from(HOSTILE_TEXT),
)
json_values = st.recursive(
    json_leaves,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(KEYS) | st.text(max_size=4), inner, max_size=3
        )
    ),
    max_leaves=8,
)


@st.composite
def jsonl_lines(draw: st.DrawFn) -> str:
    """One line: a real entry with fields changed, dropped or added, or noise."""
    base = json.loads(dumps_entry(draw(st.sampled_from(SEED.log))))
    for key in draw(st.lists(st.sampled_from(KEYS), max_size=3)):
        choice = draw(st.integers(0, 2))
        if choice == 0:
            base.pop(key, None)
        else:
            base[key] = draw(json_values)
    if draw(st.booleans()):
        base["type"] = draw(st.sampled_from(TYPES))
    try:
        text = json.dumps(base, ensure_ascii=draw(st.booleans()))
    except ValueError:  # a float that JSON cannot hold
        text = json.dumps(base, allow_nan=True)
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(text)))
        text = text[:cut] + draw(st.sampled_from(HOSTILE_TEXT)) + text[cut:]
    return text


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` with a few random byte edits."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        edit = draw(st.integers(0, 4))
        if edit == 0 and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif edit == 1:
            data[at:at] = draw(st.sampled_from(HOSTILE_BYTES) | st.binary(max_size=8))
        elif edit == 2:
            del data[at : at + draw(st.integers(1, 64))]
        elif edit == 3:
            data[at:at] = data[at : at + draw(st.integers(1, 64))]
        else:
            del data[at:]
    return bytes(data)


PLAUSIBLE = ["ann", "bob", "carol", "f1", "f2", "p1", "a1", "1", "2.50", "1/3"]
PLAUSIBLE += ["0.8", "friend", "favor", "accepted", T1, T2, '["python"]']
plausible = st.sampled_from(PLAUSIBLE)
cells = plausible | st.sampled_from(HOSTILE_TEXT) | st.text(max_size=6)


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    """A header of the required columns and some others (or of anything),
    and rows of plausible, hostile or random cells."""
    if draw(st.booleans()):
        optional = draw(st.sets(st.sampled_from(FAVOR_COLUMNS[5:]), max_size=4))
        columns = ["id", "giver", "receiver", "value", "at", *sorted(optional)]
    else:
        columns = draw(
            st.lists(st.sampled_from(FAVOR_COLUMNS) | st.text(max_size=4), max_size=8)
        )
    width = len(columns)
    rows = draw(st.lists(st.lists(cells, min_size=width, max_size=width), max_size=4))
    if rows and draw(st.booleans()):
        rows[-1].append(draw(cells))  # a ragged last row
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(columns)
    writer.writerows(rows)
    return text.getvalue().encode("utf-8", "surrogatepass")


# ----------------------------------------------------------- the property


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def snapshot(led: Ledger) -> list[str]:
    return [dumps_entry(entry) for entry in led.log]


def target() -> Ledger:
    """The ledger files are imported into: it already holds entries."""
    led = Ledger()
    led.record("ann", "zed", 1, id="z1", at=T1)
    return led


def refused_or_read(read: Callable[[Path], Any], path: Path) -> Any:
    """``read(path)``, or None for a FavorLedgerError; any other exception fails."""
    try:
        found = read(path)
    except FavorLedgerError as error:
        event(f"refused: {type(error).__name__}")
        return None
    event("read")
    return found


def all_or_nothing(path: Path, located: Callable[[Path], list[Any]]) -> None:
    """Importing what ``path`` holds either adds it all or changes nothing."""
    entries = refused_or_read(located, path)
    if entries is None:
        return
    led = target()
    before = snapshot(led)
    try:
        _add_located(led, str(path), entries)
    except FavorLedgerError:
        event("import refused by the ledger")
        assert snapshot(led) == before
    else:
        event("imported")
        assert snapshot(led)[: len(before)] == before


def jsonl_located(path: Path) -> list[tuple[int | None, Any]]:
    return [(None, entry) for entry in read_jsonl(path)]


def check_file(workdir: Path, name: str, data: bytes) -> None:
    """The reader for ``name``'s format, and an import of it, keep the promise."""
    path = workdir / name
    path.write_bytes(data)
    if name.endswith(".jsonl"):
        all_or_nothing(path, jsonl_located)
    elif name.endswith("edges.csv"):
        refused_or_read(read_edges, path)
    elif name.endswith(".csv"):
        led = target()
        before = snapshot(led)
        try:
            import_csv(led, path)
        except FavorLedgerError:
            assert snapshot(led) == before
        else:
            assert snapshot(led)[: len(before)] == before
        refused_or_read(read_csv, path)
    else:
        read = read_graphml if name.endswith(".graphml") else read_gexf
        all_or_nothing(path, lambda p: [(None, e) for e in read(p)])


@FUZZ
@given(lines=st.lists(jsonl_lines(), min_size=1, max_size=4), newline=st.booleans())
def test_fuzz_jsonl_structured(workdir: Path, lines: list[str], newline: bool) -> None:
    text = "\n".join(lines) + ("\n" if newline else "")
    check_file(workdir, "s.jsonl", text.encode("utf-8", "surrogatepass"))
    for line in lines:
        with contextlib.suppress(FavorLedgerError):
            loads_entry(line)


@FUZZ
@given(data=st.data())
@pytest.mark.parametrize("name", sorted(SEEDS))
def test_fuzz_every_reader_with_mutated_files(
    workdir: Path, name: str, data: st.DataObject
) -> None:
    check_file(workdir, f"m{name}", data.draw(mutated(SEEDS[name]), label="file"))


@FUZZ
@given(data=csv_files())
def test_fuzz_csv_structured(workdir: Path, data: bytes) -> None:
    check_file(workdir, "s.csv", data)
    check_file(workdir, "s-edges.csv", data)


def test_the_seeds_are_read_back_whole(workdir: Path) -> None:
    """The files mutated above are valid to begin with (so a mutation is what
    any refusal is about), and each is imported whole."""
    for name, data in SEEDS.items():
        path = workdir / f"seed{name}"
        path.write_bytes(data)
        if name == "edges.csv":
            assert len(read_edges(path)) == 3
            continue
        read = {
            ".jsonl": read_jsonl,
            ".csv": read_csv,
            ".graphml": read_graphml,
            ".gexf": read_gexf,
        }[name]
        entries = read(path)
        assert entries
        assert Ledger.from_entries(entries).balances() == SEED.balances()


# ------------------------------------------------------------ the command

COMMANDS: dict[str, tuple[int, list[str]]] = {
    "record": (3, ["--at", "--id", "--via", "--kind", "--tag", "--share", "--reason"]),
    "reverse": (1, ["--at", "--id", "--reason"]),
    "tie": (3, ["--at", "--id", "--kind", "--reason"]),
    "person": (1, ["--name", "--tag"]),
    "balance": (1, []),
    "owes": (1, []),
    "history": (1, []),
    "people": (0, []),
    "check": (0, []),
    "settle": (0, ["--method", "--reason"]),
    "path": (2, ["--k", "--weight"]),
    "pledge": (3, ["--expires", "--reason", "--id"]),
    "call": (1, ["--value"]),
    "agenda": (1, ["--today"]),
    "import": (1, ["--format"]),
    "nonsense": (1, ["--help"]),
}
"""Each command (but export, which writes files): its positional arguments
and its options."""


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    """A command, mostly its own number of arguments and its own options,
    with plausible values (names, amounts, times) or hostile ones."""
    command = draw(st.sampled_from(sorted(COMMANDS)))
    count, options = COMMANDS[command]
    value = st.one_of(plausible, plausible, cells)  # plausible two times in three
    argv = [command, *draw(st.lists(value, min_size=count, max_size=count))]
    if draw(st.integers(0, 3)) == 0:
        argv += draw(st.lists(cells, max_size=2))  # too many arguments
    for option in draw(st.lists(st.sampled_from([*options, "--json"]), max_size=3)):
        argv += [option] if option == "--json" else [option, draw(value)]
    return argv


def stored(db: Path) -> list[str]:
    with open_ledger(db, create=False) as led:
        return snapshot(led)


@SLOW_FUZZ
@given(argv=command_lines())
def test_fuzz_the_command_line(workdir: Path, argv: list[str]) -> None:
    """Any command line: exit 0, 1 or 2, never a traceback; a refused one
    (exit 2) leaves the store as it was."""
    db = workdir / "cli.db"
    if not db.exists():
        assert main(["--db", str(db), "record", "ann", "bob", "1", "--at", T1]) == 0
    before = stored(db)
    (workdir / "cwd").mkdir(exist_ok=True)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(workdir / "cwd"), redirect_stdout(out), redirect_stderr(err):
        code = main(["--db", str(db), *argv])
    assert code in (0, 1, 2), err.getvalue()
    event(f"exit {code}")
    if code == 2:
        assert stored(db) == before
    for text in (out.getvalue(), err.getvalue()):
        assert all(char.isprintable() or char in "\n" for char in text), text
