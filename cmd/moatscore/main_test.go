package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// testNow is the clock of every test invocation: run dates default to 2025-06-01.
var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// invocation is one in-process run of the command line.
type invocation struct {
	ctx     context.Context
	environ []string
	wd      string
}

type result struct {
	code           int
	stdout, stderr string
}

// run runs moatscore with args in a clean environment: no variables, the
// test clock, a fresh working directory, no terminal.
func run(t *testing.T, args ...string) result {
	t.Helper()
	return invocation{}.run(t, args...)
}

func (inv invocation) run(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if inv.ctx == nil {
		inv.ctx = context.Background()
	}
	if inv.wd == "" {
		inv.wd = t.TempDir()
	}
	e := &env{
		stdout:     &stdout,
		stderr:     &stderr,
		environ:    inv.environ,
		now:        func() time.Time { return testNow },
		wd:         inv.wd,
		isTerminal: func(io.Writer) bool { return false },
	}
	code := execute(inv.ctx, args, e)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// checkGolden compares got with testdata/name, or rewrites the file with
// -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run go test -update to accept):\n%s", path, lineDiff(string(want), got))
	}
}

// lineDiff shows the first lines where want and got differ.
func lineDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(wl), len(gl)) && shown < 10; i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			b.WriteString("line " + itoa(i+1) + ":\n  want: " + w + "\n  got:  " + g + "\n")
			shown++
		}
	}
	return b.String()
}

func itoa(i int) string { return num(int64(i)) }
