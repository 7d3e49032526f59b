package valuation

import (
	"errors"
	"math"
	"runtime"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"moatscore/data"
)

// Result is the model's output for one run.
type Result struct {
	// Scores has one row per company in company-index order; its columns
	// are Model.ScoreColumns.
	Scores arrow.RecordBatch
	// Scenarios has one row per company and scenario, company-major
	// (row = company index × number of scenarios + scenario position);
	// its columns are Model.ScenarioColumns. It is nil when the result
	// comes from EvaluateWith with DeferScenarios: ScenarioRows then makes
	// the same rows range by range.
	Scenarios arrow.RecordBatch
	// SharesScaled is the number of companies whose workload shares were
	// scaled down to 1.
	SharesScaled int
	// UnknownProviders lists the provider ids not in the reference data,
	// in order of first sight.
	UnknownProviders []string

	scen *scenarioOut
}

// Release releases both records and what the scenario rows are made from.
func (r *Result) Release() {
	if r.Scores != nil {
		r.Scores.Release()
		r.Scores = nil
	}
	if r.Scenarios != nil {
		r.Scenarios.Release()
		r.Scenarios = nil
	}
	if r.scen != nil {
		r.scen.release()
		r.scen = nil
	}
}

// Labels of the coded string columns.
var (
	bandLabels        = []string{"low", "moderate", "high", "severe"}
	ratingLabels      = []string{"none", "narrow", "wide"}
	uncertaintyLabels = []string{"low", "medium", "high", "very_high"}
)

// Bands of the wrapper exposure.
const (
	BandLow      = "low"
	BandModerate = "moderate"
	BandHigh     = "high"
	BandSevere   = "severe"
)

// Moat ratings.
const (
	RatingNone   = "none"
	RatingNarrow = "narrow"
	RatingWide   = "wide"
)

// Evaluate scores every company of the aggregator and runs the scenarios,
// in parallel over ranges of companies; the output bits do not depend on
// the parallelism.
func (m *Model) Evaluate(mem memory.Allocator, a *Aggregator) (*Result, error) {
	return m.EvaluateWith(mem, a, EvaluateOptions{})
}

// EvaluateOptions tune an evaluation; the zero value is Evaluate's.
type EvaluateOptions struct {
	// Workers is the number of companies ranges evaluated in parallel;
	// 0 means GOMAXPROCS.
	Workers int
	// DeferScenarios leaves Result.Scenarios nil: the evaluation keeps
	// about 17 bytes per scenario row (the wrapper exposure and the
	// revenue at risk), and Result.ScenarioRows makes the rows on demand,
	// range by range, the same as Result.Scenarios would hold them.
	DeferScenarios bool
	// ConsumeAggregator frees the aggregator's per-company sums as soon as
	// the evaluation has read them, and runs the garbage collector before
	// each pass allocates its output columns, so that they reuse that
	// memory: the peak memory is then well under the aggregator's plus the
	// outputs'. The aggregator cannot be evaluated again.
	ConsumeAggregator bool
}

// EvaluateWith is Evaluate with options.
func (m *Model) EvaluateWith(mem memory.Allocator, a *Aggregator, o EvaluateOptions) (*Result, error) {
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if a.consumed {
		return nil, errConsumed
	}
	res, err := m.scoreWith(mem, a, workers, o.ConsumeAggregator)
	if err != nil || o.DeferScenarios {
		return res, err
	}
	res.Scenarios = res.ScenarioRows(mem, 0, res.ScenarioRowCount())
	return res, nil
}

var errConsumed = errors.New("valuation: the aggregator was consumed by an earlier evaluation")

// evaluation holds the inputs and output columns of one Evaluate.
type evaluation struct {
	m *Model
	a *Aggregator
	p *params
	f wxInputs

	wxVal, wxCon, dmVal, dmCon []*fixedOut[float64]

	wx, dm, net                  *fixedOut[float64]
	valuation, adjusted, adjUSD  *fixedOut[float64]
	adjPct                       *fixedOut[float64]
	pct                          [4]*fixedOut[float64] // wx sector, wx zone, dm sector, dm zone
	workload, apiSpend           *fixedOut[float64]
	roundDate                    *fixedOut[arrow.Date32]
	age                          *fixedOut[int32]
	usageRows, assetRows, rounds *fixedOut[int32]
	exclusive, notClear          *fixedOut[int32]
	rejected, flagged            *fixedOut[int32]
	thin, scaled                 *boolOut

	zone, band, rating, unc, reasons, stage []int32
	scaledCount                             []int // per range

	// scenarios, company-major: what the other scenario columns are
	// derived from when their rows are made
	scen *scenarioOut
}

