"""External APIs through EcoLogits: generative AI (LLM) and video generation calls, priced per request by EcoLogits'
impact formulas, and the hourly footprints of the server efootprint gives each API.

EcoLogits' model data (parameter counts, throughput, provider datacenter and grid) is the archetype table
builders.archetypes.ecologits_models; its formulas (ecologits.impacts.llm and .video, as efootprint 27 calls them:
no measured latency, ranges collapsed to their means) are written here as columns, every job of every system
at once."""
from __future__ import annotations

from functools import cache

import polars as pl

from efp_tables.stages.hourly import Hourly
from efp_tables.stages.timeline import VALUE, join, keyed, parameters

JOB = ["system_id", "job_id"]
API = ["system_id", "external_api_id"]
API_SERVER = ["system_id", "external_api_server_id", "external_api_id"]
_LLM_JOB, _VIDEO_JOB = "EcoLogitsGenAIExternalAPIJob", "EcoLogitsVideoGenExternalAPIJob"
# Without an external API, no job calls one (model validation) and every stage here gives an empty output.
DRIVEN_BY = ("external_apis",)

# EcoLogits' LLM hypotheses (ecologits.impacts.llm), which efootprint leaves at their defaults.
_QUANTIZATION_BITS = 16
_GPU_ENERGY_ALPHA, _GPU_ENERGY_BETA, _GPU_ENERGY_GAMMA = 1.1665273170451914e-06, -0.011205921025579175, \
    4.052928146734005e-05
_LATENCY_ALPHA, _LATENCY_BETA, _LATENCY_GAMMA = 0.0006785088094353663, 0.0003119310311688259, 0.019473717579473387
_GPU_MEMORY_GB = 80
_GPU_EMBODIED_KG = 273
_SERVER_GPUS = 8
_SERVER_POWER_KW = 1.2
_SERVER_EMBODIED_KG = 5700
_HARDWARE_LIFESPAN_S = 3 * 365 * 24 * 60 * 60
_BATCH_SIZE = 64
# efootprint's per-request data hypotheses: 5 bytes per token (4 of text, 1 of JSON); a video's 0.1 bit per
# pixel at 24 frames per second (EcoLogits counts frames at 24 per second too, plus the first).
_MB_PER_TOKEN = 5e-6
_VIDEO_BITS_PER_PIXEL, _FPS, _BITS_PER_MB = 0.1, 24, 8e6
_FRAME_SLACK = 1e-9  # a duration read in hours comes back to seconds with float noise: forgive it before int()

# Per-request quantities (canonical units: kWh, kg, second, GB_ram, dimensionless), by job class.
LLM_IMPACTS = ("generation_latency", "gpu_energy", "gpu_required_count", "model_required_memory", "server_energy",
               "request_it_energy", "request_energy", "request_usage_gwp", "server_gpu_embodied_gwp",
               "request_embodied_gwp")
VIDEO_IMPACTS = ("generation_latency", "server_accelerator_energy", "request_energy", "request_usage_gwp",
                 "server_accelerator_embodied_gwp", "request_embodied_gwp")


def external_api_parameters(external_apis: pl.LazyFrame, ecologits_models: pl.LazyFrame) -> pl.LazyFrame:
    """What efootprint looks up in EcoLogits for each API: EcoLogitsGenAIExternalAPI.model_total_params,
    model_active_params (billion), tokens_per_second, time_to_first_token (second; null when EcoLogits has none),
    datacenter_location, data_center_pue, average_carbon_intensity (kg/kWh); a video API's hardware and latency
    regression (model validation guarantees every (provider, model_name) is known)."""
    apis = external_apis.select(*keyed(external_apis, API), "name", "api_class", "provider", "model_name")
    return join(apis, ecologits_models, ["api_class", "provider", "model_name"], how="left")


