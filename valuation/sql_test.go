package valuation

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestSQLGolden pins the SQL form of the model for the test configuration,
// so that a change of formula shows in review; refresh with -update.
func TestSQLGolden(t *testing.T) {
	cfg := testConfig()
	cfg.Regime = "live_rule"
	m := newTestModel(t, cfg)
	got := m.SQL()
	for _, c := range m.Components() {
		if !strings.Contains(got, c.SQL) {
			t.Errorf("SQL lacks the formula of %s: %s", c.ID, c.SQL)
		}
	}
	for _, oc := range m.ScoreColumns() {
		if !strings.Contains(got, oc.Name) {
			t.Errorf("SQL lacks the column %s", oc.Name)
		}
	}
	path := filepath.Join("testdata", "model.sql")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("SQL differs from %s (run go test -update after checking the change)", path)
	}
}
