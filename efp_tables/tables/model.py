"""A model is the set of input tables of one or more systems. Building one validates it fully; the compute plan
then runs without checks.

Validation has three parts; the first two derive from the table definitions in `schema.py`:
- column names and dtypes: pandera's schema (`Table.schema`, the declared contract), on the frame's schema only
  (no data), remembered per (table, frame schema) since it does not depend on the data;
- value checks (nullability, finiteness, bounds, allowed values, unique key, links to existing ids): polars
  expressions evaluated in one pass, one `select` of "does any row fail" flags per table, all tables collected
  together; the first failing check is then located to name the object, the attribute and the value. A table
  whose checks surely pass, as its columns' null counts, extremes and ids show (`_Screen`), is not queried;
- rules a single table cannot state (`_structure_rules`), whose queries run in the same `collect_all`, but those
  whose result is surely empty.
"""
from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta

import numpy as np
import polars as pl

from efp_tables.builders.archetypes import cloud_instances, ecologits_models, rows_by_key
from efp_tables.engine import ENGINE, on_one_core_for
from efp_tables.errors import ModelError
from efp_tables.tables import schema as s
from efp_tables.tables.runs import run_starts


@dataclass(frozen=True)
class Model:
    systems: pl.DataFrame
    countries: pl.DataFrame
    devices: pl.DataFrame
    networks: pl.DataFrame
    storages: pl.DataFrame
    servers: pl.DataFrame
    services: pl.DataFrame
    jobs: pl.DataFrame
    usage_journey_steps: pl.DataFrame
    usage_journeys: pl.DataFrame
    usage_patterns: pl.DataFrame
    step_jobs: pl.DataFrame
    journey_steps: pl.DataFrame
    pattern_journeys: pl.DataFrame
    pattern_devices: pl.DataFrame
    system_usage_patterns: pl.DataFrame
    hourly_occurrences: pl.DataFrame
    external_apis: pl.DataFrame = None  # empty when the model calls no external API
    external_api_servers: pl.DataFrame = None
    edge_usage_patterns: pl.DataFrame = None  # edge tables: empty when the model has no edge objects
    edge_usage_journeys: pl.DataFrame = None  # edge tables: empty when the model has no edge objects
    edge_functions: pl.DataFrame = None  # edge tables: empty when the model has no edge objects
    edge_devices: pl.DataFrame = None  # edge tables: empty when the model has no edge objects
    edge_components: pl.DataFrame = None  # edge tables: empty when the model has no edge objects
    edge_device_needs: pl.DataFrame = None  # edge tables: empty when the model has no edge objects
    edge_component_needs: pl.DataFrame = None  # edge tables: empty when the model has no edge objects
    edge_server_needs: pl.DataFrame = None  # edge tables: empty when the model has no edge objects
    edge_device_groups: pl.DataFrame = None  # edge tables: empty when the model has no edge objects
    component_need_profiles: pl.DataFrame = None  # edge tables: empty when the model has no edge objects
    server_need_profiles: pl.DataFrame = None  # edge tables: empty when the model has no edge objects
    pattern_edge_journeys: pl.DataFrame = None  # edge tables: empty when the model has no edge objects
    journey_edge_functions: pl.DataFrame = None  # edge tables: empty when the model has no edge objects
    function_device_needs: pl.DataFrame = None  # edge tables: empty when the model has no edge objects
    function_server_needs: pl.DataFrame = None  # edge tables: empty when the model has no edge objects
    device_need_component_needs: pl.DataFrame = None  # edge tables: empty when the model has no edge objects
    server_need_jobs: pl.DataFrame = None  # edge tables: empty when the model has no edge objects
    group_subgroups: pl.DataFrame = None  # edge tables: empty when the model has no edge objects
    group_devices: pl.DataFrame = None  # edge tables: empty when the model has no edge objects
    system_edge_usage_patterns: pl.DataFrame = None  # edge tables: empty when the model has no edge objects
    edge_deployment_starts: pl.DataFrame = None  # edge tables: empty when the model has no edge objects

    def __post_init__(self):
        # a model built without the edge or external API tables has them empty
        for table in (*s.EDGE_TABLES, s.EXTERNAL_APIS, s.EXTERNAL_API_SERVERS):
            if getattr(self, table.name) is None:
                object.__setattr__(self, table.name, table.empty())

    @classmethod
    def from_rows(cls, rows: Mapping[str, list[dict] | pl.DataFrame],
                  frames: Mapping[str, pl.DataFrame | None] | None = None) -> "Model":
        """Build from plain row dicts per table name, or ready DataFrames (in `rows` or in `frames`, e.g. the
        hourly occurrences built from arrays), then validate. Missing tables are empty. DataFrames are cast to
        the table's schema (lossless casts only); row values must already have the column's type."""
        frames = {name: frame for name, frame in (frames or {}).items() if frame is not None}
        unknown = (set(rows) | set(frames)) - set(s.BY_NAME)
        if unknown:
            raise ModelError("model", "tables", sorted(unknown), f"table names among {sorted(s.BY_NAME)}")
        built = {}
        for table in s.TABLES:
            parts = []
            for given in (rows.get(table.name), frames.get(table.name)):
                if isinstance(given, (pl.DataFrame, pl.LazyFrame)):
                    parts.append(_cast_frame(table, given))
                elif given:
                    parts.append(frame_from_rows(table, given))
            built[table.name] = (parts[0] if len(parts) == 1 else pl.concat(parts) if parts else table.empty())
        return cls(**built).validated()

    def table(self, name: str) -> pl.DataFrame:
        return getattr(self, name)

    def items(self):
        for f in fields(self):
            yield f.name, getattr(self, f.name)

    @property
    def system_ids(self) -> list[str]:
        return self.systems["system_id"].to_list()

    def concat(self, other: "Model") -> "Model":
        """A portfolio: both models' rows in one model (system ids must differ)."""
        clash = set(self.system_ids) & set(other.system_ids)
        if clash:
            raise ModelError("portfolio", "system_id", sorted(clash), "distinct system ids across models")
        return Model(**{name: pl.concat([frame, other.table(name)]) for name, frame in self.items()}).validated()

    @property
    def hourly_rows(self) -> int:
        """Rows of the hourly inputs (usage patterns' occurrences, edge deployments): the size of a computation."""
        return self.hourly_occurrences.height + self.edge_deployment_starts.height

    def validated(self, series_run_starts: Mapping[str, np.ndarray] | None = None) -> "Model":
        """The model, once every check passes. `series_run_starts`: per series table (SERIES_VALUES), the first
        row of each of its runs, as tables.runs.run_starts finds them, where the frame's builder knows them."""
        for table in s.TABLES:
            _check_dtypes(table, self.table(table.name))
        _check_values(self, series_run_starts or {})  # and the rules across tables
        return self


# --- building frames ---------------------------------------------------------------------------------------

def _kind(dtype) -> str:
    if dtype == pl.String:
        return "text"
    if dtype == pl.Int64:
        return "whole number"
    if dtype == pl.Boolean:
        return "true or false"
    return "number"


def _fits(value, dtype) -> bool:
    if dtype == pl.String:
        return isinstance(value, str)
    if dtype == pl.Boolean or isinstance(value, bool):
        return isinstance(value, bool) and dtype == pl.Boolean
    if dtype == pl.Int64:
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    return isinstance(value, (int, float))


_NUMBERS = (pl.Float64, pl.Int64)
# Per table, the Python type of each column's values (None: of no column).
_VALUE_TYPES = {t.name: {column: {pl.String: str, pl.Float64: float, pl.Int64: int, pl.Boolean: bool}[dtype]
                         for column, dtype in t.columns.items()} for t in s.TABLES}


