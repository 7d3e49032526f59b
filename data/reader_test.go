package data

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// rcol is a column of a test file: a name, an Arrow type and the values as
// JSON (as array.FromJSON reads them).
type rcol struct {
	name string
	dt   arrow.DataType
	json string
}

// testFileOptions tune how a test file is written.
type testFileOptions struct {
	rowGroupRows int64 // rows per row group; 0: one row group
	codec        compress.Compression
	pageSize     int64 // data page size; 0: the writer's default
	noDict       bool
}

// writeTestFile writes cols as a Parquet file at path, with the Arrow
// schema stored so that types like large_string and time zones read back.
func writeTestFile(t testing.TB, path string, cols []rcol, o testFileOptions) {
	t.Helper()
	mem := memory.NewGoAllocator()
	fields := make([]arrow.Field, len(cols))
	arrs := make([]arrow.Array, len(cols))
	for i, c := range cols {
		a, _, err := array.FromJSON(mem, c.dt, strings.NewReader(c.json))
		if err != nil {
			t.Fatalf("column %s: FromJSON(%s): %v", c.name, c.json, err)
		}
		defer a.Release()
		fields[i] = arrow.Field{Name: c.name, Type: c.dt, Nullable: true}
		arrs[i] = a
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, -1)
	defer rec.Release()
	tbl := array.NewTableFromRecords(rec.Schema(), []arrow.RecordBatch{rec})
	defer tbl.Release()
	props := []parquet.WriterProperty{parquet.WithAllocator(mem), parquet.WithCompression(o.codec)}
	if o.pageSize > 0 {
		props = append(props, parquet.WithDataPageSize(o.pageSize))
	}
	if o.noDict {
		props = append(props, parquet.WithDictionaryDefault(false))
	}
	rows := o.rowGroupRows
	if rows <= 0 {
		rows = max(rec.NumRows(), 1)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	err = pqarrow.WriteTable(tbl, f, rows, parquet.NewWriterProperties(props...),
		pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		t.Fatalf("writing %s: %v", path, err)
	}
}

// testFiles turns paths under dir into Files as Discover lists them.
func testFiles(t testing.TB, dir string, names ...string) []File {
	t.Helper()
	var files []File
	for _, n := range names {
		p := filepath.Join(dir, n)
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, File{Path: p, Rel: n, Size: info.Size()})
	}
	return files
}

// readBatches reads every batch; the caller releases them.
func readBatches(mem memory.Allocator, tbl *Table, files []File, opts ReaderOptions) ([]*Batch, []string, error) {
	r := NewReader(mem, tbl, files, opts)
	defer r.Close()
	var out []*Batch
	for r.Next() {
		out = append(out, r.Batch())
	}
	return out, r.Ignored(), r.Err()
}

func releaseAll(bs []*Batch) {
	for _, b := range bs {
		b.Release()
	}
}

// columnJSON renders a column of a record as normalised JSON.
func columnJSON(t testing.TB, rec arrow.Record, name string) string {
	t.Helper()
	idx := rec.Schema().FieldIndices(name)
	if len(idx) != 1 {
		t.Fatalf("record has no column %q", name)
	}
	b, err := json.Marshal(rec.Column(idx[0]))
	if err != nil {
		t.Fatal(err)
	}
	return normJSON(t, string(b))
}

