"""Writes two tables of the data contract with the Python tools users run.

    python3 write_tables.py OUT

makes OUT/companies/ and OUT/model_usage/, each ONE table made of several
files, one per writer, each with the physical types that writer really
produces for the same known rows:

    duckdb.parquet      DuckDB COPY ... (FORMAT parquet): DATE, SMALLINT,
                        HUGEINT (which DuckDB writes as DOUBLE), DECIMAL
                        in INT32 and INT64, REAL, a DOUBLE NaN, ENUM, an
                        extra BIGINT column
    hive/region=.../    pyarrow.dataset.write_dataset, Hive-partitioned by an
                        extra column (companies only)
    pandas.parquet      DataFrame.to_parquet: nullable Int64, datetime64[ns],
                        category, a non-default index (__index_level_0__)
    polars.parquet      DataFrame.write_parquet: Int16, UInt32, Float32,
                        Date, Categorical, Enum
    pyarrow.parquet     pyarrow.parquet.write_table: dictionary and large
                        strings, int32, uint32, float16, float32,
                        decimal128 money, timestamp[ms, tz=UTC], columns
                        shuffled, extra nested columns, row groups of two
                        rows, data page v2
    _SUCCESS            an empty marker, as Spark and Hadoop write

plus OUT/companies_by_country/, a Hive folder partitioned by the contract's
own country column, which pyarrow then leaves out of the files.

The rows are the ones of COMPANIES and MODEL_USAGE below; each writer
prefixes the ids with its own tag (PREFIX). data/interop_python_test.go runs
this script and checks every value read. Exit status 3 means a Python
package is missing (pip install -r scripts/requirements-test.txt).
"""

import datetime as dt
import decimal
import importlib
import math
import os
import sys

NAN = math.nan
UTC = dt.timezone.utc

# The companies rows: company_id suffix, name, country, sector,
# founded_year, employees, revenue_usd, gross_margin, api_dependency_share,
# fallback_parity, switching_cost_weeks, as_of (a UTC instant; writers of
# dates keep its day). Every float is exact in float16/float32 where a
# writer uses them.
COMPANIES = [
    ("1", "Acme Analytics", "US", "FinTech", 1999, 120, "1234.56", 0.25, 0.5, 0.75, 3.0,
     dt.datetime(2024, 3, 1, 23, 30, tzinfo=UTC)),
    ("2", "Namib Data", "NA", "health", None, None, None, -0.5, 0.25, None, None,
     dt.datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)),
    ("3", "Gamma GmbH", "de", "Legal Tech", 2020, 3_000_000_000, "0.01", 1.0, 1.0, 0.125, 0.5,
     None),
    ("4", "Delta Ltd", "GB", "retail", 1850, 0, "0.00", -2.5, NAN, 0.0, 52.0,
     dt.datetime(2025, 12, 31, 12, 0, tzinfo=UTC)),
    ("5", "Épsilon 株式会社", "JP", "ai", 2010, 7, "99999999999.99", 0.5, 0.0, 1.0, 0.25,
     dt.datetime(2000, 2, 29, 0, 0, 1, tzinfo=UTC)),
]

# The model_usage rows: company_id suffix, provider, model, workload_share,
# annual_spend_usd, access (mixed case and padded on purpose).
MODEL_USAGE = [
    ("1", "openai", "gpt-4o", 0.5, "1200.50", "API"),
    ("1", "Meta", "llama-3.1-70b", 0.25, None, "Self_Hosted"),
    ("2", "mistral", None, 1.0, "0.00", " on_prem "),
    ("4", "acme-ai", "x-1", 0.125, "99.99", "Api"),
]

# Each writer's id prefix: ids read "pa-1", "pd-3", ...
PREFIX = {"pyarrow": "pa", "pandas": "pd", "polars": "pl", "duckdb": "dd", "hive": "hv"}

COMPANY_COLUMNS = [
    "company_id", "name", "country", "sector", "founded_year", "employees", "revenue_usd",
    "gross_margin", "api_dependency_share", "fallback_parity", "switching_cost_weeks", "as_of",
]
USAGE_COLUMNS = ["company_id", "provider", "model", "workload_share", "annual_spend_usd", "access"]


