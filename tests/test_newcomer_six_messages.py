"""Documentation and messages from the sixth newcomer trial (finding 15),
each a regression test written before its fix.

The promises:

* ``docs/referrals.md`` lists every tie kind ``Ledger.tie`` accepts, and no
  other (15a);
* ``Ledger.add_person`` says that restating a person's name renames them
  (15b);
* an id typed with spaces around it is shown as typed in a conflict, beside
  what it was read as (15c);
* a write refused because another connection holds the store locked says a
  write was refused, not that "a batch" could not start (15d).
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from favorledger import Ledger
from favorledger.errors import DuplicateFavorError, StoreError
from favorledger.io.sqlite import open_ledger
from favorledger.model import TIE_KINDS

DOCS = Path(__file__).parent.parent / "docs"


def test_the_referrals_page_lists_every_tie_kind() -> None:
    """The list of kinds on docs/referrals.md is the code's list."""
    text = (DOCS / "referrals.md").read_text(encoding="utf-8")
    listed = re.search(r"The kinds of tie are (.*?)\.\s", text, re.S)
    assert listed is not None
    assert re.findall(r"`(\w+)`", listed.group(1)) == sorted(TIE_KINDS)


def test_add_person_says_that_restating_a_name_renames() -> None:
    doc = Ledger.add_person.__doc__ or ""
    assert "renames" in doc
    led = Ledger()
    led.add_person("ann", "Ann Lee")
    led.add_person("ann", "Other Name")
    assert led.people["ann"].name == "Other Name"


def test_a_conflicting_id_typed_with_spaces_is_shown_as_typed() -> None:
    led = Ledger()
    led.record("ann", "bob", 1, id="f1")
    with pytest.raises(DuplicateFavorError) as refused:
        led.record("ann", "bob", 2, id=" f1 ")
    assert str(refused.value).startswith(
        "Favor.id ' f1 ' (read as 'f1') is already recorded with a different body"
    )
    with pytest.raises(DuplicateFavorError) as plain:
        led.record("ann", "bob", 2, id="f1")
    assert str(plain.value).startswith("Favor.id 'f1' is already recorded")


def test_a_write_refused_by_a_lock_says_the_write_was_refused(tmp_path: Path) -> None:
    path = tmp_path / "favors.db"
    led = open_ledger(path, timeout=0.05)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreError) as refused:
            led.record("ann", "bob", 1)
        other.execute("ROLLBACK")
        assert not led.log
    finally:
        other.close()
        led.close()
    message = str(refused.value)
    assert "batch" not in message
    assert message.startswith(
        f"{path}: could not write (nothing was changed): the file stayed locked"
        " by another connection"
    )
