"""Shared test settings: hypothesis profiles, and one Spark session.

``HYPOTHESIS_PROFILE=thorough python -m pytest`` runs ten times the examples;
``HYPOTHESIS_PROFILE=fuzz python -m pytest tests/test_fuzz.py`` runs the
readers' fuzz suite with 2000 examples per reader (40, or 15 for the
command line, by default).
"""

import os

import pytest
from hypothesis import HealthCheck, settings

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
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


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
