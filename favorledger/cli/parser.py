"""The ``favorledger`` command's arguments: one argparse parser for every command."""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from typing import Any, Final, NoReturn

from favorledger import __version__
from favorledger._choices import ANSWERS, TIE_KINDS
from favorledger._display import one_line

DEFAULT_DB: Final = "favors.db"
"""The store used when neither ``--db`` nor ``$FAVORLEDGER_DB`` is given."""

SETTINGS: Final = ("strict",)
"""The settings ``config`` keeps in the store."""

IMPORT_FORMATS: Final = ("jsonl", "csv", "graphml", "gexf")
EXPORT_FORMATS: Final = ("jsonl", "csv", "graphml", "gexf", "dot", "edges", "parquet")
SUFFIXES: Final = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".graphml": "graphml",
    ".gexf": "gexf",
    ".dot": "dot",
    ".gv": "dot",
    ".parquet": "parquet",
    ".edges": "edges",
}


# ------------------------------------------------------------------ parsing

TIME_HELP: Final = (
    "ISO-8601 date or date-time, e.g. 2025-03-01 or 2025-03-01T09:30;"
    " a date is midnight UTC, a time without an offset is local; default now)"
)
AT_HELP: Final = "when, not after now: a later favor is a pledge (" + TIME_HELP
VALUE_HELP: Final = "an exact amount: 3, 2.50 or 1/3"
ID_HELP: Final = (
    "the new entry's id (default: a fresh one); importing it again is a no-op,"
    " and so is running the same command again, even without --at (it keeps"
    " the first time): a retry is safe"
)
BARTER_ID_HELP: Final = (
    "the two favors' ids are ID-1 and ID-2 (default: fresh ones); running the"
    " same command again, even without --at, is a no-op: a retry is safe"
)
REASON_HELP: Final = "why, in words"
NEGATIVE: Final = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?(/\d+)?$")
"""What argparse takes for a negative number (an amount), not an option."""
SHARE_HELP: Final = "the referrer's share of VALUE, from 0 to 1 (needs --via)"
ENTRY_TYPES: Final = (
    "person",
    "tie",
    "favor",
    "reversal",
    "pledge",
    "release",
    "ask",
    "answer",
    "assignment",
    "settlement",
)


