package synth

import (
	"math"
	"math/rand/v2"

	"moatscore/data"
)

// Violations. Each bad row breaks exactly one rule, chosen so that the
// validator's first failing check (data/reasons.go order) is that rule:
// rows of a bad company are never broken themselves, a duplicate repeats
// the key of an earlier accepted row and is otherwise valid, and a row
// broken on one column is valid on every other.

// badCountries are not ISO 3166-1 alpha-2 codes: "UK" and "EU" are only
// reserved, "USA" is alpha-3.
var badCountries = []string{"XX", "UK", "ZZ", "USA", "EU", "uk"}

// badEnums are values outside each enum column's list.
var badEnums = map[string][]string{
	"access":          {"cloud", "hosted", "byok"},
	"exclusivity":     {"proprietary", "exclusive", "licensed"},
	"training_rights": {"yes", "pending", "maybe"},
}

// lastKey is the key of the table's latest accepted row, which a
// duplicate_key row repeats. It is the only memory bad rows need.
type lastKey struct {
	ok   bool
	null [3]bool
	str  [3]string
}

func (k *lastKey) set(t *table, r *row) {
	k.ok = true
	for i, c := range t.keys {
		k.null[i] = r.null[c]
		k.str[i] = r.str[c]
	}
}

func (k *lastKey) apply(t *table, r *row) {
	for i, c := range t.keys {
		r.null[c] = k.null[i]
		r.str[c] = k.str[i]
	}
}

func pickCol(r *rand.Rand, cols []int) int { return cols[r.IntN(len(cols))] }

// breakRow makes r break the rule of reason on one column and returns the
// column's name ("" for duplicate_key, whose cause is the whole key).
// company is the index of the row's company (for unknown_company ids);
// runYear bounds founded_year.
func breakRow(r *rand.Rand, t *table, x *row, reason string, company, runYear int, last *lastKey) string {
	c := -1
	switch reason {
	case data.ReasonNullKey:
		c = pickCol(r, t.requiredKeys)
		nullOrEmpty(r, t, x, c)
	case data.ReasonNullValue:
		c = pickCol(r, t.required)
		nullOrEmpty(r, t, x, c)
	case data.ReasonNotFinite:
		c = pickCol(r, t.floats)
		x.setFlt(c, []float64{math.NaN(), math.Inf(1), math.Inf(-1)}[r.IntN(3)])
	case data.ReasonOutOfRange:
		c = pickCol(r, t.ranged)
		outOfRange(r, t, x, c, runYear)
	case data.ReasonUnknownValue:
		c = pickCol(r, t.enums)
		vals := badEnums[t.Columns[c].Name]
		if len(vals) == 0 {
			vals = []string{"not_a_value"}
		}
		x.setStr(c, vals[r.IntN(len(vals))])
	case data.ReasonBadCountry:
		c = pickCol(r, t.countries)
		x.setStr(c, badCountries[r.IntN(len(badCountries))])
	case data.ReasonBadDate:
		c = pickCol(r, t.dates)
		x.setNum(c, badDate(r))
	case data.ReasonUnknownCompany:
		c = t.companyCol
		x.setStr(c, ghostID(company))
	case data.ReasonDuplicateKey:
		last.apply(t, x)
		return ""
	}
	return t.Columns[c].Name
}

// nullOrEmpty makes a required cell null, or empty for a string.
func nullOrEmpty(r *rand.Rand, t *table, x *row, c int) {
	if t.Columns[c].Kind == data.String && chance(r, 0.3) {
		x.setStr(c, "")
		return
	}
	x.setNull(c)
}

// outOfRange sets a finite value outside the column's range.
func outOfRange(r *rand.Rand, t *table, x *row, c, runYear int) {
	col := t.Columns[c]
	switch {
	case col.Rule == data.FoundedYear:
		x.setNum(c, []int64{1066, 1799, int64(runYear) + 1, int64(runYear) + 5}[r.IntN(4)])
	case col.Kind == data.Int64:
		x.setNum(c, -1-int64(r.IntN(1000)))
	case col.Rule == data.Share:
		x.setFlt(c, []float64{1.25, 1.5, 2, -0.05, -0.5}[r.IntN(5)])
	case col.Rule == data.MaxOne:
		x.setFlt(c, []float64{1.2, 1.5, 3}[r.IntN(3)])
	default: // NonNeg
		x.setFlt(c, -round(lognormal(r, 10000, 2), 1)-1)
	}
}

// badDate is a date outside 1900-01-01 .. run date + 1 year, far from
// either bound but for 1899-12-31.
func badDate(r *rand.Rand) int64 {
	return []int64{
		dayOf(1850, 6, 15),
		dayOf(1899, 12, 31),
		dayOf(2300, 1, 1),
		dayOf(2999, 12, 31),
	}[r.IntN(4)]
}