def rows(table, writer):
    """The table's rows as dicts, with the writer's ids and money as Decimal."""
    names = COMPANY_COLUMNS if table is COMPANIES else USAGE_COLUMNS
    money = "revenue_usd" if table is COMPANIES else "annual_spend_usd"
    out = []
    for r in table:
        d = dict(zip(names, r))
        d["company_id"] = PREFIX[writer] + "-" + d["company_id"]
        if d[money] is not None:
            d[money] = decimal.Decimal(d[money])
        out.append(d)
    return out


def column(rs, name, conv=lambda v: v):
    return [None if r[name] is None else conv(r[name]) for r in rs]


def write_pyarrow(out):
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rs = rows(COMPANIES, "pyarrow")
    n = len(rs)
    cols = {
        "notes": pa.array(["note %d" % i for i in range(n)], pa.string()),
        "as_of": pa.array(column(rs, "as_of"), pa.timestamp("ms", tz="UTC")),
        "api_dependency_share": pa.array(column(rs, "api_dependency_share"), pa.float32()),
        "name": pa.array(column(rs, "name"), pa.large_string()),
        "employees": pa.array(column(rs, "employees"), pa.uint32()),
        "country": pa.array(column(rs, "country")).dictionary_encode(),
        "revenue_usd": pa.array(column(rs, "revenue_usd"), pa.decimal128(18, 2)),
        "company_id": pa.array(column(rs, "company_id"), pa.string()),
        "meta": pa.array([{"source": "crm", "rank": i} for i in range(n)],
                         pa.struct([("source", pa.string()), ("rank", pa.int8())])),
        "founded_year": pa.array(column(rs, "founded_year"), pa.int32()),
        "fallback_parity": pa.array(column(rs, "fallback_parity"), pa.float32()),
        "sector": pa.array(column(rs, "sector")).dictionary_encode(),
        "switching_cost_weeks": pa.array(column(rs, "switching_cost_weeks", np.float16), pa.float16()),
        "gross_margin": pa.array(column(rs, "gross_margin"), pa.float64()),
    }
    pq.write_table(pa.table(cols), os.path.join(out, "companies", "pyarrow.parquet"),
                   row_group_size=2, compression="zstd", data_page_version="2.0")

    rs = rows(MODEL_USAGE, "pyarrow")
    t = pa.table({
        "access": pa.array(column(rs, "access")).dictionary_encode(),
        "workload_share": pa.array(column(rs, "workload_share"), pa.float32()),
        "company_id": pa.array(column(rs, "company_id"), pa.large_string()),
        "provider": pa.array(column(rs, "provider")).dictionary_encode(),
        "model": pa.array(column(rs, "model"), pa.large_string()),
        "annual_spend_usd": pa.array(column(rs, "annual_spend_usd"), pa.decimal128(12, 2)),
        "tags": pa.array([["a", "b"], [], None, ["c"]], pa.list_(pa.string())),
    })
    pq.write_table(t, os.path.join(out, "model_usage", "pyarrow.parquet"), compression="gzip")


def write_hive(out):
    import pyarrow as pa
    import pyarrow.dataset as ds

    rs = rows(COMPANIES, "hive")
    schema = pa.schema([
        ("company_id", pa.string()), ("name", pa.string()), ("country", pa.string()),
        ("sector", pa.string()), ("founded_year", pa.int64()), ("employees", pa.int64()),
        ("revenue_usd", pa.float64()), ("gross_margin", pa.float64()),
        ("api_dependency_share", pa.float64()), ("fallback_parity", pa.float64()),
        ("switching_cost_weeks", pa.float64()), ("as_of", pa.date32()), ("region", pa.string()),
    ])
    data = {c: column(rs, c) for c in COMPANY_COLUMNS}
    data["revenue_usd"] = column(rs, "revenue_usd", float)
    data["as_of"] = column(rs, "as_of", lambda v: v.date())
    data["region"] = ["amer", "emea", "emea", "emea", "apac"]
    t = pa.table(data, schema=schema)
    part = ds.partitioning(pa.schema([("region", pa.string())]), flavor="hive")
    ds.write_dataset(t, os.path.join(out, "companies", "hive"), format="parquet",
                     partitioning=part, basename_template="part-{i}.parquet",
                     use_threads=False, existing_data_behavior="overwrite_or_ignore")

    # Partitioned by a contract column: pyarrow keeps country in the folder
    # names only, not in the files.
    by_country = t.drop_columns(["region"])
    ds.write_dataset(by_country, os.path.join(out, "companies_by_country"), format="parquet",
                     partitioning=ds.partitioning(pa.schema([("country", pa.string())]), flavor="hive"),
                     basename_template="part-{i}.parquet", use_threads=False,
                     existing_data_behavior="overwrite_or_ignore")


