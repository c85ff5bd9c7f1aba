"""The Parquet favors table: the ledger's favors for DuckDB, Spark and pipelines.

One row per favor, in the order recorded, with its reversal (if any) in the
last three columns. It is what :mod:`favorledger.scale` answers from, and it
is simple enough for a platform's own pipeline to write.

**Schema** (:data:`PARQUET_COLUMNS`); only ``id``, ``giver``, ``receiver`` and
``value`` are required when reading:

=====================  =====================  ==========================================
column                 Parquet type           meaning
=====================  =====================  ==========================================
``id``                 string                 the favor's id (unique)
``giver``              string                 who did the favor (the creditor)
``receiver``           string                 who received it (owes ``value``)
``value``              decimal(38, s)         the favor's exact value, positive
``kind``               string                 what sort of favor (null: ``favor``)
``at``                 timestamp (UTC, µs)    when it was done
``via``                string                 the referrer, or null
``referral_share``     decimal(38, s)         the referrer's share, 0 to 1 (null: 1/2)
``reason``             string                 why, in words
``tags``               list of string         free-form labels
``fulfils``            string                 the pledge or ask it fulfils, or null
``reversal_id``        string                 the reversal's id; null if not reversed
``reversed_at``        timestamp (UTC, µs)    when it was reversed
``reversal_reason``    string                 why it was reversed
=====================  =====================  ==========================================

Integer columns are accepted for ``value`` and ``referral_share`` (scale 0).
The receiver owes the giver ``value``; a favor with a ``via`` also makes the
referrer owe the giver ``value * referral_share``; a favor with a
``reversal_id`` owes nothing.

**Exact amounts only.** Amounts are ``DECIMAL(38, s)``, never floats: a
column of floats or text is refused. :func:`write_parquet` picks the smallest
``s`` that holds every value (and every share) exactly, and refuses a ledger
with an amount that has no decimal form (a value of 1/3, or a referral share
of 1/3) with :class:`~favorledger.errors.InvalidValueError`: keep such a
ledger in JSON Lines or SQLite, which hold fractions exactly. Times are
stored in UTC (the instant is kept; the original offset is not).

Examples
--------
>>> import os, tempfile, favorledger as fl
>>> led = fl.Ledger()
>>> _ = led.record("carol", "me", "2.50", via="bob", id="f1",
...                at="2024-05-01T09:00+00:00")
>>> path = os.path.join(tempfile.mkdtemp(), "favors.parquet")
>>> write_parquet(led, path)
1
>>> read_parquet(path) == list(led.log)
True
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Final

from favorledger.errors import (
    FavorLedgerError,
    FileError,
    FormatError,
    InvalidValueError,
    MissingExtraError,
    SchemaError,
    install_hint,
)
from favorledger.io.files import reading, writing
from favorledger.io.tables import Progress
from favorledger.model import Favor, Reversal

if TYPE_CHECKING:
    from favorledger.ledger import Ledger

__all__ = [
    "PARQUET_COLUMNS",
    "PARQUET_REQUIRED",
    "ROW_GROUP_SIZE",
    "check_columns",
    "decimal_places",
    "read_parquet",
    "write_parquet",
]

PARQUET_COLUMNS: Final = {
    "id": "string",
    "giver": "string",
    "receiver": "string",
    "value": "decimal",
    "kind": "string",
    "at": "timestamp",
    "via": "string",
    "referral_share": "decimal",
    "reason": "string",
    "tags": "list",
    "fulfils": "string",
    "reversal_id": "string",
    "reversed_at": "timestamp",
    "reversal_reason": "string",
}
"""The favors table's columns and the kind of type each must have."""

PARQUET_REQUIRED: Final = ("id", "giver", "receiver", "value")
"""The columns a favors table must have; the others are optional."""

_HALF: Final = Decimal("0.5")
_ACCEPTED: Final = {"decimal": ("decimal", "integer")}
_WANTED: Final = {
    "string": "a string column",
    "decimal": "an exact DECIMAL (or integer) column",
    "timestamp": "a timestamp column",
    "list": "a list of strings",
}


def _pyarrow() -> Any:
    try:
        return importlib.import_module("pyarrow")
    except ImportError:
        raise MissingExtraError(
            "the Parquet favors table needs pyarrow; " + install_hint("scale")
        ) from None


