"""Attribution: every impact source's footprint split, exactly once, into atoms (efootprint 27's attribution
layer). An atom is one hourly kg series at one cell: (source, stream, phase, usage pattern, journey, job, step).
Grouping atoms by any key and summing gives every attribution figure (per usage pattern, journey, step, job; a
Sankey's node totals; what is left when a class of sources is excluded).

The split rules, per source:
- servers: the provisioned stream (instances manufacturing, idle energy) and the dynamic stream (energy under
  load) go to the server's jobs by their share of the demand on the binding resource (compute or RAM, whichever
  drives the instance count that hour; a service job also carries its volume share of its service's base
  consumption). An on-premise server's provisioned stream is shared by flat weights instead, tier by tier of its
  instances (see `_tier_shares`). A job's part then goes to its cells (usage pattern, journey, step) by their
  share of its invocations in progress: hourly, or over the period for on-premise provisioned footprints.
- storage (manufacturing only): the retention stream (the instances' share holding job data) by each cell's
  own cumulative stored data; the baseline stream (unused and base capacity) by the cell's share of the
  storage's jobs' invocations over the period.
- network (use only): each cell's transferred data at its pattern's kg per MB.
- devices: the journeys inside each step, at the device's kg per busy hour.

Atoms are computed on the stages' blocks: key tables are joined, block rows gathered and multiplied, for every
atom of every system and variant at once."""
from __future__ import annotations

import numpy as np
import polars as pl

from efp_tables.stages.hourly import FIRST, LAST, ROW, Hourly, aligned, stacked
from efp_tables.stages.jobs import JOB
from efp_tables.stages.servers import SERVER
from efp_tables.stages.storage import STORAGE, dump_parameters, stored_with_dumps
from efp_tables.stages.timeline import VALUE, keyed, parameters

# An atom's key, as efootprint's attribution atoms (and shared/reference/*.attribution.parquet) spell it.
CELL_COLUMNS = ["usage_pattern_id", "journey_id", "job_id", "step_id"]
EDGE_CELL_COLUMNS = ["rsn_id", "ef_id", "recn_id", "redn_id"]  # edge cells: null for web sources
ATOM_KEYS = ["system_id", "source_id", "source_class", "stream", "phase", *CELL_COLUMNS]
MANUFACTURING, USE = "Manufacturing", "Use"


def attribution(server_footprints: Hourly, server_instances: Hourly, server_hourly_needs: Hourly,
                server_job_hourly_needs: Hourly, service_total_job_volumes: Hourly, server_capacity: pl.LazyFrame,
                server_hardware: pl.LazyFrame, services: pl.LazyFrame, job_parameters: pl.LazyFrame,
                job_hourly_avg_occurrences_per_coordinate: Hourly,
                job_hourly_avg_occurrences_across_usage_patterns: Hourly,
                job_hourly_data_stored_across_usage_patterns: Hourly, storage_footprints: Hourly,
                storage_jobs: pl.LazyFrame, storages: pl.LazyFrame,
                job_hourly_data_transferred_per_coordinate: Hourly, usage_pattern_network_intensity: pl.LazyFrame,
                step_hourly_avg_occurrences_per_usage_coordinate: Hourly,
                device_intensities_per_usage_pattern: pl.LazyFrame) -> Hourly:
    """The atoms of every impact source (kg per hour, block VALUE), keyed by ATOM_KEYS (and the sweep
    dimensions). The atoms of a source and phase add up to its footprint in that phase, all atoms of a system to
    its total_footprint, hour by hour.

    Calculation (share_X: a part over its whole, 0 where the whole is 0; see the module docstring):
    server: provisioned = F_phase * w[J] * c[cell], dynamic = load_use * d[J] * h[cell], with d[J] the job's
    share of the binding demand, w[J] = d[J] (or the flat tier weight, on-premise), h the cell's hourly share of
    the job's invocations in progress, c = h (or its period share, on-premise);
    storage: retention = F_retention * cum[cell] / N, baseline = F_baseline * occ[cell] / occ[storage jobs]
    (period sums); network = data[cell] * kg_per_mb[up]; device = inside[up, j, s] * kg_per_busy_hour[d, up]."""
    cells = _cells(job_hourly_avg_occurrences_per_coordinate, job_hourly_avg_occurrences_across_usage_patterns)
    parts = [*_server_atoms(server_footprints, server_instances, server_hourly_needs, server_job_hourly_needs,
                            service_total_job_volumes, server_capacity, server_hardware, services, job_parameters,
                            cells),
             *_storage_atoms(storage_footprints, storage_jobs, storages, cells,
                             job_hourly_data_stored_across_usage_patterns),
             _network_atoms(job_hourly_data_transferred_per_coordinate, usage_pattern_network_intensity),
             *_device_atoms(step_hourly_avg_occurrences_per_usage_coordinate, device_intensities_per_usage_pattern)]
    # a system without any cell (steps without jobs, patterns without devices) has no atom: one empty part
    atoms = stacked([part for part in parts if part.height] or parts[-1:])
    return atoms.keyed_by(ATOM_KEYS)


