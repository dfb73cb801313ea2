"""A model is the set of input tables of one or more systems. Building one validates it fully (the tables are
small); the compute plan then runs without checks."""
from __future__ import annotations

from dataclasses import dataclass, fields

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
    def from_rows(cls, rows: dict[str, list[dict]]) -> "Model":
        """Build from plain row dicts per table name (missing tables are empty), then validate."""
        unknown = set(rows) - set(s.BY_NAME)
        if unknown:
            raise ModelError("model", "tables", sorted(unknown), f"table names among {sorted(s.BY_NAME)}")
        frames = {}
        for table in s.TABLES:
            table_rows = rows.get(table.name, [])
            frames[table.name] = (pl.DataFrame(table_rows, schema=table.columns, orient="row")
                                  if table_rows else table.empty())
        return cls(**frames).validated()

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
            _check_schema(table, self.table(table.name))
        _check_links(self)
        _check_structure(self)
        return self


def _check_schema(table: s.Table, frame: pl.DataFrame) -> None:
    try:
        table.schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        first = cases.row(0, named=True) if cases.height else {}
        column, check, value = first.get("column"), first.get("check"), first.get("failure_case")
        obj = _object_of(table, frame, value, column)
        raise ModelError(obj, str(column), value, _expected(table, column, check)) from None
    except pandera.errors.SchemaError as exc:  # dtype or column-level failures
        raise ModelError(table.name, str(getattr(exc.schema, "name", "")), None, str(exc)) from None


def _object_of(table: s.Table, frame: pl.DataFrame, value, column) -> str:
    if table.id and column in frame.columns and value is not None:
        try:
            hit = frame.filter(pl.col(column) == value)
            if hit.height:
                return f"{table.object_class or table.name} {hit[table.id][0]!r}"
        except Exception:
            pass
    return table.object_class or table.name


def _expected(table: s.Table, column, check) -> str:
    field = next((f for f in table.fields if f.name == column), None)
    unit = f" {field.unit}" if field is not None and field.unit else ""
    return f"{check}{unit}" if check else f"a valid value{unit}"


def _check_links(model: Model) -> None:
    ids = {t.name: model.table(t.name).select("system_id", pl.col(t.id).alias("_id")) for t in s.OBJECT_TABLES}
    for table in s.TABLES:
        frame = model.table(table.name)
        for column, target in table.links.items():
            refs = frame.filter(pl.col(column).is_not_null()).select("system_id", pl.col(column).alias("_id"))
            dangling = refs.join(ids[target], on=["system_id", "_id"], how="anti")
            if dangling.height:
                bad = dangling.row(0, named=True)
                owner = frame.filter((pl.col("system_id") == bad["system_id"]) & (pl.col(column) == bad["_id"]))
                obj = f"{table.object_class} {owner[table.id][0]!r}" if table.id else table.name
                raise ModelError(obj, column, bad["_id"],
                                 f"the id of an existing {s.BY_NAME[target].object_class} "
                                 f"(system {bad['system_id']!r})")
    system_refs = pl.concat([model.table(t.name).select("system_id") for t in s.TABLES if t.name != "systems"])
    unknown = system_refs.join(model.systems.select("system_id"), on="system_id", how="anti")
    if unknown.height:
        raise ModelError("model", "system_id", unknown["system_id"][0], "the id of a system of the model")


def _check_structure(model: Model) -> None:
    """Rules that a single table cannot state: classes that must match across links, one owner per
    storage, every pattern with journeys and a dense hourly series."""
    servers, jobs = model.servers, model.jobs
    shared = servers.filter(pl.col("storage_id").is_not_null()).group_by("system_id", "storage_id").agg(
        pl.col("server_id"))
    shared = shared.filter(pl.col("server_id").list.len() > 1)
    if shared.height:
        row = shared.row(0, named=True)
        raise ModelError(f"Storage {row['storage_id']!r}", "server", row["server_id"], "a single server per storage")
    job_servers = jobs.join(servers.select("system_id", "server_id", "server_class"),
                            on=["system_id", "server_id"], how="left")
    for row in job_servers.iter_rows(named=True):
        obj = f"{row['job_class']} {row['job_id']!r}"
        if row["job_class"] == "VideoStreamingJob":
            for attribute in ("service_id", "resolution", "video_duration", "refresh_rate"):
                if row[attribute] is None:
                    raise ModelError(obj, attribute, None, "a value (video streaming jobs run on a service)")
            continue
        for attribute in ("server_id", "data_transferred", "request_duration", "compute_needed", "ram_needed"):
            if row[attribute] is None:
                raise ModelError(obj, attribute, None, "a value")
        wants_gpu = row["job_class"] == "GPUJob"
        if wants_gpu != (row["server_class"] == "GPUServer"):
            raise ModelError(obj, "server", row["server_id"],
                             "a GPUServer" if wants_gpu else "a Server or BoaviztaCloudServer (not a GPUServer)")
    hosts = model.services.join(servers.select("system_id", "server_id", "server_class"),
                                on=["system_id", "server_id"], how="left")
    gpu_hosts = hosts.filter(pl.col("server_class") == "GPUServer")
    if gpu_hosts.height:
        row = gpu_hosts.row(0, named=True)
        raise ModelError(f"VideoStreaming {row['service_id']!r}", "server", row["server_id"],
                         "a Server or BoaviztaCloudServer (video streaming is not installable on a GPUServer)")
    _check_server_columns(servers)
    patterns = model.usage_patterns.join(model.pattern_journeys.select("system_id", "usage_pattern_id").unique(),
                                         on=["system_id", "usage_pattern_id"], how="anti")
    if patterns.height:
        raise ModelError(f"UsagePattern {patterns['usage_pattern_id'][0]!r}", "usage_journeys", {},
                         "at least one usage journey")
    series = model.hourly_occurrences.group_by("system_id", "usage_pattern_id").agg(
        n=pl.len(), span=pl.col("hour").max() - pl.col("hour").min() + 1)
    gaps = series.filter(pl.col("n") != pl.col("span"))
    if gaps.height:
        raise ModelError(f"UsagePattern {gaps['usage_pattern_id'][0]!r}", "hourly_occurrences",
                         f"{gaps['n'][0]} values over {gaps['span'][0]} hours", "one value per hour, without gaps")
    missing = model.usage_patterns.join(series, on=["system_id", "usage_pattern_id"], how="anti")
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
