package valuation

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"moatscore/data"
)

// Version is the version of the model's formulas. It changes whenever a
// formula changes; weights and thresholds are config, recorded apart.
const Version = "wx-dm/1.0.0"

// Scores a component belongs to.
const (
	ScoreWX = "wx" // wrapper exposure
	ScoreDM = "dm" // data moat
)

// ValueCap is the most an asset's value may be: just below 1, so that
// −ln(1 − v) stays finite.
const ValueCap = 1 - 1e-9

// Component is one term of a score, as declared by the model with this
// configuration's weight.
type Component struct {
	Score       string  // ScoreWX or ScoreDM
	ID          string  // api_dependency, exclusivity, ...
	Name        string  // short human name
	Description string  // what it measures, one or two sentences
	Formula     string  // the formula, in plain notation
	SQL         string  // the value as a SQL expression (parameters inlined); see Model.SQL
	Weight      float64 // weight from the configuration
	Share       float64 // Weight ÷ the sum of the score's weights
}

// ValueColumn is the output column of the component's value (0 to 1):
// wx_<id> or dm_<id>.
func (c Component) ValueColumn() string { return c.Score + "_" + c.ID }

// ContribColumn is the output column of the component's contribution in
// points of its score: wx_<id>_contrib or dm_<id>_contrib.
func (c Component) ContribColumn() string { return c.Score + "_" + c.ID + "_contrib" }

// decl declares one component: the single source of its formula for the
// evaluation (kernel), the documentation (formula, description) and SQL.
type decl struct {
	id, name, description, formula string
	sql                            func(p *params) string
}

// wxDecl is a wrapper exposure component: its kernel writes the component's
// value for companies lo..hi-1.
type wxDecl struct {
	decl
	kernel func(p *params, f *wxInputs, lo, hi int, out []float64)
}

// dmDecl is a data moat asset term: its kernel writes the term of every row
// of an asset batch.
type dmDecl struct {
	decl
	kernel func(p *params, b *assetBatch, out []float64)
}

var wxDecls = []wxDecl{
	{decl{"api_dependency", "API dependency",
		"Share of the product's revenue that depends on third-party model APIs (companies.api_dependency_share).",
		"x = clamp(api_dependency_share, 0, 1)",
		func(p *params) string { return "LEAST(GREATEST(api_dependency_share, 0), 1)" }},
		func(p *params, f *wxInputs, lo, hi int, out []float64) {
			for i := lo; i < hi; i++ {
				v := 1.0 // required: a null (never accepted) reads as fully dependent
				if f.apiDependency.ok(i) {
					v = clamp01(f.apiDependency.v[i])
				}
				out[i] = v
			}
		}},
	{decl{"closed_api", "Closed-API share",
		"Share of the inference workload on closed models reached by API: a closed model of a known provider, or any model of an unknown provider, accessed by api. Open-weight models reached by API are not closed: they can be self-hosted.",
		"x = clamp(k · Σ workload_share [access = api and model closed], 0, 1), k = 1 ÷ Σ workload_share when that sum is over 1.01, else 1",
		func(p *params) string { return "LEAST(closed_api_workload * workload_scale, 1)" }},
		func(p *params, f *wxInputs, lo, hi int, out []float64) {
			for i := lo; i < hi; i++ {
				out[i] = clamp01(f.u[i].closed * f.scale[i])
			}
		}},
	{decl{"concentration", "Provider concentration",
		"Herfindahl index of the API workload over providers, in shares of the whole workload: 1 when all workload is on one provider's API, smaller when it is spread or self-hosted.",
		"x = clamp(k² · Σ_provider (Σ workload_share [access = api])², 0, 1)",
		func(p *params) string { return "LEAST(api_hhi_raw * workload_scale * workload_scale, 1)" }},
		func(p *params, f *wxInputs, lo, hi int, out []float64) {
			for i := lo; i < hi; i++ {
				k := f.scale[i]
				out[i] = clamp01(f.hhi[i] * k * k)
			}
		}},
	{decl{"cost_burden", "Cost burden",
		"Annual API spend as a share of revenue, saturating: the cost a price rise would hit. With no revenue known, any API spend counts as saturated.",
		"x = min(api_spend_usd ÷ (s · revenue_usd), 1) when revenue_usd > 0; else 1 when api_spend_usd > 0; else 0 (s = cost_burden_saturation)",
		func(p *params) string {
			return fmt.Sprintf("CASE WHEN revenue_usd > 0 THEN LEAST(api_spend_usd / (%s * revenue_usd), 1) WHEN api_spend_usd > 0 THEN 1 ELSE 0 END", lit(p.costSat))
		}},
		func(p *params, f *wxInputs, lo, hi int, out []float64) {
			for i := lo; i < hi; i++ {
				out[i] = costBurden(p, f.u[i].spend, f.revenue, i)
			}
		}},
	{decl{"fallback_gap", "Fallback gap",
		"How far the best self-hostable open-weight fallback falls short of today's model; 1 when no fallback was tested.",
		"x = 1 − clamp(fallback_parity, 0, 1); 1 when fallback_parity is null",
		func(p *params) string { return "1 - COALESCE(LEAST(GREATEST(fallback_parity, 0), 1), 0)" }},
		func(p *params, f *wxInputs, lo, hi int, out []float64) {
			for i := lo; i < hi; i++ {
				v := 1.0
				if f.fallbackParity.ok(i) {
					v = 1 - clamp01(f.fallbackParity.v[i])
				}
				out[i] = v
			}
		}},
	{decl{"jurisdiction", "Jurisdiction mismatch",
		"Closed-API workload weighted by the risk that a company of its zone loses access to a provider of that zone (zone-pair risk table; unknown providers are of unknown zone), raised where the active regime restricts the company's country.",
		"x = clamp(k · Σ workload_share · r' [closed API], 0, 1), r' = r + (1 − r) · raise(tier) for providers of the regime's zone, r = risk(company zone, provider zone)",
		func(p *params) string { return "LEAST(jurisdiction_raw * workload_scale, 1)" }},
		func(p *params, f *wxInputs, lo, hi int, out []float64) {
			for i := lo; i < hi; i++ {
				out[i] = clamp01(f.u[i].jur * f.scale[i])
			}
		}},
	{decl{"deprecation", "Deprecation exposure",
		"API workload on models deprecated, or due to be, within the horizon after the run date (models reference). Rows with no model or a model not in the reference count as not deprecated.",
		"x = clamp(k · Σ workload_share [access = api and deprecation <= run_date + horizon], 0, 1)",
		func(p *params) string { return "LEAST(deprecated_workload * workload_scale, 1)" }},
		func(p *params, f *wxInputs, lo, hi int, out []float64) {
			for i := lo; i < hi; i++ {
				out[i] = clamp01(f.u[i].dep * f.scale[i])
			}
		}},
}

