package pipeline

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"moatscore/data"
	"moatscore/data/synth"
)

// generate writes a synthetic dataset and returns its folder.
func generate(t testing.TB, companies int, seed int64, bad float64) string {
	t.Helper()
	dir := t.TempDir()
	_, err := synth.Generate(context.Background(), synth.Options{
		Out: dir, Companies: companies, Seed: seed, BadRows: bad,
		RunDate: time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC),
	}, data.DefaultReference(), nil)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	return dir
}

func testConfig(in, out, date string) Config {
	cfg := DefaultConfig()
	cfg.Input = InputConfig{Dir: in}
	cfg.Out = out
	d, _ := ParseDate(date)
	cfg.RunDate = d
	return cfg
}

func testEnv(mem memory.Allocator) RunEnv {
	return RunEnv{
		Mem: mem,
		Now: func() time.Time { return time.Date(2026, 1, 16, 3, 0, 0, 0, time.UTC) },
	}
}

// scoreRow is what the tests read back of one scores row.
type scoreRow struct {
	wx, dm               float64
	rank, rankChange     int64
	hasRankChange        bool
	wxChange, dmChange   float64
	hasChange            bool
	trend, mover, sector string
}

// readScores reads back the published scores of a run date by company id.
func readScores(t testing.TB, out, date string) (map[string]scoreRow, *arrow.Schema, map[string]string) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	files, err := partitionFiles(filepath.Join(out, DatasetScores, partition(date)))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]scoreRow{}
	var sc *arrow.Schema
	meta := map[string]string{}
	for _, path := range files {
		p, err := openParquet(mem, path, 1000)
		if err != nil {
			t.Fatal(err)
		}
		sc = p.sc
		for _, k := range []string{MetaRunID, MetaModelVersion, MetaConfigHash, MetaColumnDescriptions} {
			meta[k] = p.meta(k)
		}
		names := []string{"company_id", "wrapper_exposure", "data_moat", "rank", "rank_change", "wx_change", "dm_change", "trend", "top_mover", "sector"}
		idx := p.columns(names)
		for i, c := range idx {
			if c < 0 {
				t.Fatalf("%s: no column %s", path, names[i])
			}
		}
		err = p.scan(context.Background(), idx, func(rec arrow.RecordBatch) error {
			ids := rec.Column(0).(*array.String)
			for i := range ids.Len() {
				r := scoreRow{
					wx:     rec.Column(1).(*array.Float64).Value(i),
					dm:     rec.Column(2).(*array.Float64).Value(i),
					rank:   int64(rec.Column(3).(*array.Int32).Value(i)),
					trend:  rec.Column(7).(*array.String).Value(i),
					mover:  rec.Column(8).(*array.String).Value(i),
					sector: rec.Column(9).(*array.String).Value(i),
				}
				if rc := rec.Column(4).(*array.Int32); rc.IsValid(i) {
					r.rankChange, r.hasRankChange = int64(rc.Value(i)), true
				}
				if wc := rec.Column(5).(*array.Float64); wc.IsValid(i) {
					r.wxChange, r.dmChange, r.hasChange = wc.Value(i), rec.Column(6).(*array.Float64).Value(i), true
				}
				rows[ids.Value(i)] = r
			}
			return nil
		})
		p.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return rows, sc, meta
}

