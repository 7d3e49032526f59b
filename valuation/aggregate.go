package valuation

import (
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"moatscore/data"
)

// slots is the number of (provider, API share) pairs a company keeps inline
// for the concentration index; a company with more providers overflows to
// a map.
const slots = 3

// usageAgg is one company's model usage, summed in row order.
type usageAgg struct {
	total  float64 // Σ workload_share, every row
	api    float64 // Σ workload_share, access = api
	closed float64 // Σ workload_share, closed API rows
	spend  float64 // Σ annual_spend_usd, access = api (null counts 0)
	jur    float64 // Σ workload_share · risk, closed API rows
	dep    float64 // Σ workload_share, API rows on models deprecated within the horizon
	share  [slots]float64
	prov   [slots]int32
	rows   int32
	n      uint8 // slots used; slots + 1 when the company also has providers in Aggregator.over
}

type provShare struct {
	prov  int32
	share float64
}

// assetAgg is one company's data assets: the moat's log-sum and, per term,
// the numerators of its contribution and of its weighted mean value.
type assetAgg struct {
	l         float64           // Σ −ln(1 − vᵢ)
	contrib   [nDMTerms]float64 // Σ ℓᵢ · share of term k in asset i
	value     [nDMTerms]float64 // Σ ℓᵢ · tᵢₖ
	rows      int32             // assets
	exclusive int32             // owned or exclusive_license assets with clear rights
	notClear  int32             // assets whose training rights are not clear
}

// nDMTerms is the number of data moat asset terms.
const nDMTerms = 5

// roundAgg is one company's last valued round so far.
type roundAgg struct {
	post  float64 // post_money_usd of the last valued round
	date  int32   // its announced_on; noDate when none
	stage int32   // its stage, index into Aggregator.stages; -1 when none
	rows  int32   // rounds
	idLen uint8   // length of id, or longID when it is in the overflow map
	id    [16]byte
}

const (
	noDate = math.MinInt32
	longID = 255
)

// Aggregator sums the child tables per company in one streaming pass:
// its memory grows with the number of companies, never with child rows.
// AddUsage, AddAssets and AddRounds may run concurrently with each other
// (each owns its accumulators); the calls for one table must come in batch
// order, so that every per-company sum is taken in the same order.
type Aggregator struct {
	m         *Model
	n         int
	companies arrow.RecordBatch
	country   []uint16 // country key per company
	sector    []int32  // sector index per company
	sectors   []string

	// model usage
	usage      []usageAgg
	over       map[int32][]provShare
	prov       map[string]int32 // known providers, then unknown ones as seen
	provZone   []uint8
	provClosed []bool
	unknown    []string // unknown provider ids, in order of first sight
	// Per scenario accumulators, interleaved by company: those of company
	// i are sc[i*scStride : (i+1)*scStride], scenario k's A at scA[k] and
	// its B (when used) at scB[k], so that a row touches one cache line.
	sc       []float64
	scStride int
	scA, scB []int // offsets within a company's accumulators; scB -1 when unused

	provCache, modelCache, domainCache labelCache // the last labels seen, per table

	// data assets
	assets               []assetAgg
	terms                [nDMTerms][]float64 // scratch: terms of a batch's rows
	scratchV, scratchLog []float64

	// funding rounds
	rounds  []roundAgg
	longIDs map[int32]string
	stageIx map[string]int32
	stages  []string

	flagMu   sync.Mutex
	rejected []int32
	flagged  []int32

	consumed bool // by an evaluation with EvaluateOptions.ConsumeAggregator
}

