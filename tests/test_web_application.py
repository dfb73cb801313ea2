"""The seeds' WebApplication / WebApplicationJob (efootprint 9 to 15; ../shared/spec/web_application.md):
- the API's needs equal efootprint 15.0.1's (../shared/spec/web_application_reference.csv) for every
  (technology, implementation_details) pair, and so do the server's steady hourly needs;
- a system with WebApplications gives parity with efootprint 27 computing the equivalent plain jobs (built
  from the reference JSON and the spec's numbers, not from our writer), and our efootprint 27 JSON of it,
  read by efootprint 27, gives our numbers;
- bad input gets a clear error.

efootprint runs in subprocesses (efootprint_dump switches efootprint to name-based ids process-wide)."""
import copy
import csv
import json
import subprocess
import sys
from datetime import datetime

import polars as pl
import pytest

from conftest import REFERENCE, SHARED, parity
from efp_tables.builders.api import (Countries, Device, Network, Server, Storage, System, UsageJourney,
                                     UsageJourneyStep, UsagePattern, VideoStreaming, WebApplication,
                                     WebApplicationJob)
from efp_tables.builders.time_series import linear_growth_hourly_values
from efp_tables.errors import ModelError
from efp_tables.outputs.explain import explain, user_inputs
from efp_tables.quickstart import quickstart_system
from efp_tables.tables.model import Model
from efp_tables.units import Quantity

SPEC = SHARED / "spec"
_DUMP = ("import sys; sys.path.insert(0, sys.argv[1]); import efootprint_dump; "
         "efootprint_dump.dump(sys.argv[2], sys.argv[3])")


def reference_rows() -> list[dict]:
    """efootprint 15.0.1's rows at its only request duration, 1 s (the other durations were obtained by
    patching a module constant; compute_needed and ram_needed are the same at all three)."""
    with open(SPEC / "web_application_reference.csv", newline="") as handle:
        return [row for row in csv.DictReader(handle) if float(row["request_duration_s"]) == 1.0]


REFERENCE_ROWS = reference_rows()


def needs_of(technology: str, implementation_details: str) -> tuple[float, float]:
    """(cpu_core, MB_ram) per request of efootprint 15.0.1, from the spec's reference table."""
    row = next(r for r in REFERENCE_ROWS
               if (r["technology"], r["implementation_details"]) == (technology, implementation_details))
    return float(row["compute_needed_cpu_core"]), float(row["ram_needed_MB"])


def plain_server(name: str = "server") -> Server:
    # The reference's server: efootprint's defaults with no base consumption.
    return Server.from_defaults(name, base_ram_consumption="0 GB_ram", base_compute_consumption="0 cpu_core",
                                storage=Storage.ssd(f"{name} SSD"))


def test_the_reference_covers_every_allowed_pair():
    technologies = WebApplication.list_values()["technology"]
    details = WebApplicationJob.list_values()["implementation_details"]
    assert technologies == ["go-pgx", "jvm-kotlin-spring", "node-express-sequelize", "php-symfony", "rust-actix-sqlx"]
    assert details == ["aggregation-code-side", "default", "mysql", "no-index", "no-pagination", "orm-loop"]
    assert sorted((r["technology"], r["implementation_details"]) for r in REFERENCE_ROWS) == sorted(
        (t, d) for t in technologies for d in details)
    by_technology = WebApplicationJob.conditional_list_values()["implementation_details"]
    assert by_technology["depends_on"] == "service.technology"
    assert by_technology["conditional_list_values"]["rust-actix-sqlx"] == [
        "aggregation-code-side", "default", "no-index", "no-pagination", "orm-loop"]
    assert all(values == details for t, values in by_technology["conditional_list_values"].items()
               if t != "rust-actix-sqlx")


