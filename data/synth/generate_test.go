package synth_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"moatscore/data"
	"moatscore/data/synth"
)

func TestOptionsValidate(t *testing.T) {
	ok := synth.Options{Out: "out", Companies: 10}
	tests := []struct {
		name    string
		edit    func(*synth.Options)
		wantErr error
	}{
		{"valid", func(*synth.Options) {}, nil},
		{"zero companies", func(o *synth.Options) { o.Companies = 0 }, nil},
		{"half bad", func(o *synth.Options) { o.BadRows = 0.5 }, nil},
		{"no out", func(o *synth.Options) { o.Out = "" }, synth.ErrOut},
		{"negative companies", func(o *synth.Options) { o.Companies = -1 }, synth.ErrCompanies},
		{"negative bad rows", func(o *synth.Options) { o.BadRows = -0.1 }, synth.ErrBadRows},
		{"too many bad rows", func(o *synth.Options) { o.BadRows = 0.51 }, synth.ErrBadRows},
		{"NaN bad rows", func(o *synth.Options) { o.BadRows = math.NaN() }, synth.ErrBadRows},
		{"negative files", func(o *synth.Options) { o.FilesPerTable = -1 }, synth.ErrFilesPerTable},
		{"negative row group", func(o *synth.Options) { o.RowGroupSize = -1 }, synth.ErrRowGroupSize},
		{"negative workers", func(o *synth.Options) { o.Workers = -1 }, synth.ErrWorkers},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ok
			tt.edit(&o)
			err := o.Validate()
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Validate(%+v) = %v, want %v", o, err, tt.wantErr)
			}
		})
	}
}

// readTree returns every file under dir by relative path.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestGenerateDeterministic(t *testing.T) {
	base := synth.Options{Companies: 3000, Seed: 11, BadRows: 0.05, FilesPerTable: 3, RowGroupSize: 1000, Workers: 2}
	_, dir := generate(t, base)
	want := readTree(t, dir)
	if len(want) != 4*3+4+2 {
		t.Fatalf("wrote %d files, want %d", len(want), 4*3+4+2)
	}
	tests := []struct {
		name string
		edit func(*synth.Options)
		same bool
	}{
		{"same options", func(*synth.Options) {}, true},
		{"one worker", func(o *synth.Options) { o.Workers = 1 }, true},
		{"other seed", func(o *synth.Options) { o.Seed = 12 }, false},
		{"other run date", func(o *synth.Options) { o.RunDate = runDate.AddDate(0, 0, 1) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := base
			tt.edit(&o)
			_, dir := generate(t, o)
			got := readTree(t, dir)
			if len(got) != len(want) {
				t.Fatalf("wrote %d files, want %d", len(got), len(want))
			}
			for name, b := range want {
				same := bytes.Equal(got[name], b)
				if tt.same && !same {
					t.Errorf("%s differs from the first run", name)
				}
				if !tt.same && same && strings.HasSuffix(name, ".parquet") {
					t.Errorf("%s is the same as with the base options", name)
				}
			}
		})
	}
}

