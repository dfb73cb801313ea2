"""GenAI and video generation through EcoLogits: per-request impacts against efootprint's numbers, the Python API
with efootprint 27's names, bad input, sweeps over GenAI inputs, and the EcoLogits archetype table (regenerable,
and no `ecologits` import at run time)."""
import csv
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from conftest import REFERENCE
from efp_tables.builders.api import (EcoLogitsGenAIExternalAPI, EcoLogitsGenAIExternalAPIJob,
                                     EcoLogitsVideoGenExternalAPI, EcoLogitsVideoGenExternalAPIJob, UsageJourneyStep)
from efp_tables.builders.archetypes import ARCHETYPES_DIR
from efp_tables.compute import compute
from efp_tables.errors import ModelError
from efp_tables.io.efootprint_json import model_rows, read_model
from efp_tables.quickstart import quickstart_system
from efp_tables.sweeps import sweep
from efp_tables.tables.model import Model

GENAI = REFERENCE / "genai_assistant.json"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def genai():
    model = read_model(GENAI)
    return model, compute(model)


def _row(frame: pl.DataFrame, job_id: str) -> dict:
    return frame.filter(pl.col("job_id") == job_id).row(0, named=True)


def test_llm_request_impacts_are_efootprints(genai):
    """claude-opus-4-5 (MoE: 670 B total, 67-200 B active, 30.5 tokens/s, 5.03 s to first token), 2000 tokens,
    as efootprint 27 computes them (genai_assistant.results.parquet)."""
    _, results = genai
    impacts = results["external_api_job_impacts"].collect()
    minutes = _row(impacts, "Write-meeting-minutes")
    assert minutes["generation_latency"] == pytest.approx(2000 / 30.5 + 5.03, rel=1e-12)  # 70.6038 s
    assert minutes["model_required_memory"] == pytest.approx(1608.0, rel=1e-12)
    assert minutes["gpu_required_count"] == 32.0  # ceil(1608 / 80) = 21 GPUs, up to a power of two
    assert minutes["server_gpu_embodied_gwp"] == pytest.approx(31536.0, rel=1e-12)
    assert minutes["request_energy"] * 1000 == pytest.approx(9.956792, rel=1e-6)  # Wh
    assert minutes["request_usage_gwp"] * 1000 == pytest.approx(3.827391, rel=1e-6)  # g
    assert minutes["request_embodied_gwp"] * 1000 == pytest.approx(0.367728, rel=1e-6)
    assert minutes["data_transferred"] == pytest.approx(0.01, rel=1e-12)  # 5 B a token: 10 kB
    assert minutes["request_duration"] == pytest.approx(minutes["generation_latency"] / 3600, rel=1e-15)
    api = results["external_api_parameters"].collect().filter(pl.col("external_api_id") == "Mistral-API").row(
        0, named=True)
    assert (api["model_total_params"], api["model_active_params"], api["data_center_pue"],
            api["average_carbon_intensity"]) == (675.0, 41.0, 1.16, 0.03526)


def test_video_request_impacts_are_efootprints(genai):
    """veo-3.1-fast, 720p, 8 s (193 frames), no audio (non_audio_weight 0.667), on 8 TPU v6e."""
    _, results = genai
    clip = _row(results["external_api_job_impacts"].collect(), "Generate-explainer-clip")
    assert clip["generation_latency"] == pytest.approx(39.996034, rel=1e-7)
    assert clip["server_accelerator_embodied_gwp"] == 3550 + 8 * 323
    assert clip["server_accelerator_energy"] == pytest.approx(0.019036, rel=1e-4)
    assert clip["request_energy"] == pytest.approx(0.02075, rel=1e-3)
    assert clip["request_usage_gwp"] * 1000 == pytest.approx(7.976171, rel=1e-6)
    assert clip["request_embodied_gwp"] * 1000 == pytest.approx(2.593181, rel=1e-6)
    assert clip["data_transferred"] == pytest.approx(2.21184, rel=1e-12)  # 8 s * 0.1 bit * 1280 * 720 * 24 / s


