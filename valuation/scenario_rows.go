package valuation

import (
	"fmt"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// scenarioOut is what the scenario rows are made from: per row
// (company-major) the wrapper exposure under the scenario and the revenue
// at risk, and per company its scores. Every other scenario column is
// derived from these when the rows are made, with the same expressions the
// evaluation would use, so the bits are the same.
type scenarioOut struct {
	m        *Model
	n, ns    int // companies, scenarios
	schema   *arrow.Schema
	names    []string
	kinds    []string
	wx       []float64 // by row
	rar      []float64 // by row; 0 where null
	rarValid []byte    // validity bit per row

	// columns of the scores record (referenced until release)
	base, dm, valuation, adjusted *array.Float64
}

func newScenarioOut(m *Model, n int) *scenarioOut {
	ns := len(m.scen)
	s := &scenarioOut{m: m, n: n, ns: ns, names: m.Scenarios(), kinds: make([]string, ns)}
	for k, sc := range m.scen {
		s.kinds[k] = sc.kind
	}
	s.wx = make([]float64, n*ns)
	s.rar = make([]float64, n*ns)
	s.rarValid = make([]byte, bitutil.BytesForBits(int64(n*ns)))
	return s
}

// setScores keeps the score columns the scenario rows are derived from.
func (s *scenarioOut) setScores(schema *arrow.Schema, base, dm, valuation, adjusted arrow.Array) {
	s.schema = schema
	s.base, s.dm = base.(*array.Float64), dm.(*array.Float64)
	s.valuation, s.adjusted = valuation.(*array.Float64), adjusted.(*array.Float64)
	for _, a := range []arrow.Array{base, dm, valuation, adjusted} {
		a.Retain()
	}
}

func (s *scenarioOut) release() {
	for _, a := range []*array.Float64{s.base, s.dm, s.valuation, s.adjusted} {
		if a != nil {
			a.Release()
		}
	}
	s.base, s.dm, s.valuation, s.adjusted = nil, nil, nil, nil
	s.wx, s.rar, s.rarValid = nil, nil, nil
}

// ScenarioRowCount is the number of scenario rows: companies × scenarios.
func (r *Result) ScenarioRowCount() int {
	if r.scen == nil {
		if r.Scenarios != nil {
			return int(r.Scenarios.NumRows())
		}
		return 0
	}
	return r.scen.n * r.scen.ns
}

// ScenarioRows makes the scenario rows [off, off+n), with the columns of
// Model.ScenarioColumns: the same rows as Result.Scenarios, which it
// slices when the result holds it. It panics when the range is outside
// 0..ScenarioRowCount() or the result was released. The caller releases
// the record.
func (r *Result) ScenarioRows(mem memory.Allocator, off, n int) arrow.RecordBatch {
	if total := r.ScenarioRowCount(); off < 0 || n < 0 || off+n > total {
		panic(fmt.Sprintf("valuation: scenario rows [%d, %d) outside the %d rows", off, off+n, total))
	}
	if r.Scenarios != nil {
		return r.Scenarios.NewSlice(int64(off), int64(off+n))
	}
	if r.scen == nil {
		panic("valuation: scenario rows of a released result")
	}
	return r.scen.rows(mem, off, n)
}

func (s *scenarioOut) rows(mem memory.Allocator, off, n int) arrow.RecordBatch {
	m, ns := s.m, s.ns
	index := newFixed[int32](mem, i32, n, false)
	wx := newFixed[float64](mem, f64, n, false)
	change := newFixed[float64](mem, f64, n, false)
	adjusted := newFixed[float64](mem, f64, n, true)
	valChange := newFixed[float64](mem, f64, n, true)
	rar := newFixed[float64](mem, f64, n, true)
	band := make([]int32, n)
	base, dm := s.base.Float64Values(), s.dm.Float64Values()
	post, baseAdj := s.valuation.Float64Values(), s.adjusted.Float64Values()
	for j := 0; j < n; j++ {
		row := off + j
		i := row / ns
		w := s.wx[row]
		index.v[j] = int32(i)
		wx.v[j] = w
		change.v[j] = w - base[i]
		band[j] = m.bandOf(w)
		if bitutil.BitIsSet(s.rarValid, row) {
			rar.v[j] = s.rar[row]
		} else {
			rar.null(j)
		}
		if s.valuation.IsValid(i) {
			adj := post[i] * m.factor(dm[i], w)
			adjusted.v[j] = adj
			valChange.v[j] = adj - baseAdj[i]
		} else {
			adjusted.null(j)
			valChange.null(j)
		}
	}
	cols := []arrow.Array{
		index.array(),
		cycleStrings(mem, off, n, s.names),
		cycleStrings(mem, off, n, s.kinds),
		wx.array(),
		stringsOf(mem, band, bandLabels),
		change.array(),
		adjusted.array(),
		valChange.array(),
		rar.array(),
	}
	rec := array.NewRecordBatch(s.schema, cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// cycleStrings builds the string array of rows [off, off+n) of a column
// that repeats dict in order: row r is dict[r % len(dict)].
func cycleStrings(mem memory.Allocator, off, n int, dict []string) arrow.Array {
	k := len(dict)
	total := 0
	for j := 0; j < n; j++ {
		total += len(dict[(off+j)%k])
	}
	offs := memory.NewResizableBuffer(mem)
	offs.Resize((n + 1) * 4)
	o := unsafe.Slice((*int32)(unsafe.Pointer(&offs.Bytes()[0])), n+1)
	vals := memory.NewResizableBuffer(mem)
	vals.Resize(total)
	vb := vals.Bytes()
	pos, s := 0, 0
	if k > 0 {
		s = off % k
	}
	for j := 0; j < n; j++ {
		o[j] = int32(pos)
		pos += copy(vb[pos:], dict[s])
		if s++; s == k {
			s = 0
		}
	}
	o[n] = int32(pos)
	d := array.NewData(arrow.BinaryTypes.String, n, []*memory.Buffer{nil, offs, vals}, nil, 0, 0)
	defer d.Release()
	offs.Release()
	vals.Release()
	return array.MakeFromData(d)
}
