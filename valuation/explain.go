package valuation

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// ComponentScore is one component of a company's score: the declared
// component with its value and contribution.
type ComponentScore struct {
	Component
	Value        float64 // 0 to 1
	Contribution float64 // points of the score
}

// Explanation is the structured breakdown of one company's scores, for
// `moatscore explain` and the reports to render.
type Explanation struct {
	ModelVersion    string
	WrapperExposure float64
	WXBand          string
	DataMoat        float64
	NetMoat         float64
	Rating          string
	Reason          string // why the rating, in words
	ThinWrapper     bool
	Uncertainty     string
	// UncertaintyReasons are the reasons behind Uncertainty, in order.
	UncertaintyReasons []UncertaintyReason
	WX                 []ComponentScore // in declaration order; contributions add up to WrapperExposure
	DM                 []ComponentScore // in declaration order; contributions add up to DataMoat
	// Percentiles within sector and zone, 0 to 100.
	WXPctSector, WXPctZone, DMPctSector, DMPctZone float64
	// Valuation: HasValuation false when the company has no valued round.
	HasValuation      bool
	ValuationUSD      float64
	LastRoundDate     time.Time
	LastRoundStage    string
	ValuationAgeDays  int
	AdjustedUSD       float64
	AdjustmentUSD     float64
	AdjustmentPct     float64
	AssetCount        int
	ExclusiveClear    int
	UsageRows         int
	RoundCount        int
	RejectedChildRows int
	FlaggedChildRows  int
	SharesScaled      bool
}

// Explain breaks down one row of a scores record: Result.Scores, or the
// same columns read back from a published run (any column order, extra
// columns ignored).
func (m *Model) Explain(scores arrow.RecordBatch, row int) (*Explanation, error) {
	if row < 0 || int64(row) >= scores.NumRows() {
		return nil, fmt.Errorf("valuation: explain: row %d outside 0..%d", row, scores.NumRows()-1)
	}
	r := rowReader{rec: scores, row: row}
	x := &Explanation{
		ModelVersion:      Version,
		WrapperExposure:   r.float(ColWrapperExposure),
		WXBand:            r.str(ColWXBand),
		DataMoat:          r.float(ColDataMoat),
		NetMoat:           r.float(ColNetMoat),
		Rating:            r.str(ColMoatRating),
		ThinWrapper:       r.boolean(ColThinWrapper),
		Uncertainty:       r.str(ColUncertainty),
		WXPctSector:       r.float(ColWXPctSector),
		WXPctZone:         r.float(ColWXPctZone),
		DMPctSector:       r.float(ColDMPctSector),
		DMPctZone:         r.float(ColDMPctZone),
		AssetCount:        r.integer(ColAssetCount),
		ExclusiveClear:    r.integer(ColExclusiveClearAssets),
		UsageRows:         r.integer(ColUsageRows),
		RoundCount:        r.integer(ColRoundCount),
		RejectedChildRows: r.integer(ColRejectedChildRows),
		FlaggedChildRows:  r.integer(ColFlaggedChildRows),
		SharesScaled:      r.boolean(ColSharesScaled),
	}
	if v, ok := scores.Schema().Metadata().GetValue("model_version"); ok && v != "" {
		x.ModelVersion = v
	}
	for _, code := range strings.Split(r.str(ColUncertaintyReasons), ",") {
		for _, u := range UncertaintyReasons {
			if u.Code == code {
				x.UncertaintyReasons = append(x.UncertaintyReasons, u)
			}
		}
	}
	for _, c := range m.wx {
		x.WX = append(x.WX, ComponentScore{Component: c, Value: r.float(c.ValueColumn()), Contribution: r.float(c.ContribColumn())})
	}
	for _, c := range m.dm {
		x.DM = append(x.DM, ComponentScore{Component: c, Value: r.float(c.ValueColumn()), Contribution: r.float(c.ContribColumn())})
	}
	if !r.null(ColValuation) {
		x.HasValuation = true
		x.ValuationUSD = r.float(ColValuation)
		x.LastRoundDate = r.date(ColLastRoundDate)
		x.LastRoundStage = r.str(ColLastRoundStage)
		x.ValuationAgeDays = r.integer(ColValuationAgeDays)
		x.AdjustedUSD = r.float(ColAdjustedValuation)
		x.AdjustmentUSD = r.float(ColAdjustment)
		x.AdjustmentPct = r.float(ColAdjustmentPct)
	}
	if r.err != nil {
		return nil, r.err
	}
	x.Reason = m.Reason(x.DataMoat, x.WrapperExposure, x.ExclusiveClear)
	return x, nil
}