// TestGenerateCleanData checks the shape of a dataset without bad rows:
// the validator accepts every row, counts per company average about 3
// model_usage, 5 data_assets and 2 funding_rounds rows with some
// companies having none, the mixes are skewed, and dates are sane and on
// or before the run date.
func TestGenerateCleanData(t *testing.T) {
	const n = 20000
	sum, out := generate(t, synth.Options{Companies: n, Seed: 3, FilesPerTable: 2})
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	v := validate(t, mem, out, 0)
	if len(v.rejects) > 0 {
		t.Fatalf("a clean dataset has %d rejects, first %+v", len(v.rejects), v.rejects[0])
	}
	if w := sum.Table(data.TableModelUsage).Warnings; w[data.WarnUnknownProvider] == 0 || w[data.WarnSharesScaled] == 0 {
		t.Errorf("model_usage warnings %v: want some unknown providers and over-full shares", w)
	}

	averages := []struct {
		table    string
		lo, hi   float64 // rows per company
		noneLo   float64 // share of companies without a row
		noneHigh float64
	}{
		{data.TableModelUsage, 2.6, 3.3, 0.04, 0.15},
		{data.TableDataAssets, 4.5, 5.5, 0.05, 0.2},
		{data.TableFundingRounds, 1.7, 2.3, 0.1, 0.25},
	}
	if got := sum.Table(data.TableCompanies).Rows; got != n {
		t.Errorf("companies rows = %d, want %d", got, n)
	}
	minDay, maxDay := day(1900, 1, 1), arrow.Date32FromTime(runDate)
	countries, sectors := map[string]int{}, map[string]int{}
	for _, tb := range data.Inputs {
		_, files, err := data.Discover(filepath.Join(out, tb.Name))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) != 2 {
			t.Errorf("%s: %d files, want 2", tb.Name, len(files))
		}
		ids := map[string]bool{}
		r := data.NewReader(mem, tb, files, data.ReaderOptions{})
		for r.Next() {
			rec := r.Batch().Record
			for i, c := range tb.Columns {
				if c.Kind == data.Date {
					for _, d := range rec.Column(i).(*array.Date32).Date32Values() {
						if d < minDay || d > maxDay {
							t.Fatalf("%s.%s: date %s outside [1900-01-01, %s]", tb.Name, c.Name, d.FormattedString(), maxDay.FormattedString())
						}
					}
				}
			}
			col := func(name string) *array.String {
				_, i := tb.Column(name)
				return rec.Column(i).(*array.String)
			}
			for i := range int(rec.NumRows()) {
				ids[col("company_id").Value(i)] = true
				if tb == data.Companies {
					countries[data.NormalizeCountry(col("country").Value(i))]++
					sectors[data.NormalizeSlug(col("sector").Value(i))]++
				}
			}
			r.Batch().Release()
		}
		if err := r.Err(); err != nil {
			t.Fatal(err)
		}
		r.Close()
		for _, a := range averages {
			if a.table != tb.Name {
				continue
			}
			per := float64(sum.Table(tb.Name).Rows) / n
			none := 1 - float64(len(ids))/n
			if per < a.lo || per > a.hi {
				t.Errorf("%s: %.2f rows per company, want %.1f to %.1f", tb.Name, per, a.lo, a.hi)
			}
			if none < a.noneLo || none > a.noneHigh {
				t.Errorf("%s: %.3f of companies have no row, want %.2f to %.2f", tb.Name, none, a.noneLo, a.noneHigh)
			}
		}
	}
	if us := float64(countries["US"]) / n; us < 0.3 || us > 0.5 {
		t.Errorf("US share %.3f, want 0.3 to 0.5", us)
	}
	if countries["NA"] == 0 {
		t.Error("no company in Namibia (NA)")
	}
	if len(countries) < 100 {
		t.Errorf("%d countries, want a long tail of at least 100", len(countries))
	}
	if countries["US"] <= countries["CN"] || countries["CN"] <= countries["DE"] {
		t.Errorf("country mix not skewed: US %d, CN %d, DE %d", countries["US"], countries["CN"], countries["DE"])
	}
	counts := slices.Sorted(func(yield func(int) bool) {
		for _, c := range sectors {
			if !yield(c) {
				return
			}
		}
	})
	if len(counts) < 15 || counts[len(counts)-1] < 4*counts[0] {
		t.Errorf("sector counts %v: want many sectors, the largest at least 4 times the smallest", counts)
	}
}