def external_api_job_impacts(jobs: pl.LazyFrame, external_api_parameters: pl.LazyFrame) -> pl.LazyFrame:
    """Per-request impacts of every external API job (EcoLogitsGenAIExternalAPIJob's and
    EcoLogitsVideoGenExternalAPIJob's calculated attributes), its data_transferred (megabyte) and its
    request_duration (hour: the generation latency).

    Calculation (LLM, A = active and T = total parameters in billions, t = output tokens, B = 64):
    gpu_energy = t * (alpha * exp(beta * B) * A + gamma) / 1000; generation_latency = t / tps + ttft, or
    t * (alpha_l * A + beta_l * B + gamma_l) without a tps; model_required_memory = 1.2 * T * 16 / 8;
    gpu_required_count = 2 ** ceil(log2(ceil(memory / 80))); server_energy = latency / 3600 * 1.2 kW *
    gpus / 8 / B; request_it_energy = server_energy + gpus * gpu_energy; request_energy = PUE * it_energy;
    request_usage_gwp = request_energy * carbon intensity; server_gpu_embodied_gwp = gpus / 8 * 5700 + gpus * 273;
    request_embodied_gwp = latency * server_gpu_embodied_gwp / (3 years * B).
    Calculation (video, W x H pixels, F = int(24 * duration + 1) frames, wh = W * H, v = wh * F / 1000):
    generation_latency = (n F wh^2 + m v + m1 F + m2 wh^2 + n1 F^2 + n2 v^2 + g) * (1 with audio, else
    non_audio_weight); server_accelerator_energy = latency / 3600 * power; request_energy = PUE * that;
    request_usage_gwp = request_energy * carbon intensity; server_accelerator_embodied_gwp = server + count *
    accelerator embodied GWP; request_embodied_gwp = latency / 3 years * that."""
    api_jobs = jobs.filter(pl.col("job_class").is_in([_LLM_JOB, _VIDEO_JOB]))
    both = join(api_jobs.select(*keyed(api_jobs, JOB), "job_class", "external_api_id", "output_token_count",
                                "resolution", "duration", "with_audio"),
                external_api_parameters, API)
    layered = both.with_columns(_llm_base()).with_columns(_llm_latency()).with_columns(_llm_energy_and_embodied())
    for layer in _video():
        layered = layered.with_columns(layer)
    return layered.select(*keyed(both, JOB), "job_class", "external_api_id", *_impacts())


# The expressions below are built once: a Polars expression never changes, and building these ones costs as much
# as running them on a model's few jobs.
@cache
def _impacts() -> list[pl.Expr]:
    """Each impact column, the LLM's or the video's by job class."""
    return [
        *[pl.when(pl.col("job_class") == _LLM_JOB).then(pl.col(f"_llm_{name}")).alias(name)
          for name in LLM_IMPACTS if name not in VIDEO_IMPACTS],
        *[pl.when(pl.col("job_class") == _VIDEO_JOB).then(pl.col(f"_video_{name}")).alias(name)
          for name in VIDEO_IMPACTS if name not in LLM_IMPACTS],
        *[pl.when(pl.col("job_class") == _LLM_JOB).then(pl.col(f"_llm_{name}"))
          .otherwise(pl.col(f"_video_{name}")).alias(name) for name in LLM_IMPACTS if name in VIDEO_IMPACTS],
        pl.when(pl.col("job_class") == _LLM_JOB).then(pl.col("output_token_count") * _MB_PER_TOKEN)
        .otherwise(pl.col("_video_data_transferred")).alias("data_transferred"),
        (pl.when(pl.col("job_class") == _LLM_JOB).then(pl.col("_llm_generation_latency"))
         .otherwise(pl.col("_video_generation_latency")) / 3600).alias("request_duration")]


@cache
def _llm_base() -> list[pl.Expr]:
    active, total, tokens = pl.col("model_active_params"), pl.col("model_total_params"), pl.col("output_token_count")
    per_token_kwh = (_GPU_ENERGY_ALPHA * pl.lit(_GPU_ENERGY_BETA * _BATCH_SIZE).exp() * active + _GPU_ENERGY_GAMMA) / 1000
    memory = 1.2 * total * _QUANTIZATION_BITS / 8
    # The smallest power of two holding the model: computed on whole numbers, where log2 of a power of two is exact.
    gpus_holding = (memory / _GPU_MEMORY_GB).ceil()
    return [(tokens * per_token_kwh).alias("_llm_gpu_energy"), memory.alias("_llm_model_required_memory"),
            (2.0 ** gpus_holding.log(2).ceil()).alias("_llm_gpu_required_count")]


@cache
def _llm_latency() -> pl.Expr:
    active, tokens = pl.col("model_active_params"), pl.col("output_token_count")
    per_token = (pl.when(pl.col("tokens_per_second").is_not_null()).then(1 / pl.col("tokens_per_second"))
                 .otherwise(_LATENCY_ALPHA * active + _LATENCY_BETA * _BATCH_SIZE + _LATENCY_GAMMA))
    return (tokens * per_token + pl.col("time_to_first_token").fill_null(0.0)).alias("_llm_generation_latency")


