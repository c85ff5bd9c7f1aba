"""Beyond one machine: the ledger's answers from DuckDB and from Spark.

:func:`open` reads a Parquet favors table (see :mod:`favorledger.io.parquet`)
into a columnar engine, embedded DuckDB by default or a Spark session when
asked, and answers the ledger's questions there. The results are exactly
those of the in-memory :class:`~favorledger.Ledger` (the test suite checks
it on random ledgers with referrals and reversals); each is the engine's own
table, a DuckDB relation or a Spark DataFrame, which stays in the engine
until you collect it. Results are unordered: sort them in the engine if you
need to.

The same SQL runs on both engines (``favorledger.scale`` writes each query
once); nothing is computed row by row in Python, except clearing cycles,
which hands each strongly connected component to the in-process solver.

**Exact amounts.** Every amount is ``DECIMAL(38, S)``, never a float, with
``S`` = the value column's scale + the referral share's scale (at least 1,
so the default share 1/2 fits): a referrer's share of a value is then exact.
A sum too large for 38 digits raises the engine's overflow error rather than
rounding. For Spark, :func:`open` sets
``spark.sql.decimalOperations.allowPrecisionLoss=false`` and
``spark.sql.ansi.enabled=true`` on the session it is given, so Spark never
rounds a decimal to make room and fails loudly on overflow. Amounts that have
no decimal form (a third) cannot be in the table at all:
:func:`~favorledger.io.parquet.write_parquet` refuses them.

Examples
--------
>>> import os, tempfile, favorledger as fl
>>> from favorledger.io import write_parquet
>>> led = fl.Ledger()
>>> _ = led.record("carol", "me", 3, via="bob")
>>> _ = led.record("bob", "me", "1.5")
>>> path = os.path.join(tempfile.mkdtemp(), "favors.parquet")
>>> _ = write_parquet(led, path)
>>> big = open(path)
>>> sorted(big.balances().fetchall())
[('bob', Decimal('0.00')), ('carol', Decimal('4.50')), ('me', Decimal('-4.50'))]
>>> big.settle().fetchall()
[('me', 'carol', Decimal('4.50'))]
"""

from __future__ import annotations

import importlib
import itertools
import os
import re
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any, Final, Literal, get_args

from favorledger.clearing import Solver, clear_debts
from favorledger.errors import (
    FormatError,
    InvalidQueryError,
    MissingExtraError,
    SchemaError,
    SettlementTooLargeError,
    UnknownPersonError,
    install_hint,
)
from favorledger.io.parquet import check_columns
from favorledger.model import MAX_ID_LENGTH, Debt, as_id

__all__ = ["COMPONENT_LIMIT", "Engine", "ScaleLedger", "open"]

Engine = Literal["duckdb", "spark"]
"""The engines :func:`open` can use."""

COMPONENT_LIMIT: Final = 100_000
"""The most debts one strongly connected component may have for
:meth:`ScaleLedger.clear_cycles` to hand it to the in-process solver."""

_MAX_PLACES: Final = 30  # leaves 8 digits before the point in DECIMAL(38, S)
_ROWS: Final = "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
_names = itertools.count()


def _module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        extra = "spark" if name.startswith("pyspark") else "scale"
        raise MissingExtraError(
            f"favorledger.scale needs {name.split('.')[0]}; {install_hint(extra)}"
        ) from None


