"""Pictures: every drawing renders to a PNG of the size asked for, and draws
exactly what the ledger holds (one arrow per debt, one bar per person).

Skipped when matplotlib (the ``plot`` extra) is not installed.
"""

from __future__ import annotations

import itertools
import math
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("matplotlib")

import attrs
import matplotlib
import networkx as nx
from hypothesis import given, settings

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib import image
from matplotlib.axes import Axes

import favorledger as fl
from favorledger.plot import debt_arrows, draw, draw_balances, draw_path, layout
from favorledger.testing.strategies import ledgers

Drawing = Callable[..., Axes]


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


@pytest.fixture
def story() -> fl.Ledger:
    """The article's story: Bob refers me to Carol, who helps; I help Bob.

    Balances: Carol 3, Dan 0, Bob -4/3, me -5/3."""
    led = fl.Ledger()
    led.add_person("me", name="Me")
    led.add_person("bob", name="Bob")
    led.add_person("carol", name="Carol", tags={"marketing"})
    led.add_person("dan", name="Dan")  # knows nobody yet
    led.tie("me", "bob", "0.9", kind="friend", at="2024-01-01T00:00+00:00")
    led.tie("bob", "carol", "0.6", kind="colleague", at="2024-01-01T00:00+00:00")
    led.record("carol", "me", 2, via="bob", at="2024-04-02T00:00+00:00")
    led.record("me", "bob", "1/3", at="2024-05-01T00:00+00:00")
    return led


def _circle(led: fl.Ledger) -> dict[str, tuple[float, float]]:
    return {
        p: (float(x), float(y)) for p, (x, y) in nx.circular_layout(led.people).items()
    }


PICTURES: dict[str, Callable[[fl.Ledger, tuple[float, float]], Axes]] = {
    "draw": lambda led, size: draw(led, figsize=size, amounts=True, ties=True),
    "draw_path": lambda led, size: draw_path(led, ["me", "bob", "carol"], figsize=size),
    "draw_balances": lambda led, size: draw_balances(led, figsize=size),
}


@pytest.mark.parametrize("name", sorted(PICTURES))
def test_each_picture_renders_to_a_png_of_the_size_asked_for(
    name: str, story: fl.Ledger, tmp_path: Path
) -> None:
    ax = PICTURES[name](story, (6.0, 4.0))
    target = tmp_path / f"{name}.png"
    ax.figure.savefig(target, dpi=50)
    assert target.stat().st_size > 0
    pixels = image.imread(target)
    assert pixels.shape == (200, 300, 4)  # height, width: 4 x 50 by 6 x 50, RGBA
    assert (pixels[..., :3] < 0.9).any(), "the picture is blank"
    assert pixels[..., :3].std() > 0.01


