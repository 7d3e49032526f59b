package pipeline

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// testSeed is the seed of the randomised tests: MOATSCORE_TEST_SEED, else 1.
func testSeed(t *testing.T) uint64 {
	seed := uint64(1)
	if s := os.Getenv("MOATSCORE_TEST_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("MOATSCORE_TEST_SEED=%q: %v", s, err)
		}
		seed = n
	}
	t.Logf("seed %d (set MOATSCORE_TEST_SEED to change)", seed)
	return seed
}

// TestPublishRandomCrashes publishes, fails and prunes dated runs over one
// output root, crashing at random points (the work itself and, sometimes,
// the roll forward after it). After each crash what a reader sees must be
// intact; after the next OpenOut every run whose journal was written must be
// published, and nothing else may have changed.
func TestPublishRandomCrashes(t *testing.T) {
	rng := rand.New(rand.NewPCG(testSeed(t), 7))
	iterations := 150
	if testing.Short() {
		iterations = 40
	}
	root := t.TempDir()
	dates := []string{"2024-05-01", "2024-05-02", "2024-05-03", "2024-05-04", "2024-05-05"}
	dataDatasets := []string{DatasetScores, DatasetScenarios, DatasetRejects, DatasetReports}
	model := map[string]string{} // published run id by date
	failed := map[string]string{}

	for it := range iterations {
		c := &crasher{k: -1}
		if rng.IntN(2) == 0 {
			c.k = rng.IntN(16)
		}
		o, release := lockedOut(t, root, c.hook)
		checkClean(t, root)
		o.noExchange = rng.IntN(4) == 0
		id := fmt.Sprintf("r%03d", it)
		date := dates[rng.IntN(len(dates))]
		var op string
		var err error
		var pruneCutoff string
		switch n := rng.IntN(10); {
		case n < 7:
			op = "publish"
			var dss []string
			for _, ds := range dataDatasets {
				if rng.IntN(2) == 0 {
					dss = append(dss, ds)
				}
			}
			err = o.Publish(stageRun(t, o, date, id, dss...))
		case n < 9:
			op = "fail"
			err = o.Fail(stageRun(t, o, date, id, DatasetScores, DatasetRejects))
		default:
			op = "prune"
			keep := 1 + rng.IntN(3)
			var kept []string
			for d := range model {
				kept = append(kept, d)
			}
			slices.Sort(kept)
			if len(kept) > 0 {
				pruneCutoff = kept[max(0, len(kept)-keep)]
			}
			err = o.Prune(keep)
		}
		ev, crashed := c.crashed()
		if crashed != errors.Is(err, errCrash) || !crashed && err != nil {
			t.Fatalf("iteration %d: %s = %v (crash at %q: %v)", it, op, err, ev, crashed)
		}
		release()

		journaled := slices.Contains(c.events, "journal written")
		if crashed {
			// A reader right after the crash: every date is its old run,
			// the new one, or (mid-switch, mid-prune) not published.
			for d, got := range checkOutIntact(t, root) {
				if got != model[d] && !(d == date && got == id) {
					t.Fatalf("iteration %d: %s crashed at %q: %s published by %s, want %s or %s", it, op, ev, d, got, model[d], id)
				}
			}
			if rng.IntN(3) == 0 { // crash the roll forward too
				again := &crasher{k: rng.IntN(8)}
				if _, err := openOut(root, nil, again.hook); err != nil && !errors.Is(err, errCrash) {
					t.Fatalf("iteration %d: roll forward = %v", it, err)
				}
				checkOutIntact(t, root)
			}
		}
		if _, err := OpenOut(root, nil); err != nil {
			t.Fatalf("iteration %d: OpenOut() = %v", it, err)
		}

		switch op {
		case "publish":
			if journaled {
				model[date] = id
			}
		case "fail":
			// Cut short, the failed run's folder may be gone: it is only
			// kept to debug.
			failed[date] = id
			if crashed {
				delete(failed, date)
				os.RemoveAll(filepath.Join(root, FailedFolder, partition(date)))
			}
		case "prune":
			got := checkOutIntact(t, root)
			for d := range model {
				_, ok := got[d]
				switch {
				case d >= pruneCutoff && !ok:
					t.Fatalf("iteration %d: prune removed %s, newer than the cutoff %s", it, d, pruneCutoff)
				case d < pruneCutoff && ok && !crashed:
					t.Fatalf("iteration %d: prune kept %s, older than the cutoff %s", it, d, pruneCutoff)
				case !ok:
					delete(model, d)
				}
			}
			for d := range failed {
				if d < pruneCutoff {
					if ok, _ := exists(filepath.Join(root, FailedFolder, partition(d))); ok && !crashed {
						t.Fatalf("iteration %d: prune kept failed/%s, older than the cutoff %s", it, partition(d), pruneCutoff)
					}
					delete(failed, d)
					os.RemoveAll(filepath.Join(root, FailedFolder, partition(d)))
				}
			}
		}
		if got := checkOutIntact(t, root); !mapsEqual(got, model) {
			t.Fatalf("iteration %d: %s (crash at %q: %v): published %v, want %v", it, op, ev, crashed, got, model)
		}
		for d, want := range failed {
			if got := readMarker(filepath.Join(root, FailedFolder, partition(d))).RunID; got != want {
				t.Fatalf("iteration %d: failed/%s made by %q, want %s", it, partition(d), got, want)
			}
		}
	}
}

