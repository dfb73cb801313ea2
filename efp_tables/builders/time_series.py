"""Hourly input series: the seeds' time builders, efootprint 27's form inputs, and efootprint's compressed
JSON encoding. A series is an `HourlySeries`: a start (naive local datetime) and one float per hour.

Input series hold float32 values, built with float32 arithmetic, because efootprint's hourly inputs are float32:
a series built here is then bit for bit the series efootprint builds (its JSON stores float32 too). Everything
computed from them downstream is Float64."""
from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import polars as pl

from efp_tables.errors import ModelError
from efp_tables.units import to_canonical

EPOCH = datetime(1970, 1, 1)
_DAYS = {"day": 1, "month": 30, "year": 365}  # efootprint's form inputs count a year as 365 days
_MAX_FORM_DAYS = 100 * 365  # as efp_tables.tables.model.MAX_PERIOD_HOURS
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def epoch_hours(moment: datetime) -> int:
    moment = moment.replace(tzinfo=None)
    if moment.minute or moment.second or moment.microsecond:
        raise ModelError("hourly series", "start_date", moment.isoformat(), "a whole hour")
    return (moment - EPOCH) // timedelta(hours=1)


@dataclass(frozen=True)
class HourlySeries:
    start: datetime
    values: np.ndarray  # float32, one value per hour from `start`

    def __post_init__(self):
        with np.errstate(over="ignore", invalid="ignore"):  # too large for float32: inf, rejected below
            values = np.asarray(self.values, dtype=np.float32)
        if values.ndim != 1 or values.size == 0:
            raise ModelError("hourly series", "values", f"{values.size} values", "at least one value per hour")
        if not np.isfinite(values).all():
            raise ModelError("hourly series", "values", "non-finite values", "finite numbers")
        object.__setattr__(self, "values", values)

    def __len__(self) -> int:
        return self.values.size

    @property
    def hours(self) -> np.ndarray:
        return epoch_hours(self.start) + np.arange(self.values.size, dtype=np.int64)

    def _aligned(self, other) -> tuple[datetime, np.ndarray, np.ndarray]:
        # Series of different ranges align on the union of their hours, missing hours being 0 (as efootprint).
        if not isinstance(other, HourlySeries):
            return self.start, self.values, np.full(self.values.size, other, dtype=np.float32)
        start = min(self.start, other.start)
        end = max(self.start + timedelta(hours=len(self)), other.start + timedelta(hours=len(other)))
        n = (end - start) // timedelta(hours=1)
        a, b = np.zeros(n, dtype=np.float32), np.zeros(n, dtype=np.float32)
        i, j = (self.start - start) // timedelta(hours=1), (other.start - start) // timedelta(hours=1)
        a[i:i + len(self)], b[j:j + len(other)] = self.values, other.values
        return start, a, b

    def __add__(self, other):
        start, a, b = self._aligned(other)
        return HourlySeries(start, a + b)

    def __mul__(self, other):
        start, a, b = self._aligned(other)
        return HourlySeries(start, a * b)

    __radd__, __rmul__ = __add__, __mul__

    def to_frame(self) -> pl.DataFrame:
        return pl.DataFrame({"hour": self.hours, "value": self.values.astype(np.float64)})

    def sum(self) -> float:
        return float(self.values.sum(dtype=np.float64))


def _hours_in(timespan) -> int:
    return int(to_canonical(timespan, "hour", obj="time builder", attribute="timespan"))


def _start(start_date) -> datetime:
    return start_date if start_date is not None else datetime(2025, 1, 1)


def from_list(values, start_date: datetime | None = None) -> HourlySeries:
    return HourlySeries(_start(start_date), np.asarray(values, dtype=np.float32))


def linear_growth_hourly_values(timespan, start_value: float, end_value: float,
                                start_date: datetime | None = None) -> HourlySeries:
    """From start_value to end_value in equal steps over the timespan (both ends included)."""
    return HourlySeries(_start(start_date), np.linspace(start_value, end_value, _hours_in(timespan)))  # -> float32


def sinusoidal_fluct_hourly_values(timespan, sin_fluct_amplitude: float, sin_fluct_period_in_hours: float,
                                   start_date: datetime | None = None) -> HourlySeries:
    """amplitude * sin(2 pi t / period), t the hour index."""
    t = np.arange(_hours_in(timespan), dtype=np.float32)
    angle = np.float32(2 * np.pi) * t / np.float32(sin_fluct_period_in_hours)
    return HourlySeries(_start(start_date), np.float32(sin_fluct_amplitude) * np.sin(angle))


def daily_fluct_hourly_values(timespan, fluct_scale: float, hour_of_day_for_min_value: int = 4,
                              start_date: datetime | None = None) -> HourlySeries:
    """A daily wave between 1 - scale (at hour_of_day_for_min_value, local) and 1 + scale (12 hours later)."""
    if not 0 < fluct_scale <= 1:
        raise ModelError("daily_fluct_hourly_values", "fluct_scale", fluct_scale, "a number in (0, 1]")
    start = _start(start_date)
    hours_from_min = ((start.hour + np.arange(_hours_in(timespan))) % 24 - hour_of_day_for_min_value).astype(np.float32)
    phase = np.float32(3 * np.pi / 2) + np.float32(2 * np.pi) * hours_from_min / np.float32(24)
    return HourlySeries(start, 1 + np.float32(fluct_scale) * np.sin(phase))


