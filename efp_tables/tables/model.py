"""A model is the set of input tables of one or more systems. Building one validates it fully; the compute plan
then runs without checks.

Validation has three parts; the first two derive from the table definitions in `schema.py`:
- column names and dtypes: pandera's schema (`Table.schema`, the declared contract), on the frame's schema only
  (no data), remembered per (table, frame schema) since it does not depend on the data;
- value checks (nullability, finiteness, bounds, allowed values, unique key, links to existing ids): polars
  expressions evaluated in one pass, one `select` of "does any row fail" flags per table, all tables collected
  together; the first failing check is then located to name the object, the attribute and the value;
- rules a single table cannot state (`_structure_rules`), whose queries run in the same `collect_all`.
"""
from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

import pandera.errors
import polars as pl

from efp_tables.errors import ModelError
from efp_tables.tables import schema as s


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
                    parts.append(_frame_from_rows(table, given))
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

    def validated(self) -> "Model":
        for table in s.TABLES:
            _check_dtypes(table, self.table(table.name))
        _check_values(self)  # and the rules across tables
        return self


# --- building frames ---------------------------------------------------------------------------------------

def _kind(dtype) -> str:
    if dtype == pl.String:
        return "text"
    if dtype == pl.Int64:
        return "whole number"
    return "number"


def _fits(value, dtype) -> bool:
    if dtype == pl.String:
        return isinstance(value, str)
    if isinstance(value, bool):
        return False
    if dtype == pl.Int64:
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    return isinstance(value, (int, float))


def _frame_from_rows(table: s.Table, rows: list[dict]) -> pl.DataFrame:
    """Rows to a frame of the table's schema. Polars would silently coerce (2 -> "2", 1.5 -> 1, True -> 1.0) or
    drop unknown keys, so every value is checked first (the tables built from rows are small)."""
    columns = table.columns
    if not isinstance(rows, list):
        raise ModelError(table.object_class or table.name, table.name, type(rows).__name__,
                         "a list of row dicts or a polars DataFrame")
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
    return pl.DataFrame(rows, schema=columns, orient="row")


def _cast_frame(table: s.Table, frame: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """A ready frame in the table's column order and dtypes. Only lossless casts: numbers to numbers when the
    value is unchanged, all-null columns and categoricals to their column's dtype."""
    if isinstance(frame, pl.LazyFrame):
        frame = frame.collect()
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
    signature = (table.name, tuple((name, repr(dtype)) for name, dtype in frame.schema.items()))
    if signature in _DTYPES_OK:
        return
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
}
_EPOCH = datetime(1970, 1, 1)


def _hour_text(hour) -> str:
    try:
        return (_EPOCH + timedelta(hours=int(hour))).strftime("%Y-%m-%d %H:%M")
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
    for f in table.fields:
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
    unique_column = table.id or (_EDGES[table.name][3] if table.name in _EDGES else "system_id")
    what = (f"an id used by a single {table.object_class} of the system" if table.id
            else "a unique system id" if table.name == "systems"
            else "one value per hour" if table.name == "hourly_occurrences"
            else f"each {unique_column.removesuffix('_id')} listed once")
    checks.append(_Check(table, unique_column, pl.struct(table.unique_key()).is_duplicated(), what))
    _STATIC_CHECKS[table.name] = checks
    return checks


def _link_checks(model: Model) -> list[_Check]:
    """Every link column holds the id of a row of its target table in the same system; every row's system_id
    is a system of the model."""
    # With a single system (the system_id check below then pins every row to it), ids alone are compared.
    single = model.systems.height == 1
    ids = {t.name: (model.table(t.name).get_column(t.id) if single else
                    model.table(t.name).select(pl.struct("system_id", pl.col(t.id).alias("id"))).to_series())
           .implode() for t in s.OBJECT_TABLES}
    systems = model.systems["system_id"].implode()
    checks = []
    for table in s.TABLES:
        for column, target in table.links.items():
            ref = pl.col(column) if single else pl.struct("system_id", pl.col(column).alias("id"))
            checks.append(_Check(table, column, pl.col(column).is_not_null() & ~ref.is_in(ids[target]),
                                 f"the id of an existing {s.BY_NAME[target].object_class} of the same system"))
        if table.name != "systems":
            checks.append(_Check(table, "system_id", ~pl.col("system_id").is_in(systems),
                                 "the id of a system of the model"))
    return checks


def _check_values(model: Model) -> None:
    """Every value check of every table, and the rules across tables, evaluated in one `collect_all`: one
    `select` of "does any row fail" flags per table, plus the queries of the structure rules. Errors are
    raised in order: value checks first (table by table), then structure rules."""
    checks = [c for table in s.TABLES for c in _table_checks(table)] + _link_checks(model)
    by_table: dict[str, list[int]] = {}
    for i, check in enumerate(checks):
        by_table.setdefault(check.table.name, []).append(i)
    rules = _structure_rules(model)
    queries = [model.table(name).lazy().select([checks[i].fails.any().alias(str(i)) for i in indexes])
               for name, indexes in by_table.items()]
    results = pl.collect_all([*queries, *(query for query, _ in rules if query is not None)])
    flags, found = results[:len(queries)], iter(results[len(queries):])
    failed = sorted(int(column) for frame in flags for column, value in frame.row(0, named=True).items() if value)
    if failed:
        check = checks[failed[0]]
        row = model.table(check.table.name).filter(check.fails.fill_null(False)).row(0, named=True)
        obj, attribute = _where(check.table, row, check.column, several_systems=model.systems.height > 1)
        value = row[check.column]
        raise ModelError(obj, attribute, _hour_text(value) if check.column == "hour" else value, check.expected)
    for query, handle in rules:
        handle(next(found) if query is not None else None)