func TestRunPublishesAndComparesWithThePreviousRun(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	out := filepath.Join(t.TempDir(), "out")
	day1 := generate(t, 300, 1, 0.01)
	day2 := generate(t, 320, 2, 0.01) // same ids, other values, 20 new companies

	res, err := Run(context.Background(), testConfig(day1, out, "2026-01-15"), testEnv(mem))
	if err != nil {
		t.Fatalf("Run(day 1) error %v", err)
	}
	m := res.Manifest
	if m.Status != StatusPublished || m.Demo || m.Previous != nil {
		t.Errorf("manifest status %q demo %v previous %v, want published, false, nil", m.Status, m.Demo, m.Previous)
	}
	for _, ta := range m.Tables {
		if ta.RowsIn != ta.Accepted+ta.Rejected || ta.RowsIn == 0 {
			t.Errorf("table %s: rows_in %d != accepted %d + rejected %d", ta.Table, ta.RowsIn, ta.Accepted, ta.Rejected)
		}
	}
	for _, in := range m.Inputs {
		var rows int64
		for _, f := range in.Files {
			if len(f.SHA256) != 64 || f.Bytes == 0 {
				t.Errorf("input %s file %s: sha256 %q, %d bytes", in.Table, f.Path, f.SHA256, f.Bytes)
			}
			rows += f.Rows
		}
		if ta := m.Tables[slices.IndexFunc(m.Tables, func(a TableAccounting) bool { return a.Table == in.Table })]; rows != ta.RowsIn {
			t.Errorf("input %s: files hold %d rows, accounting %d", in.Table, rows, ta.RowsIn)
		}
	}
	var rejectRows, rejected int64
	for _, o := range m.Outputs {
		if o.Dataset == DatasetRejects {
			rejectRows += o.Rows
		}
	}
	for _, ta := range m.Tables {
		rejected += ta.Rejected
	}
	if rejectRows != rejected || rejected == 0 {
		t.Errorf("rejects outputs hold %d rows, the accounting %d rejected", rejectRows, rejected)
	}
	published := checkOutIntact(t, out)
	if published["2026-01-15"] != m.RunID {
		t.Fatalf("published %v, want 2026-01-15 by %s", published, m.RunID)
	}
	first, sc, meta := readScores(t, out, "2026-01-15")
	if int64(len(first)) != m.Tables[0].Accepted {
		t.Errorf("scores hold %d companies, want %d", len(first), m.Tables[0].Accepted)
	}
	if meta[MetaRunID] != m.RunID || meta[MetaModelVersion] != m.ModelVersion || meta[MetaConfigHash] != m.ConfigHash {
		t.Errorf("scores metadata %v, want the run's id, model version and config hash", meta)
	}
	for _, f := range sc.Fields() {
		if d, _ := f.Metadata.GetValue(descriptionKey); d == "" {
			t.Errorf("scores column %s has no description", f.Name)
		}
	}
	for _, name := range []string{"company_id", "name", "country", "sector", "zone", "wrapper_exposure", "wx_band",
		"data_moat", "moat_rating", "thin_wrapper", "uncertainty", "valuation_usd", "last_round_date", "last_round_stage",
		"valuation_age_days", "adjusted_valuation_usd", "adjustment_pct", "rank", "sector_rank", "zone_rank",
		"wx_pct_sector", "dm_pct_zone", "wx_change", "dm_change", "rank_change", "trend", "top_mover",
		"rejected_child_rows", "wx_api_dependency", "wx_api_dependency_contrib", "run_id", "model_version"} {
		if len(sc.FieldIndices(name)) == 0 {
			t.Errorf("scores have no column %s", name)
		}
	}
	ranks := make([]int64, 0, len(first))
	for id, r := range first {
		ranks = append(ranks, r.rank)
		if r.trend != TrendNew || r.hasChange || r.hasRankChange || r.mover != "" {
			t.Errorf("day 1 company %s: trend %q, change %v, rank change %v, mover %q; want new and nulls", id, r.trend, r.hasChange, r.hasRankChange, r.mover)
		}
	}
	slices.Sort(ranks)
	for i, r := range ranks {
		if r != int64(i+1) {
			t.Fatalf("ranks are not 1..%d: position %d holds %d", len(ranks), i, r)
		}
	}

	res2, err := Run(context.Background(), testConfig(day2, out, "2026-01-16"), testEnv(mem))
	if err != nil {
		t.Fatalf("Run(day 2) error %v", err)
	}
	if p := res2.Manifest.Previous; p == nil || p.RunDate != "2026-01-15" || p.RunID != m.RunID {
		t.Errorf("day 2 previous run %+v, want 2026-01-15 %s", p, m.RunID)
	}
	second, _, _ := readScores(t, out, "2026-01-16")
	var up, down, stable, fresh int
	for id, r := range second {
		p, ok := first[id]
		if !ok {
			fresh++
			if r.trend != TrendNew {
				t.Errorf("company %s is new on day 2, trend %q", id, r.trend)
			}
			continue
		}
		if !r.hasChange || !r.hasRankChange {
			t.Errorf("company %s: no change columns on day 2", id)
			continue
		}
		if math.Abs(r.wxChange-(r.wx-p.wx)) > 1e-9 || math.Abs(r.dmChange-(r.dm-p.dm)) > 1e-9 || r.rankChange != p.rank-r.rank {
			t.Errorf("company %s: changes wx %v dm %v rank %d; want %v %v %d", id, r.wxChange, r.dmChange, r.rankChange, r.wx-p.wx, r.dm-p.dm, p.rank-r.rank)
		}
		want := TrendStable
		switch net := r.dmChange - r.wxChange; {
		case net >= TrendThreshold:
			want, up = TrendUp, up+1
		case net <= -TrendThreshold:
			want, down = TrendDown, down+1
		default:
			stable++
		}
		if r.trend != want {
			t.Errorf("company %s: trend %q, want %q (net change %v)", id, r.trend, want, r.dmChange-r.wxChange)
		}
		if want != TrendStable && r.mover == "" {
			t.Errorf("company %s moved %s but has no top_mover", id, want)
		}
	}
	t.Logf("day 2: %d up, %d down, %d stable, %d new", up, down, stable, fresh)
	if up == 0 || down == 0 || fresh == 0 {
		t.Errorf("day 2: %d up, %d down, %d new; want some of each", up, down, fresh)
	}
	if got := checkOutIntact(t, out); len(got) != 2 {
		t.Errorf("published %v, want two dates", got)
	}
}

