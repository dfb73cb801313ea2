"""Older efootprint JSON files (efootprint 9.0.0 to 27.x): every reference file of ../shared/reference/old_versions
computes efootprint 27's results (parity.py), the upgrade gives the document efootprint 27's own upgrade gives,
`efp upgrade` writes a file efootprint 27 reads to the same total, saved results are compared, versions are
checked, and errors name the file's version, the object and the attribute. The steps have their own tests in
test_json_upgrade_steps.py; fuzzed old files are in test_fuzz_old_versions.py."""
from __future__ import annotations

import base64
import contextlib
import copy
import io
import json
import subprocess
import sys
import warnings

import numpy as np
import pytest
from efootprint_live import LiveModel  # first: efootprint_dump switches efootprint to name-based ids

from conftest import PARITY, REFERENCE
from efp_tables.builders.time_series import decode_compressed
from efp_tables.cli import main
from efp_tables.compute import compute
from efp_tables.errors import ModelError
from efp_tables.io.efootprint_json import read_model, upgraded_document
from efp_tables.io.json_upgrade import CURRENT_VERSION, NOT_CLASSES, UpgradeWarning, calculated_attributes, upgrade
from efp_tables.outputs.saved_results import compare_saved

OLD = REFERENCE / "old_versions"
OLD_FILES = sorted(path.name for path in OLD.glob("*.json"))
TOTALS_KG = {  # efootprint 27's total footprint of each file (old_versions/README.md)
    "quickstart_v9.json": 4_542_953.8, "quickstart_v10.json": 4_542_953.9, "quickstart_v15.json": 3_311_042.9,
    "quickstart_v17.json": 3_311_042.9, "quickstart_v22.json": 3_311_042.9, "quickstart_v26.json": 3_311_042.9,
    "quickstart_with_results_v22.json": 3_311_042.9, "quickstart_with_results_v26.json": 3_311_042.9,
    "seed_001_v9.json": 14_287_612.4, "webapp_v9.json": 4_769_747.1, "webapp_v15.json": 3_504_317.3}


def _load(name: str) -> dict:
    return json.loads((OLD / name).read_text())


def _quiet_upgrade(document: dict) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UpgradeWarning)
        return upgrade(document)


def test_every_reference_file_is_covered():
    assert sorted(TOTALS_KG) == OLD_FILES


@pytest.mark.parametrize("name", OLD_FILES)
def test_old_file_matches_efootprint(name, tmp_path):
    """efp compute on the old file: parity OK with every reference series matched."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UpgradeWarning)
        assert main(["compute", str(OLD / name), "--out", str(tmp_path)]) == 0
    result = subprocess.run([sys.executable, str(PARITY), str(tmp_path / "results.parquet"),
                             str(OLD / name.replace(".json", ".results.parquet"))], capture_output=True, text=True)
    summary = result.stdout.strip().splitlines()[-1]
    assert result.returncode == 0, result.stdout
    assert summary.startswith("parity: OK"), summary
    matched, total = summary.split("matched ")[1].split(" ")[0].split("/")
    assert matched == total and int(total) > 50, summary
    assert "required missing 0/" in summary and "mismatched 0)" in summary, summary


def _normalized(document: dict) -> dict:
    """A document's objects without calculated values or explanation links, each source given as (name, link):
    efootprint draws random ids for sources, ours are derived from the name and link."""
    sources = {key: (value["name"], value["link"]) for key, value in document.get("Sources", {}).items()}

    def plain(node):
        if isinstance(node, dict):
            return {key: (sources.get(value, value) if key == "source" and isinstance(value, str) else plain(value))
                    for key, value in node.items()
                    if key not in ("direct_ancestors_with_id", "direct_children_with_id", "explain_nested_tuples")}
        return [plain(item) for item in node] if isinstance(node, list) else node

    return {cls: {object_id: {attribute: plain(value) for attribute, value in obj.items()
                              if attribute not in calculated_attributes(cls)}
                  for object_id, obj in members.items()}
            for cls, members in document.items() if cls not in NOT_CLASSES}


@pytest.mark.parametrize("name", OLD_FILES)
def test_upgrade_gives_efootprints_document(name):
    """Our upgrade and efootprint 27's give the same inputs, attribute by attribute (source ids aside)."""
    from efootprint.api_utils.json_to_system import upgrade_system_dict_to_current_version
    document = _load(name)
    theirs = upgrade_system_dict_to_current_version(copy.deepcopy(document))
    ours = _quiet_upgrade(document)
    assert ours.document["efootprint_version"] == CURRENT_VERSION
    assert "calculation_graph" not in ours.document
    assert _normalized(ours.document) == _normalized(theirs)
    assert document == _load(name), "the parsed document is left unchanged"


