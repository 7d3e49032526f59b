package valuation

import (
	"fmt"
	"math"
	"math/bits"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// scenarioOut is what the scenario rows are made from: per row
// (company-major) the wrapper exposure under the scenario and the revenue
// at risk, and per company its scores. Every other scenario column is
// derived from these when the rows are made, with the same expressions the
// evaluation would use, so the bits are the same.
//
// Most rows are those of companies the shock does not touch: the wrapper
// exposure is the base one and the revenue at risk 0. Only the other rows
// keep their values, marked in a bitmap, so the memory is 16 bytes per
// touched row and about a bit per row, in blocks of 1 MiB.
type scenarioOut struct {
	m      *Model
	n, ns  int // companies, scenarios
	schema *arrow.Schema
	names  []string
	kinds  []string
	kept   []uint64 // bit per row: the row's values are kept
	count  []uint32 // per word of kept: the kept rows before it in its part
	chunk  int      // companies per part
	parts  []scenarioPart

	// columns of the scores record (referenced until release)
	base, dm, valuation, adjusted *array.Float64
}

// scenarioPart holds the kept rows of the companies of one evaluation
// range, in row order, in blocks that are never copied.
type scenarioPart struct {
	blocks []*keptBlock
	n      int // rows kept
}

// keptBlockRows is the number of rows of a block: 1 MiB of values.
var keptBlockRows = 1 << 16

type keptBlock struct {
	wx, rar []float64
	null    []uint64 // bit set: the revenue at risk is null
}

func newKeptBlock() *keptBlock {
	return &keptBlock{wx: make([]float64, keptBlockRows), rar: make([]float64, keptBlockRows), null: make([]uint64, (keptBlockRows+63)/64)}
}

// row returns kept row k of the part.
func (p *scenarioPart) row(k int) (wx, rar float64, rarOK bool) {
	b, j := p.blocks[k/keptBlockRows], k%keptBlockRows
	return b.wx[j], b.rar[j], b.null[j/64]>>(j%64)&1 == 0
}

func newScenarioOut(m *Model, n, chunk, parts int) *scenarioOut {
	ns := len(m.scen)
	s := &scenarioOut{m: m, n: n, ns: ns, names: m.Scenarios(), kinds: make([]string, ns), chunk: chunk}
	for k, sc := range m.scen {
		s.kinds[k] = sc.kind
	}
	words := (n*ns + 63) / 64
	s.kept = make([]uint64, words)
	s.count = make([]uint32, words)
	s.parts = make([]scenarioPart, parts)
	return s
}

// add records a row of company i (in part p) unless it is an untouched
// one: its wrapper exposure the base one, its revenue at risk 0.
func (s *scenarioOut) add(p *scenarioPart, row int, w, base, rar float64, rarOK bool) {
	if math.Float64bits(w) == math.Float64bits(base) && rarOK && math.Float64bits(rar) == 0 {
		return
	}
	s.kept[row>>6] |= 1 << (row & 63)
	j := p.n % keptBlockRows
	if j == 0 {
		p.blocks = append(p.blocks, newKeptBlock())
	}
	b := p.blocks[len(p.blocks)-1]
	b.wx[j] = w
	if rarOK {
		b.rar[j] = rar
	} else {
		b.null[j/64] |= 1 << (j % 64)
	}
	p.n++
}

// done counts the kept rows of the part of companies lo..hi-1, which
// starts at a row that is a multiple of 64.
func (s *scenarioOut) done(p *scenarioPart, lo, hi int) {
	c := uint32(0)
	for w := lo * s.ns / 64; w < (hi*s.ns+63)/64; w++ {
		s.count[w] = c
		c += uint32(bits.OnesCount64(s.kept[w]))
	}
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
	s.kept, s.count, s.parts = nil, nil, nil
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
		w, r, rOK := base[i], 0.0, true
		if word, bit := row>>6, uint(row&63); s.kept[word]>>bit&1 != 0 {
			k := int(s.count[word]) + bits.OnesCount64(s.kept[word]&(1<<bit-1))
			w, r, rOK = s.parts[i/s.chunk].row(k)
		}
		index.v[j] = int32(i)
		wx.v[j] = w
		change.v[j] = w - base[i]
		band[j] = m.bandOf(w)
		if rOK {
			rar.v[j] = r
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