# ------------------------------------------------------------------ engines
class _DuckDB:
    """DuckDB, embedded: views over ``read_parquet``, relations as results."""

    name: Final = "duckdb"

    def __init__(self, connection: Any, memory_limit: str | None) -> None:
        duckdb = _module("duckdb")
        self.con = duckdb.connect() if connection is None else connection
        if memory_limit is not None:
            self.con.execute(f"SET memory_limit = {_quote(memory_limit)}")
            self.con.execute("SET preserve_insertion_order = false")
            spill = os.path.join(tempfile.gettempdir(), "favorledger-duckdb")
            self.con.execute(f"SET temp_directory = {_quote(spill)}")

    def load(self, path: str, view: str) -> dict[str, tuple[str, int]]:
        source = os.path.join(path, "**", "*.parquet") if os.path.isdir(path) else path
        self.con.execute(
            f"CREATE OR REPLACE TEMP VIEW {view} AS"
            f" SELECT * FROM read_parquet({_quote(source)})"
        )
        table = self.con.table(view)
        return {
            column: _duckdb_kind(str(data_type))
            for column, data_type in zip(table.columns, table.types, strict=True)
        }

    def sql(self, query: str) -> Any:
        return self.con.sql(query)

    def view(self, name: str, query: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {query}")

    def materialize(self, name: str, query: str) -> int:
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {query}")
        return int(self.con.execute(f"SELECT COUNT(*) FROM {name}").fetchall()[0][0])

    def rows(
        self, name: str, columns: Sequence[tuple[str, str]], rows: list[Any]
    ) -> None:
        ddl = ", ".join(f"{column} {data_type}" for column, data_type in columns)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({ddl})")
        if rows:
            marks = ", ".join("?" for _ in columns)
            self.con.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)

    def one(self, query: str) -> tuple[Any, ...] | None:
        found = self.con.execute(query).fetchall()
        return tuple(found[0]) if found else None

    def fetch(self, query: str) -> Iterator[tuple[Any, ...]]:
        result = self.con.execute(query)
        while batch := result.fetchmany(10_000):
            yield from batch

    def last(self, column: str) -> str:
        return f"LAST_VALUE({column} IGNORE NULLS)"


class _Spark:
    """Spark: temp views over ``spark.read.parquet``, DataFrames as results."""

    name: Final = "spark"

    def __init__(self, session: Any) -> None:
        _module("pyspark")
        if session is None:
            raise InvalidQueryError(
                'engine="spark" needs spark=<a SparkSession>, got spark=None'
            )
        self.spark = session
        session.conf.set("spark.sql.decimalOperations.allowPrecisionLoss", "false")
        session.conf.set("spark.sql.ansi.enabled", "true")

    def load(self, path: str, view: str) -> dict[str, tuple[str, int]]:
        frame = self.spark.read.parquet(path)
        frame.createOrReplaceTempView(view)
        return {field.name: _spark_kind(field.dataType) for field in frame.schema}

    def sql(self, query: str) -> Any:
        return self.spark.sql(query)

    def view(self, name: str, query: str) -> None:
        self.spark.sql(query).createOrReplaceTempView(name)

    def materialize(self, name: str, query: str) -> int:
        frame = self.spark.sql(query).localCheckpoint(eager=True)
        frame.createOrReplaceTempView(name)
        return int(frame.count())

    def rows(
        self, name: str, columns: Sequence[tuple[str, str]], rows: list[Any]
    ) -> None:
        ddl = ", ".join(f"{column} {data_type}" for column, data_type in columns)
        self.spark.createDataFrame(rows, ddl).createOrReplaceTempView(name)

    def one(self, query: str) -> tuple[Any, ...] | None:
        found = self.spark.sql(query).head(1)
        return tuple(found[0]) if found else None

    def fetch(self, query: str) -> Iterator[tuple[Any, ...]]:
        for row in self.spark.sql(query).toLocalIterator():
            yield tuple(row)

    def last(self, column: str) -> str:
        return f"LAST_VALUE({column}) IGNORE NULLS"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")


def _duckdb_kind(data_type: str) -> tuple[str, int]:
    """The kind of a DuckDB type, and its scale for a decimal."""
    found = _DECIMAL.fullmatch(data_type)
    if found:
        return "decimal", int(found.group(2))
    if data_type.endswith("[]"):
        return "list", 0
    kinds = {
        "VARCHAR": "string",
        "TINYINT": "integer",
        "SMALLINT": "integer",
        "INTEGER": "integer",
        "BIGINT": "integer",
        "HUGEINT": "integer",
        "UTINYINT": "integer",
        "USMALLINT": "integer",
        "UINTEGER": "integer",
        "UBIGINT": "integer",
        "FLOAT": "float",
        "DOUBLE": "float",
    }
    if data_type.startswith("TIMESTAMP"):
        return "timestamp", 0
    return kinds.get(data_type, data_type.lower()), 0