// NewAggregator starts the aggregation for the accepted companies: a record
// of the canonical companies schema (normalised values), one row per
// company in company-index order. The aggregator keeps a reference to the
// record until Release.
func (m *Model) NewAggregator(companies arrow.RecordBatch) (*Aggregator, error) {
	country, err := stringOf(companies, data.TableCompanies, "country")
	if err != nil {
		return nil, err
	}
	sector, err := stringOf(companies, data.TableCompanies, "sector")
	if err != nil {
		return nil, err
	}
	for _, name := range []string{"api_dependency_share", "fallback_parity", "revenue_usd"} {
		if _, err := float64Of(companies, data.TableCompanies, name); err != nil {
			return nil, err
		}
	}
	n := int(companies.NumRows())
	a := &Aggregator{
		m:         m,
		n:         n,
		companies: companies,
		country:   make([]uint16, n),
		sector:    make([]int32, n),
		usage:     make([]usageAgg, n),
		over:      map[int32][]provShare{},
		prov:      make(map[string]int32, len(m.ref2.providers)),
		assets:    make([]assetAgg, n),
		rounds:    make([]roundAgg, n),
		longIDs:   map[int32]string{},
		stageIx:   map[string]int32{},
		rejected:  make([]int32, n),
		flagged:   make([]int32, n),
	}
	companies.Retain()
	for id, i := range m.ref2.providers {
		a.prov[id] = i
	}
	a.provZone = append([]uint8(nil), m.ref2.provZone...)
	a.provClosed = append([]bool(nil), m.ref2.provClosed...)
	a.scA = make([]int, len(m.scen))
	a.scB = make([]int, len(m.scen))
	for s, sc := range m.scen {
		a.scA[s] = a.scStride
		a.scStride++
		a.scB[s] = -1
		if sc.kind != KindProviderPrice {
			a.scB[s] = a.scStride
			a.scStride++
		}
	}
	a.sc = make([]float64, n*a.scStride)
	sectorIx := map[string]int32{}
	for i := 0; i < n; i++ {
		a.country[i] = countryKey(country.Value(i))
		s := sector.Value(i)
		k, ok := sectorIx[s]
		if !ok {
			k = int32(len(a.sectors))
			s = strings.Clone(s)
			sectorIx[s] = k
			a.sectors = append(a.sectors, s)
		}
		a.sector[i] = k
	}
	for i := range a.rounds {
		a.rounds[i].date = noDate
		a.rounds[i].stage = -1
	}
	return a, nil
}

// Release drops the aggregator's reference to the companies record.
func (a *Aggregator) Release() {
	if a.companies != nil {
		a.companies.Release()
		a.companies = nil
	}
}

// Len is the number of companies.
func (a *Aggregator) Len() int { return a.n }

// UnknownProviders lists the provider ids not in the reference data seen in
// model usage, in order of first sight.
func (a *Aggregator) UnknownProviders() []string { return append([]string(nil), a.unknown...) }

func (a *Aggregator) checkRows(table string, rec arrow.RecordBatch, accepted, company []int32) error {
	if a.consumed {
		return errConsumed
	}
	if len(accepted) != len(company) {
		return fmt.Errorf("valuation: %s batch: %d accepted rows but %d company indices", table, len(accepted), len(company))
	}
	nr := int32(rec.NumRows())
	for j, r := range accepted {
		if r < 0 || r >= nr {
			return fmt.Errorf("valuation: %s batch: accepted row %d outside the batch of %d rows", table, r, nr)
		}
		if c := company[j]; c < 0 || int(c) >= a.n {
			return fmt.Errorf("valuation: %s batch row %d: company index %d outside 0..%d", table, r, c, a.n-1)
		}
	}
	return nil
}

// provider returns the index of a provider id, adding an unknown provider
// (closed, zone unknown) on first sight.
func (a *Aggregator) provider(id string) int32 {
	if i, ok := a.prov[id]; ok {
		return i
	}
	id = strings.Clone(id)
	i := int32(len(a.provZone))
	a.prov[id] = i
	a.provZone = append(a.provZone, zUnknown)
	a.provClosed = append(a.provClosed, true)
	a.unknown = append(a.unknown, id)
	return i
}

