package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
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

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
)

// buildBinary builds the moatscore command once per test process.
func buildBinary(t *testing.T) string {
	t.Helper()
	binaryOnce.Do(func() {
		dir, err := os.MkdirTemp("", "moatscore-bin-")
		if err != nil {
			binaryErr = err
			return
		}
		binaryPath = filepath.Join(dir, "moatscore")
		out, err := exec.Command("go", "build", "-o", binaryPath, "moatscore/cmd/moatscore").CombinedOutput()
		if err != nil {
			binaryErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binaryErr != nil {
		t.Fatal(binaryErr)
	}
	return binaryPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binaryPath != "" {
		os.RemoveAll(filepath.Dir(binaryPath))
	}
	os.Exit(code)
}

// TestRunTerminated sends SIGTERM to a run in the middle of reading: it
// must stop with exit code 1, say it was interrupted, remove its staging
// folder and leave the published run as it was.
func TestRunTerminated(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	if _, err := synth.Generate(context.Background(), synth.Options{
		Out: in, Companies: 5_000, Seed: 8, RunDate: time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC),
	}, data.DefaultReference(), nil); err != nil {
		t.Fatalf("generate: %v", err)
	}
	out := filepath.Join(dir, "out")
	args := func(date string) []string {
		return []string{"run", "--input", in, "--out", out, "--run-date", date, "--log-format", "json", "--log-level", "debug"}
	}
	first := exec.Command(bin, args("2026-01-14")...)
	first.Env = childEnv()
	if b, err := first.CombinedOutput(); err != nil {
		t.Fatalf("first run: %v\n%s", err, b)
	}
	before := checkOutIntact(t, out)

	cmd := exec.Command(bin, args("2026-01-15")...)
	cmd.Env = childEnv()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	sc := bufio.NewScanner(stderr)
	signalled := false
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
		if !signalled && strings.Contains(sc.Text(), `"msg":"reading"`) {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			signalled = true
		}
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("run after SIGTERM: %v, want exit code 1\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), "interrupted") {
		t.Errorf("the log does not say the run was interrupted:\n%s", log.String())
	}
	after := checkOutIntact(t, out)
	if len(after) != len(before) || after["2026-01-14"] != before["2026-01-14"] {
		t.Errorf("published %v after SIGTERM, want %v", after, before)
	}
	entries, _ := os.ReadDir(filepath.Join(out, stagingName))
	for _, e := range entries {
		t.Errorf("the staging folder still holds %s after SIGTERM", e.Name())
	}
}

// childEnv is the environment of the commands the tests start: this
// process's, without MOATSCORE_* variables (the test's own switches are not
// config keys, and the command rejects unknown ones).
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MOATSCORE_") {
			env = append(env, kv)
		}
	}
	return env
}

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
	bin := buildBinary(t)
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
		cmd.Env = childEnv()
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
	// Ten runs killed: a run that finishes before its kill moment does not
	// count (it must have published, which checkOutIntact sees).
	kills := 0
	for round := 0; kills < killRounds && round < 3*killRounds; round++ {
		date := dates[round%len(dates)]
		before := checkOutIntact(t, out)
		cmd := run(date)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		after := time.Duration(rng.Int64N(int64(base)))
		time.Sleep(after)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		var exit *exec.ExitError
		killed := errors.As(err, &exit) && exit.ProcessState.Sys().(syscall.WaitStatus).Signaled()
		if err != nil && !killed {
			t.Fatalf("round %d: run --run-date %s ended with %v before the kill\n%s", round, date, err, cmd.Stderr)
		}
		if killed {
			kills++
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
	if kills < killRounds {
		t.Errorf("only %d runs were killed before they finished, want %d", kills, killRounds)
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
