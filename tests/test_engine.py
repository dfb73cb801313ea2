"""`on_one_core`: Polars' workers and the caller on the caller's core during a computation, every thread as it was
after it."""
import os
import threading

import polars as pl
import pytest

from efp_tables import engine
from efp_tables.compute import compute
from efp_tables.engine import on_one_core
from efp_tables.io.efootprint_json import read_model
from conftest import REFERENCE

QUICKSTART = REFERENCE / "quickstart.json"

pytestmark = pytest.mark.skipif(not engine._PINNABLE, reason="thread affinity is Linux's (sched_setaffinity)")


@pytest.fixture(autouse=True)
def started_pool(monkeypatch):
    monkeypatch.delenv("EFP_ONE_CORE", raising=False)
    pl.DataFrame({"a": [1, 2]}).lazy().filter(pl.col("a") > 1).collect()  # Polars' worker threads running
    assert engine._worker_threads(), "Polars' worker threads are found by name"


def affinities() -> dict[int, set[int]]:
    return {thread: os.sched_getaffinity(thread) for thread in engine._threads()}


def as_before(before: dict[int, set[int]]) -> bool:
    """Every thread still running has the affinity it had (others, of earlier tests, may come and go)."""
    now = affinities()
    return all(now[thread] == mask for thread, mask in before.items() if thread in now)


def test_the_workers_and_the_caller_share_its_core_then_go_back():
    before = affinities()
    me, workers = threading.get_native_id(), engine._worker_threads()
    with on_one_core():
        core = engine._current_core()
        assert {thread: os.sched_getaffinity(thread) for thread in (me, *workers)} == {
            thread: {core} for thread in (me, *workers)}
        with on_one_core():  # nested: the same pinning, not undone at its end
            pass
        assert os.sched_getaffinity(workers[0]) == {core}
        others = [thread for thread in before if thread not in (me, *workers)]
        assert all(os.sched_getaffinity(thread) == before[thread] for thread in others)  # tokio, jemalloc...
    assert as_before(before)


def test_a_thread_started_meanwhile_does_not_keep_the_one_core():
    before = os.sched_getaffinity(0)
    started = {}
    release = threading.Event()

    def waiting():
        started["id"] = threading.get_native_id()
        release.wait(10)

    with on_one_core():
        thread = threading.Thread(target=waiting)
        thread.start()
        while "id" not in started:
            pass
        assert os.sched_getaffinity(started["id"]) == {engine._current_core()}  # inherited from its starter
    assert os.sched_getaffinity(started["id"]) == before
    release.set()
    thread.join()


def test_another_threads_computation_meanwhile_runs_as_usual():
    seen, go = {}, threading.Event()

    def other():
        go.wait(10)
        before = os.sched_getaffinity(0)
        with on_one_core():
            seen["during"] = os.sched_getaffinity(0)
        seen["before"], seen["after"] = before, os.sched_getaffinity(0)

    thread = threading.Thread(target=other)
    thread.start()  # before the block: it does not inherit the one core
    before = affinities()
    with on_one_core():
        go.set()
        thread.join()
        assert engine._pinning is not None and engine._pinning.caller == threading.get_native_id()
    assert seen["during"] == seen["before"] == seen["after"]  # not pinned, and its end undid nothing of ours
    assert as_before(before)


def test_efp_one_core_0_leaves_the_threads_alone(monkeypatch):
    monkeypatch.setenv("EFP_ONE_CORE", "0")
    before = affinities()
    with on_one_core():
        assert as_before(before)
    assert engine._pinning is None


def test_a_computation_gives_the_same_bits_pinned_or_not(monkeypatch):
    model = read_model(QUICKSTART)
    before = affinities()
    pinned = compute(model).hourly("total_footprint")
    assert as_before(before)
    monkeypatch.setenv("EFP_ONE_CORE", "0")
    spread = compute(model).hourly("total_footprint")
    assert pinned.keys.equals(spread.keys) and (pinned.blocks["value"] == spread.blocks["value"]).all()
    assert pinned.blocks["value"].sum() == pytest.approx(11_374_526, rel=1e-6)  # kg, as efootprint


def test_a_block_within_a_block_follows_the_outer_one():
    before = affinities()
    with on_one_core(False):
        with on_one_core():
            assert as_before(before)
    assert engine._pinning is None


def test_a_large_computation_leaves_the_threads_free(monkeypatch):
    """A model past ONE_CORE_ROWS hourly input rows (a portfolio) computes with Polars' threads free: never
    pinned, whether computed, validated or read stage by stage; a small one pins once per computation."""
    model = read_model(QUICKSTART)
    pinned = []
    pin = engine._pin
    monkeypatch.setattr(engine, "_pin", lambda caller: pinned.append(caller) or pin(caller))
    compute(model).frame("attribution")  # computed, then a stage read on its own (not among the totals)
    assert len(pinned) == 2
    pinned.clear()
    monkeypatch.setattr(engine, "ONE_CORE_ROWS", model.hourly_rows - 1)
    monkeypatch.setattr("efp_tables.compute.ONE_CORE_ROWS", model.hourly_rows - 1)
    compute(model.validated()).frame("attribution")
    assert pinned == []
