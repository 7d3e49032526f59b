package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// day parses a YYYY-MM-DD test date.
func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// lockedOut opens the output root at root with a test hook and takes its
// lock.
func lockedOut(t testing.TB, root string, hook func(string) error) (*Out, func() error) {
	t.Helper()
	o, err := openOut(root, nil, hook)
	if err != nil {
		t.Fatalf("openOut(%s) = %v", root, err)
	}
	release, err := o.Lock(context.Background(), 0)
	if err != nil {
		t.Fatalf("Lock() = %v", err)
	}
	return o, release
}

// stageRun stages a run for date: a small Parquet file in each of the
// given datasets and a manifest.
func stageRun(t testing.TB, o *Out, date, runID string, dss ...string) *Staging {
	t.Helper()
	s, err := o.Stage(day(date), runID)
	if err != nil {
		t.Fatalf("Stage(%s, %s) = %v", date, runID, err)
	}
	for _, ds := range dss {
		writeTestParquet(t, filepath.Join(s.Dir(ds), "part-0.parquet"), runID, 100)
	}
	manifest, _ := json.Marshal(map[string]any{"run_id": runID, "run_date": date, "status": "ok"})
	if err := os.WriteFile(filepath.Join(s.Dir(DatasetRuns), ManifestName), manifest, 0o644); err != nil {
		t.Fatal(err)
	}
	return s
}

// writeTestParquet writes a Parquet file of rows rows (run_id, i).
func writeTestParquet(t testing.TB, path, runID string, rows int) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "run_id", Type: arrow.BinaryTypes.String},
		{Name: "i", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i := range rows {
		b.Field(0).(*array.StringBuilder).Append(runID)
		b.Field(1).(*array.Int64Builder).Append(int64(i))
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pqarrow.NewFileWriter(schema, f, nil, pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(mem)))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil { // closes f
		t.Fatal(err)
	}
}

// errCrash is what a crash hook returns: the work stops there, as if the
// process had died.
var errCrash = errors.New("simulated crash")

// crasher is a hook that records events and crashes at the k-th (from 0);
// k < 0 never crashes.
type crasher struct {
	k      int
	events []string
}

func (c *crasher) hook(ev string) error {
	c.events = append(c.events, ev)
	if len(c.events)-1 == c.k {
		return errCrash
	}
	return nil
}

// crashed reports whether the crash happened, and at which event.
func (c *crasher) crashed() (string, bool) {
	if c.k < 0 || c.k >= len(c.events) {
		return "", false
	}
	return c.events[c.k], true
}

// checkClean fails unless no publish is under way and no staging is left.
func checkClean(t testing.TB, root string) {
	t.Helper()
	if ok, _ := exists(filepath.Join(root, journalName)); ok {
		t.Errorf("journal %s left behind", journalName)
	}
	entries, _ := os.ReadDir(filepath.Join(root, stagingName))
	for _, e := range entries {
		t.Errorf("staging %s left behind", e.Name())
	}
}

