"""Sweeps and portfolios on a Dask cluster of 2 local worker processes: the same rows as computed locally, and a
worker killed mid-sweep costs a rerun of its partitions, never a lost or doubled variant or a partial file."""
import json
import os
import signal
import threading
import time
from pathlib import Path

import distributed
import polars as pl
import pytest

from efp_tables.cli import main
from efp_tables.compute import compute
from efp_tables.distributed import partition_bounds, portfolio_on_dask, read_sweep, sweep_on_dask
from efp_tables.errors import ModelError
from efp_tables.io.efootprint_json import read_model, read_models
from efp_tables.sweeps import sweep

from conftest import REFERENCE
from sweep_grids import QUICKSTART_GRID



@pytest.fixture(scope="module")
def model():
    return read_model(REFERENCE / "quickstart.json")


@pytest.fixture(scope="module")
def local(model):
    return sweep(model, QUICKSTART_GRID)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


def assert_same_sweep(got: pl.DataFrame, expected: pl.DataFrame):
    assert got.columns == expected.columns
    assert got["variant"].to_list() == list(range(expected.height))  # every variant exactly once
    for column in expected.columns:
        if expected[column].dtype.is_float():
            difference = (got[column] - expected[column]).abs()
            # Exactly equal where the total is 0 (a category the model has none of: edge devices, say).
            assert ((difference <= 1e-12 * expected[column].abs()) | (difference == 0)).all(), column
        else:
            assert got[column].equals(expected[column]), column


def no_leftovers(out: Path):
    hidden = [p for p in out.rglob(".*")]
    assert hidden == [], hidden


def test_distributed_sweep_equals_local(model, local, client, tmp_path):
    summaries = sweep_on_dask(model, QUICKSTART_GRID, tmp_path, client=client, partition_size=125)
    assert [(s.start, s.stop) for s in summaries] == partition_bounds(1000, 125)
    assert len({s.worker for s in summaries}) == 2  # both workers took part
    files = sorted(p.name for p in (tmp_path / "sweep.parquet").iterdir())
    assert files == sorted(s.file for s in summaries)
    assert_same_sweep(read_sweep(tmp_path), local)
    assert max(s.max_total_kg for s in summaries) == pytest.approx(local["total_footprint_kg"].max(), rel=1e-12)
    no_leftovers(tmp_path)


def test_killed_worker_partitions_rerun(model, local, client, tmp_path):
    result: dict = {}

    def run():
        try:
            result["summaries"] = sweep_on_dask(model, QUICKSTART_GRID, tmp_path, client=client, partition_size=50)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            result["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    # Wait until a worker is busy with a sweep partition, then kill its process (its nanny starts a new one).
    victim, busy, deadline = None, [], time.monotonic() + 120
    while victim is None and time.monotonic() < deadline:
        for address, keys in client.processing().items():
            busy = [k for k in keys if str(k).startswith("efp-sweep-")]
            if busy:
                victim = address
                break
        time.sleep(0.02)
    assert victim is not None, "no partition ever ran"
    killed_pid = client.run(os.getpid, workers=[victim])[victim]
    os.kill(killed_pid, signal.SIGKILL)
    thread.join(timeout=600)
    assert "error" not in result, result.get("error")
    summaries = result["summaries"]
    # The partitions the killed worker held ran again elsewhere (a task cannot report from a dead process).
    starts = {int(str(k).rsplit("-", 1)[1]) for k in busy}
    rerun = [s for s in summaries if s.start in starts and not s.worker.endswith(f":{killed_pid}")]
    assert rerun, f"none of the partitions {sorted(starts)} of the killed worker {killed_pid} was rerun"
    assert_same_sweep(read_sweep(tmp_path), local)
    assert len(list((tmp_path / "sweep.parquet").iterdir())) == len(partition_bounds(1000, 50))
    no_leftovers(tmp_path)


def test_bad_input_fails_before_the_cluster_is_used(model, tmp_path):
    with pytest.raises(ModelError, match="no-such-object"):
        sweep_on_dask(model, {"no-such-object.lifespan": ["1 year"]}, tmp_path, client=object())
    with pytest.raises(ModelError, match="partition_size"):
        sweep_on_dask(model, QUICKSTART_GRID, tmp_path, client=object(), partition_size=0)
    with pytest.raises(ModelError, match="workers"):
        sweep_on_dask(model, QUICKSTART_GRID, tmp_path, workers=0)
    assert list(tmp_path.iterdir()) == []


def test_cli_and_api_engines(model, local, client, tmp_path, capsys):
    grid = tmp_path / "grid.json"
    grid.write_text(json.dumps(QUICKSTART_GRID))
    address = client.scheduler.address
    out = tmp_path / "out"
    assert main(["sweep", str(REFERENCE / "quickstart.json"), "--grid", str(grid), "--out", str(out),
                 "--engine", "dask", "--address", address, "--partition-size", "400"]) == 0
    assert "3 partitions" in capsys.readouterr().out
    assert_same_sweep(read_sweep(out), local)
    assert_same_sweep(sweep(model, QUICKSTART_GRID, engine="dask", address=address), local)
    for flags, message in ((["--engine", "ray"], "Dask, not Ray"), (["--engine", "spark"], "one of local, dask"),
                           (["--engine", "dask", "--hourly"], "--hourly")):
        assert main(["sweep", str(REFERENCE / "quickstart.json"), "--grid", str(grid), "--out",
                     str(tmp_path / "bad"), *flags]) == 2
        assert message in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


def test_portfolio_on_dask_equals_the_local_portfolio(client, tmp_path, capsys):
    paths = [REFERENCE / "quickstart.json", REFERENCE / "ml_workflow.json"]
    model = read_models(paths, ["quickstart", "ml_workflow"])
    local = compute(model)
    expected = local.long()
    address = client.scheduler.address
    assert main(["compute", *map(str, paths), "--out", str(tmp_path), "--engine", "dask", "--address", address,
                 "--partition-size", "1"]) == 0
    assert "2 parts, " in capsys.readouterr().out
    got = pl.read_parquet(str(tmp_path / "results.parquet" / "*.parquet"))
    keys = ["system_id", "object_id", "attribute", "key_id", "hour"]
    got, expected = got.sort(keys, nulls_last=True), expected.sort(keys, nulls_last=True)
    assert got.drop("value").equals(expected.drop("value"))
    relative = ((got["value"] - expected["value"]).abs() / expected["value"].abs()).max()
    assert relative <= 1e-12
    no_leftovers(tmp_path)
    summaries = portfolio_on_dask(paths, tmp_path / "again", client=client)
    totals = {k: v for s in summaries for k, v in s.totals_kg.items()}
    assert totals == pytest.approx(local.total_footprint_kg(), rel=1e-12)


def test_a_bad_model_in_a_portfolio_leaves_nothing(client, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"System": ')
    with pytest.raises(ModelError, match="broken.json"):
        portfolio_on_dask([REFERENCE / "quickstart.json", broken], tmp_path / "out", client=client,
                          partition_size=1)
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []
    with pytest.raises(ModelError, match="different names"):
        portfolio_on_dask([REFERENCE / "quickstart.json", REFERENCE / "quickstart.json"], tmp_path / "out",
                          client=object())
