package synth

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"moatscore/data"
)

// Column positions the generator fills, by table.
var (
	coID        = col(data.Companies, "company_id")
	coName      = col(data.Companies, "name")
	coCountry   = col(data.Companies, "country")
	coSector    = col(data.Companies, "sector")
	coFounded   = col(data.Companies, "founded_year")
	coEmployees = col(data.Companies, "employees")
	coRevenue   = col(data.Companies, "revenue_usd")
	coMargin    = col(data.Companies, "gross_margin")
	coAPIDep    = col(data.Companies, "api_dependency_share")
	coFallback  = col(data.Companies, "fallback_parity")
	coSwitching = col(data.Companies, "switching_cost_weeks")
	coAsOf      = col(data.Companies, "as_of")

	muCompany  = col(data.ModelUsage, "company_id")
	muProvider = col(data.ModelUsage, "provider")
	muModel    = col(data.ModelUsage, "model")
	muShare    = col(data.ModelUsage, "workload_share")
	muSpend    = col(data.ModelUsage, "annual_spend_usd")
	muAccess   = col(data.ModelUsage, "access")

	daCompany     = col(data.DataAssets, "company_id")
	daAsset       = col(data.DataAssets, "asset_id")
	daName        = col(data.DataAssets, "name")
	daDomain      = col(data.DataAssets, "domain")
	daRecords     = col(data.DataAssets, "records")
	daTokens      = col(data.DataAssets, "tokens")
	daExclusivity = col(data.DataAssets, "exclusivity")
	daRights      = col(data.DataAssets, "training_rights")
	daRefresh     = col(data.DataAssets, "refresh_days")
	daCapture     = col(data.DataAssets, "usage_capture_share")
	daRepCost     = col(data.DataAssets, "replication_cost_usd")
	daRepYears    = col(data.DataAssets, "replication_years")
	daUpdated     = col(data.DataAssets, "last_updated")
	daRegulated   = col(data.DataAssets, "regulated")

	frCompany   = col(data.FundingRounds, "company_id")
	frRound     = col(data.FundingRounds, "round_id")
	frAnnounced = col(data.FundingRounds, "announced_on")
	frStage     = col(data.FundingRounds, "stage")
	frAmount    = col(data.FundingRounds, "amount_usd")
	frPostMoney = col(data.FundingRounds, "post_money_usd")
	frLead      = col(data.FundingRounds, "lead_investor")
	frInvCountr = col(data.FundingRounds, "investor_country")
)

// company is what a company's child rows need to know of it.
type company struct {
	index      int
	id         string
	zone       string
	sector     int
	arch       *archetype
	archIndex  int
	covered    bool // fully covered: no input of it missing (see the package documentation)
	foundedDay int64
	revenue    float64 // the company's revenue, written or not
	aiSpend    float64 // yearly spend on models as a share of revenue
}

const (
	daysPerYear = 365.25
	// earliestValid is the earliest date a valid row carries (contract: 1900-01-01).
	earliestValid = -25567 // 1900-01-01 in days since 1970-01-01
)

// nullUnlessCovered is true with probability p for a company that is not
// fully covered, never for one that is.
func nullUnlessCovered(r *rand.Rand, c *company, p float64) bool {
	return chance(r, p) && !c.covered
}

