package data

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// pythonTables runs testdata/reader/python/write_tables.py into a fresh
// folder and returns it. Without python3 or its packages the test is
// skipped on a developer's machine and fails in CI (the CI variable set),
// where scripts/test.sh installs scripts/requirements-test.txt first.
func pythonTables(t *testing.T) string {
	t.Helper()
	missing := func(msg string) {
		t.Helper()
		if os.Getenv("CI") != "" {
			t.Fatalf("%s; CI must install them: pip install -r scripts/requirements-test.txt", msg)
		}
		t.Skipf("%s; to run this test: pip install -r scripts/requirements-test.txt", msg)
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		missing("python3 is not on PATH")
	}
	out := t.TempDir()
	cmd := exec.Command(python, filepath.Join("testdata", "reader", "python", "write_tables.py"), out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 3 {
		missing(strings.TrimSpace(stderr.String()))
	}
	if err != nil {
		t.Fatalf("write_tables.py: %v\n%s", err, stderr.Bytes())
	}
	return out
}

// pyCompanies are the rows of COMPANIES in write_tables.py as every writer
// must read, in the canonical kinds, rendered by cellText: the id suffix,
// then the other columns in contract order.
var pyCompanies = map[string][]string{
	"1": {`"Acme Analytics"`, `"US"`, `"FinTech"`, "1999", "120", "1234.56", "0.25", "0.5", "0.75", "3", "2024-03-01"},
	"2": {`"Namib Data"`, `"NA"`, `"health"`, "null", "null", "null", "-0.5", "0.25", "null", "null", "1969-12-31"},
	"3": {`"Gamma GmbH"`, `"de"`, `"Legal Tech"`, "2020", "3000000000", "0.01", "1", "1", "0.125", "0.5", "null"},
	"4": {`"Delta Ltd"`, `"GB"`, `"retail"`, "1850", "0", "0", "-2.5", "NaN", "0", "52", "2025-12-31"},
	"5": {`"Épsilon 株式会社"`, `"JP"`, `"ai"`, "2010", "7", "9.999999999999e+10", "0.5", "0", "1", "0.25", "2000-02-29"},
}

// pyCompaniesNorm are the country and sector of the accepted companies
// rows after validation; row 4 (a NaN share) is rejected.
var pyCompaniesNorm = map[string]string{"1": "US fintech", "2": "NA health", "3": "DE legal_tech", "5": "JP ai"}

// pyUsage are the rows of MODEL_USAGE in write_tables.py, keyed by
// position: the company id suffix, then provider, model, workload_share,
// annual_spend_usd and access.
var pyUsage = [][]string{
	{"1", `"openai"`, `"gpt-4o"`, "0.5", "1200.5", `"API"`},
	{"1", `"Meta"`, `"llama-3.1-70b"`, "0.25", "null", `"Self_Hosted"`},
	{"2", `"mistral"`, "null", "1", "0", `" on_prem "`},
	// DuckDB and pyarrow write 99.99 as a decimal (9999, scale 2): it must
	// read as the float64 nearest 99.99, as every other writer's double.
	{"4", `"acme-ai"`, `"x-1"`, "0.125", "99.99", `"Api"`},
}

// pyUsageNorm are the accepted model_usage rows after validation (company
// id suffix, provider, access); row 4's company is rejected.
var pyUsageNorm = []string{"1 openai api", "1 meta self_hosted", "2 mistral on_prem"}

// pyFile is one file write_tables.py makes and the rows it holds.
type pyFile struct {
	rel    string
	prefix string            // the writer's id prefix
	rows   []string          // companies: id suffixes in file order; model_usage: all of pyUsage
	differ map[string]string // "suffix/column" -> the value this writer gives instead
}

var pyCompanyFiles = []pyFile{
	{rel: "duckdb.parquet", prefix: "dd", rows: []string{"1", "2", "3", "4", "5"}},
	{rel: "hive/region=amer/part-0.parquet", prefix: "hv", rows: []string{"1"}},
	{rel: "hive/region=apac/part-0.parquet", prefix: "hv", rows: []string{"5"}},
	{rel: "hive/region=emea/part-0.parquet", prefix: "hv", rows: []string{"2", "3", "4"}},
	// pandas hands a float NaN to pyarrow as a missing value: it is
	// written as a null, not as NaN.
	{rel: "pandas.parquet", prefix: "pd", rows: []string{"1", "2", "3", "4", "5"},
		differ: map[string]string{"4/api_dependency_share": "null"}},
	{rel: "polars.parquet", prefix: "pl", rows: []string{"1", "2", "3", "4", "5"}},
	{rel: "pyarrow.parquet", prefix: "pa", rows: []string{"1", "2", "3", "4", "5"}},
}

var pyUsageFiles = []pyFile{
	{rel: "duckdb.parquet", prefix: "dd"},
	{rel: "pandas.parquet", prefix: "pd"},
	{rel: "polars.parquet", prefix: "pl"},
	{rel: "pyarrow.parquet", prefix: "pa"},
}

// pyRow is one row as read: where it comes from and its cells as text.
type pyRow struct {
	file string
	row  int64
	text string
}

func (r pyRow) String() string { return fmt.Sprintf("%s row %d: %s", r.file, r.row, r.text) }

// wantPyRows lists the rows the reader must give for the files, in order.
func wantPyRows(t *Table, files []pyFile) []pyRow {
	var out []pyRow
	for _, f := range files {
		if t == Companies {
			for i, suffix := range f.rows {
				cells := append([]string{strconv.Quote(f.prefix + "-" + suffix)}, pyCompanies[suffix]...)
				for j, c := range Companies.Columns {
					if v, ok := f.differ[suffix+"/"+c.Name]; ok {
						cells[j] = v
					}
				}
				out = append(out, pyRow{f.rel, int64(i), strings.Join(cells, " ")})
			}
			continue
		}
		for i, u := range pyUsage {
			cells := append([]string{strconv.Quote(f.prefix + "-" + u[0])}, u[1:]...)
			out = append(out, pyRow{f.rel, int64(i), strings.Join(cells, " ")})
		}
	}
	return out
}

// cellText renders a canonical cell exactly: strings quoted, floats in the
// shortest form that reads back to the same float64, dates as YYYY-MM-DD.
func cellText(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return "null"
	}
	switch a := a.(type) {
	case *array.String:
		return strconv.Quote(a.Value(i))
	case *array.Int64:
		return strconv.FormatInt(a.Value(i), 10)
	case *array.Float64:
		return strconv.FormatFloat(a.Value(i), 'g', -1, 64)
	case *array.Date32:
		return a.Value(i).ToTime().Format(time.DateOnly)
	case *array.Boolean:
		return strconv.FormatBool(a.Value(i))
	}
	return fmt.Sprintf("unexpected %s", a.DataType())
}

