"""A throwaway PostgreSQL server for tests: started, used, removed.

:class:`TemporaryServer` runs ``initdb`` and ``pg_ctl`` from the local
PostgreSQL installation (``pg_config --bindir``, else the newest
``/usr/lib/postgresql/*/bin``) to start a private cluster in a temporary
directory, listening on 127.0.0.1 and a free port, with ``trust``
authentication for its own superuser. PostgreSQL refuses to run as root, so a
root process runs the server programs as the ``postgres`` user, in a directory
that user owns. :meth:`TemporaryServer.stop` stops the server and removes the
directory. favorledger's own tests, benchmarks and load tests use it; your
tests may too.

Examples
--------
>>> server = TemporaryServer() if find_bindir() else None
>>> if server is not None:  # doctest: +SKIP
...     with server:
...         print(server.url("favors"))
postgresql://postgres@127.0.0.1:.../favors
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Final, Self

__all__ = ["TemporaryServer", "find_bindir"]

_PROGRAMS: Final = ("initdb", "pg_ctl", "postgres")


def find_bindir() -> str | None:
    """The directory of PostgreSQL's server programs, or None if there is none.

    ``pg_config --bindir`` is asked first (it names the installation the
    client headers belong to); otherwise the newest of
    ``/usr/lib/postgresql/*/bin`` (Debian's layout) that has ``initdb``,
    ``pg_ctl`` and ``postgres``.
    """
    candidates: list[str] = []
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        try:
            found = subprocess.run(
                [pg_config, "--bindir"],
                capture_output=True,
                text=True,
                check=True,
                timeout=30,
            )
            candidates.append(found.stdout.strip())
        except (OSError, subprocess.SubprocessError):
            pass
    candidates.extend(
        sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True)
    )
    for bindir in candidates:
        if all(os.access(os.path.join(bindir, p), os.X_OK) for p in _PROGRAMS):
            return bindir
    return None


def _version(bindir: str) -> tuple[int, ...]:
    name = os.path.basename(os.path.dirname(bindir))
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class TemporaryServer:
    """A private PostgreSQL cluster on 127.0.0.1, removed when stopped.

    Parameters
    ----------
    bindir
        Where ``initdb``, ``pg_ctl`` and ``postgres`` are (default:
        :func:`find_bindir`).
    settings
        Server settings passed as ``-c name=value`` (for example
        ``{"max_connections": "200"}``). ``fsync`` stays on: the tests
        rely on durability.

    Raises
    ------
    FileNotFoundError
        If no PostgreSQL server programs are installed.
    """

    user: Final = "postgres"
    """The cluster's superuser (trust authentication, loopback only)."""

    def __init__(
        self, bindir: str | None = None, settings: Mapping[str, str] | None = None
    ) -> None:
        found = bindir or find_bindir()
        if found is None:
            raise FileNotFoundError(
                "no PostgreSQL server programs (initdb, pg_ctl, postgres) found:"
                " install PostgreSQL (Debian: apt-get install postgresql-15)"
            )
        self.bindir = found
        self.settings = dict(settings or {})
        self.directory = ""
        self.port = 0
        self._as_postgres = os.geteuid() == 0

    # ---------------------------------------------------------- the cluster
    @property
    def data(self) -> str:
        """The cluster's data directory."""
        return os.path.join(self.directory, "data")

    @property
    def log(self) -> str:
        """The server's log file."""
        return os.path.join(self.directory, "server.log")

    def url(self, dbname: str = "postgres") -> str:
        """A connection URL for database ``dbname`` as the superuser."""
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def start(self) -> Self:
        """Create the cluster and start the server (once); returns self."""
        if self.directory:
            return self
        self.directory = tempfile.mkdtemp(prefix="favorledger-pg-")
        os.chmod(self.directory, 0o700)
        if self._as_postgres:
            entry = pwd.getpwnam("postgres")
            os.chown(self.directory, entry.pw_uid, entry.pw_gid)
        try:
            self.run(
                "initdb",
                [
                    *("-D", self.data, "-U", self.user, "--auth=trust"),
                    *("-E", "UTF8", "--locale=C", "--no-sync"),
                ],
            )
            for _ in range(5):  # another process may take the port first
                self.port = _free_port()
                if self._pg_ctl("start", check=False).returncode == 0:
                    return self
            raise RuntimeError(f"PostgreSQL did not start: see {self._tail()}")
        except BaseException:
            self._remove()
            raise

    def restart(self, mode: str = "fast") -> None:
        """Restart the server (``pg_ctl restart -m mode``), dropping every
        connection; returns when it accepts connections again."""
        self._pg_ctl("restart", "-m", mode)

    def stop(self) -> None:
        """Stop the server and remove its directory (idempotent)."""
        if not self.directory:
            return
        try:
            self._pg_ctl("stop", "-m", "immediate", check=False)
        finally:
            self._remove()

    def _pg_ctl(
        self, action: str, *extra: str, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        options = [
            f"-p {self.port}",
            "-h 127.0.0.1",
            f"-k {self.directory}",
            *(f"-c {name}={value}" for name, value in self.settings.items()),
        ]
        return self.run(
            "pg_ctl",
            [
                *("-D", self.data, "-l", self.log, "-w", "-t", "60"),
                *("-o", " ".join(options), action, *extra),
            ],
            check=check,
        )

    def _remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory = ""

    def _tail(self) -> str:
        try:
            with open(self.log, encoding="utf-8", errors="replace") as file:
                return file.read()[-2000:]
        except OSError:
            return self.log

    # ----------------------------------------------------------- programs
    def command(self, program: str, arguments: Sequence[str]) -> list[str]:
        """The argument list that runs ``program`` from :attr:`bindir`."""
        return [os.path.join(self.bindir, program), *arguments]

    def run(
        self,
        program: str,
        arguments: Sequence[str],
        *,
        check: bool = True,
        timeout: float = 300,
    ) -> subprocess.CompletedProcess[str]:
        """Run one of PostgreSQL's programs (as ``postgres`` when root).

        Raises
        ------
        RuntimeError
            If ``check`` and the program fails (with its output).
        """
        done = subprocess.run(
            self.command(program, arguments),
            capture_output=True,
            text=True,
            timeout=timeout,
            user="postgres" if self._as_postgres else None,
            group="postgres" if self._as_postgres else None,
            extra_groups=[] if self._as_postgres else None,
            cwd=self.directory or None,
            env=self._environment(),
        )
        if check and done.returncode != 0:
            raise RuntimeError(
                f"{program} {' '.join(arguments)} failed ({done.returncode}):\n"
                f"{done.stdout}{done.stderr}"
            )
        return done

    def _environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        if self.port:
            env.update(PGHOST="127.0.0.1", PGPORT=str(self.port), PGUSER=self.user)
        return env

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        """Run ``sql`` with ``psql`` (stopping at the first error); its output."""
        return self.run(
            "psql",
            [
                *("-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"),
                *("-U", self.user, "-d", dbname, "-c", sql),
            ],
        ).stdout

    def create_database(self, dbname: str) -> str:
        """Create database ``dbname``; returns its URL."""
        self.psql(f'CREATE DATABASE "{dbname}"')
        return self.url(dbname)

    # ------------------------------------------------------------ context
    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
