"""Each upgrade step of io/json_upgrade.py on its own: a small document of major N before the step, what it is
after, and the same document through efootprint 27's own handler for that step (efootprint is a test dependency):
both give the same objects. The edge, GenAI and video generation steps, which no reference file exercises, are
covered here."""
from __future__ import annotations

import copy

import pytest
import efootprint_live  # noqa: F401  (first: efootprint_dump switches efootprint to name-based ids)

from efp_tables.errors import ModelError
from efp_tables.io.json_upgrade import STEPS, Upgrade, source_id

HYPOTHESIS = {"name": "e-footprint hypothesis", "link": None}


def q(value, unit, **extra) -> dict:
    return {"value": value, "unit": unit, "label": "a label", **extra}


def series(unit: str, key: str = "compressed_values") -> dict:
    return {key: "KLUv/SAIQQAAAAAAAIA/" if key != "values" else [1.0, 2.0], "unit": unit,
            "start_date": "2025-01-01 00:00:00", "label": "a series"}


def system(**objects) -> dict:
    return {"System": {"sys": {"name": "System", "id": "sys", "usage_patterns": []}}, **objects}


def obj(object_id: str, **attributes) -> dict:
    return {object_id: {"name": attributes.pop("name", object_id), "id": object_id, **attributes}}


def ours(step: int, document: dict) -> Upgrade:
    up = Upgrade(copy.deepcopy(document), f"{step}.2.0", step=step)
    STEPS[step](up)
    return up


def theirs(step: int, document: dict) -> dict:
    from efootprint.all_classes_in_order import ALL_EFOOTPRINT_CLASSES
    from efootprint.api_utils.version_upgrade_handlers import VERSION_UPGRADE_HANDLERS
    classes = {cls.__name__: cls for cls in ALL_EFOOTPRINT_CLASSES}
    return VERSION_UPGRADE_HANDLERS[step](copy.deepcopy({"efootprint_version": f"{step}.2.0", **document}),
                                          classes)


def _objects(document: dict) -> dict:
    """The objects, sources as (name, link) (efootprint draws random source ids), comments aside (free text)."""
    sources = {key: (value["name"], value["link"]) for key, value in document.get("Sources", {}).items()}

    def plain(node):
        if isinstance(node, dict):
            return {key: (sources.get(value, value) if key == "source" and isinstance(value, str) else plain(value))
                    for key, value in node.items() if key != "comment"}
        return [plain(item) for item in node] if isinstance(node, list) else node

    return {cls: plain(members) for cls, members in document.items() if cls not in ("efootprint_version", "Sources")}


def upgraded(step: int, document: dict) -> Upgrade:
    """Our step, checked against efootprint's."""
    up = ours(step, document)
    assert _objects(up.document) == _objects(theirs(step, document))
    return up


def test_one_step_per_major_version():
    assert sorted(STEPS) == list(range(9, 27))


def test_9_to_10():
    document = system(Hardware=obj("d", power=q(50, "watt"), year=2024),
                      Job=obj("j", job_type="undefined", description="streaming", data_stored=q(1, "MB")))
    up = upgraded(9, document)
    assert "Hardware" not in up.document
    assert up.document["Device"] == obj("d", power=q(50, "watt"))
    assert up.document["Job"]["j"] == {"name": "j", "id": "j", "data_stored": q(1, "MB")}
    assert up.former_ids == {"d": ("Hardware", "d")}
    with pytest.raises(ModelError, match=r"either 'Hardware' \(efootprint 9 and before\) or 'Device'"):
        ours(9, {**document, "Device": obj("d2", power=q(1, "watt"))})


def test_10_to_11():
    document = system(Server=obj("s", power=q(1, "watt"), server_utilization_rate=q(0.9, "dimensionless"),
                                 storage="st"),
                      GPUServer=obj("g", server_utilization_rate=q(1, "dimensionless")))
    up = upgraded(10, document)
    assert list(up.document["Server"]["s"]) == ["name", "id", "power", "utilization_rate", "storage"]
    assert up.document["System"]["sys"]["edge_usage_patterns"] == []
    assert up.former_names[("s", "utilization_rate")] == "server_utilization_rate"
    document["Server"]["s"]["utilization_rate"] = q(0.5, "dimensionless")  # a mixed form
    with pytest.raises(ModelError) as caught:
        ours(10, document)
    assert str(caught.value).startswith("Server 's': utilization_rate = ")
    assert str(caught.value).endswith("(in a file of efootprint 10.2.0, upgrading it from 10 to 11)")