def from_form_inputs(form: dict, where: str = "UsagePattern") -> HourlySeries:
    """efootprint 27's form inputs: an initial volume per timespan growing by a net rate per timespan, spread
    evenly over the 24 hours of each day.

    Calculation: g = (1 + rate/100)^(1/days(rate timespan)); E = sum_{d < T} g^d with T = days(volume timespan);
    daily[d] = initial_volume / E * g^d; hourly = daily / 24."""
    needed = ("start_date", "modeling_duration_value", "modeling_duration_unit", "initial_volume",
              "initial_volume_timespan", "net_growth_rate_in_percentage", "net_growth_rate_timespan")
    if not isinstance(form, dict):
        raise ModelError(where, "hourly_occurrences.form_inputs", form, "an object of form inputs")
    missing = [k for k in needed if k not in form]
    if missing:
        raise ModelError(where, "hourly_occurrences.form_inputs", sorted(form), f"the keys {missing} as well")
    for key in ("modeling_duration_unit", "initial_volume_timespan", "net_growth_rate_timespan"):
        if not isinstance(form[key], str) or form[key] not in _DAYS:
            raise ModelError(where, f"hourly_occurrences.form_inputs.{key}", form[key], f"one of {sorted(_DAYS)}")
    try:
        start = datetime.strptime(str(form["start_date"]), "%Y-%m-%d")
    except ValueError:
        raise ModelError(where, "hourly_occurrences.form_inputs.start_date", form["start_date"],
                         "a date as YYYY-MM-DD") from None

    def number(key: str, expected: str, ok) -> float:
        value = form[key]
        try:
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise ValueError(value)
            result = float(value)
        except (ValueError, OverflowError):
            result = math.nan
        if not (math.isfinite(result) and ok(result)):
            raise ModelError(where, f"hourly_occurrences.form_inputs.{key}", value, expected)
        return result

    duration = number("modeling_duration_value", "a number of at least one day in all", lambda x: x > 0)
    volume = number("initial_volume", "a finite number >= 0", lambda x: x >= 0)
    rate = number("net_growth_rate_in_percentage", "a finite number of percent above -100", lambda x: x > -100)
    days = duration * _DAYS[form["modeling_duration_unit"]]
    if not 1 <= days <= _MAX_FORM_DAYS:
        raise ModelError(where, "hourly_occurrences.form_inputs.modeling_duration_value", form[
            "modeling_duration_value"], f"a modeling duration of at least one day and at most {_MAX_FORM_DAYS} days "
                                        f"(in {form['modeling_duration_unit']}s)")
    days = int(days)
    growth = np.float64((1 + rate / 100) ** (1 / _DAYS[form["net_growth_rate_timespan"]]))  # numpy: inf, no raise
    span = _DAYS[form["initial_volume_timespan"]]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        first_span_total = span if growth == 1 else (growth ** span - 1) / (growth - 1)
        hourly = volume / first_span_total * growth ** np.arange(days, dtype=np.float64) / 24
    worst = np.flatnonzero(~(hourly <= _FLOAT32_MAX))
    if worst.size:
        raise ModelError(where, "hourly_occurrences.form_inputs", {k: form[k] for k in needed},
                         f"an initial_volume and a net_growth_rate_in_percentage giving at most {_FLOAT32_MAX:.3g} "
                         f"occurrences per hour (float32, as efootprint), not {float(hourly[worst[0]]):.3g} on day "
                         f"{int(worst[0])}")
    return HourlySeries(start, np.repeat(hourly, 24))


_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def decode_compressed(text: str, where: str, max_values: int | None = None) -> np.ndarray:
    """efootprint's compressed_values: base64 of a zstd frame of little-endian float32 values. At most
    `max_values` values are decompressed (a small frame can hold gigabytes of zeros)."""
    import binascii

    import zstandard
    attribute = "hourly_occurrences.compressed_values"
    shown = text[:40] + "..." if len(text) > 40 else text
    try:
        frame = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ModelError(where, attribute, shown,
                         f"base64 text of a zstandard frame of float32 values ({exc})") from None
    if not frame.startswith(_ZSTD_MAGIC):
        raise ModelError(where, attribute, shown, "base64 of a zstandard frame of float32 values "
                                                  "(the decoded bytes do not start as a zstandard frame)")
    limit = None if max_values is None else 4 * max_values
    try:
        declared = zstandard.frame_content_size(frame)
        if limit is not None and declared > limit:
            raise ModelError(where, attribute, f"{shown} ({declared // 4} values)", f"at most {max_values} values")
        if declared < 0 and limit is not None:  # no size in the header: decompress at most `limit` bytes
            zstandard.ZstdDecompressor().decompress(frame, max_output_size=limit)
        decompressor = zstandard.ZstdDecompressor().decompressobj()
        raw = decompressor.decompress(frame)
    except zstandard.ZstdError as exc:
        too_long = "did not decompress full frame" in str(exc) and limit is not None
        raise ModelError(where, attribute, shown, f"at most {max_values} values" if too_long else
                         f"base64 of a zstandard frame of float32 values ({exc})") from None
    if not decompressor.eof:
        raise ModelError(where, attribute, shown, "base64 of a complete zstandard frame of float32 values "
                                                  "(the frame is truncated)")
    if decompressor.unused_data:
        raise ModelError(where, attribute, shown, f"base64 of a single zstandard frame of float32 values "
                                                  f"({len(decompressor.unused_data)} bytes after the frame)")
    if len(raw) % 4:
        raise ModelError(where, attribute, f"{len(raw)} bytes", "a whole number of float32 values")
    return np.frombuffer(raw, dtype="<f4").astype(np.float32)


def encode_compressed(values: np.ndarray) -> str:
    import zstandard
    raw = np.asarray(values, dtype="<f4").tobytes()
    return base64.b64encode(zstandard.ZstdCompressor().compress(raw)).decode("ascii")