def _beside(series: Hourly, other: Hourly, on: list[str], how: str = "inner", carry: tuple[str, ...] = (),
            **columns: str) -> Hourly:
    """`series` (its columns materialized) with `other`'s columns ({new: old}) and key columns `carry` next to
    them, row matched with row on `on` (and the sweep dimensions both have; one only `other` has repeats the
    series). Spans are united; a row without a match (how="left") gets 0."""
    series, other = aligned(series, other)
    left = series.holding(**{c: series[c] for c in series.columns})
    right = other.only(**columns)
    matches = right.keys.select(*keyed(right.keys.lazy(), on), *carry, pl.col(ROW).alias("_other"),
                                pl.col(FIRST).alias("_other_first"), pl.col(LAST).alias("_other_last"))
    matched = left.joined(matches, on, how=how)
    keys = matched.keys.with_columns(pl.min_horizontal(FIRST, "_other_first").alias(FIRST),
                                     pl.max_horizontal(LAST, "_other_last").alias(LAST))
    rows, at = keys[ROW].to_numpy(), keys["_other"].fill_null(-1).to_numpy()
    blocks = {c: left.blocks[c][rows] for c in left.blocks}
    for column in columns:
        source = right.blocks[column]
        block = source[np.maximum(at, 0)] if source.shape[0] else np.zeros((len(at), source.shape[1]))
        block[at < 0] = 0.0
        blocks[column] = block
    return Hourly.of(keys.drop("_other", "_other_first", "_other_last"), blocks, series.start)


