"""`efp report`: one self-contained HTML page, checked for its numbers and rendered in a real headless Chromium."""
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser

import pytest
from PIL import Image

from efp_tables.cli import main
from efp_tables.compute import compute
from efp_tables.io.efootprint_json import read_model, read_models
from efp_tables.outputs.report import EXPLAINED, TOP, contributors

from conftest import REFERENCE

# Every reference model efp_tables reads (genai_assistant has external APIs: test_cli.py)
MODELS = ("quickstart", "quickstart_llm", "ecommerce", "ml_workflow", "quickstart_b", "ecommerce_b")

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--virtual-time-budget=30000"]


@pytest.fixture(scope="module")
def quickstart():
    model = read_model(REFERENCE / "quickstart.json")
    results = compute(model)
    return model, results


@pytest.fixture(scope="module")
def page(quickstart, tmp_path_factory):
    model, results = quickstart
    path = tmp_path_factory.mktemp("report") / "report.html"
    assert main(["report", str(REFERENCE / "quickstart.json"), "--out", str(path)]) == 0
    return path


class _Tables(HTMLParser):
    """The text of every table cell, table by table, and every external resource the page would load."""

    def __init__(self):
        super().__init__()
        self.tables, self.external, self._cell = [], [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = ""
        for name in ("src", "href"):
            if attrs.get(name, "").startswith(("http:", "https:", "//")):
                self.external.append(attrs[name])

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.tables[-1][-1].append(self._cell)
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def test_report_numbers(quickstart, page):
    model, results = quickstart
    html = page.read_text()
    total_t = sum(results.total_footprint_kg().values()) / 1000
    assert f"{total_t:,.1f} t CO2e" in html
    parsed = _Tables()
    parsed.feed(html)
    assert parsed.external == []  # self-contained: opens offline
    by_category, top = parsed.tables[0], parsed.tables[1]
    assert sum(float(row[-1].replace(",", "")) for row in by_category[1:]) == pytest.approx(total_t, abs=0.05 * 8)
    ranked = contributors(results.long().drop("system_id"))
    assert len(top) - 1 == min(TOP, ranked.height) == 6  # storage, server, network, device: 6 footprints
    assert [row[2] for row in top[1:]] == ranked["object_id"].head(TOP).to_list()
    assert float(top[1][4].replace(",", "")) == pytest.approx(ranked["tonnes"][0], abs=0.05)
    # One explanation table for the total and one per top contributor, each starting at its number.
    lineages = parsed.tables[2:]
    assert len(lineages) == 1 + EXPLAINED
    system_id = model.table("systems")["system_id"][0]
    assert lineages[0][1][0] == f"{system_id}.total_footprint"
    assert lineages[1][1][0].startswith(ranked["object_id"][0] + ".")
    assert len(re.findall(r"<svg", html)) >= 1  # the object graph


def test_report_renders_in_chromium(page, tmp_path):
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is needed: `make test` installs it"
    profile = tempfile.mkdtemp()
    try:
        dom = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom",
                              page.as_uri()], capture_output=True, text=True, timeout=180).stdout
        shot = tmp_path / "report.png"
        subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--screenshot={shot}",
                        "--window-size=1200,2600", page.as_uri()], capture_output=True, timeout=180, check=True)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    # Vega drew every chart: one <svg class="marks"> per chart div, with marks inside.
    divs = re.findall(r'<div class="chart[^"]*" id="chart-\d+"', dom)
    drawn = re.findall(r'<svg[^>]*class="marks"', dom)
    assert len(divs) == 4 and len(drawn) == len(divs), f"{len(drawn)} of {len(divs)} charts drawn"  # 4th: Sankey
    assert dom.count('role-mark') >= len(divs)
    image = Image.open(shot).convert("RGB")
    width, height = image.size
    assert (width, height) == (1200, 2600)
    colours = image.getcolors(maxcolors=width * height)
    white = sum(count for count, rgb in colours if min(rgb) >= 245)
    assert len(colours) > 50  # text, bars, areas, lines: far from a blank page
    assert white < 0.97 * width * height


