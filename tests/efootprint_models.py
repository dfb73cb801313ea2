"""Random valid efootprint 27 systems, built with efootprint's own Python API, for differential tests.

A hypothesis strategy (`system_specs`) draws a plain, printable `SystemSpec`; `build_system` turns it into an
efootprint System; `differential_check` serializes that System with efootprint's `system_to_json` (inputs only),
computes the file with efootprint (shared/tools/efootprint_dump.py) and with efp_tables, and compares both long
results tables with shared/tools/parity.py.

Validity is kept by construction: base RAM and compute consumptions (of the server and of the video streaming
service installed on it) are fractions of the instance's capacity, and fixed numbers of instances (on-premise
servers, storages) are set to efootprint's own peak (plus 0 to 3) by a first build of the same spec.
Parameters are "generic" floats (not round numbers) where an instance count is ceiled, so that a float32 versus
float64 difference does not land on an integer; durations, on the contrary, include round values (20 min x 3 =
1 h) because whole-hour boundaries are where shifts go wrong.

efootprint computes hourly series in float32, efp_tables in float64 (README). Where efootprint's float32 noise
alone would decide a result beyond parity.py's tolerances, the generated systems stay away from it (see
`steps_well_conditioned`, `away_from_float32_artefacts` and `calibrated`): tiny steps late in long journeys,
storages without base need that dump data within the period, and serverless servers' storages whose base need
is small next to their need. Everything else is fair game, including patterns over disjoint periods, starts on
daylight saving time changes, weights of 0, steps that no journey uses (efootprint still saves and computes what
they link to), and exact zero hours in occurrences, deployment starts and edge server calls with jobs of an hour
or more and with edge deployments (efootprint's FFT noise there, which a server ceils into an instance, is
reproduced by efp_tables).

efootprint_dump must be imported before any other efootprint module (it switches efootprint to name-based
ids), so this module imports it first, and object names are unique within a system.
"""
from __future__ import annotations

import contextlib
import io
import math
import os
import sys
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

TOOLS = Path(__file__).resolve().parents[2] / "shared" / "tools"
sys.path.insert(0, str(TOOLS))
# Boavizta cloud instances come from the boaviztapi package, never from the network.
os.environ.setdefault("USE_BOAVIZTAPI_PACKAGE", "1")

import efootprint_dump  # noqa: E402  (first efootprint import: name-based ids)
import parity  # noqa: E402

import numpy as np  # noqa: E402
import polars as pl  # noqa: E402
import pytz  # noqa: E402
from hypothesis import assume, strategies as st  # noqa: E402

from efootprint.abstract_modeling_classes.modeling_object import ModelingObject  # noqa: E402
from efootprint.abstract_modeling_classes.source_objects import (  # noqa: E402
    SourceObject, SourceRecurrentValues, SourceTimezone, SourceValue)
from efootprint.api_utils.system_to_json import system_to_json  # noqa: E402
from efootprint.builders.hardware.boavizta_cloud_server import BoaviztaCloudServer  # noqa: E402
from efootprint.builders.services.video_streaming import VideoStreaming, VideoStreamingJob  # noqa: E402
from efootprint.builders.time_builders import create_source_hourly_values_from_list  # noqa: E402
from efootprint.builders.timeseries import ExplainableHourlyQuantitiesFromFormInputs  # noqa: E402
from efootprint.constants.countries import Countries  # noqa: E402
from efootprint.constants.units import u  # noqa: E402
from efootprint.core.country import Country  # noqa: E402
from efootprint.core.hardware.device import Device  # noqa: E402
from efootprint.core.hardware.gpu_server import GPUServer  # noqa: E402
from efootprint.core.hardware.network import Network  # noqa: E402
from efootprint.builders.hardware.edge.edge_appliance import EdgeAppliance  # noqa: E402
from efootprint.builders.hardware.edge.edge_computer import EdgeComputer  # noqa: E402
from efootprint.builders.usage.edge.recurrent_edge_process import RecurrentEdgeProcess  # noqa: E402
from efootprint.builders.usage.edge.recurrent_edge_workload import RecurrentEdgeWorkload  # noqa: E402
from efootprint.core.hardware.edge.edge_cpu_component import EdgeCPUComponent  # noqa: E402
from efootprint.core.hardware.edge.edge_device import EdgeDevice  # noqa: E402
from efootprint.core.hardware.edge.edge_device_group import EdgeDeviceGroup  # noqa: E402
from efootprint.core.hardware.edge.edge_ram_component import EdgeRAMComponent  # noqa: E402
from efootprint.core.hardware.edge.edge_storage import EdgeStorage  # noqa: E402
from efootprint.core.hardware.edge.edge_workload_component import EdgeWorkloadComponent  # noqa: E402
from efootprint.core.usage.edge.edge_function import EdgeFunction  # noqa: E402
from efootprint.core.usage.edge.edge_usage_journey import EdgeUsageJourney  # noqa: E402
from efootprint.core.usage.edge.edge_usage_pattern import EdgeUsagePattern  # noqa: E402
from efootprint.core.usage.edge.recurrent_edge_component_need import RecurrentEdgeComponentNeed  # noqa: E402
from efootprint.core.usage.edge.recurrent_edge_device_need import RecurrentEdgeDeviceNeed  # noqa: E402
from efootprint.core.usage.edge.recurrent_edge_storage_need import RecurrentEdgeStorageNeed  # noqa: E402
from efootprint.core.usage.edge.recurrent_server_need import RecurrentServerNeed  # noqa: E402
from pint import Quantity  # noqa: E402
from efootprint.core.hardware.server import Server  # noqa: E402
from efootprint.core.hardware.storage import Storage  # noqa: E402
from efootprint.core.system import System  # noqa: E402
from efootprint.core.usage.job import GPUJob, Job  # noqa: E402
from efootprint.builders.external_apis.ecologits.ecologits_external_api import (  # noqa: E402
    EcoLogitsGenAIExternalAPI, EcoLogitsGenAIExternalAPIJob)
from efootprint.builders.external_apis.ecologits.ecologits_video_external_api import (  # noqa: E402
    EcoLogitsVideoGenExternalAPI, EcoLogitsVideoGenExternalAPIJob)
from efootprint.core.usage.usage_journey import UsageJourney  # noqa: E402
from efootprint.core.usage.usage_journey_step import UsageJourneyStep  # noqa: E402
from efootprint.core.usage.usage_pattern import UsagePattern  # noqa: E402

from efp_tables.compute import compute  # noqa: E402
from efp_tables.io.efootprint_json import read_model  # noqa: E402

assert ModelingObject._use_name_as_id, "efootprint_dump must switch efootprint to name-based ids"

# --- catalogues -------------------------------------------------------------------------------------------------

