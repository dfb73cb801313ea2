"""Regenerate the archetype reference tables under ``data/archetypes/``.

Produces three CSV files:

``data/archetypes/countries.csv``
    One row per country known to efootprint, built from the CSV that efootprint ships
    (``efootprint/constants/countries_computations/countries_elec_carbon_intensity_and_timezone.csv``,
    Our World in Data electricity carbon intensity plus an IANA timezone). The carbon intensity
    is truncated to a whole number of gCO2/kWh, which is what efootprint does. This part only
    reads that file; efootprint is not imported.

``data/archetypes/boavizta_cloud_instances.csv``
    One row per (provider, instance_type) listed in efootprint's bundled snapshot
    ``efootprint/builders/hardware/boavizta_cloud_instances_snapshot.json``, with the
    manufacturing footprint (kg), average power (W), memory (GB) and vCPU count that the
    boaviztapi Python package (called offline, GWP criterion only, other parameters at their
    defaults) returns for it, i.e. the values efootprint's BoaviztaCloudServer uses when it
    runs with ``USE_BOAVIZTAPI_PACKAGE=1``. Instances for which boaviztapi raises, or whose
    answer does not meet efootprint's expectations (power unit "W", use-time ratio 1, memory
    unit "GB"), are skipped and reported.

``data/archetypes/web_application_ecobenchmark.csv``
    The per-request needs of the seeds' WebApplicationJob: one row per (technology, implementation_details)
    that Boavizta's ecobenchmark (ecobenchmark-applicationweb-backend, results of 2022-06-28) measured, with
    request_duration (1 s: the benchmark's per-request values assume it), compute_needed (cpu_core) and
    ram_needed (MB_ram). efootprint 9 to 15 shipped the benchmark's raw runs and the table derived from them
    (``builders/services/ecobenchmark_analysis/``); efootprint 16 dropped them, so they are read from the
    efootprint 15.0.1 wheel, fetched with ``pip download`` (or given with ``--efootprint-15-wheel``). The
    values are those of the shipped table, which efootprint read; the script re-derives each of them from the
    raw runs (../shared/spec/web_application.md, section 3.1) and stops if one differs by more than 1e-12.

``data/archetypes/ecologits_llm_models.csv`` and ``data/archetypes/ecologits_video_models.csv``
    EcoLogits' model data (the ``ecologits`` package, offline), as efootprint 27's EcoLogitsGenAIExternalAPI and
    EcoLogitsVideoGenExternalAPI read it: one row per (provider, model_name) of efootprint's list_values and
    conditional_list_values (the LLM model repository with its aliases, the video catalog), with the
    provider's datacenter location, PUE and the grid carbon intensity there, and, for an LLM, its total and
    active parameter counts (billion; a range or a mixture-of-experts count collapsed to its mean, as efootprint
    does), tokens per second and time to first token (empty when EcoLogits has none); for a video model, its
    hardware (mean accelerator server power in kW, server and accelerator embodied GWP, accelerator count), its
    latency regression (n, m, n1, m1, n2, m2, g, non_audio_weight) and its allowed resolutions. efp_tables
    computes EcoLogits' impact formulas itself (stages/external_apis.py): ``ecologits`` is needed only here.

Rerun it whenever Boavizta (the boaviztapi package) or efootprint (its country CSV or its cloud
instance snapshot) is upgraded:

    .venv/bin/python scripts/make_archetypes.py           # regenerate the files
    .venv/bin/python scripts/make_archetypes.py --only web_application   # one of them
    .venv/bin/python scripts/make_archetypes.py --check   # regenerate, then cross-check with efootprint

``--check`` (needs efootprint, a test dependency) compares a few randomly chosen cloud
instances from the written CSV with the values of efootprint's own BoaviztaCloudServer, and
every country of efootprint's ``Countries`` with the written countries CSV. It exits with a
non-zero status on any mismatch.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import importlib.util
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
import warnings
import zipfile
from collections import defaultdict
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUT_DIR = REPO_ROOT / "data" / "archetypes"
COUNTRIES_CSV = OUTPUT_DIR / "countries.csv"
CLOUD_CSV = OUTPUT_DIR / "boavizta_cloud_instances.csv"
WEB_APPLICATION_CSV = OUTPUT_DIR / "web_application_ecobenchmark.csv"
ECOLOGITS_LLM_CSV = OUTPUT_DIR / "ecologits_llm_models.csv"
ECOLOGITS_VIDEO_CSV = OUTPUT_DIR / "ecologits_video_models.csv"

COUNTRIES_HEADER = [
    "country_id", "name", "short_name", "average_carbon_intensity[gram / kilowatt_hour]", "timezone", "source"]
CLOUD_HEADER = [
    "provider", "instance_type", "carbon_footprint_manufacturing[kilogram]", "power[watt]", "ram[gigabyte_ram]",
    "compute[cpu_core]"]
WEB_APPLICATION_HEADER = [
    "technology", "implementation_details", "request_duration[second]", "compute_needed[cpu_core]",
    "ram_needed[megabyte_ram]"]

_ECOLOGITS_PROVIDER = ["provider", "model_name", "datacenter_location", "data_center_pue[dimensionless]",
                       "average_carbon_intensity[kilogram / kilowatt_hour]"]
ECOLOGITS_LLM_HEADER = [*_ECOLOGITS_PROVIDER, "model_total_params[billion]", "model_active_params[billion]",
                        "tokens_per_second[dimensionless]", "time_to_first_token[second]"]
VIDEO_REGRESSION = ("n", "m", "n1", "m1", "n2", "m2", "g", "non_audio_weight")
ECOLOGITS_VIDEO_HEADER = [*_ECOLOGITS_PROVIDER, "server_accelerator_power[kilowatt]",
                          "server_embodied_gwp[kilogram]", "accelerator_embodied_gwp[kilogram]",
                          "server_accelerator_count[dimensionless]",
                          *(f"{name}[dimensionless]" for name in VIDEO_REGRESSION), "resolutions"]

COUNTRY_SOURCE_FILE = ("constants", "countries_computations", "countries_elec_carbon_intensity_and_timezone.csv")
CLOUD_SNAPSHOT_FILE = ("builders", "hardware", "boavizta_cloud_instances_snapshot.json")


def efootprint_data_file(*parts: str) -> Path:
    """Path of a data file inside the installed efootprint package, found without importing efootprint."""
    spec = importlib.util.find_spec("efootprint")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("efootprint is not installed: it is needed for its bundled data files.")
    for location in spec.submodule_search_locations:
        candidate = Path(location).joinpath(*parts)
        if candidate.is_file():
            return candidate
    sys.exit(f"Could not find {'/'.join(parts)} inside the installed efootprint package.")


# --------------------------------------------------------------------------------------------------
# Countries
# --------------------------------------------------------------------------------------------------

def build_country_rows(source_csv: Path) -> list[dict]:
    rows = []
    with open(source_csv, newline="", encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            name = record["Entity"]
            rows.append({
                "country_id": name.replace(" ", "-"),
                "name": name,
                "short_name": record["Code"],
                # Truncation toward zero, as efootprint does (e.g. 44.18 -> 44).
                "average_carbon_intensity[gram / kilowatt_hour]": int(
                    float(record["Carbon intensity of electricity - gCO2/kWh"])),
                "timezone": record["Timezone"],
                "source": f"Our world in data ({record['Year']})",
            })
    rows.sort(key=lambda row: row["name"])
    ids = [row["country_id"] for row in rows]
    duplicates = sorted({country_id for country_id in ids if ids.count(country_id) > 1})
    if duplicates:
        sys.exit(f"Duplicate country ids: {duplicates}")
    return rows


# --------------------------------------------------------------------------------------------------
# Boavizta cloud instances
# --------------------------------------------------------------------------------------------------

def load_cloud_instance_list(snapshot_json: Path) -> list[tuple[str, str]]:
    with open(snapshot_json, encoding="utf-8") as handle:
        snapshot = json.load(handle)
    pairs = []
    for provider in snapshot["providers"]:
        for instance_type in snapshot["instances_by_provider"].get(provider, []):
            pairs.append((provider, instance_type))
    return sorted(set(pairs))


def silence_boaviztapi_warnings() -> None:
    # boaviztapi's consumption-profile fit emits scipy OptimizeWarnings and a few others that carry
    # no information for this table.
    for category in (ResourceWarning, DeprecationWarning, UserWarning, RuntimeWarning):
        warnings.simplefilter("ignore", category)
    try:
        from scipy.optimize import OptimizeWarning
        warnings.simplefilter("ignore", OptimizeWarning)
    except ImportError:
        pass


def extract_cloud_values(answer: dict) -> tuple[float, float, float, float]:
    """Pick the four figures out of a boaviztapi cloud-instance answer, checking units along the way."""
    verbose = answer["verbose"]

    power_unit = verbose["avg_power"]["unit"]
    if power_unit != "W":
        raise ValueError(f"average power unit is {power_unit!r}, expected 'W'")
    use_time_ratio = float(verbose["use_time_ratio"]["value"])
    if use_time_ratio != 1:
        raise ValueError(f"use_time_ratio is {use_time_ratio}, expected 1")
    memory_unit = verbose["memory"]["unit"]
    if memory_unit != "GB":
        raise ValueError(f"memory unit is {memory_unit!r}, expected 'GB'")

    values = (
        float(answer["impacts"]["gwp"]["embedded"]["value"]),
        float(verbose["avg_power"]["value"]),
        float(verbose["memory"]["value"]),
        float(verbose["vcpu"]["value"]),
    )
    if not all(math.isfinite(value) for value in values):
        raise ValueError(f"non-finite value in {values}")
    return values


async def compute_cloud_rows(pairs: list[tuple[str, str]]) -> tuple[list[dict], list[tuple[str, str, str]]]:
    from boaviztapi.routers.cloud_router import instance_cloud_impact_from_model

    rows, skipped = [], []
    for index, (provider, instance_type) in enumerate(pairs, start=1):
        try:
            answer = await instance_cloud_impact_from_model(
                provider=provider, instance_type=instance_type, criteria=["gwp"])
            carbon, power, ram, compute = extract_cloud_values(answer)
        except Exception as error:  # noqa: BLE001 - any failure means this instance is left out
            reason = f"{type(error).__name__}: {error}"
            skipped.append((provider, instance_type, reason))
            print(f"SKIPPED {provider} {instance_type}: {reason}", flush=True)
            continue
        rows.append({
            "provider": provider,
            "instance_type": instance_type,
            "carbon_footprint_manufacturing[kilogram]": carbon,
            "power[watt]": power,
            "ram[gigabyte_ram]": ram,
            "compute[cpu_core]": compute,
        })
        if index % 250 == 0:
            print(f"  ... {index}/{len(pairs)} instances processed", flush=True)
    return rows, skipped


# --------------------------------------------------------------------------------------------------
# Web application needs (Boavizta's ecobenchmark, as efootprint 9 to 15 used it)
# --------------------------------------------------------------------------------------------------

ECOBENCHMARK_FOLDER = "efootprint/builders/services/ecobenchmark_analysis/"
ECOBENCHMARK_TABLE = ECOBENCHMARK_FOLDER + "ecobenchmark_data_for_job_defaults.csv"
ECOBENCHMARK_RAW = ECOBENCHMARK_FOLDER + "ecobenchmark_results__raw.csv"
# Hypotheses of the analysis behind the shipped table: each load test lasted 600 s; a request takes 1 s, so
# that requests in parallel = requests per second; both servers' CPU loads are counted on 8 cores (the
# analysis names 24 cores for the application server but multiplies by the database server's 8, and the
# shipped values follow that).
BENCHMARK_SECONDS = 600.0
REQUEST_SECONDS = 1.0
CORES_PER_SERVER = 8.0


def efootprint_15_wheel(given: Path | None, folder: Path) -> Path:
    """The efootprint 15.0.1 wheel: the one given, else fetched from PyPI with pip (no dependencies)."""
    if given is not None:
        return given
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
                    "--dest", str(folder), "efootprint==15.0.1"], check=True)
    return next(folder.glob("efootprint-15.0.1-*.whl"))


def read_wheel_csv(wheel: Path, member: str) -> list[dict]:
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read(member).decode("utf-8")
    return list(csv.DictReader(text.splitlines()))


def derived_needs(raw_runs: list[dict]) -> dict[tuple[str, str], tuple[float, float]]:
    """(service, use_case) -> (cpu cores, MB of RAM) per request, derived from the benchmark's runs: per run
    the RAM (application + database, bytes to MB), the CPU cores and the requests in parallel; their means
    over the runs of a pair; per request, the mean load over the mean requests in parallel."""
    sums: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0])
    for run in raw_runs:
        pair = sums[run["service"], run["use_case"]]
        pair[0] += (float(run["application_ram_avg"]) + float(run["database_ram_avg"])) / 1e6
        pair[1] += CORES_PER_SERVER * float(run["application_cpu_avg"]) + CORES_PER_SERVER * float(run["database_cpu_avg"])
        pair[2] += float(run["http_reqs"]) * REQUEST_SECONDS / BENCHMARK_SECONDS
        pair[3] += 1
    return {key: ((cpu / n) / (parallel / n), (ram / n) / (parallel / n))
            for key, (ram, cpu, parallel, n) in sums.items()}


def build_web_application_rows(wheel: Path) -> list[dict]:
    shipped = read_wheel_csv(wheel, ECOBENCHMARK_TABLE)
    derived = derived_needs(read_wheel_csv(wheel, ECOBENCHMARK_RAW))
    if set(derived) != {(row["service"], row["use_case"]) for row in shipped}:
        sys.exit("The ecobenchmark table and its raw runs do not cover the same (service, use_case) pairs.")
    rows = []
    for record in shipped:
        compute, ram = float(record["avg_cpu_core_per_request"]), float(record["avg_ram_per_request_in_MB"])
        derived_compute, derived_ram = derived[record["service"], record["use_case"]]
        for name, value, again in (("cpu", compute, derived_compute), ("ram", ram, derived_ram)):
            if not math.isclose(value, again, rel_tol=1e-12, abs_tol=0.0):
                sys.exit(f"{record['service']} / {record['use_case']}: {name} per request {value!r} in the shipped "
                         f"table, {again!r} derived from the raw runs")
        rows.append({"technology": record["service"], "implementation_details": record["use_case"],
                     "request_duration[second]": REQUEST_SECONDS, "compute_needed[cpu_core]": compute,
                     "ram_needed[megabyte_ram]": ram})
    rows.sort(key=lambda row: (row["technology"], row["implementation_details"]))
    return rows


# --------------------------------------------------------------------------------------------------
# EcoLogits (the ecologits package, offline)
# --------------------------------------------------------------------------------------------------

def _mean(value) -> float:
    """A range's mean, a number as a float (efootprint collapses EcoLogits' ranges to their means)."""
    from ecologits.utils.range_value import RangeValue
    if isinstance(value, RangeValue):
        return (value.min + value.max) / 2
    if isinstance(value, dict):  # the video catalog's {"min", "max"}
        return (value["min"] + value["max"]) / 2
    return float(value)


def _grid_intensity(zone: str | None) -> float:
    from ecologits.electricity_mix_repository import electricity_mixes
    mix = electricity_mixes.find_electricity_mix(zone=zone or "WOR")  # no location: the world mix
    if mix is None:
        raise SystemExit(f"EcoLogits has no electricity mix for zone {zone!r}")
    return float(mix.gwp)


def build_ecologits_llm_rows() -> list[dict]:
    from ecologits.model_repository import ModelRepository, ParametersMoE
    from ecologits.tracers.utils import PROVIDER_CONFIG_MAP

    rows = []
    for model in ModelRepository.from_json().list_models():
        provider = model.provider.value
        config = PROVIDER_CONFIG_MAP[provider]
        parameters = model.architecture.parameters
        total, active = ((parameters.total, parameters.active) if isinstance(parameters, ParametersMoE)
                         else (parameters, parameters))
        deployment = model.deployment
        tps = deployment.tps if deployment else None
        ttft = deployment.ttft if deployment else None
        rows.append({
            "provider": provider, "model_name": model.name, "datacenter_location": config.datacenter_location or "",
            "data_center_pue[dimensionless]": _mean(config.datacenter_pue),
            "average_carbon_intensity[kilogram / kilowatt_hour]": _grid_intensity(config.datacenter_location),
            "model_total_params[billion]": _mean(total), "model_active_params[billion]": _mean(active),
            "tokens_per_second[dimensionless]": "" if tps is None else float(tps),
            "time_to_first_token[second]": "" if ttft is None else float(ttft)})
    return sorted(rows, key=lambda row: (row["provider"], row["model_name"]))


def build_ecologits_video_rows() -> list[dict]:
    from ecologits.estimations.video import _HARDWARE_CONFIGURATIONS, _MODELS_INFO, _PROVIDER_CONFIGURATIONS

    rows = []
    for slug, info in _MODELS_INFO.items():
        provider, model_name = slug.split("/", 1)
        config = _PROVIDER_CONFIGURATIONS[provider]
        hardware = _HARDWARE_CONFIGURATIONS[info["hardware"]]
        power = hardware["server_power"]  # W; EcoLogits' range is its 2.5 and 97.5 percentiles
        resolutions = [f"{_RESOLUTION_NAMES[height]} ({width} x {height})"
                       for width, height in info["capabilities"]["resolutions"]]
        rows.append({
            "provider": provider, "model_name": model_name, "datacenter_location": config["datacenter_location"],
            "data_center_pue[dimensionless]": _mean(config["datacenter_pue"]),
            "average_carbon_intensity[kilogram / kilowatt_hour]": _grid_intensity(config["datacenter_location"]),
            "server_accelerator_power[kilowatt]": (power["p2_5"] / 1000 + power["p97_5"] / 1000) / 2,
            "server_embodied_gwp[kilogram]": float(hardware["server_embodied"]["gwp"]),
            "accelerator_embodied_gwp[kilogram]": float(hardware["accelerator_embodied"]["gwp"]),
            "server_accelerator_count[dimensionless]": float(hardware["number_of_accelerators"]),
            **{f"{name}[dimensionless]": float(info["regression_parameters"].get(name, 1.0 if name ==
                                                                                 "non_audio_weight" else 0.0))
               for name in VIDEO_REGRESSION},
            "resolutions": ";".join(resolutions)})
    return sorted(rows, key=lambda row: (row["provider"], row["model_name"]))


# efootprint's labels of EcoLogits' video resolutions, by height
_RESOLUTION_NAMES = {480: "480p", 576: "576p", 720: "720p", 1080: "1080p", 2160: "4K"}


def check_ecologits_against_efootprint() -> bool:
    """Every LLM and video model of efootprint's list values is a row, with the values efootprint reads."""
    from efootprint.builders.external_apis.ecologits.ecologits_external_api import EcoLogitsGenAIExternalAPI
    from efootprint.builders.external_apis.ecologits.ecologits_video_external_api import (
        EcoLogitsVideoGenExternalAPI, EcoLogitsVideoGenExternalAPIJob)

    all_ok = True
    for cls, path in ((EcoLogitsGenAIExternalAPI, ECOLOGITS_LLM_CSV), (EcoLogitsVideoGenExternalAPI, ECOLOGITS_VIDEO_CSV)):
        with open(path, newline="", encoding="utf-8") as handle:
            written = {(row["provider"], row["model_name"]): row for row in csv.DictReader(handle)}
        listed = {(str(provider), str(model)) for provider, models in
                  cls.conditional_list_values["model_name"]["conditional_list_values"].items() for model in models}
        if listed != set(written):
            all_ok = False
            print(f"  MISMATCH {cls.__name__}: {sorted(listed ^ set(written))[:5]} not on both sides")
        print(f"  {cls.__name__}: {len(listed)} models listed by efootprint, {len(written)} rows")
    resolutions = EcoLogitsVideoGenExternalAPIJob.conditional_list_values["resolution"]["conditional_list_values"]
    with open(ECOLOGITS_VIDEO_CSV, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            expected = [str(choice) for model, choices in resolutions.items() if str(model) == row["model_name"]
                        for choice in choices]
            if row["resolutions"].split(";") != expected:
                all_ok = False
                print(f"  MISMATCH resolutions of {row['model_name']}: {row['resolutions']} != {expected}")
    return all_ok


# --------------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------------

def write_csv(path: Path, header: list[str], rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = path.with_suffix(path.suffix + ".tmp")
    with open(tmp_path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            # repr() of a float is the shortest string that round-trips exactly.
            writer.writerow({key: repr(value) if isinstance(value, float) else value for key, value in row.items()})
    tmp_path.replace(path)


# --------------------------------------------------------------------------------------------------
# --check: cross-check against efootprint itself
# --------------------------------------------------------------------------------------------------

def check_cloud_against_efootprint(sample_size: int, seed: int | None) -> bool:
    os.environ["USE_BOAVIZTAPI_PACKAGE"] = "1"
    from efootprint.abstract_modeling_classes.source_objects import SourceObject
    from efootprint.builders.hardware.boavizta_cloud_server import BoaviztaCloudServer
    from efootprint.core.hardware.storage import Storage

    with open(CLOUD_CSV, newline="", encoding="utf-8") as handle:
        written = list(csv.DictReader(handle))
    rng = random.Random(seed)
    sample = rng.sample(written, min(sample_size, len(written)))
    attribute_to_column = {
        "carbon_footprint_manufacturing": "carbon_footprint_manufacturing[kilogram]",
        "power": "power[watt]",
        "ram": "ram[gigabyte_ram]",
        "compute": "compute[cpu_core]",
    }
    all_ok = True
    for row in sample:
        server = BoaviztaCloudServer.from_defaults(
            "x", provider=SourceObject(row["provider"]), instance_type=SourceObject(row["instance_type"]),
            storage=Storage.ssd())
        mismatches = []
        for attribute, column in attribute_to_column.items():
            efootprint_value = float(getattr(server, attribute).value.magnitude)
            csv_value = float(row[column])
            if efootprint_value != csv_value:
                mismatches.append(f"{attribute}: csv {csv_value!r} != efootprint {efootprint_value!r}")
        label = f"{row['provider']} {row['instance_type']}"
        if mismatches:
            all_ok = False
            print(f"  MISMATCH {label}: " + "; ".join(mismatches))
        else:
            print(f"  ok {label}: " + ", ".join(f"{column}={row[column]}" for column in attribute_to_column.values()))
    return all_ok


def check_countries_against_efootprint() -> bool:
    from efootprint.constants.countries import Countries

    with open(COUNTRIES_CSV, newline="", encoding="utf-8") as handle:
        written = {row["name"]: row for row in csv.DictReader(handle)}
    all_ok, nb_checked = True, 0
    for attribute_name, generator in vars(Countries).items():
        if not attribute_name.isupper() or not callable(generator):
            continue
        country = generator()
        row = written.get(country.name)
        if row is None:
            all_ok = False
            print(f"  MISSING country {country.name} (Countries.{attribute_name})")
            continue
        expected = {
            "short_name": country.short_name,
            "average_carbon_intensity[gram / kilowatt_hour]": float(
                country.average_carbon_intensity.value.to("gram / kilowatt_hour").magnitude),
            "timezone": str(country.timezone.value),
            "source": country.average_carbon_intensity.source.name,
        }
        actual = {
            "short_name": row["short_name"],
            "average_carbon_intensity[gram / kilowatt_hour]": float(row["average_carbon_intensity[gram / kilowatt_hour]"]),
            "timezone": row["timezone"],
            "source": row["source"],
        }
        if expected != actual:
            all_ok = False
            print(f"  MISMATCH country {country.name}: csv {actual} != efootprint {expected}")
        nb_checked += 1
    print(f"  {nb_checked} efootprint countries compared with {len(written)} CSV rows: "
          f"{'all match' if all_ok else 'MISMATCHES FOUND'}")
    return all_ok


# --------------------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="after writing, compare random cloud instances and all countries with efootprint")
    parser.add_argument("--sample-size", type=int, default=5, help="number of cloud instances compared by --check")
    parser.add_argument("--seed", type=int, default=None, help="random seed for the --check sample")
    parser.add_argument("--only", choices=("countries", "cloud", "web_application", "ecologits"), action="append",
                        help="regenerate only this table (repeatable; default: all)")
    parser.add_argument("--efootprint-15-wheel", type=Path, default=None,
                        help="the efootprint 15.0.1 wheel holding the ecobenchmark data (default: pip download)")
    args = parser.parse_args()
    only = set(args.only or ("countries", "cloud", "web_application", "ecologits"))

    start = time.perf_counter()

    if "web_application" in only:
        with tempfile.TemporaryDirectory() as folder:
            web_rows = build_web_application_rows(efootprint_15_wheel(args.efootprint_15_wheel, Path(folder)))
        write_csv(WEB_APPLICATION_CSV, WEB_APPLICATION_HEADER, web_rows)
        print(f"Wrote {len(web_rows)} web application needs to {WEB_APPLICATION_CSV.relative_to(REPO_ROOT)}")

    if "countries" in only:
        country_rows = build_country_rows(efootprint_data_file(*COUNTRY_SOURCE_FILE))
        write_csv(COUNTRIES_CSV, COUNTRIES_HEADER, country_rows)
        print(f"Wrote {len(country_rows)} countries to {COUNTRIES_CSV.relative_to(REPO_ROOT)}")

    if "cloud" in only:
        silence_boaviztapi_warnings()
        pairs = load_cloud_instance_list(efootprint_data_file(*CLOUD_SNAPSHOT_FILE))
        print(f"Computing {len(pairs)} cloud instances with boaviztapi ...", flush=True)
        cloud_rows, skipped = asyncio.run(compute_cloud_rows(pairs))
        cloud_rows.sort(key=lambda row: (row["provider"], row["instance_type"]))
        write_csv(CLOUD_CSV, CLOUD_HEADER, cloud_rows)
        print(f"Wrote {len(cloud_rows)} cloud instances to {CLOUD_CSV.relative_to(REPO_ROOT)}")
        print(f"Summary: {len(pairs)} instances in the snapshot, {len(cloud_rows)} written, {len(skipped)} skipped")
        for provider, instance_type, reason in skipped:
            print(f"  skipped {provider} {instance_type}: {reason}")

    if "ecologits" in only:
        llm_rows, video_rows = build_ecologits_llm_rows(), build_ecologits_video_rows()
        write_csv(ECOLOGITS_LLM_CSV, ECOLOGITS_LLM_HEADER, llm_rows)
        write_csv(ECOLOGITS_VIDEO_CSV, ECOLOGITS_VIDEO_HEADER, video_rows)
        print(f"Wrote {len(llm_rows)} EcoLogits LLMs to {ECOLOGITS_LLM_CSV.relative_to(REPO_ROOT)} and "
              f"{len(video_rows)} video models to {ECOLOGITS_VIDEO_CSV.relative_to(REPO_ROOT)}")

    all_ok = True
    if args.check and "ecologits" in only:
        print("Checking EcoLogits models against efootprint's list values ...")
        all_ok &= check_ecologits_against_efootprint()
    if args.check and "cloud" in only:
        print(f"Checking {args.sample_size} random cloud instances against efootprint's BoaviztaCloudServer ...")
        all_ok &= check_cloud_against_efootprint(args.sample_size, args.seed)
    if args.check and "countries" in only:
        print("Checking countries against efootprint's Countries ...")
        all_ok &= check_countries_against_efootprint()
    if args.check:
        print(f"Check: {'PASSED' if all_ok else 'FAILED'}")

    print(f"Done in {time.perf_counter() - start:.1f} s")
    return 0 if all_ok else 1

if __name__ == "__main__":
    sys.exit(main())