func TestRunOverRejectShareFails(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	out := filepath.Join(t.TempDir(), "out")
	in := generate(t, 200, 3, 0.05)
	cfg := testConfig(in, out, "2026-01-15")
	cfg.Run.MaxRejectShare = 0.01
	res, err := Run(context.Background(), cfg, testEnv(mem))
	var qe *QualityError
	if !errors.As(err, &qe) {
		t.Fatalf("Run() error %v, want a *QualityError", err)
	}
	if res == nil || res.Manifest.Status != StatusFailed || res.Manifest.Error == "" {
		t.Fatalf("Run() result %+v, want a failed manifest with its error", res)
	}
	if got := checkOutIntact(t, out); len(got) != 0 {
		t.Errorf("published %v, want nothing", got)
	}
	failed := filepath.Join(out, FailedFolder, partition("2026-01-15"))
	m, err := ReadManifest(filepath.Join(failed, ManifestName))
	if err != nil {
		t.Fatalf("failed manifest: %v", err)
	}
	if m.Status != StatusFailed || m.RunID != res.Manifest.RunID {
		t.Errorf("failed manifest status %q run %q", m.Status, m.RunID)
	}
	for _, o := range m.Outputs {
		if _, err := os.Stat(filepath.Join(out, filepath.FromSlash(o.Path))); err != nil {
			t.Errorf("failed manifest lists %s: %v", o.Path, err)
		}
	}
	if len(m.Outputs) == 0 {
		t.Errorf("failed manifest lists no rejects file")
	}
}

func TestRunCancelledPublishesNothing(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	out := filepath.Join(t.TempDir(), "out")
	in := generate(t, 100, 4, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, testConfig(in, out, "2026-01-15"), testEnv(mem)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run(cancelled) error %v, want context.Canceled", err)
	}
	if got := checkOutIntact(t, out); len(got) != 0 {
		t.Errorf("published %v, want nothing", got)
	}
	entries, _ := os.ReadDir(filepath.Join(out, stagingName))
	if len(entries) != 0 {
		t.Errorf("staging holds %d entries after a cancelled run", len(entries))
	}
}

func TestRunDemo(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	out := filepath.Join(t.TempDir(), "out")
	env := testEnv(mem)
	env.Demo = os.DirFS(generate(t, 50, 5, 0))
	env.TempDir = t.TempDir()
	cfg := testConfig("", out, "2026-01-15")
	cfg.Input = InputConfig{}
	res, err := Run(context.Background(), cfg, env)
	if err != nil {
		t.Fatalf("Run(demo) error %v", err)
	}
	if !res.Manifest.Demo || res.Manifest.Inputs[0].Spec != "demo:companies" {
		t.Errorf("manifest demo %v, spec %q; want true, demo:companies", res.Manifest.Demo, res.Manifest.Inputs[0].Spec)
	}
	if entries, _ := os.ReadDir(env.TempDir); len(entries) != 0 {
		t.Errorf("the unpacked demo was left behind")
	}
	env.Demo = nil
	if _, err := Run(context.Background(), cfg, env); err == nil {
		t.Errorf("Run(no input, no demo) error = nil")
	}
}

func TestExplain(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	out := filepath.Join(t.TempDir(), "out")
	in := generate(t, 120, 6, 0.02)
	if _, err := Explain(context.Background(), mem, out, "", "C00000001"); !errors.Is(err, ErrNoRun) {
		t.Errorf("Explain(no run) error %v, want ErrNoRun", err)
	}
	res, err := Run(context.Background(), testConfig(in, out, "2026-01-15"), testEnv(mem))
	if err != nil {
		t.Fatal(err)
	}
	rows, _, _ := readScores(t, out, "2026-01-15")
	var id string
	for k := range rows {
		if id == "" || k < id {
			id = k
		}
	}
	tests := []struct {
		name, date, id string
		wantErr        error
	}{
		{name: "latest run", id: id},
		{name: "run of a date", date: "2026-01-15", id: id},
		{name: "unknown company", id: "no-such-company", wantErr: ErrUnknownCompany},
		{name: "no run that day", date: "2026-01-01", id: id, wantErr: ErrNoRun},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Explain(context.Background(), mem, out, tt.date, tt.id)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Explain(%q) error %v, want %v", tt.id, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Explain(%q) error %v", tt.id, err)
			}
			r := rows[tt.id]
			if e.RunID != res.Manifest.RunID || *e.WrapperExposure != r.wx || *e.DataMoat != r.dm || *e.Rank != r.rank || e.Trend != TrendNew {
				t.Errorf("Explain(%q) = run %s wx %v dm %v rank %v trend %q; want %s %v %v %d new",
					tt.id, e.RunID, *e.WrapperExposure, *e.DataMoat, *e.Rank, e.Trend, res.Manifest.RunID, r.wx, r.dm, r.rank)
			}
			sum := 0.0
			for _, c := range e.WX {
				sum += *c.Contribution
			}
			if math.Abs(sum-r.wx) > 1e-9 {
				t.Errorf("WX contributions add up to %v, want %v", sum, r.wx)
			}
			if len(e.Scenarios) == 0 || e.RatingWhy == "" || len(e.Percentiles) != 4 {
				t.Errorf("Explain(%q): %d scenarios, rating why %q, %d percentiles", tt.id, len(e.Scenarios), e.RatingWhy, len(e.Percentiles))
			}
		})
	}
}