var dmDecls = []dmDecl{
	{decl{"exclusivity", "Exclusivity",
		"How exclusively the company holds the asset: owned, exclusive licence, non-exclusive licence or public.",
		"t = exclusivity factor of the asset's exclusivity value (config dm.exclusivity)",
		func(p *params) string {
			return fmt.Sprintf("CASE exclusivity WHEN 'owned' THEN %s WHEN 'exclusive_license' THEN %s WHEN 'nonexclusive_license' THEN %s ELSE %s END",
				lit(p.excl[0]), lit(p.excl[1]), lit(p.excl[2]), lit(p.excl[3]))
		}},
		func(p *params, b *assetBatch, out []float64) {
			for i := range out {
				out[i] = p.excl[exclusivityIndex(b.exclusivity.Value(i))]
			}
		}},
	{decl{"scale", "Scale",
		"Size of the asset on a log scale against the fixed reference size of its domain (domains reference): 1 at or above the reference size.",
		"t = clamp(log10(1 + size) ÷ log10(1 + reference_size), 0, 1), size = max(records, tokens ÷ tokens_per_record)",
		func(p *params) string {
			return fmt.Sprintf("LEAST(GREATEST(LOG10(1 + GREATEST(records, COALESCE(tokens, 0) / %s)) / LOG10(1 + COALESCE(d.reference_size, %s)), 0), 1)",
				lit(p.tokensPerRecord), lit(p.unknownRefSize))
		}},
		func(p *params, b *assetBatch, out []float64) {
			for i := range out {
				size := float64(b.records[i])
				if b.tokens.ok(i) {
					if t := float64(b.tokens.v[i]) / p.tokensPerRecord; t > size {
						size = t
					}
				}
				out[i] = clamp01(math.Log10(1+size) / b.logRef[i])
			}
		}},
	{decl{"flywheel", "Data flywheel",
		"Share of the asset captured from the product's own use, times its freshness: a data flywheel turns only when the data keeps coming.",
		"t = clamp(usage_capture_share, 0, 1) · freshness, freshness = h ÷ (h + refresh_days), 0 when static (h = freshness_half_life_days)",
		func(p *params) string {
			return fmt.Sprintf("COALESCE(LEAST(GREATEST(usage_capture_share, 0), 1), 0) * CASE WHEN refresh_days IS NULL THEN 0 ELSE %s / (%s + GREATEST(refresh_days, 0)) END",
				lit(p.halfLife), lit(p.halfLife))
		}},
		func(p *params, b *assetBatch, out []float64) {
			for i := range out {
				v := 0.0
				if b.capture.ok(i) && b.refresh.ok(i) {
					v = clamp01(b.capture.v[i]) * (p.halfLife / (p.halfLife + math.Max(b.refresh.v[i], 0)))
				}
				out[i] = v
			}
		}},
	{decl{"replication", "Replication difficulty",
		"How hard the asset is to replicate: the larger of the replication time against its saturation and the replication cost on a log scale between a floor and a saturation.",
		"t = max(min(replication_years ÷ y, 1), clamp(log10(replication_cost_usd ÷ floor) ÷ log10(saturation ÷ floor), 0, 1)); a null counts 0",
		func(p *params) string {
			return fmt.Sprintf("GREATEST(COALESCE(LEAST(GREATEST(replication_years, 0) / %s, 1), 0), CASE WHEN replication_cost_usd > %s THEN LEAST(LOG10(replication_cost_usd / %s) / %s, 1) ELSE 0 END)",
				lit(p.yearsSat), lit(p.costFloor), lit(p.costFloor), lit(p.costSpan))
		}},
		func(p *params, b *assetBatch, out []float64) {
			for i := range out {
				y := 0.0
				if b.years.ok(i) {
					y = math.Min(math.Max(b.years.v[i], 0)/p.yearsSat, 1)
				}
				c := 0.0
				if b.cost.ok(i) && b.cost.v[i] > p.costFloor {
					c = math.Min(math.Log10(b.cost.v[i]/p.costFloor)/p.costSpan, 1)
				}
				out[i] = math.Max(y, c)
			}
		}},
	{decl{"domain_value", "Domain value",
		"Value of proprietary data of the asset's domain to model builders (domains reference); a domain not in the reference gets dm.unknown_domain_value.",
		"t = value_weight of the domain",
		func(p *params) string {
			return fmt.Sprintf("COALESCE(d.value_weight, %s)", lit(p.unknownValue))
		}},
		func(p *params, b *assetBatch, out []float64) {
			for i := range out {
				out[i] = b.domainValue[i]
			}
		}},
}

