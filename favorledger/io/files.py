"""Files, read and written safely: bounded UTF-8 lines in, no data lost out.

Reading (:func:`reading`, :func:`utf8_lines`, :func:`parse_json`) takes
``-`` as standard input, bounds every line and every
number before anything is built from it, and turns whatever the standard
library raises about a hostile file (bytes that are not UTF-8, nesting deeper
than the parser's recursion limit, a number with thousands of digits, a
duplicate key) into a :class:`~favorledger.errors.FormatError`.

Writing (:func:`writing`) never destroys what it should not:

* a file that exists is never replaced unless asked: an existing regular
  file (or the file a symbolic link points to) is refused with an
  :class:`~favorledger.errors.OverwriteError` unless ``force=True``
  (``--force`` on the command line), and so is a block device; nothing is
  written; a directory is refused even with ``force``;
* a new file, or a forced replacement, is written to a temporary file in
  the same directory, flushed, fsynced and then moved into place (a new file
  is linked in, which fails if another process made the name meanwhile; a
  forced one is renamed over the target, whose permissions are kept); a
  crash or an error leaves the old file whole;
* a symbolic link keeps pointing where it did: the file it resolves to is
  the one written;
* ``-`` is standard output, and a character device (``/dev/null``, a
  terminal), a FIFO or a socket is written directly: the node is never
  replaced by a regular file.

Opening for reading (:func:`reading`) or writing turns the operating
system's error into a :class:`~favorledger.errors.FileError` naming the path
as given and saying why in words (``no such file``, ``out is not a
directory``).

Examples
--------
>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "notes.txt")
>>> with writing(path) as out:
...     _ = out.write(b"kept whole\\n")
>>> Path(path).read_bytes()
b'kept whole\\n'
>>> with writing(path) as out:
...     _ = out.write(b"gone?\\n")
Traceback (most recent call last):
...
favorledger.errors.OverwriteError: /.../notes.txt: the file exists; refusing \
to replace it (choose another name, or replace it with --force on the command \
line, force=True in Python)
>>> Path(path).read_bytes()
b'kept whole\\n'
>>> parse_json('{"id": "f1", "id": "f2"}')
Traceback (most recent call last):
...
favorledger.errors.FormatError: duplicate key 'id' in a JSON object
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import re
import stat
import sys
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Final

from favorledger._exact import MAX_TEXT
from favorledger.errors import FavorLedgerError, FileError, FormatError, OverwriteError

__all__ = [
    "MAX_LINE_BYTES",
    "SQLITE_HEADER",
    "LongNumber",
    "file_head",
    "file_mode_for",
    "fsync_directory",
    "is_sqlite_file",
    "looks_like",
    "parse_json",
    "reading",
    "refuse_overwrite",
    "utf8_lines",
    "writing",
    "writing_text",
    "wrong_format",
]

MAX_LINE_BYTES: Final = 1 << 20
"""The longest line a reader accepts (1 MiB): an entry is a few hundred bytes."""

SQLITE_HEADER: Final = b"SQLite format 3\x00"
"""The 16 bytes every SQLite database file starts with."""

_WAL_MAGIC: Final = (b"\x37\x7f\x06\x82", b"\x37\x7f\x06\x83")

# ------------------------------------------------------------------ reading


@contextlib.contextmanager
def reading(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """``path`` opened for reading bytes; ``-`` is standard input (left
    open). Every reader opens its file here.

    Raises
    ------
    FileError
        If the file cannot be opened or read (missing, a directory, not
        permitted), naming ``path`` as given.

    Examples
    --------
    >>> with reading(__file__) as source:
    ...     source.read(3) == b'"' * 3
    True
    >>> with reading("no/such.jsonl") as source:
    ...     pass
    Traceback (most recent call last):
    ...
    favorledger.errors.FileError: no/such.jsonl: cannot read: no such file
    """
    name = os.fspath(path)
    if name == "-":
        yield sys.stdin.buffer
        return
    with _named("read", name), open(name, "rb") as source:
        yield source


@contextlib.contextmanager
def _named(verb: str, name: str) -> Iterator[None]:
    """Turn an ``OSError`` about ``name`` into a :class:`FileError` saying
    why in words, naming ``name`` as given (not a temporary file)."""
    try:
        yield
    except FavorLedgerError:
        raise
    except OSError as exc:
        raise FileError(
            f"{name}: cannot {verb}: {_why(name, exc, verb)}",
            path=name,
            errno=exc.errno,
        ) from exc


def _why(name: str, exc: OSError, verb: str) -> str:
    """Why ``name`` could not be read or written, naming the part at fault."""
    code = exc.errno
    if code == errno.EISDIR:
        return "a directory"
    if code in (errno.ENOENT, errno.ENOTDIR):
        folder = os.path.dirname(name)
        while folder and not os.path.lexists(folder):
            folder = os.path.dirname(folder)
        if folder and not os.path.isdir(folder):
            return f"{folder} is not a directory"
        if verb == "write" and code == errno.ENOENT:
            return f"the directory {os.path.dirname(name)} does not exist"
        return "no such file"
    if code in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return str(exc.strerror or exc).lower()


_FORMATS: Final = {
    "jsonl": "a JSON Lines file",
    "graphml": "a GraphML file",
    "gexf": "a GEXF file",
    "csv": "a CSV table",
}
"""What each importable format is called in a message."""


def looks_like(start: str) -> str | None:
    """The format the start of a file's text looks like: ``jsonl`` (a JSON
    object), ``graphml`` or ``gexf`` (XML with that root), ``csv`` (a header
    naming ``giver``), or ``None``.

    Examples
    --------
    >>> looks_like('{"format": 1, "type": "favor", "id": "f1"}')
    'jsonl'
    >>> looks_like("<?xml version='1.0'?>\\n<graphml xmlns='...'>")
    'graphml'
    >>> looks_like("Giver;Receiver;Value\\nann;bob;2"), looks_like("hello")
    ('csv', None)
    """
    text = start.lstrip("\ufeff \t\r\n")
    if text.startswith("{"):
        return "jsonl"
    if text.startswith("<"):
        return next((kind for kind in ("graphml", "gexf") if f"<{kind}" in text), None)
    header = re.split(r"[,;]", text.partition("\n")[0])
    return "csv" if "giver" in (cell.strip(' "').lower() for cell in header) else None


def wrong_format(name: str, start: str, expected: str) -> FormatError | None:
    """The error for a file whose start looks like a format other than
    ``expected``, saying which ``--format`` to use; ``None`` if it does not.

    Examples
    --------
    >>> print(wrong_format("x.csv", '{"format": 1}', "csv"))
    x.csv: looks like a JSON Lines file, not a CSV table; import it with \