func TestPublishNew(t *testing.T) {
	root := t.TempDir()
	o, release := lockedOut(t, root, nil)
	defer release()
	s := stageRun(t, o, "2024-05-01", "r1", DatasetScores, DatasetScenarios, DatasetRejects)
	if err := o.Publish(s); err != nil {
		t.Fatalf("Publish() = %v", err)
	}
	got := checkOutIntact(t, root)
	if want := map[string]string{"2024-05-01": "r1"}; !mapsEqual(got, want) {
		t.Errorf("published = %v, want %v", got, want)
	}
	checkClean(t, root)
	for _, ds := range []string{DatasetScores, DatasetScenarios, DatasetRejects} {
		p, err := o.Path(ds, day("2024-05-01"))
		if err != nil {
			t.Fatal(err)
		}
		if ok, _ := exists(filepath.Join(p, "part-0.parquet")); !ok {
			t.Errorf("%s: no part-0.parquet", p)
		}
	}
	// A reader of a dataset finds its files alone.
	for _, ds := range []string{DatasetScores, DatasetScenarios, DatasetRejects} {
		entries, err := os.ReadDir(filepath.Join(root, ds, "run_date=2024-05-01"))
		if err != nil || len(entries) != 1 || entries[0].Name() != "part-0.parquet" {
			t.Errorf("%s/run_date=2024-05-01 holds %v, %v; want part-0.parquet alone", ds, entries, err)
		}
	}
	// A dataset with nothing staged is not published.
	if ok, _ := exists(filepath.Join(root, DatasetReports, "run_date=2024-05-01")); ok {
		t.Errorf("empty reports folder published")
	}
	dates, err := o.Published()
	if err != nil || len(dates) != 1 || !dates[0].Equal(day("2024-05-01")) {
		t.Errorf("Published() = %v, %v, want [2024-05-01]", dates, err)
	}
	if err := o.Publish(s); err == nil {
		t.Errorf("second Publish() of the same staging = nil, want an error")
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestPublishReplacesDate(t *testing.T) {
	for _, noExchange := range []bool{false, true} {
		t.Run(fmt.Sprintf("noExchange=%v", noExchange), func(t *testing.T) {
			root := t.TempDir()
			o, release := lockedOut(t, root, nil)
			defer release()
			o.noExchange = noExchange
			for _, r := range []struct {
				date, id string
				dss      []string
			}{
				{"2024-05-01", "r1", []string{DatasetScores, DatasetScenarios, DatasetReports}},
				{"2024-05-02", "r2", []string{DatasetScores}},
				{"2024-05-01", "r3", []string{DatasetScores, DatasetRejects}},
			} {
				if err := o.Publish(stageRun(t, o, r.date, r.id, r.dss...)); err != nil {
					t.Fatalf("Publish(%s) = %v", r.id, err)
				}
			}
			got := checkOutIntact(t, root)
			if want := map[string]string{"2024-05-01": "r3", "2024-05-02": "r2"}; !mapsEqual(got, want) {
				t.Errorf("published = %v, want %v", got, want)
			}
			for _, ds := range []string{DatasetScenarios, DatasetReports} {
				if ok, _ := exists(filepath.Join(root, ds, "run_date=2024-05-01")); ok {
					t.Errorf("%s/run_date=2024-05-01 of the replaced run is still there", ds)
				}
			}
			checkClean(t, root)
		})
	}
}

func TestPublishErrors(t *testing.T) {
	root := t.TempDir()
	o, release := lockedOut(t, root, nil)
	s, err := o.Stage(day("2024-05-01"), "nomanifest")
	if err != nil {
		t.Fatal(err)
	}
	writeTestParquet(t, filepath.Join(s.Dir(DatasetScores), "part-0.parquet"), "nomanifest", 1)
	if err := o.Publish(s); err == nil || !strings.Contains(err.Error(), "no manifest") {
		t.Errorf("Publish() without manifest = %v, want a 'no manifest' error", err)
	}
	if _, err := o.Stage(day("2024-05-01"), "nomanifest"); err == nil {
		t.Errorf("Stage() with a run id already staged = nil, want an error")
	}
	other, releaseOther := lockedOut(t, t.TempDir(), nil)
	defer releaseOther()
	if err := other.Publish(s); err == nil {
		t.Errorf("Publish() of another root's staging = nil, want an error")
	}
	s2 := stageRun(t, o, "2024-05-02", "r2", DatasetScores)
	release()
	if err := o.Publish(s2); err == nil || !strings.Contains(err.Error(), "lock") {
		t.Errorf("Publish() without the lock = %v, want a lock error", err)
	}
	if _, err := o.Stage(day("2024-05-03"), "r3"); err == nil {
		t.Errorf("Stage() without the lock = nil, want an error")
	}
	if err := o.Prune(1); err == nil {
		t.Errorf("Prune() without the lock = nil, want an error")
	}
	if err := o.Prune(0); err != nil {
		t.Errorf("Prune(0) = %v, want nil (keeps everything)", err)
	}
}

func TestStageRunID(t *testing.T) {
	tests := []struct {
		name, id string
		wantErr  bool
	}{
		{"plain", "20240501T020000Z-1a2b", false},
		{"dots and underscores", "run_1.2", false},
		{"empty", "", true},
		{"parent", "..", true},
		{"leading dot", ".hidden", true},
		{"slash", "a/b", true},
		{"escape", "../../etc", true},
		{"space", "a b", true},
		{"too long", strings.Repeat("a", 129), true},
	}
	o, release := lockedOut(t, t.TempDir(), nil)
	defer release()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := o.Stage(day("2024-05-01"), tt.id)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Stage(%q) = %v, wantErr %v", tt.id, err, tt.wantErr)
			}
			if s != nil {
				if !strings.HasPrefix(s.Dir(DatasetScores), filepath.Join(o.Root(), stagingName)+string(filepath.Separator)) {
					t.Errorf("Dir(scores) = %s, want inside %s", s.Dir(DatasetScores), stagingName)
				}
				if err := s.Discard(); err != nil {
					t.Errorf("Discard() = %v", err)
				}
			}
		})
	}
}