def test_api_servers_footprints_are_their_jobs_requests_spread_over_their_calls(genai):
    _, results = genai
    footprints = results.hourly("external_api_footprints")
    calls = results.hourly("job_hourly_avg_occurrences_across_usage_patterns")
    impacts = results["external_api_job_impacts"].collect()
    clip = _row(impacts, "Generate-explainer-clip")
    in_progress = calls.filtered((calls.keys["job_id"] == "Generate-explainer-clip").to_numpy())
    veo = footprints.filtered((footprints.keys["external_api_id"] == "Veo-API").to_numpy())
    expected = in_progress["value"].sum() * clip["request_usage_gwp"] / clip["request_duration"]
    assert veo["use_footprint"].sum() == pytest.approx(expected, rel=1e-12)
    by_category = results["footprint_by_object"].collect().filter(pl.col("category") == "ExternalAPIs")
    assert sorted(by_category["object_id"].unique()) == ["Claude-API", "Mistral-API", "Veo-API"]
    assert by_category["value"].sum() == pytest.approx(
        sum(footprints.period_sums(c).sum() for c in ("use_footprint", "instances_manufacturing_footprint")),
        rel=1e-12)


def _document() -> dict:
    return json.loads(GENAI.read_text())


def _read(document: dict) -> Model:
    return Model.from_rows(model_rows(document))


@pytest.mark.parametrize("change, message", [
    (lambda d: d["EcoLogitsGenAIExternalAPI"]["Claude-API"]["model_name"].update(value="claude-opus-4-6x"),
     r"EcoLogitsGenAIExternalAPI 'Claude-API': model_name = 'claude-opus-4-6x': expected a LLM model of provider "
     r"'anthropic' in EcoLogits \(close matches: \[.*'claude-opus-4-6'"),
    (lambda d: d["EcoLogitsGenAIExternalAPI"]["Claude-API"]["provider"].update(value="antropic"),
     r"provider = 'antropic': expected a provider of EcoLogits' LLM models, one of \[.*\] \(close matches: "
     r"\['anthropic'\]\)"),
    (lambda d: d["EcoLogitsVideoGenExternalAPI"]["Veo-API"]["model_name"].update(value="veo-9"),
     r"model_name = 'veo-9': expected a video generation model of provider 'google'"),
    (lambda d: d["EcoLogitsGenAIExternalAPIJob"]["Draft-answer"]["output_token_count"].update(value=-600.0),
     r"EcoLogitsGenAIExternalAPIJob 'Draft-answer': output_token_count = '-600.0 dimensionless': expected a finite number > 0"),
    (lambda d: d["EcoLogitsGenAIExternalAPIJob"]["Draft-answer"]["output_token_count"].update(unit="kilogram"),
     r"output_token_count = .*kilogram.*dimensionless"),
    (lambda d: d["EcoLogitsVideoGenExternalAPIJob"]["Generate-explainer-clip"]["duration"].update(unit="megabyte"),
     r"'Generate-explainer-clip': duration = .*megabyte.*hour"),
    (lambda d: d["EcoLogitsVideoGenExternalAPIJob"]["Generate-explainer-clip"]["with_audio"].update(value="yes"),
     r"with_audio = 'yes': expected true or false"),
    (lambda d: d["EcoLogitsVideoGenExternalAPIJob"]["Generate-explainer-clip"]["resolution"].update(value="big"),
     r"resolution = 'big': expected a resolution with its size in pixels"),
    (lambda d: d["EcoLogitsGenAIExternalAPIJob"]["Draft-answer"].update(external_api="Veo-API"),
     r"external_api = 'Veo-API': expected a EcoLogitsGenAIExternalAPI, not a EcoLogitsVideoGenExternalAPI"),
])
def test_bad_external_api_input_is_one_clear_error(change, message):
    document = _document()
    change(document)
    with pytest.raises(ModelError, match=message):
        _read(document)


def test_the_first_api_without_its_server_is_named_on_every_read():
    """Many APIs, two of them (the 1500th and 1700th added) without a server: the error names the first, always
    (the check's join once let threads decide)."""
    rows = model_rows(_document())
    api, server = rows["external_apis"][0], rows["external_api_servers"][0]
    added = range(2000)
    rows["external_apis"] = rows["external_apis"] + [dict(api, external_api_id=f"API-{i:04d}") for i in added]
    rows["external_api_servers"] = rows["external_api_servers"] + [
        dict(server, external_api_server_id=f"S-{i:04d}", external_api_id=f"API-{i:04d}")
        for i in added if i not in (1500, 1700)]
    for _ in range(12):
        with pytest.raises(ModelError, match=r"^EcoLogitsGenAIExternalAPI 'API-1500': server = None: expected one "
                                             r"EcoLogitsGenAIExternalAPIServer$"):
            Model.from_rows(rows)


