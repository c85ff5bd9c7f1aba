"""The PostgreSQL store's bottom layer: URLs and the connection to the server.

A ledger is named by a libpq URL, optionally with ``?ledger=NAME``
(:func:`split_url`); messages show it without its password
(:func:`~favorledger.stores.without_password`). A
:class:`ConnectedStore` holds one connection to the server: it connects with
retries while the server is unreachable (it may be restarting), opens a new
connection when the idle one was dropped, runs the store's calls through libpq
as statements prepared once per connection, and waits for the disk flush
(a tiny synchronous transaction that writes one WAL record). It knows nothing
of the ledger's tables (:mod:`~favorledger.io.postgres.schema`) or entries
(:mod:`~favorledger.io.postgres.store`).

Examples
--------
>>> url = "postgresql://app:secret@db.example:5432/club?ledger=favors"
>>> is_postgres_url(url), split_url(url)
(True, ('postgresql://app:secret@db.example:5432/club', 'favors'))
>>> without_password(url)  # how messages show it
'postgresql://app@db.example:5432/club?ledger=favors'
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, TypeVar
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit

from favorledger.errors import StoreError, StorePermissionError, install_hint
from favorledger.io.store import LogStore
from favorledger.stores import without_password

if TYPE_CHECKING:
    import psycopg

DEFAULT_LEDGER: Final = "favorledger"
"""The schema that holds the ledger when the URL names none."""

_NAME: Final = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_SCHEMES: Final = ("postgresql://", "postgres://")

_PASSING: Final = ("the database system is", "too many clients")
"""What a server says while it cannot take a connection yet (starting up,
shutting down, in recovery, full): a first connection waits for it."""

_BARRIER: Final = "SELECT pg_logical_emit_message(true, 'favorledger', '')"
_FLUSH: Final = f"BEGIN; {_BARRIER}; COMMIT"
"""A tiny transaction that writes one WAL record and commits synchronously."""

_COMMAND_OK: Final = 1
"""libpq's ``PGRES_COMMAND_OK``: a statement done (here: prepared)."""
_TUPLES_OK: Final = 2
"""libpq's ``PGRES_TUPLES_OK``: a statement that returned its rows."""

_T = TypeVar("_T")


# ------------------------------------------------------------------ URLs
def is_postgres_url(text: object) -> bool:
    """Whether ``text`` names a PostgreSQL store (``postgresql://…``)."""
    return isinstance(text, str) and text.startswith(_SCHEMES)


def _parts(url: str) -> SplitResult:
    """``url`` split, or our error (the URL is not repeated: it may hold a
    password)."""
    try:
        return urlsplit(url)
    except ValueError as exc:
        raise StoreError(f"the PostgreSQL URL cannot be read: {exc}") from None