@pytest.mark.parametrize("name", sorted(PICTURES))
def test_no_picture_calls_show(
    name: str, story: fl.Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("show() was called")

    monkeypatch.setattr(plt, "show", refuse)
    monkeypatch.setattr(matplotlib.figure.Figure, "show", refuse)
    PICTURES[name](story, (4.0, 3.0))


@pytest.mark.parametrize(
    "drawing",
    [
        lambda led, ax: draw(led, ax=ax),
        lambda led, ax: draw_path(led, ["me", "bob"], ax=ax),
        lambda led, ax: draw_balances(led, ax=ax),
    ],
    ids=["draw", "draw_path", "draw_balances"],
)
def test_drawing_into_a_given_axes_returns_it_and_makes_no_figure(
    drawing: Callable[[fl.Ledger, Axes], Axes], story: fl.Ledger
) -> None:
    figure = matplotlib.figure.Figure()  # not even a pyplot figure
    ax = figure.add_subplot()
    before = plt.get_fignums()
    assert drawing(story, ax) is ax
    assert plt.get_fignums() == before


def test_draw_puts_one_arrow_per_debt_with_width_by_amount(story: fl.Ledger) -> None:
    ax = draw(story, widths=(1.0, 5.0))
    arrows = debt_arrows(ax)
    debts = {f"{d.debtor}->{d.creditor}": d.amount for d in story.who_owes_whom()}
    assert set(arrows) == set(debts) == {"me->carol", "bob->carol", "bob->me"}
    assert arrows["me->carol"].get_linewidth() == pytest.approx(5.0)  # the largest
    assert arrows["bob->me"].get_linewidth() == pytest.approx(1 + 4 * (1 / 3) / 2)


def test_draw_colours_creditors_blue_and_debtors_red(story: fl.Ledger) -> None:
    colours = _node_colours(draw(story, pos=_circle(story)), story)
    assert colours["carol"][2] > colours["carol"][0]  # owed: blue
    assert colours["bob"][0] > colours["bob"][2]  # owes: red
    assert colours["me"][0] > colours["me"][2]


def test_draw_as_of_a_date_draws_the_debts_of_then(story: fl.Ledger) -> None:
    ax = draw(story, at="2024-04-15T00:00+00:00", pos=_circle(story))
    assert set(debt_arrows(ax)) == {"me->carol", "bob->carol"}


def test_draw_an_empty_ledger_or_one_without_debts() -> None:
    assert debt_arrows(draw(fl.Ledger())) == {}
    led = fl.Ledger()
    led.tie("ann", "bob", 1)
    assert debt_arrows(draw(led, ties=True)) == {}


def test_draw_path_highlights_each_hop_of_a_sequence_or_a_path_object(
    story: fl.Ledger,
) -> None:
    @attrs.frozen
    class Found:
        people: tuple[str, ...]

    for path in (
        ["me", "bob", "carol"],
        ("me", "bob", "carol"),
        Found(("me", "bob", "carol")),
    ):
        ax = draw_path(story, path, pos=_circle(story))
        hops = sorted(
            str(p.get_gid()) for p in ax.patches if str(p.get_gid()).startswith("path:")
        )
        assert hops == ["path:bob->carol", "path:me->bob"]
        assert ax.get_title() == "Me → Bob → Carol"


def test_draw_path_takes_a_referral_path_from_the_referrals_module(
    story: fl.Ledger,
) -> None:
    referrals = pytest.importorskip("favorledger.referrals")
    path = referrals.referral_path(story, "me", "carol")
    ax = draw_path(story, path, title="via Bob")
    assert ax.get_title() == "via Bob"


def test_draw_balances_draws_one_bar_per_person_largest_on_top(
    story: fl.Ledger,
) -> None:
    ax = draw_balances(story)
    bars = {str(bar.get_gid()).removeprefix("balance:"): bar for bar in ax.patches}
    balances = story.balances()
    assert set(bars) == set(balances)
    for person, bar in bars.items():
        assert bar.get_width() == pytest.approx(float(balances[person]))
    order = [label.get_text() for label in ax.get_yticklabels()]
    assert order == ["Carol", "Dan", "Bob", "Me"]  # the largest on top
    assert ax.yaxis_inverted()
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == sorted(str(b) for b in balances.values())  # exact: -5/3, not -1.67


def test_draw_balances_limit_keeps_the_largest_either_sign(story: fl.Ledger) -> None:
    ax = draw_balances(story, limit=2)
    assert sorted(str(bar.get_gid()) for bar in ax.patches) == [
        "balance:carol",
        "balance:me",
    ]


def test_layout_places_everyone_and_is_stable() -> None:
    led = fl.Ledger()
    led.record("carol", "me", 2, via="bob")
    led.add_person("loner")
    assert layout(led, seed=3) == layout(led, seed=3)
    assert set(layout(led)) == {"carol", "me", "bob", "loner"}
    assert layout(fl.Ledger()) == {}


BAD_CALLS: list[tuple[str, Callable[[fl.Ledger], Any], type[Exception], str]] = [
    (
        "unknown person",
        lambda led: draw_path(led, ["me", "zed"]),
        fl.UnknownPersonError,
        "'zed'",
    ),
    (
        "not a tie",
        lambda led: draw_path(led, ["me", "dan"]),
        fl.InvalidValueError,
        "'me' -> 'dan'",
    ),
    (
        "one person",
        lambda led: draw_path(led, ["me"]),
        fl.InvalidValueError,
        "two or more",
    ),
    (
        "a loop",
        lambda led: draw_path(led, ["me", "bob", "me"]),
        fl.InvalidValueError,
        "different",
    ),
    ("a string", lambda led: draw_path(led, "me"), fl.InvalidValueError, "sequence"),
    ("widths", lambda led: draw(led, widths=(3, 1)), fl.InvalidValueError, "widths"),
    ("pos", lambda led: draw(led, pos={"me": (0, 0)}), fl.InvalidValueError, "'bob'"),
    ("ax", lambda led: draw(led, ax="left"), fl.InvalidValueError, "Axes"),
    ("decay", lambda led: draw(led, decay=0.5), fl.InvalidValueError, "Decay"),
    ("limit", lambda led: draw_balances(led, limit=0), fl.InvalidValueError, "limit"),
]


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [row[1:] for row in BAD_CALLS],
    ids=[row[0] for row in BAD_CALLS],
)
def test_bad_arguments_are_refused_with_a_clear_error(
    story: fl.Ledger,
    call: Callable[[fl.Ledger], Any],
    error: type[Exception],
    words: str,
) -> None:
    log = story.log
    with pytest.raises(error, match=words.replace("(", r"\(")) as caught:
        call(story)
    assert str(caught.value)
    assert story.log == log


