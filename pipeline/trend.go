package pipeline

import (
	"context"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TrendThreshold is the change of the net moat (data_moat −
// wrapper_exposure, in points on its −100..100 scale) at or beyond which a
// company's trend is up or down rather than stable. One point is about the
// smallest move a reader of a 0–100 score would call a change; smaller moves
// are rounding, input corrections or the drift of valuation age.
const TrendThreshold = 1.0

// Trend words.
const (
	TrendUp     = "up"     // net moat rose by TrendThreshold or more
	TrendDown   = "down"   // net moat fell by TrendThreshold or more
	TrendStable = "stable" // moved less than TrendThreshold
	TrendNew    = "new"    // not in the previous run (or no previous run)
)

// moverEpsilon: a contribution that moved less than this did not move.
const moverEpsilon = 1e-9

var trendWords = [...]string{"", TrendNew, TrendUp, TrendDown, TrendStable}

const (
	trendNull uint8 = iota
	trendNew
	trendUp
	trendDown
	trendStable
)

// NamedFloats is a named float64 column.
type NamedFloats struct {
	Name   string // the column's name in the scores
	Label  string // what top_mover says when this column moved most; "" means Name
	Values *array.Float64
}

// TrendInput is the current run as the comparison needs it, one row per
// company.
type TrendInput struct {
	Rows            int
	Lookup          func(companyID string) (row int32, ok bool) // current row of a company id
	WrapperExposure *array.Float64
	DataMoat        *array.Float64
	Rank            []int32       // overall rank by row
	Contributions   []NamedFloats // the wx_* / dm_* contributions, in model order
}

// Trend is the comparison of the current run with the latest earlier
// published run.
type Trend struct {
	PreviousRunDate string // empty when there is none
	PreviousRunID   string
	Matched         int64 // companies found in both runs
	valid           []bool
	wxChange        []float64
	dmChange        []float64
	rankChange      []int32
	hasRank         []bool
	word            []uint8
	mover           []int16
	moverNames      []string
}

// NewTrend is the trend of a run with no earlier run: every company is new.
func NewTrend(rows int) *Trend {
	t := &Trend{
		valid:      make([]bool, rows),
		wxChange:   make([]float64, rows),
		dmChange:   make([]float64, rows),
		rankChange: make([]int32, rows),
		hasRank:    make([]bool, rows),
		word:       make([]uint8, rows),
		mover:      make([]int16, rows),
	}
	for i := range t.word {
		t.word[i] = trendNew
		t.mover[i] = -1
	}
	return t
}

// CompareRun compares the current run with the scores files of an earlier
// run. Contributions are compared by name, so a component absent from
// either run is left out of top_mover.
func CompareRun(ctx context.Context, mem memory.Allocator, files []string, runDate string, in TrendInput) (*Trend, error) {
	t := NewTrend(in.Rows)
	t.PreviousRunDate = runDate
	for _, c := range in.Contributions {
		label := c.Label
		if label == "" {
			label = c.Name
		}
		t.moverNames = append(t.moverNames, label)
	}
	for _, path := range files {
		if err := t.compareFile(ctx, mem, path, in); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func (t *Trend) compareFile(ctx context.Context, mem memory.Allocator, path string, in TrendInput) error {
	p, err := openParquet(mem, path, DefaultRowGroupRows)
	if err != nil {
		return err
	}
	defer p.Close()
	if t.PreviousRunID == "" {
		t.PreviousRunID = p.meta(MetaRunID)
	}
	base := []string{"company_id", "wrapper_exposure", "data_moat", "rank"}
	idx := p.columns(base)
	for i, c := range idx {
		if c < 0 {
			return fmt.Errorf("previous run %s: no column %s", path, base[i])
		}
	}
	// contributions present in both runs: which current one each read column is
	var cur []int
	for i, c := range in.Contributions {
		if j := p.columns([]string{c.Name})[0]; j >= 0 {
			idx = append(idx, j)
			cur = append(cur, i)
		}
	}
	return p.scan(ctx, idx, func(rec arrow.RecordBatch) error {
		ids, ok1 := rec.Column(0).(*array.String)
		wx, ok2 := rec.Column(1).(*array.Float64)
		dm, ok3 := rec.Column(2).(*array.Float64)
		if !ok1 || !ok2 || !ok3 {
			return fmt.Errorf("previous run %s: unexpected column types %s", path, rec.Schema())
		}
		rank := rec.Column(3)
		contrib := make([]*array.Float64, len(cur))
		for k := range cur {
			if contrib[k], ok1 = rec.Column(4 + k).(*array.Float64); !ok1 {
				return fmt.Errorf("previous run %s: column %s is %s, want double", path, rec.Schema().Field(4+k).Name, rec.Column(4+k).DataType())
			}
		}
		for i := range ids.Len() {
			if ids.IsNull(i) {
				continue
			}
			row, ok := in.Lookup(ids.Value(i))
			if !ok || t.word[row] != trendNew {
				continue
			}
			t.Matched++
			t.mover[row] = -1
			if pr, ok := intAt(rank, i); ok {
				t.rankChange[row] = int32(pr) - in.Rank[row]
				t.hasRank[row] = true
			}
			if wx.IsNull(i) || dm.IsNull(i) || in.WrapperExposure.IsNull(int(row)) || in.DataMoat.IsNull(int(row)) {
				t.word[row] = trendNull
				continue
			}
			t.valid[row] = true
			t.wxChange[row] = in.WrapperExposure.Value(int(row)) - wx.Value(i)
			t.dmChange[row] = in.DataMoat.Value(int(row)) - dm.Value(i)
			switch net := t.dmChange[row] - t.wxChange[row]; {
			case net >= TrendThreshold:
				t.word[row] = trendUp
			case net <= -TrendThreshold:
				t.word[row] = trendDown
			default:
				t.word[row] = trendStable
			}
			best := moverEpsilon
			for k, ci := range cur {
				c := in.Contributions[ci].Values
				if contrib[k].IsNull(i) || c.IsNull(int(row)) {
					continue
				}
				if d := math.Abs(c.Value(int(row)) - contrib[k].Value(i)); d > best {
					best = d
					t.mover[row] = int16(ci)
				}
			}
		}
		return nil
	})
}

// intAt reads an integer column of any width at row i.
func intAt(a arrow.Array, i int) (int64, bool) {
	if a.IsNull(i) {
		return 0, false
	}
	switch v := a.(type) {
	case *array.Int32:
		return int64(v.Value(i)), true
	case *array.Int64:
		return v.Value(i), true
	}
	return 0, false
}

// Word returns the trend word of a row ("" for null).
func (t *Trend) Word(row int) string { return trendWords[t.word[row]] }

// Columns are the trend columns of the scores table.
func (t *Trend) Columns() []OutColumn {
	float := func(name, desc string, vals []float64) OutColumn {
		return OutColumn{Name: name, Type: arrow.PrimitiveTypes.Float64, Description: desc,
			Gen: func(mem memory.Allocator, off, n int) arrow.Array {
				b := array.NewFloat64Builder(mem)
				defer b.Release()
				b.AppendValues(vals[off:off+n], t.valid[off:off+n])
				return b.NewArray()
			}}
	}
	return []OutColumn{
		float("wx_change", "Change of wrapper_exposure since the previous published run; null when the company is new.", t.wxChange),
		float("dm_change", "Change of data_moat since the previous published run; null when the company is new.", t.dmChange),
		{Name: "rank_change", Type: arrow.PrimitiveTypes.Int32,
			Description: "Previous rank minus this rank: positive when the company moved up; null when it is new.",
			Gen: func(mem memory.Allocator, off, n int) arrow.Array {
				b := array.NewInt32Builder(mem)
				defer b.Release()
				b.AppendValues(t.rankChange[off:off+n], t.hasRank[off:off+n])
				return b.NewArray()
			}},
		{Name: "trend", Type: arrow.BinaryTypes.String, Dict: true,
			Description: fmt.Sprintf("Net moat (data_moat − wrapper_exposure) since the previous published run: up or down when it moved by %g point or more, else stable; new when the company was not in it.", TrendThreshold),
			Gen: func(mem memory.Allocator, off, n int) arrow.Array {
				codes := make([]int32, n)
				for i, w := range t.word[off : off+n] {
					codes[i] = int32(w) - 1 // trendNull becomes -1, a null
				}
				return DictStrings(mem, trendWords[1:], codes)
			}},
		{Name: "top_mover", Type: arrow.BinaryTypes.String, Dict: true,
			Description: "The component whose contribution moved most since the previous published run; null when the company is new or nothing moved.",
			Gen: func(mem memory.Allocator, off, n int) arrow.Array {
				codes := make([]int32, n)
				for i, m := range t.mover[off : off+n] {
					codes[i] = int32(m)
				}
				return DictStrings(mem, t.moverNames, codes)
			}},
	}
}
