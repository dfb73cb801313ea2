"""Weekly profiles: the 168 hourly values of a typical week (index 0 = local Monday 00:00) that edge needs
repeat over their deployments. efootprint 27 reads three JSON forms of them:
- {"recurring_values": "[v0, ..., v167]", "unit": U}: the values as written;
- {"form_inputs": {"constant_value": v, "constant_unit": U}}: one value for every hour;
- {"form_inputs": {"unit": U, "profiles": [{"name", "days": [0..6], "baseline", "ranges": [{"start", "end",
  "value"}]}]}}: named day profiles, each day (0 = Monday) in exactly one, a baseline overwritten on the hours
  start <= h < end of each range.
Values are float32, as efootprint holds them, returned in the caller's canonical unit. The Python API also takes
efootprint's own Python form (a pint Quantity of 168 values, `SourceRecurrentValues`' value) and a constant
("2 cpu_core"), through `week_from_input`."""
from __future__ import annotations

import json
from numbers import Integral, Real

import numpy as np
import pint

from efp_tables.errors import ModelError
from efp_tables.units import to_canonical

HOURS_PER_WEEK = 168
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def week_from_json(value, unit: str, owner: str, attribute: str) -> np.ndarray:
    """The 168 values of a weekly profile in any of efootprint's JSON forms, converted to `unit`."""
    if not isinstance(value, dict):
        raise ModelError(owner, attribute, value, "a weekly profile (recurring_values, or form_inputs)")
    form = value.get("form_inputs")
    if isinstance(form, dict) and "constant_value" in form:
        number = form.get("constant_value")
        _check_number(owner, f"{attribute}.form_inputs.constant_value", number)
        week, written = np.full(HOURS_PER_WEEK, number, dtype=np.float32), form.get("constant_unit")
    elif isinstance(form, dict) and "profiles" in form:
        week, written = _from_day_profiles(form, owner, f"{attribute}.form_inputs"), form.get("unit")
    elif "recurring_values" in value:
        week, written = _from_recurring_values(value["recurring_values"], owner, attribute), value.get("unit")
    else:
        raise ModelError(owner, attribute, sorted(value),
                         "recurring_values and unit, or form_inputs (constant_value, or unit and profiles)")
    return week_in_unit(week, written, unit, owner, attribute)


def week_from_input(value, unit: str, owner: str, attribute: str) -> np.ndarray:
    """A weekly profile given to the Python API: a pint Quantity of 168 values, a constant quantity ("2
    cpu_core", a Quantity or {"value", "unit"}) for every hour, or a dict in one of the JSON forms."""
    if isinstance(value, pint.Quantity) and np.ndim(value.magnitude) == 1:
        magnitude = np.asarray(value.magnitude)
        if magnitude.size == 0:
            raise ModelError(owner, attribute, "0 values",
                             f"exactly {HOURS_PER_WEEK} values (an empty weekly profile has no hours)")
        if not np.isfinite(magnitude.astype(np.float64)).all() or np.abs(magnitude).max() > _FLOAT32_MAX:
            raise ModelError(owner, attribute, "non-finite values", "finite numbers (float32)")
        return week_in_unit(magnitude, str(value.units), unit, owner, attribute)
    if isinstance(value, dict) and ("form_inputs" in value or "recurring_values" in value):
        return week_from_json(value, unit, owner, attribute)
    if isinstance(value, (str, pint.Quantity, dict)):
        constant = to_canonical(value, unit, obj=owner, attribute=attribute)
        return np.full(HOURS_PER_WEEK, np.float32(constant), dtype=np.float64)
    raise ModelError(owner, attribute, value, f"a weekly profile in {unit}: a pint Quantity of {HOURS_PER_WEEK} "
                     "values, a constant quantity, or a dict in efootprint's JSON forms")


# What a need of each component kind may take: workloads are a share of the component's time, compute, RAM and
# server calls cannot be negative; storage needs can (data deleted), down to what the storage holds.
def checked_week(week: np.ndarray, kind: str, owner: str, attribute: str) -> np.ndarray:
    low, high = float(week.min()), float(week.max())
    if kind == "workload" and (low < 0 or high > 1):
        raise ModelError(owner, attribute, f"values from {low:g} to {high:g}",
                         "a workload between 0 and 1 (a share of the component's time)")
    if kind in ("compute", "ram", "occurrence") and low < 0:
        raise ModelError(owner, attribute, f"values from {low:g} to {high:g}",
                         f"values of at least 0 ({'calls' if kind == 'occurrence' else kind} cannot be negative)")
    return week