// evaluate scores every company and makes Result.Scenarios.
func (m *Model) evaluate(mem memory.Allocator, a *Aggregator, workers int) (*Result, error) {
	res, err := m.score(mem, a, workers)
	if err != nil {
		return nil, err
	}
	res.Scenarios = res.ScenarioRows(mem, 0, res.ScenarioRowCount())
	return res, nil
}

// score scores every company and runs the scenarios, keeping their
// compact results.
func (m *Model) score(mem memory.Allocator, a *Aggregator, workers int) (*Result, error) {
	if a.consumed {
		return nil, errConsumed
	}
	return m.scoreWith(mem, a, workers, false)
}

// scoreWith evaluates in three passes over ranges of companies, each
// reading one part of the aggregator and writing the output columns that
// come from it: data assets (data moat), model usage (wrapper exposure,
// scenarios, zone), then, after the percentiles, funding rounds and the
// columns that combine them.
// With consume, each part of the aggregator is freed after its pass.
func (m *Model) scoreWith(mem memory.Allocator, a *Aggregator, workers int, consume bool) (*Result, error) {
	n := a.n
	apiDep, err := float64Of(a.companies, data.TableCompanies, "api_dependency_share")
	if err != nil {
		return nil, err
	}
	fallback, _ := float64Of(a.companies, data.TableCompanies, "fallback_parity")
	revenue, _ := float64Of(a.companies, data.TableCompanies, "revenue_usd")
	e := &evaluation{
		m: m, a: a, p: &m.p,
		f: wxInputs{apiDependency: apiDep, fallbackParity: fallback, revenue: revenue, u: a.usage},
	}
	if workers < 1 {
		workers = 1
	}
	chunk := (n + workers - 1) / workers
	chunk = (chunk + 63) &^ 63 // validity bytes never shared between ranges
	if chunk == 0 {
		chunk = 64
	}
	nr := (n + chunk - 1) / chunk
	each := func(f func(r, lo, hi int)) {
		var wg sync.WaitGroup
		for r := 0; r < nr; r++ {
			lo, hi := r*chunk, min((r+1)*chunk, n)
			wg.Go(func() { f(r, lo, hi) })
		}
		wg.Wait()
	}
	consumed := func(drop func()) {
		if consume {
			drop()
			runtime.GC() // the next pass's columns reuse the memory
		}
	}
	if consume {
		a.consumed = true
		runtime.GC() // what the aggregation left is taken back before the first pass allocates
	}
	f64s := func(nullable bool) *fixedOut[float64] { return newFixed[float64](mem, f64, n, nullable) }
	i32s := func() *fixedOut[int32] { return newFixed[int32](mem, i32, n, false) }

	// Data assets: the data moat. First: the asset sums, once freed, are
	// one large block the columns of the next pass fit in.
	for range m.dm {
		e.dmVal = append(e.dmVal, f64s(false))
		e.dmCon = append(e.dmCon, f64s(false))
	}
	e.dm = f64s(false)
	e.assetRows, e.exclusive, e.notClear = i32s(), i32s(), i32s()
	each(func(_, lo, hi int) { e.evalAssets(lo, hi) })
	consumed(func() { a.assets = nil })

	// Model usage: the wrapper exposure and the scenarios.
	e.f.scale, e.f.hhi = make([]float64, n), make([]float64, n)
	for range m.wx {
		e.wxVal = append(e.wxVal, f64s(false))
	}
	e.wx = f64s(false)
	e.workload, e.apiSpend = f64s(false), f64s(false)
	e.usageRows = i32s()
	e.scaled = newBool(mem, n)
	e.zone = make([]int32, n)
	e.scen = newScenarioOut(m, n, chunk, nr)
	e.scaledCount = make([]int, nr)
	each(func(r, lo, hi int) { e.scaledCount[r] = e.evalUsage(lo, hi, &e.scen.parts[r]) })
	consumed(func() {
		a.usage, a.over, a.sc = nil, nil, nil
		e.f.u, e.f.scale, e.f.hhi = nil, nil, nil
	})

	// The contributions, from the components, once the usage sums are
	// freed.
	for range m.wx {
		e.wxCon = append(e.wxCon, f64s(false))
	}
	each(func(_, lo, hi int) {
		for k := range m.wx {
			x, con, c := e.wxVal[k].v, e.wxCon[k].v, m.wxCoef[k]
			for i := lo; i < hi; i++ {
				con[i] = c * x[i]
			}
		}
	})

	// Percentiles, while the memory they sort in is still free of the
	// last pass's columns.
	for k := range e.pct {
		e.pct[k] = f64s(false)
	}
	e.percentiles(workers)
	consumed(func() {})

	// Funding rounds, ratings, uncertainty.
	e.net = f64s(false)
	e.valuation, e.adjusted, e.adjUSD, e.adjPct = f64s(true), f64s(true), f64s(true), f64s(true)
	e.roundDate = newFixed[arrow.Date32](mem, date, n, true)
	e.age = newFixed[int32](mem, i32, n, true)
	e.rounds, e.rejected, e.flagged = i32s(), i32s(), i32s()
	e.thin = newBool(mem, n)
	e.band, e.rating = make([]int32, n), make([]int32, n)
	e.unc, e.reasons, e.stage = make([]int32, n), make([]int32, n), make([]int32, n)
	each(func(_, lo, hi int) { e.evalRest(lo, hi) })
	consumed(func() { a.rounds, a.longIDs, a.rejected, a.flagged = nil, nil, nil, nil })
	return e.result(mem), nil
}

