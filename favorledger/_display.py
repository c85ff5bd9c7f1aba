"""What the command shows a person: amounts, aligned tables and short ids.

Amounts in one column share one number of decimals and line up, as in
hledger; a value with no decimal form is shown as a fraction (``1/3``), the
same way everywhere. Ids are shown by their shortest unique prefix (at least
:data:`SHORT_ID` characters), as git abbreviates hashes, and any unique
prefix is accepted back.

Examples
--------
>>> from decimal import Decimal
>>> from favorledger._exact import Ratio
>>> amount_column([Decimal("4.5"), Decimal("-3"), Ratio(1, 3), None])
['4.5', '-3.0', '1/3', '']
>>> short_ids(["451a5dd2ca97bb02add9-1", "451a5dd2ca97bb02add9-2", "f1"])
{'451a5dd2ca97bb02add9-1': '451a5dd2ca97bb02add9-1', \
'451a5dd2ca97bb02add9-2': '451a5dd2ca97bb02add9-2', 'f1': 'f1'}
>>> short_ids(["9a0c1e77d5a5", "3b2f00c4e1a2"])
{'3b2f00c4e1a2': '3b2f00c', '9a0c1e77d5a5': '9a0c1e7'}
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Final, TextIO

from favorledger._exact import Amount, Ratio

__all__ = [
    "SHORT_ID",
    "amount_column",
    "amount_text",
    "display_width",
    "json_text",
    "short_ids",
    "table",
]

SHORT_ID: Final = 7
"""The fewest characters of an id a table shows (as git's abbreviated hashes)."""

MAX_PLACES: Final = 12
"""The most decimals a column pads to (an amount's finest resolution)."""


def amount_text(value: Amount) -> str:
    """One amount as exact text in normal form: ``2.5``, ``100``, ``1/3``.

    Examples
    --------
    >>> amount_text(Decimal("2.5")), amount_text(Ratio(-1, 3))
    ('2.5', '-1/3')
    """
    if isinstance(value, Ratio):
        return f"{value.numerator}/{value.denominator}"
    return format(value, "f")


def _places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return min(-exponent, MAX_PLACES) if isinstance(exponent, int) else 0


def amount_column(values: Sequence[Amount | None]) -> list[str]:
    """Amounts as text with the column's one number of decimals.

    Decimals are padded to the most decimals any of them has (``4.50`` beside
    ``2.25``, ``0.00`` for zero); values with no decimal form are fractions;
    ``None`` is an empty cell.
    """
    places = max(
        (_places(v) for v in values if isinstance(v, Decimal)),
        default=0,
    )
    return [
        ""
        if value is None
        else amount_text(value)
        if isinstance(value, Ratio)
        else f"{value:.{places}f}"
        for value in values
    ]


def short_ids(ids: Iterable[str]) -> dict[str, str]:
    """Each id's shortest unique prefix, at least :data:`SHORT_ID` long."""
    ordered = sorted(set(ids))
    result = {}
    for index, entry_id in enumerate(ordered):
        shared = 0
        for neighbour in ordered[max(index - 1, 0) : index + 2]:
            if neighbour != entry_id:
                shared = max(shared, _common(entry_id, neighbour))
        result[entry_id] = entry_id[: max(shared + 1, SHORT_ID)]
    return result


def _common(a: str, b: str) -> int:
    count = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        count += 1
    return count


def display_width(text: str) -> int:
    """How many terminal columns ``text`` takes: a wide or full-width
    character (CJK, most emoji) two, a combining mark none, the rest one.

    Examples
    --------
    >>> display_width("bob"), display_width("李小龍"), display_width("e\u0301")
    (3, 6, 1)
    """
    if text.isascii():  # the common case: one column a character
        return len(text)
    return sum(_char_width(char) for char in text)


def _char_width(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


NUMERIC: Final = frozenset(
    {"balance", "amount", "value", "strength", "hops", "trust", "before", "after"}
)


def table(out: TextIO, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Aligned columns; amount-like columns (:data:`NUMERIC`) right-aligned.

    Columns line up by display width (:func:`display_width`), so a name in
    CJK, with emoji or with combining marks does not push its row askew.
    """
    if not rows:
        out.write("(nothing)\n")
        return
    rows = [[one_line(cell) for cell in row] for row in rows]
    right = [h in NUMERIC for h in headers]
    widths = [display_width(h) for h in headers]
    for row in rows:
        widths = [max(w, display_width(c)) for w, c in zip(widths, row, strict=True)]
    for row in (headers, *rows):
        cells = [
            _padded(cell, width, is_right)
            for cell, width, is_right in zip(row, widths, right, strict=True)
        ]
        out.write("  ".join(cells).rstrip() + "\n")


def _padded(cell: str, width: int, right: bool) -> str:
    """``cell`` padded with spaces to ``width`` display columns."""
    padding = " " * (width - display_width(cell))
    return padding + cell if right else cell + padding


def one_line(text: str) -> str:
    """One line of printable text for the terminal: each run of whitespace
    becomes one space, and any other character a terminal would act on (an
    escape sequence, a bidirectional override...) is shown escaped, as
    ``\\x1b``, so that a crafted name cannot rewrite the user's screen.

    Examples
    --------
    >>> one_line("a\\n b"), one_line("\\x1b[2Jhi")
    ('a b', '\\\\x1b[2Jhi')
    """
    line = " ".join(text.split())
    if line.isprintable():
        return line
    return "".join(char if char.isprintable() else _escaped(char) for char in line)


def _escaped(char: str) -> str:
    return char.encode("unicode_escape", "backslashreplace").decode("ascii")


_UNPRINTABLE: Final = re.compile(r"[^\n\x20-\x7e]")
"""What may need escaping in JSON text: anything but ASCII text and newlines."""


def json_text(data: object) -> str:
    """``data`` as indented JSON for the terminal: every character a
    terminal would act on (an escape sequence, a bidirectional override...)
    is written as a JSON escape (``\\u202e``), the rest as itself, so the
    text is printable and reads back as the same data.

    Examples
    --------
    >>> print(json_text({"name": "José\u202e"}))
    {
      "name": "José\\u202e"
    }
    """
    text = json.dumps(data, ensure_ascii=False, indent=2)
    return _UNPRINTABLE.sub(_json_escape, text)


def _json_escape(match: re.Match[str]) -> str:
    char = match.group()
    return char if char.isprintable() else json.dumps(char)[1:-1]