# efootprint's own countries: positive, negative, half-hour (rounded half to even: +4:30 -> 4, +3:30 -> 4,
# +5:30 -> 6, +6:30 -> 6) and quarter-hour offsets, northern and southern daylight saving time, "negative" DST
# (Ireland's winter time, Morocco's Ramadan time) and a change of standard offset (Kazakhstan, March 2024).
EFOOTPRINT_COUNTRIES = ("FRANCE", "UNITED_STATES", "INDIA", "JAPAN", "BRAZIL", "AFGHANISTAN", "IRAN", "NEPAL",
                        "MYANMAR", "SRI_LANKA", "AUSTRALIA", "CHILE", "NEW_ZEALAND", "UNITED_KINGDOM", "IRELAND",
                        "MOROCCO", "KAZAKHSTAN")
# Countries made here, for zones efootprint's list lacks: -3:30 with DST, +12:45 with DST, +14, -11, UTC.
CUSTOM_COUNTRIES = {"Newfoundland": "America/St_Johns", "Chatham Islands": "Pacific/Chatham",
                    "Line Islands": "Pacific/Kiritimati", "American Samoa": "Pacific/Pago_Pago",
                    "Greenwich": "UTC", "South Australia": "Australia/Adelaide"}
COUNTRY_CHOICES = tuple(EFOOTPRINT_COUNTRIES) + tuple(CUSTOM_COUNTRIES)

# Boavizta cloud instances (provider, instance_type) -> (RAM in GB, vCPUs), as in Boavizta's catalogue.
CLOUD_INSTANCES = {("scaleway", "ent1-s"): (32, 8), ("scaleway", "dev1-s"): (2, 2), ("aws", "m5.xlarge"): (16, 4),
                   ("aws", "t3.micro"): (1, 2), ("aws", "r5.large"): (16, 2), ("gcp", "e2-medium"): (4, 2),
                   ("gcp", "n2-standard-4"): (16, 4), ("azure", "d16as_v5"): (64, 16),
                   ("ovhcloud", "b3-8"): (8, 2)}

RESOLUTIONS = ("480p (640 x 480)", "720p (1280 x 720)", "1080p (1920 x 1080)", "1440p (2560 x 1440)",
               "2K (2048 x 1080)", "4K (3840 x 2160)")
SERVER_TYPES = ("autoscaling", "on-premise", "serverless")
DEVICE_ARCHETYPES = ("laptop", "smartphone", "box", "screen")


# --- specs --------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StorageSpec:
    capacity_tb: float
    cfm_per_tb: float
    replication: float
    duration: tuple[float, str]          # data_storage_duration (value, unit)
    base_need_tb: float
    lifespan_years: float
    fixed_extra: int | None              # fixed_nb_of_instances = efootprint's peak + fixed_extra


@dataclass(frozen=True)
class ServerSpec:
    kind: str                            # Server, GPUServer or BoaviztaCloudServer
    server_type: str
    fixed_extra: int | None              # on-premise only: fixed_nb_of_instances = peak + fixed_extra
    ram_gb: float                        # Server: RAM; GPUServer: RAM per GPU
    compute: float                       # Server: cores; GPUServer: GPUs
    power_w: float                       # Server: power; GPUServer: power per GPU
    idle_fraction: float                 # idle power as a fraction of power (BoaviztaCloudServer: watts / 100)
    cfm_kg: float                        # Server: manufacturing; GPUServer: per GPU (the chassis is 10x)
    lifespan_years: float
    pue: float
    carbon_intensity_g: float
    utilization: float
    base_ram_fraction: float             # of RAM * utilization
    base_compute_fraction: float         # of compute * utilization
    cloud: tuple[str, str] | None
    storage: StorageSpec


@dataclass(frozen=True)
class ServiceSpec:
    server: int
    base_ram_fraction: float             # of the server's RAM * utilization
    bits_per_pixel: float
    cpu_cost: float                      # cpu_core / (GB/s)
    ram_buffer_mb: float


@dataclass(frozen=True)
class JobSpec:
    kind: str                            # Job, GPUJob or VideoStreamingJob
    target: int                          # server index (Job, GPUJob) or service index (VideoStreamingJob)
    duration: tuple[float, str]          # request_duration, or video_duration
    compute: float
    ram_mb: float
    transferred_mb: float
    stored_mb: float
    resolution: str
    refresh_rate: float
    output_tokens: float = 0.0           # EcoLogitsGenAIExternalAPIJob (target: its API's index)
    with_audio: bool = True              # EcoLogitsVideoGenExternalAPIJob (duration: the video's)


# EcoLogits models the random systems call: MoE with a throughput, dense without one (the latency regression),
# a small model on one GPU; video models on TPUs, H200 servers and a single H200, with and without audio weights.
LLM_MODELS = (("anthropic", "claude-opus-4-5"), ("mistralai", "mistral-large-latest"),
              ("huggingface_hub", "CohereForAI/aya-23-35B"), ("huggingface_hub", "CohereForAI/aya-23-8B"),
              ("openai", "gpt-4o-mini"))
VIDEO_MODELS = (("google", "veo-3.1-fast", ("720p (1280 x 720)", "1080p (1920 x 1080)")),
                ("openai", "sora-2-pro", ("720p (1280 x 720)", "1080p (1920 x 1080)")), ("alibaba", "wan2.1", ("720p (1280 x 720)",)))


@dataclass(frozen=True)
class ExternalAPISpec:
    kind: str                            # EcoLogitsGenAIExternalAPI or EcoLogitsVideoGenExternalAPI
    model: int                           # index in LLM_MODELS or VIDEO_MODELS


@dataclass(frozen=True)
class StepSpec:
    time_spent: tuple[float, str]
    jobs: tuple[tuple[int, float], ...]  # (job index, times per step), in order


@dataclass(frozen=True)
class JourneySpec:
    steps: tuple[tuple[int, float], ...]  # (step index, times per journey), in order


@dataclass(frozen=True)
class DeviceSpec:
    archetype: str | None                # one of DEVICE_ARCHETYPES, or None for custom values below
    cfm_kg: float
    power_w: float
    lifespan_years: float
    hours_per_day: float


@dataclass(frozen=True)
class PatternSpec:
    country: str
    network: int
    devices: tuple[int, ...]
    journeys: tuple[tuple[int, float], ...]  # (journey index, journeys per occurrence)
    start: datetime
    hours: int
    shape: str
    scale: float
    seed: int


@dataclass(frozen=True)
class EdgeDeviceSpec:
    kind: str                            # EdgeComputer, EdgeAppliance or EdgeDevice (CPU, RAM, storage, workload)
    lifespan_years: float
    cfm_kg: float
    power_w: float
    idle_fraction: float
    compute: float                       # cores (EdgeComputer, EdgeDevice's CPU)
    ram_gb: float
    load: float                          # share of the capacity the weekly needs reach at their peak
    write_gb: float                      # storage written per working hour, all deleted at the day's end
    units: float                         # the custom device's workload component units
    seed: int