func rowText(rec arrow.Record, i int) string {
	cells := make([]string, rec.NumCols())
	for j, col := range rec.Columns() {
		cells[j] = cellText(col, i)
	}
	return strings.Join(cells, " ")
}

// TestInteropPythonWriters reads, as one table each, companies and
// model_usage folders written by pyarrow, pandas, polars, DuckDB and
// pyarrow's dataset writer (Hive-partitioned), every file with the types
// its writer produces, and checks every value, row index, ignored column
// and the validators' verdicts.
func TestInteropPythonWriters(t *testing.T) {
	out := pythonTables(t)
	runDate := time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC)

	type reject struct {
		file   string
		row    int64
		column string
		reason string
	}
	var companyRejects []reject
	for _, f := range pyCompanyFiles {
		for i, s := range f.rows {
			if s == "4" {
				reason := ReasonNotFinite
				if f.prefix == "pd" {
					reason = ReasonNullValue
				}
				companyRejects = append(companyRejects, reject{f.rel, int64(i), "api_dependency_share", reason})
			}
		}
	}
	var usageRejects []reject
	for _, f := range pyUsageFiles {
		usageRejects = append(usageRejects, reject{f.rel, 3, "company_id", ReasonParentRejected})
	}

	// After validation, the accepted rows' normalised columns: companies'
	// country and sector, model_usage's provider and access.
	var companyNorm, usageNorm []string
	for _, f := range pyCompanyFiles {
		for _, s := range f.rows {
			if n, ok := pyCompaniesNorm[s]; ok {
				companyNorm = append(companyNorm, f.prefix+"-"+s+" "+n)
			}
		}
	}
	for _, f := range pyUsageFiles {
		for _, n := range pyUsageNorm {
			usageNorm = append(usageNorm, f.prefix+"-"+n)
		}
	}

	companyIgnored := []string{
		"duckdb.parquet: row_no",
		"pandas.parquet: __index_level_0__",
		"polars.parquet: tags",
		"pyarrow.parquet: notes",
		"pyarrow.parquet: meta",
	}
	usageIgnored := []string{
		"pandas.parquet: __index_level_0__",
		"pyarrow.parquet: tags",
	}

	opts := []struct {
		name string
		opts ReaderOptions
	}{
		{"default batches", ReaderOptions{}},
		{"batches of two rows", ReaderOptions{BatchSize: 2, Workers: 3}},
		{"one row at a time", ReaderOptions{BatchSize: 1, Workers: 1}},
	}
	tables := []struct {
		name        string
		spec        string
		table       *Table
		files       []pyFile
		wantIgnored []string
		wantRejects []reject
		wantNorm    []string
	}{
		{"companies folder", "companies", Companies, pyCompanyFiles, companyIgnored, companyRejects, companyNorm},
		{"companies glob", filepath.Join("companies", "**", "*.parquet"), Companies, pyCompanyFiles, companyIgnored, companyRejects, companyNorm},
		{"model_usage folder", "model_usage", ModelUsage, pyUsageFiles, usageIgnored, usageRejects, usageNorm},
	}
	for _, tt := range tables {
		for _, o := range opts {
			t.Run(tt.name+"/"+o.name, func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)

				root, files, err := Discover(filepath.Join(out, tt.spec))
				if err != nil {
					t.Fatal(err)
				}
				if want := filepath.Join(out, strings.SplitN(tt.spec, string(filepath.Separator), 2)[0]); root != want {
					t.Errorf("Discover root = %s, want %s", root, want)
				}
				var rels, wantRels []string
				for _, f := range files {
					rels = append(rels, f.Rel)
				}
				for _, f := range tt.files {
					wantRels = append(wantRels, f.rel)
				}
				if !reflect.DeepEqual(rels, wantRels) {
					t.Fatalf("Discover files = %q, want %q", rels, wantRels)
				}

				companies := NewCompanyValidator(runDate, DefaultReference())
				companies.Mem = mem
				check := companies.Check
				if tt.table != Companies {
					// The companies of the same writers, read first.
					_, cfiles, err := Discover(filepath.Join(out, "companies"))
					if err != nil {
						t.Fatal(err)
					}
					cb, _, err := readBatches(mem, Companies, cfiles, ReaderOptions{})
					for _, b := range cb {
						companies.Check(b).Release()
						b.Release()
					}
					if err != nil {
						t.Fatal(err)
					}
					child := NewChildValidator(tt.table, runDate, DefaultReference(), companies.Companies())
					child.Mem = mem
					check = child.Check
				}

				r := NewReader(mem, tt.table, files, o.opts)
				defer r.Close()
				var got []pyRow
				var rejects []reject
				var norm []string
				var issues []CellIssue
				for r.Next() {
					b := r.Batch()
					if b.FileIndex < 0 || b.FileIndex >= len(files) || b.File.Rel != files[b.FileIndex].Rel {
						t.Errorf("batch FileIndex %d does not name its file %s", b.FileIndex, b.File.Rel)
					}
					if n := b.Record.NumRows(); o.opts.BatchSize > 0 && n > int64(o.opts.BatchSize) {
						t.Errorf("%s: batch of %d rows, want at most %d", b.File.Rel, n, o.opts.BatchSize)
					}
					if !b.Record.Schema().Equal(tt.table.ArrowSchema()) {
						t.Errorf("%s: batch schema %s, want the canonical schema", b.File.Rel, b.Record.Schema())
					}
					for i := 0; i < int(b.Record.NumRows()); i++ {
						got = append(got, pyRow{b.File.Rel, b.Offset + int64(i), rowText(b.Record, i)})
					}
					issues = append(issues, b.Issues...)

					c := check(b)
					for _, rj := range c.Rejects {
						if rj.Table != tt.table.Name {
							t.Errorf("reject table %q, want %q", rj.Table, tt.table.Name)
						}
						rejects = append(rejects, reject{rj.File, rj.Row, rj.Column, rj.Reason})
					}
					for _, i := range c.Accepted {
						var cells []string
						for _, name := range []string{"company_id", "country", "sector", "provider", "access"} {
							if _, j := tt.table.Column(name); j >= 0 {
								cells = append(cells, c.Record.Column(j).(*array.String).Value(int(i)))
							}
						}
						norm = append(norm, strings.Join(cells, " "))
					}
					if len(c.Warnings) > 0 {
						t.Errorf("%s: warnings %v, want none", b.File.Rel, c.Warnings)
					}
					c.Release()
					b.Release()
				}
				if err := r.Err(); err != nil {
					t.Fatalf("reading %s: %v", tt.spec, err)
				}

				want := wantPyRows(tt.table, tt.files)
				for i := 0; i < max(len(got), len(want)); i++ {
					switch {
					case i >= len(got):
						t.Errorf("missing row %v", want[i])
					case i >= len(want):
						t.Errorf("extra row %v", got[i])
					case got[i] != want[i]:
						t.Errorf("row %d:\n got %v\nwant %v", i, got[i], want[i])
					}
				}
				if len(issues) > 0 {
					t.Errorf("cell issues %+v, want none", issues)
				}
				if ig := r.Ignored(); !reflect.DeepEqual(ig, tt.wantIgnored) {
					t.Errorf("Ignored() = %q, want %q", ig, tt.wantIgnored)
				}
				if !reflect.DeepEqual(rejects, tt.wantRejects) {
					t.Errorf("rejects = %+v, want %+v", rejects, tt.wantRejects)
				}
				if !reflect.DeepEqual(norm, tt.wantNorm) {
					t.Errorf("accepted rows (normalised) = %q, want %q", norm, tt.wantNorm)
				}
			})
		}
	}

	// pyarrow's dataset writer keeps a partition column in the folder names
	// only: partitioned by country, the files lack a required column. Folder
	// names are not read (BRIEF §3), so the first file fails, named.
	t.Run("hive partitioned by a contract column", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		_, files, err := Discover(filepath.Join(out, "companies_by_country"))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) != 5 || files[0].Rel != "country=GB/part-0.parquet" {
			t.Fatalf("Discover files = %+v, want 5 files, country=GB first", files)
		}
		batches, _, err := readBatches(mem, Companies, files, ReaderOptions{})
		releaseAll(batches)
		var fe *FileError
		if !errors.As(err, &fe) || fe.Path != files[0].Path || !strings.Contains(fe.Err.Error(), "country") {
			t.Fatalf("reading = %v, want a *FileError for %s naming the column country", err, files[0].Path)
		}
		if len(batches) != 0 {
			t.Errorf("got %d batches before the error, want 0", len(batches))
		}
	})
}