func TestDatasetNames(t *testing.T) {
	o, release := lockedOut(t, t.TempDir(), nil)
	defer release()
	for _, name := range []string{"", "..", "../scores", "scores/..", "failed", ".staging", "Scores"} {
		if _, err := o.Path(name, day("2024-05-01")); err == nil {
			t.Errorf("Path(%q) = nil error, want unknown dataset", name)
		}
	}
	s, err := o.Stage(day("2024-05-01"), "r1")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Discard()
	func() {
		defer func() {
			if recover() == nil {
				t.Errorf("Dir(\"../x\") did not panic")
			}
		}()
		s.Dir("../x")
	}()
	if got, want := s.Dir(DatasetRuns), filepath.Join(o.Root(), stagingName, "r1", "runs", "run_date=2024-05-01"); got != want {
		t.Errorf("Dir(runs) = %s, want %s", got, want)
	}
}

func TestDiscard(t *testing.T) {
	root := t.TempDir()
	o, release := lockedOut(t, root, nil)
	defer release()
	s := stageRun(t, o, "2024-05-01", "r1", DatasetScores)
	if err := s.Discard(); err != nil {
		t.Fatalf("Discard() = %v", err)
	}
	checkClean(t, root)
	if got := checkOutIntact(t, root); len(got) != 0 {
		t.Errorf("published = %v after Discard, want none", got)
	}
	if err := o.Publish(s); err == nil {
		t.Errorf("Publish() after Discard = nil, want an error")
	}
}

// TestRollForward crashes a re-publish of a date at each of its steps in
// turn; the next OpenOut must end with the new run fully published when the
// journal was written, and the old run untouched otherwise.
func TestRollForward(t *testing.T) {
	const date = "2024-05-01"
	// One uncrashed run to learn the events.
	full := &crasher{k: -1}
	{
		root := t.TempDir()
		o, release := lockedOut(t, root, nil)
		if err := o.Publish(stageRun(t, o, date, "old", DatasetScores, DatasetScenarios, DatasetReports)); err != nil {
			t.Fatal(err)
		}
		o.hook = full.hook
		if err := o.Publish(stageRun(t, o, date, "new", DatasetScores, DatasetScenarios, DatasetRejects)); err != nil {
			t.Fatal(err)
		}
		release()
	}
	journalAt := slices.Index(full.events, "journal written")
	if journalAt < 0 || len(full.events) < 10 {
		t.Fatalf("events = %q, want the journal and a switch per dataset", full.events)
	}
	for _, noExchange := range []bool{false, true} {
		for k, ev := range full.events {
			t.Run(fmt.Sprintf("noExchange=%v/%d %s", noExchange, k, ev), func(t *testing.T) {
				root := t.TempDir()
				o, release := lockedOut(t, root, nil)
				o.noExchange = noExchange
				if err := o.Publish(stageRun(t, o, date, "old", DatasetScores, DatasetScenarios, DatasetReports)); err != nil {
					t.Fatal(err)
				}
				c := &crasher{k: k}
				o.hook = c.hook
				err := o.Publish(stageRun(t, o, date, "new", DatasetScores, DatasetScenarios, DatasetRejects))
				if !errors.Is(err, errCrash) {
					t.Fatalf("Publish() = %v, want the simulated crash", err)
				}
				release()

				// What a reader sees right after the crash.
				before := checkOutIntact(t, root)
				if id, ok := before[date]; ok && id != "old" && id != "new" {
					t.Errorf("published before recovery = %v", before)
				}

				o2, err := openOut(root, nil, nil)
				if err != nil {
					t.Fatalf("OpenOut() after the crash = %v", err)
				}
				want := "old"
				if k >= journalAt {
					want = "new"
				}
				got := checkOutIntact(t, root)
				if got[date] != want || len(got) != 1 {
					t.Errorf("published after OpenOut = %v, want %s: %s", got, want, date)
				}
				checkClean(t, root)
				if want == "new" {
					if ok, _ := exists(filepath.Join(root, DatasetReports, partition(date))); ok {
						t.Errorf("reports of the old run survived the roll forward")
					}
				}
				// The next run goes through.
				o2.noExchange = noExchange
				release2, err := o2.Lock(context.Background(), 0)
				if err != nil {
					t.Fatal(err)
				}
				defer release2()
				if err := o2.Publish(stageRun(t, o2, date, "next", DatasetScores)); err != nil {
					t.Fatalf("Publish() after recovery = %v", err)
				}
				if got := checkOutIntact(t, root); got[date] != "next" {
					t.Errorf("published = %v, want next", got)
				}
			})
		}
	}
}