// wxInputs are the per-company inputs of the wrapper exposure kernels.
type wxInputs struct {
	apiDependency, fallbackParity, revenue f64col
	u                                      []usageAgg
	scale                                  []float64 // workload scale k
	hhi                                    []float64 // Σ (API workload per provider)², before scaling
}

// ShareTolerance: workload shares summing to more than 1 + ShareTolerance
// are scaled down to 1.
const ShareTolerance = 0.01

// evalUsage scores the wrapper exposure of companies lo..hi-1 and runs
// their scenarios; it returns how many had their shares scaled.
func (e *evaluation) evalUsage(lo, hi int, part *scenarioPart) int {
	m, a, p, f := e.m, e.a, e.p, &e.f
	scaled := 0
	for i := lo; i < hi; i++ {
		g := &a.usage[i]
		k := 1.0
		if g.total > 1+ShareTolerance {
			k = 1 / g.total
			scaled++
			e.scaled.set(i, true)
		}
		f.scale[i] = k
		f.hhi[i] = a.hhi(i, g)
		e.workload.v[i] = g.total
		e.apiSpend.v[i] = g.spend
		e.usageRows.v[i] = g.rows
		e.zone[i] = int32(m.ref2.countryZone[a.country[i]])
	}

	// wrapper exposure: components, contributions, and their sum in
	// declaration order
	wx := e.wx.v
	for i := lo; i < hi; i++ {
		wx[i] = 0
	}
	for k, d := range wxDecls {
		x, c := e.wxVal[k].v, m.wxCoef[k]
		d.kernel(p, f, lo, hi, x)
		for i := lo; i < hi; i++ {
			// the contribution, rounded as the wx_*_contrib column holds it
			wx[i] += float64(c * x[i])
		}
	}
	for i := lo; i < hi; i++ {
		wx[i] = clampScore(wx[i])
	}

	e.scenarios(lo, hi, part)
	e.scen.done(part, lo, hi)
	return scaled
}