def test_python_api_with_efootprints_names():
    llm = EcoLogitsGenAIExternalAPI.from_defaults("Claude API")
    assert (llm.provider, llm.model_name, llm.server.id) == ("anthropic", "claude-opus-4-5", "Claude-API-server")
    assert "mistralai" in EcoLogitsGenAIExternalAPI.list_values()["provider"]
    models = EcoLogitsGenAIExternalAPI.conditional_list_values()["model_name"]["conditional_list_values"]
    assert "mistral-large-latest" in models["mistralai"] and sum(map(len, models.values())) == 351
    video = EcoLogitsVideoGenExternalAPI("Veo API", provider="google", model_name="veo-3.1-fast")
    ask = EcoLogitsGenAIExternalAPIJob("Write meeting minutes", external_api=llm, output_token_count=2000)
    clip = EcoLogitsVideoGenExternalAPIJob("Generate explainer clip", external_api=video,
                                           resolution="720p (1280 x 720)", duration="8 s", with_audio=False)
    system = quickstart_system()
    journey = system.usage_patterns[0].usage_journeys[0]
    journey.uj_steps = [*journey.uj_steps, UsageJourneyStep("Ask the assistant", user_time_spent="2 min",
                                                            jobs=[ask, clip])]
    system.compute()
    assert ask.generation_latency.magnitude == pytest.approx(70.60377, rel=1e-6)
    assert ask.gpu_required_count.magnitude == 32
    assert clip.request_embodied_gwp.to("gram").magnitude == pytest.approx(2.593181, rel=1e-6)
    assert llm.use_footprint is llm.server.use_footprint  # the API shows its server's footprints
    # Equal to computing the JSON the System writes (what efootprint reads)
    long = system.results_long()
    total = long.filter(pl.col("attribute") == "total_footprint")["value"].sum()
    [written] = compute(read_model(system.to_json(Path(__import__("tempfile").mkdtemp()) / "m.json"))
                        ).total_footprint_kg().values()
    assert total == pytest.approx(written, rel=1e-9)
    with pytest.raises(ModelError, match=r"model_name = 'claude-opus-45'.*close matches: \[.*'claude-opus-4-5'"):
        EcoLogitsGenAIExternalAPI("bad", provider="anthropic", model_name="claude-opus-45")
    with pytest.raises(ModelError, match="resolution = '4K \\(3840 x 2160\\)'"):
        EcoLogitsVideoGenExternalAPIJob("bad clip", external_api=video, resolution="4K (3840 x 2160)",
                                        duration="8 s", with_audio=True)
    with pytest.raises(ModelError, match="output_token_count"):
        EcoLogitsGenAIExternalAPIJob("bad", external_api=llm, output_token_count="3 kg")


def test_sweep_over_output_tokens_equals_computing_each_model(genai):
    model, _ = genai
    totals = sweep(model, {"Draft-answer.output_token_count": [100, 600, 2400]})
    document = _document()
    for tokens, total in zip((100, 600, 2400), totals["total_footprint_kg"]):
        document["EcoLogitsGenAIExternalAPIJob"]["Draft-answer"]["output_token_count"]["value"] = float(tokens)
        [expected] = compute(_read(document)).total_footprint_kg().values()
        assert total == pytest.approx(expected, rel=1e-9)
    assert totals["externalapis_use_kg"][0] < totals["externalapis_use_kg"][1] < totals["externalapis_use_kg"][2]


def test_ecologits_table_is_regenerable_and_not_needed_at_run_time(tmp_path):
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import make_archetypes
    finally:
        sys.path.pop(0)
    for rows, name in ((make_archetypes.build_ecologits_llm_rows(), "ecologits_llm_models.csv"),
                       (make_archetypes.build_ecologits_video_rows(), "ecologits_video_models.csv")):
        path = tmp_path / name
        header = (make_archetypes.ECOLOGITS_LLM_HEADER if "llm" in name else make_archetypes.ECOLOGITS_VIDEO_HEADER)
        make_archetypes.write_csv(path, header, rows)
        assert path.read_text() == (ARCHETYPES_DIR / name).read_text()
    with open(ARCHETYPES_DIR / "ecologits_llm_models.csv") as handle:
        assert len(list(csv.DictReader(handle))) == 351
    # ecologits made unimportable: the model still computes
    code = ("import sys; sys.modules['ecologits'] = None; from efp_tables.io.efootprint_json import read_model; "
            "from efp_tables.compute import compute; "
            f"print(round(sum(compute(read_model({str(GENAI)!r})).total_footprint_kg().values())))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == pytest.approx(3_029_300, rel=1e-4)
