"""The ``favorledger`` command: keep a favor ledger from the terminal.

The ledger lives in an SQLite store (:mod:`favorledger.io.sqlite`): ``--db``,
else ``$FAVORLEDGER_DB``, else ``favors.db`` in the current directory; a
``postgresql://`` URL there names a ledger kept in PostgreSQL
(:mod:`favorledger.io.postgres`). Every
command opens it, does one thing and closes it; whatever it records is on disk
before it exits.

The commands (``favorledger --help``; docs/command-line.md describes each,
with its ``--json`` shape)::

    record reverse tie person              write entries
    balance owes history log people        read the ledger
    pledge pledges call release            promises
    ask asks answer complete assign barter the favor market
    settle clear path agenda               settle up, find introductions
    import export check config             files and the store
                                           (import: all or nothing; export: --force)

Answers are readable tables; ``--json`` prints JSON for scripts instead. A
column of amounts shares one number of decimals (``4.5``, ``-3.0``); a
value with no decimal form is a fraction (``1/3``). Tables show ids by their
shortest unique prefix, and any unique prefix is accepted. A bare date
(``--at 2024-05-01``) is midnight UTC; a time without an offset is local
time. A mistake prints one line to stderr and exits with status 2; ``check``
exits with 1 when it finds a problem.

Examples
--------
>>> import os, tempfile
>>> db = os.path.join(tempfile.mkdtemp(), "favors.db")
>>> main(["--db", db, "record", "carol", "me", "3", "--via", "bob", "--id", "f1"])
recorded favor f1: carol did me a favor worth 3 (via bob)
0
>>> main(["--db", db, "balance"])
person  name   balance
carol   carol      4.5
bob     bob       -1.5
me      me        -3.0
0
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final

from favorledger import _startup
from favorledger._display import one_line
from favorledger.cli.parser import build_parser
from favorledger.errors import FavorLedgerError, in_words, shown

if TYPE_CHECKING:
    from favorledger.cli.run import Run

__all__ = ["main"]
_SURROGATE: Final = re.compile("[\ud800-\udfff]")

GROUPS: Final = {
    "entries": (
        "record",
        "add",
        "reverse",
        "tie",
        "person",
        "balance",
        "owes",
        "who-owes-whom",
        "history",
        "log",
        "people",
    ),
    "files": ("import", "export", "check", "config"),
    "settling": ("settle", "clear", "path", "agenda"),
    "market": (
        "pledge",
        "pledges",
        "call",
        "release",
        "ask",
        "asks",
        "answer",
        "complete",
        "assign",
        "barter",
    ),
}
"""The module of :mod:`favorledger.cli` that runs each command (and its
aliases). Only that module is imported, with what it needs: ``balance``
loads no graph library, no file format and no settling algorithm."""


def command(name: str) -> Callable[[Run], int]:
    """The function that runs the command ``name`` (its group's ``COMMANDS``).

    Examples
    --------
    >>> command("owes").__name__, command("who-owes-whom").__name__
    ('_owes', '_owes')
    """
    group = next(group for group, names in GROUPS.items() if name in names)
    module = importlib.import_module(f"{__name__}.{group}")
    run: Callable[[Run], int] = module.COMMANDS[name]
    return run


# Where a library's name for a value (a model field, a parameter) differs
# from the argument that gives it.
_ARGUMENT: Final = {
    "referral_share": "share",
    "tags": "tag",
    "id": "person",
    "today": "at",  # agenda(today=...)
}

# A message that begins with a parameter's bare name: "at must be ...".
_SUBJECT: Final = re.compile(r"^(\w+)(?= must\b)")


def _typed(parser: argparse.ArgumentParser, args: argparse.Namespace) -> dict[str, str]:
    """Each field the command takes, by the name typed for it: ``--value``
    for an option, ``VALUE`` for an argument (as its help shows them)."""
    commands = next(
        a for a in parser._actions if isinstance(a, argparse._SubParsersAction)
    )
    names: dict[str, str] = {}
    for action in commands.choices[args.command]._actions:  # the first of a dest
        if action.option_strings:
            names.setdefault(action.dest, max(action.option_strings, key=len))
        else:
            metavar = action.metavar
            names.setdefault(
                action.dest,
                metavar if isinstance(metavar, str) else action.dest.upper(),
            )
    fields = {
        field: dest
        for field, dest in _ARGUMENT.items()
        if dest in names and field not in names
    }
    return (
        names | {field: names[dest] for field, dest in fields.items()} | _barter(args)
    )


def _barter(args: argparse.Namespace) -> dict[str, str]:
    """``barter A B A_VALUE B_VALUE`` records two favors, A's to B, then
    B's to A: a refused favor's fields are the arguments that gave it."""
    if args.command != "barter":
        return {}
    from favorledger.model import Favor

    try:
        Favor(giver=args.a, receiver=args.b, value=args.a_value)
    except FavorLedgerError:  # the first favor is the one refused
        return {"giver": "A", "receiver": "B", "value": "A_VALUE"}
    return {"giver": "B", "receiver": "A", "value": "B_VALUE"}


def _worded(message: str, words: dict[str, str]) -> str:
    """``message`` naming each value as it was typed: an entry's field
    (``Favor.value``) or a parameter that begins it (``at must be ...``).

    Examples
    --------
    >>> _worded("at must be an ISO-8601 time, got 'x'", {"at": "--at"})
    "--at must be an ISO-8601 time, got 'x'"
    >>> _worded("Favor.value must be positive, got -1", {"value": "VALUE"})
    'VALUE must be positive, got -1'
    >>> _worded("person 'x' is not in the ledger", {"person": "PERSON"})
    "person 'x' is not in the ledger"
    """
    message = in_words(message, words)
    return _SUBJECT.sub(lambda m: words.get(m.group(1), m.group(0)), message)


def _explain(exc: BaseException) -> str:
    if isinstance(exc, OSError) and not isinstance(exc, FavorLedgerError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc}"
    return str(exc)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``favorledger`` command; return its exit status.

    Parameters
    ----------
    argv
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 1 when ``check`` finds problems, 2 for a mistake (a bad
        argument, a refused entry, an unreadable file), 130 if interrupted.
    """
    _startup.loaded()  # from here on, Ctrl-C is a KeyboardInterrupt
    try:
        return _main(argv)
    except KeyboardInterrupt:
        with contextlib.suppress(OSError):
            sys.stderr.write("favorledger: interrupted\n")
        return 130


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    for number, argument in enumerate(argv, start=1):
        if _SURROGATE.search(argument):  # bytes that are not UTF-8, escaped
            sys.stderr.write(
                f"favorledger: error: argument {number} is not valid UTF-8 text:"
                f" {shown(argument)}\n"
            )
            return 2
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error argparse reported
        return exc.code if isinstance(exc.code, int) else 2
    from favorledger.cli.run import Run

    try:
        return command(args.command)(Run(args, sys.stdout, sys.stderr))
    except (FavorLedgerError, OSError) as exc:
        if isinstance(exc, BrokenPipeError):
            return _broken_pipe()
        message = _worded(one_line(_explain(exc)), _typed(parser, args))
        sys.stderr.write(f"favorledger: error: {message}\n")
        return 2


def _broken_pipe() -> int:
    """The reader went away (``favorledger history me | head``): stop quietly."""
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return 0