// TestGenerateArchetypes pins the archetype mix of the package
// documentation: at 20,000 companies each archetype's share is within 1.5
// points of its target, and the counts add up to the companies, in the
// summary and in _expected.json alike.
func TestGenerateArchetypes(t *testing.T) {
	const n = 20000
	want := map[string]float64{
		synth.ArchThinWrapper: 0.15,
		synth.ArchAPIApp:      0.40,
		synth.ArchHybrid:      0.29,
		synth.ArchDataMoat:    0.08,
		synth.ArchModelLab:    0.08,
	}
	sum, out := generate(t, synth.Options{Companies: n, Seed: 4, BadRows: 0.01, FilesPerTable: 2})
	expected, err := synth.ReadExpected(filepath.Join(out, synth.ExpectedFile))
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(expected.Archetypes, sum.Archetypes) {
		t.Errorf("%s archetypes %v, summary %v", synth.ExpectedFile, expected.Archetypes, sum.Archetypes)
	}
	var total int64
	for id, c := range sum.Archetypes {
		total += c
		if _, ok := want[id]; !ok {
			t.Errorf("archetype %q (%d companies) is not pinned", id, c)
		}
	}
	if total != n {
		t.Errorf("archetypes count %d companies, want %d", total, n)
	}
	for id, share := range want {
		got := float64(sum.Archetypes[id]) / n
		if math.Abs(got-share) > 0.015 {
			t.Errorf("archetype %s: share %.3f, want %.2f ± 0.015", id, got, share)
		}
	}
}

