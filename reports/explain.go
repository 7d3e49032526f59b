package reports

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Explanation is everything `moatscore explain` shows about one company in
// one published run. Optional numbers are pointers: nil is "no data", shown
// as such and never as zero.
type Explanation struct {
	CompanyID, Name               string
	Country, Sector, Zone         string
	RunDate, RunID, ModelVersion  string
	RankBy                        string
	Rank, SectorRank, ZoneRank    *int64
	WrapperExposure               *float64
	WXBand                        string
	DataMoat                      *float64
	Rating, RatingWhy             string
	ThinWrapper                   bool
	Uncertainty, UncertaintyWhy   string
	RejectedChildRows             *int64
	WX, DM                        []ExplainComponent
	Percentiles                   []ExplainValue
	ValuationUSD, AdjustedUSD     *float64
	AdjustmentPct                 *float64
	LastRoundDate, LastRoundStage string
	ValuationAgeDays              *int64
	Trend                         string // up, down, stable, new; "" when unknown
	PreviousRunDate               string
	WXChange, DMChange            *float64
	RankChange                    *int64
	TopMover                      string
	Scenarios                     []ExplainScenario
	Extra                         []ExplainValue // other score columns, shown as they are
}

// ExplainComponent is one term of a score: its value (0 to 1), its weight
// and its contribution in points of the score.
type ExplainComponent struct {
	Column       string // wx_<id> / dm_<id>
	Name         string
	Description  string
	Value        *float64
	Weight       float64
	Share        float64 // weight ÷ the sum of the score's weights
	Contribution *float64
}

// ExplainValue is a labelled value, already formatted.
type ExplainValue struct {
	Label, Value string
}

// ExplainScenario is one scenario's outcome for the company.
type ExplainScenario struct {
	Name   string
	Values []ExplainValue
}