@dataclass(frozen=True)
class EdgeSpec:
    devices: tuple[EdgeDeviceSpec, ...]
    functions: tuple[tuple[tuple[int, ...], tuple[tuple[int, int, float], ...]], ...]
    # per function: (device indices whose needs it runs, (device, job, times per call) server needs)
    journeys: tuple[tuple[int, ...], ...]  # function indices (repeats allowed)
    groups: tuple[tuple[tuple[int, float], ...], ...]  # per group: (device, count); group i > 0 nests in group 0
    nested_count: float
    country: str
    network: int
    start: datetime
    hours: int
    span_years: float
    starts_seed: int


@dataclass(frozen=True)
class SystemSpec:
    servers: tuple[ServerSpec, ...]
    services: tuple[ServiceSpec, ...]
    jobs: tuple[JobSpec, ...]
    steps: tuple[StepSpec, ...]
    journeys: tuple[JourneySpec, ...]
    devices: tuple[DeviceSpec, ...]
    networks: tuple[float | str, ...]    # bandwidth energy intensity in kWh/GB, or "wifi" / "mobile"
    patterns: tuple[PatternSpec, ...]
    edge: tuple[EdgeSpec, ...] = ()
    apis: tuple[ExternalAPISpec, ...] = ()


# --- strategies ---------------------------------------------------------------------------------------------------

def log_uniform(low: float, high: float) -> st.SearchStrategy[float]:
    """Generic floats between low and high, uniform in log scale."""
    return st.floats(math.log10(low), math.log10(high), allow_nan=False).map(lambda e: float(f"{10 ** e:.6g}"))


def generic(low: float, high: float) -> st.SearchStrategy[float]:
    """Generic floats between low and high; 0 rather than a vanishing value (hypothesis likes 1e-300, efp_tables
    rejects magnitudes below 1e-15 as typos)."""
    return st.floats(low, high, allow_nan=False).map(lambda x: 0.0 if x < 1e-6 * high else float(f"{x:.6g}"))


def durations(low_s: float, high_s: float, round_values: tuple[tuple[float, str], ...]):
    """(value, unit) durations: generic seconds between low_s and high_s, or round values in other units."""
    return st.one_of(log_uniform(low_s, high_s).map(lambda s: (s, "s")), st.sampled_from(round_values))


@lru_cache(maxsize=None)
def dst_edges(zone: str) -> tuple[datetime, ...]:
    """Local hours of 2024-2026 where the zone's wall clock jumps (a gap) or repeats (a fold), and the hours
    just before and after (a start there tests which UTC offset is taken: efootprint's is pytz's localize)."""
    tz = ZoneInfo(zone)
    edges = []
    hour = datetime(2024, 1, 1)
    while hour < datetime(2027, 1, 1):
        if hour.replace(tzinfo=tz, fold=0).utcoffset() != hour.replace(tzinfo=tz, fold=1).utcoffset():
            edges += [hour - timedelta(hours=1), hour, hour + timedelta(hours=1)]
        hour += timedelta(hours=1)
    return tuple(edges)


def country_zone(country: str) -> str:
    if country in CUSTOM_COUNTRIES:
        return CUSTOM_COUNTRIES[country]
    return str(getattr(Countries, country)().timezone.value)


@st.composite
def storage_specs(draw) -> StorageSpec:
    return StorageSpec(
        capacity_tb=draw(log_uniform(0.05, 20)),
        cfm_per_tb=draw(generic(10, 200)),
        replication=draw(st.sampled_from([1.0, 2.0, 3.0, 1.5, 5.0])),
        duration=draw(durations(3600 * 1.3, 3600 * 24 * 365 * 4,
                                ((1, "hour"), (5, "hour"), (1, "day"), (3, "day"), (30, "day"), (1, "year"),
                                 (2, "week")))),
        base_need_tb=draw(st.one_of(st.just(0.0), log_uniform(0.001, 50))),
        lifespan_years=draw(generic(2, 8)),
        fixed_extra=draw(st.one_of(st.none(), st.sampled_from([0, 1, 3]))))


@st.composite
def server_specs(draw) -> ServerSpec:
    kind = draw(st.sampled_from(["Server", "GPUServer", "BoaviztaCloudServer"]))
    server_type = draw(st.sampled_from(SERVER_TYPES))
    cloud = draw(st.sampled_from(sorted(CLOUD_INSTANCES))) if kind == "BoaviztaCloudServer" else None
    if kind == "GPUServer":
        ram, compute_, power = draw(generic(16, 96)), float(draw(st.integers(1, 8))), draw(generic(150, 700))
        cfm = draw(generic(50, 300))
    else:
        ram, compute_, power = draw(log_uniform(4, 512)), draw(log_uniform(2, 96)), draw(generic(80, 900))
        cfm = draw(generic(100, 3000))
    return ServerSpec(
        kind=kind, server_type=server_type,
        fixed_extra=draw(st.one_of(st.none(), st.sampled_from([0, 1, 3]))) if server_type == "on-premise" else None,
        ram_gb=ram, compute=compute_, power_w=power, idle_fraction=draw(generic(0, 0.7)), cfm_kg=cfm,
        lifespan_years=draw(generic(2, 8)), pue=draw(generic(1, 2)), carbon_intensity_g=draw(generic(5, 900)),
        utilization=draw(generic(0.4, 1)), base_ram_fraction=draw(st.one_of(st.just(0.0), generic(0, 0.4))),
        base_compute_fraction=draw(st.one_of(st.just(0.0), generic(0, 0.4))), cloud=cloud,
        storage=draw(storage_specs()))


