"""Each referral query keeps the arguments it is given and refuses bad ones
with the whole message.

``experts`` reaches three hops by default and ``limit`` caps any list; a bad
``max_hops``, ``limit`` or ``k`` is refused naming the argument and the value,
whichever query it is given to.
"""

from __future__ import annotations

import itertools

import pytest

from favorledger import InvalidQueryError, Ledger
from favorledger.referrals import experts, introducers, referral_path, referral_paths


def chain() -> Ledger:
    """me - a - b - c - d, each tie 0.5, and everyone but me a lawyer."""
    led = Ledger()
    people = ["me", "a", "b", "c", "d"]
    for person in people[1:]:
        led.add_person(person, tags=["law"])
    for left, right in itertools.pairwise(people):
        led.tie(left, right, "0.5")
    return led


def test_experts_reach_three_hops_by_default_and_a_limit_caps_the_list() -> None:
    led = chain()
    assert [p.target for p in experts(led, "me", "law")] == ["a", "b", "c"]
    assert [p.target for p in experts(led, "me", "law", max_hops=None)] == [
        "a",
        "b",
        "c",
        "d",
    ]
    everyone = experts(led, "me", "law", max_hops=None)
    for cap in (1, 2, 4, 5):
        assert experts(led, "me", "law", max_hops=None, limit=cap) == everyone[:cap]


RULE = "a positive integer or None"
BAD = [
    (query, name, value)
    for query in ("experts", "introducers", "referral_path")
    for name, value in [
        ("max_hops", 0),
        ("max_hops", "3"),
        ("max_hops", True),
        ("limit", 0),
        ("limit", 1.5),
    ]
    if not (query == "referral_path" and name == "limit")  # it has no limit
]


@pytest.mark.parametrize(("query", "name", "value"), BAD)
def test_a_bad_bound_is_refused_with_the_whole_message(
    query: str, name: str, value: object
) -> None:
    led = chain()
    calls = {
        "experts": lambda **kw: experts(led, "me", "law", **kw),
        "introducers": lambda **kw: introducers(led, "me", "d", **kw),
        "referral_path": lambda **kw: referral_path(led, "me", "d", **kw),
    }
    with pytest.raises(InvalidQueryError) as raised:
        calls[query](**{name: value})
    assert str(raised.value) == f"{name} must be {RULE}, got {value!r}"


def test_a_bad_count_of_alternatives_is_refused_with_the_whole_message() -> None:
    led = chain()
    for k in (0, True, "2"):
        with pytest.raises(InvalidQueryError) as raised:
            referral_paths(led, "me", "d", k)  # type: ignore[arg-type]
        assert str(raised.value) == f"k must be a positive integer, got {k!r}"