// addUsage sums one model_usage batch.
func (a *Aggregator) addUsage(rec arrow.RecordBatch, accepted, company []int32) error {
	const table = data.TableModelUsage
	if err := a.checkRows(table, rec, accepted, company); err != nil {
		return err
	}
	provider, err := stringOf(rec, table, "provider")
	if err != nil {
		return err
	}
	model, err := stringOf(rec, table, "model")
	if err != nil {
		return err
	}
	access, err := stringOf(rec, table, "access")
	if err != nil {
		return err
	}
	share, err := float64Of(rec, table, "workload_share")
	if err != nil {
		return err
	}
	spend, err := float64Of(rec, table, "annual_spend_usd")
	if err != nil {
		return err
	}
	t := a.m.ref2
	scen := a.m.scen
	for j, r32 := range accepted {
		r, ci := int(r32), company[j]
		g := &a.usage[ci]
		g.rows++
		if !share.ok(r) {
			continue
		}
		s := share.v[r]
		g.total += s
		if access.Value(r) != "api" {
			continue
		}
		g.api += s
		sp := 0.0
		if spend.ok(r) {
			sp = spend.v[r]
		}
		g.spend += sp
		pv := provider.Value(r)
		pi, ok := a.provCache.get(pv)
		if !ok {
			pi = a.provider(pv)
			a.provCache.put(pv, pi)
		}
		a.addSlot(ci, g, pi, s)
		mi := int32(-1)
		if model.IsValid(r) {
			mv := model.Value(r)
			var ok bool
			if mi, ok = a.modelCache.get(mv); !ok {
				mi = t.model(mv)
				a.modelCache.put(mv, mi)
			}
		}
		closed := a.provClosed[pi]
		dep := false
		if mi >= 0 {
			closed = !t.modelOpen[mi]
			dep = t.modelDep[mi]
		}
		if dep {
			g.dep += s
		}
		pz := a.provZone[pi]
		risk := 0.0
		if closed {
			g.closed += s
			ck := a.country[ci]
			risk = t.risk[t.countryZone[ck]][pz]
			if pz == t.regimeZone {
				risk += (1 - risk) * t.countryRaise[ck]
			}
			g.jur += s * risk
		}
		acc := a.sc[int(ci)*a.scStride : (int(ci)+1)*a.scStride]
		for k := range scen {
			sc := &scen[k]
			switch sc.kind {
			case KindProviderPrice:
				if pi == sc.provIdx {
					acc[a.scA[k]] += sp
				}
			case KindZoneCutoff:
				if closed && pz == sc.zone {
					acc[a.scA[k]] += s
					acc[a.scB[k]] += s * risk
				}
			case KindDeprecateModels:
				if mi >= 0 && t.modelScen[mi]&(1<<k) != 0 {
					acc[a.scA[k]] += s
					if dep {
						acc[a.scB[k]] += s
					}
				}
			}
		}
	}
	return nil
}

// addSlot adds API workload to a company's provider sums.
func (a *Aggregator) addSlot(ci int32, g *usageAgg, pi int32, s float64) {
	for k := 0; k < min(int(g.n), slots); k++ {
		if g.prov[k] == pi {
			g.share[k] += s
			return
		}
	}
	if int(g.n) < slots {
		g.prov[g.n] = pi
		g.share[g.n] = s
		g.n++
		return
	}
	ov := a.over[ci]
	for k := range ov {
		if ov[k].prov == pi {
			ov[k].share += s
			return
		}
	}
	a.over[ci] = append(ov, provShare{pi, s})
	g.n = slots + 1
}

// hhi is a company's Σ over providers of (API workload)², before scaling.
func (a *Aggregator) hhi(ci int, g *usageAgg) float64 {
	h := 0.0
	for k := 0; k < min(int(g.n), slots); k++ {
		h += g.share[k] * g.share[k]
	}
	if int(g.n) > slots {
		for _, ps := range a.over[int32(ci)] {
			h += ps.share * ps.share
		}
	}
	return h
}

