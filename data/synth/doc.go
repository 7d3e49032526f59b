// Package synth generates realistic synthetic input datasets for
// moatscore, of any size, with bad rows on demand and the list of rows a
// validator must reject.
//
// # Layout
//
// Generate writes, under the output directory:
//
//	companies/part-00000.parquet ...       the four input tables, each in
//	model_usage/part-00000.parquet ...     FilesPerTable files (Parquet,
//	data_assets/part-00000.parquet ...     snappy, row groups of
//	funding_rounds/part-00000.parquet ...  RowGroupSize rows) and a _SUCCESS marker
//	_bad_rows.csv                          every row the validator must reject
//	_expected.json                         rows, accepted and rejected per table
//
// Companies are split into contiguous ranges, one per file number; a
// company's child rows go to the file of the same number in each child
// table. Every table is written with its canonical schema
// (data.Table.ArrowSchema, descriptions included); ids, names and numbers
// are written without dictionaries, low-cardinality strings with them.
//
// # Data
//
// Sectors and headquarters countries follow skewed mixes (the United
// States first, then China, the United Kingdom, Germany, France, India,
// ..., and every other country of the reference in a long tail, Namibia
// "NA" among them). Companies are wrappers, hybrids or data moats, which
// shapes their API dependency, their assets and how they host models.
// Money is lognormal; round sizes and valuations grow with the stage.
// Each company has 0 to many model_usage rows (about 3 on average: distinct
// providers and models of the reference, a few unknown providers, a few
// null models), data_assets rows (about 5) and funding_rounds rows (about
// 2). Workload shares sum to about 1; a few companies report part of their
// workload and a few over-report it (over 1.01: scaled and flagged by the
// validator, not rejected). Every date is on or before the run date;
// optional columns are sometimes null; a few enum values, country codes,
// sectors and stages are spelt in other cases or padded with spaces, which
// the contract accepts, and a few company names hold markup and control
// characters that reports must escape.
//
// # Bad rows
//
// With Options.BadRows = p, each companies row and each child row of a
// valid company breaks one rule of the contract with probability p, the
// rule drawn evenly among those its table can break: null_key,
// null_value, not_finite, out_of_range, unknown_value, bad_country,
// bad_date, duplicate_key (the key of an earlier accepted row, the row
// otherwise valid; a duplicate company is an extra row) and, for child
// rows, unknown_company (an id of no company). Every child row of a bad
// company is rejected too: parent_rejected, or unknown_company when the
// company row has no key. Rows are broken so that the first rule the
// validator checks (data/reasons.go) is the one broken.
//
// _bad_rows.csv lists those rows, in table, file and row order, with the
// header
//
//	table_name,file_path,row_index,reason_code,column_name
//
// where file_path is relative to the table folder, row_index counts from 0
// within the file, and column_name is the broken column (empty for
// duplicate_key, whose cause is the whole key). Warnings (unknown
// providers, over-full shares) are not rejects; _expected.json counts
// them among accepted rows.
//
// # Determinism and memory
//
// The same options give byte-identical files, whatever the number of
// workers: each company's values come from a PCG stream seeded by the
// seed and the company's index, its faults from another, and whether a
// company row is bad from a hash of its index, so duplicates and
// cascades need no memory of earlier companies. Rows are written as they
// are made, a row group at a time: memory depends on the row group size
// and the number of workers, not on the number of companies.
package synth
