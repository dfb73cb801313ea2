"""`efp compute` writes tables a BI tool reads directly: DuckDB opens every file, the numbers are efootprint's
(parity.py on the wide tables turned back into long rows), units are in the column names and the Arrow field
metadata, hours are UTC, and a failed write leaves the previous files."""
import datetime as dt
import json

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import REFERENCE, parity
from efp_tables.cli import main
from efp_tables.io import bi_tables, results_table

# What each pint unit must be called in a column name, stated here independently of the library's mapping.
SUFFIXES = {"kilogram": "kg", "kilowatt_hour": "kwh", "concurrent": "concurrent", "occurrence": "occurrence",
            "megabyte": "mb", "megabyte_stored": "mb_stored", "terabyte_stored": "tb_stored",
            "gigabyte_ram": "gb_ram", "cpu_core": "cpu_core", "gpu": "gpu"}
OBJECT_TABLES = ["usage_patterns", "usage_journeys", "usage_journey_steps", "jobs", "servers", "storages",
                 "networks", "devices", "systems"]
FILES = sorted(["results.parquet", "footprint_by_category.parquet", "footprint_by_category_hourly.parquet",
                "attribution.parquet", "objects.parquet",
                *(f"{table}_hourly.parquet" for table in OBJECT_TABLES)])
# Which efootprint attribute each (category, phase) of footprint_by_category sums, on which object class.
CATEGORY_SOURCES = {("Servers", "Manufacturing"): ("Server", "instances_manufacturing_footprint"),
                    ("Servers", "Use"): ("Server", "use_footprint"),
                    ("Storage", "Manufacturing"): ("Storage", "instances_manufacturing_footprint"),
                    ("Network", "Use"): ("Network", "use_footprint"),
                    ("Devices", "Manufacturing"): ("Device", "instances_manufacturing_footprint"),
                    ("Devices", "Use"): ("Device", "use_footprint")}


