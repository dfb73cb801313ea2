"""The same input gives the same bits on every run: sums add their series in an order fixed by their keys, not by
the order in which joins of small tables or threads happen to deliver rows."""
import pytest

from conftest import REFERENCE
from efp_tables.compute import compute
from efp_tables.io.efootprint_json import read_model


@pytest.mark.parametrize("scenario", ["ecommerce", "quickstart_llm"])
def test_every_stage_has_the_same_bits_on_every_run(scenario):
    model = read_model(REFERENCE / f"{scenario}.json")
    first = compute(model).collected
    for _ in range(3):
        again = compute(model).collected
        for name, frame in first.items():
            assert again[name].equals(frame), name