// fillCompany fills x with a valid company row for index i and id.
func (g *generator) fillCompany(r *rand.Rand, x *row, i int, id string) company {
	*x = row{}
	m := g.mix
	c := company{index: i, id: id}
	ci := m.countryMix.pick(r)
	c.zone = m.countryZone[ci]
	c.sector = m.sectorMix.pick(r)
	c.archIndex = m.archetypeMix.pick(r)
	c.arch = &archetypes[c.archIndex]
	a := c.arch
	c.covered = chance(r, a.covered)

	x.setStr(coID, id)
	x.setStr(coName, companyName(r))
	country := m.countries[ci]
	if chance(r, 0.015) {
		country = variant(r, country)
	}
	x.setStr(coCountry, country)
	sec := sectors[c.sector]
	if chance(r, 0.03) {
		x.setStr(coSector, sec.display)
	} else {
		x.setStr(coSector, sec.id)
	}

	age := lognormal(r, 5, 0.6)
	if chance(r, a.incumbent) {
		age = between(r, 25, 150) // an incumbent that turned to AI
	}
	year := max(1800, g.runYear-int(age))
	c.foundedDay = min(g.runDay, dayOf(year, 1, 1)+int64(r.IntN(365)))
	if nullUnlessCovered(r, &c, 0.05) {
		x.setNull(coFounded)
	} else {
		x.setNum(coFounded, int64(year))
	}

	// head count grows with the company's age (the archetype's median at
	// five years)
	employees := math.Max(1, math.Round(lognormal(r, a.employees*math.Pow(math.Max(age, 0.5)/5, 0.7), 0.9)))
	if nullUnlessCovered(r, &c, 0.05) {
		x.setNull(coEmployees)
	} else {
		x.setNum(coEmployees, int64(employees))
	}
	// Model spend follows revenue: a wrapper's API bill is a large share
	// of it, and what it does not cost shows in the gross margin.
	c.revenue = round(employees*lognormal(r, 120e3, 0.8), 1000)
	c.aiSpend = math.Min(1, lognormal(r, a.aiSpend, 0.6))
	if nullUnlessCovered(r, &c, 0.2) {
		x.setNull(coRevenue)
	} else {
		x.setFlt(coRevenue, c.revenue)
	}
	if nullUnlessCovered(r, &c, 0.10) {
		x.setNull(coMargin)
	} else {
		margin := 1 - c.aiSpend - between(r, 0.1, 0.3) + 0.05*r.NormFloat64()
		x.setFlt(coMargin, round(math.Max(-0.8, math.Min(0.95, margin)), 0.001))
	}
	x.setFlt(coAPIDep, round(math.Min(1, between(r, a.apiDep[0], a.apiDep[1])), 0.001))
	if chance(r, a.fallbackNull) && !c.covered {
		x.setNull(coFallback)
	} else {
		x.setFlt(coFallback, round(math.Min(1, between(r, a.fallback[0], a.fallback[1])), 0.01))
	}
	if nullUnlessCovered(r, &c, 0.2) {
		x.setNull(coSwitching)
	} else {
		x.setFlt(coSwitching, round(lognormal(r, a.switching, 0.7), 0.1))
	}
	x.setNum(coAsOf, max(c.foundedDay, g.runDay-int64(r.IntN(365))))
	return c
}

// usagePick is one (provider, model) pair of a company; model -1 is a
// null model, provider -1 an unknown provider.
type usagePick struct {
	provider, model int
	unknown         string
}

// pickUsage draws up to n distinct (provider, model) pairs, the providers
// and models the company's archetype favours.
func (g *generator) pickUsage(r *rand.Rand, c *company, n int, picks []usagePick) []usagePick {
	m := g.mix
	picks = picks[:0]
	pm := m.providersFor(c.archIndex, c.zone)
	for try := 0; len(picks) < n && try < 4*n; try++ {
		var p usagePick
		if chance(r, 0.03) {
			p = usagePick{provider: -1, model: -1, unknown: unknownProviders[r.IntN(len(unknownProviders))]}
		} else {
			p.provider = pm.pick(r)
			p.model = -1
			open, closed := m.openModels[p.provider], m.closedModels[p.provider]
			if len(open)+len(closed) > 0 && !chance(r, 0.1) {
				if (chance(r, c.arch.openModel) || len(closed) == 0) && len(open) > 0 {
					p.model = open[m.openMix[p.provider].pick(r)]
				} else {
					p.model = closed[m.closedMix[p.provider].pick(r)]
				}
			}
		}
		dup := false
		for _, q := range picks {
			dup = dup || q == p
		}
		if !dup {
			picks = append(picks, p)
		}
	}
	return picks
}

// shares draws n workload shares that sum to about 1: a few companies
// report part of their workload, a few over-report it (over 1.01 the
// shares are scaled down and the company is flagged) unless over is
// false.
func shares(r *rand.Rand, n int, over bool, out []float64) []float64 {
	out = out[:0]
	var sum float64
	for range n {
		e := r.ExpFloat64()
		out = append(out, e)
		sum += e
	}
	scale := 1.0
	switch u := r.Float64(); {
	case u < 0.10:
		scale = between(r, 0.5, 0.95)
	case u < 0.17 && n > 1 && over:
		// over-report, no share over 1
		scale = between(r, 1.03, 1.15)
		if slices.Max(out)/sum*scale > 1 {
			scale = 1
		}
	}
	for i := range out {
		out[i] = math.Min(1, round(out[i]/sum*scale, 0.0001))
	}
	return out
}

