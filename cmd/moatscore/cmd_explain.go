package main

import (
	"context"
	"errors"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"moatscore/pipeline"
	"moatscore/reports"
)

type explainOptions struct{}

func (o *explainOptions) AddFlags(fs *pflag.FlagSet) {
	addOutFlag(fs)
	addRunDateFlag(fs)
}

func newExplainCmd(a *app) *cobra.Command {
	var opts explainOptions
	cmd := &cobra.Command{
		Use:   "explain COMPANY_ID",
		Short: "Explain one company's scores in a published run",
		Long: `Explain one company's scores in a published run (the latest by default, or the
run of --run-date): each wrapper exposure component and data moat term with its
value, weight and contribution, the percentiles within sector and zone, the
moat rating and why, the uncertainty, the valuation, the trend since the
previous run, and what each scenario does to the company.

Exit codes: 0 explained; 2 the company is not in the run, or a usage error;
1 no published run, or the outputs cannot be read.`,
		Example: `  moatscore explain co-000042
  moatscore explain co-000042 --out ./out --run-date 2026-01-15`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExplain(cmd.Context(), a, args[0])
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

func runExplain(ctx context.Context, a *app, companyID string) error {
	lc := a.config
	runDate := ""
	if !strings.HasPrefix(lc.sources["run_date"], sourceDefault) {
		runDate = lc.cfg.RunDate.String()
	}
	e, err := pipeline.Explain(ctx, memory.DefaultAllocator, lc.cfg.Out, runDate, companyID)
	if errors.Is(err, pipeline.ErrUnknownCompany) {
		return &usageError{err}
	}
	if err != nil {
		return err
	}
	return reports.WriteExplanation(a.env.stdout, e)
}