@pytest.mark.parametrize("row", REFERENCE_ROWS, ids=lambda r: f"{r['technology']}/{r['implementation_details']}")
def test_job_needs_equal_efootprint_15(row):
    service = WebApplication("Web app", server=plain_server(), technology=row["technology"])
    if row["error"]:  # the benchmark has no run of this pair: efootprint 15 raised a bare StopIteration
        with pytest.raises(ModelError, match=r"WebApplicationJob 'job': implementation_details = 'mysql': expected "
                                             r"one of \[.*\] when service.technology is 'rust-actix-sqlx'"):
            WebApplicationJob.from_defaults("job", service=service,
                                            implementation_details=row["implementation_details"])
        return
    job = WebApplicationJob.from_defaults("job", service=service, implementation_details=row["implementation_details"])
    # Readable as soon as the job is built, exactly efootprint 15's floats.
    assert job.compute_needed == Quantity(float(row["compute_needed_cpu_core"]), "cpu_core")
    assert job.compute_needed.magnitude == float(row["compute_needed_cpu_core"])
    assert job.ram_needed.to("megabyte_ram").magnitude == float(row["ram_needed_MB"])
    assert job.request_duration == Quantity(1, "second")
    assert job.data_transferred == "2.2 megabyte" and job.data_stored == "100 kilobyte_stored"


def test_server_steady_hourly_needs_equal_efootprint_15():
    """Every pair at once, each job on a server of its own (reference set-up: one 1-minute step, 3600 journey
    starts per hour for a day, laptop, wifi, France): in a steady hour one request is in progress, so the
    server needs the job's compute and RAM, and the service occupies nothing."""
    jobs = []
    for row in REFERENCE_ROWS:
        if row["error"]:
            continue
        name = f"{row['technology']} {row['implementation_details']}"
        service = WebApplication(f"{name} app", server=plain_server(f"{name} server"), technology=row["technology"])
        jobs.append(WebApplicationJob.from_defaults(f"{name} job", service=service,
                                                    implementation_details=row["implementation_details"]))
    step = UsageJourneyStep("1 min step", user_time_spent="1 min", jobs=jobs)
    pattern = UsagePattern("pattern", hourly_occurrences=linear_growth_hourly_values("1 day", 3600, 3600,
                                                                                     datetime(2025, 1, 1)),
                           usage_journeys=[UsageJourney("journey", uj_steps=[step])], devices=[Device.laptop()],
                           network=Network.wifi_network(), country=Countries.FRANCE())
    long = System("System", usage_patterns=[pattern]).compute().long()
    steady = long.filter(pl.col("hour") == datetime(2025, 1, 1, 5))  # UTC hour 5: inside the day in any case
    checked = 0
    for row in REFERENCE_ROWS:
        if row["error"]:
            continue
        server = f"{row['technology']}-{row['implementation_details']}-server"
        values = dict(steady.filter(pl.col("object_id") == server).select("attribute", "value").iter_rows())
        # efootprint's hourly series are float32
        assert values["hour_by_hour_compute_need"] == pytest.approx(
            float(row["steady_hour_server_compute_need_cpu_core"]), rel=1e-6)
        assert values["hour_by_hour_ram_need"] == pytest.approx(
            float(row["steady_hour_server_ram_need_GB_ram"]), rel=1e-6)
        scalars = dict(long.filter((pl.col("object_id") == server) & (pl.col("kind") == "scalar"))
                       .select("attribute", "value").iter_rows())
        assert scalars["occupied_ram_per_instance"] == float(row["server_occupied_ram_per_instance_GB_ram"]) == 0
        assert scalars["occupied_compute_per_instance"] == 0
        checked += 1
    assert checked == 29


# --- parity with efootprint 27 computing the equivalent plain jobs ---------------------------------------------

WEB_JOBS = [  # (job name, step index, service, technology, implementation details, data_transferred, data_stored)
    ("fetching web view", 0, "Web app", "php-symfony", "default", None, None),
    ("catalogue page", 1, "Catalogue API", "go-pgx", "orm-loop", "1 MB", "0 kB_stored"),
]