# --- rules across tables ----------------------------------------------------------------------------------

_RESOLUTION = re.compile(r"\((\d+)\s*x\s*(\d+)\)")  # as the stage jobs.job_parameters reads it


def _structure_rules(model: Model) -> list[tuple[pl.LazyFrame | None, Callable[[pl.DataFrame | None], None]]]:
    """Rules that a single table cannot state: classes that must match across links, one owner per
    storage, known cloud instances, every pattern with journeys and a dense hourly series. Each rule is a
    query (collected with the value checks) and a handler that raises on its result, in this order."""
    servers, jobs = model.servers.lazy(), model.jobs.lazy()
    server_classes = servers.select("system_id", "server_id", "server_class")
    series = model.hourly_occurrences.lazy().group_by("system_id", "usage_pattern_id").agg(
        n=pl.len(), span=pl.col("hour").max() - pl.col("hour").min() + 1)
    keys = ["system_id", "usage_pattern_id"]
    return [
        (servers.filter(pl.col("storage_id").is_not_null()).group_by("system_id", "storage_id")
         .agg(pl.col("server_id").sort()).filter(pl.col("server_id").list.len() > 1)
         .sort("system_id", "storage_id").head(1), _shared_storage),
        (jobs.join(server_classes, on=["system_id", "server_id"], how="left"), _job_rows),
        (model.services.lazy().join(server_classes, on=["system_id", "server_id"], how="left")
         .filter(pl.col("server_class") == "GPUServer").head(1), _gpu_hosts),
        (None, lambda _: _check_server_columns(model.servers)),
        (_unknown_cloud_instances(servers), _cloud_instance_error),
        (model.usage_patterns.lazy().join(model.pattern_journeys.lazy().select(keys).unique(), on=keys, how="anti")
         .head(1), _patterns_without_journeys),
        (series.filter(pl.col("n") != pl.col("span")).sort(keys).head(1), _series_gaps),
        (model.usage_patterns.lazy().join(series, on=keys, how="anti").head(1), _patterns_without_series),
    ]


def _shared_storage(found: pl.DataFrame) -> None:
    if found.height:
        row = found.row(0, named=True)
        raise ModelError(f"Storage {row['storage_id']!r}", "server", row["server_id"], "a single server per storage")


def _job_rows(job_servers: pl.DataFrame) -> None:
    for row in job_servers.iter_rows(named=True):
        obj = f"{row['job_class']} {row['job_id']!r}"
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


def _gpu_hosts(found: pl.DataFrame) -> None:
    if found.height:
        row = found.row(0, named=True)
        raise ModelError(f"VideoStreaming {row['service_id']!r}", "server", row["server_id"],
                         "a Server or BoaviztaCloudServer (video streaming is not installable on a GPUServer)")


def _patterns_without_journeys(found: pl.DataFrame) -> None:
    if found.height:
        raise ModelError(f"UsagePattern {found['usage_pattern_id'][0]!r}", "usage_journeys", {},
                         "at least one usage journey")


def _series_gaps(gaps: pl.DataFrame) -> None:
    if gaps.height:
        raise ModelError(f"UsagePattern {gaps['usage_pattern_id'][0]!r}", "hourly_occurrences",
                         f"{gaps['n'][0]} values over {gaps['span'][0]} hours", "one value per hour, without gaps")


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
    from efp_tables.builders.archetypes import cloud_instances
    known = cloud_instances().lazy().select("provider", "instance_type")
    return (servers.filter(pl.col("server_class") == "BoaviztaCloudServer")
            .join(known, on=["provider", "instance_type"], how="anti").head(1))


def _cloud_instance_error(unknown: pl.DataFrame) -> None:
    """A BoaviztaCloudServer's (provider, instance_type) must be one of Boavizta's cloud instances."""
    if not unknown.height:
        return
    from efp_tables.builders.archetypes import cloud_instances
    known = cloud_instances()
    row = unknown.row(0, named=True)
    obj = f"BoaviztaCloudServer {row['server_id']!r}"
    providers = known["provider"].unique().sort().to_list()
    if row["provider"] not in providers:
        raise ModelError(obj, "provider", row["provider"], f"a provider of Boavizta's cloud instances, one of "
                                                           f"{providers} ({_close(row['provider'], providers)})")
    types = known.filter(pl.col("provider") == row["provider"])["instance_type"].to_list()
    raise ModelError(obj, "instance_type", row["instance_type"],
                     f"an instance type of provider {row['provider']!r} in Boavizta's cloud instances "
                     f"({_close(row['instance_type'], types)})")
