package synth

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow/array"

	"moatscore/data"
)

// maxCols bounds the columns of an input table.
const maxCols = 16

// row is one row of any input table, by column position of the contract:
// strings in str, Int64 in num, Date as days since the epoch in num, Bool
// as 0 or 1 in num, Float64 in flt.
type row struct {
	null [maxCols]bool
	str  [maxCols]string
	num  [maxCols]int64
	flt  [maxCols]float64
}

func (r *row) setStr(c int, s string)  { r.null[c] = false; r.str[c] = s }
func (r *row) setNum(c int, v int64)   { r.null[c] = false; r.num[c] = v }
func (r *row) setFlt(c int, v float64) { r.null[c] = false; r.flt[c] = v }
func (r *row) setNull(c int)           { r.null[c] = true }
func (r *row) setBool(c int, b bool) {
	r.null[c] = false
	r.num[c] = 0
	if b {
		r.num[c] = 1
	}
}

// table is an input table with the column positions the generator uses
// and the columns each kind of violation can break.
type table struct {
	*data.Table
	index int // position in data.Inputs

	keys         []int // key columns
	requiredKeys []int // key columns that are required (a null one is null_key)
	required     []int // required columns outside the key
	floats       []int // Float64 columns
	ranged       []int // columns with a range rule: Share, NonNeg, MaxOne, FoundedYear
	enums        []int // Enum columns
	countries    []int // ISOCountry columns
	dates        []int // SaneDate columns
	reasons      []string
	companyCol   int // company_id
	lowCardinal  []string
}

// lowCardinality lists the columns written with dictionaries; every other
// column (ids, names, numbers) is written without.
var lowCardinality = map[string][]string{
	data.TableCompanies:     {"country", "sector"},
	data.TableModelUsage:    {"provider", "model", "access"},
	data.TableDataAssets:    {"domain", "exclusivity", "training_rights"},
	data.TableFundingRounds: {"stage", "lead_investor", "investor_country"},
}

func newTable(t *data.Table, index int) *table {
	if len(t.Columns) > maxCols {
		panic(fmt.Sprintf("synth: table %s has %d columns, more than %d", t.Name, len(t.Columns), maxCols))
	}
	tb := &table{Table: t, index: index, companyCol: col(t, "company_id"), lowCardinal: lowCardinality[t.Name]}
	for i, c := range t.Columns {
		switch {
		case c.Key && c.Required:
			tb.requiredKeys = append(tb.requiredKeys, i)
		case c.Required:
			tb.required = append(tb.required, i)
		}
		if c.Key {
			tb.keys = append(tb.keys, i)
		}
		if c.Kind == data.Float64 {
			tb.floats = append(tb.floats, i)
		}
		switch c.Rule {
		case data.Share, data.NonNeg, data.MaxOne, data.FoundedYear:
			tb.ranged = append(tb.ranged, i)
		case data.Enum:
			tb.enums = append(tb.enums, i)
		case data.ISOCountry:
			tb.countries = append(tb.countries, i)
		case data.SaneDate:
			tb.dates = append(tb.dates, i)
		}
	}
	// Reasons a row of this table can be given, in data/reasons.go order.
	add := func(ok bool, reason string) {
		if ok {
			tb.reasons = append(tb.reasons, reason)
		}
	}
	child := t.Name != data.TableCompanies
	add(len(tb.requiredKeys) > 0, data.ReasonNullKey)
	add(child, data.ReasonUnknownCompany)
	add(len(tb.required) > 0, data.ReasonNullValue)
	add(len(tb.floats) > 0, data.ReasonNotFinite)
	add(len(tb.ranged) > 0, data.ReasonOutOfRange)
	add(len(tb.enums) > 0, data.ReasonUnknownValue)
	add(len(tb.countries) > 0, data.ReasonBadCountry)
	add(len(tb.dates) > 0, data.ReasonBadDate)
	add(true, data.ReasonDuplicateKey)
	return tb
}

// col is the position of a column the generator relies on.
func col(t *data.Table, name string) int {
	_, i := t.Column(name)
	if i < 0 {
		panic(fmt.Sprintf("synth: table %s has no column %s", t.Name, name))
	}
	return i
}

// appendRow appends r to the builder of t's canonical schema.
func appendRow(b *array.RecordBuilder, t *data.Table, r *row) {
	for i, c := range t.Columns {
		fb := b.Field(i)
		if r.null[i] {
			fb.AppendNull()
			continue
		}
		switch c.Kind {
		case data.String:
			fb.(*array.StringBuilder).Append(r.str[i])
		case data.Int64:
			fb.(*array.Int64Builder).Append(r.num[i])
		case data.Float64:
			fb.(*array.Float64Builder).Append(r.flt[i])
		case data.Date:
			fb.(*array.Date32Builder).Append(arrowDate(r.num[i]))
		case data.Bool:
			fb.(*array.BooleanBuilder).Append(r.num[i] != 0)
		}
	}
}
