"""People: restating a person keeps what is not restated.

A new name keeps the tags; new tags keep the name; ``tags=()`` clears them;
and restating what is already current records nothing.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from favorledger import Ledger, Person
from favorledger.testing.strategies import person_ids

names = st.text(st.characters(codec="utf-8"), min_size=1, max_size=8).filter(str.strip)
tag_sets = st.frozensets(person_ids(pool=None), min_size=1, max_size=3)


@given(person_ids(pool=None), names, tag_sets, names, tag_sets)
def test_restating_keeps_what_is_not_restated(
    who: str, name: str, tags: frozenset[str], new_name: str, new_tags: frozenset[str]
) -> None:
    led = Ledger()
    led.add_person(who, name, tags=tags, at="2024-01-01T00:00+00:00")
    renamed = led.add_person(who, new_name, at="2024-02-01T00:00+00:00")
    assert (renamed.name, renamed.tags) == (Person(who, new_name).name, tags)
    retagged = led.add_person(who, tags=new_tags, at="2024-03-01T00:00+00:00")
    assert (retagged.name, retagged.tags) == (Person(who, new_name).name, new_tags)
    before = len(led.log)
    assert led.add_person(who, at="2024-04-01T00:00+00:00") == led.people[who]
    assert len(led.log) == before  # nothing restated, nothing recorded
    cleared = led.add_person(who, tags=(), at="2024-05-01T00:00+00:00")
    assert (cleared.name, cleared.tags) == (Person(who, new_name).name, frozenset())
    assert Ledger.from_entries(led.log).people[who] == led.people[who]
