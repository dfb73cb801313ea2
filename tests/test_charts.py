"""Charts of the quickstart's real results: each kind renders to a non-blank PNG and its spec holds the marks,
fields and numbers of the results it shows; `efp chart` draws every kind from the files the other commands
write and refuses what does not fit."""
import json
import re
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from PIL import Image

from conftest import REFERENCE
from efp_tables.cli import main
from efp_tables.compute import compute
from efp_tables.errors import ModelError
from efp_tables.io.efootprint_json import read_model, read_models
from efp_tables.io.results_table import write_parquet_atomic
from efp_tables.outputs import charts
from efp_tables.simulations import changed_model, diff_summary, emission_diffs, splice
from efp_tables.sweeps import sweep
from efp_tables.units import unit_label

MODEL = REFERENCE / "quickstart.json"
CHANGES = {"server.average_carbon_intensity": "300 g/kWh", "video-upload.data_transferred": "30 MB"}
FROM = datetime(2026, 1, 1)
GRID = {"server.average_carbon_intensity": ["100 g/kWh", "50 g/kWh", "400 g/kWh"],
        "server.utilization_rate": [0.9, 0.5], "SSD-storage.lifespan": ["6 year", "3 year"]}  # 12 variants


@pytest.fixture(scope="module")
def results():
    return compute(read_model(MODEL))


@pytest.fixture(scope="module")
def long(results):
    return results.long().drop("system_id")


@pytest.fixture(scope="module")
def simulated(long):
    """The quickstart with CHANGES from FROM on, as efp simulate computes it."""
    return splice(long, compute(changed_model(read_model(MODEL), CHANGES)).long().drop("system_id"), FROM)


@pytest.fixture(scope="module")
def diffs(long, simulated):
    return emission_diffs(long, simulated)


@pytest.fixture(scope="module")
def sweep_table():
    return sweep(read_model(MODEL), GRID)


@pytest.fixture(scope="module")
def folders(tmp_path_factory, long, simulated, diffs):
    """What efp sweep, efp compute and efp simulate write, each in its folder (the last two written as they do
    it, from the fixtures, to save computing the models again)."""
    root = tmp_path_factory.mktemp("efp")
    grid = root / "grid.json"
    grid.write_text(json.dumps(GRID))
    assert main(["sweep", str(MODEL), "--grid", str(grid), "--out", str(root / "swept")]) == 0
    write_parquet_atomic(long, root / "computed" / "results.parquet")
    write_parquet_atomic(simulated, root / "simulated" / "results.parquet")
    write_parquet_atomic(diffs, root / "simulated" / "diffs.parquet")
    return root


def _system_total_kg(long: pl.DataFrame) -> float:
    return long.filter((pl.col("object_class") == "System") & (pl.col("attribute") == "total_footprint"))["value"].sum()


def _coloured_pixels(path: Path) -> int:
    """Pixels of the marks: axes and text are grey, the background white, bars, lines and areas coloured."""
    image = Image.open(path).convert("RGB")
    assert image.width > 300 and image.height > 100
    return sum(count for count, rgb in image.getcolors(maxcolors=image.width * image.height)
               if max(rgb) - min(rgb) > 60)