--format jsonl
    >>> wrong_format("x.csv", "giver,receiver,value", "csv") is None
    True
    """
    found = looks_like(start)
    if found is None or found == expected:
        return None
    return FormatError(
        f"{name}: looks like {_FORMATS[found]}, not {_FORMATS[expected]};"
        f" import it with --format {found}",
        path=name,
    )


def utf8_lines(name: str, source: IO[bytes]) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` for each line of ``source``, newline kept.

    Lines end at ``\\n`` only. A UTF-8 byte-order mark at the start is
    dropped.

    Raises
    ------
    FormatError
        For a line longer than :data:`MAX_LINE_BYTES` (refused before it is
        read whole) or bytes that are not UTF-8, naming the file and line.
    """
    number = 0
    while raw := source.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(raw) > MAX_LINE_BYTES:
            raise FormatError(
                f"{name}:{number}: the line is longer than {MAX_LINE_BYTES:,} bytes",
                path=name,
                line=number,
            )
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            yield number, raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FormatError(
                f"{name}:{number}: not UTF-8 text (byte {raw[exc.start]:#04x} at"
                f" column {exc.start + 1})",
                path=name,
                line=number,
            ) from None


class LongNumber:
    """A JSON number too long to be a value (more than ``MAX_TEXT``
    characters): kept as its length, so that the field holding it can be
    named in the error, and never converted."""

    def __init__(self, text: str) -> None:
        self.length = len(text)

    def __repr__(self) -> str:
        return f"<a number of {self.length} characters>"


