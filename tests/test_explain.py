"""Explain any number (outputs/explain.py, outputs/graphs.py, `efp explain`).

The oracle is efootprint 27.0.0's own calculus graph: every calculated ExplainableObject knows its direct
ancestors. efootprint runs in subprocesses (started together when the module starts, so that they run while the
other tests do), which also keeps efootprint_dump's process-wide switch to name-based ids out of this process.

Where efootprint's graph and ours differ by construction (compared after mapping, see `_mapped`):
- efootprint has calculated attributes it always leaves empty (io/results_table.EMPTY: a storage's
  instances_energy and use_footprint, a network's instances_manufacturing_footprint). Its System.total_footprint
  depends on them and lists the empty ones as leaves; we have no storage use phase and no network manufacturing
  phase, so they are not nodes of ours.
- A BoaviztaCloudServer's hardware figures come in efootprint from `api_call_response` (the answer of
  Boavizta's API for provider and instance_type); ours from Boavizta's table, looked up by provider and
  instance_type directly.
Everything else (attribute names, inputs, direct dependencies) is efootprint's."""
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from functools import cache

import polars as pl
import pytest

from conftest import REFERENCE, SHARED
from efp_tables.cli import main
from efp_tables.compute import compute
from efp_tables.errors import ModelError
from efp_tables.io.efootprint_json import read_model
from efp_tables.io.results_table import ATTRIBUTES, EMPTY, objects
from efp_tables.outputs.explain import (FORMULAS, RELATIONS, explain, formula_of, input_attributes,
                                        result_attribute, sources_of, user_inputs)
from efp_tables.outputs.graphs import calculus_graph_html, object_graph_html
from efp_tables.tables import schema as s

SCENARIOS = ["quickstart", "quickstart_llm", "ecommerce", "ml_workflow"]
QUICKSTART = REFERENCE / "quickstart.json"
# Prints {"leaves": [[object id, attribute], ...] of System.total_footprint's ancestors without ancestors,
# "direct": {"object_id.attribute": [[object id, attribute], ...]} for every calculated attribute}.
_ORACLE = """
import json, logging, sys
sys.path.insert(0, sys.argv[1])
import efootprint_dump
logging.disable(logging.WARNING)
from efootprint.api_utils.json_to_system import json_to_system
classes, objects, _ = json_to_system(json.load(open(sys.argv[2])))
system = next(iter(classes["System"].values()))
def key(value):
    return [value.modeling_obj_container.id, value.attr_name_in_mod_obj_container]
leaves = [key(a) for a in system.total_footprint.all_ancestors_with_id if not a.direct_ancestors_with_id]
direct = {}
for obj in objects.values():
    for attribute in obj.calculated_attributes:
        value = getattr(obj, attribute)
        values = list(value.values()) if isinstance(value, dict) else [value]
        direct[f"{obj.id}.{attribute}"] = [key(a) for v in values for a in getattr(v, "direct_ancestors_with_id", [])]
print(json.dumps({"leaves": leaves, "direct": direct}))
"""
_CLOUD_HARDWARE = "api_call_response"


