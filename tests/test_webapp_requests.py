"""What the favor board takes in: strict JSON, bounded bodies, its own port.

The third newcomer trial's W5: ``POST /api/favors`` took duplicate JSON keys
(the last one won) although favorledger parses JSON strictly, and a 20 MB
body was read and parsed whole before being refused. And the server tried
its port, let it go and handed uvicorn the number, so another process could
take the port in between. Bodies are driven here at the ASGI level, so that
the test sees how much of a body the app pulled before it answered.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.types import Message

import favorledger as fl
from examples.webapp.app import FAVOR_FIELDS, create_app
from examples.webapp.limit import MAX_BODY
from examples.webapp.serve import free_port, serving
from favorledger.model import MAX_ID_LENGTH, MAX_TAGS, MAX_TEXT_LENGTH
from tests.test_webapp import _fresh_store, _refused, _start, board

CHUNK = 64 * 1024
BIG = 20_000_000
"""The newcomer's body: 20 MB."""


def _object(pairs: list[tuple[str, str]]) -> str:
    """A JSON object from (key, JSON text of the value) pairs, in order,
    repeated keys included (``json.dumps`` cannot write those)."""
    return "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in pairs) + "}"


def _favor(favor_id: str) -> list[tuple[str, str]]:
    return [
        ("id", json.dumps(favor_id)),
        ("giver", '"a"'),
        ("receiver", '"b"'),
        ("value", '"1"'),
    ]


def _seen(client: Any) -> tuple[object, object]:
    return client.get("/api/favor-ids").json(), client.get("/api/balances").json()


# --------------------------------------------------------- duplicate keys
def test_a_duplicate_key_is_refused_naming_it(tmp_path: Path) -> None:
    """W5 as seen: ``"giver"`` twice was 201 with the last giver."""
    body = '{"giver":"a","receiver":"c","value":"1","giver":"z"}'
    with board(str(tmp_path / "board.db")) as client:
        refused = client.post("/api/favors", content=body.encode())
        assert refused.status_code == 400
        assert "duplicate key 'giver'" in refused.json()["error"]
        assert client.get("/api/favor-ids").json() == []


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
).map(json.dumps)
KEYS = st.sampled_from(FAVOR_FIELDS) | st.text(
    st.characters(blacklist_characters=".", blacklist_categories=["Cs"]), max_size=8
)


@st.composite
def duplicated(draw: st.DrawFn) -> tuple[str, str]:
    """A favor's JSON object in which one key (known, unknown, or inside a
    nested object) appears twice; and that key."""
    pairs = _favor("dup")
    key = draw(KEYS)
    if key not in dict(pairs):
        pairs.append((key, draw(JSON_VALUES)))
    pairs.insert(draw(st.integers(0, len(pairs))), (key, draw(JSON_VALUES)))
    if draw(st.booleans()):  # the repeat is inside the value of a field
        outer = _favor("dup")
        outer.insert(draw(st.integers(0, len(outer))), ("reason", _object(pairs)))
        pairs = outer
    return _object(pairs), key


@given(duplicated())
@settings(max_examples=60)
def test_any_object_with_a_repeated_key_is_refused_and_changes_nothing(
    sent: tuple[str, str],
) -> None:
    body, key = sent
    with _fresh_store() as db, board(db) as client:
        made = client.post("/api/favors", content=_object(_favor("f0")).encode())
        assert made.status_code == 201
        before = _seen(client)
        refused = client.post("/api/favors", content=body.encode())
        assert refused.status_code == 400, body
        assert f"duplicate key {key!r}" in refused.json()["error"]
        assert _seen(client) == before


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "board.db")