// Reason says in words why a company with this data moat, wrapper exposure
// and number of exclusive rights-clear assets gets its rating.
func (m *Model) Reason(dm, wx float64, exclusiveClear int) string {
	r := m.cfg.Rating
	d, w := num(dm, r.WideMinDM), num(wx, r.WideMaxWX)
	switch m.ratingOf(dm, wx, int32(exclusiveClear)) {
	case 2:
		return fmt.Sprintf("wide: data moat %s >= %v, %d owned or exclusively licensed asset(s) with clear training rights, wrapper exposure %s below %v",
			d, r.WideMinDM, exclusiveClear, w, r.WideMaxWX)
	case 1:
		if dm < r.WideMinDM {
			return fmt.Sprintf("narrow: data moat %s >= %v but below the %v a wide moat needs", d, r.NarrowMinDM, r.WideMinDM)
		}
		var why []string
		if exclusiveClear == 0 {
			why = append(why, "no owned or exclusively licensed asset has clear training rights")
		}
		if wx >= r.WideMaxWX {
			why = append(why, fmt.Sprintf("wrapper exposure %s is not below %v", w, r.WideMaxWX))
		}
		return fmt.Sprintf("narrow: data moat %s is high enough for a wide moat, but %s", d, strings.Join(why, " and "))
	}
	s := fmt.Sprintf("none: data moat %s is below the %v a narrow moat needs", num(dm, r.NarrowMinDM), r.NarrowMinDM)
	if dm == 0 {
		s += " (no asset with a value)"
	}
	return s
}

// num formats a score with two decimals, or more when two would show it
// equal to the threshold it is compared with.
func num(v, threshold float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	if v != threshold {
		if t, _ := strconv.ParseFloat(s, 64); t == threshold {
			s = strconv.FormatFloat(v, 'f', -1, 64)
		}
	}
	return s
}

// rowReader reads one row of a record by column name, widening types; the
// first problem is kept in err.
type rowReader struct {
	rec arrow.RecordBatch
	row int
	err error
}

func (r *rowReader) col(name string) arrow.Array {
	idx := r.rec.Schema().FieldIndices(name)
	if len(idx) == 0 {
		if r.err == nil {
			r.err = fmt.Errorf("valuation: explain: scores have no column %s", name)
		}
		return nil
	}
	return r.rec.Column(idx[0])
}

func (r *rowReader) null(name string) bool {
	c := r.col(name)
	return c == nil || c.IsNull(r.row)
}

func (r *rowReader) fail(name string, c arrow.Array) {
	if r.err == nil {
		r.err = fmt.Errorf("valuation: explain: column %s has unexpected type %s", name, c.DataType())
	}
}

func (r *rowReader) float(name string) float64 {
	c := r.col(name)
	if c == nil || c.IsNull(r.row) {
		return 0
	}
	switch a := c.(type) {
	case *array.Float64:
		return a.Value(r.row)
	case *array.Float32:
		return float64(a.Value(r.row))
	}
	r.fail(name, c)
	return 0
}

func (r *rowReader) integer(name string) int {
	c := r.col(name)
	if c == nil || c.IsNull(r.row) {
		return 0
	}
	switch a := c.(type) {
	case *array.Int32:
		return int(a.Value(r.row))
	case *array.Int64:
		return int(a.Value(r.row))
	}
	r.fail(name, c)
	return 0
}

func (r *rowReader) boolean(name string) bool {
	c := r.col(name)
	if c == nil || c.IsNull(r.row) {
		return false
	}
	if a, ok := c.(*array.Boolean); ok {
		return a.Value(r.row)
	}
	r.fail(name, c)
	return false
}

func (r *rowReader) str(name string) string {
	c := r.col(name)
	if c == nil || c.IsNull(r.row) {
		return ""
	}
	switch a := c.(type) {
	case *array.String:
		return a.Value(r.row)
	case *array.LargeString:
		return a.Value(r.row)
	case *array.Dictionary:
		return a.ValueStr(r.row)
	}
	r.fail(name, c)
	return ""
}

func (r *rowReader) date(name string) time.Time {
	c := r.col(name)
	if c == nil || c.IsNull(r.row) {
		return time.Time{}
	}
	switch a := c.(type) {
	case *array.Date32:
		return a.Value(r.row).ToTime()
	case *array.Date64:
		return a.Value(r.row).ToTime()
	}
	r.fail(name, c)
	return time.Time{}
}