@pytest.mark.parametrize("name", OLD_FILES)
def test_efootprint_reads_the_upgraded_file(name, tmp_path):
    """`efp upgrade` writes the efootprint 27 form: efootprint 27 reads it without upgrading it, to the total it
    computes from the old file."""
    out = tmp_path / "upgraded.json"
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        assert main(["upgrade", str(OLD / name), "--out", str(out)]) == 0
    assert f"wrote {out}" in stdout.getvalue()
    written = json.loads(out.read_text())
    assert written["efootprint_version"] == CURRENT_VERSION
    assert not any(attribute in calculated_attributes(cls) for cls, members in written.items()
                   if cls not in NOT_CLASSES for obj in members.values() for attribute in obj)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["upgraded.json"]
    old_total, new_total = LiveModel(OLD / name).total_kg(), LiveModel(out).total_kg()
    assert new_total == old_total
    assert new_total == pytest.approx(TOTALS_KG[name], rel=1e-6)
    ours = compute(read_model(out)).total_footprint_kg()
    assert list(ours.values())[0] == pytest.approx(TOTALS_KG[name], rel=1e-6)


def test_webapp_job_becomes_a_plain_job_with_a_warning():
    """As efootprint 27: the WebApplicationJob is a Job with efootprint 27's Job defaults, and we say so."""
    with pytest.warns(UpgradeWarning, match=r"WebApplicationJob '55e404'.*php-symfony/default.*Job defaults"
                                            r".*ecobenchmark needs are not kept") as caught:
        upgraded = upgrade(_load("webapp_v15.json"))
    assert len(caught) == 1
    job = upgraded.document["Job"]["55e404"]
    assert {k: (v["value"], v["unit"]) for k, v in job.items() if isinstance(v, dict)} == {
        "data_transferred": (2.2, "megabyte"), "data_stored": (100.0, "kilobyte_stored"),
        "request_duration": (1.0, "second"), "compute_needed": (0.1, "cpu_core"), "ram_needed": (50.0, "megabyte_ram")}
    assert job["server"] == "484952"
    assert "WebApplication" not in upgraded.document and "WebApplicationJob" not in upgraded.document


def test_webapp_job_keeps_its_ecobenchmark_needs_on_request(tmp_path):
    """--ecobenchmark-needs: the job's needs are those efootprint 15 computed (the ecobenchmark table's row of
    php-symfony/default), and efootprint 27 reads the file to our total."""
    import polars as pl

    from efp_tables.builders.archetypes import web_application_needs
    out = tmp_path / "web.json"
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("error", UpgradeWarning)  # asked for: no warning
        assert main(["upgrade", str(OLD / "webapp_v15.json"), "--out", str(out), "--ecobenchmark-needs"]) == 0
    job = json.loads(out.read_text())["Job"]["55e404"]
    row = web_application_needs().filter((pl.col("technology") == "php-symfony")
                                         & (pl.col("implementation_details") == "default")).row(0, named=True)
    assert {a: (job[a]["value"], job[a]["unit"]) for a in ("request_duration", "compute_needed", "ram_needed")} == {
        "request_duration": (1.0, "second"), "compute_needed": (row["compute_needed"], "cpu_core"),
        "ram_needed": (row["ram_needed"], "megabyte_ram")}
    assert round(row["compute_needed"], 4) == 0.0755 and round(row["ram_needed"], 2) == 6.15  # web_application.md
    ours = compute(read_model(OLD / "webapp_v15.json", ecobenchmark_needs=True)).total_footprint_kg()["f03e1a"]
    assert ours == pytest.approx(LiveModel(out).total_kg(), rel=1e-6)
    assert ours < TOTALS_KG["webapp_v15.json"] - 5  # fewer needs than efootprint 27's Job defaults (8 kg less)


def test_ecobenchmark_needs_of_an_unmeasured_pair(tmp_path):
    document = _load("webapp_v15.json")
    document["WebApplication"]["bf0ace"]["technology"]["value"] = "rust-actix-sqlx"
    document["WebApplicationJob"]["55e404"]["implementation_details"]["value"] = "mysql"
    path = tmp_path / "web.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ModelError, match=r"WebApplicationJob '55e404': implementation_details = "
                                         r"'rust-actix-sqlx/mysql': expected a technology/implementation pair"):
        read_model(path, ecobenchmark_needs=True)


