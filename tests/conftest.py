"""Shared test settings: hypothesis profiles.

``HYPOTHESIS_PROFILE=thorough python -m pytest`` runs ten times the examples;
``HYPOTHESIS_PROFILE=fuzz python -m pytest tests/test_fuzz.py`` runs the
readers' fuzz suite with 2000 examples per reader (40, or 15 for the
command line, by default).
"""

import os

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