// assetBatch holds the columns of a data_assets batch the terms read.
type assetBatch struct {
	records     []int64
	tokens      i64col
	exclusivity *array.String
	refresh     f64col
	capture     f64col
	cost        f64col
	years       f64col
	logRef      []float64 // log10(1 + reference size) of each row's domain
	domainValue []float64 // value weight of each row's domain
}

// addAssets values each accepted asset and adds it to its company's moat.
func (a *Aggregator) addAssets(rec arrow.RecordBatch, accepted, company []int32) error {
	const table = data.TableDataAssets
	if err := a.checkRows(table, rec, accepted, company); err != nil {
		return err
	}
	var b assetBatch
	records, err := int64Of(rec, table, "records")
	if err != nil {
		return err
	}
	b.records = records.v
	if b.tokens, err = int64Of(rec, table, "tokens"); err != nil {
		return err
	}
	if b.exclusivity, err = stringOf(rec, table, "exclusivity"); err != nil {
		return err
	}
	rights, err := stringOf(rec, table, "training_rights")
	if err != nil {
		return err
	}
	domain, err := stringOf(rec, table, "domain")
	if err != nil {
		return err
	}
	if b.refresh, err = float64Of(rec, table, "refresh_days"); err != nil {
		return err
	}
	if b.capture, err = float64Of(rec, table, "usage_capture_share"); err != nil {
		return err
	}
	if b.cost, err = float64Of(rec, table, "replication_cost_usd"); err != nil {
		return err
	}
	if b.years, err = float64Of(rec, table, "replication_years"); err != nil {
		return err
	}
	nr := int(rec.NumRows())
	t, p := a.m.ref2, &a.m.p
	b.logRef = grow(&a.scratchLog, nr)
	b.domainValue = grow(&a.scratchV, nr)
	for i := 0; i < nr; i++ {
		b.logRef[i], b.domainValue[i] = t.unknownLog, p.unknownValue
		dv := domain.Value(i)
		d, ok := a.domainCache.get(dv)
		if !ok {
			if d, ok = t.domains[dv]; !ok {
				d = -1
			}
			a.domainCache.put(dv, d)
		}
		if d >= 0 {
			b.logRef[i], b.domainValue[i] = t.domainLog[d], t.domainValue[d]
		}
	}
	for k, d := range dmDecls {
		d.kernel(p, &b, grow(&a.terms[k], nr))
	}
	coef := a.m.dmCoef
	var w [nDMTerms]float64
	for j, r32 := range accepted {
		r, ci := int(r32), company[j]
		g := &a.assets[ci]
		g.rows++
		ri := rightsIndex(rights.Value(r))
		if ri != 0 {
			g.notClear++
		} else if exclusivityIndex(b.exclusivity.Value(r)) <= 1 {
			g.exclusive++
		}
		s := 0.0
		for k := range w {
			w[k] = coef[k] * a.terms[k][r]
			s += w[k]
		}
		v := assetValue(p.rights[ri], s)
		if v <= 0 {
			continue
		}
		l := -math.Log1p(-v)
		g.l += l
		for k := range w {
			g.contrib[k] += l * (w[k] / s)
			g.value[k] += l * a.terms[k][r]
		}
	}
	return nil
}

// assetValue is an asset's value from its rights factor and the weighted
// mean of its terms: floored at 0, capped just below 1.
func assetValue(rights, s float64) float64 {
	v := rights * s
	if !(v > 0) {
		return 0
	}
	if v > ValueCap {
		return ValueCap
	}
	return v
}

func grow(s *[]float64, n int) []float64 {
	if cap(*s) < n {
		*s = make([]float64, n)
	}
	*s = (*s)[:n]
	return *s
}

