"""The Sankey of the attribution atoms: its fold equals efootprint 27's node_totals_and_links on the reference
scenarios (node totals and links, per phase, with levels skipped and sources excluded), `efp chart --kind
sankey` draws it (HTML, PNG), the API and `efp report` show it, and bad options get clear errors."""
import json
from functools import cache

import polars as pl
import pytest

from conftest import REFERENCE
from efootprint_live import LiveModel  # first: efootprint_dump switches efootprint to name-based ids
from efp_tables.cli import main
from efp_tables.compute import compute
from efp_tables.errors import ModelError
from efp_tables.io.attribution_table import atom_rows, objects_frame
from efp_tables.io.efootprint_json import read_model
from efp_tables.outputs.sankey import atom_totals, fold, selected

SCENARIOS = ["quickstart", "quickstart_llm", "ecommerce", "ml_workflow", "edge_fleet", "genai_assistant"]
# (levels shown, source classes excluded, phase)
CASES = [(None, [], "manufacturing"), (None, [], "use"), (["usage_pattern", "job", "source"], [], "use"),
         (["country", "step", "source"], ["Device"], "manufacturing"), (None, ["ServerBase", "Network"], "use"),
         (["journey", "edge_function", "component_need", "source"], ["EdgeAppliance"], "manufacturing"),
         (["usage_pattern", "server_need", "device_need", "source"], ["EdgeDevice"], "use")]


@cache
def ours(scenario):
    results = compute(read_model(REFERENCE / f"{scenario}.json"))
    return atom_totals(atom_rows(results.hourly("attribution")), objects_frame(results))


@cache
def live(scenario):
    return LiveModel(REFERENCE / f"{scenario}.json").system


def efootprint_fold(scenario, levels, exclude, phase):
    """efootprint's own fold, as {(level, id): kg} and {(coarse level, id, fine level, id): kg}."""
    import efootprint.all_classes_in_order as classes
    from efootprint.core.attribution import node_totals_and_links_by_phase_in_kg
    from efootprint.core.lifecycle_phases import LifeCyclePhases
    by_level = {"country": [classes.Country], "usage_pattern": [classes.UsagePattern, classes.EdgeUsagePattern],
                "journey": [classes.UsageJourney, classes.EdgeUsageJourney], "step": [classes.UsageJourneyStep],
                "edge_function": [classes.EdgeFunction], "device_need": [classes.RecurrentEdgeDeviceNeed],
                "server_need": [classes.RecurrentServerNeed], "component_need": [classes.RecurrentEdgeComponentNeed],
                "job": [classes.JobBase], "source": list(classes.SANKEY_COLUMNS[-1])}
    shown = [level for level in by_level if levels is None or level in levels]
    visible = tuple(cls for level in shown for cls in by_level[level])
    named = classes.ALL_EFOOTPRINT_CLASSES_DICT
    phase = LifeCyclePhases.MANUFACTURING if phase == "manufacturing" else LifeCyclePhases.USE
    nodes, links = node_totals_and_links_by_phase_in_kg(live(scenario), (phase,), visible,
                                                        tuple(named[c] for c in exclude))[phase]

    def level_of(node):
        return next(level for level in shown if isinstance(node, tuple(by_level[level])))
    return ({(level_of(n), n.id): kg for n, kg in nodes.items()},
            {(level_of(coarse), coarse.id, level_of(fine), fine.id): kg for (fine, coarse), kg in links.items()})


def assert_same(ours: dict, theirs: dict, what: str):
    assert ours.keys() == theirs.keys(), (what, sorted(ours.keys() ^ theirs.keys()))
    scale = max(abs(v) for v in theirs.values())
    for key, kg in theirs.items():
        assert ours[key] == pytest.approx(kg, rel=1e-6, abs=1e-7 * scale), (what, key)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_fold_equals_efootprint_node_totals_and_links(scenario):
    for levels, exclude, phase in CASES:
        nodes, links = fold(selected(ours(scenario), [phase], exclude), levels)
        theirs_nodes, theirs_links = efootprint_fold(scenario, levels, exclude, phase)
        assert_same({(r["level"], r["id"]): r["kg"] for r in nodes.iter_rows(named=True)}, theirs_nodes,
                    f"nodes {levels} {exclude} {phase}")
        assert_same({(r["from_level"], r["from_id"], r["to_level"], r["to_id"]): r["kg"]
                     for r in links.iter_rows(named=True)}, theirs_links, f"links {levels} {exclude} {phase}")
        # what comes into a node goes out of it
        inflow = links.group_by("to_level", "to_id").agg(pl.col("kg").sum())
        joined = inflow.join(nodes, left_on=["to_level", "to_id"], right_on=["level", "id"])
        assert (joined["kg"] - joined["kg_right"]).abs().max() <= 1e-9 * nodes["kg"].max()


@pytest.fixture(scope="module")
def ecommerce_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("ecommerce")
    assert main(["compute", str(REFERENCE / "ecommerce.json"), "--out", str(out)]) == 0
    return out