// WriteExplanation renders an explanation as text.
func WriteExplanation(w io.Writer, e *Explanation) error {
	var b strings.Builder
	printf(&b, "%s — %s\n", oneLine(e.CompanyID, 80), oneLine(e.Name, 80))
	printf(&b, "country %s, zone %s, sector %s\n", e.Country, e.Zone, e.Sector)
	printf(&b, "run %s (run id %s, model %s)\n", e.RunDate, e.RunID, e.ModelVersion)

	b.WriteString("\nScores\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	printf(tw, "  wrapper exposure\t%s\t%s\n", num(e.WrapperExposure, 2), e.WXBand)
	printf(tw, "  data moat\t%s\t\n", num(e.DataMoat, 2))
	printf(tw, "  moat rating\t%s\t\n", e.Rating)
	printf(tw, "  thin wrapper\t%s\t\n", yesNo(e.ThinWrapper))
	printf(tw, "  uncertainty\t%s\t\n", e.Uncertainty)
	if e.RejectedChildRows != nil {
		printf(tw, "  rejected child rows\t%d\t\n", *e.RejectedChildRows)
	}
	printf(tw, "  rank by %s\t%s\tsector %s, zone %s\n", e.RankBy, intp(e.Rank), intp(e.SectorRank), intp(e.ZoneRank))
	tw.Flush()
	if e.RatingWhy != "" {
		printf(&b, "  why this rating: %s\n", e.RatingWhy)
	}
	if e.UncertaintyWhy != "" {
		printf(&b, "  why %s uncertainty: %s\n", e.Uncertainty, e.UncertaintyWhy)
	}

	writeComponents(&b, "Wrapper exposure components (contribution in points of WX)", e.WX, e.WrapperExposure)
	writeComponents(&b, "Data moat terms (contribution in points of DM)", e.DM, e.DataMoat)

	if len(e.Percentiles) > 0 {
		b.WriteString("\nPercentiles (0 = lowest of the group, 100 = highest)\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, p := range e.Percentiles {
			printf(tw, "  %s\t%s\n", p.Label, p.Value)
		}
		tw.Flush()
	}

	b.WriteString("\nValuation\n")
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	if e.ValuationUSD == nil {
		printf(tw, "  last post-money valuation\tnone on or before the run date\n")
	} else {
		printf(tw, "  last post-money valuation\t%s USD\t(%s, %s, %s days old)\n", usd(*e.ValuationUSD), orNA(e.LastRoundStage), orNA(e.LastRoundDate), intp(e.ValuationAgeDays))
		printf(tw, "  moat-adjusted valuation\t%s USD\t(%s%%)\n", usdp(e.AdjustedUSD), signed(e.AdjustmentPct, 2))
	}
	tw.Flush()

	b.WriteString("\nTrend\n")
	switch {
	case e.Trend == "new" && e.PreviousRunDate == "":
		b.WriteString("  new: no earlier published run\n")
	case e.Trend == "new":
		printf(&b, "  new: not in the run of %s\n", e.PreviousRunDate)
	case e.Trend == "":
		b.WriteString("  unknown\n")
	default:
		printf(&b, "  %s since %s: WX %s, DM %s, rank %s", e.Trend, orUnknown(e.PreviousRunDate), signed(e.WXChange, 2), signed(e.DMChange, 2), signedInt(e.RankChange))
		if e.TopMover != "" {
			printf(&b, "; moved most: %s", e.TopMover)
		}
		b.WriteString("\n")
	}

	if len(e.Scenarios) > 0 {
		b.WriteString("\nScenarios\n")
		for _, s := range e.Scenarios {
			printf(&b, "  %s\n", s.Name)
			tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
			for _, v := range s.Values {
				printf(tw, "    %s\t%s\n", v.Label, v.Value)
			}
			tw.Flush()
		}
	}
	if len(e.Extra) > 0 {
		b.WriteString("\nOther columns\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, v := range e.Extra {
			printf(tw, "  %s\t%s\n", v.Label, v.Value)
		}
		tw.Flush()
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeComponents(b *strings.Builder, title string, cs []ExplainComponent, total *float64) {
	if len(cs) == 0 {
		return
	}
	printf(b, "\n%s\n", title)
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  component\tvalue\tweight\tshare\tcontribution\t")
	sum := 0.0
	for _, c := range cs {
		if c.Contribution != nil {
			sum += *c.Contribution
		}
		printf(tw, "  %s\t%s\t%s\t%s\t%s\t\n", c.Name, num(c.Value, 4), trimFloat(c.Weight, 4), pct(c.Share), num(c.Contribution, 2))
	}
	printf(tw, "  total\t\t\t\t%s\t\n", num(total, 2))
	tw.Flush()
	for _, c := range cs {
		if c.Description != "" {
			printf(b, "  %s: %s\n", c.Name, c.Description)
		}
	}
}

func num(v *float64, prec int) string {
	if v == nil || math.IsNaN(*v) {
		return "n/a"
	}
	return noNegZero(strconv.FormatFloat(*v, 'f', prec, 64))
}

// signed formats a change with its sign; one that rounds to zero is +0.
func signed(v *float64, prec int) string {
	if v == nil || math.IsNaN(*v) {
		return "n/a"
	}
	s := noNegZero(strconv.FormatFloat(*v, 'f', prec, 64))
	if s[0] != '-' && s[0] != '+' {
		s = "+" + s
	}
	return s
}

// noNegZero drops the minus sign of a number that rounds to zero: -0.001
// with two decimals is 0.00, not -0.00.
func noNegZero(s string) string {
	if strings.HasPrefix(s, "-") && strings.Trim(s[1:], "0.") == "" {
		return s[1:]
	}
	return s
}

func signedInt(v *int64) string {
	if v == nil {
		return "n/a"
	}
	if *v >= 0 {
		return "+" + strconv.FormatInt(*v, 10)
	}
	return strconv.FormatInt(*v, 10)
}

func intp(v *int64) string {
	if v == nil {
		return "n/a"
	}
	return strconv.FormatInt(*v, 10)
}

func pct(v float64) string { return strconv.FormatFloat(100*v, 'f', 1, 64) + "%" }

func trimFloat(v float64, prec int) string {
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return noNegZero(s)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func orNA(s string) string {
	if s == "" {
		return "n/a"
	}
	return s
}

func orUnknown(s string) string {
	if s == "" {
		return "the previous run"
	}
	return s
}

func usdp(v *float64) string {
	if v == nil {
		return "n/a"
	}
	return usd(*v)
}

// usd formats an amount with thousands separators and no cents.
func usd(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	s := strconv.FormatFloat(math.Round(math.Abs(v)), 'f', 0, 64)
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if v < 0 {
		return noNegZero("-" + string(out))
	}
	return string(out)
}
