"""The favor board: a Starlette app around one favorledger ledger per process.

Every page and endpoint is a thin call into favorledger (``Ledger.record``,
``balances``, ``who_owes_whom``, ``settle``, ``introducers``,
``referral_path``); the app only parses forms and renders the answers.

Concurrency: a favorledger ledger is not thread-safe, so each worker process
owns one ledger and touches it from one thread only (``_LedgerThread``); the
event loop stays free while it works. Several worker processes share the
store: every write runs inside the store's write transaction, which first
catches the ledger up with what the other workers appended, and every read
catches up first, so each answer reflects every write acknowledged before the
request arrived.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

import favorledger as fl
from examples.webapp.limit import BodyLimit, BodyTooLargeError, too_large
from favorledger.errors import in_words
from favorledger.io.files import parse_json
from favorledger.io.jsonl import dumps_entry
from favorledger.io.sqlite import StoredLedger
from favorledger.model import as_moment, kept_id, not_after_now

DEFAULT_DB = "favorboard.db"
"""The store used when ``$FAVORLEDGER_DB`` is not set (SQLite, in the cwd)."""

TEMPLATES = Jinja2Templates(directory=Path(__file__).with_name("templates"))
_T = TypeVar("_T")


# ------------------------------------------------------------ the ledger
class _LedgerThread:
    """One ledger, opened, used and closed by one dedicated thread."""

    def __init__(self, db: str) -> None:
        self.db = db
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger")
        self._ledger: StoredLedger | None = None

    async def run(self, work: Callable[[fl.Ledger], _T]) -> _T:
        """``work(ledger)`` on the ledger's thread, caught up with the store."""

        def call() -> _T:
            if self._ledger is None:
                self._ledger = fl.Ledger.open(self.db)
            else:
                self._ledger.refresh()  # what the other workers stored
            return work(self._ledger)

        return await asyncio.get_running_loop().run_in_executor(self._pool, call)

    def close(self) -> None:
        def close() -> None:
            if self._ledger is not None:
                self._ledger.close()

        self._pool.submit(close).result()
        self._pool.shutdown()


# ------------------------------------------------------------- rendering
def _text(amount: object) -> str:
    """An exact amount as text (``Fraction(1, 3)`` as ``1/3``)."""
    if isinstance(amount, Decimal | Fraction | int):
        return str(amount)
    raise TypeError(f"not an amount: {amount!r}")


def _favor_json(favor: fl.Favor, led: fl.Ledger) -> dict[str, Any]:
    """The favor as the JSONL export writes it, plus ``reversed_by``: the id
    of the reversal that cancelled it, or ``None`` while it stands."""
    loaded: dict[str, Any] = json.loads(dumps_entry(favor))
    reversal = led.reversals.get(favor.id)
    loaded["reversed_by"] = None if reversal is None else reversal.id
    return loaded


def _standing(balance: fl.Amount) -> str:
    """The balance's style: ``owed`` above zero, ``owes`` below, else ``even``."""
    return "owed" if balance > 0 else "owes" if balance < 0 else "even"


def _board(led: fl.Ledger) -> dict[str, Any]:
    balances = sorted(led.balances().items(), key=lambda item: (-item[1], item[0]))
    favors = [f for f in reversed(led.log) if isinstance(f, fl.Favor)][:20]
    reversed_ = sum(led.is_reversed(favor_id) for favor_id in led.favors)
    return {
        "balances": [(p, _text(b), _standing(b)) for p, b in balances],
        "debts": [(d.debtor, d.creditor, _text(d.amount)) for d in led.who_owes_whom()],
        "favors": [_favor_json(f, led) for f in favors],
        "people": sorted(led.people),
        "count": len(led.favors) - reversed_,  # the favors standing
        "reversed": reversed_,
    }


def _reason(
    led: fl.Ledger, ob: fl.Obligation, moves: dict[str, fl.Assignment | fl.Settlement]
) -> dict[str, Any]:
    """One obligation a suggestion discharges, with the entry behind it: a
    favor (given or referred), or, for a debt no favor made, the assignment
    that passed it on (and the favors it passed on) or the settlement whose
    paid favor was reversed."""
    reason: dict[str, Any] = {
        "debtor": ob.debtor,
        "creditor": ob.creditor,
        "amount": _text(ob.amount),
        "entry": ob.favor_id,  # a favor, an assignment or a settlement
        "role": ob.role,
    }
    if ob.role in ("assignment", "settlement"):
        entry = moves[ob.favor_id]
        reason["reason"] = entry.reason
        if ob.role == "assignment":
            reason["favors"] = [f.id for f in fl.assigned_favors(led, ob.favor_id)]
        return reason
    favor = led.favors[ob.favor_id]
    return reason | {
        "favor": favor.id,
        "reason": favor.reason,
        "giver": favor.giver,
        "receiver": favor.receiver,
        "via": favor.via,
    }