def write_pandas(out):
    import numpy as np
    import pandas as pd

    rs = rows(COMPANIES, "pandas")
    df = pd.DataFrame({
        "company_id": column(rs, "company_id"),
        "name": column(rs, "name"),
        "country": column(rs, "country"),
        "sector": column(rs, "sector"),
        "founded_year": pd.array(column(rs, "founded_year"), dtype="Int64"),
        "employees": pd.array(column(rs, "employees"), dtype="Int64"),
        "revenue_usd": np.array(column(rs, "revenue_usd", float), dtype="float64"),
        "gross_margin": np.array(column(rs, "gross_margin"), dtype="float64"),
        "api_dependency_share": np.array(column(rs, "api_dependency_share"), dtype="float64"),
        "fallback_parity": np.array(column(rs, "fallback_parity"), dtype="float64"),
        "switching_cost_weeks": np.array(column(rs, "switching_cost_weeks"), dtype="float64"),
        "as_of": np.array(column(rs, "as_of", lambda v: v.replace(tzinfo=None)),
                          dtype="datetime64[ns]"),
    }, index=[10 * i for i in range(len(rs))])  # not a RangeIndex: written as a column
    df.to_parquet(os.path.join(out, "companies", "pandas.parquet"))

    rs = rows(MODEL_USAGE, "pandas")
    df = pd.DataFrame({
        "company_id": column(rs, "company_id"),
        "provider": column(rs, "provider"),
        "model": column(rs, "model"),
        "workload_share": column(rs, "workload_share"),
        "annual_spend_usd": column(rs, "annual_spend_usd", float),
        "access": pd.Categorical(column(rs, "access")),
    }, index=pd.Index([7, 3, 5, 1]))
    df.to_parquet(os.path.join(out, "model_usage", "pandas.parquet"))


def write_polars(out):
    import polars as pl

    rs = rows(COMPANIES, "polars")
    df = pl.DataFrame({
        "company_id": pl.Series(column(rs, "company_id"), dtype=pl.String),
        "name": pl.Series(column(rs, "name"), dtype=pl.String),
        "country": pl.Series(column(rs, "country"), dtype=pl.Categorical),
        "sector": pl.Series(column(rs, "sector"), dtype=pl.String),
        "founded_year": pl.Series(column(rs, "founded_year"), dtype=pl.Int16),
        "employees": pl.Series(column(rs, "employees"), dtype=pl.UInt32),
        "revenue_usd": pl.Series(column(rs, "revenue_usd", float), dtype=pl.Float64),
        "gross_margin": pl.Series(column(rs, "gross_margin"), dtype=pl.Float32),
        "api_dependency_share": pl.Series(column(rs, "api_dependency_share"), dtype=pl.Float32),
        "fallback_parity": pl.Series(column(rs, "fallback_parity"), dtype=pl.Float64),
        "switching_cost_weeks": pl.Series(column(rs, "switching_cost_weeks"), dtype=pl.Float32),
        "as_of": pl.Series(column(rs, "as_of", lambda v: v.date()), dtype=pl.Date),
        "tags": pl.Series([["x"], [], None, ["y", "z"], ["w"]], dtype=pl.List(pl.String)),
    })
    df.write_parquet(os.path.join(out, "companies", "polars.parquet"))

    rs = rows(MODEL_USAGE, "polars")
    access = column(rs, "access")
    df = pl.DataFrame({
        "company_id": pl.Series(column(rs, "company_id"), dtype=pl.String),
        "provider": pl.Series(column(rs, "provider"), dtype=pl.Categorical),
        "model": pl.Series(column(rs, "model"), dtype=pl.String),
        "workload_share": pl.Series(column(rs, "workload_share"), dtype=pl.Float32),
        "annual_spend_usd": pl.Series(column(rs, "annual_spend_usd", float), dtype=pl.Float64),
        "access": pl.Series(access, dtype=pl.Enum(sorted(set(access)))),
    })
    df.write_parquet(os.path.join(out, "model_usage", "polars.parquet"))