@st.composite
def system_specs(draw) -> SystemSpec:
    servers = tuple(draw(st.lists(server_specs(), min_size=1, max_size=3)))
    cpu_servers = [i for i, s in enumerate(servers) if s.kind != "GPUServer"]
    gpu_servers = [i for i, s in enumerate(servers) if s.kind == "GPUServer"]
    services = []
    if cpu_servers and draw(st.booleans()):
        server = draw(st.sampled_from(cpu_servers))
        room = 0.8 - servers[server].base_ram_fraction  # the server's and the service's base RAM stay below 80%
        services.append(ServiceSpec(
            server=server, base_ram_fraction=draw(generic(0, room)), bits_per_pixel=draw(generic(0.02, 0.3)),
            cpu_cost=draw(generic(0.5, 10)), ram_buffer_mb=draw(generic(5, 200))))

    apis = []
    if GENAI:
        for _ in range(draw(st.sampled_from([0, 1, 1, 2]))):
            kind = draw(st.sampled_from(["EcoLogitsGenAIExternalAPI", "EcoLogitsVideoGenExternalAPI"]))
            models = LLM_MODELS if kind == "EcoLogitsGenAIExternalAPI" else VIDEO_MODELS
            apis.append(ExternalAPISpec(kind=kind, model=draw(st.integers(0, len(models) - 1))))
    llm_apis = [i for i, a in enumerate(apis) if a.kind == "EcoLogitsGenAIExternalAPI"]
    video_apis = [i for i, a in enumerate(apis) if a.kind == "EcoLogitsVideoGenExternalAPI"]
    kinds = (["Job"] if cpu_servers else []) + (["GPUJob"] if gpu_servers else []) + \
            (["VideoStreamingJob"] if services else []) + \
            (["EcoLogitsGenAIExternalAPIJob"] * 2 if llm_apis else []) + \
            (["EcoLogitsVideoGenExternalAPIJob"] * 2 if video_apis else [])
    jobs = []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(kinds))
        target = draw(st.sampled_from({"Job": cpu_servers, "GPUJob": gpu_servers,
                                       "VideoStreamingJob": list(range(len(services))),
                                       "EcoLogitsGenAIExternalAPIJob": llm_apis,
                                       "EcoLogitsVideoGenExternalAPIJob": video_apis}[kind]))
        video_api = apis[target] if kind == "EcoLogitsVideoGenExternalAPIJob" else None
        allowed = VIDEO_MODELS[video_api.model][2] if video_api else None
        if kind == "EcoLogitsVideoGenExternalAPIJob":
            video_duration = (float(draw(st.sampled_from([4, 5, 8, 10, 12]))), "s")
        jobs.append(JobSpec(
            kind=kind, target=target,
            duration=draw(durations(0.001, 6 * 3600, ((1, "hour"), (2, "hour"), (30, "minute"), (90, "minute"),
                                                       (200, "ms"), (3, "hour")))),
            compute=draw(log_uniform(0.05, 4) if kind == "GPUJob" else log_uniform(0.001, 4)),
            ram_mb=draw(log_uniform(1, 80_000 if kind == "GPUJob" else 8000)),
            transferred_mb=draw(st.one_of(st.just(0.0), log_uniform(0.001, 100))),
            stored_mb=draw(st.one_of(st.just(0.0), log_uniform(0.0001, 10))),
            resolution=draw(st.sampled_from(allowed or RESOLUTIONS)),
            refresh_rate=draw(st.sampled_from([24.0, 30.0, 60.0])),
            output_tokens=float(draw(st.one_of(st.integers(1, 4000), st.sampled_from([1000, 120, 2500])))),
            with_audio=draw(st.booleans())))
        if kind == "EcoLogitsVideoGenExternalAPIJob":
            jobs[-1] = replace(jobs[-1], duration=video_duration)

    weights = st.sampled_from([1.0, 0.5, 2.0, 3.0, 0.25, 1.5, 0.0])  # steps and jobs may weigh 0
    steps = []
    for _ in range(draw(st.integers(1, 4))):
        job_ids = draw(st.lists(st.sampled_from(range(len(jobs))), max_size=3, unique=True))
        steps.append(StepSpec(
            time_spent=draw(durations(1, 5 * 3600, ((20, "minute"), (10, "minute"), (1, "hour"), (30, "minute"),
                                                     (2, "hour"), (0, "second"), (45, "minute")))),
            jobs=tuple((j, draw(weights)) for j in job_ids)))
    journeys = []
    for _ in range(draw(st.integers(1, 3))):
        step_ids = draw(st.lists(st.sampled_from(range(len(steps))), min_size=1, max_size=3, unique=True))
        journeys.append(JourneySpec(steps=tuple((s, draw(weights)) for s in step_ids)))

    devices = []
    for _ in range(draw(st.integers(0, 3))):
        devices.append(DeviceSpec(
            archetype=draw(st.one_of(st.none(), st.sampled_from(DEVICE_ARCHETYPES))),
            cfm_kg=draw(generic(10, 400)), power_w=draw(generic(0.5, 120)), lifespan_years=draw(generic(1, 8)),
            hours_per_day=draw(generic(0.5, 24))))
    networks = tuple(draw(st.lists(st.one_of(st.sampled_from(["wifi", "mobile"]), generic(0.005, 0.3)),
                                   min_size=1, max_size=2)))

    # Patterns mostly run over overlapping periods (a shared anchor, a few days apart), sometimes over
    # unrelated ones, and start on a daylight saving time change of their country sometimes.
    hours_between = st.datetimes(datetime(2023, 1, 1), datetime(2027, 12, 31)).map(
        lambda d: d.replace(minute=0, second=0, microsecond=0, fold=0))
    anchor = draw(hours_between)
    near_anchor = st.integers(-96, 96).map(lambda h: anchor + timedelta(hours=h))
    patterns = []
    for _ in range(draw(st.integers(1, 3))):
        country = draw(st.sampled_from(COUNTRY_CHOICES))
        edges = dst_edges(country_zone(country))
        start_choices = [near_anchor, near_anchor, hours_between] + ([st.sampled_from(edges)] if edges else [])
        shape = draw(st.sampled_from(["uniform", "sparse", "spike", "daily", "middle", "constant", "form"]))
        journey_ids = draw(st.lists(st.sampled_from(range(len(journeys))), min_size=1, max_size=3, unique=True))
        patterns.append(PatternSpec(
            country=country, network=draw(st.sampled_from(range(len(networks)))),
            devices=tuple(draw(st.lists(st.sampled_from(range(len(devices))), max_size=3, unique=True)))
            if devices else (),
            journeys=tuple((j, draw(st.sampled_from([1.0, 0.5, 2.0, 3.0, 0.3]))) for j in journey_ids),
            start=draw(st.one_of(*start_choices)), hours=draw(st.integers(48, 1440)), shape=shape,
            scale=draw(log_uniform(0.1, 50_000)), seed=draw(st.integers(0, 2 ** 32 - 1))))

    edge = tuple(draw(edge_specs(len(jobs), len(networks), anchor))
                 for _ in range(draw(st.sampled_from([0, 1, 1, 2])) if EDGE else 0))
    spec = SystemSpec(servers=servers, services=tuple(services), jobs=tuple(jobs), steps=tuple(steps),
                      journeys=tuple(journeys), devices=tuple(devices), networks=networks, patterns=tuple(patterns),
                      edge=edge, apis=tuple(apis))
    assume(steps_well_conditioned(spec))
    return away_from_float32_artefacts(spec)


EDGE = os.environ.get("EFP_DIFFERENTIAL_EDGE", "1") == "1"  # random systems get edge usage patterns too
GENAI = os.environ.get("EFP_DIFFERENTIAL_GENAI", "1") == "1"  # and EcoLogits GenAI and video jobs