def _suggestions(led: fl.Ledger) -> list[dict[str, Any]]:
    found = []
    moves = {
        e.id: e for e in led.log if isinstance(e, fl.Assignment | fl.Settlement)
    }  # the entries behind debts no favor made, found once
    for transfer in fl.settle(led):
        reasons = [_reason(led, ob, moves) for ob in transfer.explained_by]
        found.append(
            {
                "payer": transfer.payer,
                "payee": transfer.payee,
                "amount": _text(transfer.amount),
                "because": reasons,
            }
        )
    return found


def _path_json(path: fl.ReferralPath) -> dict[str, Any]:
    return {
        "people": list(path.people),
        "introducer": path.introducer,
        "trust": _text(path.trust),
        "explain": path.explain(),
    }


def _introductions(led: fl.Ledger, source: str, target: str) -> dict[str, Any]:
    best = fl.referral_path(led, source, target)
    return {
        "source": best.people[0],  # as the ledger keeps them (typed any way)
        "target": best.people[-1],
        "best": _path_json(best),
        "introducers": [_path_json(p) for p in fl.introducers(led, source, target)],
    }


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _status(exc: fl.FavorLedgerError) -> int:
    if isinstance(exc, fl.DuplicateFavorError):
        return 409
    return 404 if isinstance(exc, LookupError) else 400


def _error(exc: fl.FavorLedgerError, words: dict[str, str] | None = None) -> Response:
    """The error as JSON, naming fields by ``words`` (default: as the JSON
    API calls them, ``value`` for ``Favor.value``)."""
    message = in_words(str(exc), JSON_WORDS if words is None else words)
    return JSONResponse({"error": message}, status_code=_status(exc))


# ------------------------------------------------------------- the fields
FAVOR_FIELDS = ("giver", "receiver", "value", "via", "reason", "kind", "tags")
FAVOR_FIELDS += ("referral_share", "id", "at")
"""The fields ``POST /api/favors`` takes; any other is refused."""
REQUIRED = ("giver", "receiver", "value")
JSON_WORDS = {field: field for field in FAVOR_FIELDS}
"""Messages name a field as the JSON API calls it."""
FORM_WORDS = {
    "giver": '"Who helped"',
    "receiver": '"whom"',
    "value": '"worth"',
    "via": '"referred by"',
    "reason": '"what for"',
    "a": "the first member",
    "b": '"knows"',
    "strength": '"this well"',
}
"""Messages about the pages' forms name a field by its label."""


class FieldError(fl.InvalidValueError):
    """A request with a missing, unknown or mistyped field."""


def _checked(fields: dict[str, Any], words: dict[str, str]) -> dict[str, Any]:
    """``fields`` if every required one is there and none is unknown."""
    unknown = sorted(set(fields) - set(FAVOR_FIELDS))
    if unknown:
        listed = ", ".join(repr(name) for name in unknown)
        raise FieldError(
            f"unknown field{'s' if len(unknown) > 1 else ''} {listed}"
            f" (the fields are {', '.join(FAVOR_FIELDS)})"
        )
    for field in REQUIRED:
        if fields.get(field) in (None, ""):
            raise FieldError(f"{words[field]} is missing")
    for field in ("value", "referral_share"):
        if isinstance(fields.get(field), Decimal):  # a JSON number with a point
            raise FieldError(
                f"{words[field]} must be exact: send it as text such as"
                f' "{fields[field]}" (a JSON number with a point is a float),'
                f" got {fields[field]}"
            )
    return fields


# --------------------------------------------------------------- handlers
def _ledger(request: Request) -> _LedgerThread:
    thread: _LedgerThread = request.app.state.ledger
    return thread