def test_11_to_12():
    document = system(EdgeDevice=obj("ed", power=q(10, "watt")),
                      EdgeUsageJourney=obj("euj", name="Store", edge_device="ed", edge_processes=["p1", "p2"],
                                           usage_span=q(2, "year")),
                      RecurrentEdgeProcess={**obj("p1"), **obj("p2")})
    up = upgraded(11, document)
    assert "EdgeDevice" not in up.document and "ed" in up.document["EdgeComputer"]
    assert up.document["EdgeFunction"]["ef_euj"] == {"name": "Edge function for edge usage journey Store",
                                                     "id": "ef_euj", "recurrent_edge_resource_needs": ["p1", "p2"]}
    assert up.document["EdgeUsageJourney"] == obj("euj", name="Store", edge_functions=["ef_euj"],
                                                  usage_span=q(2, "year"))
    assert [p["edge_device"] for p in up.document["RecurrentEdgeProcess"].values()] == ["ed", "ed"]
    document["EdgeUsageJourney"]["euj"]["edge_processes"] = ["p1", "ghost"]
    with pytest.raises(ModelError, match=r"EdgeUsageJourney 'euj': edge_processes = 'ghost'.*from 11 to 12"):
        ours(11, document)


def test_12_to_13():
    document = system(
        UsagePattern=obj("up", hourly_occurrences=series("dimensionless"),
                         hourly_usage_journey_starts=series("dimensionless")),
        RecurrentEdgeWorkload=obj("w", recurrent_workload=series("", key="recurring_values")),
        Server=obj("s", ram=q(128, "gigabyte"), base_ram_consumption=q(300, "MB"), compute=q(24, "cpu_core")),
        GPUServer=obj("g", ram_per_gpu=q(80, "gigabyte"), ram=q(1, "kilobit")),
        EdgeComputer=obj("ec", ram=q(8, "GB"), base_ram_consumption=q(1, "gigabyte_ram")),
        Job=obj("j", ram_needed=q(50, "megabyte"), data_stored=q(1, "megabyte")),
        VideoStreaming=obj("v", ram_buffer_per_user=q(50, "megabyte"), bits_per_pixel=q(0.1, "dimensionless")),
        RecurrentEdgeProcess=obj("p", recurrent_ram_needed=series("kB", key="recurring_values")))
    up = upgraded(12, document)
    d = up.document
    assert d["UsagePattern"]["up"]["hourly_occurrences"]["unit"] == "occurrence"
    assert d["UsagePattern"]["up"]["hourly_usage_journey_starts"]["unit"] == "dimensionless"  # 23 -> 24's
    assert d["RecurrentEdgeWorkload"]["w"]["recurrent_workload"]["unit"] == "concurrent"
    assert [d["Server"]["s"][a]["unit"] for a in ("ram", "base_ram_consumption", "compute")] == \
           ["gigabyte_ram", "MB_ram", "cpu_core"]
    assert [d["GPUServer"]["g"][a]["unit"] for a in ("ram_per_gpu", "ram")] == ["gigabyte_ram", "kilobit"]
    assert d["EdgeComputer"]["ec"]["ram"]["unit"] == "GB_ram"
    assert [d["Job"]["j"][a]["unit"] for a in ("ram_needed", "data_stored")] == ["megabyte_ram", "megabyte"]
    assert d["VideoStreaming"]["v"]["ram_buffer_per_user"]["unit"] == "megabyte_ram"
    assert d["RecurrentEdgeProcess"]["p"]["recurrent_ram_needed"]["unit"] == "kB_ram"