def test_cli_upgrade_prints_the_steps_and_warnings(tmp_path):
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        assert main(["upgrade", str(OLD / "webapp_v9.json"), "--out", str(tmp_path / "new.json")]) == 0
    out = stdout.getvalue()
    assert out.startswith("efootprint 9.1.5 file upgraded to efootprint 27, 18 step(s)")
    assert "  9 -> 10:\n    class Hardware is now Device (1 object(s))" in out
    assert "server_utilization_rate is now utilization_rate" in out
    assert "carbon_footprint_fabrication_per_storage_capacity in kilogram  / terabyte_stored" in out
    lines = stderr.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("efp: warning: WebApplicationJob 'id-f93381-fetching-web-view'")


def test_cli_upgrade_unwritable_output(tmp_path):
    """A missing folder or a folder as --out: one line, exit code 2, nothing written."""
    for out in (tmp_path / "missing" / "new.json", tmp_path):
        stderr = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(stderr):
            code = main(["upgrade", str(OLD / "quickstart_v22.json"), "--out", str(out)])
        assert code == 2
        assert stderr.getvalue().count("\n") == 1 and stderr.getvalue().startswith("efp: error: upgrade: --out"), \
            stderr.getvalue()
    assert list(tmp_path.iterdir()) == []


def test_cli_upgrade_interrupted(tmp_path, monkeypatch):
    """Ctrl-C while writing: one line, exit code 130, the previous file untouched, no temporary file."""
    out = tmp_path / "new.json"
    out.write_text("previous")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("efp_tables.cli.upgrade.json.dumps", interrupted)
    stderr = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(stderr):
        code = main(["upgrade", str(OLD / "quickstart_v22.json"), "--out", str(out)])
    assert code == 130
    assert stderr.getvalue() == "efp: interrupted (nothing written)\n"
    assert [p.name for p in tmp_path.iterdir()] == ["new.json"] and out.read_text() == "previous"


def test_cli_upgrade_needs_an_output_or_a_check(capsys):
    assert main(["upgrade", str(OLD / "quickstart_v22.json")]) == 2
    assert "--out" in capsys.readouterr().err


# --- saved calculated values ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, compared", [("quickstart_with_results_v22.json", 58),
                                            ("quickstart_with_results_v26.json", 7)])
