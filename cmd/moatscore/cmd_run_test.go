package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"moatscore/pipeline"
)

// masks hides what changes from run to run or machine to machine in the
// outputs: temporary folders, run ids, durations and build versions.
type masks struct {
	paths map[string]string // path -> placeholder
}

var (
	runIDPattern    = regexp.MustCompile(`\d{8}-\d{6}Z-[0-9a-f]{8}`)
	durationPattern = regexp.MustCompile(`(?m)^\s+(\S+)\s+[0-9.hmsµn]+$`)
)

func (m masks) apply(s string) string {
	keys := make([]string, 0, len(m.paths))
	for k := range m.paths {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return len(keys[i]) > len(keys[j]) })
	for _, k := range keys {
		s = strings.ReplaceAll(s, k, m.paths[k])
	}
	return runIDPattern.ReplaceAllString(s, "RUN_ID")
}

// maskSummary also hides the durations of the closing summary.
func (m masks) maskSummary(s string) string {
	s = m.apply(s)
	head, times, ok := strings.Cut(s, "Time per stage\n")
	if !ok {
		return s
	}
	return head + "Time per stage\n" + durationPattern.ReplaceAllString(times, "  ${1} DURATION")
}

// maskManifest rewrites the volatile values of a manifest.
func (m masks) maskManifest(t *testing.T, b []byte) string {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	doc["started_at"], doc["finished_at"] = "TIME", "TIME"
	if timings, ok := doc["timings"].([]any); ok {
		for _, x := range timings {
			x.(map[string]any)["seconds"] = "SECONDS"
		}
	}
	if v, ok := doc["versions"].(map[string]any); ok {
		for k := range v {
			if k != "model" {
				v[k] = "VERSION"
			}
		}
	}
	if cfg, ok := doc["config"].(map[string]any); ok {
		if in, ok := cfg["input"].(map[string]any); ok && doc["demo"] == true {
			in["dir"] = "DEMO_DIR"
		}
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return m.apply(string(out)) + "\n"
}

// dumpParquet renders the Parquet files of a dataset folder as text: the
// schema with each column's description, the file metadata, the row count,
// the first rows (ordered by orderBy when set) and a digest of every row,
// so that a golden file pins all the values without holding them all.
func dumpParquet(t *testing.T, dir, orderBy string, show int) string {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		pf, err := file.OpenParquetFile(path, false)
		if err != nil {
			t.Fatal(err)
		}
		fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 1 << 16}, mem)
		if err != nil {
			t.Fatal(err)
		}
		tbl, err := fr.ReadTable(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "file %s: %d rows, %d row groups\n", e.Name(), tbl.NumRows(), pf.NumRowGroups())
		kv := pf.MetaData().KeyValueMetadata()
		for i, k := range kv.Keys() {
			switch k {
			case "ARROW:schema", pipeline.MetaColumnDescriptions:
				continue
			}
			fmt.Fprintf(&b, "metadata %s = %s\n", k, kv.Values()[i])
		}
		var descs map[string]string
		if v := kv.FindValue(pipeline.MetaColumnDescriptions); v == nil || json.Unmarshal([]byte(*v), &descs) != nil {
			t.Errorf("%s: no valid %s metadata", path, pipeline.MetaColumnDescriptions)
		}
		sc := tbl.Schema()
		for _, f := range sc.Fields() {
			d, _ := f.Metadata.GetValue("description")
			if d == "" || descs[f.Name] != d {
				t.Errorf("%s: column %s: field description %q, metadata description %q", path, f.Name, d, descs[f.Name])
			}
			fmt.Fprintf(&b, "column %s %s: %s\n", f.Name, f.Type, d)
		}
		rows := make([][]string, tbl.NumRows())
		for c := range int(tbl.NumCols()) {
			r := 0
			for _, ch := range tbl.Column(c).Data().Chunks() {
				for i := range ch.Len() {
					if c == 0 {
						rows[r] = make([]string, tbl.NumCols())
					}
					rows[r][c] = cellText(ch, i)
					r++
				}
			}
		}
		tbl.Release()
		pf.Close()
		if orderBy != "" {
			k := sc.FieldIndices(orderBy)[0]
			sort.SliceStable(rows, func(i, j int) bool {
				a, _ := strconv.Atoi(rows[i][k])
				z, _ := strconv.Atoi(rows[j][k])
				return a < z
			})
		}
		h := sha256.New()
		runID := sc.FieldIndices("run_id")
		for _, r := range rows {
			for c, v := range r {
				if !slices.Contains(runID, c) {
					fmt.Fprint(h, v, "\t")
				}
			}
			fmt.Fprintln(h)
		}
		fmt.Fprintf(&b, "digest of all rows: %s\n", hex.EncodeToString(h.Sum(nil))[:16])
		for _, r := range rows[:min(show, len(rows))] {
			b.WriteString("row")
			for c, v := range r {
				fmt.Fprintf(&b, " %s=%s", sc.Field(c).Name, v)
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// cellText formats a cell for a golden file: floats to 9 significant
// digits, so that the last bits of a platform's math do not matter.
func cellText(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return "null"
	}
	switch v := a.(type) {
	case *array.Float64:
		return strconv.FormatFloat(v.Value(i), 'g', 9, 64)
	case *array.String:
		return strconv.Quote(v.Value(i))
	case *array.Dictionary:
		return cellText(v.Dictionary(), v.GetValueIndex(i))
	}
	return a.ValueStr(i)
}

// runDemo runs the demo into out for a run date and checks it published.
func runDemo(t *testing.T, out, date string) result {
	t.Helper()
	r := run(t, "run", "--out", out, "--run-date", date)
	if r.code != exitOK {
		t.Fatalf("run --run-date %s: exit %d, want 0\nstderr: %s", date, r.code, r.stderr)
	}
	return r
}

func TestRunDemo(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	mk := masks{paths: map[string]string{out: "OUT"}}

	r := runDemo(t, out, "2026-12-01")
	if !strings.Contains(r.stderr, "built-in demo dataset") {
		t.Errorf("stderr does not say the demo is scored:\n%s", r.stderr)
	}
	checkGolden(t, "run_demo_summary.txt", mk.maskSummary(r.stdout))
	manifest, err := os.ReadFile(filepath.Join(out, "runs", "run_date=2026-12-01", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "run_demo_manifest.json", mk.maskManifest(t, manifest))
	checkGolden(t, "run_demo_scores.txt", mk.apply(dumpParquet(t, filepath.Join(out, "scores", "run_date=2026-12-01"), "rank", 10)))
	checkGolden(t, "run_demo_scenarios.txt", mk.apply(dumpParquet(t, filepath.Join(out, "scenarios", "run_date=2026-12-01"), "", 10)))
	checkGolden(t, "run_demo_rejects.txt", mk.apply(dumpParquet(t, filepath.Join(out, "rejects", "run_date=2026-12-01"), "", 5)))

	// A second dated run over the same data: every company is matched, and
	// the trend columns agree with the scores of both runs.
	r2 := runDemo(t, out, "2026-12-02")
	checkGolden(t, "run_demo_day2_summary.txt", mk.maskSummary(r2.stdout))
	day1 := scoreRows(t, filepath.Join(out, "scores", "run_date=2026-12-01"))
	day2 := scoreRows(t, filepath.Join(out, "scores", "run_date=2026-12-02"))
	if len(day1) != len(day2) || len(day1) == 0 {
		t.Fatalf("day 1 has %d companies, day 2 %d", len(day1), len(day2))
	}
	for id, b := range day2 {
		a := day1[id]
		wxc, dmc := b.f("wrapper_exposure")-a.f("wrapper_exposure"), b.f("data_moat")-a.f("data_moat")
		want := pipeline.TrendStable
		if net := dmc - wxc; net >= pipeline.TrendThreshold {
			want = pipeline.TrendUp
		} else if net <= -pipeline.TrendThreshold {
			want = pipeline.TrendDown
		}
		if math.Abs(b.f("wx_change")-wxc) > 1e-9 || math.Abs(b.f("dm_change")-dmc) > 1e-9 ||
			b.f("rank_change") != a.f("rank")-b.f("rank") || b.s["trend"] != want {
			t.Errorf("company %s day 2: wx_change %v dm_change %v rank_change %v trend %q; want %v %v %v %q",
				id, b.f("wx_change"), b.f("dm_change"), b.f("rank_change"), b.s["trend"], wxc, dmc, a.f("rank")-b.f("rank"), want)
		}
	}
	checkGolden(t, "run_demo_day2_scores.txt", mk.apply(dumpParquet(t, filepath.Join(out, "scores", "run_date=2026-12-02"), "rank", 5)))

	// explain on a demo company, from the latest run and from a dated one.
	first := ""
	for id, s := range day1 {
		if s.f("rank") == 1 {
			first = id
		}
	}
	e := run(t, "explain", first, "--out", out, "--run-date", "2026-12-01")
	if e.code != exitOK {
		t.Fatalf("explain %s: exit %d\n%s", first, e.code, e.stderr)
	}
	checkGolden(t, "explain_demo.txt", mk.apply(e.stdout))
	e2 := run(t, "explain", first, "--out", out)
	if e2.code != exitOK || !strings.Contains(e2.stdout, "run 2026-12-02") {
		t.Errorf("explain %s (latest): exit %d, stdout %q", first, e2.code, e2.stdout)
	}
	checkGolden(t, "explain_demo_day2.txt", mk.apply(e2.stdout))
}

// scoreRow is one row of a scores file, numbers and strings by column.
type scoreRow struct {
	n map[string]float64
	s map[string]string
}

func (r scoreRow) f(name string) float64 { return r.n[name] }

func scoreRows(t *testing.T, dir string) map[string]scoreRow {
	t.Helper()
	mem := memory.NewGoAllocator()
	pf, err := file.OpenParquetFile(filepath.Join(dir, "part-0.parquet"), false)
	if err != nil {
		t.Fatal(err)
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
	rows := make([]scoreRow, tbl.NumRows())
	for i := range rows {
		rows[i] = scoreRow{n: map[string]float64{}, s: map[string]string{}}
	}
	for c, f := range tbl.Schema().Fields() {
		r := 0
		for _, ch := range tbl.Column(c).Data().Chunks() {
			for i := range ch.Len() {
				switch v := ch.(type) {
				case *array.Float64:
					rows[r].n[f.Name] = v.Value(i)
				case *array.Int32:
					rows[r].n[f.Name] = float64(v.Value(i))
				case *array.String:
					rows[r].s[f.Name] = v.Value(i)
				}
				r++
			}
		}
	}
	m := map[string]scoreRow{}
	for _, r := range rows {
		m[r.s["company_id"]] = r
	}
	return m
}

func TestRunErrors(t *testing.T) {
	bad := generate(t, 200, 11, 0.2)
	tests := []struct {
		name     string
		args     []string
		config   string // moatscore.yaml in the working folder
		cancel   bool
		wantCode int
		wantErr  string
	}{
		{name: "config file without input", config: "out: out\n", args: []string{"run"}, wantCode: exitUsage, wantErr: "the config file sets no input"},
		{name: "reject share over the limit", args: []string{"run", "--input", bad, "--run-date", "2026-12-01"}, wantCode: exitQuality, wantErr: "over run.max_reject_share"},
		{name: "bad run date", args: []string{"run", "--run-date", "15/01/2026"}, wantCode: exitUsage, wantErr: "run_date"},
		{name: "bad rank key", args: []string{"run"}, config: "input:\n  dir: in\nrank:\n  by: revenue\n", wantCode: exitUsage, wantErr: "rank.by"},
		{name: "interrupted", args: []string{"run", "--run-date", "2026-12-01"}, cancel: true, wantCode: exitFailure, wantErr: "interrupted"},
		{name: "missing input folder", args: []string{"run", "--input", "no-such-folder"}, wantCode: exitFailure, wantErr: "no-such-folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wd := t.TempDir()
			if tt.config != "" {
				if err := os.WriteFile(filepath.Join(wd, "moatscore.yaml"), []byte(tt.config), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			ctx := context.Background()
			if tt.cancel {
				c, cancel := context.WithCancel(ctx)
				cancel()
				ctx = c
			}
			args := append(slices.Clone(tt.args), "--out", filepath.Join(wd, "out"))
			r := invocation{ctx: ctx, wd: wd}.run(t, args...)
			if r.code != tt.wantCode || !strings.Contains(r.stderr, tt.wantErr) {
				t.Errorf("moatscore %s: exit %d, stderr %q; want exit %d and %q", strings.Join(tt.args, " "), r.code, r.stderr, tt.wantCode, tt.wantErr)
			}
			if tt.wantCode == exitQuality {
				if _, err := os.Stat(filepath.Join(wd, "out", "failed", "run_date=2026-12-01", "manifest.json")); err != nil {
					t.Errorf("no failed manifest: %v", err)
				}
				if _, err := os.Stat(filepath.Join(wd, "out", "scores", "run_date=2026-12-01")); err == nil {
					t.Errorf("a failed run published its scores")
				}
			}
		})
	}
}

func TestExplainErrors(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	if r := run(t, "explain", "C00000001", "--out", out); r.code != exitFailure || !strings.Contains(r.stderr, "no published run") {
		t.Errorf("explain with no run: exit %d, stderr %q; want 1 and no published run", r.code, r.stderr)
	}
	runDemo(t, out, "2026-12-01")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{name: "unknown company", args: []string{"explain", "nobody"}, wantCode: exitUsage, wantErr: "company not in the run"},
		{name: "no run that day", args: []string{"explain", "C00000001", "--run-date", "2026-01-01"}, wantCode: exitFailure, wantErr: "no published run"},
		{name: "no company id", args: []string{"explain"}, wantCode: exitUsage, wantErr: "arg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, append(tt.args, "--out", out)...)
			if r.code != tt.wantCode || !strings.Contains(r.stderr, tt.wantErr) {
				t.Errorf("moatscore %s: exit %d, stderr %q; want exit %d and %q", strings.Join(tt.args, " "), r.code, r.stderr, tt.wantCode, tt.wantErr)
			}
		})
	}
}
