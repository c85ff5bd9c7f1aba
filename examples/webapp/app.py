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

Strict mode (``config strict on`` kept in an SQLite store, read at each
write, or ``--strict`` / ``$FAVORBOARD_STRICT=on`` for any store) refuses a
name the ledger does not know, with the names it may have meant; otherwise a
favor naming someone new says so (``new_people``, and a did-you-mean where
the name is a keyboard slip away from a member's). A store that cannot be
reached answers 503 with ``Retry-After`` after at most about ``timeout``
seconds (``--timeout`` / ``$FAVORBOARD_TIMEOUT``, the library's ``timeout``
of :meth:`favorledger.Ledger.open`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
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
from favorledger.errors import in_words, slips_of, unknown_person
from favorledger.io.files import parse_json
from favorledger.io.jsonl import dumps_entry
from favorledger.io.postgres import is_postgres_url
from favorledger.io.sqlite import StoredLedger, read_settings
from favorledger.io.tables import date_as_midnight
from favorledger.model import (
    as_id,
    as_moment,
    kept_id,
    named_people,
    new_id,
    not_after_now,
)

DEFAULT_DB = "favorboard.db"
"""The store used when ``$FAVORLEDGER_DB`` is not set (SQLite, in the cwd).
The ``favorledger`` command's own default is ``favors.db``: give it
``--db favorboard.db`` (or set ``$FAVORLEDGER_DB`` for both) to share it."""

STRICT_ENV = "FAVORBOARD_STRICT"
"""``on``: refuse new names whatever the store says (the only way on
PostgreSQL, whose stores keep no settings)."""
TIMEOUT_ENV = "FAVORBOARD_TIMEOUT"
"""Seconds a request waits for a store that is locked or unreachable
(:meth:`favorledger.Ledger.open`'s ``timeout``; default 10)."""
RETRY_AFTER = "5"
"""The ``Retry-After`` (seconds) of a 503: the store could not be reached."""

LOG = logging.getLogger("favorboard")

TEMPLATES = Jinja2Templates(directory=Path(__file__).with_name("templates"))
_T = TypeVar("_T")


# ------------------------------------------------------------ the ledger
def strict_mode(db: str, forced: bool) -> bool:
    """Whether the board on ``db`` refuses new names: ``forced``
    (``--strict``), or the SQLite store's ``config strict on``, read at each
    call (a change needs no restart). PostgreSQL stores keep no settings."""
    if forced:
        return True
    if is_postgres_url(db) or not os.path.exists(db):
        return False
    return read_settings(db).get("strict") == "on"


class _LedgerThread:
    """One ledger, opened, used and closed by one dedicated thread."""

    def __init__(self, db: str, *, strict: bool, timeout: float | None) -> None:
        self.db = db
        self.forced_strict = strict
        self.timeout = timeout
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger")
        self._ledger: StoredLedger | None = None

    def strict(self) -> bool:
        """Whether new names are refused now (:func:`strict_mode`)."""
        return strict_mode(self.db, self.forced_strict)

    async def run(self, work: Callable[[fl.Ledger], _T]) -> _T:
        """``work(ledger)`` on the ledger's thread, caught up with the store."""

        def call() -> _T:
            if self._ledger is None:
                timeout = {} if self.timeout is None else {"timeout": self.timeout}
                self._ledger = fl.Ledger.open(self.db, **timeout)
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


def _store_failed(exc: fl.StoreError, favor_id: str | None = None) -> dict[str, Any]:
    """What a client is told when the store failed (its details, which name
    the server, go to the log): the status, and for a write, whether the
    favor may have been stored and how to find out."""
    LOG.warning("favor board: %s", exc)
    if isinstance(exc, fl.StorePermissionError):
        role = f" ({exc.role})" if exc.role else ""
        said = (
            f"the board's database role{role} lacks {exc.needed or 'a privilege'}:"
            " nothing was stored; the board's keeper must grant it (see the"
            " app role's grants in docs/storage.md)"
        )
        return {"status": 500, "error": said, "id": favor_id, "stored": False}
    said = "the board's store cannot be reached (it may be restarting)"
    if favor_id is None:
        return {"status": 503, "error": f"{said}; try again in a few seconds"}
    return {
        "status": 503,
        "error": f"{said}: the favor may have been stored; retry with the same id"
        f" ({favor_id!r}) — retrying is safe, it is never recorded twice",
        "id": favor_id,
        "stored": "unknown",
    }


def _failed_json(failed: dict[str, Any]) -> JSONResponse:
    status = failed.pop("status")
    headers = {"Retry-After": RETRY_AFTER} if status == 503 else None
    return JSONResponse(failed, status, headers=headers)


def _failed_page(
    request: Request, failed: dict[str, Any], typed: dict[str, str] | None = None
) -> Response:
    """The page for a store that failed: the message, and after a form, the
    same form (same id) to send again; nothing is read from the store."""
    status = failed.pop("status")
    headers = {"Retry-After": RETRY_AFTER} if status == 503 else None
    context = {"error": failed["error"], "typed": typed}
    return TEMPLATES.TemplateResponse(
        request, "unavailable.html", context, status_code=status, headers=headers
    )


async def store_failed(request: Request, exc: Exception) -> Response:
    """Any page or endpoint whose store failed: 503 (500 for a privilege the
    role lacks), never a bare 500, a 400 or a traceback."""
    assert isinstance(exc, fl.StoreError)
    if _wants_json(request):
        return _failed_json(_store_failed(exc))
    return _failed_page(request, _store_failed(exc))


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
    (never text from the URL: a link cannot put words on the page). After
    a favor that brought new people (``?recorded=ID``), who they are: the
    words come from the ledger, for a favor it holds."""
    recorded = request.query_params.get("recorded")

    def answer(led: fl.Ledger) -> dict[str, Any]:
        favor = led.favors.get(recorded) if recorded else None
        note = None if favor is None else _newcomers_note(led, favor)
        return _board(led) | {"notice": note}

    data = await _ledger(request).run(answer)
    typed = typed or {"id": f"web-{uuid.uuid4().hex}"}
    message = "" if error is None else in_words(str(error), FORM_WORDS)
    return TEMPLATES.TemplateResponse(
        request,
        "board.html",
        {**data, "typed": typed, "error": message},
        status_code=200 if error is None else _status(error),
    )


# ------------------------------------------------------------ new people
def _strangers(led: fl.Ledger, names: Iterable[object]) -> list[str]:
    """The people among ``names`` the ledger does not know, as it keeps ids
    (a name it would refuse anyway is left for it to refuse, naming the field)."""
    new: list[str] = []
    for name in names:
        if isinstance(name, str) and name.strip():
            person = as_id(name)
            if person not in led.people and person not in new:
                new.append(person)
    return new


def _refuse_strangers(led: fl.Ledger, new: list[str]) -> None:
    """In strict mode: refuse the new names, each with the names it may have
    meant, as the ``favorledger`` command does (the library's suggestions)."""
    if new:
        refused = "; ".join(str(unknown_person(name, led.people)) for name in new)
        raise FieldError(
            f"{refused}: strict mode refuses new names (the board's keeper adds"
            " a member with `favorledger person NAME`)"
        )


def _brought(led: fl.Ledger, entry: fl.Entry) -> list[str]:
    """The people ``entry`` brought onto the board: those no entry before it
    names (so a retry of the same favor answers as the first call did)."""
    left = list(dict.fromkeys(named_people(entry)))
    for earlier in led.log:
        if not left or (type(earlier) is type(entry) and earlier.id == entry.id):
            break
        named = named_people(earlier)
        left = [person for person in left if person not in named]
    return left


def _newcomers_note(
    led: fl.Ledger, entry: fl.Entry, new: list[str] | None = None
) -> str | None:
    """``new person 'alcie' (did you mean 'alice'?) added to the board…``:
    each person ``entry`` brought onto the board (``new``, if known), with
    the members it is one keyboard slip away from; ``None`` if nobody."""
    new = _brought(led, entry) if new is None else new
    if not new:
        return None
    others = [person for person in led.people if person not in new]
    hints, slipped = [], False
    for name in new:
        close = slips_of(name, others)
        slipped = slipped or bool(close)
        like = " or ".join(repr(c) for c in close)
        hints.append(f"{name!r}" + (f" (did you mean {like}?)" if close else ""))
    noun = "person" if len(new) == 1 else "people"
    note = f"new {noun} {', '.join(hints)} added to the board"
    if slipped and isinstance(entry, fl.Favor):
        note += (
            f"; if that was a typo, the board's keeper can reverse it"
            f" (`favorledger reverse {entry.id}`)"
        )
    return note


def _record_from(
    fields: dict[str, Any], words: dict[str, str], strict: Callable[[], bool]
) -> Callable[[fl.Ledger], dict[str, Any]]:
    """The work of recording the favor ``fields`` describe (``strict``: read
    on the ledger's thread, whether new names are refused). Its answer is the
    favor, with ``new_people`` (the people it brought onto the board) and
    ``note`` (saying so, with a did-you-mean for a slip; else ``None``)."""
    _checked(fields, words)
    at = fields.get("at") or None
    if isinstance(at, str):  # a date alone is midnight UTC, as on the command line
        at = date_as_midnight(at)
    if at is not None:  # a favor is recorded once done; a later one is a pledge
        at = not_after_now(words["at"], as_moment(at, words["at"]))
    favor_id = fields.get("id")

    def record(led: fl.Ledger) -> dict[str, Any]:
        names = (fields["giver"], fields["receiver"], fields.get("via"))
        new = _strangers(led, names)
        if new and strict():
            _refuse_strangers(led, new)
        again = isinstance(favor_id, str) and as_id(favor_id) in led.favors
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
        brought = _brought(led, favor) if new or again else []
        return _favor_json(favor, led) | {
            "new_people": brought,
            "note": _newcomers_note(led, favor, brought),
        }

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
    thread = _ledger(request)
    try:
        fields = _form(form)
        recorded = await thread.run(_record_from(fields, words, thread.strict))
    except fl.StoreError as exc:
        failed = _store_failed(exc, str(form.get("id") or "") or None)
        return _failed_page(request, failed, _first(form))
    except fl.FavorLedgerError as exc:
        return await board(request, _first(form), exc)
    back = request.url_for("board")
    if recorded["note"] is not None:  # the board will say who is new
        back = back.include_query_params(recorded=recorded["id"])
    return RedirectResponse(back, 303)


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
    if fields.get("id") in (None, ""):  # an id to give back if the store fails
        fields["id"] = new_id()
    thread = _ledger(request)
    try:
        favor = await thread.run(_record_from(fields, JSON_WORDS, thread.strict))
    except fl.StoreError as exc:
        return _failed_json(_store_failed(exc, str(fields["id"])))
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
    refused tie form, that form again with what was typed and why; after a
    tie that brought new people, ``?tie=ID``, who they are)."""
    source = request.query_params.get("source", "").strip()
    target = request.query_params.get("target", "").strip()
    asked = bool(source or target)

    tie_id = request.query_params.get("tie")

    def answer(led: fl.Ledger) -> dict[str, Any]:
        found: dict[str, Any] = {"people": sorted(led.people), "found": None}
        ties = led.log if tie_id else ()
        made = [e for e in ties if isinstance(e, fl.Tie) and e.id == tie_id]
        found["notice"] = _newcomers_note(led, made[0]) if made else None
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
        "notice": data["notice"],
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

    thread = _ledger(request)

    def tie(led: fl.Ledger) -> str | None:
        """The tie's id if it brought new people onto the board, else None."""
        new = _strangers(led, (fields.get("a"), fields.get("b")))
        if new and thread.strict():
            _refuse_strangers(led, new)
        made = led.tie(
            fields.get("a", ""),
            fields.get("b", ""),
            fields.get("strength", ""),
            kind=fields.get("kind") or "acquaintance",
        )
        return made.id if new else None

    try:
        made = await thread.run(tie)
    except fl.StoreError as exc:
        return _failed_page(request, _store_failed(exc))
    except fl.FavorLedgerError as exc:
        return await introduce_page(request, fields, exc)
    back = request.url_for("introduce")
    if made is not None:  # the page will say who is new
        back = back.include_query_params(tie=made)
    return RedirectResponse(back, 303)


# -------------------------------------------------------------------- app
def settings_from_env() -> tuple[bool, float | None]:
    """``(strict, timeout)`` from ``$FAVORBOARD_STRICT`` (``on`` or ``off``)
    and ``$FAVORBOARD_TIMEOUT`` (seconds; unset: the library's default).

    Raises
    ------
    favorledger.InvalidValueError
        Naming the variable and its value, if either cannot be read.
    """
    strict = os.environ.get(STRICT_ENV, "").strip().lower() or "off"
    if strict not in ("on", "off"):
        raise fl.InvalidValueError(f"${STRICT_ENV} must be on or off, got {strict!r}")
    text = os.environ.get(TIMEOUT_ENV, "").strip()
    if not text:
        return strict == "on", None
    try:
        timeout = float(text)
    except ValueError:
        timeout = -1.0
    if not 0 < timeout < 3600:
        raise fl.InvalidValueError(
            f"${TIMEOUT_ENV} must be a number of seconds in (0, 3600), got {text!r}"
        )
    return strict == "on", timeout


def create_app(
    db: str | None = None, *, strict: bool | None = None, timeout: float | None = None
) -> Starlette:
    """The favor board on the store ``db`` (default ``$FAVORLEDGER_DB``, else
    ``favorboard.db``): an SQLite path or a ``postgresql://`` URL. ``strict``
    (default ``$FAVORBOARD_STRICT``, else the store's setting) refuses new
    names; ``timeout`` (default ``$FAVORBOARD_TIMEOUT``, else the library's)
    bounds how long a request waits for the store."""
    env_strict, env_timeout = settings_from_env()
    thread = _LedgerThread(
        db or os.environ.get("FAVORLEDGER_DB") or DEFAULT_DB,
        strict=env_strict if strict is None else strict,
        timeout=env_timeout if timeout is None else timeout,
    )

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
        exception_handlers={BodyTooLargeError: too_large, fl.StoreError: store_failed},
        lifespan=lifespan,
    )
    app.state.ledger = thread
    return app