func componentIDs[T interface{ declID() string }](ds []T) []string {
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.declID()
	}
	return ids
}

func (d wxDecl) declID() string { return d.id }
func (d dmDecl) declID() string { return d.id }

// params are the numeric parameters of the formulas, resolved once from
// the configuration.
type params struct {
	costSat         float64
	horizonDay      int32 // last deprecation day (days since epoch) that counts
	raise2, raise3  float64
	tokensPerRecord float64
	halfLife        float64
	yearsSat        float64
	costFloor       float64
	costSpan        float64 // log10(saturation ÷ floor)
	unknownValue    float64
	unknownRefSize  float64
	rights          [4]float64 // clear, partial, unclear, none
	excl            [4]float64 // owned, exclusive_license, nonexclusive_license, public
}

// Model is the valuation model with one configuration, reference data and
// run date: ready to aggregate and evaluate.
type Model struct {
	cfg     Config
	ref     *data.Reference
	runDate time.Time
	runDay  int32 // days since 1970-01-01
	p       params
	wx, dm  []Component
	wxCoef  []float64 // 100 · w ÷ Σw per WX component: its contribution per unit of value
	dmCoef  []float64 // w ÷ Σw per DM term
	ref2    *refTables
	scen    []scenario
	reasons []string // uncertainty reason text of every mask
	levels  []int32  // uncertainty level of every mask
}