def check_columns(kinds: Mapping[str, str], where: str) -> None:
    """Check a table's columns against the schema, or raise naming the column.

    Parameters
    ----------
    kinds
        Each column's name and the kind of its type: ``"string"``,
        ``"decimal"``, ``"integer"``, ``"timestamp"``, ``"float"``,
        ``"list"`` or ``"other"`` (whatever the engine calls it).
    where
        The table's name, for the message.

    Raises
    ------
    SchemaError
        For a missing required column, an unknown column, or a column of
        the wrong type (a float amount above all).

    Examples
    --------
    >>> check_columns({"id": "string", "giver": "string", "receiver": "string",
    ...                "value": "float"}, "favors.parquet")
    Traceback (most recent call last):
    ...
    favorledger.errors.SchemaError: favors.parquet: column 'value' is float; it \
must be an exact DECIMAL (or integer) column (a float cannot hold a favor's \
value exactly)
    """
    for column in PARQUET_REQUIRED:
        if column not in kinds:
            raise SchemaError(
                f"{where}: missing column {column!r}", path=where, column=column
            )
    for column, kind in kinds.items():
        wanted = PARQUET_COLUMNS.get(column)
        if wanted is None:
            raise SchemaError(
                f"{where}: unknown column {column!r}; columns are"
                f" {', '.join(PARQUET_COLUMNS)}",
                path=where,
                column=column,
            )
        if kind not in _ACCEPTED.get(wanted, (wanted,)):
            hint = ""
            if wanted == "decimal":
                hint = (
                    " (a float cannot hold a favor's value exactly)"
                    if kind == "float"
                    else " (amounts with no decimal form, such as 1/3, are not"
                    " held by this table)"
                )
            raise SchemaError(
                f"{where}: column {column!r} is {kind}; it must be"
                f" {_WANTED[wanted]}{hint}",
                path=where,
                column=column,
            )


def arrow_kind(data_type: Any) -> str:
    """The kind (see :func:`check_columns`) of a pyarrow type."""
    types = _pyarrow().types
    checks = (
        ("decimal", types.is_decimal),
        ("integer", types.is_integer),
        ("string", lambda t: types.is_string(t) or types.is_large_string(t)),
        ("timestamp", types.is_timestamp),
        ("float", types.is_floating),
        ("list", lambda t: types.is_list(t) or types.is_large_list(t)),
    )
    return next((kind for kind, test in checks if test(data_type)), "other")


def decimal_places(amount: Decimal | Fraction, what: str) -> int:
    """The places after the point ``amount`` needs, or raise if it has none.

    Examples
    --------
    >>> decimal_places(Decimal("2.50"), "Favor.value")  # by value: 2.5
    1
    >>> decimal_places(Fraction(1, 3), "favor 'f1': Favor.value")
    Traceback (most recent call last):
    ...
    favorledger.errors.InvalidValueError: favor 'f1': Favor.value is 1/3, which \
has no decimal form; a Parquet favors table holds DECIMAL(38, s) amounts only \
(keep this ledger in JSON Lines or SQLite, which hold fractions exactly)
    """
    if isinstance(amount, Fraction):
        raise InvalidValueError(
            f"{what} is {amount}, which has no decimal form; a Parquet favors"
            " table holds DECIMAL(38, s) amounts only (keep this ledger in JSON"
            " Lines or SQLite, which hold fractions exactly)"
        )
    exponent = amount.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def _schema(value_places: int, share_places: int) -> Any:
    pa = _pyarrow()
    stamp = pa.timestamp("us", tz="UTC")
    types = {
        "string": pa.string(),
        "timestamp": stamp,
        "list": pa.list_(pa.string()),
    }
    fields = []
    for column, kind in PARQUET_COLUMNS.items():
        if column == "value":
            data_type = pa.decimal128(38, value_places)
        elif column == "referral_share":
            data_type = pa.decimal128(38, share_places)
        else:
            data_type = types[kind]
        fields.append(pa.field(column, data_type, nullable=column not in {"value"}))
    return pa.schema(fields)


ROW_GROUP_SIZE: Final = 122_880
"""Rows per row group :func:`write_parquet` writes (DuckDB's own default): a
reader holds one row group's columns in memory at a time, so small groups
keep a memory-limited reader within its limit."""