def _assert_png_drawn(chart, path: Path) -> None:
    charts.save_chart(chart, path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert _coloured_pixels(path) > 1_000


def _marks(spec) -> set[str]:
    found = set()
    if isinstance(spec, dict):
        if "mark" in spec:
            found.add(spec["mark"] if isinstance(spec["mark"], str) else spec["mark"]["type"])
        for value in spec.values():
            found |= _marks(value)
    elif isinstance(spec, list):
        for value in spec:
            found |= _marks(value)
    return found


def _units(spec):
    """Every spec with a mark (layers, concatenations and facets included)."""
    if isinstance(spec, dict):
        if "mark" in spec:
            yield spec
        for value in spec.values():
            yield from _units(value)
    elif isinstance(spec, list):
        for value in spec:
            yield from _units(value)


def _unit(spec: dict, mark: str) -> tuple[dict, pl.DataFrame]:
    """The first spec with that mark, and its data (own or the top level's)."""
    unit = next(u for u in _units(spec) if (u["mark"] if isinstance(u["mark"], str) else u["mark"]["type"]) == mark)
    name = unit.get("data", spec.get("data"))["name"]
    return unit, pl.DataFrame(spec["datasets"][name])


def test_footprint_chart_of_the_long_table_equals_the_stage_chart(results, long, tmp_path):
    chart = charts.footprint_from_long(long)
    _assert_png_drawn(chart, tmp_path / "footprint.png")
    spec = chart.to_dict()
    assert _marks(spec) == {"bar"}
    unit, data = _unit(spec, "bar")
    assert (unit["encoding"]["x"]["field"], unit["encoding"]["y"]["field"]) == ("object", "tonnes")
    assert set(data["category"]) == {"Servers", "Storage", "Network", "Devices"}
    assert set(data["phase"]) == {"Manufacturing", "Use"}
    assert data["tonnes"].sum() == pytest.approx(_system_total_kg(long) / 1000, rel=1e-9)
    by_object = results.collected["footprint_by_object"]
    names = long.select("object_id", "object_name").unique().with_columns(system_id=pl.lit("System"))
    _, from_stage = _unit(charts.footprint_by_category_and_object(by_object, names).to_dict(), "bar")
    key = ["category", "object", "phase"]
    assert data.sort(key).select(*key).equals(from_stage.sort(key).select(*key))
    assert data.sort(key)["tonnes"].to_list() == pytest.approx(from_stage.sort(key)["tonnes"].to_list(), rel=1e-9)


def test_footprint_chart_of_a_portfolio_keeps_each_systems_objects_apart():
    # quickstart and quickstart_b both have a "Default laptop": two bars, not one stacked from both
    model = read_models([MODEL, REFERENCE / "quickstart_b.json"], ["quickstart", "quickstart_b"])
    portfolio = compute(model)
    _, data = _unit(charts.footprint_from_long(portfolio.long()).to_dict(), "bar")
    laptops = data.filter(pl.col("object").str.ends_with("Default laptop"))
    assert sorted(set(laptops["object"])) == ["quickstart / Default laptop", "quickstart_b / Default laptop"]
    totals = portfolio.total_footprint_kg()
    for system_id in ("quickstart", "quickstart_b"):
        shown = data.filter(pl.col("object").str.starts_with(f"{system_id} / "))["tonnes"].sum()
        assert shown == pytest.approx(totals[system_id] / 1000, rel=1e-9)


@pytest.mark.parametrize(("unit", "label"), [
    ("kilowatt_hour", "kWh"), ("kilogram", "kg"), ("occurrence", "occurrences"), ("gigabyte_ram", "GB RAM"),
    ("megabyte_stored", "MB stored"), ("cpu_core", "CPU cores"), ("gpu", "GPUs"), ("megabyte / second", "MB/s"),
    ("concurrent", "concurrent"), ("", "value"), ("kilogram (cumulative)", "kilogram (cumulative)")])
def test_units_on_axes_read_as_people_write_them(unit, label):
    assert unit_label(unit) == label


def test_hourly_chart_of_three_years_adds_energy_up_per_complete_day(long, tmp_path):
    chart = charts.hourly(long, "server", "instances_energy")
    _assert_png_drawn(chart, tmp_path / "hourly.png")
    spec = chart.to_dict()
    assert _marks(spec) == {"line"}
    unit, data = _unit(spec, "line")
    assert unit["encoding"]["y"]["title"] == "kWh/day"
    assert unit["encoding"]["x"]["field"] == "hour" and unit["encoding"]["x"]["type"] == "temporal"
    # the results run from 2024-12-31 23:00 to 2028-01-01 16:00 UTC: the two cut days are left out
    assert data.height == 3 * 365  # 2025-01-01 .. 2027-12-31
    assert data["hour"][0] == "2025-01-01T00:00:00Z" and data["hour"][-1] == "2027-12-31T00:00:00Z"
    energy = long.filter((pl.col("object_id") == "server") & (pl.col("attribute") == "instances_energy"))
    day = energy.filter(pl.col("hour").dt.date() == datetime(2026, 6, 15).date())
    assert day.height == 24
    shown = data.filter(pl.col("hour") == "2026-06-15T00:00:00Z")["value"].item()
    assert shown == pytest.approx(day["value"].sum(), rel=1e-12)


def test_hourly_chart_averages_levels_and_keeps_one_line_per_object_and_key(long, tmp_path):
    chart = charts.hourly(long, ["streaming", "video upload"], "hourly_avg_occurrences_per_usage_pattern", "month")
    _assert_png_drawn(chart, tmp_path / "levels.png")
    unit, data = _unit(chart.to_dict(), "line")
    assert unit["encoding"]["y"]["title"] == "concurrent (monthly mean)"
    assert set(data["series"]) == {"streaming / Daily-video-streaming-consumption",
                                   "video upload / Daily-video-streaming-consumption"}
    occurrences = long.filter((pl.col("object_id") == "streaming")
                              & (pl.col("attribute") == "hourly_avg_occurrences_per_usage_pattern")
                              & (pl.col("hour").dt.strftime("%Y-%m") == "2026-03"))
    shown = data.filter(pl.col("series").str.starts_with("streaming") & (pl.col("hour") == "2026-03-01T00:00:00Z"))
    assert shown["value"].item() == pytest.approx(occurrences["value"].mean(), rel=1e-12)


def test_hourly_chart_on_request_keeps_every_hour(long):
    _, data = _unit(charts.hourly(long, "server", "nb_of_instances", "hour").to_dict(), "line")
    expected = long.filter((pl.col("object_id") == "server") & (pl.col("attribute") == "nb_of_instances"))
    assert data.height == expected.height == 26298
    assert data["value"].sum() == pytest.approx(expected["value"].sum(), rel=1e-12)


def test_cumulative_chart_ends_at_the_total(long, tmp_path):
    chart = charts.cumulative(long)
    _assert_png_drawn(chart, tmp_path / "cumulative.png")
    spec = chart.to_dict()
    assert _marks(spec) == {"area"}
    unit, data = _unit(spec, "area")
    assert unit["encoding"]["y"]["field"] == "tonnes" and unit["encoding"]["y"]["stack"] == "zero"
    assert set(data["series"]) == {"server", "SSD storage", "WIFI network", "Default laptop"}
    last = data.sort("hour").group_by("series").agg(pl.col("tonnes").last())
    assert last["tonnes"].sum() == pytest.approx(_system_total_kg(long) / 1000, rel=1e-9)
    steps = data.sort("series", "hour").select(pl.col("tonnes").diff().over("series").drop_nulls())
    assert steps["tonnes"].min() >= 0  # footprints accumulate
    by_category = _unit(charts.cumulative(long, by="category").to_dict(), "area")[1]
    assert set(by_category["series"]) == {"Servers", "Storage", "Network", "Devices"}
    server = _unit(charts.cumulative(long, objects=["server"]).to_dict(), "area")[1]
    server_kg = long.filter((pl.col("object_id") == "server") & (pl.col("key_id") == "") & pl.col("attribute").is_in(
        ["instances_manufacturing_footprint", "use_footprint"]))["value"].sum()
    assert set(server["series"]) == {"server"}
    assert server.sort("hour")["tonnes"][-1] == pytest.approx(server_kg / 1000, rel=1e-9)


def test_emission_diffs_chart_shows_what_the_changes_move(diffs, tmp_path):
    chart = charts.emission_diffs(diffs)
    _assert_png_drawn(chart, tmp_path / "diffs.png")
    spec = chart.to_dict()
    assert _marks(spec) == {"bar"}
    unit, data = _unit(spec, "bar")
    assert unit["encoding"]["x"]["field"] == "delta_t"
    assert data.height == 6  # server and devices: 2 phases, storage: manufacturing, network: use
    # dirtier server electricity and bigger uploads (network) change use only
    moved = data.filter(pl.col("delta_t").abs() > 1e-9)
    assert sorted(moved.select("object", "phase").rows()) == [("Network: WIFI network", "Use"),
                                                              ("Servers: server", "Use")]
    assert moved["delta_t"].min() > 0
    assert data["delta_t"].sum() == pytest.approx(diffs["delta_kg"].sum() / 1000, rel=1e-9)
    assert spec["title"] == f"Emission diffs: {diffs['delta_kg'].sum() / 1000:+,.1f} t CO2e"
    summary = _unit(charts.emission_diffs(diff_summary(diffs)).to_dict(), "bar")[1]
    assert summary.equals(data)


def test_emission_diffs_chart_with_the_change_over_time(diffs, tmp_path):
    chart = charts.emission_diffs(diffs, with_hourly=True)
    _assert_png_drawn(chart, tmp_path / "diffs_hourly.png")
    spec = chart.to_dict()
    assert _marks(spec) == {"bar", "line"}
    _, over_time = _unit(spec, "line")
    assert over_time.filter(pl.col("hour") < "2026-01-01")["delta_kg"].abs().max() < 1e-9
    assert over_time.filter((pl.col("hour") >= "2026-01-01") & (pl.col("category") == "Servers"))["delta_kg"].min() > 0
    with pytest.raises(ModelError, match="per-hour diffs"):
        charts.emission_diffs(diff_summary(diffs), with_hourly=True)


def test_tornado_puts_the_parameter_that_moves_the_total_most_on_top(sweep_table, tmp_path):
    chart = charts.sweep_sensitivity(sweep_table)
    _assert_png_drawn(chart, tmp_path / "sensitivity.png")
    spec = chart.to_dict()
    assert _marks(spec) == {"bar", "text", "rule"}
    unit, data = _unit(spec, "bar")
    # one parameter moving, the two others at variant 0's values, by brute force over the rows
    baseline = sweep_table.row(0, named=True)
    expected = {}
    for parameter, values in GRID.items():
        totals = [row["total_footprint_kg"] for row in sweep_table.iter_rows(named=True)
                  if all(row[p] == baseline[p] for p in GRID if p != parameter)]
        assert len(totals) == len(values)
        expected[parameter] = (max(totals) - min(totals)) / 1000
    widest = max(expected, key=expected.get)
    assert unit["encoding"]["y"]["sort"][0] == widest == "SSD-storage.lifespan"
    assert unit["encoding"]["y"]["sort"] == sorted(expected, key=expected.get, reverse=True)
    assert dict(zip(data["parameter"], data["range_t"])) == pytest.approx(expected, rel=1e-12)
    # halving the storage's lifespan doubles its manufacturing footprint: the range is that footprint
    assert expected[widest] == pytest.approx(baseline["storage_manufacturing_kg"] / 1000, rel=1e-9)
    lifespan = data.filter(pl.col("parameter") == widest).row(0, named=True)
    assert (lifespan["low_value"], lifespan["high_value"]) == ("6 year", "3 year")
    _, rule = _unit(spec, "rule")
    assert rule["baseline_t"].item() == pytest.approx(baseline["total_footprint_kg"] / 1000, rel=1e-12)


def test_tornado_around_another_baseline_variant(sweep_table):
    last = sweep_table.row(-1, named=True)
    ranges = charts.sensitivity(sweep_table, baseline=last["variant"])
    assert ranges["baseline_t"][0] == pytest.approx(last["total_footprint_kg"] / 1000, rel=1e-12)
    # at 400 g/kWh and 50 % utilization the electricity weighs more: carbon intensity moves the total more
    at_first = charts.sensitivity(sweep_table).filter(pl.col("parameter") == "server.average_carbon_intensity")
    at_last = ranges.filter(pl.col("parameter") == "server.average_carbon_intensity")
    assert at_last["range_t"].item() > at_first["range_t"].item()
    with pytest.raises(ModelError, match="baseline = 12: expected a variant of the sweep, from 0 to 11"):
        charts.sweep_sensitivity(sweep_table, baseline=12)


@pytest.mark.parametrize("call, message", [
    (lambda long: charts.hourly(long, "nope", "use_footprint"), "object = 'nope': expected an object id or name"),
    (lambda long: charts.hourly(long, "server", "nope"), "server: attribute = 'nope': expected an hourly result"),
    (lambda long: charts.hourly(long, "server", "use_footprint", "week"), "resample = 'week': expected one of"),
    (lambda long: charts.cumulative(long, by="phase"), "by = 'phase': expected object or category"),
    (lambda long: charts.cumulative(long, objects=["streaming"]), "expected objects with a footprint"),
    (lambda long: charts.emission_diffs(long), "missing \\['before_kg', 'after_kg', 'delta_kg'\\]"),
    (lambda long: charts.sweep_sensitivity(long), "missing \\['variant', 'total_footprint_kg'\\]"),
])
def test_charts_refuse_bad_input(long, call, message):
    with pytest.raises(ModelError, match=message):
        call(long)


@pytest.mark.parametrize("folder, argv, mark", [
    ("computed", ["--kind", "footprint"], "bar"),
    ("computed", ["--kind", "hourly", "--object", "server", "--object", "SSD storage", "--attribute",
                  "nb_of_instances", "--resample", "month"], "line"),
    ("computed", ["--kind", "cumulative", "--by", "category"], "area"),
    ("simulated", ["--kind", "cumulative"], "area"),
    ("simulated", ["--kind", "diffs", "--hourly-delta"], "line"),
    ("swept", ["--kind", "sensitivity", "--baseline", "3"], "text"),
])
def test_chart_command_draws_each_kind_from_the_commands_output(folders, tmp_path, capsys, folder, argv, mark):
    png = tmp_path / "chart.png"
    assert main(["chart", str(folders / folder), *argv, "--out", str(png)]) == 0
    assert capsys.readouterr().out == f"wrote {png}\n"
    assert _coloured_pixels(png) > 1_000
    html = tmp_path / "chart.html"
    assert main(["chart", str(folders / folder), *argv, "--out", str(html)]) == 0
    text = html.read_text()
    assert "vega-lite" in text and f'"mark": {{"type": "{mark}"' in text
    assert not re.search(r'<script[^>]+src=', text)  # self-contained: opens offline


def test_chart_command_reads_a_file_as_well_as_a_folder(folders, tmp_path):
    out = tmp_path / "sensitivity.html"
    assert main(["chart", str(folders / "swept" / "sweep.parquet"), "--kind", "sensitivity", "--out", str(out)]) == 0
    assert "SSD-storage.lifespan" in out.read_text()


@pytest.mark.parametrize("where, argv, message", [
    ("computed", ["--kind", "diffs"],
     "results = '.*diffs.parquet': expected the emission diffs file diffs.parquet that efp simulate writes"),
    ("swept/sweep.parquet", ["--kind", "hourly"],
     "--kind = 'hourly': expected a kind that fits sweep.parquet \\(sweep table\\): \\['sensitivity'\\]"),
    ("simulated/diffs.parquet", ["--kind", "footprint"], "expected a kind that fits diffs.parquet"),
    ("computed", ["--kind", "hourly", "--object", "server"], "expected at least one --object and an --attribute"),
    ("computed", ["--kind", "footprint", "--attribute", "use_footprint"],
     "chart --kind footprint: --attribute = 'use_footprint': expected no --attribute \\(it is for --kind hourly\\)"),
    ("computed", ["--kind", "hourly", "--object", "nope", "--attribute", "use_footprint"],
     "object = 'nope': expected an object id or name"),
    ("computed", ["--kind", "hourly", "--object", "server", "--attribute", "nope"],
     "server: attribute = 'nope': expected an hourly result of it"),
])
def test_chart_command_errors_name_what_is_wrong_and_write_nothing(folders, tmp_path, capsys, where, argv, message):
    out = tmp_path / "chart.png"
    assert main(["chart", str(folders / where), *argv, "--out", str(out)]) == 2
    assert re.search(message, capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == []


def test_chart_command_wants_an_html_or_png_file(folders, tmp_path, capsys):
    assert main(["chart", str(folders / "computed"), "--kind", "footprint", "--out", str(tmp_path / "c.svg")]) == 2
    assert "--out = '" in capsys.readouterr().err and not (tmp_path / "c.svg").exists()


def test_chart_command_refuses_a_file_that_is_not_parquet(tmp_path, capsys):
    bad = tmp_path / "results.parquet"
    bad.write_text("not parquet")
    assert main(["chart", str(bad), "--kind", "footprint", "--out", str(tmp_path / "c.png")]) == 2
    assert "expected a Parquet file" in capsys.readouterr().err and not (tmp_path / "c.png").exists()
