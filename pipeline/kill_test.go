package pipeline

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"moatscore/data"
	"moatscore/data/synth"
)

// killTestEnv, set to 1, runs TestRunKilled over about a million companies
// (MOATSCORE_KILL_COMPANIES sets another size); by default it runs over a
// small dataset so that the suite stays quick.
const (
	killTestEnv      = "MOATSCORE_KILL_TEST"
	killCompaniesEnv = "MOATSCORE_KILL_COMPANIES"
	killRounds       = 10
)

// TestRunKilled builds the moatscore binary, publishes a run, then starts
// runs and kills them with SIGKILL at random moments, ten times. After each
// kill the output root must be intact to a reader (the earlier published
// run complete and readable, nothing partial visible), and the next run
// must roll forward what was left and publish.
func TestRunKilled(t *testing.T) {
	companies := 10_000
	if testing.Short() {
		companies = 3_000
	}
	if os.Getenv(killTestEnv) == "1" {
		companies = 1_000_000
	}
	if s := os.Getenv(killCompaniesEnv); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			t.Fatalf("%s=%q: want a number of companies", killCompaniesEnv, s)
		}
		companies = n
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "moatscore")
	build := exec.Command("go", "build", "-o", bin, "moatscore/cmd/moatscore")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	in := filepath.Join(dir, "in")
	runDate := time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)
	if _, err := synth.Generate(context.Background(), synth.Options{
		Out: in, Companies: companies, Seed: 7, BadRows: 0.005, RunDate: runDate,
	}, data.DefaultReference(), nil); err != nil {
		t.Fatalf("generate: %v", err)
	}
	out := filepath.Join(dir, "out")
	run := func(date string) *exec.Cmd {
		cmd := exec.Command(bin, "run", "--input", in, "--out", out, "--run-date", date, "--log-format", "json", "--wait", "1m")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "MOATSCORE_CONFIG=")
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &bytes.Buffer{}, &stderr
		return cmd
	}
	mustRun := func(date string) time.Duration {
		t.Helper()
		cmd := run(date)
		start := time.Now()
		if err := cmd.Run(); err != nil {
			t.Fatalf("moatscore run --run-date %s: %v\n%s", date, err, cmd.Stderr)
		}
		return time.Since(start)
	}

	base := mustRun("2026-01-14")
	published := checkOutIntact(t, out)
	if published["2026-01-14"] == "" {
		t.Fatalf("after the first run, published = %v, want 2026-01-14", published)
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	dates := []string{"2026-01-15", "2026-01-14"} // a new date, and a re-run that replaces one
	for round := range killRounds {
		date := dates[round%len(dates)]
		before := checkOutIntact(t, out)
		cmd := run(date)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		after := time.Duration(rng.Int64N(int64(base + base/5)))
		time.Sleep(after)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		var exit *exec.ExitError
		killed := errors.As(err, &exit) && exit.ProcessState.Sys().(syscall.WaitStatus).Signaled()
		if err != nil && !killed {
			t.Fatalf("round %d: run --run-date %s ended with %v before the kill\n%s", round, date, err, cmd.Stderr)
		}
		now := checkOutIntact(t, out)
		for d, id := range before {
			// Every other date stays published throughout. The date being
			// re-run may be between its old and new versions (its manifest
			// retired, the switches journaled); the next invocation rolls it
			// forward.
			if now[d] == "" && d != date {
				t.Errorf("round %d (killed after %v): run date %s (run %s) is no longer published", round, after, d, id)
			}
		}
		o, err := OpenOut(out, nil) // what the next invocation does first
		if err != nil {
			t.Fatalf("round %d: open the output root after the kill: %v", round, err)
		}
		_ = o
		rolled := checkOutIntact(t, out)
		for d, id := range before {
			if rolled[d] == "" {
				t.Errorf("round %d (killed after %v): run date %s (run %s) is not published after the roll forward", round, after, d, id)
			}
		}
		t.Logf("round %d: run %s killed=%v after %v; published then %v, after roll forward %v", round, date, killed, after.Round(time.Millisecond), now, rolled)
		if t.Failed() {
			t.FailNow()
		}
	}
	mustRun("2026-01-16")
	published = checkOutIntact(t, out)
	for _, d := range []string{"2026-01-14", "2026-01-16"} {
		if published[d] == "" {
			t.Errorf("after the last run, published = %v, want %s", published, d)
		}
	}
	entries, err := os.ReadDir(filepath.Join(out, ".staging"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("after the last run, the staging folder still holds %s", e.Name())
	}
}