def test_efp_chart_draws_the_sankey(ecommerce_out, tmp_path):
    for name, options in (("all.html", []), ("use.png", ["--phase", "use", "--exclude", "Device",
                                                          "--levels", "usage_pattern,job,source"])):
        assert main(["chart", str(ecommerce_out), "--kind", "sankey", *options, "--out", str(tmp_path / name)]) == 0
        assert (tmp_path / name).stat().st_size > 10_000
    html = (tmp_path / "all.html").read_text()
    assert "Product database server" in html and "Daily shoppers in France" in html
    # the drawn node totals are the fold's: the France pattern's kg is efootprint's, both phases
    spec = json.loads(html[html.index("{", html.index("var spec")):html.index("};", html.index("var spec")) + 1]) \
        if "var spec" in html else None
    nodes, _ = fold(selected(ours("ecommerce")))
    france = nodes.filter(pl.col("id") == "Daily-shoppers-in-France")["kg"].item()
    theirs = sum(efootprint_fold("ecommerce", None, [], phase)[0][("usage_pattern", "Daily-shoppers-in-France")]
                 for phase in ("manufacturing", "use"))
    assert france == pytest.approx(theirs, rel=1e-6)
    assert spec is None or spec


@pytest.mark.parametrize("options, message", [(["--exclude", "Laptop"], "classes of impact sources"),
                                              (["--levels", "step,galaxy"], "levels among"),
                                              (["--exclude", "Device", "--exclude", "ServerBase", "--exclude",
                                                "Storage", "--exclude", "Network"], "atoms with a footprint")])
def test_bad_sankey_options_are_refused(ecommerce_out, tmp_path, capsys, options, message):
    assert main(["chart", str(ecommerce_out), "--kind", "sankey", *options, "--out", str(tmp_path / "s.html")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "s.html").exists()


def test_api_sankey_and_report(tmp_path):
    from efp_tables.quickstart import quickstart_system
    system = quickstart_system()
    chart = system.sankey(phases=["manufacturing"], exclude=["Device"])
    spec = chart.to_dict()
    assert "manufacturing, without Device" in spec["title"]
    names = {row.get("name") for dataset in spec["datasets"].values() for row in dataset}
    assert {"server", "SSD storage"} <= names and "Default laptop" not in names
    assert main(["report", str(REFERENCE / "ml_workflow.json"), "--out", str(tmp_path / "report.html")]) == 0
    assert "Who causes what" in (tmp_path / "report.html").read_text()
    with pytest.raises(ModelError, match="phases among"):
        system.sankey(phases=["recycling"])


def test_edge_sankey_draws_edge_levels_in_efootprint_columns():
    from efp_tables.outputs.sankey import results_sankey
    spec = results_sankey(compute(read_model(REFERENCE / "edge_fleet.json")), phases=["manufacturing"]).to_dict()
    rows = [row for dataset in spec["datasets"].values() for row in dataset]
    headers = {row["text"] for row in rows if "text" in row}
    # a model without web usage has no step: its column shows edge functions; jobs (called by a server need) and
    # component needs share one, as in efootprint's Sankey
    assert headers == {"country", "usage pattern", "journey", "edge function", "device need / server need",
                       "component need / job", "source"}
    kg = {row["name"]: row["kg"] for row in rows if row.get("level") == "edge_function"}
    theirs = efootprint_fold("edge_fleet", None, [], "manufacturing")[0]
    assert kg["Store back-office"] == pytest.approx(theirs[("edge_function", "Store-back-office")], rel=1e-6)
    assert kg["Store back-office"] > 0


def test_small_nodes_of_a_column_are_drawn_as_one_other_node():
    """efootprint's aggregation: two or more nodes of one column under 1 % of the total become 'Other (n)'; every
    column keeps its total and every node what flows through it."""
    from efp_tables.outputs.sankey import _COLUMN, grouped_small_nodes
    atoms = selected(ours("edge_fleet"))
    nodes, links = fold(atoms)
    column_of = {level: _COLUMN[level] for level in set(nodes["level"])}
    total = atoms["kg"].sum()
    grouped, grouped_links, names = grouped_small_nodes(nodes, links, column_of, total, 1.0)
    small = nodes.filter(pl.col("kg") < total / 100).with_columns(
        pl.col("level").replace_strict(column_of).alias("column"))
    expected = {f"other-{column}": (len(members), members["kg"].sum())
                for (column,), members in small.group_by("column") if len(members) >= 2}
    assert expected and names == {id_: f"Other ({n})" for id_, (n, _) in expected.items()}
    for id_, (_, kg) in expected.items():
        assert grouped.filter(pl.col("id") == id_)["kg"].item() == pytest.approx(kg, rel=1e-12)
    assert grouped.height == nodes.height - sum(n - 1 for n, _ in expected.values())

    def by_column(frame):
        return dict(frame.group_by(pl.col("level").replace_strict(column_of)).agg(pl.col("kg").sum()).iter_rows())
    assert by_column(grouped) == pytest.approx(by_column(nodes), rel=1e-12)
    # links join two columns, so none falls inside one group: the flow is kept, fewer links carry it
    assert grouped_links["kg"].sum() == pytest.approx(links["kg"].sum(), rel=1e-12)
    assert grouped_links.height < links.height
    assert grouped_small_nodes(nodes, links, column_of, total, 0.0) == (nodes, links, {})