// evalAssets scores the data moat of companies lo..hi-1.
func (e *evaluation) evalAssets(lo, hi int) {
	a := e.a
	dm := e.dm.v
	var dmCon, dmVal [nDMTerms][]float64
	for k := range dmCon {
		dmCon[k], dmVal[k] = e.dmCon[k].v, e.dmVal[k].v
	}
	for i := lo; i < hi; i++ {
		g := &a.assets[i]
		d := 0.0
		if g.l > 0 {
			d = clampScore(100 * (1 - math.Exp(-g.l)))
		}
		dm[i] = d
		for k := range dmCon {
			if g.l > 0 {
				dmCon[k][i] = d * (g.contrib[k] / g.l)
				dmVal[k][i] = g.value[k] / g.l
			} else {
				dmCon[k][i], dmVal[k][i] = 0, 0
			}
		}
		e.assetRows.v[i] = g.rows
		e.exclusive.v[i] = g.exclusive
		e.notClear.v[i] = g.notClear
	}
}

// evalRest fills the other columns of companies lo..hi-1 from their
// funding rounds, flags and scores.
func (e *evaluation) evalRest(lo, hi int) {
	m, a := e.m, e.a
	wx, dm := e.wx.v, e.dm.v
	cfg := &m.cfg
	for i := lo; i < hi; i++ {
		w, d := wx[i], dm[i]
		e.net.v[i] = d - w
		e.band[i] = m.bandOf(w)
		e.rating[i] = m.ratingOf(d, w, e.exclusive.v[i])
		e.thin.set(i, w >= cfg.ThinWrapper.MinWX && d < cfg.ThinWrapper.MaxDM)

		rd := &a.rounds[i]
		e.rounds.v[i] = rd.rows
		e.rejected.v[i] = a.rejected[i]
		e.flagged.v[i] = a.flagged[i]

		// valuation
		e.stage[i] = rd.stage
		hasV := rd.date != noDate
		if hasV {
			factor := m.factor(d, w)
			v := rd.post
			adj := v * factor
			e.valuation.v[i] = v
			e.roundDate.v[i] = arrow.Date32(rd.date)
			e.age.v[i] = m.runDay - rd.date
			e.adjusted.v[i] = adj
			e.adjUSD.v[i] = adj - v
			e.adjPct.v[i] = 100 * (factor - 1)
		} else {
			e.valuation.null(i)
			e.roundDate.null(i)
			e.age.null(i)
			e.adjusted.null(i)
			e.adjUSD.null(i)
			e.adjPct.null(i)
		}

		mask := m.uncertaintyMask(e, i, hasV)
		e.reasons[i] = int32(mask)
		e.unc[i] = m.uncertaintyLevel(mask)
	}
}

func clampScore(v float64) float64 {
	v += 0 // no negative zero
	if v > 100 {
		return 100
	}
	if v >= 0 {
		return v
	}
	return 0
}

func (m *Model) bandOf(wx float64) int32 {
	b := m.cfg.WX.Bands
	switch {
	case wx < b.Moderate:
		return 0
	case wx < b.High:
		return 1
	case wx < b.Severe:
		return 2
	}
	return 3
}

func (m *Model) ratingOf(dm, wx float64, exclusive int32) int32 {
	r := m.cfg.Rating
	switch {
	case dm >= r.WideMinDM && exclusive > 0 && wx < r.WideMaxWX:
		return 2
	case dm >= r.NarrowMinDM:
		return 1
	}
	return 0
}

// factor is V_adj ÷ V: (1 + p·(DM − 50)/50) × (1 − d·WX/100).
func (m *Model) factor(dm, wx float64) float64 {
	return (1 + m.cfg.Premium*(dm-50)/50) * (1 - m.cfg.Discount*wx/100)
}

