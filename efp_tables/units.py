"""The pint registry, used at the boundary only: parsing inputs, converting to a column's canonical unit,
naming units in outputs. Inside a plan every quantity is a Float64 in its column's canonical unit."""
from __future__ import annotations

import math
import re
from functools import lru_cache

import pint

from efp_tables.errors import ModelError

ureg = pint.UnitRegistry()  # pint's year is the julian year (365.25 days), as in efootprint
for _definition in (
    "cpu_core = [cpu_core]",
    "gpu = [gpu]",
    "bit_ram = [information_ram]",
    "byte_ram = 8 * bit_ram = B_ram",
    "bit_stored = [information_stored]",
    "byte_stored = 8 * bit_stored = B_stored",
    "occurrence = []",  # events that are summed
    "concurrent = []",  # counts in progress that are averaged
    "user = []",
    "billion = []",  # EcoLogits' parameter counts, as efootprint defines it
):
    ureg.define(_definition)
Quantity = ureg.Quantity
# "50 g/kWh": a plain number and a unit, split without pint's expression parser (several times slower);
# anything else ("1/2 year", "2 * 3 MB") goes through that parser.
_NUMBER_THEN_UNIT = re.compile(r"\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([^\d\s(*/+-][^*+]*?)?\s*")


@lru_cache(maxsize=512)
def parse_unit(text: str) -> pint.Unit:
    return ureg.Unit(text or "dimensionless")


def _factor(source: pint.Unit, target: str) -> float:
    return float(Quantity(1.0, source).to(parse_unit(target)).magnitude)


def to_canonical(value, canonical: str, *, obj: str, attribute: str) -> float:
    """Convert an input (pint Quantity, "100 g/kWh", {"value", "unit"} JSON dict, or a bare number for a
    dimensionless column) to a float in `canonical`. Raises ModelError on anything else."""
    if isinstance(value, dict):
        if "value" not in value:
            raise ModelError(obj, attribute, value, f'a quantity {{"value": ..., "unit": ...}} in {canonical}')
        magnitude, unit = value["value"], value.get("unit", "dimensionless")
        if magnitude is None:
            raise ModelError(obj, attribute, value, f"a number in {canonical}, not an empty value")
        quantity = _make(magnitude, unit, obj, attribute, canonical)
    elif isinstance(value, str):
        try:
            quantity = _split_quantity(value)
        except Exception as exc:
            raise ModelError(obj, attribute, value, f"a quantity in {canonical} such as '1 {canonical}' ({exc})") from None
        if not isinstance(quantity, pint.Quantity):  # a bare number in a string
            quantity = Quantity(float(quantity), "dimensionless")
    elif isinstance(value, pint.Quantity):
        quantity = _make(value.magnitude, str(value.units), obj, attribute, canonical)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        quantity = Quantity(_float(value, obj, attribute, canonical), "dimensionless")
    else:
        raise ModelError(obj, attribute, value, f"a quantity in {canonical}")
    try:
        result = float(quantity.to(parse_unit(canonical)).magnitude)
    except pint.DimensionalityError:
        raise ModelError(obj, attribute, f"{quantity.magnitude} {quantity.units}",
                         f"a quantity convertible to {canonical}") from None
    if not math.isfinite(result):
        raise ModelError(obj, attribute, value, f"a finite number in {canonical}")
    return result + 0.0  # -0.0 as 0.0


def _split_quantity(text: str) -> pint.Quantity:
    match = _NUMBER_THEN_UNIT.fullmatch(text)
    if match:
        try:
            number = match[1]
            magnitude = int(number) if number.lstrip("+-").isdigit() else float(number)  # as pint's parser reads it
            return Quantity(magnitude, parse_unit(match[2] or ""))
        except Exception:  # an unknown unit: pint's parser says why
            pass
    return Quantity(text)


def _float(number: int | float, obj: str, attribute: str, canonical: str) -> float:
    try:
        return float(number)
    except OverflowError:  # an integer beyond float range
        raise ModelError(obj, attribute, number, f"a finite number in {canonical}") from None


def _make(magnitude, unit, obj, attribute, canonical) -> pint.Quantity:
    if isinstance(magnitude, bool) or not isinstance(magnitude, (int, float)):
        raise ModelError(obj, attribute, magnitude, f"a number in {canonical}")
    magnitude = _float(magnitude, obj, attribute, canonical)
    try:
        return Quantity(magnitude, parse_unit(str(unit)))
    except Exception as exc:
        reason = f" ({exc})" if isinstance(exc, pint.errors.UndefinedUnitError) else ""
        raise ModelError(obj, attribute, f"{magnitude} {unit}",
                         f"a quantity in a known unit convertible to {canonical}{reason}") from None


# pint's symbols, but a year, a day and an hour by name ("a" is pint's annum; "7 h/d" reads badly)
_NAMED_SYMBOLS = {"a": "year", "d": "day", "h": "hour"}
# what a chart axis says of an amount in a unit of our own
_PLURALS = {"occurrence": "occurrences", "cpu_core": "CPU cores", "gpu": "GPUs"}


def unit_symbol(unit: str) -> str:
    """A unit as people write it and as pint (a grid, a change) reads it back: 'g/kWh', 'MB_stored', 'year';
    '' for dimensionless."""
    if not unit or unit == "dimensionless":
        return ""
    return re.sub(r"(?<!\w)(a|d|h)(?!\w)", lambda m: _NAMED_SYMBOLS[m[1]], format(parse_unit(unit), "~C"))


def unit_label(unit: str) -> str:
    """A unit for a reader (a chart axis): 'kWh', 'occurrences', 'GB RAM', 'CPU cores'; 'value' for none. A
    text that is no pint unit (a label a caller made) is shown as it is."""
    try:
        label = unit_symbol(unit).replace("_ram", " RAM").replace("_stored", " stored")
    except (pint.errors.PintError, ValueError, SyntaxError):
        return unit
    return _PLURALS.get(label, label) or "value"


def convert(values: float, source: str, target: str) -> float:
    """Scale factor helper for display/export: a magnitude in `source` expressed in `target`."""
    return values * _factor(parse_unit(source), target)