// publishLoop is the helper process of TestKillDuringPublish: it publishes
// runs over three dates until killed, saying "start DATE ID" once a run is
// staged and "done DATE ID" once it is published.
func publishLoop(t testing.TB, o *Out, tag string) {
	dates := []string{"2024-05-01", "2024-05-02", "2024-05-03"}
	for i := 0; ; i++ {
		date := dates[i%len(dates)]
		id := fmt.Sprintf("%s-%d", tag, i)
		s, err := o.Stage(day(date), id)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		for _, ds := range []string{DatasetScores, DatasetScenarios} {
			for part := range 3 {
				writeTestParquet(t, filepath.Join(s.Dir(ds), fmt.Sprintf("part-%d.parquet", part)), id, 20000)
			}
		}
		if i%2 == 0 {
			writeTestParquet(t, filepath.Join(s.Dir(DatasetRejects), "part-0.parquet"), id, 100)
		}
		manifest := fmt.Sprintf(`{"run_id": %q, "run_date": %q}`, id, date)
		if err := os.WriteFile(filepath.Join(s.Dir(DatasetRuns), ManifestName), []byte(manifest), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("start %s %s\n", date, id)
		if err := o.Publish(s); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("done %s %s\n", date, id)
	}
}

// TestKillDuringPublish kills a process that publishes runs in a loop with
// SIGKILL at random moments. Each time, what a reader sees must be intact;
// after the next OpenOut each date must hold its last published run or the
// one being published when the process died; and the next process goes on.
func TestKillDuringPublish(t *testing.T) {
	rng := rand.New(rand.NewPCG(testSeed(t), 11))
	rounds := 6
	if testing.Short() {
		rounds = 2
	}
	root := t.TempDir()
	published := map[string]string{}
	for round := range rounds {
		cmd, stdout := startHelper(t, "publish", root, fmt.Sprintf("k%d", round))
		var mu sync.Mutex
		var lines []string
		firstDone := make(chan struct{})
		readerDone := make(chan struct{})
		go func() {
			defer close(readerDone)
			sc := bufio.NewScanner(stdout)
			once := sync.Once{}
			for sc.Scan() {
				mu.Lock()
				lines = append(lines, sc.Text())
				mu.Unlock()
				if strings.HasPrefix(sc.Text(), "done ") {
					once.Do(func() { close(firstDone) })
				}
			}
			once.Do(func() { close(firstDone) })
		}()
		<-firstDone
		time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		<-readerDone

		// What the child reported: the last published run per date and the
		// run under way when it died.
		var inFlight [2]string // date, id
		for _, l := range lines {
			f := strings.Fields(l)
			if len(f) != 3 {
				t.Fatalf("round %d: helper said %q", round, l)
			}
			switch f[0] {
			case "start":
				inFlight = [2]string{f[1], f[2]}
			case "done":
				published[f[1]] = f[2]
				inFlight = [2]string{}
			}
		}
		ok := func(date, got string) bool {
			return got == published[date] || date == inFlight[0] && got == inFlight[1]
		}
		for d, got := range checkOutIntact(t, root) {
			if !ok(d, got) {
				t.Fatalf("round %d, before recovery: %s published by %s, want %s or the run under way %v", round, d, got, published[d], inFlight)
			}
		}
		journaled, _ := exists(filepath.Join(root, journalName))
		o, err := OpenOut(root, nil)
		if err != nil {
			t.Fatalf("round %d: OpenOut() = %v", round, err)
		}
		release, err := o.Lock(t.Context(), 0)
		if err != nil {
			t.Fatalf("round %d: Lock() = %v", round, err)
		}
		checkClean(t, root)
		after := checkOutIntact(t, root)
		release()
		for d := range published {
			if _, there := after[d]; !there {
				t.Errorf("round %d: %s, published by %s, is gone", round, d, published[d])
			}
		}
		for d, got := range after {
			if !ok(d, got) {
				t.Errorf("round %d, after recovery: %s published by %s, want %s or the run under way %v", round, d, got, published[d], inFlight)
			}
			published[d] = got
		}
		done := 0
		for _, l := range lines {
			if strings.HasPrefix(l, "done ") {
				done++
			}
		}
		t.Logf("round %d: the helper published %d runs, was killed during %v, left a journal: %v", round, done, inFlight, journaled)
	}
}
