"""attribution.parquet and objects.parquet as a star schema: the queries a user would write in DuckDB give
efootprint's attribution figures (its atoms file grouped alike), with names from objects.parquet."""
import duckdb
import polars as pl
import pyarrow.parquet as pq
import pytest

from conftest import REFERENCE
from efp_tables.cli import main


@pytest.fixture(scope="module")
def ecommerce_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("ecommerce")
    assert main(["compute", str(REFERENCE / "ecommerce.json"), "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def reference():
    return pl.read_parquet(REFERENCE / "ecommerce.attribution.parquet")


def query(out, sql: str) -> pl.DataFrame:
    db = duckdb.connect()
    db.sql(f"CREATE VIEW atoms AS SELECT * FROM '{out / 'attribution.parquet'}'")
    db.sql(f"CREATE VIEW objects AS SELECT * FROM '{out / 'objects.parquet'}'")
    return db.sql(sql).pl()


def by_name(reference: pl.DataFrame, id_column: str, out) -> dict[str, float]:
    names = pl.read_parquet(out / "objects.parquet").select("object_id", "object_name")
    grouped = reference.filter(pl.col(id_column).is_not_null()).group_by(id_column).agg(pl.col("value_kg").sum())
    return dict(grouped.join(names, left_on=id_column, right_on="object_id").select("object_name", "value_kg").rows())


def assert_close(ours: dict[str, float], theirs: dict[str, float]):
    assert ours.keys() == theirs.keys()
    for name, kg in theirs.items():
        assert ours[name] == pytest.approx(kg, rel=1e-6, abs=1e-9), name


@pytest.mark.parametrize("level, count", [("usage_pattern_id", 2), ("step_id", 3), ("job_id", 6), ("journey_id", 1)])
def test_footprint_per_level_joined_to_names(ecommerce_out, reference, level, count):
    ours = query(ecommerce_out, f"""
        SELECT o.object_name, sum(a.value_kg) AS kg
        FROM atoms a JOIN objects o ON o.system_id = a.system_id AND o.object_id = a.{level}
        GROUP BY o.object_name ORDER BY kg DESC""")
    assert ours.height == count
    assert_close(dict(ours.rows()), by_name(reference, level, ecommerce_out))


def test_top_ten_job_server_pairs(ecommerce_out, reference):
    ours = query(ecommerce_out, """
        SELECT j.object_name AS job, s.object_name AS server, sum(a.value_kg) AS kg
        FROM atoms a
        JOIN objects j ON j.system_id = a.system_id AND j.object_id = a.job_id
        JOIN objects s ON s.system_id = a.system_id AND s.object_id = a.source_id
        WHERE s.object_table = 'servers'
        GROUP BY job, server ORDER BY kg DESC LIMIT 10""")
    servers = reference.filter(pl.col("source_class").str.contains("Server"))
    theirs = (servers.group_by("job_id", "source_id").agg(pl.col("value_kg").sum()).sort("value_kg", descending=True)
              .head(10))
    names = dict(pl.read_parquet(ecommerce_out / "objects.parquet").select("object_id", "object_name").rows())
    assert [(names[j], names[s]) for j, s in theirs.select("job_id", "source_id").rows()] == \
        list(zip(ours["job"], ours["server"]))
    assert ours["kg"].to_list() == pytest.approx(theirs["value_kg"].to_list(), rel=1e-6)
    assert ours.height == theirs.height == 6  # each of the six jobs runs on one server


def test_atoms_total_is_the_system_total_and_units_are_in_metadata(ecommerce_out):
    (total,), = query(ecommerce_out, "SELECT sum(value_kg) FROM atoms").rows()
    by_category = pl.read_parquet(ecommerce_out / "footprint_by_category.parquet")["footprint_kg"].sum()
    assert total == pytest.approx(by_category, rel=1e-9)
    schema = pq.read_schema(ecommerce_out / "attribution.parquet")
    assert schema.field("value_kg").metadata[b"unit"] == b"kilogram"
    assert schema.field("hour").type.tz == "UTC"
    objects = pl.read_parquet(ecommerce_out / "objects.parquet")
    atoms = pl.read_parquet(ecommerce_out / "attribution.parquet")
    ids = set(objects["object_id"])
    for column in ("system_id", "source_id", "usage_pattern_id", "journey_id", "job_id", "step_id"):
        assert set(atoms[column].drop_nulls().cast(pl.String)) <= ids, column
