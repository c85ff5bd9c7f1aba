"""Serve the favor board in the background, for tests and the load run.

:func:`serving` starts ``python -m examples.webapp`` (uvicorn with several
worker processes) on 127.0.0.1 and a free port, waits until it answers, yields
its base URL, and stops it (its whole process group) afterwards.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx2 as httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(db: str, *, workers: int = 2, timeout: float = 60) -> Iterator[str]:
    """The board on store ``db`` with ``workers`` processes; yields its URL."""
    port = free_port()
    command = [sys.executable, "-m", "examples.webapp", "--db", db]
    command += ["--workers", str(workers), "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_until_up(process, url, timeout, log)
            yield url
        finally:
            _stop(process)


def _wait_until_up(
    process: subprocess.Popen[bytes], url: str, timeout: float, log: IO[bytes]
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the board did not start: {_output(log)}")
        try:
            if httpx.get(f"{url}/api/health", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the board did not answer within {timeout} s: {_output(log)}")


def _output(log: IO[bytes]) -> str:
    log.seek(0)
    text: str = log.read().decode(errors="replace")
    return text[-3000:]


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
