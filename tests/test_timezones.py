"""UTC offsets of usage patterns: one offset per series, taken at its local start, as efootprint (pytz) does."""
from datetime import datetime, timedelta

import pytest
import pytz

from efp_tables.stages.usage import _EPOCH, _utc_offset_hours

CASES = [
    ("Europe/Paris", datetime(2025, 1, 1)),
    ("Europe/Paris", datetime(2025, 7, 1)),
    ("Europe/Paris", datetime(2024, 3, 31, 2)),  # spring gap: this hour does not exist
    ("Europe/Paris", datetime(2024, 10, 27, 2)),  # autumn overlap: this hour occurs twice
    ("Europe/London", datetime(2025, 3, 30, 1)),
    ("America/New_York", datetime(2025, 3, 9, 2)),
    ("America/New_York", datetime(2025, 11, 2, 1)),
    ("Asia/Kolkata", datetime(2025, 1, 1)),  # +5:30 rounds half to even: 6
    ("Asia/Kathmandu", datetime(2025, 1, 1)),  # +5:45 -> 6
    ("America/St_Johns", datetime(2025, 1, 1)),  # -3:30 -> -4
    ("Australia/Adelaide", datetime(2025, 1, 1)),  # +10:30 -> 10
    ("Europe/Dublin", datetime(2025, 3, 30, 1)),  # Irish "standard" time is the summer one
    ("Europe/Dublin", datetime(2025, 10, 26, 1)),
    ("Africa/Casablanca", datetime(2025, 4, 6, 2)),  # Ramadan time ends: a gap
    ("Africa/Casablanca", datetime(2025, 2, 23, 2)),
    ("Asia/Almaty", datetime(2024, 2, 29, 23)),  # +6 -> +5 for good: a repeated hour
    ("Australia/Sydney", datetime(2025, 4, 6, 2)),
    ("Australia/Sydney", datetime(2025, 10, 5, 2)),
    ("America/Sao_Paulo", datetime(2018, 11, 4, 0)),  # a gap at midnight
]


@pytest.mark.parametrize(("zone", "local"), CASES)
def test_offset_equals_pytz_localize(zone, local):
    expected = round(pytz.timezone(zone).localize(local).utcoffset().total_seconds() / 3600)
    start = (local - _EPOCH) // timedelta(hours=1)
    assert _utc_offset_hours({"start": start, "timezone": zone}) == expected
