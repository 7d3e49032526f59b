package valuation

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var (
	genCountries  = []string{"US", "FR", "DE", "CN", "IN", "NA", "ZZ"}
	genSectors    = []string{"fintech", "health", "retail", "legal", "media"}
	genProviders  = []string{"openai", "anthropic", "meta", "mistral", "deepseek", "acme", "zeta"}
	genModels     = []any{nil, "gpt-new", "gpt-old", "gpt-later", "gpt-open", "claude", "llama", "mistral-large", "deepseek-chat", "unknown-model"}
	genAccess     = []string{"api", "self_hosted", "on_prem"}
	genDomains    = []string{"finance", "healthcare", "retail", "space", "legal"}
	genExclusive  = []string{"owned", "exclusive_license", "nonexclusive_license", "public"}
	genRights     = []string{"none", "unclear", "partial", "clear"} // ascending
	genStages     = []string{"seed", "series_a", "series_b", "growth"}
	genRoundDates = []string{"2019-05-01", "2023-01-01", "2024-06-30", "2025-06-01", "2026-01-15", "2026-06-01"}
)

// maybe returns v or nil (a null) with probability 1/4.
func maybe(r *rand.Rand, v any) any {
	if r.IntN(4) == 0 {
		return nil
	}
	return v
}

// extreme returns a value in [0, 1] that is often exactly 0 or 1.
func extreme(r *rand.Rand) float64 {
	switch r.IntN(6) {
	case 0:
		return 0
	case 1:
		return 1
	}
	return r.Float64()
}

// genInput makes n random valid companies with their child rows; when
// capShares, a company's workload shares add up to at most 1.
func genInput(r *rand.Rand, n int, capShares bool) input {
	var in input
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("c%05d", i)
		in.companies = append(in.companies, row{
			"company_id": id, "name": id,
			"country":              genCountries[r.IntN(len(genCountries))],
			"sector":               genSectors[r.IntN(len(genSectors))],
			"api_dependency_share": extreme(r),
			"fallback_parity":      maybe(r, extreme(r)),
			"revenue_usd":          maybe(r, []float64{0, 1e3, 1e6, 1e9}[r.IntN(4)]*r.Float64()*2),
		})
		nu := r.IntN(5)
		left := 1.0
		seen := map[string]bool{}
		for j := 0; j < nu; j++ {
			share := extreme(r)
			if capShares {
				share *= left
				left -= share
			}
			p, md := genProviders[r.IntN(len(genProviders))], genModels[r.IntN(len(genModels))]
			key := fmt.Sprint(p, md)
			if seen[key] {
				continue
			}
			seen[key] = true
			in.usage = append(in.usage, row{"company_id": id, "provider": p, "model": md, "workload_share": share,
				"annual_spend_usd": maybe(r, r.Float64()*1e6), "access": genAccess[r.IntN(len(genAccess))]})
		}
		for j, na := 0, r.IntN(4); j < na; j++ {
			in.assets = append(in.assets, genAsset(r, id, fmt.Sprintf("a%d", j)))
		}
		for j, nr := 0, r.IntN(4); j < nr; j++ {
			in.rounds = append(in.rounds, row{"company_id": id, "round_id": fmt.Sprintf("r%d", r.IntN(3)+j*3),
				"announced_on": genRoundDates[r.IntN(len(genRoundDates))], "stage": genStages[r.IntN(len(genStages))],
				"post_money_usd": maybe(r, r.Float64()*1e9)})
		}
		if r.IntN(8) == 0 {
			in.rejectedOf = append(in.rejectedOf, int32(i))
		}
		if r.IntN(8) == 0 {
			in.flaggedOf = append(in.flaggedOf, int32(i))
		}
	}
	return in
}

// closedAPI reports whether a generated usage row is a closed API row of
// the test reference: a known model decides, else the provider (meta is the
// one open provider; unknown providers are closed).
func closedAPI(u row) bool {
	if u["access"] != "api" {
		return false
	}
	switch md, _ := u["model"].(string); md {
	case "gpt-open", "llama", "deepseek-chat":
		return false
	case "gpt-new", "gpt-old", "gpt-later", "claude", "mistral-large":
		return true
	}
	return u["provider"] != "meta"
}

func genAsset(r *rand.Rand, company, id string) row {
	return row{"company_id": company, "asset_id": id,
		"domain":               genDomains[r.IntN(len(genDomains))],
		"records":              []int64{0, 1, 1000, 1e6, 1e12}[r.IntN(5)],
		"tokens":               maybe(r, int64(r.IntN(1e9))),
		"exclusivity":          genExclusive[r.IntN(len(genExclusive))],
		"training_rights":      genRights[r.IntN(len(genRights))],
		"refresh_days":         maybe(r, []float64{0, 1, 30, 365, 1e6}[r.IntN(5)]),
		"usage_capture_share":  maybe(r, extreme(r)),
		"replication_cost_usd": maybe(r, []float64{0, 5e4, 1e6, 1e12}[r.IntN(4)]),
		"replication_years":    maybe(r, r.Float64()*20),
	}
}