@st.composite
def edge_specs(draw, n_jobs: int, n_networks: int, anchor: datetime) -> EdgeSpec:
    """An edge usage pattern: 1 to 3 devices (EdgeComputer, EdgeAppliance, bespoke EdgeDevice) with weekly
    needs within their capacity, functions that journeys share or repeat, server needs calling the web jobs,
    and device groups (nested, a device in two groups)."""
    span = draw(st.sampled_from([0.25, 0.5, 1.0, 1.5]))
    devices = tuple(EdgeDeviceSpec(
        kind=draw(st.sampled_from(["EdgeComputer", "EdgeAppliance", "EdgeDevice"])),
        lifespan_years=span + draw(st.sampled_from([0.0, 1.0, 4.0])), cfm_kg=draw(generic(1, 400)),
        power_w=draw(generic(1, 200)), idle_fraction=draw(generic(0.05, 0.6)), compute=draw(st.sampled_from([2, 4, 8])),
        ram_gb=draw(st.sampled_from([2.0, 4.0, 16.0])), load=draw(generic(0.05, 0.9)),
        write_gb=draw(st.one_of(st.just(0.0), generic(0.001, 0.5))), units=draw(st.sampled_from([1.0, 2.0, 6.0])),
        seed=draw(st.integers(0, 2 ** 32 - 1))) for _ in range(draw(st.integers(1, 3))))
    functions = []
    for _ in range(draw(st.integers(1, 3))):
        needs = tuple(draw(st.lists(st.sampled_from(range(len(devices))), max_size=2, unique=True)))
        calls = tuple((draw(st.sampled_from(range(len(devices)))), draw(st.sampled_from(range(n_jobs))),
                       draw(st.sampled_from([1.0, 2.0, 0.5])))
                      for _ in range(draw(st.integers(0, 1))))
        assume(needs or calls)
        functions.append((needs, calls))
    journeys = tuple(tuple(draw(st.lists(st.sampled_from(range(len(functions))), min_size=1, max_size=3)))
                     for _ in range(draw(st.integers(1, 2))))
    groups = tuple(tuple((d, draw(st.sampled_from([1.0, 2.0, 3.0])))
                         for d in draw(st.lists(st.sampled_from(range(len(devices))), max_size=2, unique=True)))
                   for _ in range(draw(st.integers(0, 2))))
    return EdgeSpec(devices=devices, functions=tuple(functions), journeys=journeys, groups=groups,
                    nested_count=draw(st.sampled_from([1.0, 4.0])), country=draw(st.sampled_from(COUNTRY_CHOICES)),
                    network=draw(st.sampled_from(range(n_networks))),
                    start=anchor + timedelta(hours=draw(st.integers(-48, 48))), hours=draw(st.integers(24, 2000)),
                    span_years=span, starts_seed=draw(st.integers(0, 2 ** 32 - 1)))


def hours(duration: tuple[float, str]) -> float:
    return float((duration[0] * u(duration[1])).to(u.hour).magnitude)


def steps_well_conditioned(spec: SystemSpec, ratio: float = 100) -> bool:
    """Whether every step window (times per journey x time spent) is at least 1/ratio of the offset at which it
    ends in its journey. efootprint computes a step's occupancy as the difference of two float32 convolutions
    at the window's end and start offsets, so its relative error is ~1e-7 x offset / window: a 0.25 s step
    after 30 min of journey is off by ~5e-4 there (efp_tables is exact), beyond parity's 1e-4."""
    for journey in spec.journeys:
        end = 0.0
        for step, weight in journey.steps:
            window = weight * hours(spec.steps[step].time_spent)
            end += window
            if window > 0 and end > ratio * window:
                return False
    return True


def away_from_float32_artefacts(spec: SystemSpec) -> SystemSpec:
    """The spec, changed where efootprint's float32 arithmetic (not its model) would decide the result:
    - a storage that dumps data within the modeled period keeps float32 residues of its running sum, which can
      end slightly below 0 with no base storage need, and efootprint then fails (ZeroDivisionError in
      storage_retention_manufacturing_footprint): such storages get a base storage need.
    Serverless servers' storages get theirs in `calibrated`."""
    first = min(p.start for p in spec.patterns)
    last = max(p.start + timedelta(hours=p.hours) for p in spec.patterns)
    span = (last - first) / timedelta(hours=1) + 24 * 7  # + journeys' delays and jobs' durations
    servers = tuple(
        replace(s, storage=replace(s.storage, base_need_tb=round(0.0137 * s.storage.capacity_tb + 0.00291, 6)))
        if s.storage.base_need_tb == 0 and hours(s.storage.duration) < span else s
        for s in spec.servers)
    return replace(spec, servers=servers)


# --- building the efootprint system -------------------------------------------------------------------------------