def system_with_web_applications() -> System:
    """The seeds' quickstart plus two WebApplications on its server, each with a job in one of its steps."""
    system = quickstart_system()
    steps = system.usage_patterns[0].usage_journeys[0].uj_steps
    server = steps[0].jobs[0].server
    services = {}
    for name, step, service, technology, details, transferred, stored in WEB_JOBS:
        if service not in services:
            services[service] = WebApplication(service, server=server, technology=technology)
        sizes = {k: v for k, v in (("data_transferred", transferred), ("data_stored", stored)) if v is not None}
        steps[step].jobs.append(WebApplicationJob.from_defaults(name, service=services[service],
                                                                implementation_details=details, **sizes))
    return system


def plain_job_document() -> dict:
    """quickstart.json with each web job as the plain efootprint 27 Job the spec gives (section 6.2): the
    service's server, 1 s, the spec's ecobenchmark needs (cpu_core, MB_ram)."""
    document = json.loads((REFERENCE / "quickstart.json").read_text())
    step_ids = list(document["UsageJourneyStep"])
    for name, step, _, technology, details, transferred, stored in WEB_JOBS:
        job_id = name.replace(" ", "-")
        compute, ram = needs_of(technology, details)
        job = copy.deepcopy(document["Job"]["video-upload"])
        job.update(name=name, id=job_id, server="server")
        for attribute, (value, unit) in {
                "data_transferred": (float(transferred.split()[0]) if transferred else 2.2, "megabyte"),
                "data_stored": (0.0 if stored else 100.0, "kilobyte_stored"),
                "request_duration": (1.0, "second"), "compute_needed": (compute, "cpu_core"),
                "ram_needed": (ram, "megabyte_ram")}.items():
            job[attribute] = {**job[attribute], "value": value, "unit": unit}
        document["Job"][job_id] = job
        jobs = document["UsageJourneyStep"][step_ids[step]]["jobs"]
        jobs[job_id] = copy.deepcopy(next(iter(jobs.values())))
    return document


