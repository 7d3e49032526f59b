package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestGenerate(t *testing.T) {
	out := filepath.Join(t.TempDir(), "gen")
	args := []string{"generate", "--out", out, "--companies", "120", "--seed", "2", "--bad-rows", "0.02"}
	r := run(t, args...)
	if r.code != exitOK {
		t.Fatalf("generate: exit %d, stderr %q", r.code, r.stderr)
	}
	// File sizes move with the Parquet writer's metadata: not pinned.
	sizes := regexp.MustCompile(`(?m)  +(BYTES|[0-9.]+ (B|KiB|MiB|GiB))$`)
	checkGolden(t, "generate.txt", sizes.ReplaceAllString(strings.ReplaceAll(r.stdout, out, "OUT"), ""))

	// The dataset is what validate reads, with the run date of the test clock.
	v := run(t, "validate", "--input", out)
	if v.code != exitQuality {
		t.Errorf("validate of a generated dataset with bad rows: exit %d, want %d; stderr %q", v.code, exitQuality, v.stderr)
	}

	// A second run into the same folder needs --overwrite.
	again := run(t, args...)
	if again.code != exitUsage || !strings.Contains(messages(again.stderr), "add --overwrite") {
		t.Errorf("generate into a full folder: exit %d, stderr %q; want %d and a hint to add --overwrite", again.code, again.stderr, exitUsage)
	}
	if ow := run(t, append(args, "--overwrite")...); ow.code != exitOK || ow.stdout != r.stdout {
		t.Errorf("generate --overwrite: exit %d, stdout %q, want the same output as the first run; stderr %q", ow.code, ow.stdout, ow.stderr)
	}
}
