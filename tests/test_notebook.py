"""examples/quickstart.ipynb is what scripts/make_notebook.py makes of examples/quickstart.py, is stored with its
charts, and runs top to bottom in a fresh kernel, showing every chart it saves. Its cells assert the numbers
they show against efootprint's reference results (a failed assert is a cell error)."""
import base64
import importlib.util
import re

import nbformat
import polars as pl
import pytest

from conftest import REFERENCE, ROOT

NOTEBOOK = ROOT / "examples" / "quickstart.ipynb"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def make_notebook():
    spec = importlib.util.spec_from_file_location("make_notebook", ROOT / "scripts" / "make_notebook.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cells_tagged(notebook, tag: str) -> list:
    return [cell for cell in notebook.cells if tag in cell.metadata.get("tags", [])]


def pngs(cell) -> list[bytes]:
    return [base64.b64decode(output.data["image/png"]) for output in cell.get("outputs", [])
            if output.output_type in ("display_data", "execute_result") and "image/png" in output.data]


def reference_total_kg(name: str) -> float:
    long = pl.read_parquet(REFERENCE / f"{name}.results.parquet")
    return long.filter((pl.col("object_class") == "System") & (pl.col("attribute") == "total_footprint"))[
        "value"].sum()


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The stored notebook run afresh (outputs cleared) with its folder as working directory, writing its charts
    and JSON export to a temporary folder."""
    out = tmp_path_factory.mktemp("notebook")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    make_notebook().execute(notebook, NOTEBOOK.parent,
                            env={"EFP_REFERENCE": str(REFERENCE), "EFP_NOTEBOOK_OUT": str(out)})
    return notebook, out


def test_stored_notebook_is_generated_from_quickstart_py_with_its_charts():
    stored = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(stored)
    made = make_notebook().build()
    assert [(c.cell_type, c.source, c.metadata.get("tags", [])) for c in stored.cells] == [
        (c.cell_type, c.source, c.metadata.get("tags", [])) for c in made.cells]
    assert stored.metadata.kernelspec == made.metadata.kernelspec
    # Stored executed, so that GitHub shows it: every chart cell holds its image.
    assert cells_tagged(stored, "chart") and all(len(pngs(cell)) == 1 for cell in cells_tagged(stored, "chart"))
    assert (ROOT / "docs" / "quickstart_footprint.png").read_bytes().startswith(PNG_MAGIC)


def test_notebook_runs_and_shows_every_chart_it_makes(executed):
    notebook, out = executed
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code)
    assert [o for cell in code for o in cell.outputs if o.output_type == "error"] == []

    chart_cells = cells_tagged(notebook, "chart")
    calls = sum(len(re.findall(r"^show\(", cell.source, re.M)) for cell in code)
    assert len(chart_cells) == calls == 18  # each chart cell ends with one show(...)
    for cell in chart_cells:
        images = pngs(cell)
        assert len(images) == 1 and images[0].startswith(PNG_MAGIC), cell.source
    assert sum(len(pngs(cell)) for cell in code) == len(chart_cells)  # no chart shown outside them
    saved = sorted((out / "figures").glob("*.png"))
    assert len(saved) == len(chart_cells) and all(p.read_bytes().startswith(PNG_MAGIC) for p in saved)

    object_graph, calculus_graph = cells_tagged(notebook, "graph")
    assert "<svg" in object_graph.outputs[0].data["image/svg+xml"]
    assert "server" in object_graph.outputs[0].data["image/svg+xml"]
    html = calculus_graph.outputs[0].data["text/html"]
    assert "<svg" in html and "Default-laptop.instances_manufacturing_footprint" in html
    assert (out / "quickstart_export.json").stat().st_size > 0


def test_notebook_prints_efootprint_totals(executed):
    notebook, _ = executed
    text = "".join(o.get("text", "") for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs
                   if o.output_type == "stream")

    def printed_kg(label: str) -> float:
        return float(re.search(rf"{label}: ([\d,]+) kg CO2e", text)[1].replace(",", ""))
    assert printed_kg("System total") == pytest.approx(reference_total_kg("quickstart"), abs=1)
    assert printed_kg("with the LLM step") == pytest.approx(reference_total_kg("quickstart_llm"), abs=1)
    assert re.search(r"100 variants from [\d,]+ to [\d,]+ t CO2e; the model itself: 11,375 t CO2e", text)