def test_13_to_14():
    document = system(EdgeComputer=obj("ec", power_usage_effectiveness=q(1.2, "dimensionless"),
                                       utilization_rate=q(0.5, "dimensionless"),
                                       carbon_footprint_fabrication=q(60, "kilogram")),
                      EdgeFunction=obj("ef", recurrent_edge_resource_needs=["p"]))
    up = upgraded(13, document)
    assert up.document["EdgeComputer"] == obj("ec", carbon_footprint_fabrication=q(60, "kilogram"),
                                              structure_carbon_footprint_fabrication=q(60, "kilogram"))
    assert up.document["EdgeFunction"] == obj("ef", recurrent_edge_device_needs=["p"])
    del document["EdgeComputer"]["ec"]["carbon_footprint_fabrication"]
    with pytest.raises(ModelError, match="EdgeComputer 'ec': carbon_footprint_fabrication = None"):
        ours(13, document)


def test_14_to_15():
    document = system(EdgeUsagePattern=obj("eup", network="n"), Network=obj("n"), EdgeFunction=obj("ef"))
    up = upgraded(14, document)
    network = up.document["Network"]["default_wifi_network_for_edge"]
    assert network["bandwidth_energy_intensity"]["value"] == 0.05
    assert network["bandwidth_energy_intensity"]["source"] == HYPOTHESIS
    assert up.document["EdgeUsagePattern"]["eup"]["network"] == "default_wifi_network_for_edge"
    assert up.document["EdgeFunction"]["ef"]["recurrent_server_needs"] == []
    assert "Network" not in upgraded(14, system(EdgeFunction=obj("ef"))).document  # no edge pattern, no network


def test_15_to_16():
    document = system(
        Server=obj("srv"),
        WebApplication=obj("wa", name="Web app", server="srv", technology={"value": "php-symfony", "label": "t"}),
        WebApplicationJob=obj("waj", name="page", service="wa", data_transferred=q(2.2, "megabyte"),
                              data_stored=q(100, "kilobyte"), implementation_details={"value": "default",
                                                                                      "label": "i"}),
        GenAIModel=obj("gm", name="GM", provider={"value": "openai", "label": "p"},
                       model_name={"value": "gpt-4o", "label": "m"}),
        GenAIJob=obj("gj", service="gm", output_token_count=q(1000, "dimensionless")))
    up = upgraded(15, document)
    d = up.document
    assert not {"WebApplication", "WebApplicationJob", "GenAIModel", "GenAIJob"} & set(d)
    job = d["Job"]["waj"]
    assert job["server"] == "srv" and job["data_stored"] == q(100, "kilobyte")
    assert {a: (job[a]["value"], job[a]["unit"], job[a]["source"])
            for a in ("request_duration", "compute_needed", "ram_needed")} == {
        "request_duration": (1.0, "second", "hypothesis"), "compute_needed": (0.1, "cpu_core", "hypothesis"),
        "ram_needed": (50.0, "megabyte_ram", "hypothesis")}
    assert d["EcoLogitsGenAIExternalAPI"]["gm"]["server"] == "gm_server"
    assert d["EcoLogitsGenAIExternalAPIServer"]["gm_server"] == {"name": "GM server", "id": "gm_server"}
    assert d["EcoLogitsGenAIExternalAPIJob"]["gj"]["external_api"] == "gm"
    assert d["EcoLogitsGenAIExternalAPIJob"]["gj"]["ram_needed"]["unit"] == "gigabyte_ram"
    assert len(up.warnings) == 1 and "php-symfony/default" in up.warnings[0]
    document["WebApplicationJob"]["waj"]["service"] = "srv"
    with pytest.raises(ModelError, match="WebApplicationJob 'waj': service = 'srv': expected the id of a "
                                         "WebApplication of the file"):
        ours(15, document)


def test_16_to_17():
    document = system(
        Job=obj("j", data_stored=q(-3, "MB")), GPUJob=obj("g", data_stored=q(2, "MB")),
        Storage=obj("s", power_per_storage_capacity=q(1.3, "watt / terabyte"), idle_power=q(0, "watt"),
                    lifespan=q(6, "year")),
        EdgeStorage=obj("es", idle_power=q(0, "watt")), EdgeCPUComponent=obj("cpu"),
        RecurrentEdgeComponentNeed={**obj("n1", edge_component="es"), **obj("n2", edge_component="cpu")})
    up = upgraded(16, document)
    d = up.document
    assert d["Job"]["j"]["data_stored"]["value"] == 0 and d["GPUJob"]["g"]["data_stored"]["value"] == 2
    assert d["Storage"] == obj("s", lifespan=q(6, "year")) and d["EdgeStorage"] == obj("es")
    assert list(d["RecurrentEdgeStorageNeed"]) == ["n1"] and list(d["RecurrentEdgeComponentNeed"]) == ["n2"]
    del document["Job"]["j"]["data_stored"]
    with pytest.raises(ModelError, match="Job 'j': data_stored = None"):
        ours(16, document)