// fillUsage fills x with a valid model_usage row.
func (g *generator) fillUsage(r *rand.Rand, x *row, c *company, p usagePick, share, budget float64) {
	*x = row{}
	m := g.mix
	x.setStr(muCompany, c.id)
	open := false
	if p.provider < 0 {
		x.setStr(muProvider, p.unknown)
		if chance(r, 0.5) {
			x.setNull(muModel)
		} else {
			x.setStr(muModel, p.unknown+"-v"+strconv.Itoa(1+r.IntN(3)))
		}
	} else {
		prov := m.providers[p.provider]
		x.setStr(muProvider, prov.ID)
		if p.model < 0 {
			x.setNull(muModel)
			open = prov.OpenWeights && !prov.ClosedAPI
		} else {
			md := m.models[p.provider][p.model]
			x.setStr(muModel, md.ID)
			open = md.OpenWeights
		}
	}
	x.setFlt(muShare, share)
	access := "api"
	if open && chance(r, c.arch.selfHost) {
		access = "self_hosted"
		if chance(r, 0.25) {
			access = "on_prem"
		}
	}
	if chance(r, 0.01) {
		x.setStr(muAccess, variant(r, access))
	} else {
		x.setStr(muAccess, access)
	}
	if nullUnlessCovered(r, c, 0.1) {
		x.setNull(muSpend)
	} else {
		spend := budget * share
		if access != "api" {
			spend *= 0.6 // hosting instead of API fees
		}
		x.setFlt(muSpend, round(spend, 100))
	}
}

// aiBudget is a company's yearly spend on models.
func aiBudget(c *company) float64 {
	return c.revenue * c.aiSpend
}

var (
	exclusivities = []string{"owned", "exclusive_license", "nonexclusive_license", "public"}
	rights        = []string{"clear", "partial", "unclear", "none"}
	// rightsMix is the mix of training rights by exclusivity, for a company
	// whose rights were not all cleared: data a company owns or licenses
	// exclusively mostly comes with the right to train, licensed data
	// often only in part, and data of the public web is the most disputed.
	rightsMix = []weighted{
		exOwned:        newWeighted([]float64{70, 18, 8, 4}),
		exExclusive:    newWeighted([]float64{65, 22, 10, 3}),
		exNonexclusive: newWeighted([]float64{35, 35, 20, 10}),
		exPublic:       newWeighted([]float64{25, 10, 50, 15}),
	}
	refreshDays = []float64{1, 7, 30, 90, 365}
)

// fillAsset fills x with a valid data_assets row, the k-th of company c.
func (g *generator) fillAsset(r *rand.Rand, x *row, c *company, k int) {
	*x = row{}
	m := g.mix
	a := c.arch
	x.setStr(daCompany, c.id)
	x.setStr(daAsset, childID(c.id, 'A', k+1))
	var domain string
	di := -1
	sec := sectors[c.sector]
	switch u := r.Float64(); {
	case u < 0.01:
		domain = extraDomains[r.IntN(len(extraDomains))] // free text of no reference
	case u < 0.01+0.99*a.sectorDomain:
		if i, ok := m.domainIndex[sec.domains[r.IntN(len(sec.domains))]]; ok {
			di = i
		}
	}
	if domain == "" && di < 0 {
		di = r.IntN(len(m.domainIDs))
	}
	refSize := 1e6
	if di >= 0 {
		domain, refSize = m.domainIDs[di], m.domainSize[di]
	}
	x.setStr(daDomain, domain)
	if chance(r, 0.1) {
		x.setNull(daName)
	} else {
		x.setStr(daName, title(domain)+" "+assetWords[r.IntN(len(assetWords))]+" "+strconv.Itoa(g.runYear-r.IntN(12)))
	}
	records := math.Round(refSize * math.Pow(10, a.sizeLog+0.8*r.NormFloat64()))
	records = math.Max(0, math.Min(records, 1e13))
	x.setNum(daRecords, int64(records))
	if chance(r, 0.4) {
		x.setNull(daTokens)
	} else {
		x.setNum(daTokens, int64(math.Min(1e15, math.Round(records*lognormal(r, 300, 1)))))
	}
	ex := m.exclusivityMix[c.archIndex].pick(r)
	x.setStr(daExclusivity, maybeVariant(r, exclusivities[ex]))
	right := 0 // clear: a fully covered company has cleared the rights of its assets
	if !c.covered {
		right = rightsMix[ex].pick(r)
	}
	x.setStr(daRights, maybeVariant(r, rights[right]))
	refresh := 0.0
	if chance(r, a.static) {
		x.setNull(daRefresh)
	} else {
		refresh = refreshDays[m.refreshMix[c.archIndex].pick(r)]
		x.setFlt(daRefresh, refresh)
	}
	switch {
	case chance(r, 0.2):
		x.setNull(daCapture)
	case ex == exOwned:
		// only data the company owns comes from its product's own use
		x.setFlt(daCapture, round(between(r, a.capture[0], a.capture[1]), 0.001))
	default:
		x.setFlt(daCapture, 0)
	}
	// Replication: an owned or exclusive asset takes the archetype's time
	// (and money, about $2M a year); anyone can license licensed data, and
	// public data is there for the taking.
	years, cost := a.replication, a.replication*2e6
	switch ex {
	case exNonexclusive:
		years, cost = 0.3, 200e3
	case exPublic:
		years, cost = 0.1, 20e3
	}
	if chance(r, 0.25) {
		x.setNull(daRepCost)
	} else {
		x.setFlt(daRepCost, round(lognormal(r, cost, 1), 1000))
	}
	if chance(r, 0.3) {
		x.setNull(daRepYears)
	} else {
		x.setFlt(daRepYears, round(lognormal(r, years, 0.6), 0.1))
	}
	oldest := max(c.foundedDay, g.runDay-20*365, earliestValid)
	last := g.runDay - int64(r.ExpFloat64()*120)
	if refresh == 0 {
		last = g.runDay - int64(r.ExpFloat64()*600) // static data ages
	}
	x.setNum(daUpdated, max(oldest, last))
	switch {
	case chance(r, 0.1):
		x.setNull(daRegulated)
	case domain == "healthcare" || domain == "finance" || domain == "insurance":
		x.setBool(daRegulated, chance(r, 0.6))
	default:
		x.setBool(daRegulated, chance(r, 0.15))
	}
}