def split_url(url: str) -> tuple[str, str]:
    """The connection URL without ``ledger=``, and the ledger's name.

    Examples
    --------
    >>> split_url("postgresql:///club?host=/run/pg&ledger=favors")
    ('postgresql:///club?host=%2Frun%2Fpg', 'favors')

    Raises
    ------
    StoreError
        If the ledger's name is not a lowercase SQL identifier, or the URL
        names no database (and ``$PGDATABASE`` does not either).
    """
    parts = _parts(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    names = [value for key, value in query if key == "ledger"]
    rest = urlencode([(key, value) for key, value in query if key != "ledger"])
    name = names[-1] if names else DEFAULT_LEDGER
    if not _NAME.fullmatch(name):
        raise StoreError(
            "a ledger's name must be a lowercase SQL identifier (letters, digits"
            f" and _, at most 63), got {name!r}"
        )
    named = parts.path.strip("/") or any(key == "dbname" for key, _ in query)
    if not (named or os.environ.get("PGDATABASE")):
        raise StoreError(
            f"{without_password(url)} names no database: give one, as in"
            " postgresql://HOST/DATABASE"
        )
    conninfo = f"{parts.scheme}://{parts.netloc}{parts.path}"  # keeps the //
    return conninfo + (f"?{rest}" if rest else ""), name


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - depends on the extra
        raise StoreError(
            "the PostgreSQL store needs psycopg 3; " + install_hint("postgres")
        ) from exc
    return psycopg


def _call_error(result: Any) -> Exception:
    """The psycopg error for a failed :meth:`ConnectedStore._call`."""
    pg = _psycopg()
    message = result.error_message.decode(errors="replace")
    state = result.error_field(pg.pq.DiagnosticField.SQLSTATE)
    error: Exception
    if state == b"42501":  # a role granted only what version 2 needed
        error = pg.errors.InsufficientPrivilege(message)
    elif state == b"23505":  # an id stored already (a version 6 hand-in)
        error = pg.errors.UniqueViolation(message)
    else:
        error = pg.OperationalError(message or "the call failed")
    return error


def _why(exc: Exception) -> str:
    return " ".join(str(exc).split())


_DENIED: Final = re.compile(r"permission denied for (\w+) \"?([^\s\"]+)")
"""The server's words for a privilege refused, and what it was refused on."""


class ConnectedStore(LogStore):
    """A store's one connection to the PostgreSQL server (the base of
    :class:`~favorledger.io.postgres.store.PostgresStore`).

    It is opened on first use and opened again after it was lost; calls go
    through libpq as prepared statements. ``conninfo`` is the URL without
    ``ledger=``, ``name`` the ledger's name (its schema); messages name it
    by ``url``, as typed (without its password).
    """

    def __init__(
        self,
        conninfo: str,
        name: str,
        timeout: float,
        *,
        readonly: bool,
        url: str | None = None,
    ) -> None:
        super().__init__(
            without_password(conninfo if url is None else url), readonly=readonly
        )
        self._connected = False  # once it was, a refused connection is retried
        self._conninfo = conninfo
        self._name = name
        self._timeout = timeout
        self._schema = f'"{name}"'
        self._connection: psycopg.Connection[Any] | None = None
        self._prepared_on: psycopg.Connection[Any] | None = None
        self._prepared: dict[bytes, bytes] = {}  # on it: statement -> name

    @property
    def name(self) -> str:
        """The ledger's name: the schema that holds it."""
        return self._name

    # ----------------------------------------------------------- connecting
    def _connect(self) -> psycopg.Connection[Any]:
        """A new connection, retried until ``timeout`` while the server is
        unreachable after it was reached (it may be restarting) or says it
        is starting up or busy; the first connection that fails otherwise
        (refused, no such host, a wrong password) fails at once."""
        pg = _psycopg()
        deadline = time.monotonic() + self._timeout
        pause = 0.05
        while True:
            try:
                connection: psycopg.Connection[Any] = pg.connect(
                    self._conninfo,
                    autocommit=True,
                    connect_timeout=max(1, int(self._timeout)),
                    application_name="favorledger",
                )
                break
            except pg.OperationalError as exc:
                again = self._connected or any(w in str(exc) for w in _PASSING)
                if not again or time.monotonic() + pause > deadline:
                    raise StoreError(f"{self._path}: cannot connect: {exc}") from exc
                time.sleep(pause)
                pause = min(pause * 2, 0.5)
            except pg.Error as exc:
                raise StoreError(f"{self._path}: cannot connect: {exc}") from exc
        self._connected = True
        try:
            connection.execute("SET synchronous_commit = on")
            if self._readonly:
                connection.execute("SET default_transaction_read_only = on")
        except pg.Error as exc:
            connection.close()
            raise StoreError(f"{self._path}: cannot set up: {exc}") from exc
        return connection

    def _live(self) -> psycopg.Connection[Any]:
        """The connection, re-opened if it was lost."""
        self._require_open("use")
        if self._connection is None or self._connection.closed:
            self._connection = self._connect()
        return self._connection

    def _refused(self, exc: Exception, privilege: str, otherwise: str) -> StoreError:
        """Our error for ``exc``: if the server refused the role a privilege
        (SQLSTATE 42501), one naming it (``privilege``, what the statement
        needed of a table; ``USAGE`` for a schema, ``CREATE`` for a
        database) and saying nothing was written; else ``otherwise``."""
        if not isinstance(exc, _psycopg().errors.InsufficientPrivilege):
            return StoreError(otherwise)
        said = (str(exc).strip().splitlines() or ["permission denied"])[0]
        found = _DENIED.search(said)
        if found is None:
            needed = "a privilege"
        else:
            kind, name = found.groups()
            privilege = {"schema": "USAGE", "database": "CREATE"}.get(kind, privilege)
            if kind == "function":
                privilege = "EXECUTE"
            elif kind in ("table", "sequence") and "." not in name:
                name = f"{self._name}.{name}"
            needed = f"{privilege} on {kind} {name}"
        connection = self._connection
        role = "" if connection is None or connection.closed else connection.info.user
        who = f"the role {role!r}" if role else "the role"
        return StorePermissionError(
            f"{self._path}: {said}: {who} lacks {needed}; nothing was written"
            " (grant it: the grants an app role needs are in docs/storage.md)",
            needed=needed,
            role=role,
        )

    # -------------------------------------------------------------- calling
    def _redialled(self, work: Callable[[], _T]) -> _T:
        """``work()``, run once more on a new connection if the server
        dropped the idle one (a restart); a second failure is raised."""
        try:
            return work()
        except _psycopg().OperationalError:
            self._drop()
            return work()

    def _call(self, sql: bytes, params: tuple[str, ...]) -> list[bytes | None]:
        """Run one statement through libpq itself and return its row's values
        as bytes (``None`` for NULL): the call blocks in C while the server
        seals and flushes (psycopg's own wait costs about 50 µs of CPU more
        per call here: ``benchmarks/README.md``), and nothing is adapted on
        the way (a writer's CPU per append: ``profile_postgres.py
        --client``).

        Raises
        ------
        psycopg.OperationalError
            If the call failed (an error, or a lost connection).
        """
        connection = self._connection
        if connection is None or connection.closed:
            connection = self._live()
        names = self._prepared if self._prepared_on is connection else None
        name = None if names is None else names.get(sql)
        if name is None:
            name = self._prepare_call(connection, sql)
        values = [part.encode() for part in params]
        result = connection.pgconn.exec_prepared(name, values)
        if result.status != _TUPLES_OK:
            raise _call_error(result)
        return [result.get_value(0, i) for i in range(result.nfields)]

    def _prepare_call(self, connection: psycopg.Connection[Any], sql: bytes) -> bytes:
        """Prepare ``sql`` on ``connection`` (once per connection: a new one,
        after a lost connection, prepares again) and return its name. The
        server then parses and analyses each call once, not every time
        (``benchmarks/README.md``: about a seventh of a hand-in's server CPU).

        Raises
        ------
        psycopg.OperationalError
            If the statement could not be prepared.
        """
        if self._prepared_on is not connection:
            self._prepared_on, self._prepared = connection, {}
        name = b"favorledger_call_%d" % len(self._prepared)
        result = connection.pgconn.prepare(name, sql)
        if result.status != _COMMAND_OK:
            raise _call_error(result)
        self._prepared[sql] = name
        return name

    def _flush(self) -> None:
        """Wait until everything committed so far is on disk (on a new
        connection if the idle one was dropped: it commits nothing of ours)."""
        try:
            self._redialled(lambda: self._live().execute(_FLUSH))
        except _psycopg().Error as exc:
            raise StoreError(f"{self._path}: could not flush: {_why(exc)}") from exc

    def _drop(self) -> None:
        """Forget a connection that failed; the next use opens a new one."""
        if self._connection is not None:
            self._connection.close()
        self._connection = None

    # --------------------------------------------------------------- closing
    def close(self) -> None:
        """Close the connection (idempotent). Later writes raise StoreError."""
        if not self._closed:
            self._closed = True
            if self._connection is not None:
                self._connection.close()