def sql(v):
    """A Python value as a DuckDB SQL literal."""
    if v is None:
        return "NULL"
    if isinstance(v, float) and math.isnan(v):
        return "'NaN'"
    if isinstance(v, str):
        return "'" + v.replace("'", "''") + "'"
    if isinstance(v, dt.datetime):
        return "DATE '%s'" % v.date().isoformat()
    return str(v)


def write_duckdb(out):
    import duckdb

    con = duckdb.connect()
    types = {
        "company_id": "VARCHAR", "name": "VARCHAR", "country": "VARCHAR", "sector": "VARCHAR",
        "founded_year": "SMALLINT", "employees": "HUGEINT", "revenue_usd": "DECIMAL(18,2)",
        "gross_margin": "DECIMAL(4,2)", "api_dependency_share": "DOUBLE", "fallback_parity": "REAL",
        "switching_cost_weeks": "DECIMAL(5,2)", "as_of": "DATE",
    }
    order = ["as_of", "company_id", "employees", "name", "country", "sector", "founded_year",
             "revenue_usd", "gross_margin", "api_dependency_share", "fallback_parity",
             "switching_cost_weeks"]
    values = ",\n".join(
        "(" + ", ".join("%s::%s" % (sql(r[c]), types[c]) for c in order) + ", %d::BIGINT)" % i
        for i, r in enumerate(rows(COMPANIES, "duckdb")))
    path = os.path.join(out, "companies", "duckdb.parquet")
    con.sql("COPY (SELECT * FROM (VALUES %s) AS t(%s, row_no)) TO %s (FORMAT parquet)"
            % (values, ", ".join(order), sql(path)))

    con.sql("CREATE TYPE access_t AS ENUM ('API', 'Self_Hosted', ' on_prem ', 'Api')")
    types = {
        "company_id": "VARCHAR", "provider": "VARCHAR", "model": "VARCHAR",
        "workload_share": "DOUBLE", "annual_spend_usd": "DECIMAL(18,2)", "access": "access_t",
    }
    values = ",\n".join(
        "(" + ", ".join("%s::%s" % (sql(r[c]), types[c]) for c in USAGE_COLUMNS) + ")"
        for r in rows(MODEL_USAGE, "duckdb"))
    path = os.path.join(out, "model_usage", "duckdb.parquet")
    con.sql("COPY (SELECT * FROM (VALUES %s) AS t(%s)) TO %s (FORMAT parquet)"
            % (values, ", ".join(USAGE_COLUMNS), sql(path)))


WRITERS = [write_pyarrow, write_hive, write_pandas, write_polars, write_duckdb]

# The packages the writers import (scripts/requirements-test.txt).
PACKAGES = ["numpy", "pyarrow", "pandas", "polars", "duckdb"]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: write_tables.py OUT")
    out = sys.argv[1]
    missing = []
    for m in PACKAGES:
        try:
            importlib.import_module(m)
        except ImportError:
            missing.append(m)
    if missing:
        print("missing Python packages: " + ", ".join(missing), file=sys.stderr)
        sys.exit(3)
    for table in ("companies", "model_usage"):
        os.makedirs(os.path.join(out, table), exist_ok=True)
    for write in WRITERS:
        write(out)
    for table in ("companies", "model_usage"):
        open(os.path.join(out, table, "_SUCCESS"), "w").close()


if __name__ == "__main__":
    main()
