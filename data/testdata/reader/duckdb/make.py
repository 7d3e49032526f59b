"""Writes the DuckDB-made fixtures of the reader's interop test.

Run from this folder with the duckdb Python package: python3 make.py
The files are small and committed; the test does not need DuckDB.
"""

import os
import shutil

import duckdb

con = duckdb.connect()

# companies: DuckDB's own types for every column, an extra HUGEINT and an
# extra list column, columns in another order than the contract's.
con.sql("""
COPY (
  SELECT * FROM (VALUES
    (0.5::FLOAT, 'c1', 'Acme', 'US', 'fintech', 1999::SMALLINT, 120::UBIGINT,
     1234.56::DECIMAL(18,2), 0.25::DECIMAL(38,10), NULL::DOUBLE, 3::TINYINT,
     TIMESTAMPTZ '2024-03-01 23:30:00+00', 1::HUGEINT, ['a', 'b']),
    (0.25::FLOAT, 'c2', NULL, 'NA', 'health', NULL::SMALLINT, 18446744073709551615::UBIGINT,
     NULL::DECIMAL(18,2), -0.5::DECIMAL(38,10), 0.75::DOUBLE, NULL::TINYINT,
     TIMESTAMPTZ '1969-12-31 23:59:59+00', 2::HUGEINT, []),
    (1::FLOAT, 'c3', 'Gamma', 'de', 'legal', 2020::SMALLINT, 0::UBIGINT,
     0.01::DECIMAL(18,2), 1::DECIMAL(38,10), 1::DOUBLE, -2::TINYINT,
     NULL::TIMESTAMPTZ, NULL::HUGEINT, NULL)
  ) AS t(api_dependency_share, company_id, name, country, sector, founded_year, employees,
         revenue_usd, gross_margin, fallback_parity, switching_cost_weeks,
         as_of, internal_score, tags)
) TO 'companies.parquet' (FORMAT parquet)
""")

# funding_rounds: a Hive-partitioned folder (the partition column lives in
# the folder names only), an ENUM, DATE and unsigned and decimal money.
shutil.rmtree("funding_rounds", ignore_errors=True)
con.sql("""
COPY (
  SELECT * FROM (VALUES
    ('r1', 'c1', 'seed'::ENUM('seed', 'series_a', 'series_b'), DATE '2023-05-01',
     1000000::DECIMAL(12,0), 8000000::UINTEGER, 'Alpha Ventures', 'US', 2023),
    ('r2', 'c1', 'series_a', DATE '2024-02-29', 5000000.5::DECIMAL(12,1), NULL::UINTEGER,
     NULL, 'GB', 2024),
    ('r1', 'c2', 'series_b', DATE '2024-12-31', NULL::DECIMAL(12,0), 4294967295::UINTEGER,
     'Beta Capital', NULL, 2024)
  ) AS t(round_id, company_id, stage, announced_on, amount_usd, post_money_usd,
         lead_investor, investor_country, year)
) TO 'funding_rounds' (FORMAT parquet, PARTITION_BY (year), FILENAME_PATTERN 'part_{i}')
""")