@cache
def _llm_energy_and_embodied() -> list[pl.Expr]:
    latency, gpus = pl.col("_llm_generation_latency"), pl.col("_llm_gpu_required_count")
    server_energy = (latency / 3600) * _SERVER_POWER_KW * (gpus / _SERVER_GPUS) * (1 / _BATCH_SIZE)
    it_energy = server_energy + gpus * pl.col("_llm_gpu_energy")
    energy = pl.col("data_center_pue") * it_energy
    embodied = (gpus / _SERVER_GPUS) * _SERVER_EMBODIED_KG + gpus * _GPU_EMBODIED_KG
    return [server_energy.alias("_llm_server_energy"), it_energy.alias("_llm_request_it_energy"),
            energy.alias("_llm_request_energy"),
            (energy * pl.col("average_carbon_intensity")).alias("_llm_request_usage_gwp"),
            embodied.alias("_llm_server_gpu_embodied_gwp"),
            (latency * embodied / (_HARDWARE_LIFESPAN_S * _BATCH_SIZE)).alias("_llm_request_embodied_gwp")]


@cache
def _video() -> list[list[pl.Expr]]:
    """The video columns, layer after layer: each layer reads the columns of the ones before (one expression
    tree holding all of them would repeat its shared parts, which Polars takes milliseconds to plan)."""
    size = pl.col("resolution").str.extract_groups(r"\((\d+)\s*x\s*(\d+)\)")
    seconds = pl.col("duration") * 3600
    frames, pixels = pl.col("_video_frames"), pl.col("_video_pixels")
    volume = pixels * frames / 1000
    weight = pl.when(pl.col("with_audio")).then(1.0).otherwise(pl.col("non_audio_weight"))
    latency = pl.col("_video_generation_latency")
    accelerator_energy = (latency / 3600) * pl.col("server_accelerator_power")
    energy, embodied = pl.col("_video_request_energy"), pl.col("_video_server_accelerator_embodied_gwp")
    return [
        [size.struct.field("1").cast(pl.Float64).alias("_video_width"),
         size.struct.field("2").cast(pl.Float64).alias("_video_height"),
         (seconds * _FPS + 1 + _FRAME_SLACK).floor().alias("_video_frames")],
        [(pl.col("_video_width") * pl.col("_video_height")).alias("_video_pixels")],
        [((pl.col("n") * frames * pixels ** 2 + pl.col("m") * volume + pl.col("m1") * frames
           + pl.col("m2") * pixels ** 2 + pl.col("n1") * frames ** 2 + pl.col("n2") * volume ** 2
           + pl.col("g")) * weight).alias("_video_generation_latency"),
         (seconds * _VIDEO_BITS_PER_PIXEL * pixels * _FPS / _BITS_PER_MB).alias("_video_data_transferred"),
         (pl.col("server_embodied_gwp") + pl.col("server_accelerator_count") * pl.col("accelerator_embodied_gwp"))
         .alias("_video_server_accelerator_embodied_gwp")],
        [accelerator_energy.alias("_video_server_accelerator_energy"),
         (pl.col("data_center_pue") * accelerator_energy).alias("_video_request_energy"),
         ((latency / _HARDWARE_LIFESPAN_S) * embodied).alias("_video_request_embodied_gwp")],
        [(energy * pl.col("average_carbon_intensity")).alias("_video_request_usage_gwp")]]


def external_api_footprints(job_hourly_avg_occurrences_across_usage_patterns: Hourly,
                            external_api_job_impacts: pl.LazyFrame, external_api_servers: pl.LazyFrame) -> Hourly:
    """EcoLogitsGenAIExternalAPIServer's (and the video server's) instances_energy (kWh),
    instances_manufacturing_footprint and use_footprint (kg), which its API shows as its own.

    Calculation: sum over the API's jobs of avg_across[J] * per-request value[J] / request_duration[J] (per hour:
    each request's energy, embodied and usage GWP spread over the hours it runs)."""
    per_hour = parameters(external_api_job_impacts, JOB, "external_api_id", "request_duration", "request_energy",
                          "request_embodied_gwp", "request_usage_gwp")
    calls = job_hourly_avg_occurrences_across_usage_patterns.joined(
        join(per_hour, parameters(external_api_servers, API_SERVER), API), JOB)
    return calls.per_distinct(["request_duration", "request_energy", "request_embodied_gwp", "request_usage_gwp"],
                              lambda job: {
        column: job[VALUE] * (job.parameter(per_request) / job.parameter("request_duration"))
        for column, per_request in (("instances_energy", "request_energy"),
                                    ("instances_manufacturing_footprint", "request_embodied_gwp"),
                                    ("use_footprint", "request_usage_gwp"))}).summed(API_SERVER)


def external_api_job_hourly_occurrences(job_hourly_occurrences_per_usage_pattern: Hourly,
                                        external_api_job_impacts: pl.LazyFrame) -> Hourly:
    """EcoLogitsGenAIExternalAPIJob.hourly_occurrences_across_usage_patterns (and the video job's): calls started
    per hour. Calculation: sum over patterns of O[J, up]."""
    api_jobs = parameters(external_api_job_impacts, JOB)
    return job_hourly_occurrences_per_usage_pattern.joined(api_jobs, JOB).summed(JOB)