// TestRollForwardCrashesAgain crashes the roll forward itself, at each of
// its steps; the one after must still finish the publish.
func TestRollForwardCrashesAgain(t *testing.T) {
	const date = "2024-05-01"
	for k := 0; ; k++ {
		root := t.TempDir()
		o, release := lockedOut(t, root, nil)
		if err := o.Publish(stageRun(t, o, date, "old", DatasetScores, DatasetReports)); err != nil {
			t.Fatal(err)
		}
		first := &crasher{k: 1} // just after the journal is written ("staged", "journal written")
		o.hook = first.hook
		if err := o.Publish(stageRun(t, o, date, "new", DatasetScores, DatasetScenarios)); !errors.Is(err, errCrash) {
			t.Fatalf("Publish() = %v, want the simulated crash", err)
		}
		release()
		again := &crasher{k: k}
		_, err := openOut(root, nil, again.hook)
		if _, crashed := again.crashed(); !crashed {
			if err != nil {
				t.Fatalf("openOut() = %v", err)
			}
			if k == 0 {
				t.Fatal("the roll forward has no steps")
			}
			return // every step was crashed once
		}
		if !errors.Is(err, errCrash) {
			t.Fatalf("openOut() with a crash at %d = %v, want the crash", k, err)
		}
		checkOutIntact(t, root)
		if _, err := openOut(root, nil, nil); err != nil {
			t.Fatalf("openOut() after a crashed roll forward = %v", err)
		}
		if got := checkOutIntact(t, root); got[date] != "new" {
			t.Errorf("crash at %d (%s): published = %v, want new", k, again.events[k], got)
		}
		checkClean(t, root)
	}
}

