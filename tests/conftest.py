"""Shared test settings and fixtures (hypothesis profiles, PostgreSQL, Spark).

``HYPOTHESIS_PROFILE=thorough python -m pytest`` runs ten times the examples;
``HYPOTHESIS_PROFILE=fuzz python -m pytest tests/test_fuzz.py`` runs the
readers' fuzz suite with 2000 examples per reader (40, or 15 for the
command line, by default).

``postgres_server`` is one throwaway PostgreSQL server for the whole session
(started as the ``postgres`` user when the tests run as root, on 127.0.0.1 and
a free port, removed afterwards); ``postgres_url`` is a new, empty database on
it for each test that asks.
"""

import itertools
import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, Phase, settings

from favorledger.testing.postgres import TemporaryServer, find_bindir

settings.register_profile(
    "default",
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough", parent=settings.get_profile("default"), max_examples=1000
)
settings.register_profile(
    "fuzz", parent=settings.get_profile("default"), max_examples=2000
)
# tools/mutate.py: a failing example is enough to kill a mutant, so no
# shrinking (the slow part of a failure) and no example database
settings.register_profile(
    "mutation",
    parent=settings.get_profile("default"),
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
    database=None,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

_databases = itertools.count()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[TemporaryServer]:
    """A PostgreSQL server on 127.0.0.1, stopped and removed afterwards."""
    if find_bindir() is None:
        pytest.skip(
            "no PostgreSQL server programs (initdb, pg_ctl, postgres) on this"
            " machine: apt-get install postgresql-15"
        )
    with TemporaryServer() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: TemporaryServer) -> str:
    """The URL of a new, empty database on the session's server."""
    return postgres_server.create_database(f"test{next(_databases)}")


@pytest.fixture(scope="session")
def spark():
    """One Spark session in local mode for the whole test run (``-m spark``).

    Started on first use (about 5 s); pyspark comes with the ``dev`` extra.
    """
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .appName("favorledger-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