def test_17_to_18():
    document = system(Storage=obj("s", base_storage_need=q(100, "terabyte"), storage_capacity=q(1, "TB"),
                                  carbon_footprint_fabrication_per_storage_capacity=q(160, "kilogram / terabyte")),
                      EdgeStorage=obj("es", storage_capacity=q(1, "terabyte_stored")))
    up = upgraded(17, document)
    units = {a: v["unit"] for a, v in up.document["Storage"]["s"].items() if isinstance(v, dict)}
    assert units == {"base_storage_need": "terabyte_stored", "storage_capacity": "TB_stored",
                     "carbon_footprint_fabrication_per_storage_capacity": "kilogram  / terabyte_stored"}
    assert up.document["EdgeStorage"]["es"]["storage_capacity"]["unit"] == "terabyte_stored"


def test_18_to_19():
    document = system(
        EdgeCPUComponent=obj("cpu", carbon_footprint_fabrication=q(20, "kilogram"), power=q(10, "watt"),
                             idle_power=q(1, "watt"), compute=q(4, "cpu_core")),
        EdgeStorage=obj("es", storage_capacity=q(1, "terabyte_stored"), power=q(1, "watt"),
                        nb_of_units=q(2, "dimensionless")),
        EdgeRAMComponent=obj("ram", ram=q(8, "gigabyte_ram"), ram_per_unit=q(4, "gigabyte_ram")))
    up = upgraded(18, document)
    d = up.document
    assert list(d["EdgeCPUComponent"]["cpu"]) == ["name", "id", "carbon_footprint_fabrication_per_unit",
                                                  "power_per_unit", "idle_power_per_unit", "compute_per_unit",
                                                  "nb_of_units"]
    assert d["EdgeCPUComponent"]["cpu"]["nb_of_units"]["value"] == 1.0
    assert d["EdgeStorage"]["es"]["nb_of_units"]["value"] == 2
    assert "storage_capacity_per_unit" in d["EdgeStorage"]["es"]
    assert {"ram", "ram_per_unit"} <= set(d["EdgeRAMComponent"]["ram"])  # the new name is there: no rename


def test_19_to_20():
    document = system(
        Job=obj("j", data_stored=q(0.05, "megabyte"), ram_needed=q(50, "MB")),
        Server=obj("s", ram=q(128, "GB"), base_ram_consumption=q(300, "megabyte_ram")),
        Storage=obj("st", storage_capacity=q(1, "terabyte"),
                    carbon_footprint_fabrication_per_storage_capacity=q(160, "kilogram / terabyte")),
        VideoStreaming=obj("v", bits_per_pixel=q(0.1, "dimensionless"), base_ram_consumption=q(2, "gigabyte")),
        Network={**obj("n", bandwidth_energy_intensity=q(0.05, "kilowatt_hour / gigabyte_stored")),
                 **obj("n0", bandwidth_energy_intensity=q(0, "kilowatt_hour"))},
        EdgeRAMComponent=obj("ram"), EdgeStorage=obj("es"),
        RecurrentEdgeComponentNeed={**obj("nr", edge_component="ram", recurrent_need=series("GB")),
                                    **obj("ns", edge_component="es", recurrent_need=series("kilobit"))},
        GPUServer=obj("g", compute=q(4, "gpu")))
    d = upgraded(19, document).document
    assert [d["Job"]["j"][a]["unit"] for a in ("data_stored", "ram_needed")] == ["megabyte_stored", "MB_ram"]
    assert [d["Server"]["s"][a]["unit"] for a in ("ram", "base_ram_consumption")] == ["GB_ram", "megabyte_ram"]
    assert d["Storage"]["st"]["carbon_footprint_fabrication_per_storage_capacity"]["unit"] == \
           "kilogram / terabyte_stored"
    assert d["VideoStreaming"]["v"]["bits_per_pixel"]["unit"] == "bit"
    assert d["VideoStreaming"]["v"]["base_ram_consumption"]["unit"] == "gigabyte_ram"
    assert [d["Network"][n]["bandwidth_energy_intensity"]["unit"] for n in ("n", "n0")] == \
           ["kilowatt_hour / gigabyte", "kilowatt_hour / gigabyte"]
    assert [d["RecurrentEdgeComponentNeed"][n]["recurrent_need"]["unit"] for n in ("nr", "ns")] == \
           ["GB_ram", "kilobit_stored"]
    assert d["GPUServer"]["g"]["compute"]["unit"] == "gpu"