func TestJournalUnreadable(t *testing.T) {
	tests := []struct {
		name, journal string
	}{
		{"torn", `{"version": 1, "run_id": "r`},
		{"escaping dataset", `{"version":1,"run_id":"r1","run_date":"2024-05-01","staging":".staging/r1","steps":[{"op":"install","dataset":"../x"}]}`},
		{"escaping run id", `{"version":1,"run_id":"../r1","run_date":"2024-05-01","staging":".staging/r1","steps":[]}`},
		{"bad date", `{"version":1,"run_id":"r1","run_date":"2024-13-01","staging":".staging/r1","steps":[]}`},
		{"unknown op", `{"version":1,"run_id":"r1","run_date":"2024-05-01","staging":".staging/r1","steps":[{"op":"delete","dataset":"scores"}]}`},
		{"install without inode", `{"version":1,"run_id":"r1","run_date":"2024-05-01","staging":".staging/r1","steps":[{"op":"install","dataset":"scores"}]}`},
		{"future version", `{"version":2,"run_id":"r1","run_date":"2024-05-01","staging":".staging/r1","steps":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			if err := os.WriteFile(filepath.Join(root, journalName), []byte(tt.journal), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := OpenOut(root, nil)
			if err == nil || !strings.Contains(err.Error(), journalName) {
				t.Errorf("OpenOut() = %v, want an error naming the journal", err)
			}
		})
	}
}

func TestStaleStagingCleaned(t *testing.T) {
	root := t.TempDir()
	o, release := lockedOut(t, root, nil)
	stageRun(t, o, "2024-05-01", "dead", DatasetScores)
	release() // the run dies without publishing
	if err := os.WriteFile(filepath.Join(root, journalName+".tmp"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenOut(root, nil); err != nil {
		t.Fatal(err)
	}
	checkClean(t, root)
	if ok, _ := exists(filepath.Join(root, journalName+".tmp")); ok {
		t.Errorf("stale journal temp file left behind")
	}
}

func TestFail(t *testing.T) {
	root := t.TempDir()
	o, release := lockedOut(t, root, nil)
	defer release()
	if err := o.Publish(stageRun(t, o, "2024-05-01", "good", DatasetScores, DatasetRejects)); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"bad1", "bad2"} {
		s := stageRun(t, o, "2024-05-01", id, DatasetScores, DatasetScenarios, DatasetRejects)
		if err := o.Fail(s); err != nil {
			t.Fatalf("Fail(%s) = %v", id, err)
		}
		if got := checkOutIntact(t, root); !mapsEqual(got, map[string]string{"2024-05-01": "good"}) {
			t.Errorf("published after Fail(%s) = %v, want the good run untouched", id, got)
		}
		checkClean(t, root)
		dir := filepath.Join(root, FailedFolder, "run_date=2024-05-01")
		if m := readMarker(dir); m.RunID != id {
			t.Errorf("failed run folder made by %q, want %s", m.RunID, id)
		}
		var names []string
		filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && d.Name() != markerName {
				rel, _ := filepath.Rel(dir, path)
				names = append(names, filepath.ToSlash(rel))
			}
			return nil
		})
		if want := []string{"manifest.json", "rejects/part-0.parquet"}; !slices.Equal(names, want) {
			t.Errorf("failed run folder holds %q, want %q", names, want)
		}
		if err := o.Publish(s); err == nil {
			t.Errorf("Publish() after Fail = nil, want an error")
		}
	}
}

func TestPublishedLatest(t *testing.T) {
	root := t.TempDir()
	o, release := lockedOut(t, root, nil)
	defer release()
	if d, ok, err := o.Latest(day("2024-05-01")); ok || err != nil {
		t.Errorf("Latest() on an empty root = %v, %v, %v, want none", d, ok, err)
	}
	for i, d := range []string{"2024-05-03", "2024-05-01", "2024-05-05"} {
		if err := o.Publish(stageRun(t, o, d, fmt.Sprintf("r%d", i), DatasetScores)); err != nil {
			t.Fatal(err)
		}
	}
	// A folder with no manifest and a stray name are not published runs.
	os.MkdirAll(filepath.Join(root, DatasetRuns, "run_date=2024-05-04"), 0o755)
	os.MkdirAll(filepath.Join(root, DatasetRuns, "run_date=2024-5-6"), 0o755)
	dates, err := o.Published()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range dates {
		got = append(got, dateString(d))
	}
	if want := []string{"2024-05-01", "2024-05-03", "2024-05-05"}; !slices.Equal(got, want) {
		t.Errorf("Published() = %q, want %q", got, want)
	}
	tests := []struct {
		before string
		want   string // "" for none
	}{
		{"2024-04-30", ""},
		{"2024-05-01", ""},
		{"2024-05-02", "2024-05-01"},
		{"2024-05-03", "2024-05-01"},
		{"2024-05-04", "2024-05-03"},
		{"2024-05-05", "2024-05-03"},
		{"2025-01-01", "2024-05-05"},
	}
	for _, tt := range tests {
		d, ok, err := o.Latest(day(tt.before))
		if err != nil || ok != (tt.want != "") || (ok && dateString(d) != tt.want) {
			t.Errorf("Latest(%s) = %v, %v, %v, want %q", tt.before, d, ok, err, tt.want)
		}
	}
	// A run date given in another location keeps its calendar date.
	east := time.FixedZone("UTC+9", 9*3600)
	if d, ok, _ := o.Latest(time.Date(2024, 5, 4, 1, 0, 0, 0, east)); !ok || dateString(d) != "2024-05-03" {
		t.Errorf("Latest(2024-05-04 01:00 UTC+9) = %v, %v, want 2024-05-03", d, ok)
	}
}

func TestPrune(t *testing.T) {
	dates := []string{"2024-05-01", "2024-05-02", "2024-05-03", "2024-05-04", "2024-05-05"}
	tests := []struct {
		name string
		keep int
		want []string
	}{
		{"zero keeps all", 0, dates},
		{"negative keeps all", -1, dates},
		{"keep two", 2, dates[3:]},
		{"keep one", 1, dates[4:]},
		{"keep more than there are", 9, dates},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			o, release := lockedOut(t, root, nil)
			defer release()
			for i, d := range dates {
				if err := o.Publish(stageRun(t, o, d, fmt.Sprintf("r%d", i), DatasetScores, DatasetScenarios)); err != nil {
					t.Fatal(err)
				}
			}
			if err := o.Fail(stageRun(t, o, dates[0], "failed0", DatasetRejects)); err != nil {
				t.Fatal(err)
			}
			if err := o.Prune(tt.keep); err != nil {
				t.Fatalf("Prune(%d) = %v", tt.keep, err)
			}
			got := checkOutIntact(t, root)
			var gotDates []string
			for d := range got {
				gotDates = append(gotDates, d)
			}
			slices.Sort(gotDates)
			if !slices.Equal(gotDates, tt.want) {
				t.Errorf("published after Prune(%d) = %q, want %q", tt.keep, gotDates, tt.want)
			}
			for _, f := range []string{DatasetScores, DatasetScenarios, DatasetRuns, FailedFolder} {
				parts, _ := o.partitions(f)
				for _, p := range parts {
					if p < tt.want[0] {
						t.Errorf("%s/%s survived Prune(%d)", f, partition(p), tt.keep)
					}
				}
			}
			checkClean(t, root)
		})
	}
}

// TestPruneCrash crashes a prune after a date's manifest went: the date is
// no longer published, its other folders stay whole, and the next prune
// removes them.
func TestPruneCrash(t *testing.T) {
	root := t.TempDir()
	c := &crasher{k: -1}
	o, release := lockedOut(t, root, c.hook)
	for i, d := range []string{"2024-05-01", "2024-05-02", "2024-05-03"} {
		if err := o.Publish(stageRun(t, o, d, fmt.Sprintf("r%d", i), DatasetScores, DatasetScenarios)); err != nil {
			t.Fatal(err)
		}
	}
	c.events, c.k = nil, 0 // the first prune event: runs/run_date=2024-05-01 is gone
	if err := o.Prune(1); !errors.Is(err, errCrash) {
		t.Fatalf("Prune() = %v, want the simulated crash", err)
	}
	if c.events[0] != "pruned runs 2024-05-01" {
		t.Errorf("first prune event %q, want the manifest folder of the oldest date", c.events[0])
	}
	release()
	got := checkOutIntact(t, root)
	if want := map[string]string{"2024-05-02": "r1", "2024-05-03": "r2"}; !mapsEqual(got, want) {
		t.Errorf("published after a crashed prune = %v, want %v", got, want)
	}
	o2, release2 := lockedOut(t, root, nil)
	defer release2()
	if err := o2.Prune(1); err != nil {
		t.Fatal(err)
	}
	if got := checkOutIntact(t, root); !mapsEqual(got, map[string]string{"2024-05-03": "r2"}) {
		t.Errorf("published after Prune(1) = %v, want only 2024-05-03", got)
	}
	for _, ds := range []string{DatasetScores, DatasetScenarios} {
		if parts, _ := o2.partitions(ds); !slices.Equal(parts, []string{"2024-05-03"}) {
			t.Errorf("%s holds %q after the second prune, want only 2024-05-03", ds, parts)
		}
	}
	checkClean(t, root)
}

// TestRollForwardRefusesForeignFolder: a staged folder that is not the one
// journaled stops the roll forward, leaving the published runs alone.
func TestRollForwardRefusesForeignFolder(t *testing.T) {
	root := t.TempDir()
	c := &crasher{k: 1} // "journal written"
	o, release := lockedOut(t, root, c.hook)
	s := stageRun(t, o, "2024-05-01", "r1", DatasetScores)
	if err := o.Publish(s); !errors.Is(err, errCrash) {
		t.Fatalf("Publish() = %v, want the simulated crash", err)
	}
	release()
	// Someone replaces the staged folder.
	dir := s.Dir(DatasetScores)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := OpenOut(root, nil)
	if err == nil || !strings.Contains(err.Error(), "not the one journaled") {
		t.Errorf("OpenOut() = %v, want a roll forward error about the staged folder", err)
	}
	if ok, _ := exists(filepath.Join(root, DatasetScores, "run_date=2024-05-01")); ok {
		t.Errorf("the foreign folder was published")
	}
	if ok, _ := exists(filepath.Join(root, journalName)); !ok {
		t.Errorf("the journal was removed")
	}
}