async def board(
    request: Request,
    typed: dict[str, str] | None = None,
    error: fl.FavorLedgerError | None = None,
) -> Response:
    """The board: a form to record a favor, balances, who owes whom. After a
    refused form, the form again with what was typed and why it was refused
    (never text from the URL: a link cannot put words on the page)."""
    data = await _ledger(request).run(_board)
    typed = typed or {"id": f"web-{uuid.uuid4().hex}"}
    message = "" if error is None else in_words(str(error), FORM_WORDS)
    return TEMPLATES.TemplateResponse(
        request,
        "board.html",
        {**data, "typed": typed, "error": message},
        status_code=200 if error is None else _status(error),
    )


def _record_from(
    fields: dict[str, Any], words: dict[str, str]
) -> Callable[[fl.Ledger], dict[str, Any]]:
    _checked(fields, words)
    at = fields.get("at") or None
    if at is not None:  # a favor is recorded once done; a later one is a pledge
        at = not_after_now(words["at"], as_moment(at, words["at"]))

    def record(led: fl.Ledger) -> dict[str, Any]:
        favor = led.record(
            fields["giver"],
            fields["receiver"],
            fields["value"],
            via=fields.get("via") or None,
            reason=fields.get("reason") or "",
            kind=fields.get("kind") or "favor",
            id=fields.get("id") or None,
            at=at,
            tags=fields.get("tags") or (),
            referral_share=fields.get("referral_share"),
        )
        return _favor_json(favor, led)

    return record


def _form(form: FormData) -> dict[str, Any]:
    """The form's fields; a field given twice is refused, as a key given
    twice in a JSON body is (neither is silently the one that counts)."""
    fields: dict[str, Any] = {}
    for key, value in form.multi_items():
        if key in fields:
            raise FieldError(f"{FORM_WORDS.get(key, repr(key))} is given twice")
        if isinstance(value, str):
            fields[key] = value
    return fields


def _first(form: FormData) -> dict[str, str]:
    """Each field's first value: what the refused form shows again."""
    fields: dict[str, str] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            fields.setdefault(key, value)
    return fields


async def record_form(request: Request) -> Response:
    """POST /favors from the board's form: back to the board, or the form
    again with what was typed and why it was refused."""
    form = await request.form()
    words = FORM_WORDS | {"at": "at"}
    try:
        await _ledger(request).run(_record_from(_form(form), words))
    except fl.FavorLedgerError as exc:
        return await board(request, _first(form), exc)
    return RedirectResponse(request.url_for("board"), 303)


async def record_json(request: Request) -> Response:
    """POST /api/favors with a JSON object; the stored favor, 201.

    Send ``id`` to make a retry safe: the same favor again (with or without
    its ``at``) is accepted and changes nothing.
    """
    try:
        fields = parse_json((await request.body()).decode("utf-8"))
    except UnicodeDecodeError:
        return JSONResponse({"error": "the body must be JSON in UTF-8"}, 400)
    except fl.FavorLedgerError as exc:  # not JSON, or a key given twice
        return _error(exc)
    if not isinstance(fields, dict):
        return JSONResponse({"error": "the body must be a JSON object"}, 400)
    try:
        favor = await _ledger(request).run(_record_from(fields, JSON_WORDS))
    except fl.FavorLedgerError as exc:
        return _error(exc)
    return JSONResponse(favor, status_code=201)


async def api_board(request: Request) -> Response:
    """GET /api/balances: balances, who owes whom, and how many favors stand
    (recorded and not reversed) and how many were reversed."""
    data = await _ledger(request).run(_board)
    return JSONResponse(
        {
            "balances": {p: amount for p, amount, _ in data["balances"]},
            "debts": [
                {"debtor": d, "creditor": c, "amount": a} for d, c, a in data["debts"]
            ],
            "favors": data["count"],
            "reversed": data["reversed"],
        }
    )


async def health(_request: Request) -> Response:
    """GET /api/health: this worker's process id, once its store is open."""
    return JSONResponse({"pid": os.getpid()})


async def api_favor(request: Request) -> Response:
    """GET /api/favors/{id}: one favor (``reversed_by`` names its reversal,
    ``null`` while it stands), 404 if unknown. The id is whole: a prefix
    unique today may name two favors tomorrow, so a stored link could change
    meaning (the command line, which a person types, takes prefixes)."""
    favor_id = request.path_params["favor_id"]

    def find(led: fl.Ledger) -> dict[str, Any] | None:
        kept = kept_id(favor_id, led.favors)  # typed any way a write takes it
        return None if kept is None else _favor_json(led.favors[kept], led)

    found = await _ledger(request).run(find)
    if found is None:
        return JSONResponse(
            {
                "error": f"no favor {favor_id!r} (give a whole id, as the API"
                " returns it: GET /api/favor-ids lists them)"
            },
            404,
        )
    return JSONResponse(found)