def test_20_to_21():
    link = "https://example.org"
    document = system(Server=obj("s", power=q(1, "watt", source=HYPOTHESIS),
                                 idle_power=q(1, "watt", source={"name": "ADEME", "link": link}),
                                 lifespan=q(6, "year", source={"name": "ADEME", "link": link}),
                                 ram=q(8, "GB_ram", source={"name": "user data", "link": ""})))
    up = upgraded(20, {"efootprint_version": "20.2.0", **document})
    server = up.document["Server"]["s"]
    ademe = source_id("ADEME", link)
    assert [server[a]["source"] for a in ("power", "idle_power", "lifespan", "ram")] == \
           ["hypothesis", ademe, ademe, "user_data"]
    assert len(ademe) == 12 and ademe == source_id("ADEME", link) != source_id("ADEME", None)
    assert list(up.document)[:2] == ["efootprint_version", "Sources"]
    assert up.document["Sources"][ademe] == {"id": ademe, "name": "ADEME", "link": link}
    with pytest.raises(ModelError, match="Sources.*inline sources only"):
        ours(20, {"Sources": {}, **document})


def test_21_to_22():
    document = system(UsageJourney=obj("uj", uj_steps=["a", "b", "a"]), UsageJourneyStep=obj("a", jobs=["j", "j"]),
                      RecurrentServerNeed=obj("r", jobs=["j"]))
    up = upgraded(21, document)
    steps = up.document["UsageJourney"]["uj"]["uj_steps"]
    assert list(steps) == ["a", "b"] and [s["value"] for s in steps.values()] == [2.0, 1.0]
    assert steps["a"] == {"value": 2.0, "unit": "dimensionless", "label": "Times per journey", "source": "hypothesis"}
    assert up.document["UsageJourneyStep"]["a"]["jobs"]["j"]["label"] == "Times per step"
    assert up.document["RecurrentServerNeed"]["r"]["jobs"]["j"]["label"] == "Times per occurrence"
    assert len(up.warnings) == 1 and "steps ['a'] are listed several times" in up.warnings[0]


def test_22_to_23():
    document = system(Server=obj("s", power=q(1, "watt"), instances_energy=series("kilowatt_hour"),
                                 idle_energy_footprint=series("kilogram")),
                      Job=obj("j", hourly_occurrences_per_usage_pattern={"up": series("occurrence")}))
    up = upgraded(22, document)
    assert set(up.document["Server"]["s"]) == {"name", "id", "power", "idle_energy_footprint"}  # not a 27 name
    assert up.saved == {"Server": {"s": {"instances_energy": series("kilowatt_hour")}},
                        "Job": {"j": {"hourly_occurrences_per_usage_pattern": {"up": series("occurrence")}}}}


