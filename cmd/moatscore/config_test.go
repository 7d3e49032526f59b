package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"moatscore/pipeline"
)

func TestConfigDefault(t *testing.T) {
	r := run(t, "config")
	if r.code != exitOK {
		t.Fatalf("config: exit %d, stderr %q", r.code, r.stderr)
	}
	checkGolden(t, "config_default.yaml", r.stdout)
}

// writeFile writes content to dir/name, creating folders.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigLayers(t *testing.T) {
	const file = `# a nightly config
input:
  dir: lake
  funding_rounds: /abs/rounds
out: out
run_date: 2025-05-01
run:
  max_reject_share: 0.1
  keep_runs: 7
  wait: 5m
rank:
  by: data_moat
reference:
  domains: ref/domains.csv
log:
  format: json
  level: warn
`
	tests := []struct {
		name    string
		file    string // written to wd/conf/nightly.yaml when set
		wdFile  string // written to wd/moatscore.yaml when set
		environ []string
		args    []string
		check   func(t *testing.T, wd string, c *pipeline.Config)
		sources []string // lines expected in the YAML output
	}{
		{
			name: "file, paths relative to it",
			file: file,
			args: []string{"--config", "conf/nightly.yaml"},
			check: func(t *testing.T, wd string, c *pipeline.Config) {
				want := pipeline.Config{
					Input: pipeline.InputConfig{Dir: filepath.Join("conf", "lake"), FundingRounds: "/abs/rounds"},
					Out:   filepath.Join("conf", "out"),
					Run:   pipeline.RunConfig{MaxRejectShare: 0.1, KeepRuns: 7},
					Rank:  pipeline.RankConfig{By: "data_moat"},
					Log:   pipeline.LogConfig{Format: "json", Level: "warn"},
				}
				want.Reference.Domains = filepath.Join("conf", "ref", "domains.csv")
				if c.Input != want.Input || c.Out != want.Out || c.Run.MaxRejectShare != 0.1 || c.Run.KeepRuns != 7 ||
					c.Run.Wait.String() != "5m0s" || c.Rank != want.Rank || c.Log != want.Log || c.Reference != want.Reference ||
					c.RunDate.String() != "2025-05-01" {
					t.Errorf("config = %+v, want %+v with run_date 2025-05-01 and wait 5m", *c, want)
				}
			},
			sources: []string{
				"dir: conf/lake # file conf/nightly.yaml",
				`run_date: "2025-05-01" # file conf/nightly.yaml`,
				"model_usage: \"\"\n",
			},
		},
		{
			name:    "environment over file",
			file:    file,
			environ: []string{"MOATSCORE_RUN_MAX_REJECT_SHARE=0.2", "MOATSCORE_INPUT_DIR=data", "MOATSCORE_RUN_WAIT=90s", "MOATSCORE_LOG_FORMAT=", "PATH=/bin"},
			args:    []string{"--config", "conf/nightly.yaml"},
			check: func(t *testing.T, wd string, c *pipeline.Config) {
				if c.Run.MaxRejectShare != 0.2 || c.Input.Dir != "data" || c.Run.Wait.String() != "1m30s" || c.Log.Format != "json" {
					t.Errorf("config = %+v, want max_reject_share 0.2, input.dir data (not relative to the file), wait 1m30s, log.format json (an empty variable is unset)", *c)
				}
			},
			sources: []string{
				"max_reject_share: 0.2 # env MOATSCORE_RUN_MAX_REJECT_SHARE",
				"dir: data # env MOATSCORE_INPUT_DIR",
			},
		},
		{
			name:    "flags over environment",
			file:    file,
			environ: []string{"MOATSCORE_INPUT_DIR=data", "MOATSCORE_RUN_DATE=2025-04-01", "MOATSCORE_LOG_LEVEL=debug"},
			args:    []string{"--config", "conf/nightly.yaml", "--input", "flagdata", "--run-date", "2025-03-01", "--log-level", "error", "--out", "o"},
			check: func(t *testing.T, wd string, c *pipeline.Config) {
				if c.Input.Dir != "flagdata" || c.RunDate.String() != "2025-03-01" || c.Log.Level != "error" || c.Out != "o" {
					t.Errorf("config = %+v, want the flags' values", *c)
				}
			},
			sources: []string{"dir: flagdata # flag --input", `run_date: "2025-03-01" # flag --run-date`, "level: error # flag --log-level"},
		},
		{
			name:    "config file from the environment",
			file:    "rank:\n  by: wrapper_exposure\n",
			environ: []string{"MOATSCORE_CONFIG=conf/nightly.yaml"},
			check: func(t *testing.T, wd string, c *pipeline.Config) {
				if c.Rank.By != "wrapper_exposure" {
					t.Errorf("rank.by = %q, want wrapper_exposure from $MOATSCORE_CONFIG's file", c.Rank.By)
				}
			},
			sources: []string{"# config file: conf/nightly.yaml"},
		},
		{
			name:   "moatscore.yaml in the working directory",
			wdFile: "input:\n  dir: here\n",
			check: func(t *testing.T, wd string, c *pipeline.Config) {
				if want := filepath.Join(wd, "here"); c.Input.Dir != want {
					t.Errorf("input.dir = %q, want %q", c.Input.Dir, want)
				}
			},
		},
		{
			name: "valuation keys",
			file: `valuation:
  premium: 0.5
  wx:
    weights:
      cost_burden: 0.2
  scenarios:
    - name: mistral_x3
      kind: provider_price
      provider: mistral
      factor: 3
`,
			environ: []string{"MOATSCORE_VALUATION_DISCOUNT=0.25", "MOATSCORE_VALUATION_DM_RIGHTS_PARTIAL=0.4"},
			args:    []string{"--config", "conf/nightly.yaml"},
			check: func(t *testing.T, wd string, c *pipeline.Config) {
				v, def := c.Valuation, pipeline.DefaultConfig().Valuation
				if v.Premium != 0.5 || v.Discount != 0.25 || v.DM.Rights["partial"] != 0.4 || v.DM.Rights["clear"] != def.DM.Rights["clear"] {
					t.Errorf("valuation = %+v, want premium 0.5, discount 0.25, rights.partial 0.4 over the defaults", v)
				}
				if v.WX.Weights["cost_burden"] != 0.2 || v.WX.Weights["api_dependency"] != def.WX.Weights["api_dependency"] {
					t.Errorf("valuation.wx.weights = %v, want cost_burden 0.2 over the defaults", v.WX.Weights)
				}
				if len(v.Scenarios) != 1 || v.Scenarios[0].Name != "mistral_x3" || v.Scenarios[0].Factor != 3 {
					t.Errorf("valuation.scenarios = %+v, want the file's one scenario in place of the defaults", v.Scenarios)
				}
			},
			sources: []string{"premium: 0.5 # file conf/nightly.yaml", "discount: 0.25 # env MOATSCORE_VALUATION_DISCOUNT",
				"rights: # env MOATSCORE_VALUATION_DM_RIGHTS_*"},
		},
		{
			name: "defaults",
			check: func(t *testing.T, wd string, c *pipeline.Config) {
				want := pipeline.DefaultConfig()
				want.RunDate = pipeline.DateOf(testNow)
				if c.Out != want.Out || c.Run != want.Run || c.Rank != want.Rank || c.Log != want.Log || c.RunDate != want.RunDate || c.Input.Given() {
					t.Errorf("config = %+v, want the defaults %+v", *c, want)
				}
			},
			sources: []string{`run_date: "2025-06-01" # default (today, UTC)`, "# config file: none"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wd := t.TempDir()
			if tc.file != "" {
				writeFile(t, wd, "conf/nightly.yaml", tc.file)
			}
			if tc.wdFile != "" {
				writeFile(t, wd, "moatscore.yaml", tc.wdFile)
			}
			// Relative paths on the command line are relative to the
			// process's directory: run from wd.
			t.Chdir(wd)
			inv := invocation{environ: tc.environ, wd: wd}
			r := inv.run(t, append([]string{"config", "--format", "json"}, tc.args...)...)
			if r.code != exitOK {
				t.Fatalf("config: exit %d, stderr %q", r.code, r.stderr)
			}
			var c pipeline.Config
			if err := json.Unmarshal([]byte(r.stdout), &c); err != nil {
				t.Fatalf("config --format json: %v\n%s", err, r.stdout)
			}
			tc.check(t, wd, &c)
			y := inv.run(t, append([]string{"config"}, tc.args...)...)
			for _, want := range tc.sources {
				if !strings.Contains(y.stdout, want) {
					t.Errorf("config output lacks %q:\n%s", want, y.stdout)
				}
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name    string
		file    string // written to wd/moatscore.yaml when set
		environ []string
		args    []string
		wantErr []string // each in stderr
	}{
		{"unknown key", "run:\n  max_rejects_share: 0.1\n", nil, nil,
			[]string{"run.max_rejects_share (from file", "unknown key, did you mean run.max_reject_share?"}},
		{"unknown top-level key", "outputs: x\n", nil, nil, []string{"outputs (from file", "unknown key"}},
		{"section given a value", "input: data\n", nil, nil, []string{"input (from file", "want a mapping of keys (dir, companies"}},
		{"bad duration", "run:\n  wait: forever\n", nil, nil, []string{"run.wait (from file", `want a duration such as 30s, 5m or 1h, got "forever"`}},
		{"bad date", "run_date: 2025-02-30\n", nil, nil, []string{"run_date (from file", "want a date as YYYY-MM-DD"}},
		{"fraction for an integer", "run:\n  keep_runs: 2.5\n", nil, nil, []string{"run.keep_runs", "want a whole number, got 2.5"}},
		{"text for a number", "run:\n  max_reject_share: lots\n", nil, nil, []string{"run.max_reject_share", `want a number, got "lots"`}},
		{"share out of range", "run:\n  max_reject_share: 1.5\n", nil, nil, []string{"run.max_reject_share (from file", "must be a fraction in [0, 1], got 1.5"}},
		{"rank key", "rank:\n  by: revenue\n", nil, nil, []string{"rank.by", `want one of net_moat, data_moat, wrapper_exposure, adjusted_valuation_usd, got "revenue"`}},
		{"several errors at once", "rank:\n  by: revenue\nlog:\n  format: xml\n", nil, nil, []string{"rank.by", "log.format"}},
		{"not YAML", "run: [\n", nil, nil, []string{"not valid YAML"}},
		{"valuation value", "valuation:\n  premium: 2\n", nil, nil, []string{"valuation.premium (from file", "must be between 0 and 1, got 2"}},
		{"valuation map entry", "valuation:\n  wx:\n    weights:\n      cost_burden: -1\n", nil, nil,
			[]string{"valuation.wx.weights.cost_burden (from file", "must be >= 0, got -1"}},
		{"valuation unknown key", "valuation:\n  wx:\n    colour: red\n", nil, nil, []string{"valuation.wx.colour (from file", "unknown key"}},
		{"scenario field", "valuation:\n  scenarios:\n    - {name: x, kind: provider_price, provider: openai, factor: 2, colour: red}\n", nil, nil,
			[]string{"valuation.scenarios (from file", "colour"}},
		{"valuation variable", "", []string{"MOATSCORE_VALUATION_WX_BANDS_HIGH=90"}, nil,
			[]string{"valuation.wx.bands (from env", "must rise strictly"}},
		{"unknown variable", "", []string{"MOATSCORE_RUN_MAX_REJECTSHARE=0.1"}, nil,
			[]string{"env MOATSCORE_RUN_MAX_REJECTSHARE: unknown variable, did you mean MOATSCORE_RUN_MAX_REJECT_SHARE?"}},
		{"bad variable", "", []string{"MOATSCORE_RUN_KEEP_RUNS=all"}, nil, []string{"run.keep_runs (from env MOATSCORE_RUN_KEEP_RUNS)", `want a whole number, got "all"`}},
		{"bad flag", "", nil, []string{"--run-date", "June"}, []string{"run_date (from flag --run-date)", `got "June"`}},
		{"missing config file", "", nil, []string{"--config", "nope.yaml"}, []string{"flag --config: config file nope.yaml: no such file or directory"}},
		{"half the inputs", "", nil, []string{"--input-companies", "c"}, []string{"input.model_usage: not set: set input.dir or input.model_usage"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wd := t.TempDir()
			if tc.file != "" {
				writeFile(t, wd, "moatscore.yaml", tc.file)
			}
			r := invocation{environ: tc.environ, wd: wd}.run(t, append([]string{"config"}, tc.args...)...)
			if r.code != exitUsage {
				t.Errorf("exit %d, want %d; stderr %q", r.code, exitUsage, r.stderr)
			}
			for _, want := range tc.wantErr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr %q, want it to contain %q", r.stderr, want)
				}
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
		})
	}
}

// Every scalar key of the config has a MOATSCORE_ variable that sets it,
// and every entry of a map key one of its own.
func TestEveryKeyHasAVariable(t *testing.T) {
	values := map[string]string{
		"run_date": "2025-01-02", "run.max_reject_share": "0.3", "run.keep_runs": "4", "run.wait": "1m0s",
		"rank.by": "data_moat", "log.format": "text", "log.level": "debug", "out": "o",
	}
	def := pipeline.DefaultConfig()
	dv := reflect.ValueOf(def)
	var environ []string
	for _, l := range configLeaves {
		if !l.scalar() {
			continue
		}
		v, ok := values[l.key]
		if !ok {
			// Keep the default value, so that the config stays valid.
			v = fmt.Sprint(dv.FieldByIndex(l.index).Interface())
			if v == "" {
				v = "v-" + l.key // inputs and reference files: any text
			}
		}
		environ = append(environ, l.env()+"="+v)
	}
	environ = append(environ, "MOATSCORE_VALUATION_WX_WEIGHTS_COST_BURDEN=0.2")
	r := invocation{environ: environ}.run(t, "config")
	if r.code != exitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	for _, l := range configLeaves {
		if !l.scalar() {
			continue
		}
		if want := "# env " + l.env(); !strings.Contains(r.stdout, want) {
			t.Errorf("%s: not set by %s:\n%s", l.key, l.env(), r.stdout)
		}
	}
	j := invocation{environ: environ}.run(t, "config", "--format", "json")
	var c pipeline.Config
	if err := json.Unmarshal([]byte(j.stdout), &c); err != nil {
		t.Fatal(err)
	}
	if w := c.Valuation.WX.Weights; w["cost_burden"] != 0.2 || w["api_dependency"] != def.Valuation.WX.Weights["api_dependency"] {
		t.Errorf("valuation.wx.weights = %v, want cost_burden 0.2 from the environment and the other defaults", w)
	}
}

// The example configuration of the README is valid.
func TestExampleConfig(t *testing.T) {
	path, err := filepath.Abs(filepath.Join("..", "..", "examples", "moatscore.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, "config", "--config", path, "--format", "json")
	if r.code != exitOK {
		t.Fatalf("config --config examples/moatscore.yaml: exit %d, stderr %q", r.code, r.stderr)
	}
	var c pipeline.Config
	if err := json.Unmarshal([]byte(r.stdout), &c); err != nil {
		t.Fatal(err)
	}
	if c.Run.KeepRuns != 90 || len(c.Valuation.Scenarios) != 3 {
		t.Errorf("example config read as keep_runs %d and %d scenarios, want 90 and 3", c.Run.KeepRuns, len(c.Valuation.Scenarios))
	}
}