def test_report_portfolio_and_errors(tmp_path, capsys):
    out = tmp_path / "portfolio.html"
    assert main(["report", str(REFERENCE / "quickstart.json"), str(REFERENCE / "ecommerce.json"),
                 "--out", str(out)]) == 0
    html = out.read_text()
    assert "Total footprint over time (ecommerce)" in html and "Total footprint over time (quickstart)" in html
    assert html.count("Who causes what: usage patterns") == 2  # one Sankey per system
    assert main(["report", str(REFERENCE / "quickstart.json"), "--out", str(tmp_path / "report.txt")]) == 2
    assert "an .html file" in capsys.readouterr().err
    assert not (tmp_path / "report.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["portfolio.html"]


def _chart_specs(html: str) -> list[dict]:
    import json
    return [json.loads(spec) for spec in re.findall(r'vegaEmbed\("#chart-\d+", (.*?), \{renderer', html)]


@pytest.mark.parametrize("name", [*MODELS, "edge_fleet", "genai_assistant"])
def test_report_of_every_reference_model(name, tmp_path, capsys):
    out = tmp_path / "report.html"
    assert main(["report", str(REFERENCE / f"{name}.json"), "--out", str(out)]) == 0
    html = out.read_text()
    model = read_model(REFERENCE / f"{name}.json")
    [(system_id, kg)] = compute(model).total_footprint_kg().items()
    system_name = model.table("systems")["name"][0]
    assert f'{kg / 1000:,.1f} t CO2e</span> total footprint of {system_name}' in html
    parsed = _Tables()
    parsed.feed(html)
    by_category, lineages = parsed.tables[0], parsed.tables[2:]
    assert by_category[0] == ["category", "phase", "t CO2e"]  # one system: no system column
    assert sum(float(row[-1].replace(",", "")) for row in by_category[1:]) == pytest.approx(kg / 1000, abs=0.05 * 8)
    assert lineages[0][1][0] == f"{system_id}.total_footprint"
    assert len(lineages) == 1 + EXPLAINED
    assert f"Total footprint over time ({system_id})" in html
    assert capsys.readouterr().out.splitlines()[-1].startswith(f"wrote {out} (")


def test_report_of_a_portfolio_of_every_reference_model(tmp_path, capsys):
    out = tmp_path / "portfolio.html"
    assert main(["report", *(str(REFERENCE / f"{name}.json") for name in MODELS), "--out", str(out)]) == 0
    html = out.read_text()
    model = read_models([REFERENCE / f"{name}.json" for name in MODELS], MODELS)
    totals = compute(model).total_footprint_kg()
    portfolio = sum(totals.values())
    assert f'{portfolio / 1000:,.1f} t CO2e</span> total footprint of the portfolio of 6 systems' in html
    parsed = _Tables()
    parsed.feed(html)
    systems = parsed.tables[0]
    assert systems[0] == ["system_id", "system", "t CO2e", "% of total"]
    assert [row[0] for row in systems[1:]] == sorted(MODELS)
    for row in systems[1:]:
        assert float(row[2].replace(",", "")) == pytest.approx(totals[row[0]] / 1000, abs=0.05)
        assert float(row[3]) == pytest.approx(100 * totals[row[0]] / portfolio, abs=0.05)
    # every system's objects apart: one bar per system's laptop, each system's bars add up to its total
    footprint = _chart_specs(html)[0]
    [rows] = footprint["datasets"].values()
    laptops = {row["object"] for row in rows if row["object"].endswith("Default laptop")}
    assert laptops == {f"{name} / Default laptop" for name in MODELS}
    for system_id, kg in totals.items():
        shown = sum(row["tonnes"] for row in rows if row["object"].startswith(f"{system_id} / "))
        assert shown == pytest.approx(kg / 1000, rel=1e-9), system_id
    lineages = parsed.tables[3:]
    assert [table[1][0] for table in lineages[:6]] == [f"{name}.total_footprint" for name in sorted(MODELS)]
    lines = capsys.readouterr().out.splitlines()
    assert f"portfolio of 6 systems: total footprint {portfolio / 1000:,.1f} t CO2e" in lines


def test_report_of_a_portfolio_of_web_edge_and_genai_models(tmp_path, capsys):
    names = ["quickstart", "edge_fleet", "genai_assistant"]
    out = tmp_path / "portfolio.html"
    assert main(["report", *(str(REFERENCE / f"{name}.json") for name in names), "--out", str(out)]) == 0
    model = read_models([REFERENCE / f"{name}.json" for name in names], names)
    totals = compute(model).total_footprint_kg()
    parsed = _Tables()
    parsed.feed(out.read_text())
    systems = parsed.tables[0]
    assert [row[0] for row in systems[1:]] == sorted(names)
    for row in systems[1:]:  # each system's total as computed alone
        alone = compute(read_model(REFERENCE / f"{row[0]}.json")).total_footprint_kg()
        assert totals[row[0]] == pytest.approx(next(iter(alone.values())), rel=1e-12)
        assert float(row[2].replace(",", "")) == pytest.approx(totals[row[0]] / 1000, abs=0.05)
    assert out.read_text().count("Who causes what: usage patterns") == 3  # one Sankey per system