// New checks the configuration against the reference data and returns the
// model for a run date.
func New(cfg Config, ref *data.Reference, runDate time.Time) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if ref == nil {
		return nil, fmt.Errorf("valuation: no reference data")
	}
	runDate = time.Date(runDate.Year(), runDate.Month(), runDate.Day(), 0, 0, 0, 0, time.UTC)
	m := &Model{cfg: cfg, ref: ref, runDate: runDate, runDay: dayOf(runDate)}
	if cfg.Regime != RegimeNone && !ref.HasRegime(cfg.Regime) {
		return nil, fmt.Errorf("valuation.regime: %q is not a regime of the reference data (known: %s, or %s)", cfg.Regime, strings.Join(ref.RegimeIDs(), ", "), RegimeNone)
	}
	horizon := runDate.AddDate(0, cfg.WX.DeprecationHorizonMonths, 0)
	m.p = params{
		costSat:         cfg.WX.CostBurdenSaturation,
		horizonDay:      dayOf(horizon),
		raise2:          cfg.WX.RegimeRaise.Tier2,
		raise3:          cfg.WX.RegimeRaise.Tier3,
		tokensPerRecord: cfg.DM.TokensPerRecord,
		halfLife:        cfg.DM.FreshnessHalfLifeDays,
		yearsSat:        cfg.DM.ReplicationYearsSaturation,
		costFloor:       cfg.DM.ReplicationCostFloorUSD,
		costSpan:        math.Log10(cfg.DM.ReplicationCostSaturationUSD / cfg.DM.ReplicationCostFloorUSD),
		unknownValue:    cfg.DM.UnknownDomainValue,
		unknownRefSize:  cfg.DM.UnknownDomainReferenceSize,
		rights:          [4]float64{cfg.DM.Rights["clear"], cfg.DM.Rights["partial"], cfg.DM.Rights["unclear"], 0},
	}
	for i, k := range exclusivityKeys {
		m.p.excl[i] = cfg.DM.Exclusivity[k]
	}
	m.wx, m.wxCoef = components(ScoreWX, wxDeclsOf(), cfg.WX.Weights, &m.p, 100)
	m.dm, m.dmCoef = components(ScoreDM, dmDeclsOf(), cfg.DM.Weights, &m.p, 1)
	var err error
	if m.scen, err = m.scenarios(); err != nil {
		return nil, err
	}
	m.ref2 = m.buildTables()
	m.reasons = reasonTexts()
	m.levels = make([]int32, len(m.reasons))
	for mask := range m.levels {
		m.levels[mask] = m.levelOf(mask)
	}
	return m, nil
}

func wxDeclsOf() []decl {
	ds := make([]decl, len(wxDecls))
	for i, d := range wxDecls {
		ds[i] = d.decl
	}
	return ds
}

func dmDeclsOf() []decl {
	ds := make([]decl, len(dmDecls))
	for i, d := range dmDecls {
		ds[i] = d.decl
	}
	return ds
}

func components(score string, ds []decl, weights map[string]float64, p *params, scale float64) ([]Component, []float64) {
	sum := 0.0
	for _, d := range ds {
		sum += weights[d.id]
	}
	cs := make([]Component, len(ds))
	coef := make([]float64, len(ds))
	for i, d := range ds {
		w := weights[d.id]
		cs[i] = Component{Score: score, ID: d.id, Name: d.name, Description: d.description, Formula: d.formula, SQL: d.sql(p), Weight: w, Share: w / sum}
		coef[i] = scale * w / sum
	}
	return cs, coef
}

// Version returns the model version, Version.
func (m *Model) Version() string { return Version }

// Config returns the configuration the model was built with.
func (m *Model) Config() Config { return m.cfg }

// RunDate returns the run date the model scores for.
func (m *Model) RunDate() time.Time { return m.runDate }

// Components returns the wrapper exposure components and then the data moat
// terms, in declaration order, with this configuration's weights.
func (m *Model) Components() []Component {
	return append(append([]Component{}, m.wx...), m.dm...)
}

// WXComponents returns the wrapper exposure components.
func (m *Model) WXComponents() []Component { return append([]Component{}, m.wx...) }

// DMComponents returns the data moat asset terms.
func (m *Model) DMComponents() []Component { return append([]Component{}, m.dm...) }

func clamp01(v float64) float64 {
	if v > 1 {
		return 1
	}
	if v >= 0 {
		return v
	}
	return 0 // negative or NaN
}

// costBurden is the cost burden of API spend against a company's revenue.
func costBurden(p *params, spend float64, revenue f64col, i int) float64 {
	if revenue.ok(i) && revenue.v[i] > 0 {
		return math.Min(spend/(p.costSat*revenue.v[i]), 1)
	}
	if spend > 0 {
		return 1
	}
	return 0
}

func exclusivityIndex(s string) int {
	switch s {
	case "owned":
		return 0
	case "exclusive_license":
		return 1
	case "nonexclusive_license":
		return 2
	default:
		return 3 // public, and the cautious reading of anything else
	}
}

func rightsIndex(s string) int {
	switch s {
	case "clear":
		return 0
	case "partial":
		return 1
	case "unclear":
		return 2
	default:
		return 3 // none
	}
}

// lit writes a float as a SQL literal that reads back to the same value.
func lit(v float64) string {
	s := strconv.FormatFloat(v, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return s
}

// dayOf is the date of t as days since 1970-01-01 (Arrow's date32).
func dayOf(t time.Time) int32 {
	s := t.Unix()
	d := s / 86400
	if s%86400 < 0 {
		d--
	}
	return int32(d)
}

func init() {
	if len(dmDecls) != nDMTerms {
		panic("valuation: nDMTerms does not match the declared data moat terms")
	}
	if len(wxDecls) > 16 {
		panic("valuation: more than 16 wrapper exposure components")
	}
	if 1<<len(UncertaintyReasons) != uAll+1 {
		panic("valuation: uncertainty reasons and their bits differ")
	}
}