def _spark_kind(data_type: Any) -> tuple[str, int]:
    """The kind of a Spark SQL type, and its scale for a decimal."""
    types = _module("pyspark.sql.types")
    if isinstance(data_type, types.DecimalType):
        return "decimal", int(data_type.scale)
    checks = (
        ("string", types.StringType),
        ("integer", types.IntegralType),
        ("float", types.FractionalType),
        ("timestamp", (types.TimestampType, types.TimestampNTZType)),
        ("list", types.ArrayType),
    )
    for kind, classes in checks:
        if isinstance(data_type, classes):
            return kind, 0
    return data_type.simpleString(), 0


# ------------------------------------------------------------------ opening
def open(
    path: str | os.PathLike[str],
    *,
    engine: Engine = "duckdb",
    spark: Any = None,
    connection: Any = None,
    memory_limit: str | None = None,
    check: bool = True,
) -> ScaleLedger:
    """Open a Parquet favors table in DuckDB (default) or Spark.

    Parameters
    ----------
    path
        A Parquet file or a directory of them; for Spark, any path Spark
        reads (``s3a://bucket/favors``, ``hdfs://...``).
    engine
        ``"duckdb"`` (embedded, the default) or ``"spark"``.
    spark
        The ``SparkSession`` to use with ``engine="spark"``. Two settings
        are set on it for exact decimals (see :mod:`favorledger.scale`).
    connection
        A DuckDB connection to use (default: a new in-memory one).
    memory_limit
        DuckDB's memory limit (``"512MB"``); past it DuckDB spills to a
        temporary directory instead of growing.
    check
        Scan the table once to check every row (no empty ids or people,
        positive values, shares from 0 to 1, nobody owing themselves).

    Returns
    -------
    ScaleLedger

    Raises
    ------
    SchemaError
        If the table breaks the schema or a row breaks a rule, naming the
        column.
    FormatError
        If the engine cannot read ``path`` (missing, not Parquet), naming it.
    InvalidQueryError
        For an unknown engine, or ``engine="spark"`` without a session.
    MissingExtraError
        If duckdb (``favorledger[scale]``) or pyspark (``favorledger[spark]``)
        is not installed.
    """
    name = os.fspath(path)
    backend: _DuckDB | _Spark
    if engine == "duckdb":
        backend = _DuckDB(connection, memory_limit)
    elif engine == "spark":
        backend = _Spark(spark)
    else:
        choices = ", ".join(repr(e) for e in get_args(Engine))
        raise InvalidQueryError(f"engine must be one of {choices}, got {engine!r}")
    return ScaleLedger(backend, name, check=check)