def week_in_unit(week: np.ndarray, written, unit: str, owner: str, attribute: str) -> np.ndarray:
    """168 float32 values `week` in unit `written`, as float64 in `unit`."""
    week = np.asarray(week, dtype=np.float32)
    if week.shape != (HOURS_PER_WEEK,):
        raise ModelError(owner, attribute, f"{week.size} values", f"exactly {HOURS_PER_WEEK} values (7 x 24 hours)")
    if not isinstance(written, str) or not written.strip():
        raise ModelError(owner, f"{attribute}.unit", written, f"a unit convertible to {unit}")
    factor = to_canonical({"value": 1.0, "unit": written}, unit, obj=owner, attribute=f"{attribute}.unit")
    return week.astype(np.float64) * factor


def _check_number(owner: str, attribute: str, number) -> None:
    if isinstance(number, bool) or not isinstance(number, Real) or not abs(number) <= _FLOAT32_MAX:
        raise ModelError(owner, attribute, number, "a finite number (float32)")


def _from_recurring_values(text, owner: str, attribute: str) -> np.ndarray:
    try:
        values = json.loads(text) if isinstance(text, str) else text
    except json.JSONDecodeError:
        raise ModelError(owner, f"{attribute}.recurring_values", text, "a list of 168 numbers") from None
    if not isinstance(values, list) or not values:
        raise ModelError(owner, f"{attribute}.recurring_values", text,
                         f"a non-empty list of {HOURS_PER_WEEK} numbers (an empty weekly profile has no hours)")
    for i, number in enumerate(values):
        _check_number(owner, f"{attribute}.recurring_values[{i}]", number)
    if len(values) != HOURS_PER_WEEK:
        raise ModelError(owner, f"{attribute}.recurring_values", f"{len(values)} values",
                         f"exactly {HOURS_PER_WEEK} values (7 x 24 hours, from Monday 00:00)")
    return np.asarray(values, dtype=np.float32)


def _from_day_profiles(form: dict, owner: str, attribute: str) -> np.ndarray:
    profiles = form.get("profiles")
    if not isinstance(profiles, list) or not 1 <= len(profiles) <= 7:
        raise ModelError(owner, f"{attribute}.profiles", profiles,
                         "a list of 1 to 7 day profiles (an empty weekly profile has no hours)")
    week = np.zeros((7, 24), dtype=np.float32)
    owners: dict[int, str] = {}
    for at, profile in enumerate(profiles):
        where = f"{attribute}.profiles[{at}]"
        if not isinstance(profile, dict):
            raise ModelError(owner, where, profile, "a day profile object (name, days, baseline, ranges)")
        _check_number(owner, f"{where}.baseline", profile.get("baseline"))
        day_values = np.full(24, profile["baseline"], dtype=np.float32)
        ranges = profile.get("ranges")
        if not isinstance(ranges, list):
            raise ModelError(owner, f"{where}.ranges", ranges, "a list of hour ranges")
        previous_end = 0
        for r, hours in enumerate(ranges):
            here = f"{where}.ranges[{r}]"
            start, end = (hours.get("start"), hours.get("end")) if isinstance(hours, dict) else (None, None)
            if not (_hour(start, 0, 23) and _hour(end, 1, 24) and start < end):
                raise ModelError(owner, here, hours, "a range {start, end, value} with 0 <= start < end <= 24")
            if start < previous_end:
                raise ModelError(owner, f"{here}.start", start,
                                 f"ranges ordered by start hour, without overlap (the previous one ends at "
                                 f"{previous_end})")
            _check_number(owner, f"{here}.value", hours.get("value"))
            day_values[start:end] = hours["value"]
            previous_end = end
        days = profile.get("days")
        if not isinstance(days, list):
            raise ModelError(owner, f"{where}.days", days, "a list of days, 0 (Monday) to 6 (Sunday)")
        for day in days:
            if not _hour(day, 0, 6):
                raise ModelError(owner, f"{where}.days", days, "days from 0 (Monday) to 6 (Sunday)")
            if day in owners:
                raise ModelError(owner, f"{where}.days", days,
                                 f"each day in one profile only (day {day} is also in {owners[day]!r})")
            owners[day] = profile.get("name", str(at))
            week[day] = day_values
    missing = sorted(set(range(7)) - set(owners))
    if missing:
        raise ModelError(owner, f"{attribute}.profiles", [p.get("name") for p in profiles if isinstance(p, dict)],
                         f"every day from 0 (Monday) to 6 (Sunday) in a profile (days {missing} are in none)")
    return week.reshape(HOURS_PER_WEEK)


def _hour(value, low: int, high: int) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool) and low <= value <= high
