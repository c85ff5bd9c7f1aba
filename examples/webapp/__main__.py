"""``python -m examples.webapp``: serve the favor board with several workers.

Options: ``--db`` (an SQLite path or a ``postgresql://`` URL; default
``$FAVORLEDGER_DB``, else ``favorboard.db``), ``--workers`` (default 2),
``--host`` (default 127.0.0.1) and ``--port`` (default 8000).
"""

from __future__ import annotations

import argparse
import os

import uvicorn

from examples.webapp.app import DEFAULT_DB


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m examples.webapp")
    parser.add_argument("--db", help="SQLite path or postgresql:// URL")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    if args.db:
        os.environ["FAVORLEDGER_DB"] = args.db  # the workers read it
    store = os.environ.get("FAVORLEDGER_DB") or DEFAULT_DB
    print(
        f"favor board: listening on http://{args.host}:{args.port}"
        f" ({args.workers} workers, store {store}); Ctrl-C stops it",
        flush=True,
    )
    uvicorn.run(
        "examples.webapp.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
