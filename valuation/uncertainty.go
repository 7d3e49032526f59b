package valuation

import "strings"

// UncertaintyReason is one reason a score is less certain, with the points
// it adds; the level follows from the sum of the points
// (valuation.uncertainty.levels).
type UncertaintyReason struct {
	Code        string
	Points      int
	Description string
}

// UncertaintyReasons lists the reasons in the order of the
// uncertainty_reasons column.
var UncertaintyReasons = []UncertaintyReason{
	{"no_usage", 2, "no accepted model_usage rows: the workload components (closed API, concentration, cost burden, jurisdiction, deprecation) read 0 for want of data"},
	{"missing_revenue", 1, "revenue_usd is null: the cost burden cannot be measured (any API spend then counts as saturated)"},
	{"no_fallback", 1, "fallback_parity is null for a company that depends on APIs: no tested fallback, read as the full gap"},
	{"no_assets", 1, "no accepted data_assets rows: the data moat is 0 for want of data"},
	{"rights_not_clear", 1, "an asset's training rights are partial, unclear or none: it is worth less or nothing"},
	{"no_valuation", 1, "no round with a post-money value on or before the run date: no adjusted valuation"},
	{"stale_valuation", 1, "the last valued round is older than valuation.uncertainty.stale_valuation_days"},
	{"very_stale_valuation", 2, "the last valued round is older than valuation.uncertainty.very_stale_valuation_days"},
	{"rejected_child_rows", 1, "some of the company's child rows were rejected"},
	{"many_rejected_child_rows", 2, "at least valuation.uncertainty.high_reject_share of the company's child rows were rejected"},
	{"flagged_child_rows", 1, "some of the company's child rows drew a warning (unknown provider, read as closed and of unknown zone)"},
	{"shares_scaled", 1, "the workload shares summed over 1.01 and were scaled down to 1"},
}

const (
	uNoUsage = 1 << iota
	uMissingRevenue
	uNoFallback
	uNoAssets
	uRightsNotClear
	uNoValuation
	uStale
	uVeryStale
	uRejected
	uManyRejected
	uFlagged
	uScaled
	uAll = 1<<iota - 1
)

// reasonTexts returns the uncertainty_reasons text of every mask.
func reasonTexts() []string {
	texts := make([]string, uAll+1)
	var b strings.Builder
	for mask := range texts {
		b.Reset()
		for k, r := range UncertaintyReasons {
			if mask&(1<<k) != 0 {
				if b.Len() > 0 {
					b.WriteByte(',')
				}
				b.WriteString(r.Code)
			}
		}
		texts[mask] = b.String()
	}
	return texts
}

func (m *Model) uncertaintyMask(e *evaluation, i int, hasV bool) int {
	// The counts are read from the output columns: the usage and asset
	// sums may be freed by now.
	a, f, u := e.a, &e.f, &m.cfg.Uncertainty
	mask := 0
	usageRows, assetRows := e.usageRows.v[i], e.assetRows.v[i]
	if usageRows == 0 {
		mask |= uNoUsage
	}
	if !f.revenue.ok(i) {
		mask |= uMissingRevenue
	}
	if !f.fallbackParity.ok(i) && f.apiDependency.ok(i) && f.apiDependency.v[i] > 0 {
		mask |= uNoFallback
	}
	if assetRows == 0 {
		mask |= uNoAssets
	}
	if e.notClear.v[i] > 0 {
		mask |= uRightsNotClear
	}
	rd := &a.rounds[i]
	if !hasV {
		mask |= uNoValuation
	} else {
		age := int(m.runDay - rd.date)
		switch {
		case age > u.VeryStaleValuationDays:
			mask |= uVeryStale
		case age > u.StaleValuationDays:
			mask |= uStale
		}
	}
	if rej := a.rejected[i]; rej > 0 {
		all := float64(rej) + float64(usageRows) + float64(assetRows) + float64(rd.rows)
		if float64(rej)/all >= u.HighRejectShare {
			mask |= uManyRejected
		} else {
			mask |= uRejected
		}
	}
	if a.flagged[i] > 0 {
		mask |= uFlagged
	}
	if e.workload.v[i] > 1+ShareTolerance {
		mask |= uScaled
	}
	return mask
}

// uncertaintyPoints is the sum of the points of a mask's reasons.
func uncertaintyPoints(mask int) int {
	pts := 0
	for k, r := range UncertaintyReasons {
		if mask&(1<<k) != 0 {
			pts += r.Points
		}
	}
	return pts
}

func (m *Model) uncertaintyLevel(mask int) int32 { return m.levels[mask] }

// levelOf is the uncertainty level (index into uncertaintyLabels) of a mask.
func (m *Model) levelOf(mask int) int32 {
	l := m.cfg.Uncertainty.Levels
	switch pts := uncertaintyPoints(mask); {
	case pts >= l.VeryHigh:
		return 3
	case pts >= l.High:
		return 2
	case pts >= l.Medium:
		return 1
	}
	return 0
}
