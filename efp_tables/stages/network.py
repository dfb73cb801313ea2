"""Network: energy of the data the jobs transfer, at the carbon intensity of each pattern's country."""
from __future__ import annotations

import polars as pl

from efp_tables.stages.hourly import Hourly
from efp_tables.stages.timeline import VALUE, join, keyed, parameters

NETWORK = ["system_id", "network_id"]


def usage_pattern_network_intensity(usage_patterns: pl.LazyFrame, networks: pl.LazyFrame,
                                    countries: pl.LazyFrame, edge_usage_patterns: pl.LazyFrame) -> pl.LazyFrame:
    """kg CO2e per MB that a pattern's jobs transfer (`kg_per_mb`), on its network (`network_id`); edge patterns
    too (the jobs their recurrent server needs call).

    Calculation: k[up] = bandwidth_energy_intensity(up.network) * CI(up.country)."""
    patterns = pl.concat([parameters(table, ["system_id", "usage_pattern_id"], "network_id", "country_id")
                          for table in (usage_patterns, edge_usage_patterns)], how="diagonal_relaxed")
    factor = join(join(patterns,
                       parameters(networks, NETWORK, "bandwidth_energy_intensity"), NETWORK),
                  parameters(countries, ["system_id", "country_id"], "average_carbon_intensity"),
                  ["system_id", "country_id"])
    return factor.select(*keyed(factor, ["system_id", "usage_pattern_id", "network_id"]),
                         (pl.col("bandwidth_energy_intensity") * pl.col("average_carbon_intensity"))
                         .alias("kg_per_mb"))


def job_network_intensity_per_usage_pattern(job_parameters: pl.LazyFrame,
                                            usage_pattern_network_intensity: pl.LazyFrame) -> pl.LazyFrame:
    """kg CO2e per hour that an invocation of a job of a pattern is in progress (`kg_per_invocation_hour`):
    the data it transfers per hour of processing, at the pattern's kg per MB. (A sweep's network footprint is
    the jobs' invocations in progress times this: the data transferred stays out of its hourly frames.)

    Calculation: data_transferred[J] / request_duration[J] * k[up]."""
    intensity = join(parameters(job_parameters, ["system_id", "job_id"], "data_transferred", "request_duration"),
                     usage_pattern_network_intensity, ["system_id"])
    return intensity.select(*keyed(intensity, ["system_id", "job_id", "usage_pattern_id"]),
                            (pl.col("data_transferred") / pl.col("request_duration") * pl.col("kg_per_mb"))
                            .alias("kg_per_invocation_hour"))


def network_use_footprint_per_job(job_hourly_data_transferred_per_usage_pattern: Hourly,
                                  usage_pattern_network_intensity: pl.LazyFrame) -> Hourly:
    """Network.use_footprint_per_job (kg): each job's transfers over the patterns that use this network.

    Calculation: sum over patterns up on the network of data_transferred[J, up] * k[up]."""
    per_pattern = job_hourly_data_transferred_per_usage_pattern.joined(usage_pattern_network_intensity,
                                                                       ["system_id", "usage_pattern_id"])
    # Scaled as summed (each member as it is gathered): the patterns' data rows, shared by copies of a system,
    # are read where they are, not copied per job first.
    kg = per_pattern.only(data=VALUE).scaling(**{VALUE: ("data", "kg_per_mb")})
    return kg.summed([*NETWORK, "job_id"], [VALUE]).only(VALUE).keyed_by([*NETWORK, "job_id"])


def network_use_footprint(network_use_footprint_per_job: Hourly) -> Hourly:
    """Network.use_footprint (kg). Calculation: sum over jobs."""
    return network_use_footprint_per_job.summed(NETWORK)