def write_parquet(
    ledger: Ledger,
    path: str | os.PathLike[str],
    *,
    progress: Progress | None = None,
    row_group_size: int = ROW_GROUP_SIZE,
    force: bool = False,
) -> int:
    """Write every favor (with its reversal, if any) to ``path`` as Parquet.

    The file is replaced atomically: a failure leaves the old file as it was
    (see :func:`favorledger.io.files.writing`).

    Parameters
    ----------
    ledger
        The ledger to export.
    path
        The Parquet file to write.
    progress
        Called as ``progress(done, total)`` once the rows are gathered.
    row_group_size
        Rows per Parquet row group (default :data:`ROW_GROUP_SIZE`).
    force
        Overwrite even an SQLite database (see
        :func:`favorledger.io.files.writing`).

    Returns
    -------
    int
        The number of favors written.

    Raises
    ------
    InvalidValueError
        If a favor's value or referral share has no decimal form (1/3),
        naming the favor; nothing is written.
    MissingExtraError
        If pyarrow is not installed (:func:`~favorledger.errors.install_hint`).
    OverwriteError
        If ``path`` is an SQLite database (a ledger's store) and ``force`` is
        false; nothing is written.
    """
    pa = _pyarrow()
    parquet = importlib.import_module("pyarrow.parquet")
    favors = list(ledger.favors.values())
    reversals = ledger.reversals
    value_places = share_places = 0
    for favor in favors:
        label = f"favor {favor.id!r}: Favor"
        value_places = max(value_places, decimal_places(favor.value, f"{label}.value"))
        if favor.referral_share is not None and favor.via is not None:
            places = decimal_places(favor.referral_share, f"{label}.referral_share")
            share_places = max(share_places, places)
    columns: dict[str, list[object]] = {column: [] for column in PARQUET_COLUMNS}
    for favor in favors:
        reversal = reversals.get(favor.id)
        row = {
            "id": favor.id,
            "giver": favor.giver,
            "receiver": favor.receiver,
            "value": favor.value,
            "kind": favor.kind,
            "at": favor.at,
            "via": favor.via,
            "referral_share": favor.referral_share if favor.via else None,
            "reason": favor.reason,
            "tags": sorted(favor.tags),
            "fulfils": favor.fulfils,
            "reversal_id": None if reversal is None else reversal.id,
            "reversed_at": None if reversal is None else reversal.at,
            "reversal_reason": None if reversal is None else reversal.reason,
        }
        for column, cell in row.items():
            columns[column].append(cell)
    table = pa.table(columns, schema=_schema(value_places, share_places))
    with writing(path, force=force) as out:
        parquet.write_table(table, out, row_group_size=row_group_size)
    if progress is not None:
        progress(len(favors), len(favors))
    return len(favors)


def read_parquet(path: str | os.PathLike[str]) -> list[Favor | Reversal]:
    """Read a favors table (written by :func:`write_parquet` or a pipeline).

    Returns
    -------
    list of Favor and Reversal
        Every favor in table order, then the reversals.

    Raises
    ------
    SchemaError
        If the table breaks the schema (naming the column).
    FormatError
        At the first bad row, naming the file, the row (1-based) and the field.
    """
    parquet = importlib.import_module("pyarrow.parquet")
    _pyarrow()
    name = os.fspath(path)
    try:
        with reading(name) as source:
            table = parquet.read_table(source)
    except FileError:
        raise
    except (OSError, ValueError) as exc:
        raise FormatError(f"{name}: not a Parquet table ({exc})", path=name) from exc
    check_columns({f.name: arrow_kind(f.type) for f in table.schema}, name)
    favors: list[Favor | Reversal] = []
    reversals: list[Favor | Reversal] = []
    for number, row in enumerate(table.to_pylist(), start=1):
        try:
            favor, reversal = _row_entries(row)
        except FavorLedgerError as exc:
            raise FormatError(f"{name}: row {number}: {exc}", path=name) from exc
        favors.append(favor)
        if reversal is not None:
            reversals.append(reversal)
    return favors + reversals


def _row_entries(row: dict[str, Any]) -> tuple[Favor, Reversal | None]:
    fields = {
        key: row[key]
        for key in ("id", "giver", "receiver", "value", "at", "via", "fulfils")
        if row.get(key) is not None
    }
    for key in ("kind", "reason"):
        if row.get(key):
            fields[key] = row[key]
    if row.get("tags"):
        fields["tags"] = row["tags"]
    if row.get("via") is not None:
        share = row.get("referral_share")
        fields["referral_share"] = _HALF if share is None else share
    favor = Favor(**fields)
    if row.get("reversal_id") is None:
        return favor, None
    at = row.get("reversed_at")
    reversal = Reversal(
        id=row["reversal_id"],
        favor_id=favor.id,
        at=at if at is not None else favor.at,
        reason=row.get("reversal_reason") or "",
    )
    return favor, reversal