def hourly_values(p: PatternSpec) -> np.ndarray:
    """The pattern's local hourly occurrences: generic floats (never round) drawn from its seed."""
    rng = np.random.default_rng(p.seed)
    n = p.hours
    base = rng.uniform(0.05, 1.0, n)
    if p.shape == "sparse":
        base = base * (rng.uniform(0, 1, n) < 0.3)
    elif p.shape == "spike":
        base = np.zeros(n)
        base[rng.integers(0, n, 3)] = rng.uniform(0.5, 1.0, 3)
    elif p.shape == "daily":
        hour_of_day = (np.arange(n) + p.start.hour) % 24
        base = (1 + 0.9 * np.sin(2 * np.pi * (hour_of_day - 4) / 24 - np.pi / 2)) * rng.uniform(0.9, 1.1, n)
    elif p.shape == "middle":  # zeros at both ends
        base[: n // 3] = 0
        base[-(n // 4):] = 0
    elif p.shape == "constant":
        base = np.full(n, 0.7310585786)
    return base * p.scale


def _q(value: float, unit: str) -> SourceValue:
    return SourceValue(value * u(unit))


def _country(name: str) -> Country:
    if name in CUSTOM_COUNTRIES:
        return Country(name, name[:3].upper(), _q(123.4567, "g/kWh"),
                       SourceTimezone(pytz.timezone(CUSTOM_COUNTRIES[name])))
    return getattr(Countries, name)()


def _storage(name: str, s: StorageSpec, fixed: float | None) -> Storage:
    return Storage(
        name, storage_capacity=_q(s.capacity_tb, "TB_stored"),
        carbon_footprint_manufacturing_per_storage_capacity=_q(s.cfm_per_tb, "kg/TB_stored"),
        data_replication_factor=_q(s.replication, "dimensionless"),
        data_storage_duration=_q(s.duration[0], s.duration[1]),
        base_storage_need=_q(s.base_need_tb, "TB_stored"), lifespan=_q(s.lifespan_years, "year"),
        fixed_nb_of_instances=None if fixed is None else _q(fixed, "concurrent"))


def server_capacity(s: ServerSpec) -> tuple[float, float]:
    """(RAM in GB, compute) of one instance."""
    if s.kind == "BoaviztaCloudServer":
        return CLOUD_INSTANCES[s.cloud]
    if s.kind == "GPUServer":
        return s.ram_gb * s.compute, s.compute
    return s.ram_gb, s.compute


def _server(name: str, s: ServerSpec, storage: Storage, fixed: float | None):
    ram, compute_ = server_capacity(s)
    common = dict(
        server_type=SourceObject(s.server_type), lifespan=_q(s.lifespan_years, "year"),
        power_usage_effectiveness=_q(s.pue, "dimensionless"),
        average_carbon_intensity=_q(s.carbon_intensity_g, "g/kWh"), utilization_rate=_q(s.utilization, "dimensionless"),
        base_ram_consumption=_q(s.base_ram_fraction * ram * s.utilization, "GB_ram"), storage=storage,
        fixed_nb_of_instances=None if fixed is None else _q(fixed, "concurrent"))
    base_compute = s.base_compute_fraction * compute_ * s.utilization
    if s.kind == "GPUServer":
        return GPUServer(
            name, gpu_power=_q(s.power_w, "W/gpu"), gpu_idle_power=_q(s.power_w * s.idle_fraction, "W/gpu"),
            ram_per_gpu=_q(s.ram_gb, "GB_ram/gpu"), carbon_footprint_manufacturing_per_gpu=_q(s.cfm_kg, "kg/gpu"),
            carbon_footprint_manufacturing_without_gpu=_q(s.cfm_kg * 10, "kg"), compute=_q(s.compute, "gpu"),
            base_compute_consumption=_q(base_compute, "gpu"), **common)
    if s.kind == "BoaviztaCloudServer":
        return BoaviztaCloudServer(
            name, provider=SourceObject(s.cloud[0]), instance_type=SourceObject(s.cloud[1]),
            idle_power=_q(s.idle_fraction * 100, "W"), base_compute_consumption=_q(base_compute, "cpu_core"),
            **common)
    return Server(
        name, carbon_footprint_manufacturing=_q(s.cfm_kg, "kg"), power=_q(s.power_w, "W"),
        idle_power=_q(s.power_w * s.idle_fraction, "W"), ram=_q(s.ram_gb, "GB_ram"),
        compute=_q(s.compute, "cpu_core"), base_compute_consumption=_q(base_compute, "cpu_core"), **common)


def _device(name: str, d: DeviceSpec) -> Device:
    if d.archetype is not None:
        return getattr(Device, d.archetype)(name)
    return Device(name, carbon_footprint_manufacturing=_q(d.cfm_kg, "kg"), power=_q(d.power_w, "W"),
                  lifespan=_q(d.lifespan_years, "year"), fraction_of_usage_time=_q(d.hours_per_day, "hour/day"))


def _network(name: str, n: float | str) -> Network:
    if n == "wifi":
        return Network.wifi_network(name)
    if n == "mobile":
        return Network.mobile_network(name)
    return Network(name, bandwidth_energy_intensity=_q(n, "kWh/GB"))


def _occurrences(p: PatternSpec):
    if p.shape == "form":  # efootprint's form inputs: whole days from midnight, exponential growth
        return ExplainableHourlyQuantitiesFromFormInputs({
            "start_date": p.start.strftime("%Y-%m-%d"), "modeling_duration_value": max(2, p.hours // 24),
            "modeling_duration_unit": "day", "initial_volume": round(p.scale * 24 * 30, 3),
            "initial_volume_timespan": "month", "net_growth_rate_in_percentage": p.seed % 60 - 20,
            "net_growth_rate_timespan": "year"})
    return create_source_hourly_values_from_list(hourly_values(p).tolist(), start_date=p.start)


def build_system(spec: SystemSpec, fixed: dict[str, float] | None = None) -> System:
    """The efootprint System of `spec`; `fixed` gives fixed_nb_of_instances by server or storage name."""
    fixed = fixed or {}
    servers = []
    for i, s in enumerate(spec.servers):
        storage = _storage(f"Storage {i}", s.storage, fixed.get(f"Storage {i}"))
        servers.append(_server(f"{s.kind} {i}", s, storage, fixed.get(f"{s.kind} {i}")))
    services = []
    for i, v in enumerate(spec.services):
        s = spec.servers[v.server]
        ram, _ = server_capacity(s)
        services.append(VideoStreaming(
            f"Video streaming {i}", server=servers[v.server],
            base_ram_consumption=_q(v.base_ram_fraction * ram * s.utilization, "GB_ram"),
            bits_per_pixel=_q(v.bits_per_pixel, "bit"), static_delivery_cpu_cost=_q(v.cpu_cost, "cpu_core/(GB/s)"),
            ram_buffer_per_user=_q(v.ram_buffer_mb, "MB_ram")))
    apis = []
    for i, a in enumerate(spec.apis):
        if a.kind == "EcoLogitsGenAIExternalAPI":
            provider, model = LLM_MODELS[a.model]
            apis.append(EcoLogitsGenAIExternalAPI(f"GenAI API {i}", provider=SourceObject(provider),
                                                  model_name=SourceObject(model)))
        else:
            provider, model, _ = VIDEO_MODELS[a.model]
            apis.append(EcoLogitsVideoGenExternalAPI(f"Video API {i}", provider=SourceObject(provider),
                                                     model_name=SourceObject(model)))
    jobs = []
    for i, j in enumerate(spec.jobs):
        name = f"{j.kind} {i}"
        if j.kind == "EcoLogitsGenAIExternalAPIJob":
            jobs.append(EcoLogitsGenAIExternalAPIJob(name, external_api=apis[j.target],
                                                     output_token_count=_q(j.output_tokens, "dimensionless")))
        elif j.kind == "EcoLogitsVideoGenExternalAPIJob":
            jobs.append(EcoLogitsVideoGenExternalAPIJob(
                name, external_api=apis[j.target], resolution=SourceObject(j.resolution),
                duration=_q(*j.duration), with_audio=SourceObject(j.with_audio)))
        elif j.kind == "VideoStreamingJob":
            jobs.append(VideoStreamingJob(
                name, service=services[j.target], resolution=SourceObject(j.resolution),
                video_duration=_q(*j.duration), refresh_rate=_q(j.refresh_rate, "1/s"),
                data_stored=_q(j.stored_mb, "MB_stored")))
        else:
            cls, unit = (GPUJob, "gpu") if j.kind == "GPUJob" else (Job, "cpu_core")
            jobs.append(cls(
                name, server=servers[j.target], data_transferred=_q(j.transferred_mb, "MB"),
                data_stored=_q(j.stored_mb, "MB_stored"), request_duration=_q(*j.duration),
                compute_needed=_q(j.compute, unit), ram_needed=_q(j.ram_mb, "MB_ram")))
    steps = [UsageJourneyStep(f"Step {i}", user_time_spent=_q(*s.time_spent),
                              jobs={jobs[j]: w for j, w in s.jobs})
             for i, s in enumerate(spec.steps)]
    journeys = [UsageJourney(f"Journey {i}", uj_steps={steps[s]: w for s, w in j.steps})
                for i, j in enumerate(spec.journeys)]
    devices = [_device(f"Device {i}", d) for i, d in enumerate(spec.devices)]
    networks = [_network(f"Network {i}", n) for i, n in enumerate(spec.networks)]
    countries = {}
    patterns = []
    for i, p in enumerate(spec.patterns):
        if p.country not in countries:  # one Country object per country: names (ids) are unique
            countries[p.country] = _country(p.country)
        patterns.append(UsagePattern(
            f"Pattern {i}", usage_journeys={journeys[j]: w for j, w in p.journeys},
            devices=[devices[d] for d in p.devices], network=networks[p.network], country=countries[p.country],
            hourly_occurrences=_occurrences(p)))
    edge_patterns = []
    for i, e in enumerate(spec.edge):
        if e.country not in countries:
            countries[e.country] = _country(e.country)
        edge_patterns.append(_edge_pattern(f"Edge pattern {i}", e, jobs, networks, countries[e.country]))
    return System("Generated system", patterns, edge_usage_patterns=edge_patterns)


def _week(values: np.ndarray, unit: str) -> SourceRecurrentValues:
    return SourceRecurrentValues(Quantity(np.asarray(values, dtype=np.float32), u(unit)))


def _working_week(rng: np.random.Generator, peak: float) -> np.ndarray:
    """A week of needs up to `peak`: random levels in working hours, a lower floor otherwise."""
    week = np.full(168, peak * rng.uniform(0, 0.3))
    for day in range(7):
        start = int(rng.integers(5, 11))
        week[day * 24 + start: day * 24 + start + int(rng.integers(4, 12))] = peak * rng.uniform(0.3, 1.0)
    return week


def _storage_week(write_gb: float) -> np.ndarray:
    """Writes in working hours (8 to 19), all deleted at 22: held storage stays within a day's writes."""
    day = np.zeros(24)
    day[8:20] = write_gb
    day[22] = -12 * write_gb
    return np.tile(day, 7)


def _edge_pattern(name: str, e: EdgeSpec, jobs: list, networks: list, country: Country):
    rng = np.random.default_rng(e.starts_seed)
    prefix = name.replace("Edge pattern", "E")
    devices, device_needs = [], []
    for i, d in enumerate(e.devices):
        # A device need counts once per (journey, function) path it is on: its load is shared out among them so
        # that the summed need stays within the device's capacity.
        paths = sum(e.functions[f][0].count(i) for journey in e.journeys for f in journey)
        d = replace(d, load=d.load / max(paths, 1), write_gb=d.write_gb / max(paths, 1))
        dev_rng = np.random.default_rng(d.seed)
        label = f"{prefix} device {i}"
        idle = d.power_w * d.idle_fraction
        base_storage = 24 * d.write_gb + 1  # GB: covers a day's writes wherever the week's roll starts it
        storage = EdgeStorage(f"{label} storage", storage_capacity_per_unit=_q(base_storage + 36 * d.write_gb + 8,
                                                                              "GB_stored"),
                              carbon_footprint_manufacturing_per_storage_capacity=_q(160, "kg/TB_stored"),
                              base_storage_need=_q(base_storage, "GB_stored"), lifespan=_q(d.lifespan_years, "year"))
        if d.kind == "EdgeComputer":
            base_compute, base_ram = 0.25 * d.compute * (1 - d.load), 0.25 * d.ram_gb * (1 - d.load)
            device = EdgeComputer(label, carbon_footprint_manufacturing=_q(d.cfm_kg, "kg"), power=_q(d.power_w, "W"),
                                  lifespan=_q(d.lifespan_years, "year"), idle_power=_q(idle, "W"),
                                  ram=_q(d.ram_gb, "GB_ram"), compute=_q(d.compute, "cpu_core"),
                                  base_ram_consumption=_q(base_ram, "GB_ram"),
                                  base_compute_consumption=_q(base_compute, "cpu_core"), storage=storage)
            need = RecurrentEdgeProcess(
                f"{label} process", edge_device=device,
                recurrent_compute_needed=_week(_working_week(dev_rng, d.load * (d.compute - base_compute)), "cpu_core"),
                recurrent_ram_needed=_week(_working_week(dev_rng, d.load * (d.ram_gb - base_ram)), "GB_ram"),
                recurrent_storage_needed=_week(_storage_week(d.write_gb), "GB_stored"))
        elif d.kind == "EdgeAppliance":
            device = EdgeAppliance(label, carbon_footprint_manufacturing=_q(d.cfm_kg, "kg"), power=_q(d.power_w, "W"),
                                   lifespan=_q(d.lifespan_years, "year"), idle_power=_q(idle, "W"))
            need = RecurrentEdgeWorkload(f"{label} workload", edge_device=device,
                                         recurrent_workload=_week(_working_week(dev_rng, d.load), "concurrent"))
        else:
            cpu = EdgeCPUComponent(f"{label} CPU", carbon_footprint_manufacturing_per_unit=_q(d.cfm_kg / 10, "kg"),
                                   power_per_unit=_q(d.power_w / 4, "W"), lifespan=_q(d.lifespan_years, "year"),
                                   idle_power_per_unit=_q(idle / 4, "W"), compute_per_unit=_q(d.compute, "cpu_core"),
                                   base_compute_consumption=_q(0.1, "cpu_core"))
            ram = EdgeRAMComponent(f"{label} RAM", carbon_footprint_manufacturing_per_unit=_q(d.cfm_kg / 20, "kg"),
                                   power_per_unit=_q(d.power_w / 10, "W"), lifespan=_q(d.lifespan_years, "year"),
                                   idle_power_per_unit=_q(idle / 10, "W"), ram_per_unit=_q(d.ram_gb, "GB_ram"),
                                   base_ram_consumption=_q(0.5, "GB_ram"))
            workload = EdgeWorkloadComponent(
                f"{label} sensors", carbon_footprint_manufacturing_per_unit=_q(d.cfm_kg / 30, "kg"),
                power_per_unit=_q(d.power_w / 8, "W"), lifespan=_q(d.lifespan_years, "year"),
                idle_power_per_unit=_q(idle / 8, "W"), nb_of_units=_q(d.units, "dimensionless"))
            device = EdgeDevice(label, structure_carbon_footprint_manufacturing=_q(d.cfm_kg / 2, "kg"),
                                components=[cpu, ram, storage, workload], lifespan=_q(d.lifespan_years, "year"))
            component_needs = [
                RecurrentEdgeComponentNeed(f"{label} inference", cpu,
                                           _week(_working_week(dev_rng, d.load * (d.compute - 0.1)), "cpu_core")),
                RecurrentEdgeComponentNeed(f"{label} model", ram,
                                           _week(_working_week(dev_rng, d.load * (d.ram_gb - 0.5)), "GB_ram")),
                RecurrentEdgeStorageNeed(f"{label} buffer", storage, _week(_storage_week(d.write_gb), "GB_stored")),
                RecurrentEdgeComponentNeed(f"{label} capture", workload,
                                           _week(_working_week(dev_rng, d.load), "concurrent"))]
            need = RecurrentEdgeDeviceNeed(f"{label} need", edge_device=device,
                                           recurrent_edge_component_needs=component_needs)
        devices.append(device)
        device_needs.append(need)
    functions = []
    for f, (needs, calls) in enumerate(e.functions):
        server_needs = [RecurrentServerNeed(
            f"{prefix} function {f} call {c}", edge_device=devices[d],
            recurrent_volume_per_edge_device=_week(rng.random(168) < 0.1,
                                                   "occurrence"),
            jobs={jobs[j]: _q(times, "dimensionless")}) for c, (d, j, times) in enumerate(calls)]
        functions.append(EdgeFunction(f"{prefix} function {f}", recurrent_edge_device_needs=[
            device_needs[d] for d in needs], recurrent_server_needs=server_needs))
    journeys = [EdgeUsageJourney(f"{prefix} journey {j}", edge_functions=[functions[f] for f in fs])
                for j, fs in enumerate(e.journeys)]
    nested = None
    for g in reversed(range(len(e.groups))):  # the second group nests in the first
        nested = EdgeDeviceGroup(
            f"{prefix} group {g}", sub_group_counts={nested: _q(e.nested_count, "dimensionless")} if nested else {},
            edge_device_counts={devices[d]: _q(c, "dimensionless") for d, c in e.groups[g]})
    starts = np.where(rng.random(e.hours) < 0.05, rng.integers(1, 5, e.hours), 0).astype(float)
    starts[0] = max(starts[0], 1.0)
    return EdgeUsagePattern(
        name, edge_usage_journeys=journeys, network=networks[e.network], country=country,
        hourly_deployment_starts=create_source_hourly_values_from_list(starts.tolist(), start_date=e.start),
        usage_span=_q(e.span_years, "year"))


def _peak(raw) -> float:
    """efootprint's peak number of instances: max of the ceiled hourly raw number (0 when there is none)."""
    if not hasattr(raw, "magnitude") or not hasattr(raw, "start_date"):
        return 0.0
    return float(np.max(np.ceil(np.asarray(raw.magnitude, dtype=np.float32))))


def calibrated(spec: SystemSpec) -> tuple[SystemSpec, dict[str, float]]:
    """The spec with the values only efootprint itself can tell, from a first build of the spec, and the
    fixed_nb_of_instances to build it with (by server or storage name):
    - a serverless server's storage provisions exactly its need, so efootprint computes its baseline
      manufacturing footprint, F x (provisioned - need + base) / provisioned, from a float32 cancellation whose
      error is ~1e-7 x need / base of the result: its base storage need becomes at least 10% of its peak need;
    - on-premise servers and storages that want a fixed number of instances get efootprint's own peak (ceiled)
      plus the spec's extra."""
    serverless = [i for i, s in enumerate(spec.servers) if s.server_type == "serverless"]
    wanted = [i for i, s in enumerate(spec.servers) if s.fixed_extra is not None or s.storage.fixed_extra is not None]
    if not serverless and not wanted:
        return spec, {}
    servers = {s.name: s for s in build_system(spec).servers}  # the servers the usage patterns reach
    calibrated_servers = list(spec.servers)
    for i in serverless:
        s, server = spec.servers[i], servers.get(f"{spec.servers[i].kind} {i}")
        need = None if server is None else server.storage.full_cumulative_storage_need
        if need is None or not hasattr(need, "start_date"):
            continue
        peak = float(np.max(need.to(u.TB_stored).magnitude))
        if s.storage.base_need_tb < 0.1 * peak:
            calibrated_servers[i] = replace(s, storage=replace(s.storage, base_need_tb=float(f"{0.1 * peak:.6g}")))
    if calibrated_servers != list(spec.servers):
        spec = replace(spec, servers=tuple(calibrated_servers))
        servers = {s.name: s for s in build_system(spec).servers}
    fixed = {}
    for i in wanted:
        s, server = spec.servers[i], servers.get(f"{spec.servers[i].kind} {i}")
        if server is None:
            continue
        if s.fixed_extra is not None:
            fixed[server.name] = _peak(server.raw_nb_of_instances) + s.fixed_extra
        if s.storage.fixed_extra is not None:
            fixed[server.storage.name] = _peak(server.storage.raw_nb_of_instances) + s.storage.fixed_extra
    return spec, fixed


def write_model(spec: SystemSpec, path: Path) -> SystemSpec:
    """Write the spec's system as efootprint JSON (inputs only); returns the calibrated spec it was built from."""
    spec, fixed = calibrated(spec)
    system_to_json(build_system(spec, fixed), output_filepath=str(path), save_computed_state=False)
    return spec


def differential_check(spec: SystemSpec, workdir: Path) -> tuple[bool, str]:
    """(parity OK, parity's report) of efp_tables against efootprint on the spec's system."""
    model, reference = workdir / "model.json", workdir / "reference.parquet"
    spec = write_model(spec, model)
    with contextlib.redirect_stdout(io.StringIO()):
        efootprint_dump.dump(str(model), str(reference))
    ours = compute(read_model(model)).long().drop("system_id")
    report = io.StringIO()
    with contextlib.redirect_stdout(report):
        ok = parity.compare(ours, pl.read_parquet(reference), 20)
    return ok, report.getvalue()


def spec_summary(spec: SystemSpec) -> str:
    """One line on what a spec covers (for test logs)."""
    servers = ", ".join(f"{s.kind}/{s.server_type}{'/fixed' if s.fixed_extra is not None else ''}"
                        for s in spec.servers)
    patterns = ", ".join(f"{p.country}@{p.start:%Y-%m-%d %H}h+{p.hours}h/{p.shape}" for p in spec.patterns)
    return (f"servers [{servers}]; {len(spec.jobs)} jobs ({', '.join(j.kind for j in spec.jobs)}); "
            f"{len(spec.steps)} steps; {len(spec.journeys)} journeys; apis [{', '.join(a.kind for a in spec.apis)}]; "
            f"patterns [{patterns}]; edge patterns "
            f"[{', '.join(f'{e.country}: ' + '/'.join(d.kind for d in e.devices) for e in spec.edge)}]")

