"""``python -m examples.webapp``: serve the favor board with several workers.

Options: ``--db`` (an SQLite path or a ``postgresql://`` URL; default
``$FAVORLEDGER_DB``, else ``favorboard.db``), ``--workers`` (default 2),
``--host`` (default 127.0.0.1) and ``--port`` (default 8000). The port is
bound and listened on, then the store opened (created if missing), before
"listening" is printed; if either fails, one line on stderr says why (as the
``favorledger`` command says it) and the exit status is 1, and a port that
cannot be had leaves no new store behind. The bound
socket itself is handed to uvicorn (its documented ``fd`` setting), so the
port is never let go between the check and the workers: no other process can
take it in between.

``--strict`` (or ``$FAVORBOARD_STRICT=on``) refuses names the ledger does
not know, whatever the store says (an SQLite store's ``config strict on`` is
honoured without it; PostgreSQL stores keep no settings); ``--timeout``
(or ``$FAVORBOARD_TIMEOUT``) is how many seconds a request waits for a store
that is locked or unreachable before it answers 503 (the library's
``timeout``, default 10). Before "listening" it says which store it opened
(an SQLite store by its absolute path, to give the ``favorledger`` command
as ``--db``), whether strict mode is on, and warns on stderr if the store
cannot be written (a read-only file, or a role without ``INSERT``).
"""

from __future__ import annotations

import argparse
import os
import socket
import sys

import uvicorn

import favorledger as fl
from examples.webapp.app import (
    DEFAULT_DB,
    STRICT_ENV,
    TIMEOUT_ENV,
    settings_from_env,
    strict_mode,
)
from favorledger.io.postgres import is_postgres_url
from favorledger.stores import without_password


class StartError(Exception):
    """A reason the board cannot start, said in one line."""


def check(store: str, host: str, port: int, workers: int) -> socket.socket:
    """The socket listening on ``host:port``, once the store opens and
    ``workers`` is positive; else :class:`StartError`. The port is bound
    first, so a start that cannot listen creates no store."""
    if not 0 <= port <= 65535:
        raise StartError(f"--port must be in 0..65535, got {port}")
    if workers < 1:
        raise StartError(f"--workers must be at least 1, got {workers}")
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn
        sock.bind((host, port))
        sock.listen(2048)  # from now on, no other socket can bind the port
    except OSError as exc:
        sock.close()
        raise StartError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    try:
        fl.Ledger.open(store).close()
    except fl.FavorLedgerError as exc:
        sock.close()
        raise StartError(str(exc)) from None
    return sock


def describe(store: str) -> tuple[str, list[str]]:
    """What the board says of ``store`` at start: which store, whether strict
    mode is on and why; and warnings (the store cannot be written)."""
    strict, timeout = settings_from_env()
    on = strict_mode(store, strict)
    why = f"${STRICT_ENV}=on" if strict else "the store's setting"
    mode = f"strict mode {'on' if on else 'off'}" + (f" ({why})" if on else "")
    warnings = []
    if is_postgres_url(store):
        from favorledger.io.postgres import missing_grants

        missing = missing_grants(
            store, **({} if timeout is None else {"timeout": timeout})
        )
        if missing:
            warnings.append(
                f"the store is read-only for this role (it lacks {', '.join(missing)}):"
                " every favor recorded will be refused until it is granted (the app"
                " role's grants are in docs/storage.md)"
            )
        return f"store on PostgreSQL, {mode}", warnings
    path = os.path.abspath(store)
    folder = os.path.dirname(path)
    if not (os.access(path, os.W_OK) and os.access(folder, os.W_OK)):
        warnings.append(
            f"{path} is read-only for this process (the file or its folder):"
            " every favor recorded will be refused"
        )
    said = (
        f"store {path} (SQLite, {mode}); the favorledger command reads it with"
        f" --db {path} (its own default is favors.db)"
    )
    return said, warnings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m examples.webapp")
    parser.add_argument("--db", help="SQLite path or postgresql:// URL")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--strict",
        action="store_true",
        help=f"refuse names the ledger has never seen (also ${STRICT_ENV}=on)",
    )
    parser.add_argument(
        "--timeout",
        help="seconds a request waits for a locked or unreachable store"
        f" (also ${TIMEOUT_ENV}; default 10)",
    )
    args = parser.parse_args(argv)
    if args.db:
        os.environ["FAVORLEDGER_DB"] = args.db  # the workers read it
    if args.strict:
        os.environ[STRICT_ENV] = "on"  # as do these
    if args.timeout is not None:
        os.environ[TIMEOUT_ENV] = args.timeout
    store = os.environ.get("FAVORLEDGER_DB") or DEFAULT_DB
    try:
        settings_from_env()
        listening = check(store, args.host, args.port, args.workers)
        try:
            said, warnings = describe(store)
        except fl.FavorLedgerError as exc:
            listening.close()
            raise StartError(str(exc)) from None
    except (StartError, fl.FavorLedgerError) as exc:
        sys.exit(f"favor board: error: {exc}")
    print(f"favor board: {said}", flush=True)
    for warning in warnings:
        print(f"favor board: warning: {warning}", file=sys.stderr, flush=True)
    with listening:
        port = listening.getsockname()[1]  # the one the system chose for 0
        host = f"[{args.host}]" if ":" in args.host else args.host  # IPv6
        workers = f"{args.workers} worker{'s' if args.workers > 1 else ''}"
        print(
            f"favor board: listening on http://{host}:{port}"
            f" ({workers}, store {without_password(store)}); Ctrl-C stops it",
            flush=True,
        )
        uvicorn.run(
            "examples.webapp.app:create_app",
            factory=True,
            fd=listening.fileno(),  # this socket: the port is never let go
            workers=args.workers,
            log_level="warning",
        )


if __name__ == "__main__":
    main()