class _Parser(argparse.ArgumentParser):
    """argparse, with the arguments it quotes back made safe for a terminal,
    and any negative amount (``-1/2``, ``-1e3``, not only ``-2``) taken as a
    value rather than an option, so that our checks can name what is wrong."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = NEGATIVE

    def error(self, message: str) -> NoReturn:
        super().error(one_line(message))

    def _get_values(self, action: argparse.Action, arg_strings: list[str]) -> Any:
        """As argparse's, but a ``--`` that is the value itself is kept.

        argparse drops the first ``--`` among the strings that give a value,
        taking it for the separator: so ``--kind=--`` gave the list ``[]``
        before Python 3.13, and ``record -- ann -- 1`` still gives ``[]``
        for RECEIVER. An argument or option that takes one value is given
        one string (the value) and at most one separator besides: a lone
        ``--`` is the value.
        """
        if action.nargs is None and arg_strings == ["--"]:
            value = self._get_value(action, "--")
            self._check_value(action, value)
            return value
        return super()._get_values(action, arg_strings)

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: Any = None
    ) -> argparse.Namespace:
        """As argparse's, but an argument the command does not take is
        reported with the command's usage (``favorledger owes [-h] ...``),
        which shows what it does take, not with the list of commands."""
        parsed: argparse.Namespace
        parsed, extra = self.parse_known_args(args, namespace)
        if extra:
            command = str(getattr(parsed, "command", ""))
            (self._commands().get(command) or self).error(
                f"unrecognized arguments: {' '.join(extra)}"
            )
        return parsed

    def _commands(self) -> dict[str, argparse.ArgumentParser]:
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                return dict(action.choices)
        return {}


def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print JSON instead of a table (shapes: docs/command-line.md)",
    )
    common.add_argument(
        "--strict",
        action="store_true",
        default=argparse.SUPPRESS,
        help="refuse names the ledger has never seen (also: config strict on)",
    )
    parser = _Parser(
        prog="favorledger",
        description="Keep an exact, append-only ledger of favors: who owes whom.",
        parents=[common],
        epilog="Ids may be shortened to any unique prefix, as in git. A value"
        " that begins with '-' is given joined to its option, --kind=-x, or"
        " after -- for arguments: favorledger record -- -x bob 1.",
    )
    parser.add_argument(
        "--version", action="version", version=f"favorledger {__version__}"
    )
    parser.add_argument(
        "--db",
        help=f"the ledger's store (default: $FAVORLEDGER_DB or {DEFAULT_DB})",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, text: str, aliases: Sequence[str] = ()) -> Any:
        return commands.add_parser(
            name, help=text, description=text, parents=[common], aliases=aliases
        )

    def entry_options(sub: Any, *, reason: bool = True, id_help: str = ID_HELP) -> None:
        if reason:
            sub.add_argument("--reason", default="", help=REASON_HELP)
        sub.add_argument("--at", help=AT_HELP)
        sub.add_argument("--id", help=id_help)

    record = command("record", "record a favor: RECEIVER now owes GIVER", ["add"])
    record.add_argument("giver", help="who did the favor")
    record.add_argument("receiver", help="who received it (and now owes it)")
    record.add_argument("value", help=VALUE_HELP)
    record.add_argument(
        "--kind", default="favor", help="what sort of favor (default: favor)"
    )
    record.add_argument("--via", help="who referred RECEIVER to GIVER (owes a share)")
    record.add_argument("--share", help=SHARE_HELP)
    record.add_argument(
        "--tag", action="append", default=[], help="a label (repeatable)"
    )
    entry_options(record)

    reverse = command(
        "reverse", "cancel a favor, settlement or assignment with a correcting entry"
    )
    reverse.add_argument(
        "favor_id",
        metavar="FAVOR_ID",
        help="the favor, settlement or assignment (a prefix will do)",
    )
    entry_options(reverse)

    tie = command("tie", "state how well A and B know each other")
    tie.add_argument("a", help="one person")
    tie.add_argument("b", help="the other person")
    tie.add_argument("strength", help="a weight from 0 to 1, e.g. 0.8 or 1/3")
    tie.add_argument(
        "--kind",
        default="acquaintance",
        choices=sorted(TIE_KINDS - {"implied"}),
        help="how they know each other (default: acquaintance)",
    )
    entry_options(tie)

    person = command(
        "person", "add a person, or restate their name or tags (the rest is kept)"
    )
    person.add_argument("person", metavar="PERSON", help="the person's id")
    person.add_argument("--name", help="the display name (default: kept, or the id)")
    person.add_argument(
        "--tag",
        action="append",
        help="a tag (repeatable); the tags given replace the old ones",
    )
    person.add_argument("--at", help=AT_HELP)

    balance = command("balance", "everyone's balance, or one person's")
    balance.add_argument("person", nargs="?", help="only this person")
    balance.add_argument("--at", help="as the ledger stood then (" + TIME_HELP)
    owes = command("owes", "who owes whom (netted per pair)", ["who-owes-whom"])
    owes.add_argument("person", nargs="?", help="only debts involving PERSON")
    history = command("history", "the entries involving PERSON, in time order")
    history.add_argument("person", help="whose history")
    command("people", "everyone in the ledger, with tags and balance")
    log = command("log", "the whole log, oldest first, filtered if asked")
    log.add_argument("--person", help="only entries naming this person")
    log.add_argument("--type", choices=ENTRY_TYPES, help="only entries of this type")
    log.add_argument("--kind", help="only favors, pledges and asks of this kind")
    log.add_argument("--since", help="only entries at or after this time")
    log.add_argument("--until", help="only entries at or before this time")

    load = command("import", "add the entries of a file (importing twice adds nothing)")
    load.add_argument(
        "file",
        help="a .jsonl, .csv, .graphml or .gexf file; - for standard input",
    )
    load.add_argument(
        "--format",
        choices=IMPORT_FORMATS,
        help="the file's format (default: from its name; jsonl for -)",
    )
    dump = command(
        "export",
        "write the ledger to a new file (an existing one only with --force)",
    )
    dump.add_argument(
        "file", help="the file to write; - for standard output (JSON Lines)"
    )
    dump.add_argument(
        "--format",
        choices=EXPORT_FORMATS,
        help="the format (default: from the name; jsonl for -)",
    )
    dump.add_argument(
        "--force",
        action="store_true",
        help="replace the file if it exists (even the store itself or another"
        " SQLite database); it is replaced atomically",
    )
    check = command(
        "check",
        "verify the store (schema, triggers, digest chain, every entry) and"
        " report problems",
    )
    check.add_argument(
        "--head",
        action="store_true",
        help="also print the digest of the last entry (remember it, or publish"
        " it, to check against later)",
    )
    check.add_argument(
        "--expect-head",
        metavar="DIGEST",
        help="also verify that the chain still holds DIGEST, a head printed"
        " earlier by --head",
    )
    config = command("config", "show or change a setting kept in the store")
    config.add_argument("setting", nargs="?", choices=SETTINGS, help="the setting")
    config.add_argument("value", nargs="?", choices=("on", "off"), help="its new value")

    square = command("settle", "suggest the favor-returns that square everyone")
    square.add_argument(
        "--method",
        default="auto",
        choices=("auto", "exact", "greedy", "ties"),
        help="fewest returns (exact), fast (greedy), only between people who"
        " traded, were introduced or stated a tie (ties), or auto (default)",
    )
    square.add_argument(
        "--apply", action="store_true", help="record the suggested favor-returns"
    )
    square.add_argument("--reason", default="", help="recorded with --apply")
    square.add_argument("--at", help="with --apply, when, not after now (" + TIME_HELP)
    clear = command("clear", "set off cycles of obligations (a owes b owes c owes a)")
    clear.add_argument("--apply", action="store_true", help="record the set-offs")
    clear.add_argument("--reason", default="", help="recorded with --apply")
    clear.add_argument("--at", help="with --apply, when, not after now (" + TIME_HELP)

    path = command("path", "who can introduce SOURCE to TARGET")
    path.add_argument("source", help="who wants the introduction")
    path.add_argument("target", help="whom they want to meet")
    path.add_argument(
        "--k", type=int, metavar="N", help="show up to N alternatives, best first"
    )
    path.add_argument(
        "--weight",
        default="trust",
        choices=("trust", "hops", "leverage"),
        help="most trusted (default), fewest hops, or leaning on who owes you",
    )

    pledge = command("pledge", "record a promise: GIVER will do RECEIVER a favor")
    pledge.add_argument("giver", help="who promises")
    pledge.add_argument("receiver", help="who may call the promise")
    pledge.add_argument("value", help=VALUE_HELP)
    pledge.add_argument("--expires", help="when it lapses (ISO-8601)")
    pledge.add_argument("--kind", default="favor", help="what sort of favor")
    entry_options(pledge)
    pledges = command("pledges", "the pledges, with their status")
    pledges.add_argument("person", nargs="?", help="only pledges by or to PERSON")
    pledges.add_argument(
        "--status",
        choices=("open", "called", "released", "expired"),
        help="only pledges with this status",
    )
    pledges.add_argument("--at", help="as they stood then (" + TIME_HELP)
    call = command("call", "call a pledge: record its favor")
    call.add_argument(
        "pledge_id", metavar="PLEDGE_ID", help="the pledge (a prefix will do)"
    )
    call.add_argument("--value", help="at most the pledge's value (default: all of it)")
    entry_options(call, reason=False)
    release = command("release", "give up an open pledge; it can no longer be called")
    release.add_argument(
        "pledge_id", metavar="PLEDGE_ID", help="the pledge (a prefix will do)"
    )
    entry_options(release)

    ask = command("ask", "record that ASKER asked ASKED for a favor")
    ask.add_argument("asker", help="who asks")
    ask.add_argument("asked", help="who is asked")
    ask.add_argument("value", help=VALUE_HELP)
    ask.add_argument("--due", help="by when (ISO-8601)")
    ask.add_argument("--kind", default="favor", help="what sort of favor")
    entry_options(ask)
    asks = command("asks", "the asks, with their status")
    asks.add_argument("person", nargs="?", help="only asks by or of PERSON")
    asks.add_argument("--at", help="as they stood then (" + TIME_HELP)
    answer = command("answer", "accept or decline an open ask")
    answer.add_argument("ask_id", metavar="ASK_ID", help="the ask (a prefix will do)")
    answer.add_argument("status", choices=ANSWERS, help="the answer")
    entry_options(answer, reason=False)
    complete = command("complete", "complete an ask: record the favor that fulfils it")
    complete.add_argument("ask_id", metavar="ASK_ID", help="the ask (a prefix will do)")
    complete.add_argument("--value", help="at most the ask's value (the default)")
    entry_options(complete, reason=False)

    assign = command(
        "assign", "HOLDER passes on what DEBTOR owes them: DEBTOR now owes NEW_HOLDER"
    )
    assign.add_argument("holder", help="who is owed now")
    assign.add_argument("debtor", help="who owes HOLDER")
    assign.add_argument("new_holder", help="whom HOLDER owes; DEBTOR will owe them")
    assign.add_argument("amount", help=VALUE_HELP)
    entry_options(assign)
    barter = command("barter", "record two favors exchanged at once: A for B, B for A")
    barter.add_argument("a", help="one person")
    barter.add_argument("b", help="the other person")
    barter.add_argument(
        "a_value", metavar="A_VALUE", help="what A did for B (" + VALUE_HELP[3:] + ")"
    )
    barter.add_argument("b_value", metavar="B_VALUE", help="what B did for A")
    barter.add_argument("--kind", default="barter", help="the favors' kind")
    entry_options(barter, id_help=BARTER_ID_HELP)

    todo = command("agenda", "what PERSON should attend to, with the reasons")
    todo.add_argument("person", help="whose agenda")
    todo.add_argument("--at", help="the day to plan (" + TIME_HELP)
    todo.add_argument("--today", dest="at", help=argparse.SUPPRESS)  # deprecated
    for sub in commands.choices.values():
        for action in sub._actions:  # the names the help text and errors use
            positional = not action.option_strings
            if positional and action.metavar is None and action.choices is None:
                action.metavar = action.dest.upper()
            elif action.dest in TIME_OPTIONS and action.metavar is None:
                action.metavar = "TIME"
    return parser


TIME_OPTIONS: Final = frozenset({"at", "since", "until", "expires", "due"})
"""The options that take a time (each is checked before any command runs)."""
