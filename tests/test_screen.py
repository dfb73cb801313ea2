"""The screen that spares valid tables their check queries (`model._Screen`) restates every value and link check
in its own terms. It may doubt a valid table, never pass a broken one: for every check of every table of the
reference models, a one-value change (or a duplicated row) that breaks it is found, and the screen must doubt
the changed table. A check whose breaking values (among CANDIDATES) the screen lets through fails here."""
import dataclasses
import math

import polars as pl
import pytest

from conftest import REFERENCE
from efp_tables.io.efootprint_json import read_model, read_models
from efp_tables.tables import model as m
from efp_tables.tables import schema as s
from efp_tables.tables.runs import run_starts

# Values that break some check of some column: null, non-finite, out of bounds or magnitudes, unknown ids or
# values. A value that cannot be cast to a column's dtype is not tried there.
CANDIDATES = [None, math.nan, math.inf, -math.inf, -1e300, -1.0, -1, 0, 0.0, 1e-20, 1e20, 1e300, 10**12, -10**12,
              "no-such-id", "Not-a-value"]


def _broken(frame: pl.DataFrame, check: m._Check, is_unique_key: bool) -> list[pl.DataFrame]:
    """Changes of `frame` that make `check` fail on some row."""
    if is_unique_key:
        return [pl.concat([frame, frame.head(1)])]
    column = frame.get_column(check.column)
    changed = []
    for value in CANDIDATES:
        try:
            cell = pl.Series(check.column, [value]).cast(column.dtype, strict=True)
        except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError, TypeError, ValueError):
            continue
        if value is not None and cell.null_count():
            continue
        candidate = frame.with_columns(pl.concat([cell, column.slice(1)]))
        if candidate.select(check.fails.fill_null(False).any()).item():
            changed.append(candidate)
    return changed


@pytest.mark.parametrize("name", ["ecommerce", "edge_fleet", "genai_assistant", "quickstart_llm"])
def test_the_screen_doubts_every_table_that_a_check_fails(name):
    model = read_model(REFERENCE / f"{name}.json")
    screen_passed = 0
    for table in s.TABLES:
        frame = model.table(table.name)
        if not frame.height:
            continue
        table_checks = m._table_checks(table)
        checks = [*table_checks, *m._link_checks(model, [table])]
        for check in checks:
            changes = _broken(frame, check, check is table_checks[-1])
            assert changes, f"{table.name}.{check.column}: no value of CANDIDATES breaks the check '{check.expected}'"
            for changed in changes:
                broken = dataclasses.replace(model, **{table.name: changed})
                value = m.SERIES_VALUES.get(table.name)
                runs = m._series_runs(changed, value) if value else None
                assert not m._Screen(broken).passes(table, runs), (
                    f"{table.name}.{check.column}: the screen passes a table that breaks '{check.expected}'")
        screen_passed += m._Screen(model).passes(table, m._series_runs(frame, m.SERIES_VALUES[table.name])
                                                  if table.name in m.SERIES_VALUES else None)
    assert screen_passed == sum(1 for table in s.TABLES if model.table(table.name).height)  # valid: all screened


def _reference_files() -> list:
    return sorted(p for p in [*REFERENCE.glob("*.json"), *(REFERENCE / "old_versions").glob("*.json")]
                  if "comparison" not in p.name)


@pytest.mark.filterwarnings("ignore::efp_tables.io.json_upgrade.UpgradeWarning")  # old files read as efootprint 27 does
def test_the_readers_series_runs_are_those_found_on_the_rows(monkeypatch):
    """The reader tells validation where its series tables' runs start (it knows each series it read); those must
    be the starts tables.runs.run_starts finds on the rows, for every reference file, old version and a
    portfolio of them all."""
    told = []
    original = m.Model.validated

    def validated(model, series_run_starts=None):
        told.append((model, series_run_starts))
        return original(model, series_run_starts)

    monkeypatch.setattr(m.Model, "validated", validated)
    files = _reference_files()
    for path in files:
        read_model(path)
    read_models(files, [f"system-{i}" for i in range(len(files))])
    assert len(told) == len(files) + 1
    series_rows = 0
    for model, starts in told:
        assert set(starts) == set(m.SERIES_VALUES)
        for name in m.SERIES_VALUES:
            found = run_starts(model.table(name), list(m._KEY_COLUMNS))
            assert starts[name].tolist() == found.tolist(), name
            series_rows += model.table(name).height
    assert series_rows > 400_000