def test_without_matplotlib_drawing_says_how_to_install_it(
    story: fl.Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed
    for drawing in (
        lambda: draw(story),
        lambda: draw_path(story, ["me", "bob"]),
        lambda: draw_balances(story),
    ):
        with pytest.raises(
            ImportError,
            match=r"pip install -e '\.\[plot\]' in the favorledger checkout",
        ):
            drawing()


def test_without_numpy_drawing_names_the_plot_extra(
    story: fl.Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 12: without the extra, draw failed with "No module named 'numpy'"
    from inside networkx."""
    monkeypatch.setitem(sys.modules, "numpy", None)  # as if not installed
    for drawing in (lambda: layout(story), lambda: draw(story)):
        with pytest.raises(ImportError, match=r"needs numpy.*\.\[plot\]"):
            drawing()


def test_importing_favorledger_or_its_plot_module_does_not_import_matplotlib() -> None:
    code = (
        "import sys, favorledger, favorledger.plot;"
        " assert 'matplotlib' not in sys.modules, 'matplotlib was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ----------------------------------------------------------------- properties
@settings(max_examples=30)
@given(ledgers(max_people=6, max_favors=12))
def test_draw_draws_one_arrow_per_debt_and_one_node_per_person(led: fl.Ledger) -> None:
    """Whatever the ledger, the picture holds exactly its debts and people,
    and a larger debt never gets a narrower arrow."""
    ax = draw(led, pos=_circle(led), labels=False, colorbar=False)
    arrows = debt_arrows(ax)
    debts = led.who_owes_whom()
    assert len(arrows) == len(debts)
    assert set(arrows) == {f"{d.debtor}->{d.creditor}" for d in debts}
    nodes = ax.collections[0]
    assert len(nodes.get_offsets()) == len(led.people)
    widths = sorted(
        (d.amount, arrows[f"{d.debtor}->{d.creditor}"].get_linewidth()) for d in debts
    )
    assert all(w1 <= w2 + 1e-9 for (_, w1), (_, w2) in itertools.pairwise(widths))
    plt.close(ax.figure)


@settings(max_examples=30)
@given(ledgers(max_people=6, max_favors=12))
def test_node_colours_follow_the_sign_of_each_balance(led: fl.Ledger) -> None:
    ax = draw(led, pos=_circle(led), labels=False, colorbar=False)
    colours = _node_colours(ax, led)
    for person, balance in led.balances().items():
        red, _, blue, _ = colours[person]
        if balance > 0:
            assert blue > red
        elif balance < 0:
            assert red > blue
        else:
            assert red == pytest.approx(blue, abs=0.05)
    plt.close(ax.figure)


@settings(max_examples=20)
@given(ledgers(max_people=6, max_favors=12))
def test_draw_balances_draws_every_balance_exactly_labelled(led: fl.Ledger) -> None:
    ax = draw_balances(led)
    balances = led.balances()
    assert len(ax.patches) == len(balances)
    assert sorted(t.get_text() for t in ax.texts) == sorted(
        str(b) for b in balances.values()
    )
    assert math.fsum(bar.get_width() for bar in ax.patches) == pytest.approx(
        0, abs=1e-6
    )
    plt.close(ax.figure)


def _node_colours(
    ax: Axes, led: fl.Ledger
) -> dict[str, tuple[float, float, float, float]]:
    """Each person's node colour (the nodes are drawn first, in the order of
    ``balances()``)."""
    nodes = ax.collections[0]
    people = list(led.balances())
    return {p: tuple(c) for p, c in zip(people, nodes.get_facecolors(), strict=True)}
