package data

import (
	"fmt"
	"maps"
	"slices"
)

// Accounting counts what became of a table's rows: every row read is
// accepted or rejected, so RowsIn = Accepted + Rejected.
type Accounting struct {
	Table    string           `json:"table"`
	RowsIn   int64            `json:"rows_in"`
	Accepted int64            `json:"accepted"`
	Rejected int64            `json:"rejected"`
	ByReason map[string]int64 `json:"rejected_by_reason"`
	Warnings map[string]int64 `json:"warnings"`
}

// NewAccounting returns an empty accounting for a table.
func NewAccounting(table string) *Accounting {
	return &Accounting{Table: table, ByReason: map[string]int64{}, Warnings: map[string]int64{}}
}

// Add counts the rows of one checked batch.
func (a *Accounting) Add(c *Checked) {
	if a.ByReason == nil {
		a.ByReason = map[string]int64{}
	}
	if a.Warnings == nil {
		a.Warnings = map[string]int64{}
	}
	a.Accepted += int64(len(c.Accepted))
	a.Rejected += int64(len(c.Rejects))
	a.RowsIn += int64(len(c.Accepted) + len(c.Rejects))
	for _, r := range c.Rejects {
		a.ByReason[r.Reason]++
	}
	for code, n := range c.Warnings {
		a.Warnings[code] += int64(n)
	}
}

// Warn counts n more warnings of a code (shares_scaled is counted after
// validation, when the workload shares are summed per company).
func (a *Accounting) Warn(code string, n int64) {
	if n == 0 {
		return
	}
	if a.Warnings == nil {
		a.Warnings = map[string]int64{}
	}
	a.Warnings[code] += n
}

// RejectShare is the share of the rows read that were rejected; 0 for an
// empty table.
func (a *Accounting) RejectShare() float64 {
	if a.RowsIn == 0 {
		return 0
	}
	return float64(a.Rejected) / float64(a.RowsIn)
}

// Check verifies that the counts add up.
func (a *Accounting) Check() error {
	if a.RowsIn != a.Accepted+a.Rejected {
		return fmt.Errorf("accounting of %s: %d rows in, %d accepted + %d rejected", a.Table, a.RowsIn, a.Accepted, a.Rejected)
	}
	var byReason int64
	for _, n := range a.ByReason {
		byReason += n
	}
	if byReason != a.Rejected {
		return fmt.Errorf("accounting of %s: %d rejected, %d by reason", a.Table, a.Rejected, byReason)
	}
	return nil
}

// Reasons lists the reason codes with rejects in the order of precedence
// of the rules (then any other code, sorted).
func (a *Accounting) Reasons() []string {
	var out []string
	for _, r := range ReasonCodes {
		if a.ByReason[r] > 0 {
			out = append(out, r)
		}
	}
	for _, r := range slices.Sorted(maps.Keys(a.ByReason)) {
		if a.ByReason[r] > 0 && !slices.Contains(ReasonCodes, r) {
			out = append(out, r)
		}
	}
	return out
}

// ReasonCodes lists every reject reason code in the order of precedence of
// the rules that give them.
var ReasonCodes = []string{
	ReasonNullKey, ReasonUnknownCompany, ReasonParentRejected,
	ReasonNullValue, ReasonNotFinite, ReasonOutOfRange, ReasonUnknownValue, ReasonBadCountry, ReasonBadDate,
	ReasonDuplicateKey,
}

// WarningCodes lists every warning code.
var WarningCodes = []string{WarnUnknownProvider, WarnSharesScaled}
