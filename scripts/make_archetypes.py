"""Regenerate the archetype reference tables under ``data/archetypes/``.

Produces two CSV files:

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

Rerun it whenever Boavizta (the boaviztapi package) or efootprint (its country CSV or its cloud
instance snapshot) is upgraded:

    .venv/bin/python scripts/make_archetypes.py           # regenerate both files
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
import sys
import time
import warnings
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUT_DIR = REPO_ROOT / "data" / "archetypes"
COUNTRIES_CSV = OUTPUT_DIR / "countries.csv"
CLOUD_CSV = OUTPUT_DIR / "boavizta_cloud_instances.csv"

COUNTRIES_HEADER = [
    "country_id", "name", "short_name", "average_carbon_intensity[gram / kilowatt_hour]", "timezone", "source"]
CLOUD_HEADER = [
    "provider", "instance_type", "carbon_footprint_manufacturing[kilogram]", "power[watt]", "ram[gigabyte_ram]",
    "compute[cpu_core]"]

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
    args = parser.parse_args()

    start = time.perf_counter()

    country_rows = build_country_rows(efootprint_data_file(*COUNTRY_SOURCE_FILE))
    write_csv(COUNTRIES_CSV, COUNTRIES_HEADER, country_rows)
    print(f"Wrote {len(country_rows)} countries to {COUNTRIES_CSV.relative_to(REPO_ROOT)}")

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

    exit_code = 0
    if args.check:
        print(f"Checking {args.sample_size} random cloud instances against efootprint's BoaviztaCloudServer ...")
        cloud_ok = check_cloud_against_efootprint(args.sample_size, args.seed)
        print("Checking countries against efootprint's Countries ...")
        countries_ok = check_countries_against_efootprint()
        print(f"Check: {'PASSED' if cloud_ok and countries_ok else 'FAILED'}")
        exit_code = 0 if cloud_ok and countries_ok else 1

    print(f"Done in {time.perf_counter() - start:.1f} s")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
