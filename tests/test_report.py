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
from efp_tables.io.efootprint_json import read_model
from efp_tables.outputs.report import EXPLAINED, TOP, contributors

from conftest import REFERENCE

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
    assert "quickstart" in html and "ecommerce" in html
    assert "Total footprint over time (ecommerce)" in html
    assert html.count("Who causes what: usage patterns") == 2  # one Sankey per system
    assert main(["report", str(REFERENCE / "quickstart.json"), "--out", str(tmp_path / "report.txt")]) == 2
    assert "an .html file" in capsys.readouterr().err
    assert not (tmp_path / "report.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["portfolio.html"]
