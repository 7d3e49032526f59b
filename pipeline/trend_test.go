package pipeline

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func floats(mem memory.Allocator, v ...float64) *array.Float64 {
	b := array.NewFloat64Builder(mem)
	defer b.Release()
	for _, x := range v {
		if math.IsNaN(x) {
			b.AppendNull()
		} else {
			b.Append(x)
		}
	}
	return b.NewFloat64Array()
}

func strs(mem memory.Allocator, v ...string) *array.String {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.AppendValues(v, nil)
	return b.NewStringArray()
}

func int32s(mem memory.Allocator, v ...int32) *array.Int32 {
	b := array.NewInt32Builder(mem)
	defer b.Release()
	b.AppendValues(v, nil)
	return b.NewInt32Array()
}

func TestCompareRun(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)

	// The previous run: a, b, c, gone; with two contributions and one the
	// current run no longer has.
	prevCols := []OutColumn{
		{Name: "company_id", Type: arrow.BinaryTypes.String, Array: strs(mem, "a", "b", "c", "gone")},
		{Name: "wrapper_exposure", Type: arrow.PrimitiveTypes.Float64, Array: floats(mem, 40, 40, 40, 10)},
		{Name: "data_moat", Type: arrow.PrimitiveTypes.Float64, Array: floats(mem, 50, 50, 50, 10)},
		{Name: "rank", Type: arrow.PrimitiveTypes.Int32, Array: int32s(mem, 1, 2, 3, 4)},
		{Name: "wx_api_contribution", Type: arrow.PrimitiveTypes.Float64, Array: floats(mem, 10, 10, 10, 1)},
		{Name: "dm_scale_contribution", Type: arrow.PrimitiveTypes.Float64, Array: floats(mem, 20, 20, 20, 1)},
		{Name: "wx_old_contribution", Type: arrow.PrimitiveTypes.Float64, Array: floats(mem, 1, 1, 1, 1)},
	}
	defer func() {
		for _, c := range prevCols {
			c.Array.Release()
		}
	}()
	path := filepath.Join(t.TempDir(), "part-0.parquet")
	if _, err := WriteTable(context.Background(), mem, path, 4, prevCols, FileMeta{RunID: "prev-run"}, 2); err != nil {
		t.Fatal(err)
	}

	// The current run: b, a, c, new (rows in that order).
	ids := []string{"b", "a", "c", "new"}
	wx := floats(mem, 40, 40.5, 45, 30)
	dm := floats(mem, 52, 50, 50, 30)
	cWX := floats(mem, 10, 10.5, 15, 5)
	cDM := floats(mem, 22, 20, 20, 5)
	defer wx.Release()
	defer dm.Release()
	defer cWX.Release()
	defer cDM.Release()
	in := TrendInput{
		Rows: 4,
		Lookup: func(id string) (int32, bool) {
			for i, v := range ids {
				if v == id {
					return int32(i), true
				}
			}
			return 0, false
		},
		WrapperExposure: wx,
		DataMoat:        dm,
		Rank:            []int32{1, 2, 4, 3},
		Contributions:   []NamedFloats{{Name: "wx_api_contribution", Label: "wx_api", Values: cWX}, {Name: "dm_scale_contribution", Values: cDM}},
	}
	tr, err := CompareRun(context.Background(), mem, []string{path}, "2026-01-01", in)
	if err != nil {
		t.Fatalf("CompareRun() error %v", err)
	}
	if tr.PreviousRunID != "prev-run" || tr.Matched != 3 {
		t.Errorf("CompareRun() previous run %q, matched %d; want prev-run, 3", tr.PreviousRunID, tr.Matched)
	}
	cols := tr.Columns()
	arrs := make([]arrow.Array, len(cols))
	for i := range cols {
		arrs[i] = cols[i].slice(mem, 0, 4)
		defer arrs[i].Release()
	}
	tests := []struct {
		id                 string
		wxChange, dmChange string
		rankChange         string
		trend, topMover    string
	}{
		{id: "b", wxChange: "0", dmChange: "2", rankChange: "1", trend: TrendUp, topMover: "dm_scale_contribution"},
		{id: "a", wxChange: "0.5", dmChange: "0", rankChange: "-1", trend: TrendStable, topMover: "wx_api"},
		{id: "c", wxChange: "5", dmChange: "0", rankChange: "-1", trend: TrendDown, topMover: "wx_api"},
		{id: "new", wxChange: "(null)", dmChange: "(null)", rankChange: "(null)", trend: TrendNew, topMover: "(null)"},
	}
	for row, tt := range tests {
		got := []string{arrs[0].ValueStr(row), arrs[1].ValueStr(row), arrs[2].ValueStr(row), arrs[3].ValueStr(row), arrs[4].ValueStr(row)}
		want := []string{tt.wxChange, tt.dmChange, tt.rankChange, tt.trend, tt.topMover}
		for k := range got {
			if got[k] != want[k] {
				t.Errorf("company %s: %s = %s, want %s", tt.id, cols[k].Name, got[k], want[k])
			}
		}
	}
}

func TestNewTrend(t *testing.T) {
	tr := NewTrend(3)
	for i := range 3 {
		if got := tr.Word(i); got != TrendNew {
			t.Errorf("NewTrend(3).Word(%d) = %q, want %q", i, got, TrendNew)
		}
	}
}
