"""Archetype data shipped in data/archetypes/: CSV files whose quantity columns name their unit in the header,
as `column[unit]`. Loaded once and converted to the canonical units of the tables."""
from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache, lru_cache
from pathlib import Path

import polars as pl

from efp_tables.units import Quantity, parse_unit

ARCHETYPES_DIR = Path(__file__).resolve().parents[2] / "data" / "archetypes"
_HEADER = re.compile(r"^(?P<name>[^\[]+)\[(?P<unit>[^\]]+)\]$")


def read_archetype_csv(path: Path, canonical_units: dict[str, str]) -> pl.DataFrame:
    """Read a `column[unit]` CSV, converting every quantity column to `canonical_units[column]`."""
    frame = pl.read_csv(path, infer_schema_length=0)  # all text; quantities are cast below
    renames, casts = {}, []
    for header in frame.columns:
        match = _HEADER.match(header)
        if not match:
            continue
        name, unit = match["name"], match["unit"]
        target = canonical_units.get(name, unit)
        factor = float(Quantity(1.0, parse_unit(unit)).to(parse_unit(target)).magnitude)
        renames[header] = name
        casts.append((pl.col(name).cast(pl.Float64) * factor).alias(name))
    return frame.rename(renames).with_columns(casts)


@cache
def rows_by_key(archetypes: Callable[[], pl.DataFrame], key: tuple[str, ...]) -> dict[tuple, list[int]]:
    """The rows of an archetype table (`cloud_instances`, `ecologits_models`) by their `key` values, built once:
    which rows a model names, and whether it names only known ones, read off it with no query."""
    table, rows = archetypes(), {}
    for at, value in enumerate(zip(*(table.get_column(column).to_list() for column in key))):
        rows.setdefault(value, []).append(at)
    return rows


@lru_cache(maxsize=1)
def cloud_instances() -> pl.DataFrame:
    """Boavizta's cloud instances: provider, instance_type, carbon_footprint_manufacturing (kg), power (kW),
    ram (GB_ram), compute (cpu_core). Made by scripts/make_archetypes.py."""
    schema = {"provider": pl.String, "instance_type": pl.String, "carbon_footprint_manufacturing": pl.Float64,
              "power": pl.Float64, "ram": pl.Float64, "compute": pl.Float64}
    path = ARCHETYPES_DIR / "boavizta_cloud_instances.csv"
    if not path.exists():
        return pl.DataFrame(schema=schema)
    frame = read_archetype_csv(path, {"carbon_footprint_manufacturing": "kilogram", "power": "kilowatt",
                                      "ram": "gigabyte_ram", "compute": "cpu_core"})
    return frame.select(list(schema)).cast(schema)


@lru_cache(maxsize=1)
def countries() -> pl.DataFrame:
    """Every country efootprint knows: country_id, name, short_name, average_carbon_intensity (kg/kWh),
    timezone."""
    frame = read_archetype_csv(ARCHETYPES_DIR / "countries.csv",
                               {"average_carbon_intensity": "kilogram / kilowatt_hour"})
    return frame.select("country_id", "name", "short_name", "average_carbon_intensity", "timezone")


@lru_cache(maxsize=1)
def web_application_needs() -> pl.DataFrame:
    """The per-request needs of a WebApplicationJob by (technology, implementation_details), from Boavizta's
    ecobenchmark as efootprint 9 to 15 read it: request_duration (second, always 1: the benchmark's values
    per request assume it), compute_needed (cpu_core), ram_needed (megabyte_ram, as published). Made by
    scripts/make_archetypes.py."""
    frame = read_archetype_csv(ARCHETYPES_DIR / "web_application_ecobenchmark.csv",
                               {"request_duration": "second", "compute_needed": "cpu_core",
                                "ram_needed": "megabyte_ram"})
    return frame.select("technology", "implementation_details", "request_duration", "compute_needed", "ram_needed")


# EcoLogits' model data (scripts/make_archetypes.py, from the ecologits package), by external API class.
_ECOLOGITS_FILES = {"EcoLogitsGenAIExternalAPI": "ecologits_llm_models.csv",
                    "EcoLogitsVideoGenExternalAPI": "ecologits_video_models.csv"}
ECOLOGITS_COLUMNS = {
    "api_class": pl.String, "provider": pl.String, "model_name": pl.String, "datacenter_location": pl.String,
    "data_center_pue": pl.Float64, "average_carbon_intensity": pl.Float64,
    # LLMs
    "model_total_params": pl.Float64, "model_active_params": pl.Float64, "tokens_per_second": pl.Float64,
    "time_to_first_token": pl.Float64,
    # video generation
    "server_accelerator_power": pl.Float64, "server_embodied_gwp": pl.Float64,
    "accelerator_embodied_gwp": pl.Float64, "server_accelerator_count": pl.Float64,
    **dict.fromkeys(("n", "m", "n1", "m1", "n2", "m2", "g", "non_audio_weight"), pl.Float64),
    "resolutions": pl.List(pl.String),
}


@lru_cache(maxsize=1)
def ecologits_models() -> pl.DataFrame:
    """Every model EcoLogits knows, one row per (api_class, provider, model_name): the provider's datacenter
    location, PUE and grid carbon intensity (kg/kWh); an LLM's total and active parameter counts (billion),
    tokens per second and time to first token (second; null when EcoLogits has none); a video model's hardware
    (accelerator server power in kW, server and accelerator embodied GWP in kg, accelerator count), latency
    regression and allowed resolutions. Columns another class has no use for are null."""
    units = {"time_to_first_token": "second", "server_accelerator_power": "kilowatt",
             "average_carbon_intensity": "kilogram / kilowatt_hour"}
    frames = []
    for api_class, name in _ECOLOGITS_FILES.items():
        frame = read_archetype_csv(ARCHETYPES_DIR / name, units).with_columns(api_class=pl.lit(api_class))
        if "resolutions" in frame.columns:
            frame = frame.with_columns(pl.col("resolutions").str.split(";"))
        frames.append(frame)
    return pl.concat(frames, how="diagonal").select(
        [(pl.col(c) if c in set().union(*(f.columns for f in frames)) else pl.lit(None)).cast(dtype).alias(c)
         for c, dtype in ECOLOGITS_COLUMNS.items()])
