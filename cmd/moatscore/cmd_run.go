package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"moatscore/data"
	"moatscore/pipeline"
	"moatscore/reports"
)

type runOptions struct{}

func (o *runOptions) AddFlags(fs *pflag.FlagSet) {
	addInputFlags(fs)
	addOutFlag(fs)
	addRunDateFlag(fs)
	fs.String("wait", "", "wait this long for another run to release the output folder, e.g. 30s or 5m (run.wait; default: fail at once)")
	bindFlag(fs, "wait", "run.wait")
}

const runLong = `Score the four input datasets and publish the run under the output folder:
read and validate the tables (companies first, then the others concurrently),
aggregate them per company, score every company and scenario, compare with the
latest earlier published run, rank, and write

  OUT/scores/run_date=D/part-0.parquet     one row per company
  OUT/scenarios/run_date=D/part-0.parquet  one row per company and scenario
  OUT/rejects/run_date=D/part-<table>.parquet  one row per rejected input row
  OUT/runs/run_date=D/manifest.json        written last: the run is complete

Publishing is crash-safe: the run is staged in OUT/.staging and each dataset's
run_date=D folder is switched in one step; a run killed halfway is rolled
forward by the next one, and published runs are never left half-written. A
re-run for a date replaces it. run.keep_runs, when set, prunes older dates.

With no input given anywhere (no flag, no MOATSCORE_INPUT_* variable, no
config file), run scores the built-in demo dataset and says so; its manifest
says demo: true. A config file that sets no input is an error.

Exit codes: 0 published (rows rejected under run.max_reject_share are counted
in the manifest and logged as a warning); 3 a table's reject share is over
run.max_reject_share: nothing published, the rejects and manifest are kept
under OUT/failed/run_date=D; 1 any other failure, or interrupted by SIGINT or
SIGTERM (published runs are left as they were); 2 a usage or configuration
error.`

func newRunCmd(a *app) *cobra.Command {
	var opts runOptions
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Score the companies and publish the run (the nightly job)",
		Long:  runLong,
		Example: `  moatscore run                       # the built-in demo, into ./moatscore-out
  moatscore run --input ./data --out ./out --run-date 2026-01-15
  moatscore run --config nightly.yaml --wait 10m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRun(cmd.Context(), a)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

func runRun(ctx context.Context, a *app) error {
	setMemoryLimit(a.log)
	lc := a.config
	if !lc.cfg.Input.Given() && lc.file != "" {
		return &pipeline.ConfigError{Key: "input", Source: "file " + lc.file,
			Err: errors.New("the config file sets no input: set input.dir or input.<table>; the built-in demo runs only when no config file is used")}
	}
	res, err := pipeline.Run(ctx, lc.cfg, pipeline.RunEnv{
		Log:      a.log.With("command", "run"),
		Now:      a.env.now,
		Progress: a.progress,
		Demo:     data.DemoFS(),
	})
	if res != nil && res.Summary != nil && ctx.Err() == nil {
		if werr := reports.WriteSummary(a.env.stdout, res.Summary); werr != nil && err == nil {
			err = werr
		}
	}
	return err
}

// setMemoryLimit gives the garbage collector a soft limit of 85 % of the
// machine's memory, unless GOMEMLIMIT sets one: a large run then collects
// harder as it nears the limit instead of growing its heap to twice what it
// holds and running out of memory.
func setMemoryLimit(log *slog.Logger) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "MemTotal:" {
			kib, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil || kib <= 0 {
				return
			}
			limit := kib << 10 / 100 * 85
			debug.SetMemoryLimit(limit)
			log.Debug("memory limit set", "limit_mib", limit>>20)
			return
		}
	}
}
