"""Findings of the sixth newcomer trial (1, 5, 10 and 11), each a regression
test written before its fix.

The promises:

* a read-only ledger's ``refresh()`` catches up with what other writers
  stored (another process, another handle), exactly as a writable one does:
  afterwards it equals a fresh open (finding 1);
* every public reader and writer raises only ``FavorLedgerError``
  subclasses, naming the path as given, for a missing file, a directory, a
  path through a file (finding 5);
* opening a store whose append-only triggers were dropped or changed, or
  whose last entry no longer matches its digest, warns (``led.warnings``;
  the command prints it) without slowing the open down (finding 10);
* a refused tie strength names the value (finding 11).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from test_sqlite import rich_ledgers, snapshot

from favorledger import Ledger
from favorledger.io import open_ledger

_SETTINGS = settings(max_examples=25, deadline=None)

# ------------------------------------------------- finding 1: read-only refresh


def test_a_readonly_ledger_catches_up_with_another_process(tmp_path: Path) -> None:
    """The report's reproduction: a reporting process opened read-only sees
    the favor another process recorded after it opened."""
    path = tmp_path / "ro3.db"
    with Ledger.open(path) as led:
        led.record("a", "b", 1)
    writer = (
        "import sys; from favorledger import Ledger\n"
        "with Ledger.open(sys.argv[1]) as led: led.record('a', 'b', 5)\n"
    )
    with (
        open_ledger(path, readonly=True) as ro,
        Ledger.open(path, readonly=True) as ro2,
    ):
        subprocess.run([sys.executable, "-c", writer, str(path)], check=True)
        assert ro.refresh() == 1
        assert ro.balances() == {"a": 6, "b": -6}
        assert ro.refresh() == 0
        assert ro2.refresh() == 1  # type: ignore[attr-defined]
        assert ro2.balances() == {"a": 6, "b": -6}
        assert ro.readonly  # still refuses writes


@_SETTINGS
@given(led=rich_ledgers(), split=st.integers(0, 40), steps=st.integers(1, 3))
def test_after_any_writes_a_readonly_refresh_equals_a_fresh_open(
    led: Ledger, split: int, steps: int
) -> None:
    """Whatever another handle writes, in one batch or several, a read-only
    handle's ``refresh()`` counts it and then equals a fresh open."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory, "favors.db")
        log = list(led.log)
        first, rest = log[: min(split, len(log))], log[min(split, len(log)) :]
        with open_ledger(path, referral_share=led.referral_share) as writer:
            writer.add_many(first)
            with open_ledger(path, readonly=True) as reader:
                size = -(-len(rest) // steps) if rest else 1
                for start in range(0, len(rest), size):
                    chunk = rest[start : start + size]
                    writer.add_many(chunk)
                    assert reader.refresh() == len(chunk)
                assert reader.refresh() == 0
                with open_ledger(path, readonly=True) as fresh:
                    assert snapshot(reader) == snapshot(fresh)
                    assert reader.head == fresh.head
                assert snapshot(reader) == snapshot(led)
