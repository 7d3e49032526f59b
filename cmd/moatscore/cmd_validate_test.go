package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"moatscore/data"
	"moatscore/data/synth"
)

// generate writes a small synthetic dataset for the test clock's run date.
func generate(t *testing.T, companies int, seed int64, badRows float64) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	_, err := synth.Generate(context.Background(), synth.Options{
		Out: dir, Companies: companies, Seed: seed, BadRows: badRows, RunDate: testNow, Workers: 1,
	}, data.DefaultReference(), nil)
	if err != nil {
		t.Fatalf("synth.Generate: %v", err)
	}
	return dir
}

func TestValidate(t *testing.T) {
	dir := generate(t, 300, 7, 0.05)
	rejects := filepath.Join(t.TempDir(), "rejects.parquet")
	r := run(t, "validate", "--input", dir, "--rejects", rejects)
	if r.code != exitQuality {
		t.Fatalf("validate: exit %d, want %d; stderr %q", r.code, exitQuality, r.stderr)
	}
	checkGolden(t, "validate.txt", strings.ReplaceAll(r.stdout, rejects, "REJECTS"))
	if !strings.Contains(messages(r.stderr), "companies: ") || !strings.Contains(messages(r.stderr), "rows rejected") {
		t.Errorf("stderr %q, want the tables with rejected rows", r.stderr)
	}

	// The summary agrees with what the generator says a validator must count.
	jr := run(t, "validate", "--input", dir, "--format", "json")
	var got validateJSON
	if err := json.Unmarshal([]byte(jr.stdout), &got); err != nil {
		t.Fatalf("validate --format json: %v\n%s", err, jr.stdout)
	}
	want, err := synth.ReadExpected(filepath.Join(dir, synth.ExpectedFile))
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range want.Tables {
		g := got.Tables[i]
		if g.Table != w.Table || g.RowsIn != w.Rows || g.Accepted != w.Accepted || g.Rejected != w.Rejected ||
			!mapsEqual(g.ByReason, w.ByReason) || !mapsEqual(g.Warnings, w.Warnings) {
			t.Errorf("table %d = %+v, want %+v", i, g, w)
		}
		if g.RowsIn != g.Accepted+g.Rejected {
			t.Errorf("%s: rows in %d != accepted %d + rejected %d", g.Table, g.RowsIn, g.Accepted, g.Rejected)
		}
	}

	// The rejects file lists exactly the rows of _bad_rows.csv.
	if gotRows, wantRows := readRejects(t, rejects), readBadRows(t, filepath.Join(dir, synth.BadRowsFile)); !slices.Equal(gotRows, wantRows) {
		t.Errorf("rejects file has %d rows, _bad_rows.csv %d; first differences:\n%s", len(gotRows), len(wantRows), firstDiff(gotRows, wantRows))
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(rejects), ".rejects.parquet.tmp-*")); len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

func mapsEqual(a, b map[string]int64) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}

// readRejects returns "table file row reason" for each record of a rejects
// file, sorted.
func readRejects(t *testing.T, path string) []string {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatalf("open rejects: %v", err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, mem)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	tr := array.NewTableReader(tbl, 1<<20)
	defer tr.Release()
	col := func(name string) int {
		idx := tbl.Schema().FieldIndices(name)
		if len(idx) != 1 {
			t.Fatalf("rejects file has no column %s", name)
		}
		return idx[0]
	}
	ct, cf, cr, cc := col("table_name"), col("file_path"), col("row_index"), col("reason_code")
	var out []string
	for tr.Next() {
		rec := tr.Record()
		str := func(c, i int) string { return rec.Column(c).ValueStr(i) }
		for i := range int(rec.NumRows()) {
			out = append(out, fmt.Sprintf("%s %s %s %s", str(ct, i), str(cf, i), str(cr, i), str(cc, i)))
		}
	}
	slices.Sort(out)
	return out
}

// readBadRows returns "table file row reason" for each row of _bad_rows.csv, sorted.
func readBadRows(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs[1:] { // header: table_name,file_path,row_index,reason_code,...
		out = append(out, strings.Join(r[:4], " "))
	}
	slices.Sort(out)
	return out
}

func firstDiff(got, want []string) string {
	var b strings.Builder
	n := 0
	for _, g := range got {
		if _, ok := slices.BinarySearch(want, g); !ok && n < 5 {
			fmt.Fprintf(&b, "  only in rejects: %s\n", g)
			n++
		}
	}
	for _, w := range want {
		if _, ok := slices.BinarySearch(got, w); !ok && n < 10 {
			fmt.Fprintf(&b, "  only in _bad_rows.csv: %s\n", w)
			n++
		}
	}
	return b.String()
}

func TestValidateClean(t *testing.T) {
	dir := generate(t, 50, 3, 0)
	// One flag per table, as a scheduler might pass them.
	r := run(t, "validate",
		"--input-companies", filepath.Join(dir, "companies"),
		"--input-model-usage", filepath.Join(dir, "model_usage", "*.parquet"),
		"--input-data-assets", filepath.Join(dir, "data_assets"),
		"--input-funding-rounds", filepath.Join(dir, "**", "funding_rounds", "*.parquet"))
	if r.code != exitOK {
		t.Fatalf("validate: exit %d, want 0; stderr %q", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "All ") || !strings.Contains(r.stdout, " rows accepted.") {
		t.Errorf("stdout %q, want every row accepted", r.stdout)
	}
}

func TestValidateFailures(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name     string
		ctx      context.Context
		setup    func(t *testing.T, dir string)
		wantCode int
		wantErr  string
	}{
		{
			name: "a file that is not Parquet",
			setup: func(t *testing.T, dir string) {
				writeFile(t, dir, "funding_rounds/part-99999.parquet", "this is not parquet")
			},
			wantCode: exitFailure,
			wantErr:  "part-99999.parquet",
		},
		{
			name:     "a table folder missing",
			setup:    func(t *testing.T, dir string) { os.RemoveAll(filepath.Join(dir, "data_assets")) },
			wantCode: exitFailure,
			wantErr:  "data_assets",
		},
		{
			name: "a bad reference file",
			setup: func(t *testing.T, dir string) {
				writeFile(t, dir, "moatscore.yaml", "reference:\n  domains: domains.csv\n")
				writeFile(t, dir, "domains.csv", "id,oops\nx,y\n")
			},
			wantCode: exitUsage,
			wantErr:  "domains.csv",
		},
		{
			name:     "interrupted",
			ctx:      canceled,
			setup:    func(t *testing.T, dir string) {},
			wantCode: exitFailure,
			wantErr:  "interrupted",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := generate(t, 20, 1, 0)
			tc.setup(t, dir)
			rejects := filepath.Join(t.TempDir(), "rejects.parquet")
			inv := invocation{ctx: tc.ctx, wd: dir}
			r := inv.run(t, "validate", "--input", dir, "--rejects", rejects)
			if r.code != tc.wantCode {
				t.Errorf("exit %d, want %d; stderr %q", r.code, tc.wantCode, r.stderr)
			}
			if !strings.Contains(messages(r.stderr), tc.wantErr) {
				t.Errorf("stderr %q, want it to name %q", r.stderr, tc.wantErr)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want no summary", r.stdout)
			}
			if entries, _ := os.ReadDir(filepath.Dir(rejects)); len(entries) > 0 {
				t.Errorf("files left beside the rejects path: %v", entries)
			}
		})
	}
}