func normJSON(t testing.TB, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad JSON %s: %v", s, err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// companiesFile returns the required companies columns for three rows,
// followed by extra.
func companiesFile(extra ...rcol) []rcol {
	return append([]rcol{
		{"company_id", arrow.BinaryTypes.String, `["c1", "c2", "c3"]`},
		{"name", arrow.BinaryTypes.String, `["Acme", "Beta", null]`},
		{"country", arrow.BinaryTypes.String, `["US", "NA", "de"]`},
		{"sector", arrow.BinaryTypes.String, `["fintech", "health", "fintech"]`},
		{"api_dependency_share", arrow.PrimitiveTypes.Float64, `[0.5, 0, 1]`},
	}, extra...)
}

func without(cols []rcol, name string) []rcol {
	return slices.DeleteFunc(slices.Clone(cols), func(c rcol) bool { return c.name == name })
}

func decimal128Type(p, s int32) arrow.DataType { return &arrow.Decimal128Type{Precision: p, Scale: s} }
func decimal256Type(p, s int32) arrow.DataType { return &arrow.Decimal256Type{Precision: p, Scale: s} }
func dictType(idx, val arrow.DataType) arrow.DataType {
	return &arrow.DictionaryType{IndexType: idx, ValueType: val}
}

func TestReaderTypeRules(t *testing.T) {
	type issue struct {
		row                   int
		column, value, reason string
	}
	tests := []struct {
		name        string
		table       *Table
		cols        []rcol
		want        map[string]string // column -> JSON of the canonical values
		wantIssues  []issue
		wantIgnored []string
		wantErr     error
		wantErrText []string // fragments the error message must hold
	}{
		{
			name: "canonical types",
			cols: companiesFile(
				rcol{"employees", arrow.PrimitiveTypes.Int64, `[10, null, 30]`},
				rcol{"as_of", arrow.FixedWidthTypes.Date32, `["2024-01-31", null, "1999-12-31"]`},
			),
			want: map[string]string{
				"company_id":           `["c1","c2","c3"]`,
				"name":                 `["Acme","Beta",null]`,
				"country":              `["US","NA","de"]`,
				"api_dependency_share": `[0.5,0,1]`,
				"employees":            `[10,null,30]`,
				"as_of":                `["2024-01-31",null,"1999-12-31"]`,
			},
		},
		{
			name: "any column order, extra columns ignored",
			cols: []rcol{
				{"zz_notes", arrow.BinaryTypes.String, `["a", "b", "c"]`},
				{"api_dependency_share", arrow.PrimitiveTypes.Float64, `[0.1, 0.2, 0.3]`},
				{"sector", arrow.BinaryTypes.String, `["x", "y", "z"]`},
				{"country", arrow.BinaryTypes.String, `["FR", "DE", "IT"]`},
				{"extra_score", arrow.PrimitiveTypes.Int32, `[1, 2, 3]`},
				{"name", arrow.BinaryTypes.String, `["A", "B", "C"]`},
				{"company_id", arrow.BinaryTypes.String, `["c1", "c2", "c3"]`},
			},
			want: map[string]string{
				"company_id":           `["c1","c2","c3"]`,
				"sector":               `["x","y","z"]`,
				"api_dependency_share": `[0.1,0.2,0.3]`,
			},
			wantIgnored: []string{"f.parquet: zz_notes", "f.parquet: extra_score"},
		},
		{
			name: "narrow integers and float32 widen",
			cols: companiesFile(
				rcol{"employees", arrow.PrimitiveTypes.Int8, `[-128, null, 127]`},
				rcol{"founded_year", arrow.PrimitiveTypes.Uint16, `[1999, 2024, null]`},
				rcol{"revenue_usd", arrow.PrimitiveTypes.Uint32, `[4294967295, 0, 7]`},
				rcol{"gross_margin", arrow.PrimitiveTypes.Float32, `[0.25, -0.5, null]`},
				rcol{"switching_cost_weeks", arrow.PrimitiveTypes.Int16, `[3, null, -2]`},
				rcol{"fallback_parity", arrow.PrimitiveTypes.Uint8, `[1, 0, null]`},
			),
			want: map[string]string{
				"employees":            `[-128,null,127]`,
				"founded_year":         `[1999,2024,null]`,
				"revenue_usd":          `[4294967295,0,7]`,
				"gross_margin":         `[0.25,-0.5,null]`,
				"switching_cost_weeks": `[3,null,-2]`,
				"fallback_parity":      `[1,0,null]`,
			},
		},
		{
			name: "uint64 over the int64 range",
			cols: companiesFile(
				rcol{"employees", arrow.PrimitiveTypes.Uint64, `[9223372036854775807, 18446744073709551615, null]`},
				rcol{"revenue_usd", arrow.PrimitiveTypes.Uint64, `[18446744073709551615, 1, null]`},
			),
			want: map[string]string{
				"employees":   `[9223372036854775807,null,null]`,
				"revenue_usd": `[18446744073709551615,1,null]`,
			},
			wantIssues: []issue{{1, "employees", "18446744073709551615", ReasonOutOfRange}},
		},
		{
			name: "decimals",
			cols: companiesFile(
				rcol{"revenue_usd", decimal128Type(12, 2), `["1234.56", "-0.01", null]`},
				rcol{"employees", decimal128Type(12, 2), `["100.00", "100.50", "-7.00"]`},
				rcol{"founded_year", decimal256Type(40, 0), `["1999", "1000000000000000000000000000000000000000", null]`},
				rcol{"gross_margin", decimal256Type(40, 4), `["0.2500", null, "-1.5000"]`},
			),
			want: map[string]string{
				"revenue_usd":  `[1234.56,-0.01,null]`,
				"employees":    `[100,null,-7]`,
				"founded_year": `[1999,null,null]`,
				"gross_margin": `[0.25,null,-1.5]`,
			},
			wantIssues: []issue{
				{1, "employees", "100.50", ReasonOutOfRange},
				{1, "founded_year", "1000000000000000000000000000000000000000", ReasonOutOfRange},
			},
		},
		{
			name: "floats into an integer column",
			cols: companiesFile(
				rcol{"employees", arrow.PrimitiveTypes.Float64, `[3, 3.5, "NaN"]`},
				rcol{"founded_year", arrow.PrimitiveTypes.Float32, `[2001, null, 1e30]`},
			),
			want: map[string]string{
				"employees":    `[3,null,null]`,
				"founded_year": `[2001,null,null]`,
			},
			wantIssues: []issue{
				{1, "employees", "3.5", ReasonOutOfRange},
				{2, "employees", "NaN", ReasonNotFinite},
				{2, "founded_year", "1.0000000150474662e+30", ReasonOutOfRange},
			},
		},
		{
			name: "dictionary and large strings",
			cols: []rcol{
				{"company_id", arrow.BinaryTypes.LargeString, `["c1", "c2", "c3"]`},
				{"name", arrow.BinaryTypes.Binary, `["QWNtZQ==", null, "Qw=="]`},
				{"country", dictType(arrow.PrimitiveTypes.Int32, arrow.BinaryTypes.String), `["US", "US", null]`},
				{"sector", dictType(arrow.PrimitiveTypes.Int8, arrow.BinaryTypes.String), `["ai", null, "ai"]`},
				{"api_dependency_share", arrow.PrimitiveTypes.Float64, `[0.5, 0, 1]`},
			},
			want: map[string]string{
				"company_id": `["c1","c2","c3"]`,
				"name":       `["Acme",null,"C"]`,
				"country":    `["US","US",null]`,
				"sector":     `["ai",null,"ai"]`,
			},
		},
		{
			name: "integers read as text",
			cols: append(without(companiesFile(), "company_id"),
				rcol{"company_id", arrow.PrimitiveTypes.Int64, `[123, -4, null]`}),
			want: map[string]string{"company_id": `["123","-4",null]`},
		},
		{
			name:  "date64 as a date",
			cols:  companiesFile(rcol{"as_of", arrow.FixedWidthTypes.Date64, `["2024-02-29", null, "1969-07-20"]`}),
			want:  map[string]string{"as_of": `["2024-02-29",null,"1969-07-20"]`},
			table: Companies,
		},
		{
			name: "timestamp in ms with a time zone is the UTC day",
			cols: companiesFile(rcol{"as_of", &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "Europe/Paris"},
				`["2024-03-01T23:30:00Z", "2024-03-01T00:30:00+02:00", null]`}),
			want: map[string]string{"as_of": `["2024-03-01","2024-02-29",null]`},
		},
		{
			name: "timestamp in ns before 1970",
			cols: companiesFile(rcol{"as_of", &arrow.TimestampType{Unit: arrow.Nanosecond},
				`["1969-12-31T23:59:59.999999999", "1970-01-01T00:00:00", "1900-01-01T12:00:00"]`}),
			want: map[string]string{"as_of": `["1969-12-31","1970-01-01","1900-01-01"]`},
		},
		{
			name: "timestamp in seconds beyond the date range",
			cols: companiesFile(rcol{"as_of", &arrow.TimestampType{Unit: arrow.Second},
				`[0, 9000000000000000, null]`}),
			want: map[string]string{"as_of": `["1970-01-01",null,null]`},
			// Parquet has no unit of seconds: the writer stores milliseconds
			wantIssues: []issue{{1, "as_of", "9000000000000000000 ms", ReasonOutOfRange}},
		},
		{
			name: "half floats and columns of type null",
			cols: companiesFile(
				rcol{"gross_margin", arrow.FixedWidthTypes.Float16, `[0.5, null, -1]`},
				rcol{"employees", arrow.FixedWidthTypes.Float16, `[12, 0.5, null]`},
				rcol{"as_of", arrow.Null, `[null, null, null]`},
				rcol{"fallback_parity", arrow.Null, `[null, null, null]`},
			),
			want: map[string]string{
				"gross_margin":    `[0.5,null,-1]`,
				"employees":       `[12,null,null]`,
				"as_of":           `[null,null,null]`,
				"fallback_parity": `[null,null,null]`,
			},
			wantIssues: []issue{{1, "employees", "0.5", ReasonOutOfRange}},
		},
		{
			name: "missing optional columns read as nulls",
			cols: companiesFile(),
			want: map[string]string{
				"fallback_parity": `[null,null,null]`,
				"employees":       `[null,null,null]`,
				"as_of":           `[null,null,null]`,
			},
		},
		{
			name:  "bool column",
			table: DataAssets,
			cols: []rcol{
				{"company_id", arrow.BinaryTypes.String, `["c1", "c1"]`},
				{"asset_id", arrow.BinaryTypes.String, `["a1", "a2"]`},
				{"domain", arrow.BinaryTypes.String, `["finance", "health"]`},
				{"records", arrow.PrimitiveTypes.Uint32, `[10, 20]`},
				{"exclusivity", arrow.BinaryTypes.String, `["owned", "public"]`},
				{"training_rights", arrow.BinaryTypes.String, `["clear", "none"]`},
				{"regulated", arrow.FixedWidthTypes.Boolean, `[true, null]`},
			},
			want: map[string]string{"regulated": `[true,null]`, "records": `[10,20]`, "tokens": `[null,null]`},
		},
		{
			name:        "missing required column",
			cols:        without(without(companiesFile(), "name"), "sector"),
			wantErr:     ErrMissingColumn,
			wantErrText: []string{"f.parquet", `"name"`, `"sector"`},
		},
		{
			name: "text where a number is expected",
			cols: append(without(companiesFile(), "api_dependency_share"),
				rcol{"api_dependency_share", arrow.BinaryTypes.String, `["0.5", "x", null]`}),
			wantErr:     ErrColumnType,
			wantErrText: []string{"f.parquet", `"api_dependency_share"`, "utf8", "float64"},
		},
		{
			name:        "number where a date is expected",
			cols:        companiesFile(rcol{"as_of", arrow.PrimitiveTypes.Int32, `[1, 2, 3]`}),
			wantErr:     ErrColumnType,
			wantErrText: []string{`"as_of"`},
		},
		{
			name:        "a list where a number is expected",
			cols:        companiesFile(rcol{"employees", arrow.ListOf(arrow.PrimitiveTypes.Int64), `[[1], [], null]`}),
			wantErr:     ErrColumnType,
			wantErrText: []string{`"employees"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			tbl := tt.table
			if tbl == nil {
				tbl = Companies
			}
			dir := t.TempDir()
			writeTestFile(t, filepath.Join(dir, "f.parquet"), tt.cols, testFileOptions{})
			batches, ignored, err := readBatches(mem, tbl, testFiles(t, dir, "f.parquet"), ReaderOptions{})
			defer releaseAll(batches)
			if tt.wantErr != nil {
				var fe *FileError
				if !errors.Is(err, tt.wantErr) || !errors.As(err, &fe) {
					t.Fatalf("Err() = %v, want a *FileError wrapping %v", err, tt.wantErr)
				}
				for _, frag := range tt.wantErrText {
					if !strings.Contains(err.Error(), frag) {
						t.Errorf("Err() = %q, want it to mention %s", err, frag)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Err() = %v", err)
			}
			if len(batches) != 1 {
				t.Fatalf("got %d batches, want 1", len(batches))
			}
			b := batches[0]
			if !b.Record.Schema().Equal(tbl.ArrowSchema()) {
				t.Errorf("schema = %v, want %v", b.Record.Schema(), tbl.ArrowSchema())
			}
			for col, want := range tt.want {
				if got := columnJSON(t, b.Record, col); got != normJSON(t, want) {
					t.Errorf("column %s = %s, want %s", col, got, normJSON(t, want))
				}
			}
			var got []issue
			for _, is := range b.Issues {
				got = append(got, issue{is.Row, is.Column, is.Value, is.Reason})
				if is.Message == "" {
					t.Errorf("issue %+v has no message", is)
				}
			}
			if !reflect.DeepEqual(got, tt.wantIssues) {
				t.Errorf("issues = %+v, want %+v", got, tt.wantIssues)
			}
			if !reflect.DeepEqual(ignored, tt.wantIgnored) {
				t.Errorf("Ignored() = %q, want %q", ignored, tt.wantIgnored)
			}
		})
	}
}

// TestReaderManyFiles reads files whose physical types and column order
// differ, in small batches over several row groups and workers: batches
// come in file order then row order, with the right offsets.
func TestReaderManyFiles(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	const perFile = 23
	ids := func(file string) string {
		var s []string
		for i := range perFile {
			s = append(s, fmt.Sprintf("%q", fmt.Sprintf("%s-%02d", file, i)))
		}
		return "[" + strings.Join(s, ",") + "]"
	}
	nums := func() string {
		var s []string
		for i := range perFile {
			s = append(s, fmt.Sprint(i))
		}
		return "[" + strings.Join(s, ",") + "]"
	}
	strs := func(v string) string { return "[" + strings.TrimSuffix(strings.Repeat(`"`+v+`",`, perFile), ",") + "]" }
	writeTestFile(t, filepath.Join(dir, "a.parquet"), []rcol{
		{"company_id", arrow.BinaryTypes.String, ids("a")},
		{"name", arrow.BinaryTypes.String, strs("n")},
		{"country", arrow.BinaryTypes.String, strs("US")},
		{"sector", arrow.BinaryTypes.String, strs("ai")},
		{"api_dependency_share", arrow.PrimitiveTypes.Float32, nums()},
		{"employees", arrow.PrimitiveTypes.Int16, nums()},
	}, testFileOptions{rowGroupRows: 5})
	writeTestFile(t, filepath.Join(dir, "b.parquet"), []rcol{
		{"employees", decimal128Type(9, 0), nums()},
		{"api_dependency_share", arrow.PrimitiveTypes.Int64, nums()},
		{"sector", dictType(arrow.PrimitiveTypes.Int16, arrow.BinaryTypes.String), strs("bio")},
		{"country", arrow.BinaryTypes.LargeString, strs("FR")},
		{"name", arrow.BinaryTypes.LargeString, strs("m")},
		{"company_id", arrow.BinaryTypes.String, ids("b")},
	}, testFileOptions{rowGroupRows: 7, codec: compress.Codecs.Snappy})
	writeTestFile(t, filepath.Join(dir, "c.parquet"), companiesFile(), testFileOptions{})
	files := testFiles(t, dir, "a.parquet", "b.parquet", "c.parquet")

	for _, opts := range []ReaderOptions{{BatchSize: 3, Workers: 3}, {BatchSize: 4, Workers: 1}, {}} {
		t.Run(fmt.Sprintf("batch %d workers %d", opts.BatchSize, opts.Workers), func(t *testing.T) {
			batches, _, err := readBatches(mem, Companies, files, opts)
			defer releaseAll(batches)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			next := map[int]int64{}
			for _, b := range batches {
				if b.Offset != next[b.FileIndex] {
					t.Errorf("file %d: batch at offset %d, want %d", b.FileIndex, b.Offset, next[b.FileIndex])
				}
				if b.File != &files[b.FileIndex] && b.File.Path != files[b.FileIndex].Path {
					t.Errorf("batch of file %d names %s", b.FileIndex, b.File.Path)
				}
				next[b.FileIndex] += b.Record.NumRows()
				ids := b.Record.Column(0).(*array.String)
				emp := b.Record.Column(5).(*array.Int64)
				for i := range ids.Len() {
					got = append(got, ids.Value(i))
					if b.FileIndex < 2 && emp.Value(i) != b.Offset+int64(i) {
						t.Errorf("%s: employees = %d, want the row index %d", ids.Value(i), emp.Value(i), b.Offset+int64(i))
					}
				}
			}
			var want []string
			for _, f := range []string{"a", "b"} {
				for i := range perFile {
					want = append(want, fmt.Sprintf("%s-%02d", f, i))
				}
			}
			want = append(want, "c1", "c2", "c3")
			if !slices.Equal(got, want) {
				t.Errorf("company ids in order = %q, want %q", got, want)
			}
		})
	}
}

// TestReaderStopsAtFailingFile: batches of the files before a bad one
// arrive, then the error names the bad file.
func TestReaderStopsAtFailingFile(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, "a.parquet"), companiesFile(), testFileOptions{})
	writeTestFile(t, filepath.Join(dir, "b.parquet"), without(companiesFile(), "country"), testFileOptions{})
	writeTestFile(t, filepath.Join(dir, "c.parquet"), companiesFile(), testFileOptions{})
	files := testFiles(t, dir, "a.parquet", "b.parquet", "c.parquet")
	batches, _, err := readBatches(mem, Companies, files, ReaderOptions{})
	defer releaseAll(batches)
	var fe *FileError
	if !errors.As(err, &fe) || fe.Path != files[1].Path || !errors.Is(err, ErrMissingColumn) {
		t.Fatalf("Err() = %v, want a *FileError for %s with ErrMissingColumn", err, files[1].Path)
	}
	if len(batches) != 1 || batches[0].FileIndex != 0 {
		t.Errorf("got %d batches before the error, want the one of a.parquet", len(batches))
	}
}

// TestReaderClose: closing after one batch of many releases everything
// decoded ahead.
func TestReaderClose(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	var names []string
	for i := range 6 {
		n := fmt.Sprintf("p%d.parquet", i)
		writeTestFile(t, filepath.Join(dir, n), companiesFile(), testFileOptions{rowGroupRows: 1})
		names = append(names, n)
	}
	for _, stopAfter := range []int{0, 1, 5} {
		r := NewReader(mem, Companies, testFiles(t, dir, names...), ReaderOptions{BatchSize: 1, Workers: 2})
		for i := 0; i < stopAfter && r.Next(); i++ {
			r.Batch().Release()
		}
		r.Close()
		if r.Next() {
			t.Errorf("Next() after Close = true")
		}
	}
}

// TestReaderBadFiles: files that cannot be read end in a *FileError that
// names them, never in a panic.
func TestReaderBadFiles(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.parquet")
	writeTestFile(t, good, companiesFile(), testFileOptions{codec: compress.Codecs.Snappy})
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.parquet")
	var ids []string
	for i := range 5000 {
		ids = append(ids, fmt.Sprintf(`"company-%06d"`, i))
	}
	writeTestFile(t, big, []rcol{
		{"company_id", arrow.BinaryTypes.String, "[" + strings.Join(ids, ",") + "]"},
	}, testFileOptions{noDict: true, pageSize: 1 << 20})

	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// corrupt: the first data page's bytes overwritten, the footer intact
	corrupt := slices.Clone(raw)
	for i := 8; i < 60 && i < len(corrupt); i++ {
		corrupt[i] = 0xff
	}
	fifo := filepath.Join(dir, "fifo.parquet")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		table   *Table
		opts    ReaderOptions
		wantErr error  // nil: any *FileError
		wantMsg string // a fragment of the message
	}{
		{name: "not parquet", path: write("notes.txt", []byte("company_id,name\nc1,Acme\n")), wantErr: ErrNotParquet},
		{name: "empty", path: write("empty.parquet", nil), wantErr: ErrNotParquet},
		{name: "truncated", path: write("truncated.parquet", raw[:len(raw)/2]), wantErr: ErrNotParquet, wantMsg: "truncated"},
		{name: "footer cut", path: write("cut.parquet", append(slices.Clone(raw[:len(raw)-40]), raw[len(raw)-4:]...))},
		{name: "corrupt page", path: write("corrupt.parquet", corrupt)},
		{name: "a FIFO", path: fifo, wantErr: ErrNotParquet, wantMsg: "not a regular file"},
		{name: "page over the size limit", path: big, table: &Table{Name: "t", Columns: []Column{{Name: "company_id", Kind: String, Required: true}}},
			opts: ReaderOptions{MaxPageSize: 4096}, wantMsg: "exceeds configured limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			tbl := tt.table
			if tbl == nil {
				tbl = Companies
			}
			info, _ := os.Stat(tt.path)
			files := []File{{Path: tt.path, Rel: filepath.Base(tt.path), Size: info.Size()}}
			batches, _, err := readBatches(mem, tbl, files, tt.opts)
			releaseAll(batches)
			var fe *FileError
			if !errors.As(err, &fe) || fe.Path != tt.path || !strings.HasPrefix(err.Error(), tt.path+": ") {
				t.Fatalf("Err() = %v, want a *FileError naming %s", err, tt.path)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Err() = %v, want it to wrap %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Err() = %v, want it to mention %q", err, tt.wantMsg)
			}
		})
	}
}

// TestReaderCorpusFailures reads parquet-testing files that break the
// decoder (a panic on an unknown logical type, Hadoop-framed LZ4, INT96
// out of range) through the contract reader: each is a *FileError.
func TestReaderCorpusFailures(t *testing.T) {
	dir := corpusDir(t)
	// a one-column table matching a column of each file, so that decoding
	// gets past the schema check
	tests := []struct {
		file    string
		column  Column
		wantErr error
		wantMsg string
	}{
		{"data/unknown-logical-type.parquet", Column{Name: "column with known type", Kind: String}, ErrDecoderPanic, "decoder panic"},
		{"data/hadoop_lz4_compressed.parquet", Column{Name: "c0", Kind: Int64}, nil, "LZ4"},
		{"data/int96_from_spark.parquet", Column{Name: "a", Kind: Date}, nil, "INT96"},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			path := filepath.Join(dir, tt.file)
			tbl := &Table{Name: "t", Columns: []Column{tt.column}}
			info, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = readBatches(memory.NewGoAllocator(), tbl, []File{{Path: path, Rel: filepath.Base(path), Size: info.Size()}}, ReaderOptions{})
			var fe *FileError
			if !errors.As(err, &fe) || fe.Path != path {
				t.Fatalf("Err() = %v, want a *FileError naming %s", err, path)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Err() = %v, want it to wrap %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Err() = %v, want it to mention %q", err, tt.wantMsg)
			}
		})
	}
}

func TestSafely(t *testing.T) {
	err := safely("x.parquet", func() error { panic("boom") })
	var fe *FileError
	if !errors.As(err, &fe) || !errors.Is(err, ErrDecoderPanic) || err.Error() != "x.parquet: decoder panic: boom" {
		t.Errorf("safely(panic) = %v, want x.parquet: decoder panic: boom", err)
	}
	if err := safely("x", func() error { return nil }); err != nil {
		t.Errorf("safely(ok) = %v", err)
	}
}

// TestDecompressionBomb: a page whose compressed stream holds far more
// than its header declares fails, for every codec, without being
// decompressed in full.
func TestDecompressionBomb(t *testing.T) {
	// 64 MiB of zeros: the bound below leaves room for a decoder's own
	// window (up to 16 MiB for Brotli), not for the decoded data
	const size = 64 << 20
	zeros := make([]byte, size)
	small := []byte("hello, page")
	for _, codec := range []compress.Compression{
		compress.Codecs.Zstd, compress.Codecs.Snappy, compress.Codecs.Gzip,
		compress.Codecs.Brotli, compress.Codecs.Lz4Raw,
	} {
		c, err := compress.GetCodec(codec)
		if err != nil {
			t.Fatal(err)
		}
		bomb := c.EncodeLevel(nil, zeros, 1)
		if len(bomb) > size/10 {
			t.Fatalf("%s: %d bytes of zeros compress to %d bytes", codec, size, len(bomb))
		}
		for _, tt := range []struct {
			name    string
			src     []byte
			dst     int
			wantErr bool
		}{
			{"declared size matches", c.Encode(nil, small), len(small), false},
			{"stream larger than declared", bomb, 4096, true},
		} {
			t.Run(codec.String()+"/"+tt.name, func(t *testing.T) {
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				out, err := compress.Decode(c, make([]byte, tt.dst), tt.src)
				runtime.ReadMemStats(&after)
				if (err != nil) != tt.wantErr {
					t.Fatalf("Decode() error = %v, want error %v", err, tt.wantErr)
				}
				if !tt.wantErr && string(out) != string(small) {
					t.Errorf("Decode() = %q, want %q", out, small)
				}
				if grown := after.TotalAlloc - before.TotalAlloc; grown > size/2 {
					t.Errorf("Decode() allocated %d bytes for a page of %d", grown, tt.dst)
				}
			})
		}
	}
}

// TestSnappyEmptyBody: a page compressed to nothing (a V2 page holding
// only levels, as some writers make them) decodes to nothing instead of
// failing as an invalid Snappy stream.
func TestSnappyEmptyBody(t *testing.T) {
	c, err := compress.GetCodec(compress.Codecs.Snappy)
	if err != nil {
		t.Fatal(err)
	}
	out, err := compress.Decode(c, make([]byte, 0), nil)
	if err != nil || len(out) != 0 {
		t.Errorf("Decode(empty) = %q, %v; want nothing, no error", out, err)
	}
}