// clone copies an input deeply enough to change rows.
func clone(in input) input {
	cp := func(rows []row) []row {
		out := make([]row, len(rows))
		for i, r := range rows {
			out[i] = row{}
			for k, v := range r {
				out[i][k] = v
			}
		}
		return out
	}
	return input{companies: cp(in.companies), usage: cp(in.usage), assets: cp(in.assets), rounds: cp(in.rounds),
		rejectedOf: slices.Clone(in.rejectedOf), flaggedOf: slices.Clone(in.flaggedOf)}
}

func floats(t testing.TB, rec arrow.RecordBatch, name string) []float64 {
	t.Helper()
	return col(t, rec, name).(*array.Float64).Float64Values()
}

const propCompanies = 400

func TestPropertyRanges(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	m := newTestModel(t, testConfig())
	r := rand.New(rand.NewPCG(1, 2))
	res := score(t, mem, m, genInput(r, propCompanies, false), scoreOpts{batch: 64, workers: 2})
	defer res.Release()
	s := res.Scores
	between := func(name string, lo, hi float64) {
		t.Helper()
		c := col(t, s, name).(*array.Float64)
		for i, v := range c.Float64Values() {
			if c.IsValid(i) && !(v >= lo && v <= hi) {
				t.Errorf("company %d: %s = %v, want in [%v, %v]", i, name, v, lo, hi)
			}
		}
	}
	between(ColWrapperExposure, 0, 100)
	between(ColDataMoat, 0, 100)
	between(ColNetMoat, -100, 100)
	for _, name := range []string{ColWXPctSector, ColWXPctZone, ColDMPctSector, ColDMPctZone} {
		between(name, 0, 100)
	}
	for _, c := range m.Components() {
		between(c.ValueColumn(), 0, 1)
		between(c.ContribColumn(), 0, 100)
	}
	between(ColAdjustmentPct, -100, 100*0.3)
	wx, dm := floats(t, s, ColWrapperExposure), floats(t, s, ColDataMoat)
	for i := range wx {
		sw, sd := 0.0, 0.0
		for _, c := range m.WXComponents() {
			sw += floats(t, s, c.ContribColumn())[i]
		}
		for _, c := range m.DMComponents() {
			sd += floats(t, s, c.ContribColumn())[i]
		}
		if !near(sw, wx[i]) {
			t.Errorf("company %d: Σ wx contributions = %v, want %v", i, sw, wx[i])
		}
		if !near(sd, dm[i]) {
			t.Errorf("company %d: Σ dm contributions = %v, want %v", i, sd, dm[i])
		}
	}
	adj := col(t, s, ColAdjustedValuation).(*array.Float64)
	for i := 0; i < adj.Len(); i++ {
		if adj.IsValid(i) && adj.Value(i) < 0 {
			t.Errorf("company %d: adjusted valuation %v < 0", i, adj.Value(i))
		}
	}
	labels := map[string][]string{ColWXBand: bandLabels, ColMoatRating: ratingLabels, ColUncertainty: uncertaintyLabels}
	for name, want := range labels {
		c := col(t, s, name).(*array.String)
		for i := 0; i < c.Len(); i++ {
			if !slices.Contains(want, c.Value(i)) {
				t.Errorf("company %d: %s = %q", i, name, c.Value(i))
			}
		}
	}
	sw := floats(t, res.Scenarios, ColWrapperExposure)
	for i, v := range sw {
		if !(v >= 0 && v <= 100) {
			t.Errorf("scenario row %d: wrapper_exposure = %v", i, v)
		}
	}
}

// compare scores two inputs and checks, company by company, that column
// name never falls from a to b.
func neverFalls(t *testing.T, m *Model, a, b input, name string) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ra := score(t, mem, m, a, scoreOpts{batch: 50})
	defer ra.Release()
	rb := score(t, mem, m, b, scoreOpts{batch: 50})
	defer rb.Release()
	va, vb := floats(t, ra.Scores, name), floats(t, rb.Scores, name)
	for i := range va {
		if vb[i] < va[i] {
			t.Errorf("company %d: %s fell from %v to %v", i, name, va[i], vb[i])
		}
	}
}