// scenarios scores companies lo..hi-1 under every scenario, keeping the
// touched rows in part.
func (e *evaluation) scenarios(lo, hi int, part *scenarioPart) {
	m, a, f := e.m, e.a, &e.f
	ns := len(m.scen)
	if ns == 0 {
		return
	}
	t := m.ref2
	var x [16]float64 // component values of one company
	nc := len(m.wx)
	xs := make([][]float64, nc)
	for k := range xs {
		xs[k] = e.wxVal[k].v
	}
	out, baseWX := e.scen, e.wx.v
	for i := lo; i < hi; i++ {
		g := &a.usage[i]
		rev, revOK := f.revenue.v[i], f.revenue.ok(i)
		acc := a.sc[i*a.scStride : (i+1)*a.scStride]
		for s := range m.scen {
			sc := &m.scen[s]
			row := i*ns + s
			for k := 0; k < nc; k++ {
				x[k] = xs[k][i]
			}
			rar, rarOK := 0.0, true
			hit := 0.0 // raw API workload the shock hits (cut-off, deprecation)
			switch sc.kind {
			case KindProviderPrice:
				extra := (sc.factor - 1) * acc[a.scA[s]]
				x[iCostBurden] = costBurden(e.p, g.spend+extra, f.revenue, i)
				rar = math.Max(extra, 0)
				if revOK && rar > rev {
					rar = rev
				}
			case KindZoneCutoff:
				if t.countryScen[a.country[i]]&(1<<s) != 0 {
					x[iJurisdiction] = clamp01((g.jur - acc[a.scB[s]] + acc[a.scA[s]]) * f.scale[i])
					hit = acc[a.scA[s]]
				}
			case KindDeprecateModels:
				x[iDeprecation] = clamp01((g.dep - acc[a.scB[s]] + acc[a.scA[s]]) * f.scale[i])
				hit = acc[a.scA[s]]
			}
			if sc.kind != KindProviderPrice {
				switch {
				case hit <= 0 || g.api <= 0:
					rar = 0
				case !revOK:
					rarOK = false
				default:
					rar = math.Max(rev, 0) * x[iAPIDependency] * math.Min(hit/g.api, 1) * x[iFallbackGap]
				}
			}
			w := 0.0
			for k := 0; k < nc; k++ {
				w += m.wxCoef[k] * x[k]
			}
			out.add(part, row, clampScore(w), baseWX[i], rar, rarOK)
		}
	}
}

// Positions of the components the scenarios and revenue at risk read.
var (
	iAPIDependency = wxIndex("api_dependency")
	iCostBurden    = wxIndex("cost_burden")
	iFallbackGap   = wxIndex("fallback_gap")
	iJurisdiction  = wxIndex("jurisdiction")
	iDeprecation   = wxIndex("deprecation")
)

func wxIndex(id string) int {
	for i, d := range wxDecls {
		if d.id == id {
			return i
		}
	}
	panic("valuation: no wrapper exposure component " + id)
}

// result assembles the output records.
func (e *evaluation) result(mem memory.Allocator) *Result {
	m, a := e.m, e.a
	zones := zoneNames[:]
	var stages []string = a.stages
	cols := []arrow.Array{
		stringsOf(mem, e.zone, zones),
		e.wx.array(),
		stringsOf(mem, e.band, bandLabels),
		e.dm.array(),
		e.net.array(),
		stringsOf(mem, e.rating, ratingLabels),
		e.thin.array(),
		stringsOf(mem, e.unc, uncertaintyLabels),
		stringsOf(mem, e.reasons, m.reasons),
		e.valuation.array(),
		e.roundDate.array(),
		stringsOf(mem, e.stage, stages),
		e.age.array(),
		e.adjusted.array(),
		e.adjUSD.array(),
		e.adjPct.array(),
		e.pct[0].array(), e.pct[1].array(), e.pct[2].array(), e.pct[3].array(),
		e.workload.array(),
		e.scaled.array(),
		e.apiSpend.array(),
		e.usageRows.array(),
		e.assetRows.array(),
		e.exclusive.array(),
		e.notClear.array(),
		e.rounds.array(),
		e.rejected.array(),
		e.flagged.array(),
	}
	for k := range m.wx {
		cols = append(cols, e.wxVal[k].array(), e.wxCon[k].array())
	}
	for k := range m.dm {
		cols = append(cols, e.dmVal[k].array(), e.dmCon[k].array())
	}
	meta := map[string]string{"model_version": Version}
	scores := array.NewRecordBatch(schemaOf(m.ScoreColumns(), meta), cols, int64(a.n))
	for _, c := range cols {
		c.Release()
	}

	sc := e.scen
	sc.setScores(schemaOf(m.ScenarioColumns(), meta), cols[1], cols[3], cols[9], cols[13])
	scaled := 0
	for _, c := range e.scaledCount {
		scaled += c
	}
	return &Result{Scores: scores, SharesScaled: scaled, UnknownProviders: a.UnknownProviders(), scen: sc}
}
