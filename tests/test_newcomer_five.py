"""The command line's and the web app's polish from the fifth newcomer
trial (trial 5), each a regression test written before its fix.

The promises:

* a table lines up by display width: a wide character (CJK, emoji) takes
  two columns, a combining mark none (P1);
"""

from __future__ import annotations

import io
import re
import unicodedata

from hypothesis import example, given
from hypothesis import strategies as st

from favorledger._display import display_width, table


def columns_at(line: str) -> list[int]:
    """The display column at which each cell of a table line starts (the
    cells here hold no spaces)."""
    return [display_width(line[: cell.start()]) for cell in re.finditer(r"\S+", line)]


NAMES = st.text(
    st.sampled_from(["a", "Z", "7", "李", "龍", "🎉", "é", "\u0301", "\u0308", "ｶ"]),
    min_size=1,
    max_size=6,
).filter(lambda s: not unicodedata.combining(s[0]))


def test_display_width_counts_wide_as_two_and_combining_marks_as_none() -> None:
    assert display_width("abc") == 3
    assert display_width("李小龍") == 6
    assert display_width("🎉x") == 3
    assert display_width("e\u0301") == 1


@given(st.lists(st.tuples(NAMES, NAMES), min_size=1, max_size=5))
@example([("李小龍", "bob"), ("alice", "🎉party"), ("e\u0301\u0301", "x")])
def test_every_row_of_a_table_lines_up_in_display_width(
    rows: list[tuple[str, str]],
) -> None:
    """Each column starts at the same display column on every line, and a
    right-aligned (amount) column ends at the same one."""
    out = io.StringIO()
    cells = [[a, b, "5"] for a, b in rows]
    table(out, ["person", "name", "balance"], cells)
    lines = out.getvalue().splitlines()
    ends = {display_width(line) for line in lines}
    assert len(ends) == 1, out.getvalue()
    starts = {tuple(columns_at(line)[:2]) for line in lines}
    assert len(starts) == 1, out.getvalue()