func day(y int, m time.Month, d int) arrow.Date32 {
	return arrow.Date32FromTime(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
}

// TestGenerateBadRows checks that --bad-rows 0.02 gives every reason code
// and about that fraction of rows broken, children of bad companies aside.
func TestGenerateBadRows(t *testing.T) {
	sum, out := generate(t, synth.Options{Companies: 20000, Seed: 5, BadRows: 0.02})
	rows := readBadRows(t, out)
	got := map[string]int{}
	for _, b := range rows {
		got[b.Reason]++
	}
	for _, code := range data.ReasonCodes {
		if got[code] == 0 {
			t.Errorf("no bad row of reason %s in %s (have %v)", code, synth.BadRowsFile, got)
		}
	}
	// every table gets every reason its columns allow
	perTable := map[string][]string{
		data.TableCompanies:     {"null_key", "null_value", "not_finite", "out_of_range", "bad_country", "bad_date", "duplicate_key"},
		data.TableModelUsage:    {"null_key", "unknown_company", "parent_rejected", "null_value", "not_finite", "out_of_range", "unknown_value", "duplicate_key"},
		data.TableDataAssets:    {"null_key", "unknown_company", "parent_rejected", "null_value", "not_finite", "out_of_range", "unknown_value", "bad_date", "duplicate_key"},
		data.TableFundingRounds: {"null_key", "unknown_company", "parent_rejected", "null_value", "not_finite", "out_of_range", "bad_date", "duplicate_key"},
	}
	for table, codes := range perTable {
		for _, code := range codes {
			if sum.Table(table).ByReason[code] == 0 {
				t.Errorf("%s: no bad row of reason %s", table, code)
			}
		}
	}
	var broken, total int64
	for _, ts := range sum.Tables {
		total += ts.Rows
		broken += ts.Rejected - ts.ByReason[data.ReasonParentRejected]
	}
	if f := float64(broken) / float64(total); f < 0.015 || f > 0.025 {
		t.Errorf("%.4f of rows broken, want about 0.02", f)
	}
}

func TestGenerateOutputDir(t *testing.T) {
	ref := data.DefaultReference()
	ctx := context.Background()
	out := t.TempDir()
	opts := synth.Options{Out: out, Companies: 50, Seed: 1, RunDate: runDate}
	if _, err := synth.Generate(ctx, opts, ref, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := synth.Generate(ctx, opts, ref, nil); err == nil || !strings.Contains(err.Error(), "already holds a dataset") {
		t.Errorf("Generate into a dataset = %v, want an error saying it already holds one", err)
	}
	opts.Overwrite, opts.Companies = true, 20
	sum, err := synth.Generate(ctx, opts, ref, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := sum.Table(data.TableCompanies).Rows; got != 20 {
		t.Errorf("after overwrite: %d companies, want 20", got)
	}
	if _, err := os.Stat(filepath.Join(out, data.TableCompanies, "_SUCCESS")); err != nil {
		t.Errorf("no _SUCCESS marker: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "_bad_rows.tmp")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("temporary folder left behind: %v", err)
	}

	if _, err := synth.Generate(ctx, synth.Options{Out: t.TempDir(), Companies: 10}, nil, nil); err == nil {
		t.Error("Generate without reference data succeeded")
	}
	s, dir := generate(t, synth.Options{Companies: 0})
	if s.Rows() != 0 || s.Files != 4 {
		t.Errorf("zero companies: %d rows in %d files, want 0 rows in 4 files", s.Rows(), s.Files)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	if v := validate(t, mem, dir, 0); v.accounting[data.TableCompanies].RowsIn != 0 {
		t.Errorf("empty files read as %d rows", v.accounting[data.TableCompanies].RowsIn)
	}
}

func TestGenerateCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out := t.TempDir()
	var calls atomic.Int64
	opts := synth.Options{Out: out, Companies: 200000, Seed: 1, RunDate: runDate, FilesPerTable: 4,
		Progress: func(int64) {
			if calls.Add(1) == 3 {
				cancel()
			}
		}}
	_, err := synth.Generate(ctx, opts, data.DefaultReference(), nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Generate after cancel = %v, want context.Canceled", err)
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 0 {
		t.Errorf("a cancelled run left %d entries in the output folder", len(entries))
	}
}

func TestGenerateProgress(t *testing.T) {
	var (
		mu   sync.Mutex
		last int64
	)
	generate(t, synth.Options{Companies: 5000, Seed: 1, FilesPerTable: 3, Progress: func(done int64) {
		mu.Lock()
		last = max(last, done)
		mu.Unlock()
	}})
	if last != 5000 {
		t.Errorf("progress ended at %d, want 5000", last)
	}
}

// TestGenerateStreams checks that memory does not grow with the dataset:
// the peak heap of a 200,000-company run stays far below what its rows
// take in Arrow form (the fixed-width values and string offsets alone).
func TestGenerateStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("200,000 companies: not in -short")
	}
	const n = 200000
	var (
		peak atomic.Uint64
		stop = make(chan struct{})
		done = make(chan struct{})
	)
	// A low GC target keeps garbage from counting as memory in use.
	defer debug.SetGCPercent(debug.SetGCPercent(25))
	runtime.GC()
	var ms0 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	go func() {
		defer close(done)
		var ms runtime.MemStats
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	out := t.TempDir()
	sum, err := synth.Generate(context.Background(), synth.Options{Out: out, Companies: n, Seed: 1,
		RunDate: runDate, RowGroupSize: 4096, Workers: 1}, data.DefaultReference(), nil)
	close(stop)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	var all int64 // a lower bound of the Arrow bytes of every row
	for _, ts := range sum.Tables {
		tb := data.InputTable(ts.Table)
		var perRow int64
		for _, c := range tb.Columns {
			switch c.Kind {
			case data.String:
				perRow += 4 + 2 // offset and at least two bytes of text
				if c.Name == "company_id" {
					perRow += 7 // "C" and at least eight digits
				}
			case data.Int64, data.Float64:
				perRow += 8
			case data.Date:
				perRow += 4
			}
		}
		all += perRow * ts.Rows
	}
	p := int64(peak.Load()) - int64(ms0.HeapInuse)
	t.Logf("%d rows, at least %d MiB as Arrow; peak heap in use %d MiB over the %d MiB before", sum.Rows(), all>>20, p>>20, ms0.HeapInuse>>20)
	if p*4 > all {
		t.Errorf("peak heap %d MiB is more than a quarter of the %d MiB the rows take: not streaming", p>>20, all>>20)
	}
}

func BenchmarkGenerate(b *testing.B) {
	ref := data.DefaultReference()
	for b.Loop() {
		out := b.TempDir()
		if _, err := synth.Generate(context.Background(), synth.Options{Out: out, Companies: 10000, Seed: 1, BadRows: 0.01, RunDate: runDate}, ref, nil); err != nil {
			b.Fatal(err)
		}
	}
}