async def api_favor_ids(request: Request) -> Response:
    """GET /api/favor-ids: every favor id, in the order recorded."""
    ids = await _ledger(request).run(
        lambda led: [e.id for e in led.log if isinstance(e, fl.Favor)]
    )
    return JSONResponse(ids)


async def settle_page(request: Request) -> Response:
    """The settle-up suggestions, each with the favors behind it."""
    found = await _ledger(request).run(_suggestions)
    if _wants_json(request):
        return JSONResponse(found)
    return TEMPLATES.TemplateResponse(request, "settle.html", {"suggestions": found})


async def introduce_page(
    request: Request,
    typed: dict[str, str] | None = None,
    refused: fl.FavorLedgerError | None = None,
) -> Response:
    """Who can introduce ``source`` to ``target``, best first (after a
    refused tie form, that form again with what was typed and why)."""
    source = request.query_params.get("source", "").strip()
    target = request.query_params.get("target", "").strip()
    asked = bool(source or target)

    def answer(led: fl.Ledger) -> dict[str, Any]:
        found: dict[str, Any] = {"people": sorted(led.people), "found": None}
        if asked:
            try:
                for name, given in (("source", source), ("target", target)):
                    if not given:
                        raise FieldError(f"{name} is missing")
                found["found"] = _introductions(led, source, target)
            except fl.FavorLedgerError as exc:
                found["error"] = exc
        return found

    data = await _ledger(request).run(answer)
    error = data.get("error")
    if _wants_json(request):
        if error is not None:
            return _error(error)
        if not asked:
            return JSONResponse({"error": "give source and target"}, 400)
        return JSONResponse(data["found"])
    error = error or refused
    context = {
        "people": data["people"],
        "found": data["found"],
        "source": source,
        "target": target,
        "typed": typed or {"strength": "0.8"},
        "error": "" if error is None else in_words(str(error), FORM_WORDS),
    }
    return TEMPLATES.TemplateResponse(
        request,
        "introduce.html",
        context,
        status_code=200 if error is None else _status(error),
    )


async def tie_form(request: Request) -> Response:
    """POST /ties: state that two members know each other."""
    form = await request.form()
    try:
        fields = _form(form)
    except FieldError as exc:
        return await introduce_page(request, _first(form), exc)

    def tie(led: fl.Ledger) -> fl.Tie:
        return led.tie(
            fields.get("a", ""),
            fields.get("b", ""),
            fields.get("strength", ""),
            kind=fields.get("kind") or "acquaintance",
        )

    try:
        await _ledger(request).run(tie)
    except fl.FavorLedgerError as exc:
        return await introduce_page(request, fields, exc)
    return RedirectResponse(request.url_for("introduce"), 303)


# -------------------------------------------------------------------- app
def create_app(db: str | None = None) -> Starlette:
    """The favor board on the store ``db`` (default ``$FAVORLEDGER_DB``, else
    ``favorboard.db``): an SQLite path or a ``postgresql://`` URL."""
    thread = _LedgerThread(db or os.environ.get("FAVORLEDGER_DB") or DEFAULT_DB)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await thread.run(len)  # open the store now: a bad URL fails at start
        yield
        thread.close()

    app = Starlette(
        routes=[
            Route("/", board, name="board"),
            Route("/favors", record_form, methods=["POST"]),
            Route("/ties", tie_form, methods=["POST"]),
            Route("/settle", settle_page),
            Route("/introduce", introduce_page, name="introduce"),
            Route("/api/health", health),
            Route("/api/favors", record_json, methods=["POST"]),
            Route("/api/favors/{favor_id}", api_favor),
            Route("/api/favor-ids", api_favor_ids),
            Route("/api/balances", api_board),
            Route("/api/settle", settle_page),
            Route("/api/introduce", introduce_page),
        ],
        middleware=[Middleware(BodyLimit)],
        exception_handlers={BodyTooLargeError: too_large},
        lifespan=lifespan,
    )
    app.state.ledger = thread
    return app