// addRounds keeps each company's last valued round: the latest announced
// on or before the run date with a post-money value; on one date the
// greatest round_id in byte order wins.
func (a *Aggregator) addRounds(rec arrow.RecordBatch, accepted, company []int32) error {
	const table = data.TableFundingRounds
	if err := a.checkRows(table, rec, accepted, company); err != nil {
		return err
	}
	id, err := stringOf(rec, table, "round_id")
	if err != nil {
		return err
	}
	stage, err := stringOf(rec, table, "stage")
	if err != nil {
		return err
	}
	date, err := date32Of(rec, table, "announced_on")
	if err != nil {
		return err
	}
	post, err := float64Of(rec, table, "post_money_usd")
	if err != nil {
		return err
	}
	runDay := a.m.runDay
	for j, r32 := range accepted {
		r, ci := int(r32), company[j]
		g := &a.rounds[ci]
		g.rows++
		if !post.ok(r) || !date.ok(r) {
			continue
		}
		d := int32(date.v[r])
		if d > runDay || d < g.date {
			continue
		}
		rid := id.Value(r)
		if d == g.date && strings.Compare(rid, a.roundID(ci, g)) <= 0 {
			continue
		}
		g.date = d
		g.post = post.v[r]
		g.stage = a.stage(stage.Value(r))
		if len(rid) <= len(g.id) {
			if g.idLen == longID {
				delete(a.longIDs, ci)
			}
			g.idLen = uint8(copy(g.id[:], rid))
		} else {
			g.idLen = longID
			a.longIDs[ci] = strings.Clone(rid)
		}
	}
	return nil
}

func (a *Aggregator) roundID(ci int32, g *roundAgg) string {
	if g.idLen == longID {
		return a.longIDs[ci]
	}
	return string(g.id[:g.idLen])
}

func (a *Aggregator) stage(s string) int32 {
	if i, ok := a.stageIx[s]; ok {
		return i
	}
	s = strings.Clone(s)
	i := int32(len(a.stages))
	a.stageIx[s] = i
	a.stages = append(a.stages, s)
	return i
}

// AddChildFlags counts, per company, child rows that were rejected (their
// company accepted) and rows that drew a warning: the company index of each
// such row, as data.Checked gives them. It is safe to call concurrently.
func (a *Aggregator) AddChildFlags(rejectedOf, flaggedOf []int32) error {
	if a.consumed {
		return errConsumed
	}
	for _, c := range rejectedOf {
		if c < 0 || int(c) >= a.n {
			return fmt.Errorf("valuation: rejected child row of company index %d outside 0..%d", c, a.n-1)
		}
	}
	for _, c := range flaggedOf {
		if c < 0 || int(c) >= a.n {
			return fmt.Errorf("valuation: flagged child row of company index %d outside 0..%d", c, a.n-1)
		}
	}
	a.flagMu.Lock()
	defer a.flagMu.Unlock()
	for _, c := range rejectedOf {
		a.rejected[c]++
	}
	for _, c := range flaggedOf {
		a.flagged[c]++
	}
	return nil
}

// labelCache remembers the index of the labels last seen, one per slot,
// in front of a map: the labels of a column (providers, models, domains)
// are few and repeat. It keeps its own copies of the labels.
type labelCache struct {
	keys [labelSlots]string
	vals [labelSlots]int32
	used [labelSlots]bool
}

const labelSlots = 256

func labelSlot(s string) int {
	h := uint(len(s))
	for i := 0; i < len(s) && i < 12; i++ {
		h = h*31 + uint(s[i])
	}
	if len(s) > 12 {
		h = h*31 + uint(s[len(s)-1])
	}
	return int((h ^ h>>8) % labelSlots)
}

func (c *labelCache) get(s string) (int32, bool) {
	i := labelSlot(s)
	if c.used[i] && c.keys[i] == s {
		return c.vals[i], true
	}
	return 0, false
}

func (c *labelCache) put(s string, v int32) {
	i := labelSlot(s)
	c.keys[i], c.vals[i], c.used[i] = strings.Clone(s), v, true
}