def test_23_to_24():
    document = system(
        UsagePattern=obj("up", usage_journey="uj", hourly_usage_journey_starts=series("dimensionless"), devices=[]),
        EdgeUsagePattern=obj("eup", edge_usage_journey="euj",
                             hourly_edge_usage_journey_starts=series("occurrence")),
        EdgeUsageJourney=obj("euj", usage_span=q(2, "year"), edge_functions=[]),
        calculation_graph={"nodes": [], "edges": []})
    up = upgraded(23, document)
    pattern = up.document["UsagePattern"]["up"]
    assert list(pattern) == ["name", "id", "hourly_occurrences", "devices", "usage_journeys"]
    assert pattern["usage_journeys"]["uj"]["label"] == "Journeys per pattern occurrence"
    assert (pattern["hourly_occurrences"]["unit"], pattern["hourly_occurrences"]["label"]) == \
           ("occurrence", "Hourly nb of pattern occurrences")
    edge = up.document["EdgeUsagePattern"]["eup"]
    assert edge["edge_usage_journeys"] == ["euj"] and edge["usage_span"] == q(2, "year")
    assert edge["hourly_deployment_starts"]["label"] == "Hourly nb of deployment starts"
    assert "usage_span" not in up.document["EdgeUsageJourney"]["euj"]
    assert "calculation_graph" not in up.document
    del document["UsagePattern"]["up"]["hourly_usage_journey_starts"]
    with pytest.raises(ModelError, match="UsagePattern 'up': hourly_usage_journey_starts = None.*from 23 to 24"):
        ours(23, document)


def test_24_to_25():
    document = system(
        Server=obj("fabrication-1", name="Fabrication line", carbon_footprint_fabrication=q(600, "kilogram")),
        Job=obj("j", server="fabrication-1", data_stored=q(1, "MB", label="Energy footprint of x")))
    up = ours(24, document)
    up.saved = {"Server": {"fabrication-1": {"energy_footprint": series("kilogram")}}}
    STEPS[24](up)
    assert _objects(ours(24, document).document) == _objects(theirs(24, document))
    server = up.document["Server"]["manufacturing-1"]
    assert server["name"] == "Manufacturing line" and "carbon_footprint_manufacturing" in server
    assert up.document["Job"]["j"]["server"] == "manufacturing-1"
    assert up.document["Job"]["j"]["data_stored"]["label"] == "Use footprint of x"
    assert up.saved == {"Server": {"manufacturing-1": {"use_footprint": series("kilogram")}}}
    assert up.former_ids["manufacturing-1"] == ("Server", "fabrication-1")
    assert up.former_names[("manufacturing-1", "carbon_footprint_manufacturing")] == "carbon_footprint_fabrication"
    assert any("renames 'Fabrication line' 'Manufacturing line'" in w for w in up.warnings)


def test_25_to_26():
    sources = {"s1": {"id": "s1", "name": "Someone", "link": None}}
    document = {"Sources": sources, **system(
        EcoLogitsVideoGenExternalAPI={**obj("veo", model_name={"value": "veo-3.0", "label": "m"}),
                                      **obj("other", model_name={"value": "not-a-table-model", "label": "m"})},
        EcoLogitsVideoGenExternalAPIJob={
            **obj("bad", external_api="veo", resolution={"value": "480p (854 x 480)", "label": "r", "source": "s1",
                                                         "confidence": "high", "comment": "mine"}),
            **obj("good", external_api="veo", resolution={"value": "1080p (1920 x 1080)", "label": "r"}),
            **obj("free", external_api="other", resolution={"value": "480p (854 x 480)", "label": "r"})})}
    up = upgraded(25, document)
    jobs = up.document["EcoLogitsVideoGenExternalAPIJob"]
    bad = jobs["bad"]["resolution"]
    assert (bad["value"], bad["source"], "confidence" in bad) == ("720p (1280 x 720)", "automatic_replacement", False)
    assert "480p (854 x 480)" in bad["comment"] and "Someone" in bad["comment"] and bad["comment"].endswith("mine")
    assert jobs["good"]["resolution"]["value"] == "1080p (1920 x 1080)"
    assert jobs["free"]["resolution"]["value"] == "480p (854 x 480)"
    assert up.document["Sources"]["automatic_replacement"]["name"] == "automatic replacement"
    assert len(up.warnings) == 1


def test_26_to_27():
    ancestors = {"direct_ancestors_with_id": ["x"]}
    document = system(Server=obj("s", power=q(1, "watt", **ancestors), use_footprint=dict(series("kg"), **ancestors),
                                 per_pattern={"up": dict(series("kg"), **ancestors)}))
    up = upgraded(26, document)
    assert "direct_ancestors_with_id" not in str(up.document)