@pytest.fixture(scope="module", autouse=True)
def oracle():
    """scenario -> efootprint's calculus graph facts (see _ORACLE), computed in subprocesses started with the
    module."""
    processes = {scenario: subprocess.Popen(
        [sys.executable, "-c", _ORACLE, str(SHARED / "tools"), str(REFERENCE / f"{scenario}.json")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for scenario in SCENARIOS}

    @cache
    def get(scenario):
        out, err = processes[scenario].communicate(timeout=900)
        assert processes[scenario].returncode == 0, err[-3000:]
        return json.loads(out)
    yield get
    for process in processes.values():
        if process.poll() is None:
            process.kill()
            process.communicate()


@cache
def computed(scenario: str):
    model = read_model(REFERENCE / f"{scenario}.json")
    return model, compute(model)


def _mapped(pairs, model) -> set[tuple[str, str]]:
    """efootprint's (object id, attribute) pairs in our terms (see the module docstring)."""
    cloud = dict(model.servers.select("server_id", "instance_type").iter_rows())
    table_of = dict(objects(model).select("object_id", "object_table").collect().iter_rows())
    mapped = set()
    for object_id, attribute in pairs:
        if (table_of[object_id], attribute) in EMPTY:
            continue
        if attribute == _CLOUD_HARDWARE and cloud.get(object_id) is not None:
            mapped |= {(object_id, "provider"), (object_id, "instance_type")}
            continue
        mapped.add((object_id, attribute))
    return mapped


def _children(lineage: pl.DataFrame, node: str) -> set[str]:
    return set(lineage.filter(pl.col("parent") == node)["node"])


def test_lineage_values_are_the_computed_results():
    model, results = computed("quickstart")
    lineage = explain(model, results, "System", "total_footprint")
    root = lineage.row(0, named=True)
    total = results.collected["total_footprint"]["value"]
    assert root["node"] == "System.total_footprint" and root["parent"] is None and root["depth"] == 0
    assert root["value"] == pytest.approx(results.total_footprint_kg()["System"], rel=1e-12)
    assert (root["min"], root["max"], root["hours"]) == (total.min(), total.max(), total.len())
    assert root["mean"] == pytest.approx(total.mean(), rel=1e-12) and root["unit"] == "kilogram"

    long = results.long().group_by("object_id", "attribute").agg(pl.col("value").sum())
    expected = {(o, a): v for o, a, v in long.iter_rows()}
    calculated = lineage.filter(pl.col("kind") == "calculated").unique("node")
    for row in calculated.iter_rows(named=True):
        assert row["value"] == pytest.approx(expected[(row["object_id"], row["attribute"])], rel=1e-9), row["node"]
    assert calculated.height > 40

    inputs = lineage.filter(pl.col("kind") == "input").unique("node")
    server = model.servers.row(0, named=True)
    for attribute in ("power", "idle_power", "lifespan", "power_usage_effectiveness"):
        row = inputs.filter(pl.col("node") == f"server.{attribute}").row(0, named=True)
        assert row["value"] == server[attribute] and row["source"] == "user input"  # no sources given
    occurrences = inputs.filter(pl.col("attribute") == "hourly_occurrences").row(0, named=True)
    assert occurrences["value"] == pytest.approx(model.hourly_occurrences["occurrences"].sum(), rel=1e-12)
    assert occurrences["hours"] == model.hourly_occurrences.height and occurrences["unit"] == "occurrence"
    steps = inputs.filter(pl.col("node") == "20-min-streaming.jobs").row(0, named=True)
    assert steps["summary"] == "streaming x 1, streaming-job x 1"


def test_sources_come_from_the_json_document():
    model, results = computed("ecommerce")
    document = json.loads((REFERENCE / "ecommerce.json").read_text())
    lineage = explain(model, results, document["System"].popitem()[0], "total_footprint",
                      sources=sources_of(document))
    inputs = lineage.filter(pl.col("kind") == "input").unique("node")
    names = {key: source["name"] for key, source in document["Sources"].items()}
    checked = 0
    for class_name in ("Country", "BoaviztaCloudServer", "Storage", "UsageJourneyStep", "UsagePattern"):
        for object_id, attributes in document[class_name].items():
            for row in inputs.filter(pl.col("object_id") == object_id).iter_rows(named=True):
                value = attributes[row["attribute"]]
                weights = [v for v in value.values() if isinstance(v, dict)] if isinstance(value, dict) else []
                if isinstance(value, dict) and "source" in value:
                    expected = names[value["source"]]
                elif weights:  # weighted links: every weight gives its source
                    expected = ", ".join(dict.fromkeys(names[weight["source"]] for weight in weights))
                else:  # a value not set has no source
                    expected = "user input"
                assert row["source"] == expected, row["node"]
                checked += 1
    assert checked > 20 and set(inputs["source"]) > {"e-footprint hypothesis", "user data"}
    calculated = lineage.filter(pl.col("kind") == "calculated")
    assert set(calculated["source"]) >= {"computed by stage server_footprints", "computed by stage total_footprint"}


def test_server_energy_and_storage_instances_state_their_formula_and_dependencies():
    model, results = computed("quickstart")
    energy = explain(model, results, "server", "instances_energy")
    root = energy.row(0, named=True)
    assert root["kind"] == "calculated" and root["unit"] == "kilowatt_hour"
    assert "power usage effectiveness" in root["formula"] and "PUE" in root["symbols"]
    assert _children(energy, "server.instances_energy") == {
        "server.nb_of_instances", "server.raw_nb_of_instances", "server.power", "server.idle_power",
        "server.power_usage_effectiveness"}
    assert _children(energy, "server.nb_of_instances") == {"server.raw_nb_of_instances", "server.server_type"}

    instances = explain(model, results, "SSD-storage", "nb_of_instances")
    assert _children(instances, "SSD-storage.nb_of_instances") == {
        "SSD-storage.raw_nb_of_instances", "SSD-storage.fixed_nb_of_instances", "server.server_type"}
    assert _children(instances, "SSD-storage.raw_nb_of_instances") == {
        "SSD-storage.full_cumulative_storage_need", "SSD-storage.storage_capacity"}
    capacity = model.storages["storage_capacity"][0]
    raw = instances.filter(pl.col("node") == "SSD-storage.raw_nb_of_instances").row(0, named=True)
    need = instances.filter(pl.col("node") == "SSD-storage.full_cumulative_storage_need").row(0, named=True)
    assert raw["value"] == pytest.approx(need["value"] / capacity, rel=1e-12)


def test_class_and_server_type_decide_what_is_calculated():
    model, results = computed("ecommerce")
    on_premise = explain(model, results, "Product-database-server", "nb_of_instances", max_depth=1)
    autoscaling = explain(model, results, "Web-application-server", "nb_of_instances", max_depth=1)
    assert "Product-database-server.fixed_nb_of_instances" in _children(
        on_premise, "Product-database-server.nb_of_instances")
    assert "Web-application-server.fixed_nb_of_instances" not in _children(
        autoscaling, "Web-application-server.nb_of_instances")
    cloud_ram = explain(model, results, "Web-application-server", "ram").row(0, named=True)
    assert cloud_ram["kind"] == "calculated" and cloud_ram["unit"] == "gigabyte_ram" and cloud_ram["value"] > 0

    model, results = computed("quickstart_llm")
    gpu_power = explain(model, results, "LLM-server", "power")
    gpu = model.servers.filter(pl.col("server_id") == "LLM-server").row(0, named=True)
    assert _children(gpu_power, "LLM-server.power") == {"LLM-server.gpu_power", "LLM-server.compute"}
    assert gpu_power.row(0, named=True)["value"] == pytest.approx(gpu["gpu_power"] * gpu["compute"], rel=1e-12)
    plain_power = explain(model, results, "server", "power")
    assert plain_power.height == 1 and plain_power.row(0, named=True)["kind"] == "input"


def test_max_depth_stops_the_walk():
    model, results = computed("quickstart")
    full = explain(model, results, "System", "total_footprint")
    shallow = explain(model, results, "System", "total_footprint", max_depth=1)
    assert full["depth"].max() > 5 and shallow["depth"].max() == 1
    assert set(shallow["node"]) == {"System.total_footprint", *_children(full, "System.total_footprint")}


def test_registry_covers_every_result_and_resolves_every_dependency():
    def classes_of(table: str) -> tuple[str, ...]:
        return {"servers": s.SERVER_CLASSES, "jobs": s.JOB_CLASSES, "external_apis": s.EXTERNAL_API_CLASSES,
                "external_api_servers": tuple(s.EXTERNAL_API_SERVER_CLASSES.values())}.get(
            table, (s.BY_NAME[table].object_class,))
    for spec in ATTRIBUTES:
        for object_class in spec.classes or classes_of(spec.object_table):
            assert formula_of(spec.object_table, spec.attribute, object_class), (spec.attribute, object_class)
    for formula in FORMULAS:
        for object_class in formula.classes or classes_of(formula.table):
            assert result_attribute(formula.table, formula.attribute, object_class), (formula.attribute, object_class)
        for dependency in formula.dependencies:
            target = formula.table if dependency.via == "self" else RELATIONS[(formula.table, dependency.via)][0]
            known = {f.attribute for f in FORMULAS if f.table == target} | set(input_attributes(target))
            assert dependency.attribute in known, (formula.attribute, dependency)


def _svg(html: str) -> ET.Element:
    document = ET.fromstring(html.split("\n", 1)[1])  # the document is well-formed XML after its doctype
    svg = document.find(".//{http://www.w3.org/2000/svg}svg")
    assert svg is not None
    return svg


def _graph(svg: ET.Element) -> tuple[list[str], list[tuple[str, str]]]:
    ns = "{http://www.w3.org/2000/svg}"
    nodes = [g.get("data-node") for g in svg.iter(f"{ns}g") if "node" in g.get("class", "").split()]
    edges = [(p.get("data-parent"), p.get("data-child")) for p in svg.iter(f"{ns}path")]
    return nodes, edges


def _self_contained(html: str) -> None:
    assert "<script" not in html and "src=" not in html and "href" not in html and "@import" not in html
    assert html.replace("http://www.w3.org/2000/svg", "").count("http") == 0


def test_cli_prints_the_tree_and_writes_the_graphs(tmp_path, capsys):
    graph, objects_graph = tmp_path / "graph.html", tmp_path / "objects.html"
    assert main(["explain", str(QUICKSTART), "server.instances_energy", "--html", str(graph),
                 "--objects-html", str(objects_graph)]) == 0
    out = capsys.readouterr().out.splitlines()
    model, results = computed("quickstart")
    lineage = explain(model, results, "server", "instances_energy",
                      sources=sources_of(json.loads(QUICKSTART.read_text())))
    tree = [line for line in out if not line.startswith("wrote ")]
    assert tree[0].startswith("server.instances_energy = sum ") and "kilowatt_hour" in tree[0]
    assert all(line.startswith("  ") for line in tree[1:])
    assert {line.split(" = ")[0].strip() for line in tree} == set(lineage["node"])
    source = json.loads(QUICKSTART.read_text())["Server"]["server"]["power"]["source"]
    assert source == "hypothesis" and "  server.power = 0.3 kilowatt  (e-footprint hypothesis)" in tree

    html = graph.read_text()
    _self_contained(html)
    nodes, edges = _graph(_svg(html))
    assert sorted(nodes) == sorted(lineage["node"].unique())
    assert sorted(edges) == sorted(lineage.filter(pl.col("parent").is_not_null()).select("parent", "node").iter_rows())
    assert html == calculus_graph_html(lineage)

    html = objects_graph.read_text()
    _self_contained(html)
    nodes, edges = _graph(_svg(html))
    object_count = sum(model.table(t.name).height for t in s.OBJECT_TABLES) + model.systems.height
    assert len(nodes) == len(set(nodes)) == object_count
    assert {node for edge in edges for node in edge} <= set(nodes)
    assert ("System/servers/server", "System/storages/SSD-storage") in edges
    assert ("System/jobs/streaming-job", "System/services/Video-streaming-service") in edges
    assert html == object_graph_html(model)


def test_cli_depth_limits_the_tree(capsys):
    assert main(["explain", str(QUICKSTART), "server.instances_energy", "--depth", "1"]) == 0
    tree = capsys.readouterr().out.splitlines()
    assert len(tree) == 6 and tree[0].startswith("server.instances_energy")


def test_unknown_object_or_attribute_is_a_model_error():
    model, results = computed("quickstart")
    with pytest.raises(ModelError, match=r"'no-such-server'.*one of \[.*'SSD-storage'.*'server'"):
        explain(model, results, "no-such-server", "instances_energy")
    with pytest.raises(ModelError, match=r"Server 'server': attribute = 'energy'.*instances_energy.*idle_power"):
        explain(model, results, "server", "energy")
    with pytest.raises(ModelError, match=r"system_id = 'nope'"):
        explain(model, results, "server", "instances_energy", system_id="nope")


def test_cli_errors_are_reported_without_output(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    cases = [(["server.nope"], "attribute = 'nope'"), (["nodot"], "OBJECT_ID.attribute"),
             (["server.power", "--depth", "-1"], "--depth"),
             (["server.power", "--html", str(blocker / "graph.html")], "--html")]
    for arguments, message in cases:
        assert main(["explain", str(QUICKSTART), *arguments]) == 2
        assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [blocker]


# The efootprint comparisons come last: the oracle's subprocesses run while the tests above do.
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_total_footprint_reaches_exactly_the_inputs_efootprint_lists(scenario, oracle):
    model, results = computed(scenario)
    system_id = model.system_ids[0]
    lineage = explain(model, results, system_id, "total_footprint")
    theirs = _mapped(oracle(scenario)["leaves"], model)
    ours = user_inputs(lineage)
    assert len(theirs) > 40
    assert ours - theirs == set(), "inputs we list that efootprint's total footprint does not depend on"
    assert theirs - ours == set(), "inputs of efootprint's total footprint we do not reach"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_direct_dependencies_of_every_calculated_attribute_match_efootprint(scenario, oracle):
    model, results = computed(scenario)
    direct = oracle(scenario)["direct"]
    compared = 0
    for table, object_id, object_class in objects(model).select("object_table", "object_id", "object_class").collect(
            ).iter_rows():
        for formula in FORMULAS:
            if formula.table != table or formula_of(table, formula.attribute, object_class) is not formula:
                continue
            lineage = explain(model, results, object_id, formula.attribute, max_depth=1)
            node = f"{object_id}.{formula.attribute}"
            ours = set(lineage.filter(pl.col("parent") == node).select("object_id", "attribute").iter_rows())
            assert node in direct, f"{node} is not an attribute of efootprint's {object_class}"
            assert ours == _mapped(direct[node], model), node
            compared += 1
    assert compared > 60
