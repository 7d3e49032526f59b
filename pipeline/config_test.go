package pipeline

import (
	"encoding/json"
	"errors"
	"math"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name     string
		change   func(c *Config)
		wantKeys []string // keys named by the errors, in order; none for a valid config
	}{
		{"defaults", func(c *Config) {}, nil},
		{"input dir only", func(c *Config) { c.Input.Dir = "data" }, nil},
		{"every table on its own", func(c *Config) {
			c.Input = InputConfig{Companies: "c", ModelUsage: "m", DataAssets: "d", FundingRounds: "f"}
		}, nil},
		{"one table without dir", func(c *Config) { c.Input.Companies = "c" },
			[]string{"input.model_usage", "input.data_assets", "input.funding_rounds"}},
		{"empty out", func(c *Config) { c.Out = " " }, []string{"out"}},
		{"share over 1", func(c *Config) { c.Run.MaxRejectShare = 1.5 }, []string{"run.max_reject_share"}},
		{"share negative", func(c *Config) { c.Run.MaxRejectShare = -0.1 }, []string{"run.max_reject_share"}},
		{"share NaN", func(c *Config) { c.Run.MaxRejectShare = math.NaN() }, []string{"run.max_reject_share"}},
		{"share 0 and 1 are fine", func(c *Config) { c.Run.MaxRejectShare = 1 }, nil},
		{"keep runs negative", func(c *Config) { c.Run.KeepRuns = -1 }, []string{"run.keep_runs"}},
		{"wait negative", func(c *Config) { c.Run.Wait = Duration{-time.Second} }, []string{"run.wait"}},
		{"rank by unknown", func(c *Config) { c.Rank.By = "revenue" }, []string{"rank.by"}},
		{"rank by each key", func(c *Config) { c.Rank.By = RankAdjustedValuation }, nil},
		{"log format", func(c *Config) { c.Log.Format = "xml" }, []string{"log.format"}},
		{"log level", func(c *Config) { c.Log.Level = "trace" }, []string{"log.level"}},
		{"run date year", func(c *Config) { c.RunDate = Date{time.Date(1850, 1, 1, 0, 0, 0, 0, time.UTC)} }, []string{"run_date"}},
		{"several at once", func(c *Config) { c.Rank.By = ""; c.Log.Level = "" }, []string{"rank.by", "log.level"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.change(&c)
			err := c.Validate()
			var keys []string
			if err != nil {
				for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
					var ce *ConfigError
					if !errors.As(e, &ce) {
						t.Fatalf("Validate() error %v is not a *ConfigError", e)
					}
					keys = append(keys, ce.Key)
				}
			}
			if !slices.Equal(keys, tc.wantKeys) {
				t.Errorf("Validate() keys = %v, want %v (error: %v)", keys, tc.wantKeys, err)
			}
		})
	}
}

func TestInputSpec(t *testing.T) {
	in := InputConfig{Dir: "data", ModelUsage: "lake/usage/**/*.parquet"}
	tests := []struct {
		table, want string
	}{
		{"companies", filepath.Join("data", "companies")},
		{"model_usage", "lake/usage/**/*.parquet"},
		{"data_assets", filepath.Join("data", "data_assets")},
		{"funding_rounds", filepath.Join("data", "funding_rounds")},
		{"unknown", filepath.Join("data", "unknown")},
	}
	for _, tc := range tests {
		if got := in.Spec(tc.table); got != tc.want {
			t.Errorf("Spec(%q) = %q, want %q", tc.table, got, tc.want)
		}
	}
	if (InputConfig{}).Given() {
		t.Error("InputConfig{}.Given() = true, want false")
	}
	if !(InputConfig{FundingRounds: "x"}).Given() {
		t.Error("Given() with one table = false, want true")
	}
}

func TestConfigError(t *testing.T) {
	tests := []struct {
		err  *ConfigError
		want string
	}{
		{&ConfigError{Key: "run.wait", Err: errors.New("bad")}, "config: run.wait: bad"},
		{&ConfigError{Key: "run.wait", Source: "env MOATSCORE_RUN_WAIT", Err: errors.New("bad")}, "config: run.wait (from env MOATSCORE_RUN_WAIT): bad"},
		{&ConfigError{Source: "file m.yaml", Err: errors.New("bad")}, "config: file m.yaml: bad"},
		{&ConfigError{Err: errors.New("bad")}, "config: bad"},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestDateAndDurationText(t *testing.T) {
	dates := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"2025-06-01", "2025-06-01", false},
		{" 2025-06-01 ", "2025-06-01", false},
		{"", "", false},
		{"2025-13-01", "", true},
		{"01/06/2025", "", true},
		{"2025-06-01T10:00:00Z", "", true},
	}
	for _, tc := range dates {
		d, err := ParseDate(tc.in)
		if (err != nil) != tc.wantErr || d.String() != tc.want {
			t.Errorf("ParseDate(%q) = %q, %v, want %q, error %v", tc.in, d, err, tc.want, tc.wantErr)
		}
	}
	durations := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"5m", 5 * time.Minute, false},
		{"1h30m", 90 * time.Minute, false},
		{"0", 0, false},
		{"", 0, false},
		{"5", 0, true},
		{"soon", 0, true},
	}
	for _, tc := range durations {
		d, err := ParseDuration(tc.in)
		if (err != nil) != tc.wantErr || d.Duration != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v, want %v, error %v", tc.in, d, err, tc.want, tc.wantErr)
		}
	}

	c := DefaultConfig()
	c.RunDate = DateOf(time.Date(2025, 6, 1, 23, 30, 0, 0, time.FixedZone("x", -3*3600)))
	c.Run.Wait = Duration{90 * time.Second}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var back Config
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("json round trip: %v", err)
	}
	if back.RunDate.String() != "2025-06-02" || back.Run.Wait.Duration != 90*time.Second {
		t.Errorf("json round trip gave run_date %s, wait %v; want 2025-06-02, 1m30s (json %s)", back.RunDate, back.Run.Wait, b)
	}
}