# ----------------------------------------------------------- body sizes
def _post(
    db: str, chunks: Iterator[bytes], *, length: int | None = None
) -> tuple[int, dict[str, Any], int]:
    """POST ``chunks`` to ``/api/favors`` straight into the app; the status,
    the JSON answer and how many body bytes the app pulled. Without
    ``length`` the body is sent as it streams (no Content-Length, as a
    chunked request arrives)."""
    headers = [(b"content-type", b"application/json")]
    if length is None:
        headers.append((b"transfer-encoding", b"chunked"))
    else:
        headers.append((b"content-length", str(length).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/favors",
        "raw_path": b"/api/favors",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    pulled = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal pulled
        chunk = next(chunks, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: Message) -> None:
        sent.append(message)

    async def run() -> None:
        app = create_app(db)
        async with app.router.lifespan_context(app):
            await app(scope, receive, send)

    asyncio.run(run())
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    answer = b"".join(
        m.get("body", b"") for m in sent if m["type"] == "http.response.body"
    )
    return status, json.loads(answer), pulled


def _chunked(body: bytes) -> Iterator[bytes]:
    return (body[i : i + CHUNK] for i in range(0, len(body), CHUNK))


def _padded(size: int) -> bytes:
    """A valid favor's JSON, padded with spaces to ``size`` bytes."""
    body = _object(_favor("padded")).encode()
    return body[:-1] + b" " * (size - len(body)) + b"}"


def test_a_20_mb_body_is_refused_before_it_is_read(db: str) -> None:
    """W5 as seen: the whole body was read and parsed, then refused (400)
    for a long giver. Now 413, having pulled at most the cap and one chunk."""
    body = b'{"giver": "' + b"g" * BIG + b'", "receiver": "b", "value": "1"}'
    status, answer, pulled = _post(db, _chunked(body))
    assert status == 413, answer
    assert f"{MAX_BODY:,} bytes" in answer["error"]
    assert pulled <= MAX_BODY + CHUNK


def test_a_declared_length_over_the_cap_is_refused_unread(db: str) -> None:
    status, answer, pulled = _post(db, _chunked(b"x" * BIG), length=BIG)
    assert (status, pulled) == (413, 0)
    assert f"{BIG:,}" in answer["error"]


@pytest.mark.parametrize("declared", [False, True])
def test_a_body_of_exactly_the_cap_is_taken_and_one_byte_more_is_not(
    db: str, declared: bool
) -> None:
    """The cap is the body's length in bytes, however it arrives."""
    for size, status in [(MAX_BODY, 201), (MAX_BODY + 1, 413)]:
        body = _padded(size)
        length = size if declared else None
        got, answer, _ = _post(db, _chunked(body), length=length)
        assert got == status, (size, answer)
    with board(db) as client:
        assert client.get("/api/favor-ids").json() == ["padded"]


@pytest.mark.parametrize("path", ["/favors", "/ties"])
def test_a_form_over_the_cap_is_refused_too(db: str, path: str) -> None:
    """The cap is on every request, the pages' forms included (in words)."""
    form = {"giver": "a", "receiver": "b", "value": "1", "reason": "r" * MAX_BODY}
    with board(db) as client:
        refused = client.post(path, data=form)
        assert refused.status_code == 413
        assert refused.text.startswith(f"the request body must be at most {MAX_BODY:,}")
        assert client.get("/api/favor-ids").json() == []


def test_the_cap_takes_the_largest_favor_the_ledger_takes(db: str) -> None:
    """The cap never refuses a favor the ledger would take: every field at
    its longest, in characters written as two ``\\u`` escapes (12 bytes)."""
    wide = "\U0001f91d"  # outside the BMP: a surrogate pair when escaped
    name = wide * (MAX_ID_LENGTH - 1)
    fields = {
        "id": wide * MAX_ID_LENGTH,
        "giver": name + "g",
        "receiver": name + "r",
        "via": name + "v",
        "kind": wide * MAX_ID_LENGTH,
        "value": "9" * 14 + "." + "9" * 12,  # the most digits a value may have
        "referral_share": "0." + "9" * 12,
        "reason": wide * MAX_TEXT_LENGTH,
        "tags": [chr(0x1F300 + n) + name for n in range(MAX_TAGS)],
        "at": "2024-05-01T09:00:00.000000+00:00",
    }
    body = json.dumps(fields, ensure_ascii=True, indent=2).encode()
    fl.Ledger().record(**{k: v for k, v in fields.items() if k != "id"})
    with board(db) as client:
        made = client.post("/api/favors", content=body)
    assert made.status_code == 201, made.text[:300]
    assert len(body) <= MAX_BODY


# -------------------------------------------------------------- the port
def test_the_port_is_held_from_the_check_until_uvicorn_serves(
    monkeypatch: pytest.MonkeyPatch, db: str
) -> None:
    """The port is never let go: when uvicorn is started, nobody else can
    listen on it, and uvicorn is given the socket that holds it."""
    import examples.webapp.__main__ as entry

    port = free_port()
    seen: dict[str, object] = {}

    def fake_run(*_: object, **given: Any) -> None:
        seen.update(given)
        with socket.socket() as other:
            other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                other.bind(("127.0.0.1", port))
                other.listen()
            except OSError as exc:
                seen["other"] = exc.errno
        if "fd" in given:
            held = socket.socket(fileno=os.dup(given["fd"]))
            with held:
                seen["held"] = held.getsockname()

    monkeypatch.setenv("FAVORLEDGER_DB", "")
    monkeypatch.setattr(entry.uvicorn, "run", fake_run)
    entry.main(["--db", db, "--port", str(port), "--workers", "2"])
    assert seen.get("other") == errno.EADDRINUSE, "another process took the port"
    assert seen.get("held") == ("127.0.0.1", port)
    assert seen["workers"] == 2


def test_port_0_says_the_port_the_system_chose(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db: str
) -> None:
    import examples.webapp.__main__ as entry

    served: list[int] = []

    def fake_run(*_: object, fd: int, **__: object) -> None:
        with socket.socket(fileno=os.dup(fd)) as held:
            served.append(held.getsockname()[1])

    monkeypatch.setenv("FAVORLEDGER_DB", "")
    monkeypatch.setattr(entry.uvicorn, "run", fake_run)
    entry.main(["--db", db, "--port", "0", "--workers", "1"])
    (port,) = served
    assert port != 0
    said = capsys.readouterr().out
    assert f"listening on http://127.0.0.1:{port} (1 worker, store {db})" in said


def test_a_second_board_on_the_same_port_is_refused_and_the_first_serves(
    tmp_path: Path,
) -> None:
    import httpx2

    with serving(str(tmp_path / "first.db"), workers=2) as url:
        port = url.rsplit(":", 1)[1]
        second = _start("--db", str(tmp_path / "second.db"), "--port", port)
        _refused(second, port)
        assert httpx2.get(f"{url}/api/health").status_code == 200
        made = httpx2.post(
            f"{url}/api/favors", json={"giver": "a", "receiver": "b", "value": "1"}
        )
        assert made.status_code == 201


def test_the_real_server_caps_a_chunked_body(tmp_path: Path) -> None:
    """Through uvicorn and a socket: a body sent in chunks, without
    Content-Length, is answered 413 while it is still being sent."""
    with serving(str(tmp_path / "club.db"), workers=1) as url:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
            conn.sendall(
                b"POST /api/favors HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n"
            )
            answer = _send_until_answered(conn, limit=BIG)
        assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
        import httpx2

        assert httpx2.get(f"{url}/api/favor-ids").json() == []


def _send_until_answered(conn: socket.socket, *, limit: int) -> bytes:
    """Send chunks of spaces until the server answers (or ``limit`` bytes)."""
    import select

    chunk = b" " * CHUNK
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent = 0
    while sent < limit:
        readable, _, _ = select.select([conn], [], [], 0)
        if readable:
            break
        conn.sendall(frame)
        sent += len(chunk)
    return conn.recv(65536)