def efootprint_results(model_path, out_path) -> pl.DataFrame:
    run = subprocess.run([sys.executable, "-c", _DUMP, str(SHARED / "tools"), str(model_path), str(out_path)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    return pl.read_parquet(out_path)


def assert_parity(ours: pl.DataFrame, reference: pl.DataFrame, capsys) -> str:
    ok = parity().compare(ours, reference, 20)
    report = capsys.readouterr().out
    print(report)
    summary = report.strip().splitlines()[-1]
    assert ok, report
    assert summary.startswith("parity: OK") and "required missing 0/" in summary and "mismatched 0)" in summary
    return summary


@pytest.fixture(scope="module")
def web_system():
    system = system_with_web_applications()
    system.compute()
    return system


def test_parity_with_efootprint_plain_jobs(web_system, tmp_path, capsys):
    path = tmp_path / "plain_jobs.json"
    path.write_text(json.dumps(plain_job_document()))
    reference = efootprint_results(path, tmp_path / "plain_jobs.parquet")
    ours = web_system.results_long().drop("system_id")
    # The web jobs take part: their series are in the reference and are compared.
    for job_id in ("fetching-web-view", "catalogue-page"):
        assert reference.filter((pl.col("object_id") == job_id)
                                & (pl.col("attribute") == "hourly_occurrences_per_usage_pattern")).height > 0
    capsys.readouterr()
    assert_parity(ours, reference, capsys)
    total = ours.filter(pl.col("attribute") == "total_footprint")["value"].sum()
    without = quickstart_system().compute().long().filter(pl.col("attribute") == "total_footprint")["value"].sum()
    assert total > without  # the web jobs add network, storage and server footprint


def test_json_export_is_the_plain_jobs_and_efootprint_reads_our_numbers(web_system, tmp_path, capsys):
    path = web_system.to_json(tmp_path / "web.json")
    document = json.loads(path.read_text())
    assert "WebApplication" not in document and "WebApplicationJob" not in document
    job = document["Job"]["catalogue-page"]
    assert job["server"] == "server"
    compute, ram = needs_of("go-pgx", "orm-loop")
    # The writer picks a readable unit for each value: the last bit may change on the way.
    assert Quantity(job["compute_needed"]["value"], job["compute_needed"]["unit"]).to("cpu_core").magnitude == \
        pytest.approx(compute, rel=1e-15)
    assert Quantity(job["ram_needed"]["value"], job["ram_needed"]["unit"]).to("megabyte_ram").magnitude == \
        pytest.approx(ram, rel=1e-15)
    assert Quantity(job["request_duration"]["value"], job["request_duration"]["unit"]).to("s").magnitude == \
        pytest.approx(1.0, rel=1e-15)
    reference = efootprint_results(path, tmp_path / "web.parquet")
    capsys.readouterr()
    assert_parity(web_system.results_long().drop("system_id"), reference, capsys)


def test_objects_show_the_needs_and_the_service_volumes(web_system):
    job = next(j for step in web_system.usage_patterns[0].usage_journeys[0].uj_steps for j in step.jobs
               if j.name == "catalogue page")
    compute, ram = needs_of("go-pgx", "orm-loop")
    assert job.compute_needed.magnitude == compute and job.ram_needed.to("MB_ram").magnitude == ram
    assert job.hourly_avg_occurrences_across_usage_patterns.sum().magnitude > 0
    assert "compute_needed: " in repr(job) and "implementation_details: orm-loop" in repr(job)
    server = job.service.server
    # efootprint 27's Service base: the server counts each service's jobs in progress (for attribution).
    volumes = server.service_total_job_volumes
    assert set(volumes) == {"Video-streaming-service", "Web-app", "Catalogue-API"}
    assert volumes["Catalogue-API"].values == pytest.approx(job.hourly_avg_occurrences_across_usage_patterns.values)


def test_changing_the_implementation_recomputes_the_server(web_system):
    system = system_with_web_applications()
    system.compute()
    job = next(j for step in system.usage_patterns[0].usage_journeys[0].uj_steps for j in step.jobs
               if j.name == "fetching web view")
    server = job.service.server
    before = server.hour_by_hour_compute_need.sum().magnitude
    in_progress = job.hourly_avg_occurrences_across_usage_patterns.sum().magnitude
    job.implementation_details = "orm-loop"
    old, new = needs_of("php-symfony", "default")[0], needs_of("php-symfony", "orm-loop")[0]
    assert job.compute_needed.magnitude == new
    assert server.hour_by_hour_compute_need.sum().magnitude == pytest.approx(before + in_progress * (new - old),
                                                                             rel=1e-9)
    assert system.changes()["attribute"].to_list() == ["implementation_details"]


def test_explain_says_where_the_needs_come_from(web_system):
    lineage = explain(web_system.model(), web_system.results, "catalogue-page", "compute_needed")
    root = lineage.row(0, named=True)
    assert root["kind"] == "calculated" and "ecobenchmark" in root["formula"]
    assert root["value"] == needs_of("go-pgx", "orm-loop")[0]
    assert user_inputs(lineage) == {("Catalogue-API", "technology"), ("catalogue-page", "implementation_details")}
    # A server's need reaches them too.
    server = explain(web_system.model(), web_system.results, "server", "hour_by_hour_compute_need")
    assert {("Web-app", "technology"), ("fetching-web-view", "implementation_details")} <= user_inputs(server)


# --- bad input -------------------------------------------------------------------------------------------------

def test_unknown_technology_names_close_matches():
    with pytest.raises(ModelError, match=r"^WebApplication 'Web-app': technology = 'php-symphony': expected one of "
                                         r"\['go-pgx', .*'rust-actix-sqlx'\] \(close matches: \['php-symfony'\]\)$"):
        WebApplication("Web app", server=plain_server(), technology="php-symphony")
    service = WebApplication("Web app", server=plain_server(), technology="php-symfony")
    with pytest.raises(ModelError, match=r"technology = 'Rust': expected one of \[.*\]$"):
        service.technology = "Rust"  # no close match: the list only
    assert service.technology == "php-symfony"


def test_unknown_implementation_names_close_matches():
    service = WebApplication("Web app", server=plain_server(), technology="php-symfony")
    with pytest.raises(ModelError, match=r"^WebApplicationJob 'job': implementation_details = 'orm_loop': expected "
                                         r"one of \['aggregation-code-side', 'default', 'mysql', 'no-index', "
                                         r"'no-pagination', 'orm-loop'\] \(close matches: \['orm-loop'\]\)$"):
        WebApplicationJob.from_defaults("job", service=service, implementation_details="orm_loop")


def test_a_technology_change_that_leaves_a_job_without_benchmark_row_is_caught():
    service = WebApplication("Web app", server=plain_server(), technology="php-symfony")
    job = WebApplicationJob.from_defaults("job", service=service, implementation_details="mysql")
    service.technology = "rust-actix-sqlx"  # the service does not know its jobs: the job says it when read
    with pytest.raises(ModelError, match=r"WebApplicationJob 'job': implementation_details = 'mysql': expected one "
                                         r"of .* when service.technology is 'rust-actix-sqlx'"):
        job.compute_needed


def test_web_application_links_are_checked():
    server = plain_server()
    video = VideoStreaming.from_defaults("video", server=server)
    with pytest.raises(ModelError, match=r"WebApplicationJob 'job': service = .*expected a WebApplication"):
        WebApplicationJob.from_defaults("job", service=video)
    with pytest.raises(ModelError, match=r"WebApplication 'app': server = None: expected a value"):
        WebApplication("app", technology="go-pgx")
    with pytest.raises(ModelError, match=r"WebApplicationJob 'job': request_duration = .*expected one of the "
                                         r"attributes \['data_stored', 'data_transferred', 'implementation_details', "
                                         r"'service'\]"):
        WebApplicationJob("job", service=WebApplication("app", server=server, technology="go-pgx"),
                          data_transferred="1 MB", data_stored="1 kB_stored", implementation_details="default",
                          request_duration="2 s")


def web_system_model() -> Model:
    return system_with_web_applications().model()


def rows_of(model: Model) -> tuple[dict, dict]:
    rows = {name: frame.to_dicts() for name, frame in model.items() if name != "hourly_occurrences"}
    return rows, {"hourly_occurrences": model.hourly_occurrences}


def test_model_rules_of_web_applications():
    model = web_system_model()
    rows, frames = rows_of(model)
    rows["servers"].append({**rows["servers"][0], "server_id": "other", "name": "other", "storage_id": None})
    next(r for r in rows["jobs"] if r["job_id"] == "catalogue-page")["server_id"] = "other"
    with pytest.raises(ModelError, match=r"^WebApplicationJob 'catalogue-page': server = 'other': expected the "
                                         r"server of its WebApplication 'Catalogue-API', 'server'$"):
        Model.from_rows(rows, frames)

    rows, frames = rows_of(model)
    next(r for r in rows["services"] if r["service_id"] == "Catalogue-API")["technology"] = None
    with pytest.raises(ModelError, match=r"^WebApplication 'Catalogue-API': technology = None: expected a value$"):
        Model.from_rows(rows, frames)

    rows, frames = rows_of(model)
    next(r for r in rows["services"] if r["service_id"] == "Video-streaming-service")["bits_per_pixel"] = None
    with pytest.raises(ModelError, match=r"^VideoStreaming 'Video-streaming-service': bits_per_pixel = None: "
                                         r"expected a value \(in bit\)$"):
        Model.from_rows(rows, frames)

    rows, frames = rows_of(model)
    next(r for r in rows["jobs"] if r["job_id"] == "catalogue-page")["service_id"] = "Video-streaming-service"
    with pytest.raises(ModelError, match=r"^WebApplicationJob 'catalogue-page': service = 'Video-streaming-service': "
                                         r"expected a WebApplication$"):
        Model.from_rows(rows, frames)