def test_check_saved(name, compared, capsys):
    """efootprint 22 and 26 saved the same footprints efp_tables computes today (efootprint 27 too): every saved
    total is within 1e-6, and the System's total is told."""
    assert main(["upgrade", str(OLD / name), "--check-saved"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == f"{compared} saved value(s): {compared} same"
    total = next(line for line in lines if line.startswith("System 'System' total_footprint"))
    assert "saved 3.31104e+06, computed 3.31104e+06 kilogram" in total and total.endswith("same)")


def test_check_saved_shows_differences():
    """A saved total that is not today's: 'differs', with its relative difference; a saved value of an
    attribute efp_tables does not compute: 'not computed'."""
    document = _load("quickstart_with_results_v26.json")
    system = next(iter(document["System"].values()))
    saved = decode_compressed(system["total_footprint"]["compressed_values"], "test")
    system["total_footprint"]["compressed_values"] = base64.b64encode(
        __import__("zstandard").ZstdCompressor().compress((saved * np.float32(1.1)).astype("<f4").tobytes())).decode()
    device = next(iter(document["Device"].values()))
    device["nb_journeys_in_parallel_per_usage_pattern"] = {"x": {"value": 3.0, "unit": "concurrent", "label": "l"}}
    upgraded = upgraded_document(document)
    comparison = compare_saved(upgraded, compute(read_model(OLD / "quickstart_with_results_v26.json")).long())
    rows = {(row["object_class"], row["attribute"]): row for row in comparison.iter_rows(named=True)}
    total = rows["System", "total_footprint"]
    assert total["status"] == "differs"
    assert total["relative_difference"] == pytest.approx(1 / 1.1 - 1, rel=1e-5)
    assert total["saved_total"] == pytest.approx(1.1 * 3_311_042.9, rel=1e-6)
    assert rows["Device", "nb_journeys_in_parallel_per_usage_pattern"]["status"] == "not computed"
    assert comparison.row(0, named=True)["attribute"] == "total_footprint"  # largest difference first


def test_a_file_without_saved_values(capsys):
    assert main(["upgrade", str(OLD / "quickstart_v22.json"), "--check-saved"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "quickstart_v22.json saved no calculated values"


# --- versions ---------------------------------------------------------------------------------------------------

def _read(document: dict, tmp_path, name: str = "model.json"):
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return read_model(path)


@pytest.mark.parametrize("version, expected", [
    (None, "efootprint 9.0.0 to 27.x files are read. Files of efootprint 8 and older have no version"),
    ("8.2.1", "a file of efootprint 9.0.0 to 27.x"), ("nine", "a version 'MAJOR.MINOR.PATCH'"),
    (9, "a version 'MAJOR.MINOR.PATCH'"), ("", "a version 'MAJOR.MINOR.PATCH'")])
def test_versions_refused(version, expected, tmp_path):
    document = _load("quickstart_v9.json")
    if version is None:
        del document["efootprint_version"]
    else:
        document["efootprint_version"] = version
    with pytest.raises(ModelError, match="efootprint_version") as caught:
        _read(document, tmp_path, "old.json")
    assert str(caught.value).startswith("old.json: efootprint_version = ")
    assert expected in str(caught.value)


def test_a_newer_file_is_read_with_a_warning(tmp_path):
    document = json.loads((REFERENCE / "quickstart.json").read_text())
    document["efootprint_version"] = "28.1.0"
    with pytest.warns(UpgradeWarning, match="efootprint 28.1.0, newer than 27: it is read as an efootprint 27"):
        model = _read(document, tmp_path)
    reference = read_model(REFERENCE / "quickstart.json")
    assert compute(model).total_footprint_kg() == pytest.approx(compute(reference).total_footprint_kg(), rel=1e-12)


def test_another_27_release_is_read_without_warning(tmp_path):
    document = json.loads((REFERENCE / "quickstart.json").read_text())
    document["efootprint_version"] = "27.4.2"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        upgraded = upgrade(document)
    assert upgraded.changes == [] and upgraded.document == document


def test_the_issue_19_file_reads(tmp_path):
    """The issue's example: a file from version 19 (job data_stored in plain megabytes) failed. The quickstart of
    efootprint 17 claiming 19 (units of 17 that 19 still wrote) reads to the same total."""
    document = _load("quickstart_v17.json")
    document["efootprint_version"] = "19.0.0"
    job = next(job for job in document["Job"].values() if job["name"] == "streaming")
    assert job["data_stored"]["unit"] == "megabyte"
    total = compute(_read(document, tmp_path)).total_footprint_kg()
    assert list(total.values())[0] == pytest.approx(TOTALS_KG["quickstart_v17.json"], rel=1e-6)


# --- errors name the version, the object and the attribute -------------------------------------------------------

def test_reader_errors_name_the_version(tmp_path):
    document = _load("quickstart_v9.json")
    document["Job"]["id-d8def6-streaming"]["data_stored"]["unit"] = "parsec"
    with pytest.raises(ModelError) as caught:
        _read(document, tmp_path)
    message = str(caught.value)
    assert message.startswith("Job 'id-d8def6-streaming': data_stored = '0.05 parsec")
    assert message.endswith("(in a file of efootprint 9.1.5, read as efootprint 27)")


def test_errors_name_the_attribute_as_the_file_names_it(tmp_path):
    document = _load("quickstart_v9.json")
    document["Hardware"]["id-191d51-Default-laptop"]["carbon_footprint_fabrication"]["value"] = -1
    with pytest.raises(ModelError) as caught:
        _read(document, tmp_path)
    assert "Device 'id-191d51-Default-laptop': carbon_footprint_manufacturing = '-1 kilogram'" in str(caught.value)
    assert str(caught.value).endswith("(in a file of efootprint 9.1.5, read as efootprint 27; Hardware "
                                      "'id-191d51-Default-laptop' in the file; 'carbon_footprint_fabrication' in "
                                      "the file)")
    document = _load("quickstart_v9.json")
    document["Server"]["id-8b512c-server"]["server_utilization_rate"]["value"] = 7
    with pytest.raises(ModelError) as caught:
        _read(document, tmp_path)
    assert "Server 'id-8b512c-server': utilization_rate = '7 dimensionless'" in str(caught.value)
    assert str(caught.value).endswith("(in a file of efootprint 9.1.5, read as efootprint 27; "
                                      "'server_utilization_rate' in the file)")


@pytest.mark.parametrize("attribute, expected", [
    # the reader finds it missing: named as the file's version names it
    ("carbon_footprint_fabrication", "carbon_footprint_manufacturing = None: expected a value (in a file of "
                                     "efootprint 10.1.15, read as efootprint 27; 'carbon_footprint_fabrication' in "
                                     "files of efootprint 10)"),
    # a step finds it missing: the step is named
    ("server_utilization_rate", "server_utilization_rate = None: expected 'server_utilization_rate' (renamed "
                                "'utilization_rate' from efootprint 11 on) (in a file of efootprint 10.1.15, "
                                "upgrading it from 10 to 11)")])
def test_a_missing_attribute(attribute, expected, tmp_path):
    document = _load("quickstart_v10.json")
    server_id = next(iter(document["Server"]))
    del document["Server"][server_id][attribute]
    with pytest.raises(ModelError) as caught:
        _read(document, tmp_path)
    assert str(caught.value) == f"Server {server_id!r}: {expected}"
