package reports

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Summary is what the closing summary of a run shows.
type Summary struct {
	Status      string // published or failed
	Reason      string // why a failed run failed
	Demo        bool
	RunID       string
	RunDate     string
	PreviousRun string // run date compared with; empty when none
	Tables      []SummaryTable
	Warnings    []SummaryWarning
	Top         []SummaryCompany // the first companies of the ranking
	RankBy      string
	Companies   int64 // companies scored
	Scenarios   int   // scenarios scored
	Outputs     []string
	Stages      []SummaryStage
	Total       time.Duration
}

// SummaryTable is one input table's accounting.
type SummaryTable struct {
	Table                      string
	RowsIn, Accepted, Rejected int64
}

// SummaryWarning is a counted warning.
type SummaryWarning struct {
	Code, Table string
	Count       int64
}

// SummaryCompany is one company of the top of the ranking.
type SummaryCompany struct {
	Rank            int64
	CompanyID, Name string
	Sector          string
	WrapperExposure float64
	DataMoat        float64
	Rating          string
	Trend           string
}

// SummaryStage is the wall time of one stage.
type SummaryStage struct {
	Stage   string
	Elapsed time.Duration
}

// WriteSummary renders the closing summary of a run as text.
func WriteSummary(w io.Writer, s *Summary) error {
	var b strings.Builder
	what := "moatscore run " + s.RunDate
	if s.Demo {
		what += " (built-in demo dataset)"
	}
	switch s.Status {
	case "published":
		printf(&b, "%s: published, run id %s\n", what, s.RunID)
	default:
		printf(&b, "%s: %s, nothing published (run id %s)\n", what, s.Status, s.RunID)
		for l := range strings.SplitSeq(s.Reason, "\n") { // errors.Join puts one error a line
			if l != "" {
				printf(&b, "  %s\n", l)
			}
		}
	}

	b.WriteString("\nRows\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  table\trows in\taccepted\trejected\treject share\t")
	for _, t := range s.Tables {
		share := 0.0
		if t.RowsIn > 0 {
			share = float64(t.Rejected) / float64(t.RowsIn)
		}
		printf(tw, "  %s\t%d\t%d\t%d\t%.2f%%\t\n", t.Table, t.RowsIn, t.Accepted, t.Rejected, 100*share)
	}
	tw.Flush()
	for _, wn := range s.Warnings {
		printf(&b, "  warning: %s: %d %s\n", wn.Table, wn.Count, strings.ReplaceAll(wn.Code, "_", " "))
	}

	if len(s.Top) > 0 {
		printf(&b, "\nTop %d of %d companies by %s", len(s.Top), s.Companies, s.RankBy)
		if s.PreviousRun != "" {
			printf(&b, " (trend since %s)", s.PreviousRun)
		}
		b.WriteString("\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  rank\tcompany\tname\tsector\tWX\tDM\trating\ttrend")
		for _, c := range s.Top {
			printf(tw, "  %d\t%s\t%s\t%s\t%.1f\t%.1f\t%s\t%s\n", c.Rank, c.CompanyID, oneLine(c.Name, 40),
				c.Sector, c.WrapperExposure, c.DataMoat, c.Rating, c.Trend)
		}
		tw.Flush()
	}
	if s.Scenarios > 0 {
		printf(&b, "\nScenarios scored: %d\n", s.Scenarios)
	}

	if len(s.Outputs) > 0 {
		b.WriteString("\nOutputs\n")
		for _, o := range s.Outputs {
			printf(&b, "  %s\n", o)
		}
	}

	if len(s.Stages) > 0 {
		b.WriteString("\nTime per stage\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		for _, st := range s.Stages {
			printf(tw, "  %s\t%s\t\n", st.Stage, formatDuration(st.Elapsed))
		}
		printf(tw, "  total\t%s\t\n", formatDuration(s.Total))
		tw.Flush()
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func formatDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	default:
		return d.Round(10 * time.Millisecond).String()
	}
}