def _integer(text: str) -> int | LongNumber:
    return int(text) if len(text) <= MAX_TEXT else LongNumber(text)


def _decimal(text: str) -> Decimal | LongNumber:
    return Decimal(text) if len(text) <= MAX_TEXT else LongNumber(text)


def _constant(text: str) -> Any:
    raise FormatError(f"not valid JSON: {text} is not a JSON number")


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise FormatError(f"duplicate key {key!r} in a JSON object")
        found[key] = value
    return found


def parse_json(text: str) -> Any:
    """Parse JSON text strictly, with exact numbers.

    Numbers become ``int`` or ``Decimal`` (never ``float``); one longer than
    ``MAX_TEXT`` characters becomes a :class:`LongNumber`. ``NaN`` and
    ``Infinity`` are refused, as are duplicate keys in an object.

    Raises
    ------
    FormatError
        For text that is not JSON, nests deeper than Python can parse, or
        repeats a key.

    Examples
    --------
    >>> parse_json('{"value": 2.50, "n": 3}')
    {'value': Decimal('2.50'), 'n': 3}
    >>> parse_json("[" * 100_000)
    Traceback (most recent call last):
    ...
    favorledger.errors.FormatError: not valid JSON: nested too deeply
    """
    try:
        return json.loads(
            text,
            parse_float=_decimal,
            parse_int=_integer,
            parse_constant=_constant,
            object_pairs_hook=_unique,
        )
    except json.JSONDecodeError as exc:
        raise FormatError(f"not valid JSON: {exc.msg} at column {exc.colno}") from None
    except RecursionError:
        raise FormatError("not valid JSON: nested too deeply") from None


# ------------------------------------------------------------------ writing


