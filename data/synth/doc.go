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
// "NA" among them). Each company is of one archetype, which shapes all its
// inputs together so that they agree with each other:
//
//	archetype     share  api_dependency  models                        data assets (mean)            other
//	thin_wrapper   15 %  0.88 to 1       1 or 2 closed APIs, mostly    0.5: public or licensed,      API bill ~45 % of revenue,
//	                                     US; never self-hosted         two in three hold none        fallback rarely tested
//	api_app        40 %  0.45 to 0.9     closed APIs, some open        1.6: licensed or public,      API bill ~14 % of revenue,
//	                                     weights, a few self-hosted    rarely owned                  fallback tested half the time
//	hybrid         29 %  0.15 to 0.55    closed APIs and self-hosted   3: mostly licensed, owned     fallback mostly tested
//	                                     open weights                  or exclusive ones rare
//	data_moat       8 %  0 to 0.25       open weights, self-hosted     28: mostly owned or           incumbents among them,
//	                                                                   exclusive, large, fresh,      larger companies
//	                                                                   in the sector's domain
//	model_lab       8 %  0 to 0.15       open weights, self-hosted     16: licensed corpora and      larger rounds
//	                                                                   public web data
//
// The shares are calibration choices, not measurements: no public census
// counts AI companies by how much of their product is someone else's
// model. They are set so that the universe reads as an investor expects
// it to. Most AI application start-ups are built on model APIs and hold
// little data of their own (thin wrappers and API apps together, 55 %),
// and only a few own data a competitor could not buy. Morningstar
// reported that, of the more than 1,500 companies its analysts covered,
// 16 % had a wide moat and 43 % a narrow one (A. Lane, "A Look at How Our
// Moat Ratings Have Performed through 2017", Morningstar, 2018); those are
// established listed companies, and young AI companies should hold fewer
// durable advantages, so data moats are 8 % of the companies and the
// model should rate about one company in eight wide and one in four
// narrow. API bills follow the archetype: analyses of AI companies found
// gross margins of 50 to 60 %, against 60 to 80 % for software, because
// inference is a cost of revenue (Andreessen Horowitz, "The New Business
// of AI (and How It's Different From Traditional Software)", 2020); a
// thin wrapper, whose cost of revenue is mostly the API, is given a
// median API bill of 45 % of revenue, and its gross margin is what the
// bill and other costs leave. The model's view of the result (rating,
// band and thin-wrapper shares of the demo) is pinned by a test of the
// pipeline, the archetype mix by this package's tests.
//
// Data a company owns mostly comes with a clear right to train, licensed
// data often only in part, and data of the public web is the most
// disputed (rights unclear). Only owned data is captured from the
// product's own use (the flywheel); licensed data is as easy to replicate
// as to license, public data easier still.
//
// Companies differ in how fully they are covered, as in any commercial
// dataset: a fully covered company (none of the thin wrappers, 30 % of
// the API apps, 35 % of the hybrids, 50 % of the labs, 60 % of the data
// moats) reports every optional figure, has model usage, data assets
// with cleared training rights and a last round with its valuation, and
// reports its workload shares within 1. Other companies leave figures out
// (revenue one time in five) and some of them report no child rows.
//
// Money is lognormal; round sizes and valuations grow with the stage.
// Funding rounds are dated back from the last one: the time since it is
// uniform within a gap of 9 months to 3¼ years between rounds, and one
// company in eight stopped raising 1 to 6 years before that, so that
// about one valuation in four is older than two years; earlier rounds
// come 7 months to 2½ years apart, never before the company was founded.
// Each company has 0 to many model_usage rows (about 3 on average:
// distinct providers and models of the reference, a few unknown
// providers, a few null models), data_assets rows (about 5, most of them
// held by the data moats and labs) and funding_rounds rows (about 2).
// Workload shares sum to about 1; a few companies report part of their
// workload and a few over-report it (over 1.01: scaled and flagged by the
// validator, not rejected). Every date is on or before the run date;
// optional columns are sometimes null; a few enum values, country codes,
// sectors and stages are spelt in other cases or padded with spaces, which
// the contract accepts, and a few company names hold markup and control
// characters that reports must escape. Summary.Archetypes (and
// _expected.json) count the companies of each archetype.
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
