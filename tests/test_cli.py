"""The `efp` commands as a user meets them: Ctrl-C and unwritable outputs end in one line and leave nothing,
runs say what they read, their totals and where the files went, --version, python -m, --help examples."""
import json
import os
import re
import signal
import subprocess
import sys

import polars as pl
import pytest

import efp_tables.cli.sweep as sweep_command
from efp_tables.cli import COMMANDS, main
from efp_tables.compute import compute
from efp_tables.io.efootprint_json import read_model, read_models

from conftest import REFERENCE
from sweep_grids import QUICKSTART_GRID, QUICKSTART_GRID_100K

QUICKSTART = str(REFERENCE / "quickstart.json")
# Long enough (several seconds) that a Ctrl-C sent after the first line lands while it runs.
PORTFOLIO = [str(REFERENCE / f"{name}.json") for name in ("ecommerce", "ecommerce_b", "ml_workflow", "quickstart")]


def efp(*args: str, **options) -> subprocess.Popen:
    """`python -m efp_tables ARGS` in a subprocess, its stdout and stderr piped."""
    return subprocess.Popen([sys.executable, "-m", "efp_tables", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **options)


def interrupted(process: subprocess.Popen) -> tuple[int, str, str]:
    """Ctrl-C once the command has printed its first line (it is then reading or computing)."""
    first = process.stdout.readline()
    assert first.startswith(("read ", "memory limit")), first
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    return process.returncode, first + out, err


@pytest.fixture
def grid_1m(tmp_path):
    grid = dict(QUICKSTART_GRID_100K)
    grid["Default-laptop.power"] = [f"{w} W" for w in range(20, 70, 5)]
    path = tmp_path / "grid.json"
    path.write_text(json.dumps(grid))
    return path


@pytest.mark.parametrize("command", ["sweep", "compute", "report"])
def test_ctrl_c_ends_in_one_line_exit_130_and_leaves_nothing(command, grid_1m, tmp_path):
    out = tmp_path / "out"
    args = {"sweep": [QUICKSTART, "--grid", str(grid_1m), "--out", str(out)],
            "compute": [*PORTFOLIO, "--out", str(out)],
            "report": [*PORTFOLIO, "--out", str(out / "report.html")]}[command]
    before = sorted(tmp_path.iterdir())
    code, stdout, stderr = interrupted(efp(command, *args))
    assert code == 130, (stdout, stderr)
    assert stderr.splitlines() == ["efp: interrupted (nothing written)"]
    assert "wrote" not in stdout
    assert sorted(tmp_path.iterdir()) == before  # no --out folder, no temporary file


def test_ctrl_c_keeps_the_previous_outputs(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.parquet").write_bytes(b"the previous run's")
    code, _, stderr = interrupted(efp("compute", *PORTFOLIO, "--out", str(out)))
    assert code == 130 and len(stderr.splitlines()) == 1
    assert [p.name for p in out.iterdir()] == ["results.parquet"]
    assert (out / "results.parquet").read_bytes() == b"the previous run's"


@pytest.fixture
def no_computing(monkeypatch):
    """Fails the test if anything is computed."""
    def computed(*args, **kwargs):
        raise AssertionError("computed before checking the output")
    monkeypatch.setattr("efp_tables.compute.compute", computed)
    monkeypatch.setattr("efp_tables.sweeps.sweep_to_parquet", computed)


@pytest.mark.parametrize("command", ["sweep", "simulate", "compute", "report"])
def test_unwritable_output_fails_before_computing(command, tmp_path, capsys, no_computing):
    grid = tmp_path / "grid.json"
    grid.write_text(json.dumps(QUICKSTART_GRID))
    (tmp_path / "a-file").write_text("")
    # /sys refuses new folders even to root; a file is no folder
    for out in ("/sys/efp-tables-test/out", str(tmp_path / "a-file" / "out")):
        target = f"{out}/report.html" if command == "report" else out
        extra = {"sweep": ["--grid", str(grid)], "simulate": ["--changes", str(grid), "--from", "2026-01-01"],
                 "compute": [], "report": []}[command]
        assert main([command, QUICKSTART, *extra, "--out", target]) == 2
        captured = capsys.readouterr()
        assert "read " not in captured.out  # not even the model
        [line] = captured.err.splitlines()
        assert line.startswith("efp: error: ") and "--out" in line and "can be written" in line
        assert "Operation not permitted" in line or "Not a directory" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "grid.json"]


def test_unwritable_output_in_a_subprocess_is_one_line(tmp_path):
    process = efp("sweep", QUICKSTART, "--grid", str(REFERENCE / "missing.json"), "--out", "/sys/efp-tables-test")
    out, err = process.communicate(timeout=120)
    assert process.returncode == 2
    assert err.splitlines() == ["efp: error: /sys/efp-tables-test: --out = '/sys/efp-tables-test': expected a "
                                "folder where the outputs can be written (Operation not permitted)"]


def test_a_reader_that_stops_early_ends_the_command_quietly():
    """`efp describe MODEL | head -1`: no error line, the exit a shell gives a program whose reader went away."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before efp prints its first line
    process = subprocess.Popen([sys.executable, "-m", "efp_tables", "describe", str(REFERENCE / "edge_fleet.json")],
                               stdout=write_end, stderr=subprocess.PIPE, text=True)
    os.close(write_end)
    _, err = process.communicate(timeout=120)
    assert (process.returncode, err) == (141, "")


def test_version_and_python_m(capsys):
    from importlib.metadata import version
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"efp (efp_tables) {version('efp_tables')}\n"
    process = efp("--version")
    out, _ = process.communicate(timeout=60)
    assert process.returncode == 0 and out == f"efp (efp_tables) {version('efp_tables')}\n"


@pytest.mark.parametrize("command", [c.__name__.rpartition(".")[2] for c in COMMANDS])
def test_every_help_shows_an_example(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = capsys.readouterr().out
    assert re.search(rf"^example:\n  efp {command} \S", text, re.MULTILINE), text
    if "--engine" in text:
        assert "--engine {local,dask}" in text


def test_compute_prints_what_it_read_totals_files_and_the_wall_time_from_the_process_start(tmp_path):
    out = tmp_path / "out"
    # the time counts from the process start: here a second before efp_tables is even imported
    script = (f"import sys, time; time.sleep(1.0); sys.argv = ['efp', 'compute', {QUICKSTART!r}, "
              f"{str(REFERENCE / 'ml_workflow.json')!r}, '--out', {str(out)!r}]; "
              "from efp_tables.cli import main; sys.exit(main())")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == ("read quickstart.json, ml_workflow.json: 2 systems, 28 objects, usage from 2025-01-01 "
                        "to 2028-01-01 (local time)")
    model = read_models([QUICKSTART, REFERENCE / "ml_workflow.json"], ["quickstart", "ml_workflow"])
    totals = compute(model).total_footprint_kg()
    assert lines[1:4] == [f"ml_workflow: total footprint {totals['ml_workflow'] / 1000:,.1f} t CO2e",
                          f"quickstart: total footprint {totals['quickstart'] / 1000:,.1f} t CO2e",
                          f"portfolio of 2 systems: total footprint {sum(totals.values()) / 1000:,.1f} t CO2e"]
    wrote = re.fullmatch(rf"wrote {re.escape(str(out / 'results.parquet'))} \([\d,]+ rows\) in ([\d.]+) s", lines[4])
    assert wrote and float(wrote[1]) >= 1.0
    assert lines[5].startswith(f"and 13 tables for BI tools in {out}/: ")
    assert (out / "results.parquet").is_file()


def test_sweep_prints_the_memory_limit_the_model_total_and_the_range(tmp_path, capsys):
    grid = tmp_path / "grid.json"
    grid.write_text(json.dumps(QUICKSTART_GRID))
    assert main(["sweep", QUICKSTART, "--grid", str(grid), "--out", str(tmp_path / "out"),
                 "--memory-limit", "1 GiB"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "memory limit 1.00 GiB (--memory-limit)"
    [total] = compute(read_model(QUICKSTART)).total_footprint_kg().values()
    assert lines[2] == f"model as given: total footprint {total / 1000:,.1f} t CO2e; 1,000 variants to compute"
    totals = pl.read_parquet(tmp_path / "out" / "sweep.parquet")["total_footprint_kg"]
    assert lines[3] == (f"1,000 variants: total footprint from {totals.min() / 1000:,.1f} t CO2e to "
                        f"{totals.max() / 1000:,.1f} t CO2e")
    assert lines[4].startswith(f"wrote {tmp_path / 'out' / 'sweep.parquet'} in ")
    assert main(["sweep", QUICKSTART, "--grid", str(grid), "--out", str(tmp_path / "default")]) == 0
    assert re.fullmatch(r"memory limit [\d.]+ GiB \(half the available memory, at most 2 GiB\)",
                        capsys.readouterr().out.splitlines()[0])
    assert main(["sweep", QUICKSTART, "--grid", str(grid), "--out", str(tmp_path / "bad"),
                 "--memory-limit", "2 years"]) == 2
    assert "--memory-limit = '2 year': expected a quantity convertible to byte" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


def test_a_large_grid_states_its_size_time_and_output_first(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sweep_command, "LARGE_GRID", 999)  # the quickstart grid's 1000 variants are then large
    grid = tmp_path / "grid.json"
    grid.write_text(json.dumps(QUICKSTART_GRID))
    assert main(["sweep", QUICKSTART, "--grid", str(grid), "--out", str(tmp_path / "out")]) == 0
    lines = capsys.readouterr().out.splitlines()
    estimate = re.fullmatch(r"1,000 variants: roughly \d+ s and ([\d.]+) kB of sweep.parquet "
                            r"\(from a trial on its first 1,000 variants\)", lines[3])
    assert estimate, lines
    assert lines[4].startswith("1,000 variants: total footprint from")
    written = (tmp_path / "out" / "sweep.parquet").stat().st_size
    assert 0.5 * written <= float(estimate[1]) * 1e3 <= 2 * written


@pytest.mark.parametrize(("date", "warning"), [
    ("2030-01-01", "is after the model's last hour (2028-01-01 17:00 UTC): the changes apply to no hour, nothing changes"),
    ("2020-01-01", "is before the model's first hour (2025-01-01 00:00 UTC): the changes apply to the whole period"),
    ("2026-01-01", None),
])
def test_simulate_warns_outside_the_period_and_prints_totals_before_and_after(date, warning, tmp_path, capsys):
    changes = tmp_path / "changes.json"
    changes.write_text(json.dumps({"server.average_carbon_intensity": "300 g/kWh"}))
    out = tmp_path / "out"
    assert main(["simulate", QUICKSTART, "--changes", str(changes), "--from", date, "--out", str(out)]) == 0
    captured = capsys.readouterr()
    if warning:
        assert captured.err == f"efp simulate: warning: --from {date} {warning}\n"
    else:
        assert captured.err == ""
    results = pl.read_parquet(out / "results.parquet")
    after = results.filter((pl.col("object_class") == "System") & (pl.col("attribute") == "total_footprint")
                           & (pl.col("kind") == "hourly"))["value"].sum()
    [before] = compute(read_model(QUICKSTART)).total_footprint_kg().values()
    assert (after == pytest.approx(before, rel=1e-12)) == (date == "2030-01-01")
    lines = captured.out.splitlines()
    assert f"total footprint before: {before / 1000:,.1f} t CO2e, after: {after / 1000:,.1f} t CO2e " \
           f"({(after - before) / 1000:+,.1f} t)" in lines
    assert lines[-1].startswith(f"wrote {out / 'results.parquet'}, {out / 'diffs.parquet'} in ")


def test_every_command_works_on_a_model_with_external_apis(tmp_path, capsys):
    """genai_assistant (EcoLogits GenAI and video APIs, edge calls to them): compute writes every table, the
    attribution atoms of the API servers among them; report, explain, chart (the Sankey too), describe, sweep and
    simulate work."""
    model = str(REFERENCE / "genai_assistant.json")
    out = tmp_path / "out"
    assert main(["compute", model, "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert "Writing-assistant: total footprint 3,029.3 t CO2e" in captured.out
    assert (out / "external_api_servers_hourly.parquet").exists()
    atoms = pl.read_parquet(out / "attribution.parquet")
    veo = atoms.filter(pl.col("source_class") == "EcoLogitsVideoGenExternalAPIServer")
    assert set(veo["source_id"]) == {"Veo-API-server"} and set(veo["stream"]) == {"single"}
    by_category = pl.read_parquet(out / "footprint_by_category.parquet")
    apis = by_category.filter(pl.col("category") == "ExternalAPIs").sort("object_id", "phase")
    assert apis["object_id"].to_list() == ["Claude-API", "Claude-API", "Mistral-API", "Mistral-API", "Veo-API",
                                           "Veo-API"]
    veo_footprint = pl.read_parquet(out / "results.parquet").filter(
        (pl.col("object_id") == "Veo-API-server") & pl.col("attribute").is_in(
            ["instances_manufacturing_footprint", "use_footprint"]))["value"].sum()
    assert apis.filter(pl.col("object_id") == "Veo-API")["footprint_kg"].sum() == pytest.approx(veo_footprint,
                                                                                                rel=1e-12)
    assert veo["value_kg"].sum() == pytest.approx(veo_footprint, rel=1e-9)  # the atoms split it exactly
    assert main(["chart", str(out), "--kind", "sankey", "--exclude", "ExternalAPIServer", "--out",
                 str(tmp_path / "sankey.html")]) == 0
    assert main(["report", model, "--out", str(tmp_path / "report.html")]) == 0
    assert "ExternalAPIs" in (tmp_path / "report.html").read_text()
    assert main(["explain", model, "Veo-API-server.use_footprint", "--depth", "3"]) == 0
    explained = capsys.readouterr().out
    assert "Generate-explainer-clip.generation_latency = 39.996" in explained
    assert "Veo-API.average_carbon_intensity = 0.3844 kilogram / kilowatt_hour" in explained
    assert main(["chart", str(out / "results.parquet"), "--kind", "footprint", "--out",
                 str(tmp_path / "chart.html")]) == 0
    assert main(["describe", model]) == 0
    assert "with_audio                                           false" in capsys.readouterr().out
    grid = tmp_path / "grid.json"
    grid.write_text(json.dumps({"Draft-answer.output_token_count": [600, 1200]}))
    assert main(["sweep", model, "--grid", str(grid), "--out", str(tmp_path / "sweep")]) == 0
    sweep = pl.read_parquet(tmp_path / "sweep" / "sweep.parquet")
    changes = tmp_path / "changes.json"
    changes.write_text(json.dumps({"Draft-answer.output_token_count": 1200}))
    assert main(["simulate", model, "--changes", str(changes), "--from", "2025-01-01", "--out",
                 str(tmp_path / "sim")]) == 0
    simulated = pl.read_parquet(tmp_path / "sim" / "results.parquet").filter(
        (pl.col("object_class") == "System") & (pl.col("kind") == "hourly"))["value"].sum()
    assert sweep["total_footprint_kg"].to_list()[1] == pytest.approx(simulated, rel=1e-9)
    assert sweep["total_footprint_kg"].to_list()[0] == pytest.approx(3_029_300, rel=1e-4)