func TestPropertyWXMonotone(t *testing.T) {
	m := newTestModel(t, testConfig())
	r := rand.New(rand.NewPCG(3, 4))
	base := genInput(r, propCompanies, true)

	t.Run("api_dependency_share rises", func(t *testing.T) {
		b := clone(base)
		for _, c := range b.companies {
			x := c["api_dependency_share"].(float64)
			c["api_dependency_share"] = x + (1-x)*r.Float64()
		}
		neverFalls(t, m, base, b, ColWrapperExposure)
	})
	t.Run("a self-hosted or on-prem row moves to API", func(t *testing.T) {
		b := clone(base)
		for _, u := range b.usage {
			if u["access"] != "api" && r.IntN(2) == 0 {
				u["access"] = "api"
			}
		}
		neverFalls(t, m, base, b, ColWrapperExposure)
		neverFalls(t, m, base, b, "wx_closed_api")
	})
	t.Run("a closed API row's share rises", func(t *testing.T) {
		b := clone(base)
		total := map[any]float64{}
		for _, u := range b.usage {
			total[u["company_id"]] += u["workload_share"].(float64)
		}
		for _, u := range b.usage {
			if closedAPI(u) {
				room := 1 - total[u["company_id"]]
				add := room * r.Float64()
				u["workload_share"] = u["workload_share"].(float64) + add
				total[u["company_id"]] += add
			}
		}
		neverFalls(t, m, base, b, ColWrapperExposure)
		neverFalls(t, m, base, b, "wx_closed_api")
	})
}

func TestPropertyDMMonotone(t *testing.T) {
	m := newTestModel(t, testConfig())
	r := rand.New(rand.NewPCG(5, 6))
	base := genInput(r, propCompanies, false)

	t.Run("an asset is added", func(t *testing.T) {
		b := clone(base)
		for i, c := range b.companies {
			if i%3 != 2 {
				b.assets = append(b.assets, genAsset(r, c["company_id"].(string), "extra"))
			}
		}
		neverFalls(t, m, base, b, ColDataMoat)
	})
	t.Run("an asset's rights improve", func(t *testing.T) {
		b := clone(base)
		for _, a := range b.assets {
			k := slices.Index(genRights, a["training_rights"].(string))
			if k < len(genRights)-1 && r.IntN(2) == 0 {
				a["training_rights"] = genRights[k+1+r.IntN(len(genRights)-1-k)]
			}
		}
		neverFalls(t, m, base, b, ColDataMoat)
	})
}

// TestPropertySameBits checks that the same input gives the same bits in
// every column whatever the batch split, the parallelism of the
// evaluation and whether the tables are fed concurrently.
func TestPropertySameBits(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	m := newTestModel(t, testConfig())
	in := genInput(rand.New(rand.NewPCG(7, 8)), propCompanies, false)
	ref := score(t, mem, m, in, scoreOpts{})
	defer ref.Release()
	for _, o := range []scoreOpts{
		{batch: 1, workers: 1},
		{batch: 7, workers: 2, concurrent: true},
		{batch: 100, workers: 3, concurrent: true},
		{batch: 1000, workers: 8},
		{batch: 50, workers: 2, consume: true},
		{batch: 50, workers: 3, consume: true, deferScenarios: true},
	} {
		t.Run(fmt.Sprintf("batch %d workers %d concurrent %v consume %v defer %v", o.batch, o.workers, o.concurrent, o.consume, o.deferScenarios), func(t *testing.T) {
			got := score(t, mem, m, in, o)
			defer got.Release()
			sameBits(t, "scores", ref.Scores, got.Scores)
			scen := got.ScenarioRows(mem, 0, got.ScenarioRowCount())
			defer scen.Release()
			sameBits(t, "scenarios", ref.Scenarios, scen)
		})
	}
}

func sameBits(t *testing.T, what string, a, b arrow.RecordBatch) {
	t.Helper()
	if !a.Schema().Equal(b.Schema()) || a.NumRows() != b.NumRows() {
		t.Fatalf("%s: schemas or row counts differ", what)
	}
	for j := 0; j < int(a.NumCols()); j++ {
		ca, cb := a.Column(j), b.Column(j)
		name := a.Schema().Field(j).Name
		if fa, ok := ca.(*array.Float64); ok {
			fb := cb.(*array.Float64)
			for i := 0; i < fa.Len(); i++ {
				if fa.IsValid(i) != fb.IsValid(i) || math.Float64bits(fa.Value(i)) != math.Float64bits(fb.Value(i)) {
					t.Errorf("%s: %s row %d: %v and %v", what, name, i, fa.Value(i), fb.Value(i))
					break
				}
			}
			continue
		}
		if !array.Equal(ca, cb) {
			t.Errorf("%s: column %s differs", what, name)
		}
	}
}
