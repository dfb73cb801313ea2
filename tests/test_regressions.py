"""Small models on which efp_tables once differed from efootprint 27.0.0 (found by the differential tests),
with efootprint's own results saved next to them (tests/data/regressions, made with
../shared/tools/efootprint_dump.py)."""
from pathlib import Path

import polars as pl
import pytest

from conftest import parity
from efp_tables.compute import compute
from efp_tables.io.efootprint_json import read_model

DATA = Path(__file__).parent / "data" / "regressions"
CASES = {
    "dst_ireland": "a pattern starting in Dublin's spring gap (pytz: offset before the jump)",
    "dst_morocco": "Casablanca's end of Ramadan time (a gap pytz reads with the earlier offset)",
    "dst_kazakhstan": "Almaty's last change to +5 (a repeated hour pytz reads as the later instant)",
    "dst_france": "Paris' spring gap",
    "unreached_objects": "a step in no journey sharing a job: its other job's server and storage still count",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_regression_matches_efootprint(case):
    ours = compute(read_model(DATA / f"{case}.json")).long().drop("system_id")
    assert parity().compare(ours, pl.read_parquet(DATA / f"{case}.results.parquet"), show=10), CASES[case]
