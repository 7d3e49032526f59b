package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"moatscore/data"
	"moatscore/pipeline"
)

func TestRootHelp(t *testing.T) {
	r := run(t, "--help")
	if r.code != exitOK {
		t.Fatalf("--help: exit %d, stderr %q", r.code, r.stderr)
	}
	checkGolden(t, "help.txt", r.stdout)
	for _, want := range []string{"Exit codes:", "0  success", "1  failure", "2  usage or configuration error", "3  data quality"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("--help does not document %q", want)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	out := t.TempDir()
	tests := []struct {
		name    string
		args    []string
		wantErr string // in stderr
	}{
		{"unknown command", []string{"bogus"}, `unknown command "bogus"`},
		{"unknown flag", []string{"validate", "--nope"}, "unknown flag: --nope"},
		{"bad flag value", []string{"generate", "--out", out, "--companies", "many"}, `invalid argument "many"`},
		{"extra argument", []string{"schema", "extra"}, `unknown command "extra"`},
		{"schema format", []string{"schema", "--format", "xml"}, `--format "xml": want text or json`},
		{"config format", []string{"config", "--format", "toml"}, `--format "toml": want yaml or json`},
		{"validate without input", []string{"validate"}, "no input given"},
		{"validate format", []string{"validate", "--input", out, "--format", "csv"}, `--format "csv"`},
		{"generate without out", []string{"generate"}, "--out is required"},
		{"generate bad rows", []string{"generate", "--out", out, "--bad-rows", "0.9"}, "--bad-rows 0.9"},
		{"generate negative companies", []string{"generate", "--out", out, "--companies", "-1"}, "--companies -1"},
		{"log level", []string{"config", "--log-level", "trace"}, "log.level (from flag --log-level)"},
		{"schema log level", []string{"schema", "--log-level", "trace"}, `log level "trace"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, tc.args...)
			if r.code != exitUsage {
				t.Errorf("moatscore %v: exit %d, want %d (stderr %q)", tc.args, r.code, exitUsage, r.stderr)
			}
			if !strings.Contains(messages(r.stderr), tc.wantErr) {
				t.Errorf("moatscore %v: stderr %q, want it to contain %q", tc.args, r.stderr, tc.wantErr)
			}
			if r.stdout != "" {
				t.Errorf("moatscore %v: stdout %q, want nothing", tc.args, r.stdout)
			}
		})
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, 0},
		{"plain", errors.New("disk full"), 1},
		{"file error", fmt.Errorf("read companies: %w", &data.FileError{Path: "x.parquet", Err: data.ErrNotParquet}), 1},
		{"usage", usageErrorf("--format %q", "x"), 2},
		{"config", &pipeline.ConfigError{Key: "rank.by", Err: errors.New("bad")}, 2},
		{"joined config", errors.Join(&pipeline.ConfigError{Key: "a"}, &pipeline.ConfigError{Key: "b"}), 2},
		{"reference file", &data.ReferenceError{File: "p.csv", Err: errors.New("bad")}, 2},
		{"quality", errors.Join(&pipeline.QualityError{Table: "companies", RowsIn: 10, Rejected: 1}), 3},
		{"interrupted", &interruptedError{cause: context.Canceled, err: &pipeline.QualityError{}}, 1},
	}
	for _, tc := range tests {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("exitCode(%s: %v) = %d, want %d", tc.name, tc.err, got, tc.want)
		}
	}
}

func TestErrorAsJSONLog(t *testing.T) {
	r := run(t, "validate", "--log-format", "json", "--input", "/nonexistent/moatscore/input")
	if r.code != exitFailure {
		t.Fatalf("exit %d, want %d (stderr %q)", r.code, exitFailure, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rec); err != nil {
		t.Fatalf("last stderr line is not JSON: %q", lines[len(lines)-1])
	}
	if rec["level"] != "ERROR" || rec["exit_code"] != float64(1) || !strings.Contains(fmt.Sprint(rec["msg"]), "/nonexistent/moatscore/input") {
		t.Errorf("error record = %v, want level ERROR, exit_code 1 and the missing path", rec)
	}
	if rec["time"] != "2025-06-01T12:00:00Z" {
		t.Errorf("error record time = %v, want the injected clock", rec["time"])
	}
}

// messages returns stderr with each JSON log record replaced by its message.
func messages(stderr string) string {
	var b strings.Builder
	for _, line := range strings.Split(stderr, "\n") {
		var rec struct{ Msg string }
		if strings.HasPrefix(line, "{") && json.Unmarshal([]byte(line), &rec) == nil {
			line = rec.Msg
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}