class ScaleLedger:
    """A favors table in DuckDB or Spark, answering as the ledger does.

    Made by :func:`open`. Every method returns the engine's own table.

    Attributes
    ----------
    engine : str
        ``"duckdb"`` or ``"spark"``.
    path : str
        The table read.
    places : int
        ``S``: the scale of every amount (``DECIMAL(38, S)``).
    favors : str
        The name of the normalized favors view (``id, giver, receiver,
        value, via, share, live``), for your own queries.
    """

    def __init__(self, backend: _DuckDB | _Spark, path: str, *, check: bool) -> None:
        self._engine = backend
        self.engine: str = backend.name
        self.path = path
        prefix = f"favorledger_{next(_names)}_{uuid.uuid4().hex[:8]}_"
        self._prefix = prefix
        try:
            kinds = backend.load(path, prefix + "raw")
        except Exception as exc:  # each engine raises its own kind
            raise FormatError(
                f"{path}: cannot read a Parquet favors table here"
                f" ({type(exc).__name__}: {str(exc).splitlines()[0]})",
                path=path,
            ) from exc
        check_columns({column: kind for column, (kind, _) in kinds.items()}, path)
        value_places = kinds["value"][1]
        share_places = max(1, kinds.get("referral_share", ("decimal", 1))[1])
        self.places = value_places + share_places
        if self.places > _MAX_PLACES:
            raise SchemaError(
                f"{path}: columns 'value' and 'referral_share' have"
                f" {value_places} and {share_places} decimal places; together at"
                f" most {_MAX_PLACES} are supported",
                path=path,
                column="value",
            )
        self.favors = prefix + "favors"
        backend.view(self.favors, self._normalized(kinds, value_places, share_places))
        backend.view(prefix + "obligations", self._obligations())
        if check:
            self._check_rows()

    # ------------------------------------------------------------ questions
    def balances(self) -> Any:
        """Every person's balance (``person, balance``); they sum to zero.

        Everyone named by a favor in the table is there, reversed favors
        included (with a zero balance if nothing else), as in the ledger.
        """
        return self._engine.sql(self._balances_sql())

    def who_owes_whom(self) -> Any:
        """Pairwise netted debts: ``debtor, creditor, amount`` (amount > 0)."""
        return self._engine.sql(self._debts_sql())

    def settle(self) -> Any:
        """Favor-returns that zero every balance: ``payer, payee, amount``.

        Greedy, in one pass of window functions: debtors (largest debt
        first, then by id) and creditors (likewise) are laid end to end as
        intervals of their running sums, and each overlap of a debtor's
        interval with a creditor's is one transfer of the overlap's length.
        So every balance is zeroed exactly, with at most (people with a
        non-zero balance - 1) transfers. (The in-memory greedy method pairs
        equal amounts first, so its transfers may differ; both are valid.)

        On Spark the balances are gathered onto one partition for the
        running sums (one row per person with a non-zero balance).
        """
        s = self.places
        last_payer = self._engine.last("debtor")
        last_payee = self._engine.last("creditor")
        query = f"""
        WITH b AS ({self._balances_sql()}),
        debts AS (SELECT person, -balance AS size FROM b WHERE balance < 0),
        credits AS (SELECT person, balance AS size FROM b WHERE balance > 0),
        d AS (SELECT person, CAST(SUM(size) OVER (ORDER BY size DESC, person
                {_ROWS}) - size AS DECIMAL(38, {s})) AS pos FROM debts),
        c AS (SELECT person, CAST(SUM(size) OVER (ORDER BY size DESC, person
                {_ROWS}) - size AS DECIMAL(38, {s})) AS pos FROM credits),
        total AS (SELECT CAST(SUM(size) AS DECIMAL(38, {s})) AS total FROM credits),
        points AS (
            SELECT pos, MAX(debtor) AS debtor, MAX(creditor) AS creditor FROM (
                SELECT pos, person AS debtor, CAST(NULL AS STRING) AS creditor
                FROM d
                UNION ALL
                SELECT pos, CAST(NULL AS STRING) AS debtor, person AS creditor
                FROM c
            ) ev GROUP BY pos),
        segments AS (
            SELECT pos,
                {last_payer} OVER (ORDER BY pos {_ROWS}) AS payer,
                {last_payee} OVER (ORDER BY pos {_ROWS}) AS payee,
                LEAD(pos) OVER (ORDER BY pos) AS next
            FROM points)
        SELECT payer, payee,
            CAST(COALESCE(next, total) - pos AS DECIMAL(38, {s})) AS amount
        FROM segments CROSS JOIN total
        """
        return self._engine.sql(query)

    def reach(self, me: str, max_hops: int = 3) -> Any:
        """People within ``max_hops`` of ``me`` over the ties favors imply.

        A favor (not reversed) ties its giver and receiver, and its referrer
        to both. Returns ``person, hops`` (the fewest), ``me`` at 0. Stated
        ties are not in the favors table, so they do not count here. ``me``
        may be typed any way a write takes it: as it is in the table, or
        stripped and in Unicode NFC form (:func:`~favorledger.model.as_id`).

        Raises
        ------
        InvalidQueryError
            If ``max_hops`` is not a whole number from 0 up.
        UnknownPersonError
            If no favor in the table names ``me`` (one query to find out).
        """
        if type(max_hops) is not int or max_hops < 0:
            raise InvalidQueryError(
                f"max_hops must be a whole number from 0 up, got {max_hops!r}"
            )
        if not isinstance(me, str):
            raise InvalidQueryError(f"me must be a person id, got {me!r}")
        typed = (
            [me] if len(me) > MAX_ID_LENGTH else list(dict.fromkeys([me, as_id(me)]))
        )
        for spelling in typed:  # as typed, else as a write keeps it
            start = f"{self._prefix}me_{next(_names)}"
            self._engine.rows(start, [("person", "STRING")], [(spelling,)])
            known = self._engine.one(
                f"SELECT COUNT(*) FROM {self.favors} f JOIN {start} s ON"
                " s.person IN (f.giver, f.receiver, f.via)"
            )
            if known is not None and known[0] > 0:
                break
        else:
            raise UnknownPersonError(f"person {me!r} is not in the favors table")
        f = self.favors
        pairs = [("giver", "receiver"), ("giver", "via"), ("receiver", "via")]
        directed = " UNION ALL ".join(
            f"SELECT {x} AS a, {y} AS b FROM {f} WHERE live AND {x} IS NOT NULL"
            f" AND {y} IS NOT NULL"
            for one, two in pairs
            for x, y in ((one, two), (two, one))
        )
        steps = [f"ties AS (SELECT DISTINCT a, b FROM ({directed}) t)"]
        steps.append(f"h0 AS (SELECT person FROM {start})")
        steps += [
            f"h{k} AS (SELECT DISTINCT ties.b AS person FROM ties"
            f" JOIN h{k - 1} ON ties.a = h{k - 1}.person)"
            for k in range(1, max_hops + 1)
        ]
        found = " UNION ALL ".join(
            f"SELECT person, {k} AS hops FROM h{k}" for k in range(max_hops + 1)
        )
        query = (
            f"WITH {', '.join(steps)} SELECT person, MIN(hops) AS hops"
            f" FROM ({found}) r GROUP BY person"
        )
        return self._engine.sql(query)

    def clear_cycles(
        self, *, limit: int = COMPONENT_LIMIT, solver: Solver = "networkx"
    ) -> Any:
        """Cancel debt around cycles, per strongly connected component.

        The engine finds the strongly connected components of who owes whom
        (by iterated queries: trimming, forward colouring, backward reach).
        Each component is collected and cleared by the in-process solver
        (:func:`favorledger.clear_debts`, a min-cost flow), one at a time,
        so memory holds one component at a time; the result goes back into
        the engine.

        Parameters
        ----------
        limit
            The most debts a component may have (default
            :data:`COMPONENT_LIMIT`). A larger component is refused before
            anything is collected: :class:`SettlementTooLargeError` names its
            size and the limit.
        solver
            As for :func:`favorledger.clear_cycles`.

        Returns
        -------
        table
            ``debtor, creditor, owed, cleared, remaining`` for every netted
            debt: ``remaining = owed - cleared``. Every person's net position
            is kept; no debt grows, and none is created.
        """
        if type(limit) is not int or limit < 1:
            raise InvalidQueryError(
                f"limit must be a positive whole number, got {limit!r}"
            )
        p, s = self._prefix, self.places
        engine = self._engine
        engine.materialize(p + "debts", self._debts_sql())
        self._components()
        inside = (
            f"SELECT d.debtor, d.creditor, d.amount, a.component"
            f" FROM {p}debts d JOIN {p}components a ON d.debtor = a.node"
            f" JOIN {p}components b ON d.creditor = b.node"
            " WHERE a.component = b.component"
        )
        largest = engine.one(
            f"SELECT component, COUNT(*) AS n FROM ({inside}) i GROUP BY component"
            " ORDER BY n DESC, component LIMIT 1"
        )
        if largest is not None and largest[1] > limit:
            raise SettlementTooLargeError(
                f"clear_cycles: the strongly connected component of"
                f" {largest[0]!r} has {largest[1]} debts, more than limit={limit}"
                " that the in-process solver takes; nothing was cleared"
            )
        cleared = []
        rows = engine.fetch(f"{inside} ORDER BY component")
        for _, group in itertools.groupby(rows, key=lambda row: row[3]):
            debts = [
                Debt(debtor, creditor, amount) for debtor, creditor, amount, _ in group
            ]
            for transfer in clear_debts(debts, solver=solver).transfers:
                # integer flows over a denominator dividing 10**S: a decimal
                assert isinstance(transfer.amount, Decimal)
                cleared.append((transfer.payer, transfer.payee, transfer.amount))
        engine.rows(
            p + "cleared",
            [
                ("debtor", "STRING"),
                ("creditor", "STRING"),
                ("cleared", f"DECIMAL(38, {s})"),
            ],
            cleared,
        )
        zero = f"CAST(0 AS DECIMAL(38, {s}))"
        return engine.sql(
            f"SELECT d.debtor, d.creditor, d.amount AS owed,"
            f" COALESCE(c.cleared, {zero}) AS cleared,"
            f" CAST(d.amount - COALESCE(c.cleared, {zero}) AS DECIMAL(38, {s}))"
            " AS remaining"
            f" FROM {p}debts d LEFT JOIN {p}cleared c"
            " ON d.debtor = c.debtor AND d.creditor = c.creditor"
        )

    # ------------------------------------------------------------ internals
    def _normalized(
        self, kinds: dict[str, tuple[str, int]], value_places: int, share_places: int
    ) -> str:
        has = kinds.__contains__
        via = "via" if has("via") else "CAST(NULL AS STRING)"
        share = "referral_share" if has("referral_share") else "NULL"
        live = "reversal_id IS NULL" if has("reversal_id") else "TRUE"
        return (
            f"SELECT id, giver, receiver,"
            f" CAST(value AS DECIMAL(38, {value_places})) AS value, {via} AS via,"
            f" CAST(COALESCE({share}, 0.5) AS DECIMAL(38, {share_places})) AS share,"
            f" {live} AS live FROM {self._prefix}raw"
        )

    def _obligations(self) -> str:
        f, s = self.favors, self.places
        return (
            f"SELECT receiver AS debtor, giver AS creditor,"
            f" CAST(value AS DECIMAL(38, {s})) AS amount FROM {f} WHERE live"
            " UNION ALL"
            f" SELECT via AS debtor, giver AS creditor,"
            f" CAST(value * share AS DECIMAL(38, {s})) AS amount FROM {f}"
            " WHERE live AND via IS NOT NULL AND share > 0"
        )

    def _balances_sql(self) -> str:
        f, s = self.favors, self.places
        amount = f"CAST(value AS DECIMAL(38, {s}))"
        referred = f"CAST(value * share AS DECIMAL(38, {s}))"
        zero = f"CAST(0 AS DECIMAL(38, {s}))"
        return f"""
        SELECT person, CAST(SUM(delta) AS DECIMAL(38, {s})) AS balance FROM (
            SELECT giver AS person, CASE WHEN NOT live THEN {zero}
                WHEN via IS NULL THEN {amount}
                ELSE CAST({amount} + {referred} AS DECIMAL(38, {s})) END AS delta
            FROM {f}
            UNION ALL
            SELECT receiver AS person, CASE WHEN live THEN -{amount} ELSE {zero} END
                AS delta FROM {f}
            UNION ALL
            SELECT via AS person, CASE WHEN live THEN -{referred} ELSE {zero} END
                AS delta FROM {f} WHERE via IS NOT NULL
        ) moves GROUP BY person
        """

    def _debts_sql(self) -> str:
        o, s = self._prefix + "obligations", self.places
        return f"""
        SELECT CASE WHEN net > 0 THEN a ELSE b END AS debtor,
            CASE WHEN net > 0 THEN b ELSE a END AS creditor,
            CAST(ABS(net) AS DECIMAL(38, {s})) AS amount
        FROM (
            SELECT a, b, SUM(owed) AS net FROM (
                SELECT CASE WHEN debtor < creditor THEN debtor ELSE creditor END AS a,
                    CASE WHEN debtor < creditor THEN creditor ELSE debtor END AS b,
                    CASE WHEN debtor < creditor THEN amount ELSE -amount END AS owed
                FROM {o}
            ) pairs GROUP BY a, b
        ) netted WHERE net <> 0
        """

    def _check_rows(self) -> None:
        f = self.favors
        rules = [
            ("id", "id IS NULL OR TRIM(id) = ''", "a non-empty id"),
            ("giver", "giver IS NULL OR TRIM(giver) = ''", "a non-empty person id"),
            (
                "receiver",
                "receiver IS NULL OR TRIM(receiver) = ''",
                "a non-empty person id",
            ),
            ("value", "value IS NULL OR value <= 0", "a positive value"),
            ("receiver", "receiver = giver", "a receiver other than the giver"),
            ("via", "via = giver OR via = receiver", "a referrer other than both"),
            ("referral_share", "share < 0 OR share > 1", "a share from 0 to 1"),
        ]
        checks = ", ".join(
            f"COUNT(CASE WHEN {rule} THEN 1 END), MIN(CASE WHEN {rule} THEN id END)"
            for _, rule, _ in rules
        )
        found = self._engine.one(f"SELECT {checks} FROM {f}")
        assert found is not None  # an aggregate has one row
        for k, (column, _, wanted) in enumerate(rules):
            bad, example = found[2 * k], found[2 * k + 1]
            if bad:
                rows = "1 row does not" if bad == 1 else f"{bad} rows do not"
                raise SchemaError(
                    f"{self.path}: column {column!r}: every row needs {wanted};"
                    f" {rows} (for example favor {example!r})",
                    path=self.path,
                    column=column,
                )

    def _components(self) -> None:
        """Materialize ``components (node, component)``: the non-trivial
        strongly connected components of the debts, found in the engine.

        Rounds of: trim edges whose tail has no debt in or whose head has
        none out; colour every node with the least id that reaches it; the
        nodes that reach their colour's root within its colour form the
        root's component. Found nodes and edges between colours go.
        """
        p, engine = self._prefix, self._engine
        engine.rows(p + "components", [("node", "STRING"), ("component", "STRING")], [])
        edges = engine.materialize(
            p + "e", f"SELECT debtor AS u, creditor AS v FROM {p}debts"
        )
        while edges:
            edges = self._trim(edges)
            if not edges:
                break
            self._colour()
            found = engine.materialize(
                p + "found",
                f"SELECT node, colour AS component FROM {p}back"
                f" WHERE colour IN (SELECT colour FROM {p}back GROUP BY colour"
                " HAVING COUNT(*) > 1)",
            )
            if found:
                engine.materialize(
                    p + "components_next",
                    f"SELECT * FROM {p}components UNION ALL SELECT * FROM {p}found",
                )
                engine.materialize(
                    p + "components", f"SELECT * FROM {p}components_next"
                )
            edges = engine.materialize(
                p + "e",
                f"SELECT e.u, e.v FROM {p}e e JOIN {p}colour cu ON e.u = cu.node"
                f" JOIN {p}colour cv ON e.v = cv.node WHERE cu.colour = cv.colour"
                f" AND e.u NOT IN (SELECT node FROM {p}back)"
                f" AND e.v NOT IN (SELECT node FROM {p}back)",
            )

    def _trim(self, edges: int) -> int:
        p, engine = self._prefix, self._engine
        while True:
            kept = engine.materialize(
                p + "e_next",
                f"SELECT u, v FROM {p}e WHERE u IN (SELECT v FROM {p}e)"
                f" AND v IN (SELECT u FROM {p}e)",
            )
            engine.materialize(p + "e", f"SELECT * FROM {p}e_next")
            if kept == edges:
                return kept
            edges = kept

    def _colour(self) -> None:
        p, engine = self._prefix, self._engine
        engine.materialize(
            p + "colour",
            f"SELECT node, node AS colour FROM (SELECT u AS node FROM {p}e"
            f" UNION SELECT v AS node FROM {p}e) n",
        )
        while True:
            engine.materialize(
                p + "colour_next",
                f"SELECT node, MIN(colour) AS colour FROM (SELECT node, colour FROM"
                f" {p}colour UNION ALL SELECT e.v AS node, c.colour FROM {p}e e JOIN"
                f" {p}colour c ON e.u = c.node) x GROUP BY node",
            )
            changed = engine.one(
                f"SELECT COUNT(*) FROM {p}colour a JOIN {p}colour_next b"
                " ON a.node = b.node WHERE a.colour <> b.colour"
            )
            engine.materialize(p + "colour", f"SELECT * FROM {p}colour_next")
            if changed is None or not changed[0]:
                break
        reached = engine.materialize(
            p + "back", f"SELECT node, colour FROM {p}colour WHERE node = colour"
        )
        while True:
            more = engine.materialize(
                p + "back_next",
                f"SELECT DISTINCT node, colour FROM (SELECT node, colour FROM {p}back"
                f" UNION ALL SELECT e.u AS node, r.colour FROM {p}e e JOIN {p}back r"
                f" ON e.v = r.node JOIN {p}colour c ON c.node = e.u"
                " AND c.colour = r.colour) x",
            )
            engine.materialize(p + "back", f"SELECT * FROM {p}back_next")
            if more == reached:
                break
            reached = more
