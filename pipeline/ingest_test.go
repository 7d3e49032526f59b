package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"moatscore/data"
)

// row is one input row by column name; a missing column is null.
type row map[string]any

// writeTable writes rows as a Parquet file with the given columns: contract
// columns take their canonical type, other columns are strings.
func writeTable(t *testing.T, path string, table *data.Table, cols []string, rows []row) {
	t.Helper()
	fields := make([]arrow.Field, len(cols))
	for i, name := range cols {
		typ := arrow.DataType(arrow.BinaryTypes.String)
		if c, _ := table.Column(name); c != nil {
			typ = c.Kind.ArrowType()
		}
		fields[i] = arrow.Field{Name: name, Type: typ, Nullable: true}
	}
	schema := arrow.NewSchema(fields, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for _, r := range rows {
		for i, name := range cols {
			v, ok := r[name]
			fb := b.Field(i)
			if !ok || v == nil {
				fb.AppendNull()
				continue
			}
			switch fb := fb.(type) {
			case *array.StringBuilder:
				fb.Append(v.(string))
			case *array.Int64Builder:
				fb.Append(int64(v.(int)))
			case *array.Float64Builder:
				fb.Append(v.(float64))
			case *array.Date32Builder:
				d, err := time.Parse(time.DateOnly, v.(string))
				if err != nil {
					t.Fatal(err)
				}
				fb.Append(arrow.Date32FromTime(d))
			case *array.BooleanBuilder:
				fb.Append(v.(bool))
			default:
				t.Fatalf("column %s: unsupported builder %T", name, fb)
			}
		}
	}
	rec := b.NewRecord()
	defer rec.Release()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := pqarrow.NewFileWriter(schema, f, nil, pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

var testRunDate = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

// writeSmallDataset writes a dataset of a few rows with one case of each
// kind of trouble Ingest must account for, and returns its folder.
func writeSmallDataset(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	company := func(id, country string) row {
		return row{"company_id": id, "name": "Co " + id, "country": country, "sector": "Fintech", "api_dependency_share": 0.5}
	}
	cc := []string{"company_id", "name", "country", "sector", "api_dependency_share"}
	writeTable(t, filepath.Join(dir, "companies", "part-0.parquet"), data.Companies, cc, []row{
		company("c1", "US"), company("c2", "de"), company("c3", "XX"),
	})
	c4 := company("c4", "NA")
	c4["notes"] = "extra column"
	writeTable(t, filepath.Join(dir, "companies", "part-1.parquet"), data.Companies, append(cc, "notes"), []row{
		company("c1", "FR"), c4,
	})
	usage := func(id, provider string, model any, share float64, access string) row {
		return row{"company_id": id, "provider": provider, "model": model, "workload_share": share, "access": access}
	}
	writeTable(t, filepath.Join(dir, "model_usage", "usage.parquet"), data.ModelUsage,
		[]string{"company_id", "provider", "model", "workload_share", "access"}, []row{
			usage("c1", "openai", "gpt-4o", 0.7, "api"),
			usage("c1", "anthropic", "claude-3-5-sonnet", 0.6, "API"),
			usage("c2", "acme-ai", nil, 0.5, "api"),
			usage("c3", "openai", "gpt-4o", 0.5, "api"),
			usage("c9", "openai", "gpt-4o", 0.5, "api"),
			usage("c2", "mistral", "mistral-large", 1.5, "self_hosted"),
		})
	writeTable(t, filepath.Join(dir, "data_assets", "assets.parquet"), data.DataAssets,
		[]string{"company_id", "asset_id", "domain", "records", "exclusivity", "training_rights"}, []row{
			{"company_id": "c1", "asset_id": "a1", "domain": "finance", "records": 1000, "exclusivity": "owned", "training_rights": "clear"},
			{"company_id": "c2", "asset_id": "a1", "domain": "health", "records": 10, "exclusivity": "public", "training_rights": "nope"},
		})
	writeTable(t, filepath.Join(dir, "funding_rounds", "rounds.parquet"), data.FundingRounds,
		[]string{"company_id", "round_id", "announced_on", "stage"}, []row{
			{"company_id": "c1", "round_id": "r1", "announced_on": "2024-01-01", "stage": "Seed"},
			{"company_id": "c1", "round_id": "r1", "announced_on": "2024-02-01", "stage": "seed"},
			{"company_id": "c4", "round_id": "r1", "announced_on": "1800-01-01", "stage": "seed"},
		})
	return dir
}

// collectRejects is a RejectSink that keeps what it is given.
type collectRejects struct{ rs []data.Reject }

func (c *collectRejects) Write(rs []data.Reject) error {
	c.rs = append(c.rs, rs...)
	return nil
}

func TestIngest(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := writeSmallDataset(t)

	sink := &collectRejects{}
	var mu sync.Mutex
	companies := 0
	childRows := map[string]int{}
	sum, err := Ingest(context.Background(), mem, IngestOptions{
		Input:   InputConfig{Dir: dir},
		RunDate: testRunDate,
		Rejects: sink,
		OnCompanies: func(b *data.Batch, c *data.Checked) error {
			companies += len(c.Accepted)
			return nil
		},
		OnChild: func(tb *data.Table, b *data.Batch, c *data.Checked) error {
			mu.Lock()
			defer mu.Unlock()
			childRows[tb.Name] += len(c.Accepted)
			if len(c.Company) != len(c.Accepted) {
				return fmt.Errorf("%s: %d company indices for %d accepted rows", tb.Name, len(c.Company), len(c.Accepted))
			}
			return nil
		},
	})
	if err != nil {
		t.Fatalf("Ingest: %v", err)
	}

	want := []data.Accounting{
		{Table: "companies", RowsIn: 5, Accepted: 3, Rejected: 2,
			ByReason: map[string]int64{"bad_country": 1, "duplicate_key": 1}, Warnings: map[string]int64{}},
		{Table: "model_usage", RowsIn: 6, Accepted: 3, Rejected: 3,
			ByReason: map[string]int64{"parent_rejected": 1, "unknown_company": 1, "out_of_range": 1},
			Warnings: map[string]int64{"unknown_provider": 1, "shares_scaled": 1}},
		{Table: "data_assets", RowsIn: 2, Accepted: 1, Rejected: 1,
			ByReason: map[string]int64{"unknown_value": 1}, Warnings: map[string]int64{}},
		{Table: "funding_rounds", RowsIn: 3, Accepted: 1, Rejected: 2,
			ByReason: map[string]int64{"duplicate_key": 1, "bad_date": 1}, Warnings: map[string]int64{}},
	}
	for i, w := range want {
		got := sum.Tables[i].Accounting
		if !reflect.DeepEqual(got, w) {
			t.Errorf("accounting %s = %+v, want %+v", w.Table, got, w)
		}
	}
	if companies != 3 {
		t.Errorf("OnCompanies saw %d accepted rows, want 3", companies)
	}
	wantChild := map[string]int{"model_usage": 3, "data_assets": 1, "funding_rounds": 1}
	if !reflect.DeepEqual(childRows, wantChild) {
		t.Errorf("OnChild saw %v accepted rows, want %v", childRows, wantChild)
	}
	if n := sum.Companies.Len(); n != 3 {
		t.Errorf("Companies.Len() = %d, want 3", n)
	}
	if got := sum.Table("companies").Ignored; len(got) != 1 {
		t.Errorf("companies ignored columns = %q, want the notes column", got)
	}
	if got := len(sum.Table("companies").Files); got != 2 {
		t.Errorf("companies files = %d, want 2", got)
	}
	rowsIn, accepted, rejected := sum.Totals()
	if rowsIn != 16 || accepted != 8 || rejected != 8 {
		t.Errorf("Totals() = %d, %d, %d, want 16, 8, 8", rowsIn, accepted, rejected)
	}

	type rj struct {
		table, file string
		row         int64
		reason      string
	}
	var got []rj
	for _, r := range sink.rs {
		got = append(got, rj{r.Table, r.File, r.Row, r.Reason})
	}
	slices.SortFunc(got, func(a, b rj) int {
		return cmpAll(a.table, b.table, a.file, b.file, fmt.Sprint(a.row), fmt.Sprint(b.row))
	})
	wantRj := []rj{
		{"companies", "part-0.parquet", 2, "bad_country"},
		{"companies", "part-1.parquet", 0, "duplicate_key"},
		{"data_assets", "assets.parquet", 1, "unknown_value"},
		{"funding_rounds", "rounds.parquet", 1, "duplicate_key"},
		{"funding_rounds", "rounds.parquet", 2, "bad_date"},
		{"model_usage", "usage.parquet", 3, "parent_rejected"},
		{"model_usage", "usage.parquet", 4, "unknown_company"},
		{"model_usage", "usage.parquet", 5, "out_of_range"},
	}
	if !reflect.DeepEqual(got, wantRj) {
		t.Errorf("rejects =\n%v\nwant\n%v", got, wantRj)
	}
}

func cmpAll(pairs ...string) int {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i] != pairs[i+1] {
			if pairs[i] < pairs[i+1] {
				return -1
			}
			return 1
		}
	}
	return 0
}

var errDisk = errors.New("disk full")

func TestIngestErrors(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		setup   func(dir string) InputConfig
		onChild func(t *data.Table, b *data.Batch, c *data.Checked) error
		wantErr func(error) bool
		wantMsg string
	}{
		{
			name: "companies file not parquet",
			ctx:  context.Background(),
			setup: func(dir string) InputConfig {
				os.WriteFile(filepath.Join(dir, "companies", "zz.parquet"), []byte("not parquet at all"), 0o644)
				return InputConfig{Dir: dir}
			},
			wantErr: func(err error) bool { var fe *data.FileError; return errors.As(err, &fe) },
			wantMsg: "zz.parquet",
		},
		{
			name: "child file not parquet",
			ctx:  context.Background(),
			setup: func(dir string) InputConfig {
				os.WriteFile(filepath.Join(dir, "data_assets", "zz.parquet"), []byte("PAR1 truncated"), 0o644)
				return InputConfig{Dir: dir}
			},
			wantErr: func(err error) bool { var fe *data.FileError; return errors.As(err, &fe) },
			wantMsg: "zz.parquet",
		},
		{
			name: "missing dataset",
			ctx:  context.Background(),
			setup: func(dir string) InputConfig {
				return InputConfig{Dir: dir, FundingRounds: filepath.Join(dir, "nowhere")}
			},
			wantErr: func(err error) bool { return err != nil },
			wantMsg: "nowhere",
		},
		{
			name:    "no spec for a table",
			ctx:     context.Background(),
			setup:   func(dir string) InputConfig { return InputConfig{Companies: filepath.Join(dir, "companies")} },
			wantErr: func(err error) bool { var ce *ConfigError; return errors.As(err, &ce) && ce.Key == "input.model_usage" },
			wantMsg: "input.model_usage",
		},
		{
			name:  "a callback fails",
			ctx:   context.Background(),
			setup: func(dir string) InputConfig { return InputConfig{Dir: dir} },
			onChild: func(t *data.Table, b *data.Batch, c *data.Checked) error {
				if t.Name == data.TableDataAssets {
					return errDisk
				}
				return nil
			},
			wantErr: func(err error) bool { return errors.Is(err, errDisk) },
			wantMsg: "read data_assets: disk full",
		},
		{
			name:  "a callback panics",
			ctx:   context.Background(),
			setup: func(dir string) InputConfig { return InputConfig{Dir: dir} },
			onChild: func(t *data.Table, b *data.Batch, c *data.Checked) error {
				if t.Name == data.TableFundingRounds {
					panic("boom")
				}
				return nil
			},
			wantErr: func(err error) bool { return err != nil },
			wantMsg: "read funding_rounds: internal error: boom",
		},
		{
			name:    "canceled",
			ctx:     canceled,
			setup:   func(dir string) InputConfig { return InputConfig{Dir: dir} },
			wantErr: func(err error) bool { return errors.Is(err, context.Canceled) },
			wantMsg: "companies",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			dir := writeSmallDataset(t)
			_, err := Ingest(tc.ctx, mem, IngestOptions{Input: tc.setup(dir), RunDate: testRunDate, OnChild: tc.onChild})
			if err == nil || !tc.wantErr(err) {
				t.Fatalf("Ingest() error = %v (%T), want a different error", err, err)
			}
			if msg := err.Error(); !strings.Contains(msg, tc.wantMsg) {
				t.Errorf("Ingest() error = %q, want it to name %q", msg, tc.wantMsg)
			}
		})
	}
}

func TestCheckRejects(t *testing.T) {
	sum := &IngestSummary{Tables: []TableSummary{
		{Accounting: data.Accounting{Table: "companies", RowsIn: 100, Accepted: 95, Rejected: 5}},
		{Accounting: data.Accounting{Table: "model_usage", RowsIn: 100, Accepted: 90, Rejected: 10}},
		{Accounting: data.Accounting{Table: "data_assets", RowsIn: 0}},
	}}
	tests := []struct {
		name       string
		maxShare   float64
		wantTables []string
	}{
		{"any reject fails", 0, []string{"companies", "model_usage"}},
		{"at the limit passes", 0.05, []string{"model_usage"}},
		{"under the limit", 0.10, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := sum.CheckRejects(tc.maxShare)
			var got []string
			if err != nil {
				for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
					var qe *QualityError
					if !errors.As(e, &qe) {
						t.Fatalf("CheckRejects(%v) error %v is not a *QualityError", tc.maxShare, e)
					}
					got = append(got, qe.Table)
				}
			}
			if !slices.Equal(got, tc.wantTables) {
				t.Errorf("CheckRejects(%v) tables = %v, want %v", tc.maxShare, got, tc.wantTables)
			}
		})
	}
}
