"""The README's examples run and say what they claim."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

README = (Path(__file__).parent.parent / "README.md").read_text("utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)


def test_the_first_example_runs_and_shows_two_obligations() -> None:
    """Its balances are those its comment shows; the final reversal zeroes them."""
    *body, last = BLOCKS[0].strip().splitlines()
    namespace: dict[str, Any] = {}
    exec("\n".join(body), namespace)
    led = namespace["led"]
    shown = (Decimal("4.5"), Decimal("-3"), Decimal("-1.5"))
    assert (led.balance("carol"), led.balance("me"), led.balance("bob")) == shown
    assert str(shown) in BLOCKS[0]
    exec(last, namespace)
    assert set(led.balances().values()) == {0}


def test_the_first_examples_comments_show_what_python_prints() -> None:
    """A comment after a call shows its real repr (which may run on over
    comment lines of its own)."""
    namespace: dict[str, Any] = {}
    lines = BLOCKS[0].strip().splitlines()
    checked = 0
    for number, line in enumerate(lines):
        code, _, comment = line.partition("  # ")
        if not comment.startswith("["):
            exec(code, namespace)
            continue
        more = (c[2:] for c in lines[number + 1 :] if c.startswith("# "))
        claimed = " ".join([comment, *more]).replace("( ", "(").replace("[ ", "[")
        assert repr(eval(code, namespace)) == " ".join(claimed.split()), code
        checked += 1
    assert checked


def test_the_testing_example_runs() -> None:
    namespace: dict[str, Any] = {}
    exec(BLOCKS[1], namespace)
    namespace["test_my_report_balances"]()