def _plain(rows: list, types: dict[str, type]) -> bool:
    """Every row a dict whose keys are columns and whose values are null or of their column's exact type."""
    for row in rows:
        if type(row) is not dict:
            return False
        for column, value in row.items():
            kind = types.get(column)
            if kind is None or (value is not None and type(value) is not kind):
                return False
    return True


def frame_from_rows(table: s.Table, rows: list[dict]) -> pl.DataFrame:
    """Rows to a frame of the table's schema. Polars would silently coerce (2 -> "2", 1.5 -> 1, True -> 1.0) or
    drop unknown keys: each column is built strictly (booleans refused in number columns, which Polars takes),
    and where that fails every value is checked, to name the bad one."""
    columns = table.columns
    if not isinstance(rows, list):
        raise ModelError(table.object_class or table.name, table.name, type(rows).__name__,
                         "a list of row dicts or a polars DataFrame")
    if _plain(rows, _VALUE_TYPES[table.name]):
        # every value of its column's exact type: nothing to coerce, one row-wise build (a third of the cost of
        # one strict Series per column, with the same frame); what it refuses (an integer beyond Int64, a lone
        # surrogate) goes the strict way below
        try:
            return pl.DataFrame(rows, schema=columns, orient="row")
        except (TypeError, ValueError, OverflowError, pl.exceptions.PolarsError):
            pass
    try:
        if not all(isinstance(row, dict) and row.keys() <= columns.keys() for row in rows):
            raise TypeError("a row that is not a dict, or a key of no column")
        series = []
        for name, dtype in columns.items():
            values = [row.get(name) for row in rows]
            if dtype in _NUMBERS and any(value is True or value is False for value in values):
                raise TypeError(f"a boolean in number column {name!r}")
            series.append(pl.Series(name, values, dtype=dtype, strict=True))
        return pl.DataFrame(series)
    except (TypeError, ValueError, OverflowError, pl.exceptions.PolarsError):
        pass
    for row in rows:
        if not isinstance(row, dict):
            raise ModelError(table.object_class or table.name, table.name, row, "a row dict")
        for column, value in row.items():
            dtype = columns.get(column)
            if dtype is None:
                obj, _ = _where(table, row, column, several_systems=False)
                raise ModelError(obj, column, value, f"a column of table {table.name!r} among {list(columns)}")
            if value is not None and not _fits(value, dtype):
                obj, attribute = _where(table, row, column, several_systems=False)
                raise ModelError(obj, attribute, value, f"a {_kind(dtype)}" + _unit_text(table, column))
    return pl.DataFrame(rows, schema=columns, orient="row")  # what a strict column refuses and _fits takes (2.0)


