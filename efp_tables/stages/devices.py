"""End-user devices: busy while a journey is in progress, in the patterns that list them."""
from __future__ import annotations

import polars as pl

from efp_tables.stages.hourly import Hourly
from efp_tables.stages.timeline import VALUE, join, keyed, parameters

DEVICE = ["system_id", "device_id"]
PER_PATTERN = ["system_id", "device_id", "usage_pattern_id"]


def nb_journeys_in_parallel_per_usage_pattern(nb_usage_journeys_in_parallel_per_usage_pattern: Hourly,
                                              pattern_devices: pl.LazyFrame) -> Hourly:
    """Device.nb_journeys_in_parallel_per_usage_pattern (concurrent): devices busy per hour.
    Calculation: sum over the pattern's journeys of journeys in parallel[j, up]."""
    pattern = ["system_id", "usage_pattern_id"]
    return (nb_usage_journeys_in_parallel_per_usage_pattern
            .joined(parameters(pattern_devices, [*pattern, "device_id"]), pattern).summed(PER_PATTERN))


def device_intensities_per_usage_pattern(pattern_devices: pl.LazyFrame, devices: pl.LazyFrame,
                                         usage_patterns: pl.LazyFrame, countries: pl.LazyFrame) -> pl.LazyFrame:
    """kg CO2e per hour that a device of a pattern is busy: `use_kg_per_busy_hour` (its power at the
    pattern's country's carbon intensity) and `manufacturing_kg_per_busy_hour` (its manufacturing footprint
    spread over its hours of use).

    Calculation: use = power * 1 h * CI(up.country); manufacturing = cfm * 1 h / (lifespan * fraction_of_usage_time)."""
    ci = join(parameters(usage_patterns, ["system_id", "usage_pattern_id"], "country_id"),
              parameters(countries, ["system_id", "country_id"], "average_carbon_intensity"),
              ["system_id", "country_id"])
    intensities = join(join(parameters(pattern_devices, PER_PATTERN),
                            parameters(devices, DEVICE, "power", "carbon_footprint_manufacturing", "lifespan",
                                       "fraction_of_usage_time"), DEVICE),
                       ci.select(*keyed(ci, ["system_id", "usage_pattern_id"]), "average_carbon_intensity"),
                       ["system_id", "usage_pattern_id"])
    return intensities.select(
        *keyed(intensities, PER_PATTERN),
        (pl.col("power") * pl.col("average_carbon_intensity")).alias("use_kg_per_busy_hour"),
        (pl.col("carbon_footprint_manufacturing") / (pl.col("lifespan") * pl.col("fraction_of_usage_time")))
        .alias("manufacturing_kg_per_busy_hour"))


def device_footprints_per_usage_pattern(nb_journeys_in_parallel_per_usage_pattern: Hourly,
                                        device_intensities_per_usage_pattern: pl.LazyFrame) -> Hourly:
    """Device.use_footprint_per_usage_pattern and instances_manufacturing_footprint_per_usage_pattern (kg): the
    devices busy, scaled by intensities of the key table.

    Calculation: use = busy * use_kg_per_busy_hour; manufacturing = busy * manufacturing_kg_per_busy_hour."""
    busy = nb_journeys_in_parallel_per_usage_pattern.joined(device_intensities_per_usage_pattern, PER_PATTERN)
    return busy.scaling(**{
        "use_footprint": (VALUE, "use_kg_per_busy_hour"),
        "instances_manufacturing_footprint": (VALUE, "manufacturing_kg_per_busy_hour")}).keyed_by(PER_PATTERN)


def device_footprints(device_footprints_per_usage_pattern: Hourly) -> Hourly:
    """Device.use_footprint and instances_manufacturing_footprint (kg). Calculation: sum over patterns."""
    return device_footprints_per_usage_pattern.summed(DEVICE)