def _ratio(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """part / whole, 0 where whole is 0 (efootprint's divide_or_fallback with fallback 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(whole != 0, part / np.where(whole != 0, whole, 1.0), 0.0)


def _cells(per_coordinate: Hourly, across_patterns: Hourly) -> Hourly:
    """Every job's cells (pattern, journey, step) with their hourly share of the job's invocations in progress
    (`hourly_share`) and their share over the period (`flat_share`, a column of the key table; an equal share
    per cell for a job that never runs), and the cell's and job's invocations over the period (`cell_occurrences`,
    `job_occurrences`)."""
    cells = _beside(per_coordinate.only(occurrences=VALUE), across_patterns, JOB, job_total=VALUE)
    job = keyed(cells.keys.lazy(), JOB)
    sums = cells.keys.select(job).with_columns(
        pl.Series("_cell_sum", cells["occurrences"].sum(axis=1)), pl.Series("_job_sum", cells["job_total"].sum(axis=1)))
    flat = sums.select(pl.when(pl.col("_job_sum") > 0).then(pl.col("_cell_sum") / pl.col("_job_sum"))
                       .otherwise(1.0 / pl.len().over(job)).alias("flat_share"),
                       pl.col("_cell_sum").alias("cell_occurrences"), pl.col("_job_sum").alias("job_occurrences"))
    return Hourly(cells.keys.with_columns(flat),
                  {"occurrences": cells.blocks["occurrences"],
                   "hourly_share": _ratio(cells.blocks["occurrences"], cells.blocks["job_total"])}, cells.start)


def _labelled(atoms: Hourly, source_id: str, source_class: str | pl.Expr, stream: str, phase: str) -> Hourly:
    """Atoms with the atom key columns named as ATOM_KEYS (job and step null where `atoms` has none)."""
    keys = atoms.keys
    id_type = keys.schema["usage_pattern_id"]
    missing = [pl.lit(None, dtype=id_type).alias(c) for c in CELL_COLUMNS if c not in keys.columns]
    source_class = pl.lit(source_class) if isinstance(source_class, str) else source_class
    keys = keys.with_columns(*missing, pl.col(source_id).alias("source_id"), source_class.alias("source_class"),
                             pl.lit(stream).alias("stream"), pl.lit(phase).alias("phase"))
    return Hourly(keys, atoms.blocks, atoms.start).keyed_by(ATOM_KEYS)


def _server_atoms(server_footprints: Hourly, server_instances: Hourly, server_hourly_needs: Hourly,
                  server_job_hourly_needs: Hourly, service_total_job_volumes: Hourly, server_capacity: pl.LazyFrame,
                  server_hardware: pl.LazyFrame, services: pl.LazyFrame, job_parameters: pl.LazyFrame,
                  cells: Hourly) -> list[Hourly]:
    shares = _server_job_shares(server_instances, server_hourly_needs, server_job_hourly_needs,
                                service_total_job_volumes, server_capacity, server_hardware, services,
                                job_parameters)
    per_cell = _beside(cells, shares, JOB, carry=("server_id", "on_premise", "server_class"), dynamic_share="dynamic_share", provisioned_share="provisioned_share")
    flat = per_cell.keys["on_premise"].to_numpy()[:, None]
    hourly_share = per_cell["hourly_share"]
    provisioned_cell_share = np.where(flat, per_cell.parameter("flat_share"), hourly_share)
    weights = per_cell.holding(provisioned=per_cell["provisioned_share"] * provisioned_cell_share,
                               dynamic=per_cell["dynamic_share"] * hourly_share)
    streams = (("provisioned", MANUFACTURING, "instances_manufacturing_footprint"),
               ("provisioned", USE, "idle_use_footprint"), ("dynamic", USE, "load_use_footprint"))
    parts = []
    for stream, phase, column in streams:
        atoms = _beside(weights.only(weight=stream), server_footprints, SERVER, footprint=column)
        atoms = atoms.holding(**{VALUE: atoms["weight"] * atoms["footprint"]})
        parts.append(_labelled(atoms, "server_id", pl.col("server_class"), stream, phase))
    return parts


def _server_job_shares(server_instances: Hourly, server_hourly_needs: Hourly, server_job_hourly_needs: Hourly,
                       service_total_job_volumes: Hourly, server_capacity: pl.LazyFrame,
                       server_hardware: pl.LazyFrame, services: pl.LazyFrame, job_parameters: pl.LazyFrame) -> Hourly:
    """Per (server, job): `dynamic_share`, the job's hourly share of the demand on the server's binding resource,
    and `provisioned_share` (the same, or the flat tier weight of an on-premise server; key column `on_premise`).

    Calculation: binding = compute where need_compute / available_compute >= need_ram / available_ram, else RAM;
    demand[J] = occ[J] * needed[J] / available (on the binding resource) + for a service job, the service's base
    consumption / available * nb * occ[J] / occ[service jobs]."""
    jobs = (server_job_hourly_needs.only("occurrences")
            .joined(parameters(job_parameters, JOB, "ram_needed", "compute_needed"), JOB)
            .joined(parameters(server_capacity, SERVER, "available_ram_per_instance",
                               "available_compute_per_instance"), SERVER)
            .joined(parameters(services, ["system_id", "service_id"],
                               pl.col("base_ram_consumption").alias("service_base_ram"),
                               pl.col("base_compute_consumption").alias("service_base_compute")),
                    ["system_id", "service_id"], how="left")
            .joined(parameters(server_hardware, SERVER, "server_type", "server_class"), SERVER))
    jobs = _beside(jobs, server_hourly_needs, SERVER, ram_need="ram_need", compute_need="compute_need")
    jobs = _beside(jobs, server_instances, SERVER, nb="nb_of_instances", raw="raw_nb_of_instances")
    jobs = _beside(jobs, service_total_job_volumes, [*SERVER, "service_id"], how="left", service_volume=VALUE)
    ram, compute = jobs.parameter("available_ram_per_instance"), jobs.parameter("available_compute_per_instance")
    compute_binds = jobs["compute_need"] / compute >= jobs["ram_need"] / ram
    per_invocation = np.where(compute_binds, jobs.parameter("compute_needed") / compute,
                              jobs.parameter("ram_needed") / ram)
    service_base = np.where(compute_binds, np.nan_to_num(jobs.parameter("service_base_compute")) / compute,
                            np.nan_to_num(jobs.parameter("service_base_ram")) / ram)
    occurrences = jobs["occurrences"]
    demand = (per_invocation * occurrences
              + service_base * jobs["nb"] * _ratio(occurrences, jobs["service_volume"]))
    demands = jobs.holding(demand=demand, raw=jobs["raw"], nb=jobs["nb"])
    shares = _beside(demands, demands.only("demand").summed(SERVER), SERVER, total_demand="demand")
    dynamic = _ratio(shares["demand"], shares["total_demand"])
    on_premise = (shares.keys["server_type"] == "on-premise").to_numpy()
    provisioned = dynamic.copy()
    if on_premise.any():
        provisioned[on_premise] = _tier_shares(shares.filtered(on_premise))[:, None]
    return (Hourly(shares.keys.with_columns(pl.Series("on_premise", on_premise)),
                   {"dynamic_share": dynamic, "provisioned_share": provisioned}, shares.start)
            .keyed_by([*SERVER, "job_id"], "on_premise", "server_class"))


def _tier_shares(jobs: Hourly) -> np.ndarray:
    """Flat provisioned weights of the jobs of on-premise servers (one per row of `jobs`, direct rows with
    blocks demand, raw, nb): instance tier k (1..T, T = the server's peak instances) is needed in the hours
    where raw > k - 1, and within them jobs share the tier's 1/T of the provisioned footprint by their demand
    summed over those hours (by their demand over the period if no hour needs the tier; equally if there is no
    demand at all). An hour with raw instances r belongs to tiers 1..min(T, ceil(r)), so a tier's demand is a
    reverse cumulative sum of the demand binned by that count. One pass per on-premise server (not per job or
    hour)."""
    server = jobs.keys.select(keyed(jobs.keys.lazy(), SERVER)).select(pl.struct(pl.all()).rank("dense")).to_series()
    codes = server.to_numpy() - 1
    demand, raw, nb = jobs["demand"], jobs["raw"], jobs["nb"]
    shares = np.zeros(jobs.height)
    for code in np.unique(codes):
        rows = np.flatnonzero(codes == code)
        tiers = int(round(nb[rows[0]].max(initial=0.0)))
        period = demand[rows].sum(axis=1)
        period_share = period / period.sum() if period.sum() > 0 else np.full(len(rows), 1.0 / len(rows))
        if tiers == 0:
            continue  # no instance ever: nothing provisioned to share
        count = np.minimum(np.ceil(raw[rows[0]]), tiers).astype(np.int64)
        binned = np.zeros((len(rows), tiers + 1))
        np.add.at(binned, (slice(None), count), demand[rows])
        per_tier = np.cumsum(binned[:, ::-1], axis=1)[:, ::-1][:, 1:]  # tiers 1..T: hours with count >= k
        tier_total = per_tier.sum(axis=0)
        tier_share = np.where(tier_total > 0, per_tier / np.where(tier_total > 0, tier_total, 1.0),
                              period_share[:, None])
        shares[rows] = tier_share.sum(axis=1) / tiers
    return shares


def _storage_atoms(storage_footprints: Hourly, storage_jobs: pl.LazyFrame, storages: pl.LazyFrame, cells: Hourly,
                   data_stored: Hourly) -> list[Hourly]:
    """Retention atoms by each cell's own cumulative stored data (in float32 and dumped as it falls due, as the
    storage's own cumulative), baseline atoms by the cell's share of the storage's jobs' invocations over the
    period (flat: the baseline holds capacity in idle hours too)."""
    per_cell = (cells.joined(parameters(storage_jobs, [*STORAGE, "job_id"]), JOB)
                .joined(dump_parameters(storages), STORAGE))
    rates = _beside(per_cell, data_stored, JOB, job_rate=VALUE)
    # The cell's data stored per hour: its hourly share of the job's (exact: both are 0 where the job's total is).
    cumulative = stored_with_dumps(rates.holding(**{VALUE: rates["hourly_share"] * rates["job_rate"]}))[VALUE]
    storage = keyed(rates.keys.lazy(), STORAGE)
    # A job's flat share of the storage's jobs times the cell's flat share of the job: the cell's share of the
    # storage's invocations (equal shares per job, then per cell, where nothing runs at all).
    baseline_share = rates.keys.select(
        pl.when(pl.col("cell_occurrences").sum().over(storage) > 0)
        .then(pl.col("job_occurrences") / pl.col("cell_occurrences").sum().over(storage) * pl.col("flat_share"))
        .otherwise(pl.col("flat_share") / pl.col("job_id").n_unique().over(storage)))
    shares = rates.holding(cumulative=cumulative.astype(np.float64)).keyed_by(
        [*STORAGE, *CELL_COLUMNS], baseline_share.to_series().alias("baseline_share"))
    retention = _beside(shares, storage_footprints, STORAGE, footprint="storage_retention_manufacturing_footprint",
                        written="job_written_cumulative_storage_need")
    baseline = _beside(shares, storage_footprints, STORAGE, footprint="storage_baseline_manufacturing_footprint")
    return [_labelled(retention.holding(**{VALUE: retention["footprint"] * _ratio(
                retention["cumulative"], retention["written"].astype(np.float64))}).keyed_by(
                [*STORAGE, *CELL_COLUMNS]), "storage_id", "Storage", "retention", MANUFACTURING),
            _labelled(baseline.holding(**{VALUE: baseline["footprint"] * baseline.parameter("baseline_share")})
                      .keyed_by([*STORAGE, *CELL_COLUMNS]), "storage_id", "Storage", "baseline", MANUFACTURING)]


def _network_atoms(data_transferred: Hourly, network_intensity: pl.LazyFrame) -> Hourly:
    """Each cell's transferred data at the kg per MB of its pattern (country and network)."""
    atoms = data_transferred.joined(network_intensity, ["system_id", "usage_pattern_id"])
    atoms = atoms.holding(**{VALUE: atoms[VALUE] * atoms.parameter("kg_per_mb")})
    return _labelled(atoms, "network_id", "Network", "single", USE)


def _device_atoms(inside_steps: Hourly, device_intensities: pl.LazyFrame) -> list[Hourly]:
    """The journeys inside each step of a pattern, at each of the pattern's devices' kg per busy hour."""
    busy = inside_steps.joined(device_intensities, ["system_id", "usage_pattern_id"])
    return [_labelled(busy.holding(**{VALUE: busy[VALUE] * busy.parameter(intensity)}), "device_id", "Device",
                      "single", phase)
            for phase, intensity in ((USE, "use_kg_per_busy_hour"), (MANUFACTURING, "manufacturing_kg_per_busy_hour"))]
