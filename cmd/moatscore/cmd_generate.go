package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"moatscore/data"
	"moatscore/data/synth"
	"moatscore/pipeline"
)

type generateOptions struct {
	out           string
	companies     int
	seed          int64
	badRows       float64
	filesPerTable int
	rowGroupSize  int
	overwrite     bool
}

func (o *generateOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.out, "out", "", "folder to write the dataset to (required)")
	fs.IntVar(&o.companies, "companies", 1000, "number of companies")
	fs.Int64Var(&o.seed, "seed", 1, "random seed: the same options give the same files")
	fs.Float64Var(&o.badRows, "bad-rows", 0, fmt.Sprintf("fraction of rows, 0 to %g, that break one contract rule each", synth.MaxBadRows))
	fs.IntVar(&o.filesPerTable, "files-per-table", 0, "files per table (0: one per 250,000 companies)")
	fs.IntVar(&o.rowGroupSize, "row-group-size", 0, fmt.Sprintf("rows per Parquet row group (0: %d)", synth.DefaultRowGroupSize))
	fs.BoolVar(&o.overwrite, "overwrite", false, "replace a dataset already in --out")
	addRunDateFlag(fs)
}

func newGenerateCmd(a *app) *cobra.Command {
	var opts generateOptions
	cmd := &cobra.Command{
		Use:   "generate --out DIR",
		Short: "Write a synthetic input dataset",
		Long: `Write a realistic synthetic dataset in the layout of the data contract:
DIR/companies/, DIR/model_usage/, DIR/data_assets/ and DIR/funding_rounds/, as
Parquet files. The same options give the same files. With --bad-rows, about
that fraction of rows break one contract rule each, and DIR/_bad_rows.csv lists
every row the validator must reject with its reason code (children of a bad
company included, as parent_rejected); DIR/_expected.json holds the counts.`,
		Example: `  moatscore generate --out ./data --companies 100000 --seed 1 --bad-rows 0.01
  moatscore validate --input ./data`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runGenerate(cmd.Context(), a, opts)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

func runGenerate(ctx context.Context, a *app, opts generateOptions) error {
	switch {
	case strings.TrimSpace(opts.out) == "":
		return usageErrorf("--out is required: the folder to write the dataset to")
	case opts.companies < 0:
		return usageErrorf("--companies %d: want 0 or more", opts.companies)
	case !(opts.badRows >= 0 && opts.badRows <= synth.MaxBadRows):
		return usageErrorf("--bad-rows %g: want a fraction from 0 to %g", opts.badRows, synth.MaxBadRows)
	case opts.filesPerTable < 0:
		return usageErrorf("--files-per-table %d: want 0 or more", opts.filesPerTable)
	case opts.rowGroupSize < 0:
		return usageErrorf("--row-group-size %d: want 0 or more", opts.rowGroupSize)
	}
	if !opts.overwrite {
		for _, t := range data.Inputs {
			if entries, err := os.ReadDir(filepath.Join(opts.out, t.Name)); err == nil && len(entries) > 0 {
				return usageErrorf("--out %s already holds a dataset (%s/): choose an empty folder or add --overwrite", opts.out, t.Name)
			}
		}
	}
	cfg := &a.config.cfg
	ref, err := cfg.LoadReference()
	if err != nil {
		return err
	}
	bar := a.progress.Stage("generate", int64(opts.companies), "companies")
	var (
		mu   sync.Mutex
		last int64
	)
	sopts := synth.Options{
		Out:           opts.out,
		Companies:     opts.companies,
		Seed:          opts.seed,
		BadRows:       opts.badRows,
		RunDate:       cfg.RunDate.Time,
		FilesPerTable: opts.filesPerTable,
		RowGroupSize:  opts.rowGroupSize,
		Overwrite:     opts.overwrite,
		Progress: func(done int64) {
			mu.Lock()
			defer mu.Unlock()
			if done > last {
				bar.Add(done - last)
				last = done
			}
		},
	}
	sum, err := synth.Generate(ctx, sopts, ref, a.log.With("command", "generate"))
	bar.Done()
	if err != nil {
		return err
	}
	return writeGenerateSummary(a.env.stdout, sum, cfg.RunDate)
}

func writeGenerateSummary(w io.Writer, sum *synth.Summary, runDate pipeline.Date) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Wrote %s companies (seed %d, run date %s, bad rows %g) to %s\n\n",
		num(int64(sum.Companies)), sum.Seed, runDate, sum.BadRowsFraction, sum.Out)
	t := &textTable{}
	t.add("TABLE", "FILES", "ROWS", "BAD ROWS", "BYTES")
	var files, rows, bad, bytes int64
	for _, ts := range sum.Tables {
		t.add(ts.Table, num(int64(len(ts.Files))), num(ts.Rows), num(ts.Rejected), humanBytes(ts.Bytes))
		files += int64(len(ts.Files))
		rows += ts.Rows
		bad += ts.Rejected
		bytes += ts.Bytes
	}
	t.add("total", num(files), num(rows), num(bad), humanBytes(bytes))
	t.write(&b, "")
	if bad > 0 {
		fmt.Fprintf(&b, "\nBad rows, with the reason code the validator must give: %s\n", filepath.Join(sum.Out, synth.BadRowsFile))
	}
	fmt.Fprintf(&b, "Expected validation counts: %s\n", filepath.Join(sum.Out, synth.ExpectedFile))
	_, err := io.WriteString(w, b.String())
	return err
}

// humanBytes writes a size in B, KiB, MiB or GiB.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n)/unit, 0
	for v >= unit && i < 3 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %s", v, []string{"KiB", "MiB", "GiB", "TiB"}[i])
}