def is_sqlite_file(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a regular file holding an SQLite database or an
    SQLite write-ahead log (judged by its first bytes).

    Examples
    --------
    >>> import sqlite3, os, tempfile
    >>> db = os.path.join(tempfile.mkdtemp(), "any.db")
    >>> connection = sqlite3.connect(db)
    >>> connection.execute("create table t (x)").connection.commit()
    >>> connection.close()
    >>> is_sqlite_file(db), is_sqlite_file(os.devnull)
    (True, False)
    """
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return False
    except OSError:
        return False
    head = file_head(path)
    return head is not None and (head == SQLITE_HEADER or head[:4] in _WAL_MAGIC)


def file_head(path: str | os.PathLike[str]) -> bytes | None:
    """The first bytes of ``path``, as many as an SQLite header holds (fewer
    for a shorter file); ``None`` if it cannot be read.

    Examples
    --------
    >>> file_head(os.devnull), file_head("no/such/file")
    (b'', None)
    """
    try:
        with open(path, "rb") as source:
            return source.read(len(SQLITE_HEADER))
    except OSError:
        return None


def file_mode_for(target: Path) -> int:
    """Keep an existing file's permissions; a new file gets the usual ones."""
    try:
        return target.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (where the platform allows it)."""
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def _kind(name: str) -> tuple[str, str]:
    """``(how, where)``: ``stdout``, ``direct`` to a node, or ``replace`` a
    regular file; ``where`` is the path with symbolic links resolved."""
    if name == "-":
        return "stdout", name
    real = os.path.realpath(name)
    try:
        mode = os.stat(real).st_mode
    except (FileNotFoundError, NotADirectoryError):  # writing it says why
        return "replace", real
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        return "direct", real
    if stat.S_ISBLK(mode):
        return "block", real
    return "replace", real


def refuse_overwrite(
    path: str | os.PathLike[str], *, force: bool = False
) -> tuple[str, str]:
    """Raise :class:`~favorledger.errors.OverwriteError` if :func:`writing`
    would refuse ``path`` (so a command can say so before any work).

    Returns ``(how, where)``: how the target is written and the path with
    symbolic links resolved.

    Examples
    --------
    >>> refuse_overwrite(os.devnull)
    ('direct', '/dev/null')
    >>> refuse_overwrite(__file__)
    Traceback (most recent call last):
    ...
    favorledger.errors.OverwriteError: ...files.py: the file exists; refusing ...
    """
    name = os.fspath(path)
    how, real = _kind(name)
    if how == "replace" and os.path.isdir(real):  # even with force
        raise OverwriteError(f"{name}: {_DIRECTORY}")
    why = None if force else _refusal(how, real)
    if why is not None:
        raise _refused(name, why)
    return how, real


def _refusal(how: str, real: str) -> str | None:
    """Why writing ``name`` without ``force`` is refused, or ``None``."""
    if how == "block":
        return "refusing to overwrite a block device"
    if how == "replace" and os.path.lexists(real):
        if os.path.isdir(real):
            return _DIRECTORY
        if is_sqlite_file(real):
            return "refusing to overwrite an SQLite database (is it a ledger's store?)"
        return _EXISTS
    return None


_EXISTS: Final = "the file exists; refusing to replace it"
_DIRECTORY: Final = "is a directory (give the name of a file to write)"


def _refused(name: str, why: str) -> OverwriteError:
    return OverwriteError(
        f"{name}: {why} (choose another name, or replace it with --force on the"
        " command line, force=True in Python)"
    )


@contextlib.contextmanager
def writing(
    path: str | os.PathLike[str], *, force: bool = False
) -> Iterator[IO[bytes]]:
    """A binary file to write ``path``'s new content to (see the module doc).

    The content takes effect when the block ends without an error: a new
    file then appears whole, or (with ``force``) a regular file is replaced
    atomically; on an error the target is left as it was and no temporary
    file remains.

    Parameters
    ----------
    path
        The target: a file name, ``-`` for standard output, a device, a FIFO.
    force
        Replace an existing file (even an SQLite database) or overwrite a
        block device.

    Raises
    ------
    OverwriteError
        If ``path`` names an existing file (or a symbolic link to one) or a
        block device and ``force`` is false; nothing is written. The
        message names the path and says how to replace it.
    OverwriteError
        If ``path`` is a directory (even with ``force``).
    FileError
        If the file cannot be written (its directory is missing, say), naming
        ``path`` as given, not the temporary file; nothing is left behind.
    """
    name = os.fspath(path)
    how, real = refuse_overwrite(name, force=force)
    if how == "stdout":
        out = sys.stdout.buffer
        sys.stdout.flush()
        yield out
        out.flush()
    elif how in ("direct", "block"):
        with _named("write", name), open(real, "wb") as out:
            yield out
    else:
        with _named("write", name), _replacing(name, Path(real), replace=force) as out:
            yield out


@contextlib.contextmanager
def _replacing(name: str, target: Path, *, replace: bool) -> Iterator[IO[bytes]]:
    """Write a temporary file beside ``target``, then move it into place:
    renamed over ``target`` if ``replace``, else linked to the name, which
    fails if it was taken meanwhile (``name`` is the path as given)."""
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        os.chmod(temporary, file_mode_for(target))
        with os.fdopen(handle, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        if replace:
            os.replace(temporary, target)
        else:
            _link_new(name, temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    fsync_directory(target.parent)


def _link_new(name: str, temporary: str, target: Path) -> None:
    """Give the written ``temporary`` the name ``target``, never replacing a
    file another process created there since the check."""
    try:
        os.link(temporary, target)
    except FileExistsError:
        raise _refused(name, _EXISTS) from None
    except OSError:  # a file system without hard links: check, then rename
        if os.path.lexists(target):
            raise _refused(name, _EXISTS) from None
        os.replace(temporary, target)
    else:
        os.unlink(temporary)


@contextlib.contextmanager
def writing_text(
    path: str | os.PathLike[str], *, force: bool = False, newline: str | None = "\n"
) -> Iterator[IO[str]]:
    """:func:`writing`, as UTF-8 text (``newline`` as for :func:`open`)."""
    with writing(path, force=force) as binary:
        text = io.TextIOWrapper(binary, encoding="utf-8", newline=newline)
        try:
            yield text
            text.flush()
        finally:
            text.detach()  # the binary file is closed (or kept: stdout) above
