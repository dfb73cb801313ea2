"""Differential tests: random valid efootprint 27 systems, built with efootprint's Python API and saved with its
system_to_json, give the same results in efp_tables as in efootprint (by shared/tools/parity.py). Most systems
mix web usage patterns with edge ones (EdgeComputer, EdgeAppliance and bespoke EdgeDevices, shared and repeated
functions, server needs calling the web jobs, nested device groups), and many call EcoLogits GenAI and video
generation APIs from web steps and edge server needs; EFP_DIFFERENTIAL_EDGE=0 leaves edge out,
EFP_DIFFERENTIAL_GENAI=0 the external APIs.

The number of examples comes from EFP_DIFFERENTIAL_EXAMPLES (default 12, the CI share):

    EFP_DIFFERENTIAL_EXAMPLES=200 .venv/bin/pytest tests/test_differential.py

Examples are derandomized (the same ones on every run) unless EFP_DIFFERENTIAL_RANDOM=1. A failing example is
reported as found (each costs seconds, so shrinking one takes many minutes); EFP_DIFFERENTIAL_SHRINK=1 shrinks it.
"""
import os
import tempfile
from pathlib import Path

import efootprint_models as em  # first: it imports efootprint_dump before any other efootprint module
from hypothesis import HealthCheck, Phase, given, note, settings

EXAMPLES = int(os.environ.get("EFP_DIFFERENTIAL_EXAMPLES", "12"))
RANDOM = os.environ.get("EFP_DIFFERENTIAL_RANDOM") == "1"
PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target] + \
    ([Phase.shrink] if os.environ.get("EFP_DIFFERENTIAL_SHRINK") == "1" else [])


@settings(max_examples=EXAMPLES, deadline=None, derandomize=not RANDOM, database=None, print_blob=True, phases=PHASES,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(spec=em.system_specs())
def test_random_system_matches_efootprint(spec):
    note(em.spec_summary(spec))
    with tempfile.TemporaryDirectory(prefix="efp-differential-") as workdir:
        ok, report = em.differential_check(spec, Path(workdir))
    assert ok, report