// maybeVariant respells an enum value once in a hundred rows.
func maybeVariant(r *rand.Rand, s string) string {
	if chance(r, 0.01) {
		return variant(r, s)
	}
	return s
}

// rounds draws the dates and stages of a company's n funding rounds,
// oldest first, all on or before the run date and none before the
// company was founded (nor more than 20 years back). It counts back from
// the last round: the time since it is uniform within a gap of 9 months
// to 3¼ years between rounds, and one company in eight stopped raising 1
// to 6 years before that; earlier rounds come 7 months to 2½ years apart,
// closer when the company is younger than that.
func (g *generator) rounds(r *rand.Rand, c *company, n int, days []int64, stageOf []int) ([]int64, []int) {
	days, stageOf = days[:0], stageOf[:0]
	if n == 0 {
		return days, stageOf
	}
	floor := max(c.foundedDay, g.runDay-20*365, earliestValid)
	since := r.Float64() * between(r, 0.75, 3.25) * daysPerYear
	if chance(r, 0.125) {
		since += between(r, 1, 6) * daysPerYear
	}
	t := max(floor, g.runDay-int64(since))
	days = append(days, t)
	for range n - 1 {
		step := int64(between(r, 0.6, 2.5) * daysPerYear)
		if t-step < floor {
			step = int64(r.Float64() * float64(t-floor))
		}
		t -= step
		days = append(days, t)
	}
	slices.Reverse(days)

	// the last round's stage follows the company's age then, give or
	// take one; each earlier round is one stage before
	st := stageAt(float64(days[n-1]-c.foundedDay) / daysPerYear)
	switch u := r.Float64(); {
	case u < 0.3:
		st--
	case u < 0.45:
		st++
	}
	st = min(max(st, n-1), len(stages)-1) - (n - 1)
	for k := range n {
		stageOf = append(stageOf, st+k)
	}
	return days, stageOf
}

// stageYears are the company ages, in years, up to which a round is
// typically of each stage but the last (pre_seed under 1.5 years, seed
// under 3, series_a under 5, ...).
var stageYears = []float64{1.5, 3, 5, 7, 9, 11, 13, 18}

// stageAt is the typical stage (index in stages) of a round raised at a
// company age in years.
func stageAt(years float64) int {
	for i, y := range stageYears {
		if years < y {
			return i
		}
	}
	return len(stageYears)
}

// fillRound fills x with a valid funding_rounds row.
func (g *generator) fillRound(r *rand.Rand, x *row, c *company, k int, announced int64, st int, last bool) {
	*x = row{}
	x.setStr(frCompany, c.id)
	x.setStr(frRound, childID(c.id, 'R', k+1))
	x.setNum(frAnnounced, announced)
	s := stages[st]
	if chance(r, 0.03) {
		x.setStr(frStage, s.display)
	} else {
		x.setStr(frStage, s.id)
	}
	amount := round(lognormal(r, s.median*c.arch.roundSize, 0.6), 10000)
	if chance(r, 0.05) {
		x.setNull(frAmount)
	} else {
		x.setFlt(frAmount, amount)
	}
	if chance(r, 0.2) && !(last && c.covered) {
		x.setNull(frPostMoney)
	} else {
		dilution := between(r, 0.08, 0.3)
		if s.id == "ipo" {
			dilution = between(r, 0.05, 0.2)
		}
		x.setFlt(frPostMoney, round(amount/dilution, 10000))
	}
	if chance(r, 0.1) {
		x.setNull(frLead)
	} else {
		x.setStr(frLead, investors[r.IntN(len(investors))])
	}
	if chance(r, 0.15) {
		x.setNull(frInvCountr)
	} else {
		x.setStr(frInvCountr, investorCountries[r.IntN(len(investorCountries))])
	}
}