def _cast_frame(table: s.Table, frame: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """A ready frame in the table's column order and dtypes. Only lossless casts: numbers to numbers when the
    value is unchanged, all-null columns and categoricals to their column's dtype."""
    if isinstance(frame, pl.LazyFrame):
        frame = frame.collect(engine=ENGINE)
    columns = table.columns
    missing = [c for c in columns if c not in frame.columns]
    extra = [c for c in frame.columns if c not in columns]
    owner = table.object_class or table.name
    if missing or extra:
        column = missing[0] if missing else extra[0]
        raise ModelError(owner, column, "missing" if missing else "unknown column",
                         f"the columns of table {table.name!r}: {list(columns)}")
    casts = []
    for column, dtype in columns.items():
        actual = frame.schema[column]
        if actual == dtype:
            casts.append(pl.col(column))
            continue
        lossless = (actual == pl.Null or (actual.is_numeric() and dtype.is_numeric())
                    or (dtype == pl.String and isinstance(actual, (pl.Categorical, pl.Enum))))
        if not lossless:
            raise ModelError(owner, column, f"a column of {actual}", f"a column of {dtype} ({_kind(dtype)}s)")
        casts.append(pl.col(column).cast(dtype, strict=False))
    cast = frame.select(casts)
    for column, dtype in columns.items():
        actual = frame.schema[column]
        if actual != dtype and actual.is_numeric():
            changed = cast[column].cast(actual, strict=False).ne_missing(frame[column])
            if changed.any():
                row = frame.filter(changed).row(0, named=True)
                obj, attribute = _where(table, row, column, several_systems=False)
                raise ModelError(obj, attribute, row[column], f"a {_kind(dtype)}" + _unit_text(table, column))
    return cast


# --- column names and dtypes: pandera, on the schema only -------------------------------------------------

_PANDERA = {}
_DTYPES_OK: set[tuple] = set()
_DTYPE_CLASSES = {t.name: [dtype if isinstance(dtype, type) else type(dtype) for dtype in t.columns.values()]
                  for t in s.TABLES}


def pandera_schema(table: s.Table):
    """The table's pandera schema (built once)."""
    schema = _PANDERA.get(table.name)
    if schema is None:
        schema = _PANDERA[table.name] = table.schema
    return schema


def _check_dtypes(table: s.Table, frame) -> None:
    owner = table.object_class or table.name
    if not isinstance(frame, pl.DataFrame):
        raise ModelError(owner, table.name, type(frame).__name__, "a polars DataFrame")
    # Exactly the table's columns and dtypes, in order, is what pandera accepts: no need to load it (about 1 s).
    # A table's dtypes have no parameters: a column has one exactly when its dtype is an instance of it (classes
    # compared by identity, some 2x faster than Polars' dtype equality).
    if frame.columns == list(table.columns) and list(map(type, frame.dtypes)) == _DTYPE_CLASSES[table.name]:
        return
    signature = (table.name, tuple((name, repr(dtype)) for name, dtype in frame.schema.items()))
    if signature in _DTYPES_OK:
        return
    import pandera.errors
    try:  # a LazyFrame of no rows: pandera checks column names and dtypes only
        pandera_schema(table).validate(frame.head(0).lazy())
    except pandera.errors.SchemaError as exc:
        reason = getattr(exc.reason_code, "value", "")
        if reason == "column_not_in_dataframe":
            raise ModelError(owner, str(exc.failure_cases), "missing",
                             f"a column of table {table.name!r} ({exc})") from None
        if reason == "column_not_in_schema":
            raise ModelError(owner, str(exc.failure_cases), "unknown column",
                             f"only the columns of table {table.name!r}: {list(table.columns)}") from None
        column = getattr(exc.schema, "name", table.name)
        raise ModelError(owner, str(column), str(exc.failure_cases), f"{exc.check} ({exc})") from None
    _DTYPES_OK.add(signature)


# --- value checks: one pass over all tables ---------------------------------------------------------------

# Edge tables name the object that lists the edge: (owner class, owner column, efootprint attribute, other end).
_EDGES = {
    "step_jobs": ("UsageJourneyStep", "step_id", "jobs", "job_id"),
    "journey_steps": ("UsageJourney", "journey_id", "uj_steps", "step_id"),
    "pattern_journeys": ("UsagePattern", "usage_pattern_id", "usage_journeys", "journey_id"),
    "pattern_devices": ("UsagePattern", "usage_pattern_id", "devices", "device_id"),
    "system_usage_patterns": ("System", "system_id", "usage_patterns", "usage_pattern_id"),
    "hourly_occurrences": ("UsagePattern", "usage_pattern_id", "hourly_occurrences", "hour"),
    "pattern_edge_journeys": ("EdgeUsagePattern", "usage_pattern_id", "edge_usage_journeys", "edge_journey_id"),
    "journey_edge_functions": ("EdgeUsageJourney", "edge_journey_id", "edge_functions", "edge_function_id"),
    "function_device_needs": ("EdgeFunction", "edge_function_id", "recurrent_edge_device_needs", "device_need_id"),
    "function_server_needs": ("EdgeFunction", "edge_function_id", "recurrent_server_needs", "server_need_id"),
    "device_need_component_needs": ("RecurrentEdgeDeviceNeed", "device_need_id", "recurrent_edge_component_needs",
                                    "component_need_id"),
    "server_need_jobs": ("RecurrentServerNeed", "server_need_id", "jobs", "job_id"),
    "group_subgroups": ("EdgeDeviceGroup", "group_id", "sub_group_counts", "sub_group_id"),
    "group_devices": ("EdgeDeviceGroup", "group_id", "edge_device_counts", "edge_device_id"),
    "system_edge_usage_patterns": ("System", "system_id", "edge_usage_patterns", "usage_pattern_id"),
    "component_need_profiles": ("RecurrentEdgeComponentNeed", "component_need_id", "recurrent_need", "hour_of_week"),
    "server_need_profiles": ("RecurrentServerNeed", "server_need_id", "recurrent_volume_per_edge_device",
                             "hour_of_week"),
    "edge_deployment_starts": ("EdgeUsagePattern", "usage_pattern_id", "hourly_deployment_starts", "hour"),
}
_EPOCH = datetime(1970, 1, 1)


def _hour_text(hour) -> str:
    try:
        return (_EPOCH + timedelta(hours=int(hour))).isoformat(sep=" ", timespec="minutes")
    except (TypeError, ValueError, OverflowError):
        return repr(hour)


def _where(table: s.Table, row: dict, column: str, several_systems: bool) -> tuple[str, str]:
    """(object, attribute) of a cell, in the words of the object that holds it."""
    system = f" (system {row.get('system_id')!r})" if several_systems else ""
    if table.id:
        return f"{table.object_class} {row.get(table.id)!r}{system}", column
    if table.name == "systems":
        return f"System {row.get('system_id')!r}", column
    owner_class, owner_column, attribute, other = _EDGES[table.name]
    other_value = row.get(other)
    other_text = _hour_text(other_value) if other == "hour" else repr(other_value)
    if column == owner_column and column != "system_id":
        return f"{table.name} row {{{owner_column}: {row.get(owner_column)!r}, {other}: {other_text}}}{system}", column
    owner = f"{owner_class} {row.get(owner_column)!r}{system if owner_column != 'system_id' else ''}"
    if column == other:
        return owner, attribute
    if column == "system_id":
        return owner, f"{attribute}[{other_text}].system_id"
    if table.name == "hourly_occurrences":
        return owner, f"hourly_occurrences[{other_text}]"
    return owner, f"{attribute}[{other_text}].{column}"


# The longest modeling period: from the earliest hour of a system's usage patterns to the latest. The hourly
# frames of servers and storages are dense over it (a longer one is almost surely a typo in a start date).
MAX_PERIOD_HOURS = 100 * 365 * 24

# Limits of the computation that the table definitions do not state: a job's duration and a journey's duration
# are kernels convolved with every hour of a series (stages.hourly.in_progress), so they widen its series and
# its cost. A window longer than a year is almost surely a unit typo.
MAX_WINDOW_HOURS = 8760.0
_LIMITS = {("jobs", "request_duration"): MAX_WINDOW_HOURS, ("jobs", "video_duration"): MAX_WINDOW_HOURS}


def limited(table: s.Table, f: s.Field) -> s.Field:
    """The field with the computation's limits (`_LIMITS`) added to its bounds."""
    le = _LIMITS.get((table.name, f.name))
    if le is None:
        return f
    key = (table.name, f)
    if key not in _LIMITED:
        _LIMITED[key] = replace(f, le=le if f.le is None else min(f.le, le))
    return _LIMITED[key]


_LIMITED: dict[tuple[str, s.Field], s.Field] = {}


def _unit_text(table: s.Table, column: str) -> str:
    unit = table.units.get(column)
    return f" (in {unit})" if unit else ""


def bounds_text(f: s.Field) -> str:
    """What a quantity column accepts, in words: 'a finite number >= 0 (in megabyte)'."""
    parts = [f"{op} {bound:g}" for op, bound in ((">=", f.ge), (">", f.gt), ("<=", f.le)) if bound is not None]
    return "a finite number" + (" " + " and ".join(parts) if parts else "") + (f" (in {f.unit})" if f.unit else "")


def bounds_violated(f: s.Field, value: float) -> bool:
    """Whether a (canonical) value breaks the column's finiteness or bounds: the same rule as the fast path."""
    return (not math.isfinite(value) or (f.ge is not None and value < f.ge) or (f.gt is not None and value <= f.gt)
            or (f.le is not None and value > f.le))


# Magnitudes that keep every result finite: a footprint multiplies and divides some ten inputs (and sums up to
# a million hours), so each non-zero quantity stays within [MIN_MAGNITUDE, MAX_MAGNITUDE] in its canonical
# unit; float64 then cannot overflow, nor a division by a tiny lifespan or capacity. Hourly occurrences have
# their own limit (float32, as efootprint's).
MIN_MAGNITUDE, MAX_MAGNITUDE = 1e-15, 1e15


def magnitude_violated(value: float) -> bool:
    """Whether a finite non-zero (canonical) value lies outside [MIN_MAGNITUDE, MAX_MAGNITUDE] in magnitude."""
    return value != 0 and not MIN_MAGNITUDE <= abs(value) <= MAX_MAGNITUDE


def magnitude_text(f: s.Field | None, unit: str | None = None) -> str:
    """What a quantity column accepts, magnitudes included."""
    unit = (f.unit if f is not None else None) or unit
    zero = "" if f is not None and f.gt is not None and f.gt >= 0 else "0 or "
    base = bounds_text(f).removesuffix(f" (in {f.unit})") if f is not None else "a finite number"
    return (f"{base}, {zero}of magnitude between {MIN_MAGNITUDE:g} and {MAX_MAGNITUDE:g}"
            + (f" (in {unit})" if unit else ""))


def _magnitude_checked(table: s.Table, f: s.Field) -> bool:
    return f.dtype == pl.Float64 and table.name != "hourly_occurrences"


@dataclass(frozen=True)
class _Check:
    table: s.Table
    column: str
    fails: pl.Expr  # row-level: True where the row breaks the check (null counts as passing)
    expected: str


_STATIC_CHECKS: dict[str, list[_Check]] = {}


def _table_checks(table: s.Table) -> list[_Check]:
    """The checks of one table that depend on its Field definitions only (built once): nullability,
    finiteness, bounds and allowed values per column, then the unique key."""
    cached = _STATIC_CHECKS.get(table.name)
    if cached is not None:
        return cached
    checks = [_Check(table, "system_id", pl.col("system_id").is_null(), "a system id (text)")]
    for f in (limited(table, f) for f in table.fields):
        col = pl.col(f.name)
        if not f.nullable:
            checks.append(_Check(table, f.name, col.is_null(), "a value" + (f" (in {f.unit})" if f.unit else "")))
        if f.dtype == pl.Float64:
            checks.append(_Check(table, f.name, ~col.is_finite(), bounds_text(f)))
        if f.ge is not None:
            checks.append(_Check(table, f.name, col < f.ge, bounds_text(f)))
        if f.gt is not None:
            checks.append(_Check(table, f.name, col <= f.gt, bounds_text(f)))
        if f.le is not None:
            checks.append(_Check(table, f.name, col > f.le, bounds_text(f)))
        if f.isin is not None:
            checks.append(_Check(table, f.name, col.is_not_null() & ~col.is_in(list(f.isin)),
                                 f"one of {list(f.isin)}"))
        if _magnitude_checked(table, f):
            checks.append(_Check(table, f.name, (col != 0) & ~col.abs().is_between(MIN_MAGNITUDE, MAX_MAGNITUDE),
                                 magnitude_text(f)))
    unique_column = table.id or (_EDGES[table.name][3] if table.name in _EDGES else "system_id")
    what = (f"an id used by a single {table.object_class} of the system" if table.id
            else "a unique system id" if table.name == "systems"
            else "one value per hour" if table.name == "hourly_occurrences"
            else f"each {unique_column.removesuffix('_id')} listed once")
    *group, last = table.unique_key()
    # Duplicates of the last key column within groups of the others: on the hourly occurrences of a portfolio
    # (millions of rows) about 3x faster than hashing a struct of the whole key.
    duplicated = pl.col(last).is_duplicated().over(group) if group else pl.col(last).is_duplicated()
    checks.append(_Check(table, unique_column, duplicated, what))
    _STATIC_CHECKS[table.name] = checks
    return checks


def _link_checks(model: Model, tables: list[s.Table]) -> list[_Check]:
    """Every link column of `tables` holds the id of a row of its target table in the same system; every row's
    system_id is a system of the model."""
    if not tables:
        return []  # (imploding the systems' ids costs a query)
    # With a single system (the system_id check below then pins every row to it), ids alone are compared.
    single = model.systems.height == 1
    ids = {name: (model.table(name).get_column(s.BY_NAME[name].id) if single else
                  model.table(name).select(pl.struct("system_id", pl.col(s.BY_NAME[name].id).alias("id"))).to_series())
           .implode() for name in {target for table in tables for target in table.links.values()}}
    systems = model.systems["system_id"].implode()
    checks = []
    for table in tables:
        for column, target in table.links.items():
            ref = pl.col(column) if single else pl.struct("system_id", pl.col(column).alias("id"))
            checks.append(_Check(table, column, pl.col(column).is_not_null() & ~ref.is_in(ids[target]),
                                 f"the id of an existing {s.BY_NAME[target].object_class} of the same system"))
        if table.name != "systems":
            checks.append(_Check(table, "system_id", ~pl.col("system_id").is_in(systems),
                                 "the id of a system of the model"))
    return checks


# Tables of hourly series, keyed (system_id, usage_pattern_id, hour), and their value column. They hold most of a
# portfolio's rows (millions): their key checks run on their runs (`_series_runs`), a few rows per usage pattern.
SERIES_VALUES = {"hourly_occurrences": "occurrences", "edge_deployment_starts": "starts"}
_KEY_COLUMNS = ("system_id", "usage_pattern_id")  # of a series table: its runs' columns
_RUN_COLUMNS = {"system_id": pl.String, "usage_pattern_id": pl.String, "first": pl.Int64, "last": pl.Int64,
                "n": pl.Int64, "total": pl.Float64}
_TILE = 1 << 16  # rows of a series table compared at once (a tile's differences stay in the CPU's cache)
_NO_RUNS = pl.DataFrame(schema=_RUN_COLUMNS)  # an empty table's runs: built once (~30 us), copied (~1 us)


@dataclass(frozen=True)
class _Runs:
    """The runs of a series table: its maximal blocks of consecutive rows of one (system_id, usage_pattern_id),
    with their first and last hour, row count and sum of values."""
    frame: pl.DataFrame  # system_id, usage_pattern_id, first, last, n, total: one row per run
    consecutive: bool  # within every run, each hour is the previous one plus 1
    single: bool  # no (system_id, usage_pattern_id) has two runs

    @property
    def dense(self) -> bool:
        """No duplicate hour and no gap in any pattern's series: each pattern is one run of consecutive hours."""
        return self.consecutive and self.single

    def groups(self) -> pl.LazyFrame | None:
        """Per (system_id, usage_pattern_id): n, first, last and the values' total; None where the runs cannot
        tell (hours out of order within a run)."""
        if not self.consecutive:
            return None
        frame = self.frame.lazy()
        if not self.single:
            frame = frame.group_by("system_id", "usage_pattern_id").agg(
                pl.col("n").sum(), pl.col("first").min(), pl.col("last").max(), pl.col("total").sum())
        return frame


def _series_runs(frame: pl.DataFrame, value: str, starts: np.ndarray | None = None) -> _Runs | None:
    """A series table's runs, in a few linear passes (no hashing of its millions of rows); None when a key, hour or
    value is null (the value checks name it). `starts`: the runs' first rows, when known (else found here)."""
    if not frame.height:
        return _Runs(_NO_RUNS.clone(), True, True)
    if any(frame[c].null_count() for c in ("system_id", "usage_pattern_id", "hour", value)):
        return None
    if starts is None:
        starts = run_starts(frame, list(_KEY_COLUMNS))
    ends = np.append(starts[1:], frame.height) - 1
    hours = frame["hour"].to_numpy()
    steps = np.empty(hours.size - 1, dtype=bool)
    for i in range(0, steps.size, _TILE):  # in tiles: no array of every row's difference (3.9M rows: ~2x faster)
        np.equal(np.diff(hours[i:i + _TILE + 1]), 1, out=steps[i:i + _TILE])
    steps[starts[1:] - 1] = True  # a run's first hour follows nothing
    keys = pl.DataFrame([frame.get_column(c)[starts] for c in _KEY_COLUMNS])  # frame methods, not queries
    runs = keys.hstack([pl.Series("first", hours[starts]), pl.Series("last", hours[ends]),
                        pl.Series("n", ends - starts + 1),
                        pl.Series("total", np.add.reduceat(frame[value].to_numpy(), starts))])
    return _Runs(runs, bool(steps.all()), _distinct_rows(keys, _KEY_COLUMNS))


def _distinct_rows(frame: pl.DataFrame, columns) -> bool:
    """Whether no two rows of the frame have the same values in `columns` (nulls equal); False may be a doubt.
    Below 100 rows a Python set of tuples (some 0.14 us a row), else the rows' hashes (some 13 us plus 0.03 us a
    row; no query): equal rows hash equal, a collision (about n^2 / 2^65) only makes distinct rows look repeated."""
    if frame.height >= 100:
        return pl.DataFrame([frame.get_column(c) for c in columns]).hash_rows().n_unique() == frame.height
    return len(_tuples(frame, *columns)) == frame.height


class _Screen:
    """Whether a table's value checks and link checks surely all pass, read off each column's null count,
    minimum, maximum and sum (direct Polars calls of a microsecond, where the flags' queries cost some 15 us a
    check on tables of a few rows) and off Python sets of its ids. It mirrors `_table_checks` and `_link_checks`
    and may doubt (False) where they pass: their queries then run, and say which check fails first."""

    def __init__(self, model: Model):
        self.model = model
        # With a single system, links compare ids alone (as _link_checks does).
        self.single = model.systems.height == 1
        self.systems = set(model.systems.get_column("system_id").to_list())
        self.ids: dict[str, set] = {}

    def passes(self, table: s.Table, runs: _Runs | None) -> bool:
        frame = self.model.table(table.name)
        if not frame.height:
            return True  # no row, no failing check
        keys = frame  # where the key columns are read: a series table's runs hold their values, fewer times
        if table.name in SERIES_VALUES:
            if runs is None or not runs.dense:  # a null key, hour or value, a duplicate hour: let the checks say
                return False
            keys = runs.frame
        elif not _distinct_rows(frame, table.unique_key()):
            return False
        system_ids = keys.get_column("system_id")
        if system_ids.null_count() or (table.name != "systems" and not set(system_ids.to_list()) <= self.systems):
            return False
        for f in _screened_fields(table):
            column = (keys if f.name in _KEY_COLUMNS else frame).get_column(f.name)
            if column.null_count() and not f.nullable:
                return False
            if f.isin is not None and not set(column.to_list()) <= {None, *f.isin}:
                return False
            if f.dtype in _NUMBERS and not _numbers_pass(column, f, _magnitude_checked(table, f)):
                return False
            if f.link and not self._linked(column, system_ids, f.link):
                return False
        return True

    def _linked(self, column: pl.Series, system_ids: pl.Series, target: str) -> bool:
        if target not in self.ids:
            frame = self.model.table(target)
            ids = frame.get_column(s.BY_NAME[target].id).to_list()
            self.ids[target] = set(ids if self.single else zip(frame.get_column("system_id").to_list(), ids))
        if self.single:
            return set(column.to_list()) - self.ids[target] <= {None}
        unknown = set(zip(system_ids.to_list(), column.to_list())) - self.ids[target]
        return all(value is None for _, value in unknown)


_SCREENED_FIELDS: dict[str, tuple[s.Field, ...]] = {}


def _screened_fields(table: s.Table) -> tuple[s.Field, ...]:
    """The table's fields with the computation's limits (as _table_checks reads them)."""
    fields = _SCREENED_FIELDS.get(table.name)
    if fields is None:
        fields = _SCREENED_FIELDS[table.name] = tuple(limited(table, f) for f in table.fields)
    return fields


def _numbers_pass(column: pl.Series, f: s.Field, magnitude: bool) -> bool:
    """Whether the non-null values of a number column surely pass its finiteness, bounds and magnitude checks."""
    # a finite sum has no NaN nor infinity among its terms (an overflow to infinity only makes us doubt)
    if column.dtype == pl.Float64 and not math.isfinite(column.sum()):
        return False
    if f.ge is None and f.gt is None and f.le is None and not magnitude:
        return True
    low, high = column.min(), column.max()  # NaN-blind, hence the sum first
    if low is None:
        return True  # no value
    if ((f.ge is not None and not low >= f.ge) or (f.gt is not None and not low > f.gt)
            or (f.le is not None and not high <= f.le)):
        return False
    if not magnitude:
        return True
    if not max(-low, high) <= MAX_MAGNITUDE:
        return False
    if low > 0 or high < 0:  # no zero: the smallest magnitude is that of a bound
        return min(abs(low), abs(high)) >= MIN_MAGNITUDE
    values = column.to_numpy()  # a null is NaN: neither 0 nor below the smallest magnitude
    return not ((values != 0) & (np.abs(values) < MIN_MAGNITUDE)).any()


def _check_values(model: Model, series_run_starts: Mapping[str, np.ndarray]) -> None:
    """Every value check of every table, and the rules across tables, evaluated in one `collect_all`: one
    `select` of "does any row fail" flags per table (but tables that `_Screen` finds valid), plus the queries of
    the structure rules. Errors are raised in order: value checks first (table by table), then structure
    rules. `series_run_starts`: as Model.validated takes them."""
    runs = {name: _series_runs(model.table(name), value, series_run_starts.get(name))
            for name, value in SERIES_VALUES.items()}
    # Tables whose checks surely all pass need no flags: no check of theirs can be the first to fail.
    screen = _Screen(model)
    tables = [table for table in s.TABLES if not screen.passes(table, runs.get(table.name))]
    checks = [c for table in tables for c in _table_checks(table)] + _link_checks(model, tables)
    by_frame: dict[tuple[str, bool], list[int]] = {}  # (table, on its runs) -> checks
    for i, check in enumerate(checks):
        name, series = check.table.name, runs.get(check.table.name)
        if series is not None and series.dense and check is _table_checks(check.table)[-1]:
            continue  # the unique key (pattern, hour) holds: each pattern is one run of consecutive hours
        # checks of the key columns alone (not null, links) read the same values on the runs
        on_runs = series is not None and check.column in _KEY_COLUMNS
        by_frame.setdefault((name, on_runs), []).append(i)
    rules = _structure_rules(model, runs.get("hourly_occurrences"))
    # A table of no rows breaks no check: not querying it saves a Polars query per empty (edge) table.
    frames = {(name, on_runs): runs[name].frame if on_runs else model.table(name) for name, on_runs in by_frame}
    queries = [frames[key].lazy().select([checks[i].fails.any().alias(str(i)) for i in indexes])
               for key, indexes in by_frame.items() if frames[key].height]
    queries_of_rules = [query for query, _ in rules if isinstance(query, pl.LazyFrame)]
    results = []
    if queries or queries_of_rules:  # (pinning the threads costs some 0.2 ms: not for nothing, as on a valid model)
        with on_one_core_for(model.hourly_rows):
            results = pl.collect_all([*queries, *queries_of_rules], engine=ENGINE)
    flags, found = results[:len(queries)], iter(results[len(queries):])
    failed = sorted(int(column) for frame in flags for column, value in frame.row(0, named=True).items() if value)
    if failed:
        check = checks[failed[0]]
        row = model.table(check.table.name).filter(check.fails.fill_null(False)).row(0, named=True)
        obj, attribute = _where(check.table, row, check.column, several_systems=model.systems.height > 1)
        value = row[check.column]
        raise ModelError(obj, attribute, _hour_text(value) if check.column == "hour" else value, check.expected)
    for query, handle in rules:
        if query is not None:
            handle(next(found) if isinstance(query, pl.LazyFrame) else query)


# --- rules across tables ----------------------------------------------------------------------------------

_RESOLUTION = re.compile(r"\((\d+)\s*x\s*(\d+)\)")  # as the stage jobs.job_parameters reads it


def _structure_rules(model: Model, runs: _Runs | None = None
                     ) -> list[tuple[pl.LazyFrame | pl.DataFrame | list[dict] | None, Callable[..., None]]]:
    """Rules that a single table cannot state: classes that must match across links, one owner per
    storage, known cloud instances, every pattern with journeys and a dense hourly series. Each rule is a
    query (collected with the value checks), a frame or rows, and a handler that raises on it, in this order; no
    query (None) where its result is surely empty, read off the inputs for less than a query costs. `runs`: the hourly
    occurrences' runs, from which each pattern's hours and total are read when they can be."""
    servers = model.servers.lazy()
    server_classes = servers.select("system_id", "server_id", "server_class")
    classes = set(model.servers.get_column("server_class").to_list())
    class_of_server = _by_key(model.servers, "server_id", "server_class")
    series = (runs.groups() if runs is not None else None)
    if series is None:
        series = model.hourly_occurrences.lazy().group_by("system_id", "usage_pattern_id").agg(
            n=pl.len(), first=pl.col("hour").min(), last=pl.col("hour").max(), total=pl.col("occurrences").sum())
    series = series.with_columns(span=pl.col("last") - pl.col("first") + 1)
    keys = ["system_id", "usage_pattern_id"]
    patterns = _tuples(model.usage_patterns, "system_id", "usage_pattern_id")
    return [
        (None if _distinct(model.servers.get_column("storage_id")) else
         servers.filter(pl.col("storage_id").is_not_null()).group_by("system_id", "storage_id")
         .agg(pl.col("server_id").sort()).filter(pl.col("server_id").list.len() > 1)
         .sort("system_id", "storage_id").head(1), _shared_storage),
        (None if not model.jobs.height else _jobs_with_classes(model, class_of_server), _job_rows),
        (None if _tuples(model.external_apis, *_ECOLOGITS_KEY) <= rows_by_key(ecologits_models, _ECOLOGITS_KEY).keys()
         else _unknown_ecologits_models(model.external_apis.lazy()), _ecologits_model_error),
        (None if _one_server_per_api(model) else
         model.external_apis.lazy().join(model.external_api_servers.lazy(), on=["system_id", "external_api_id"],
                                         how="left", maintain_order="left_right")  # the first wrong API named
         .group_by("system_id", "external_api_id", "api_class", maintain_order=True)
         .agg(pl.col("external_api_server_id").drop_nulls(), pl.col("server_class").drop_nulls()),
         _external_api_servers),
        (model.services, _service_rows),
        (None if "GPUServer" not in classes or all(
            class_of_server.get(key) != ("GPUServer",) for key in _tuples(model.services, "system_id", "server_id"))
         else
         model.services.lazy().join(server_classes, on=["system_id", "server_id"], how="left", maintain_order="left")
         .filter(pl.col("server_class") == "GPUServer").head(1), _gpu_hosts),
        (model.servers, _check_server_columns),
        (None if _cloud_instances_known(model.servers) else _unknown_cloud_instances(servers), _cloud_instance_error),
        (None if patterns <= _tuples(model.pattern_journeys, "system_id", "usage_pattern_id") else
         model.usage_patterns.lazy().join(model.pattern_journeys.lazy().select(keys).unique(), on=keys, how="anti",
                                          maintain_order="left")
         .head(1), _patterns_without_journeys),
        (None if runs is not None and runs.dense else  # one run of consecutive hours per pattern: no gap
         series.filter(pl.col("n") != pl.col("span")).sort(keys).head(1), _series_gaps),
        (None if _period_bounded(runs) else _system_periods(series), _long_periods),
        (None if _journeys_bounded(model) else _journey_durations(model), _long_journeys),
        (None if _storage_writes_bounded(model, runs) else _storage_writes(model, series), _storage_overflow),
        (None if runs is not None and patterns <= _tuples(runs.frame, "system_id", "usage_pattern_id") else
         model.usage_patterns.lazy().join(series, on=keys, how="anti", maintain_order="left").head(1),
         _patterns_without_series),
    ]


def _tuples(frame: pl.DataFrame, *columns: str) -> set[tuple]:
    """The distinct rows of the frame's `columns`, as tuples."""
    return set(zip(*(frame.get_column(c).to_list() for c in columns)))


def _by_key(frame: pl.DataFrame, id_column: str, *columns: str) -> dict[tuple, tuple]:
    """(system_id, id) -> the values of `columns`, per row of the frame (of unique ids)."""
    keys = zip(frame.get_column("system_id").to_list(), frame.get_column(id_column).to_list())
    return dict(zip(keys, zip(*(frame.get_column(c).to_list() for c in columns))))


def _jobs_with_classes(model: Model, class_of_server: dict[tuple, tuple]) -> list[dict]:
    """Each job's row with the class of its server (server_class), its service's class and server (service_class,
    _service_server) and its external API's class (api_class), None where it names none: a left join of the
    three tables, read off dicts (a query costs more on a few jobs; the value checks, which run first, find the
    ids unique, so each job has one row)."""
    services = _by_key(model.services, "service_id", "service_class", "server_id")
    api_classes = _by_key(model.external_apis, "external_api_id", "api_class")
    rows = model.jobs.to_dicts()
    for row in rows:
        system = row["system_id"]
        row["server_class"], = class_of_server.get((system, row["server_id"]), (None,))
        row["service_class"], row["_service_server"] = services.get((system, row["service_id"]), (None, None))
        row["api_class"], = api_classes.get((system, row["external_api_id"]), (None,))
    return rows


def _one_server_per_api(model: Model) -> bool:
    """Whether every external API surely has its one server, of its class's server class (as
    `_external_api_servers` wants): the servers' (system, API, class) are those the APIs expect, one each."""
    servers = model.external_api_servers
    expected = {(system, api, s.EXTERNAL_API_SERVER_CLASSES.get(api_class)) for system, api, api_class in zip(
        *(model.external_apis.get_column(c).to_list() for c in ("system_id", "external_api_id", "api_class")))}
    return (servers.height == model.external_apis.height == len(expected)
            and _tuples(servers, "system_id", "external_api_id", "server_class") == expected)


_ECOLOGITS_KEY = ("api_class", "provider", "model_name")


def _cloud_instances_known(servers: pl.DataFrame) -> bool:
    """Whether every BoaviztaCloudServer's (provider, instance_type) is one of Boavizta's cloud instances."""
    known = rows_by_key(cloud_instances, ("provider", "instance_type"))
    return all((provider, instance_type) in known for server_class, provider, instance_type in zip(
        *(servers.get_column(c).to_list() for c in ("server_class", "provider", "instance_type")))
        if server_class == "BoaviztaCloudServer")


def _distinct(ids: pl.Series) -> bool:
    """Whether no id is given twice (nulls aside), even across systems."""
    nulls = ids.null_count()
    return ids.n_unique() - (nulls > 0) == ids.len() - nulls


def _period_bounded(runs: _Runs | None) -> bool:
    """Whether no system's usage patterns can span more than MAX_PERIOD_HOURS: all of them together do not (read
    off the runs when their first and last hours are their least and greatest)."""
    if runs is None or not runs.consecutive:
        return False
    first, last = runs.frame.get_column("first").min(), runs.frame.get_column("last").max()
    return first is None or last - first + 1 <= MAX_PERIOD_HOURS


def _journeys_bounded(model: Model) -> bool:
    """Whether no journey can last more than MAX_WINDOW_HOURS: the weights of its uj_steps sum to at most those of
    all journeys, each step lasts at most the longest step (half the limit: room for rounding)."""
    longest = model.usage_journey_steps.get_column("user_time_spent").max() or 0.0
    return model.journey_steps.get_column("weight").sum() * longest <= MAX_WINDOW_HOURS / 2


def _storage_writes_bounded(model: Model, runs: _Runs | None) -> bool:
    """Whether no storage can be written more than MAX_STORED_MEGABYTES (see `_storage_writes`): each of its
    paths writes at most the product of the largest of each factor (a pattern's occurrences: at most those of
    all patterns), and there are at most as many paths as triples of usage_journeys, uj_steps and jobs edges
    (half the limit: room for rounding; an overflow or a NaN fails the comparison)."""
    if runs is None:
        return False
    data_stored = model.jobs.get_column("data_stored")
    largest = [runs.frame.get_column("total").sum(), *(frame.get_column("weight").max() for frame in (
        model.pattern_journeys, model.journey_steps, model.step_jobs)),
        max(abs(data_stored.min() or 0.0), abs(data_stored.max() or 0.0)),
        model.storages.get_column("data_replication_factor").max()]
    paths = model.pattern_journeys.height * model.journey_steps.height * model.step_jobs.height
    return math.prod(x or 0.0 for x in largest) * paths <= MAX_STORED_MEGABYTES / 2


def _shared_storage(found: pl.DataFrame) -> None:
    if found.height:
        row = found.row(0, named=True)
        servers = " and ".join(map(repr, row["server_id"]))
        raise ModelError(f"Storage {row['storage_id']!r}", "server", row["server_id"],
                         f"a single server per storage (servers {servers} each name it as their storage)")


# The service class each service job runs on.
_JOB_SERVICES = {"VideoStreamingJob": "VideoStreaming", "WebApplicationJob": "WebApplication"}


def _job_rows(job_servers: list[dict]) -> None:
    for row in job_servers:
        obj = f"{row['job_class']} {row['job_id']!r}"
        service_class = _JOB_SERVICES.get(row["job_class"])
        if service_class is not None and row["service_id"] is not None and row["service_class"] != service_class:
            raise ModelError(obj, "service", row["service_id"], f"a {service_class}")
        if row["job_class"] == "WebApplicationJob":
            for attribute in ("service_id", "implementation_details"):
                if row[attribute] is None:
                    raise ModelError(obj, attribute, None, "a value (web application jobs run on a WebApplication)")
            # Its row names its server, as a plain job's does: the one its service is installed on.
            if row["server_id"] != row["_service_server"]:
                raise ModelError(obj, "server", row["server_id"],
                                 f"the server of its WebApplication {row['service_id']!r}, "
                                 f"{row['_service_server']!r}")
        if row["job_class"] in _EXTERNAL_API_JOB_INPUTS:
            _external_api_job(obj, row)
            continue
        if row["job_class"] == "VideoStreamingJob":
            for attribute in ("service_id", "resolution", "video_duration", "refresh_rate"):
                if row[attribute] is None:
                    raise ModelError(obj, attribute, None, "a value (video streaming jobs run on a service)")
            size = _RESOLUTION.search(row["resolution"])
            if size is None or not int(size[1]) or not int(size[2]):
                raise ModelError(obj, "resolution", row["resolution"],
                                 "a resolution with its size in pixels, as '(W x H)', e.g. '1080p (1920 x 1080)'")
            continue
        for attribute in ("server_id", "data_transferred", "request_duration", "compute_needed", "ram_needed"):
            if row[attribute] is None:
                raise ModelError(obj, attribute, None, "a value")
        wants_gpu = row["job_class"] == "GPUJob"
        if wants_gpu != (row["server_class"] == "GPUServer"):
            raise ModelError(obj, "server", row["server_id"],
                             "a GPUServer" if wants_gpu else "a Server or BoaviztaCloudServer (not a GPUServer)")


# An external API job's own inputs (the table leaves them nullable for the other job classes).
_EXTERNAL_API_JOB_INPUTS = {"EcoLogitsGenAIExternalAPIJob": ("external_api_id", "output_token_count"),
                            "EcoLogitsVideoGenExternalAPIJob": ("external_api_id", "resolution", "duration",
                                                                "with_audio")}


def _external_api_job(obj: str, row: dict) -> None:
    for attribute in _EXTERNAL_API_JOB_INPUTS[row["job_class"]]:
        if row[attribute] is None:
            raise ModelError(obj, attribute.removesuffix("_id"), None, "a value" + _unit_text(s.JOBS, attribute))
    expected = next(api for api, job in s.EXTERNAL_API_JOB_CLASSES.items() if job == row["job_class"])
    if row["api_class"] != expected:
        raise ModelError(obj, "external_api", row["external_api_id"], f"an {expected} (not an {row['api_class']})")
    if row["server_id"] is not None or row["service_id"] is not None:
        raise ModelError(obj, "server", row["server_id"] or row["service_id"],
                         "no server or service: an external API job runs on its API's server")
    if row["job_class"] == "EcoLogitsVideoGenExternalAPIJob":
        size = _RESOLUTION.search(row["resolution"])
        if size is None or not int(size[1]) or not int(size[2]):
            raise ModelError(obj, "resolution", row["resolution"],
                             "a resolution with its size in pixels, as '(W x H)', e.g. '720p (1280 x 720)'")


def _unknown_ecologits_models(external_apis: pl.LazyFrame) -> pl.LazyFrame:
    known = ecologits_models().lazy().select(_ECOLOGITS_KEY)
    return (external_apis.join(known, on=list(_ECOLOGITS_KEY), how="anti", maintain_order="left")
            .head(1))


def _ecologits_model_error(unknown: pl.DataFrame) -> None:
    """An external API's (provider, model_name) must be one of EcoLogits' models of its kind."""
    if not unknown.height:
        return
    row = unknown.row(0, named=True)
    kind = "video generation" if row["api_class"] == "EcoLogitsVideoGenExternalAPI" else "LLM"
    _unknown_product(f"{row['api_class']} {row['external_api_id']!r}", row,
                     ecologits_models().filter(pl.col("api_class") == row["api_class"]), "model_name",
                     f"EcoLogits' {kind} models", f"a {kind} model of provider {row['provider']!r} in EcoLogits")


def _external_api_servers(apis: pl.DataFrame) -> None:
    """Every external API has its one server, of its class's server class."""
    for row in apis.iter_rows(named=True):
        expected = s.EXTERNAL_API_SERVER_CLASSES[row["api_class"]]
        if len(row["external_api_server_id"]) != 1 or row["server_class"] != [expected]:
            raise ModelError(f"{row['api_class']} {row['external_api_id']!r}", "server",
                             row["external_api_server_id"] or None, f"one {expected}")


def _service_rows(services: pl.DataFrame) -> None:
    """Each service class's own inputs, which the table leaves nullable for the other class."""
    required = {"VideoStreaming": s.VIDEO_SERVICE_INPUTS, "WebApplication": ("technology",)}
    for row in services.iter_rows(named=True):
        for attribute in required[row["service_class"]]:
            if row[attribute] is None:
                raise ModelError(f"{row['service_class']} {row['service_id']!r}", attribute, None,
                                 "a value" + _unit_text(s.SERVICES, attribute))


def _gpu_hosts(found: pl.DataFrame) -> None:
    if found.height:
        row = found.row(0, named=True)
        raise ModelError(f"{row['service_class']} {row['service_id']!r}", "server", row["server_id"],
                         "a Server or BoaviztaCloudServer (services are not installable on a GPUServer)")


def _patterns_without_journeys(found: pl.DataFrame) -> None:
    if found.height:
        raise ModelError(f"UsagePattern {found['usage_pattern_id'][0]!r}", "usage_journeys", {},
                         "at least one usage journey")


def _series_gaps(gaps: pl.DataFrame) -> None:
    if gaps.height:
        raise ModelError(f"UsagePattern {gaps['usage_pattern_id'][0]!r}", "hourly_occurrences",
                         f"{gaps['n'][0]} values over {gaps['span'][0]} hours", "one value per hour, without gaps")


def _system_periods(patterns: pl.LazyFrame) -> pl.LazyFrame:
    """Systems whose usage patterns (`patterns`: their first and last hour) span together more than
    MAX_PERIOD_HOURS."""
    return (patterns.group_by("system_id")
            .agg(first=pl.col("first").min(), last=pl.col("last").max(),
                 early=pl.col("usage_pattern_id").sort_by("first", "usage_pattern_id").first(),
                 late=pl.col("usage_pattern_id").sort_by("last", "usage_pattern_id").last())
            .filter(pl.col("last") - pl.col("first") + 1 > MAX_PERIOD_HOURS).sort("system_id").head(1))


def _long_periods(found: pl.DataFrame) -> None:
    if found.height:
        r = found.row(0, named=True)
        raise ModelError(f"UsagePattern {r['late']!r}", "hourly_occurrences", f"up to {_hour_text(r['last'])}",
                         f"the usage patterns of system {r['system_id']!r} to span at most {MAX_PERIOD_HOURS} hours "
                         f"({MAX_PERIOD_HOURS // 8760} years) together, but usage pattern {r['early']!r} starts at "
                         f"{_hour_text(r['first'])}")


def _journey_durations(model: Model) -> pl.LazyFrame:
    """Journeys longer than MAX_WINDOW_HOURS: the sum over their steps of weight x user_time_spent (hours)."""
    keys = ["system_id", "step_id"]
    times = (model.journey_steps.lazy()
             .join(model.usage_journey_steps.lazy().select(*keys, "user_time_spent"), on=keys, how="left",
                   maintain_order="left")
             .with_columns(_time=pl.col("weight") * pl.col("user_time_spent")))
    return (times.group_by("system_id", "journey_id")
            .agg(duration=pl.col("_time").sum(), step_id=pl.col("step_id").sort_by("_time").last(),
                 weight=pl.col("weight").sort_by("_time").last(),
                 user_time_spent=pl.col("user_time_spent").sort_by("_time").last())
            .filter(~(pl.col("duration") <= MAX_WINDOW_HOURS)).sort("system_id", "journey_id").head(1))


def _long_journeys(found: pl.DataFrame) -> None:
    if found.height:
        row = found.row(0, named=True)
        raise ModelError(f"UsageJourney {row['journey_id']!r}", "uj_steps", f"{row['duration']:.6g} hours",
                         f"a journey of at most {MAX_WINDOW_HOURS:g} hours in all (the sum over uj_steps of weight "
                         f"x user_time_spent; step {row['step_id']!r} alone counts {row['weight']:g} x "
                         f"{row['user_time_spent']:g} hours)")


# efootprint accumulates the data a storage holds in float32 (so does stages.storage, for parity): the data
# written over the modeling period must stay well below float32's largest value (3.4e38).
MAX_STORED_MEGABYTES = 1e38


def _storage_writes(model: Model, patterns: pl.LazyFrame) -> pl.LazyFrame:
    """Storages whose jobs write more than MAX_STORED_MEGABYTES (replicated) over the period, with the path
    (pattern, journey, step, job) that writes the most. An upper bound of the data stored at any hour: the sum
    over every hour of |data written|."""
    system = ["system_id"]
    totals = patterns.select(*system, "usage_pattern_id", occurrences="total")
    paths = (model.pattern_journeys.lazy().select(*system, "usage_pattern_id", "journey_id", w=pl.col("weight"))
             .join(model.journey_steps.lazy().select(*system, "journey_id", "step_id", n=pl.col("weight")),
                   on=[*system, "journey_id"])
             .join(model.step_jobs.lazy().select(*system, "step_id", "job_id", m=pl.col("weight")),
                   on=[*system, "step_id"])
             .join(totals, on=[*system, "usage_pattern_id"]))
    service_servers = model.services.lazy().select(*system, "service_id", _service_server=pl.col("server_id"))
    jobs = (model.jobs.lazy().join(service_servers, on=[*system, "service_id"], how="left", maintain_order="left")
            .select(*system, "job_id", "data_stored",
                    server_id=pl.coalesce("server_id", "_service_server")))
    storages = (model.servers.lazy().select(*system, "server_id", "storage_id")
                .join(model.storages.lazy().select(*system, "storage_id", "data_replication_factor"),
                      on=[*system, "storage_id"]))
    written = (paths.join(jobs, on=[*system, "job_id"]).join(storages, on=[*system, "server_id"])
               .with_columns(megabytes=pl.col("occurrences") * pl.col("w") * pl.col("n") * pl.col("m")
                             * pl.col("data_stored").abs() * pl.col("data_replication_factor")))
    return (written.with_columns(total=pl.col("megabytes").sum().over(*system, "storage_id"))
            .filter(~(pl.col("total") <= MAX_STORED_MEGABYTES))
            .sort(*system, "storage_id", pl.col("megabytes"), descending=[False, False, True], nulls_last=True)
            .head(1))


def _storage_overflow(found: pl.DataFrame) -> None:
    if found.height:
        r = found.row(0, named=True)
        raise ModelError(
            f"Storage {r['storage_id']!r}", "full_cumulative_storage_need", f"{r['total']:.3g} megabyte_stored written",
            f"at most {MAX_STORED_MEGABYTES:g} megabyte_stored written over the modeling period, replicas included "
            f"(efootprint sums stored data in float32); the most by job {r['job_id']!r} (data_stored "
            f"{r['data_stored']:g} megabyte_stored) through usage pattern {r['usage_pattern_id']!r} "
            f"(hourly_occurrences summing to {r['occurrences']:.3g}, usage_journeys weight {r['w']:g}), journey "
            f"{r['journey_id']!r} (uj_steps weight {r['n']:g}), step {r['step_id']!r} (jobs weight {r['m']:g}), "
            f"data_replication_factor {r['data_replication_factor']:g}")


def _patterns_without_series(missing: pl.DataFrame) -> None:
    if missing.height:
        raise ModelError(f"UsagePattern {missing['usage_pattern_id'][0]!r}", "hourly_occurrences", [],
                         "a non-empty hourly series")


_REQUIRED_BY_CLASS = {
    "Server": ("carbon_footprint_manufacturing", "power", "idle_power", "ram", "compute"),
    "GPUServer": ("gpu_power", "gpu_idle_power", "ram_per_gpu", "carbon_footprint_manufacturing_per_gpu",
                  "carbon_footprint_manufacturing_without_gpu", "compute"),
    "BoaviztaCloudServer": ("provider", "instance_type", "idle_power"),
}


def _check_server_columns(servers: pl.DataFrame) -> None:
    for row in servers.iter_rows(named=True):
        for attribute in _REQUIRED_BY_CLASS[row["server_class"]]:
            if row[attribute] is None:
                raise ModelError(f"{row['server_class']} {row['server_id']!r}", attribute, None, "a value")
        if row["server_type"] != "on-premise" and row["fixed_nb_of_instances"] is not None:
            raise ModelError(f"{row['server_class']} {row['server_id']!r}", "fixed_nb_of_instances",
                             row["fixed_nb_of_instances"],
                             f"no value: a fixed number of instances applies to on-premise servers only "
                             f"(server_type is {row['server_type']!r})")


def _close(word: str, choices: list[str]) -> str:
    matches = difflib.get_close_matches(word, choices, n=5, cutoff=0.5)
    if matches:
        return f"close matches: {matches}"
    return f"no close match among the {len(choices)} known, e.g. {sorted(choices)[:5]}"


def _unknown_cloud_instances(servers: pl.LazyFrame) -> pl.LazyFrame:
    known = cloud_instances().lazy().select("provider", "instance_type")
    return (servers.filter(pl.col("server_class") == "BoaviztaCloudServer")
            .join(known, on=["provider", "instance_type"], how="anti", maintain_order="left").head(1))


def _cloud_instance_error(unknown: pl.DataFrame) -> None:
    """A BoaviztaCloudServer's (provider, instance_type) must be one of Boavizta's cloud instances."""
    if not unknown.height:
        return
    row = unknown.row(0, named=True)
    _unknown_product(f"BoaviztaCloudServer {row['server_id']!r}", row, cloud_instances(), "instance_type",
                     "Boavizta's cloud instances",
                     f"an instance type of provider {row['provider']!r} in Boavizta's cloud instances")


def _unknown_product(obj: str, row: dict, known: pl.DataFrame, name: str, catalogue: str, expected_name: str) -> None:
    """The error for a (provider, `name`) pair of `row` missing from the `known` catalogue: on the provider if no
    product of the catalogue has it, else on the name, with the closest known ones."""
    providers = known["provider"].unique().sort().to_list()
    if row["provider"] not in providers:
        raise ModelError(obj, "provider", row["provider"], f"a provider of {catalogue}, one of "
                                                           f"{providers} ({_close(row['provider'], providers)})")
    names = known.filter(pl.col("provider") == row["provider"])[name].to_list()
    raise ModelError(obj, name, row[name], f"{expected_name} ({_close(row[name], names)})")