@pytest.fixture(scope="module")
def quickstart_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("quickstart")
    assert main(["compute", str(REFERENCE / "quickstart.json"), "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def portfolio_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("portfolio")
    paths = [REFERENCE / "quickstart.json", REFERENCE / "ml_workflow.json"]
    assert main(["compute", *map(str, paths), "--out", str(out)]) == 0
    return out


def sql(query: str) -> list[tuple]:
    return duckdb.connect().sql(query).fetchall()


def units_of(path) -> dict[str, str]:
    """{column: unit} from the Arrow field metadata of a Parquet file."""
    schema = pq.read_schema(path)
    return {field.name: field.metadata[b"unit"].decode() for field in schema
            if field.metadata and b"unit" in field.metadata}


def quantity_columns(path) -> list[str]:
    return [field.name for field in pq.read_schema(path) if pa.types.is_floating(field.type)]


def wide_as_long(path) -> pl.DataFrame:
    """An hourly wide table back as efootprint's long rows: attribute and unit from the column name and metadata."""
    wide = pl.read_parquet(path)
    rows = []
    for column, unit in units_of(path).items():
        attribute = column.removesuffix("_" + SUFFIXES[unit])
        rows.append(wide.filter(pl.col(column).is_not_null()).select(
            "system_id", "object_class", "object_id", "object_name", pl.lit(attribute).alias("attribute"), "key_id",
            pl.lit("hourly").alias("kind"), pl.lit(unit).alias("unit"),
            pl.col("hour_utc").dt.replace_time_zone(None).alias("hour"), pl.col(column).alias("value")))
    return pl.concat(rows)


def test_compute_writes_every_table_and_duckdb_reads_each(quickstart_out):
    assert sorted(path.name for path in quickstart_out.iterdir()) == FILES
    for name in FILES:
        path = quickstart_out / name
        (rows,), = sql(f"SELECT count(*) FROM read_parquet('{path}')")
        assert rows == pq.read_metadata(path).num_rows > 0, name
    # results.parquet as DuckDB reads it is still efootprint's long table
    long = duckdb.connect().sql(f"SELECT * FROM '{quickstart_out / 'results.parquet'}'").pl()
    assert parity().compare(long, pl.read_parquet(REFERENCE / "quickstart.results.parquet"))


def test_every_quantity_column_has_its_unit_in_metadata_and_name(quickstart_out, portfolio_out):
    seen = set()
    for out in (quickstart_out, portfolio_out):
        for name in FILES:
            if name == "results.parquet":
                continue
            path = out / name
            units = units_of(path)
            assert sorted(units) == sorted(quantity_columns(path)), name
            for column, unit in units.items():
                assert column.endswith("_" + SUFFIXES[unit]), (name, column, unit)
                seen.add(unit)
    assert seen == set(SUFFIXES)
    servers = units_of(portfolio_out / "servers_hourly.parquet")
    assert servers["instances_energy_kwh"] == "kilowatt_hour"
    assert servers["hour_by_hour_compute_need_gpu"] == "gpu"
    assert servers["hour_by_hour_compute_need_cpu_core"] == "cpu_core"
    assert units_of(quickstart_out / "storages_hourly.parquet")["full_cumulative_storage_need_tb_stored"] == \
        "terabyte_stored"
    assert units_of(quickstart_out / "footprint_by_category.parquet") == {"footprint_kg": "kilogram"}
    long = pq.read_schema(quickstart_out / "results.parquet")
    assert long.field("value").metadata[b"unit_column"] == b"unit"
    assert long.field("hour").metadata[b"timezone"] == b"UTC"


def test_hours_are_utc(quickstart_out):
    for name in FILES:
        path = quickstart_out / name
        schema = pq.read_schema(path)
        if "hour_utc" not in schema.names:
            continue
        assert schema.field("hour_utc").type == pa.timestamp("us", tz="UTC"), name
        (kind,), = sql(f"SELECT DISTINCT typeof(hour_utc) FROM '{path}'")
        assert kind == "TIMESTAMP WITH TIME ZONE", name
    # results.parquet's naive hours are the same instants, and efootprint's reference starts there too.
    (first_utc,), = sql(f"SELECT min(hour_utc) FROM '{quickstart_out / 'systems_hourly.parquet'}'")
    (first,), = sql(f"SELECT min(hour) FROM '{quickstart_out / 'results.parquet'}' "
                    "WHERE attribute = 'total_footprint'")
    reference = pl.read_parquet(REFERENCE / "quickstart.results.parquet")
    assert first_utc.astimezone(dt.UTC).replace(tzinfo=None) == first == reference.filter(
        pl.col("attribute") == "total_footprint")["hour"].min()


@pytest.mark.parametrize(("out", "reference"), [("quickstart_out", ["quickstart"]),
                                                ("portfolio_out", ["quickstart", "ml_workflow"])])
def test_hourly_tables_match_efootprint_by_parity(out, reference, request):
    """Every column of every hourly table, read back through its name and unit metadata, is efootprint's."""
    folder = request.getfixturevalue(out)
    ours = pl.concat([wide_as_long(folder / f"{table}_hourly.parquet") for table in OBJECT_TABLES])
    assert ours["attribute"].n_unique() >= 30
    # parity.py keys series by object id alone, and both models have a "Default-laptop": one system at a time
    for scenario in reference:
        ref = pl.read_parquet(REFERENCE / f"{scenario}.results.parquet").filter(pl.col("kind") == "hourly")
        mine = ours
        if len(reference) > 1:  # in a portfolio the System's id is its file's stem
            ref = ref.with_columns(pl.when(pl.col("object_class") == "System").then(pl.lit(scenario))
                                   .otherwise(pl.col("object_id")).alias("object_id"))
            mine = ours.filter(pl.col("system_id") == scenario)
        assert parity().compare(mine.drop("system_id"), ref), scenario


def test_wide_sums_equal_the_long_table_and_efootprint(quickstart_out):
    wide = quickstart_out / "servers_hourly.parquet"
    long = quickstart_out / "results.parquet"
    (energy_wide, hours), = sql(f"SELECT sum(instances_energy_kwh), count(instances_energy_kwh) FROM '{wide}' "
                                "WHERE object_id = 'server'")
    (energy_long, unit), = sql(f"SELECT sum(value), any_value(unit) FROM '{long}' "
                               "WHERE object_id = 'server' AND attribute = 'instances_energy'")
    reference = pl.read_parquet(REFERENCE / "quickstart.results.parquet").filter(
        (pl.col("object_id") == "server") & (pl.col("attribute") == "instances_energy"))
    assert unit == reference["unit"][0] == "kilowatt_hour" and hours == reference.height
    assert energy_wide == pytest.approx(energy_long, rel=1e-12)
    assert energy_wide == pytest.approx(reference["value"].sum(), rel=1e-6)


def test_category_totals_add_up_to_the_total_footprint(quickstart_out, portfolio_out):
    for out in (quickstart_out, portfolio_out):
        by_category = f"'{out / 'footprint_by_category.parquet'}'"
        totals = dict(sql(f"SELECT system_id, sum(footprint_kg) FROM {by_category} GROUP BY system_id"))
        system = f"'{out / 'systems_hourly.parquet'}'"
        expected = dict(sql(f"SELECT system_id, sum(total_footprint_kg) FROM {system} GROUP BY system_id"))
        assert len(totals) == (2 if out == portfolio_out else 1)
        assert totals == pytest.approx(expected, rel=1e-12)
        # hour by hour too
        hourly = f"'{out / 'footprint_by_category_hourly.parquet'}'"
        (worst, peak, hours), = sql(
            f"SELECT max(abs(c.kg - s.total_footprint_kg)), max(s.total_footprint_kg), count(*) FROM {system} s "
            f"JOIN (SELECT system_id, hour_utc, sum(footprint_kg) AS kg FROM {hourly} GROUP BY ALL) c "
            "USING (system_id, hour_utc)")
        assert hours == sql(f"SELECT count(*) FROM {system}")[0][0] and worst <= 1e-12 * peak


def test_category_totals_are_efootprints(quickstart_out):
    path = quickstart_out / "footprint_by_category.parquet"
    ours = {(category, phase): kg for category, phase, kg in sql(
        f"SELECT category, phase, sum(footprint_kg) FROM '{path}' GROUP BY ALL")}
    reference = pl.read_parquet(REFERENCE / "quickstart.results.parquet")
    assert set(ours) == set(CATEGORY_SOURCES)
    for key, (object_class, attribute) in CATEGORY_SOURCES.items():
        expected = reference.filter((pl.col("object_class") == object_class) & (pl.col("attribute") == attribute))
        assert expected["unit"].unique().to_list() == ["kilogram"]
        assert ours[key] == pytest.approx(expected["value"].sum(), rel=1e-6), key
    (total,), = sql(f"SELECT sum(footprint_kg) FROM '{path}'")
    assert total == pytest.approx(reference.filter(pl.col("attribute") == "total_footprint")["value"].sum(),
                                  rel=1e-6)
    names = dict(sql(f"SELECT object_id, any_value(object_name) FROM '{path}' GROUP BY ALL"))
    assert names["server"] == "server" and names["SSD-storage"] == "SSD storage"


def test_portfolio_tables_carry_system_id(portfolio_out):
    for name in FILES:
        systems = sql(f"SELECT DISTINCT system_id FROM '{portfolio_out / name}' ORDER BY 1")
        assert systems == [("ml_workflow",), ("quickstart",)], name
    servers = f"'{portfolio_out / 'servers_hourly.parquet'}'"
    compute_units = sql(f"SELECT object_class, count(hour_by_hour_compute_need_cpu_core) > 0, "
                        f"count(hour_by_hour_compute_need_gpu) > 0 FROM {servers} GROUP BY ALL ORDER BY 1")
    assert compute_units == [("GPUServer", False, True), ("Server", True, False)]


def test_failed_write_leaves_the_previous_files(tmp_path, monkeypatch, capsys):
    """Disk full on the second table: exit 2, every previous file as it was, no temporary file."""
    out = tmp_path / "out"
    previous = {name.removesuffix(".parquet"): pa.table({"previous": [1]}) for name in FILES}
    bi_tables.write_bi_tables(previous, out)
    calls = []

    def failing_on_second(write):
        # Whole tables (write_arrow) and streamed ones (_write_parts) alike: the second table written fails.
        def written(table, path):
            calls.append(path)
            if len(calls) == 2:
                path.write_bytes(b"PAR1 half a file")
                raise OSError(28, "No space left on device")
            write(table, path)
        return written

    monkeypatch.setattr(results_table, "write_arrow", failing_on_second(results_table.write_arrow))
    monkeypatch.setattr(bi_tables, "_write_parts", failing_on_second(bi_tables._write_parts))
    assert main(["compute", str(REFERENCE / "quickstart.json"), "--out", str(out)]) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert len(calls) == 2
    assert sorted(path.name for path in out.iterdir()) == FILES
    for name in FILES:
        assert pl.read_parquet(out / name).to_dicts() == [{"previous": 1}], name


def test_failed_write_into_an_empty_folder_leaves_it_empty(tmp_path, monkeypatch):
    tables = {name: pa.table({"x_kg": [float(i)]}) for i, name in enumerate(["a", "b", "c"])}
    calls = []

    def fail_on_second(table, path):
        calls.append(path)
        if len(calls) == 2:
            raise RuntimeError("interrupted")
        pq.write_table(table, path)

    monkeypatch.setattr(results_table, "write_arrow", fail_on_second)
    with pytest.raises(RuntimeError, match="interrupted"):
        bi_tables.write_bi_tables(tables, tmp_path)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    assert [path.name for path in bi_tables.write_bi_tables(tables, tmp_path)] == ["a.parquet", "b.parquet",
                                                                                   "c.parquet"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a.parquet", "b.parquet", "c.parquet"]


def test_a_streamed_table_failing_mid_way_leaves_nothing(tmp_path):
    """The long table is written part by part: a failure after its first part leaves no file, half or whole."""
    def parts():
        yield pa.table({"x_kg": [1.0]})
        raise OSError(28, "No space left on device")

    tables = {"a": pa.table({"x_kg": [0.0]}), "results": bi_tables.Streamed(parts), "c": lambda: pa.table({"y": [1]})}
    with pytest.raises(OSError, match="No space"):
        bi_tables.write_bi_tables(tables, tmp_path)
    assert list(tmp_path.iterdir()) == []
    ok = {"results": bi_tables.Streamed(lambda: iter([pa.table({"x_kg": [1.0]}), pa.table({"x_kg": [2.0]})]))}
    bi_tables.write_bi_tables(ok, tmp_path)
    assert pl.read_parquet(tmp_path / "results.parquet")["x_kg"].to_list() == [1.0, 2.0]
    assert pq.ParquetFile(tmp_path / "results.parquet").num_row_groups == 2


def test_unknown_unit_is_a_clear_error():
    with pytest.raises(ValueError, match=r"'distance' in unit 'furlong'.*kilowatt_hour"):
        bi_tables.unit_suffix("furlong", "distance")
    with pytest.raises(ValueError, match=r"\['nope'\]"):
        results_table.with_units(pl.DataFrame({"x": [1.0]}), {"nope": "kilogram"})


def test_sweep_output_carries_units(tmp_path):
    grid = tmp_path / "grid.json"
    grid.write_text(json.dumps({"server.average_carbon_intensity": ["100 g/kWh", "300 g/kWh"]}))
    assert main(["sweep", str(REFERENCE / "quickstart.json"), "--grid", str(grid), "--out", str(tmp_path)]) == 0
    path = tmp_path / "sweep.parquet"
    units = units_of(path)
    kg_columns = [column for column in pq.read_schema(path).names if column.endswith("_kg")]
    assert "total_footprint_kg" in kg_columns and units == dict.fromkeys(kg_columns, "kilogram")
    (low, high), = sql(f"SELECT min(total_footprint_kg), max(total_footprint_kg) FROM '{path}'")
    reference = pl.read_parquet(REFERENCE / "quickstart.results.parquet")
    # the reference's server runs at 100 g/kWh (README's quickstart), so the low variant is efootprint's total
    assert low == pytest.approx(reference.filter(pl.col("attribute") == "total_footprint")["value"].sum(),
                                rel=1e-6) and high > low


def test_a_large_portfolio_writes_its_tables_a_group_of_systems_at_a_time(portfolio_out, tmp_path, monkeypatch):
    """Past PART_HOURLY_ROWS hourly input rows, every table is made for a group of systems at a time (here each
    system alone): the same files, rows and columns (a GPU column that the first system lacks included), in the
    same order but for the long table's rows (by attribute, then system)."""
    paths = [REFERENCE / "quickstart.json", REFERENCE / "ml_workflow.json"]
    parts = []
    monkeypatch.setattr(results_table, "PART_HOURLY_ROWS", 1)
    write = bi_tables._write_parts

    def counted(tables, path):
        tables = list(tables)
        parts.append((path.name.split(".")[1], len(tables)))  # a temporary .NAME.parquet.XXX.tmp.parquet
        write(iter(tables), path)
    monkeypatch.setattr(bi_tables, "_write_parts", counted)
    out = tmp_path / "grouped"
    assert main(["compute", *map(str, paths), "--out", str(out)]) == 0
    assert dict(parts)["servers_hourly"] == 2 and dict(parts)["footprint_by_category_hourly"] == 2
    assert_same_tables(portfolio_out, out)


def assert_same_tables(whole_out, grouped_out):
    files = sorted(path.name for path in whole_out.glob("*.parquet"))
    assert sorted(path.name for path in grouped_out.glob("*.parquet")) == files
    for name in files:
        whole, grouped = pl.read_parquet(whole_out / name), pl.read_parquet(grouped_out / name)
        if name == "results.parquet":
            whole, grouped = (frame.sort(frame.columns, nulls_last=True) for frame in (whole, grouped))
        assert grouped.equals(whole), name
        assert units_of(grouped_out / name) == units_of(whole_out / name), name


def test_edge_and_genai_portfolios_written_a_system_at_a_time_are_the_same_tables(tmp_path, monkeypatch):
    # Edge needs take their units from their series' keys (a component's kind): found there for every part.
    paths = [str(REFERENCE / "edge_fleet.json"), str(REFERENCE / "genai_assistant.json")]
    assert main(["compute", *paths, "--out", str(tmp_path / "whole")]) == 0
    monkeypatch.setattr(results_table, "PART_HOURLY_ROWS", 1)
    assert main(["compute", *paths, "--out", str(tmp_path / "grouped")]) == 0
    assert (tmp_path / "grouped" / "edge_component_needs_hourly.parquet").exists()
    assert_same_tables(tmp_path / "whole", tmp_path / "grouped")
    for path in (tmp_path / "whole").glob("*_hourly.parquet"):
        if path.name.startswith("footprint_by_category"):
            continue
        # One row per (system, object, key, hour): an edge job's coordinate (no journey) keeps its attributes on
        # one row, as a web job's does.
        (rows, distinct), = sql(f"SELECT count(*), count(DISTINCT (system_id, object_id, key_id, hour_utc)) "
                                f"FROM '{path}'")
        assert rows == distinct, path.name
