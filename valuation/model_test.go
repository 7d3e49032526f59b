package valuation

import (
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Hand weights of the default configuration, written out: points of WX per
// unit of each component (100 × weight, the weights adding up to 1), and
// the DM term weights.
var (
	handWX = [7]float64{25, 20, 10, 15, 15, 10, 5}    // api_dependency, closed_api, concentration, cost_burden, fallback_gap, jurisdiction, deprecation
	handDM = [5]float64{0.35, 0.15, 0.15, 0.20, 0.15} // exclusivity, scale, flywheel, replication, domain_value
)

// handAsset is an asset's rights factor and terms, worked out by hand.
type handAsset struct {
	rights float64
	t      [5]float64
}

// handCase is a company with its scores worked out by hand.
type handCase struct {
	name    string
	company row
	usage   []row
	assets  []row
	rounds  []row

	zone        string
	wx          [7]float64 // component values
	dm          []handAsset
	band        string
	rating      string
	reason      string // a part of the rating reason
	thin        bool
	uncertainty string
	reasons     string
	scaled      bool
	valuation   float64 // 0: none
	roundDate   string
	stage       string
	age         int32
	pct         [4]float64 // wx sector, wx zone, dm sector, dm zone
}

func handCases() []handCase {
	return []handCase{
		{
			name:    "c1 wide moat, low exposure, rounds in the future and without post-money ignored",
			company: row{"country": "US", "sector": "fintech", "api_dependency_share": 0.1, "fallback_parity": 0.9, "revenue_usd": 10e6},
			usage: []row{
				{"provider": "meta", "model": "llama", "workload_share": 0.8, "annual_spend_usd": 50000.0, "access": "self_hosted"},
				{"provider": "openai", "model": "gpt-new", "workload_share": 0.2, "annual_spend_usd": 200000.0, "access": "api"},
			},
			assets: []row{
				{"asset_id": "a1", "domain": "finance", "records": 1000000, "exclusivity": "owned", "training_rights": "clear", "refresh_days": 1.0, "usage_capture_share": 0.6, "replication_years": 5.0},
				{"asset_id": "a2", "domain": "healthcare", "records": 1000, "exclusivity": "exclusive_license", "training_rights": "clear", "usage_capture_share": 0.5, "replication_cost_usd": 1e7},
			},
			rounds: []row{
				{"round_id": "r-seed", "announced_on": "2023-01-01", "stage": "seed", "post_money_usd": 10e6},
				{"round_id": "r-b", "announced_on": "2025-06-01", "stage": "series_b", "post_money_usd": 100e6},
				{"round_id": "r-c", "announced_on": "2026-06-01", "stage": "series_c", "post_money_usd": 1e9},
				{"round_id": "r-x", "announced_on": "2025-07-01", "stage": "series_b"},
			},
			zone: "us",
			// only the openai row is API: closed 0.2, concentration 0.2²,
			// cost 200k ÷ (0.4 × 10M), fallback gap 1 − 0.9
			wx: [7]float64{0.1, 0.2, 0.2 * 0.2, 200000 / (0.4 * 10e6), 1 - 0.9, 0, 0},
			dm: []handAsset{
				// owned, records at the finance reference size 1e6, daily
				// refresh (30/31 fresh) × 0.6 capture, 5 years to replicate
				{1, [5]float64{1, math.Log10(1+1e6) / math.Log10(1+1e6), 0.6 * (30.0 / 31), 1, 0.9}},
				// exclusive licence, 1000 of 1e5 healthcare records, static,
				// $10M to replicate: log10(100) of log10(1000)
				{1, [5]float64{0.75, math.Log10(1001) / math.Log10(100001), 0, math.Log10(1e7/1e5) / math.Log10(1e8/1e5), 0.8}},
			},
			band: "low", rating: "wide", reason: "wide: data moat", uncertainty: "low", reasons: "",
			valuation: 100e6, roundDate: "2025-06-01", stage: "series_b", age: 214 + 14,
			pct: [4]float64{0, 0, 200.0 / 3, 100},
		},
		{
			name:    "c2 thin wrapper: severe exposure, no assets, no fallback, very stale valuation",
			company: row{"country": "US", "sector": "marketing", "api_dependency_share": 1.0, "revenue_usd": 1e6},
			usage: []row{
				{"provider": "openai", "model": "gpt-old", "workload_share": 0.6, "annual_spend_usd": 300000.0, "access": "api"},
				{"provider": "anthropic", "model": "claude", "workload_share": 0.4, "annual_spend_usd": 200000.0, "access": "api"},
			},
			rounds: []row{
				{"round_id": "s1", "announced_on": "2021-01-10", "stage": "seed", "post_money_usd": 20e6},
			},
			zone: "us",
			// spend 500k over 0.4 × 1M saturates; gpt-old is deprecated
			// within 12 months of the run date
			wx:   [7]float64{1, 1, 0.6*0.6 + 0.4*0.4, 1, 1, 0, 0.6},
			band: "severe", rating: "none", reason: "none: data moat 0.00", thin: true,
			uncertainty: "high", reasons: "no_fallback,no_assets,very_stale_valuation",
			valuation: 20e6, roundDate: "2021-01-10", stage: "seed", age: 5*365 + 1 + 5,
			pct: [4]float64{100, 100, 0, 0},
		},
		{
			name:    "c3 no model usage, missing revenue, partial rights, tokens, no funding",
			company: row{"country": "FR", "sector": "healthcare", "api_dependency_share": 0.3, "fallback_parity": 0.5},
			assets: []row{
				{"asset_id": "h", "domain": "healthcare", "records": 100, "tokens": 10000000, "exclusivity": "owned", "training_rights": "partial",
					"refresh_days": 30.0, "usage_capture_share": 0.2, "replication_years": 2.0, "replication_cost_usd": 5e4},
			},
			zone: "eu",
			wx:   [7]float64{0.3, 0, 0, 0, 1 - 0.5, 0, 0},
			// size max(100, 1e7 ÷ 1000); refreshed monthly: 30 ÷ (30 + 30);
			// the $50k cost is under the floor, so 2 of 5 years counts
			dm:   []handAsset{{0.5, [5]float64{1, math.Log10(1+1e4) / math.Log10(1+1e5), 0.2 * (30.0 / 60), 2.0 / 5, 0.8}}},
			band: "low", rating: "none", reason: "below the 35 a narrow moat needs",
			uncertainty: "very_high", reasons: "no_usage,missing_revenue,rights_not_clear,no_valuation",
			pct: [4]float64{0, 0, 0, 0},
		},
		{
			name:    "c4 narrow: high moat without an exclusive asset, open weights by API, unknown domain, same-date rounds",
			company: row{"country": "DE", "sector": "legal", "api_dependency_share": 0.5, "fallback_parity": 0.6, "revenue_usd": 5e6},
			usage: []row{
				{"provider": "mistral", "model": "mistral-large", "workload_share": 0.5, "annual_spend_usd": 100000.0, "access": "api"},
				{"provider": "openai", "model": "gpt-open", "workload_share": 0.3, "annual_spend_usd": 50000.0, "access": "api"},
				{"provider": "deepseek", "model": "deepseek-chat", "workload_share": 0.2, "access": "self_hosted"},
			},
			assets: []row{
				{"asset_id": "x1", "domain": "legal", "records": 100000000, "exclusivity": "nonexclusive_license", "training_rights": "clear",
					"refresh_days": 7.0, "usage_capture_share": 0.9, "replication_years": 10.0},
				{"asset_id": "x2", "domain": "retail", "records": 0, "exclusivity": "public", "training_rights": "clear"},
			},
			rounds: []row{
				{"round_id": "r-a", "announced_on": "2025-09-01", "stage": "series_a", "post_money_usd": 40e6},
				{"round_id": "r-b", "announced_on": "2025-09-01", "stage": "series_a", "post_money_usd": 50e6},
				{"round_id": "r-c", "announced_on": "2025-12-01", "stage": "series_b"},
			},
			zone: "eu",
			// gpt-open has open weights: API but not closed; mistral is of
			// the company's own zone: no jurisdiction risk
			wx: [7]float64{0.5, 0.5, 0.5*0.5 + 0.3*0.3, 150000 / (0.4 * 5e6), 1 - 0.6, 0, 0},
			dm: []handAsset{
				// legal is not in the test reference: value 0.3, reference size 1e8
				{1, [5]float64{0.25, 1, 0.9 * (30.0 / 37), 1, 0.3}},
				{1, [5]float64{0, 0, 0, 0, 0.5}},
			},
			band: "moderate", rating: "narrow", reason: "no owned or exclusively licensed asset has clear training rights",
			uncertainty: "low", reasons: "",
			valuation: 50e6, roundDate: "2025-09-01", stage: "series_a", age: 122 + 14,
			pct: [4]float64{0, 100, 0, 100},
		},
		{
			name:    "c5 severe: Chinese company on US and unknown closed APIs, shares scaled, flagged and rejected child rows",
			company: row{"country": "CN", "sector": "fintech", "api_dependency_share": 0.9, "fallback_parity": 0.2, "revenue_usd": 2e6},
			usage: []row{
				{"provider": "openai", "model": "gpt-new", "workload_share": 0.7, "annual_spend_usd": 400000.0, "access": "api"},
				{"provider": "acme", "workload_share": 0.5, "annual_spend_usd": 100000.0, "access": "api"},
			},
			assets: []row{
				{"asset_id": "f", "domain": "finance", "records": 1000000000, "exclusivity": "owned", "training_rights": "clear",
					"refresh_days": 1.0, "usage_capture_share": 1.0, "replication_years": 6.0},
			},
			rounds: []row{
				{"round_id": "a", "announced_on": "2023-06-01", "stage": "series_a", "post_money_usd": 30e6},
			},
			zone: "cn",
			// shares add up to 1.2: every share × 1/1.2; acme is unknown:
			// closed, zone unknown (cn → unknown risk 0.7); cn → us risk 1
			wx: [7]float64{0.9, (0.7 + 0.5) * (1 / 1.2), (0.7*0.7 + 0.5*0.5) * (1 / 1.2) * (1 / 1.2), 500000 / (0.4 * 2e6), 1 - 0.2,
				(0.7*1 + 0.5*0.7) * (1 / 1.2), 0},
			dm:   []handAsset{{1, [5]float64{1, 1, 30.0 / 31, 1, 0.9}}},
			band: "severe", rating: "narrow", reason: "wrapper exposure", scaled: true,
			uncertainty: "very_high", reasons: "stale_valuation,many_rejected_child_rows,flagged_child_rows,shares_scaled",
			valuation: 30e6, roundDate: "2023-06-01", stage: "series_a", age: 731 + 214 + 14,
			pct: [4]float64{100, 0, 100, 0},
		},
		{
			name:    "c6 high: other zone on US and EU closed APIs, an asset without training rights, a round without post-money",
			company: row{"country": "IN", "sector": "marketing", "api_dependency_share": 0.9, "fallback_parity": 0.7, "revenue_usd": 3e6},
			usage: []row{
				{"provider": "anthropic", "model": "claude", "workload_share": 0.6, "annual_spend_usd": 150000.0, "access": "api"},
				{"provider": "mistral", "model": "mistral-large", "workload_share": 0.4, "access": "api"},
			},
			assets: []row{
				{"asset_id": "n", "domain": "finance", "records": 1000000, "exclusivity": "owned", "training_rights": "none", "replication_years": 5.0},
			},
			rounds: []row{
				{"round_id": "seed", "announced_on": "2024-02-01", "stage": "seed"},
			},
			zone: "other",
			wx:   [7]float64{0.9, 1, 0.6*0.6 + 0.4*0.4, 150000 / (0.4 * 3e6), 1 - 0.7, 0.6*0.2 + 0.4*0.2, 0},
			dm:   []handAsset{{0, [5]float64{1, 1, 0, 1, 0.9}}},
			band: "high", rating: "none", reason: "(no asset with a value)",
			uncertainty: "medium", reasons: "rights_not_clear,no_valuation",
			pct: [4]float64{0, 100, 0, 0},
		},
		{
			name:    "c7 no data at all: every optional input missing, no child rows",
			company: row{"country": "NA", "sector": "retail", "api_dependency_share": 0.0},
			zone:    "other",
			wx:      [7]float64{0, 0, 0, 0, 1, 0, 0},
			band:    "low", rating: "none", reason: "none:",
			uncertainty: "very_high", reasons: "no_usage,missing_revenue,no_assets,no_valuation",
			pct: [4]float64{0, 0, 0, 0},
		},
		{
			name:    "c8 wide with zero revenue and a deprecation beyond the horizon, on-prem row not API",
			company: row{"country": "US", "sector": "fintech", "api_dependency_share": 0.4, "fallback_parity": 1.0, "revenue_usd": 0.0},
			usage: []row{
				{"provider": "openai", "model": "gpt-later", "workload_share": 0.5, "annual_spend_usd": 10000.0, "access": "api"},
				{"provider": "openai", "model": "gpt-old", "workload_share": 0.3, "access": "on_prem"},
			},
			assets: []row{
				{"asset_id": "f", "domain": "finance", "records": 1000000, "exclusivity": "owned", "training_rights": "clear", "replication_cost_usd": 1e8},
			},
			rounds: []row{
				{"round_id": "b", "announced_on": "2025-01-01", "stage": "series_a", "post_money_usd": 80e6},
				{"round_id": "a", "announced_on": "2025-01-01", "stage": "seed", "post_money_usd": 90e6},
			},
			zone: "us",
			// zero revenue with API spend: the cost burden saturates
			wx:   [7]float64{0.4, 0.5, 0.5 * 0.5, 1, 0, 0, 0},
			dm:   []handAsset{{1, [5]float64{1, 1, 0, 1, 0.9}}},
			band: "moderate", rating: "wide", reason: "wide:",
			uncertainty: "low", reasons: "",
			valuation: 80e6, roundDate: "2025-01-01", stage: "series_a", age: 365 + 14,
			pct: [4]float64{200.0 / 3, 200.0 / 3, 100.0 / 3, 200.0 / 3},
		},
		{
			name:    "c9 twin of c1's exposure without assets or funding: ties share the lowest percentile",
			company: row{"country": "US", "sector": "fintech", "api_dependency_share": 0.1, "fallback_parity": 0.9, "revenue_usd": 10e6},
			usage: []row{
				{"provider": "meta", "model": "llama", "workload_share": 0.8, "annual_spend_usd": 50000.0, "access": "self_hosted"},
				{"provider": "openai", "model": "gpt-new", "workload_share": 0.2, "annual_spend_usd": 200000.0, "access": "api"},
			},
			zone: "us",
			wx:   [7]float64{0.1, 0.2, 0.2 * 0.2, 200000 / (0.4 * 10e6), 1 - 0.9, 0, 0},
			band: "low", rating: "none", reason: "none:",
			uncertainty: "medium", reasons: "no_assets,no_valuation",
			pct: [4]float64{0, 0, 0, 0},
		},
	}
}

// handInput turns the cases into one dataset, company i being case i.
func handInput(cases []handCase) input {
	var in input
	for i, c := range cases {
		id := string(rune('a' + i))
		comp := row{"company_id": id, "name": c.name}
		for k, v := range c.company {
			comp[k] = v
		}
		in.companies = append(in.companies, comp)
		for _, rows := range []struct {
			src []row
			dst *[]row
		}{{c.usage, &in.usage}, {c.assets, &in.assets}, {c.rounds, &in.rounds}} {
			for _, r := range rows.src {
				x := row{"company_id": id}
				for k, v := range r {
					x[k] = v
				}
				*rows.dst = append(*rows.dst, x)
			}
		}
	}
	// c5 (index 4): its unknown-provider row drew a warning; two of its
	// child rows were rejected
	in.flaggedOf = []int32{4}
	in.rejectedOf = []int32{4, 4}
	return in
}

// handDMOf works out a company's data moat, its contributions and term
// values from its assets, by the formulas of the documentation.
func handDMOf(assets []handAsset) (dm float64, contrib, value [5]float64) {
	prod, l := 1.0, 0.0
	var ls, ss []float64
	for _, a := range assets {
		s := 0.0
		for k := range handDM {
			s += handDM[k] * a.t[k]
		}
		v := math.Min(a.rights*s, 1-1e-9)
		prod *= 1 - v
		li := -math.Log(1 - v)
		l += li
		ls, ss = append(ls, li), append(ss, s)
	}
	dm = 100 * (1 - prod)
	if l == 0 {
		return dm, contrib, value
	}
	for i, a := range assets {
		for k := range handDM {
			if ls[i] > 0 {
				contrib[k] += dm * (ls[i] / l) * (handDM[k] * a.t[k] / ss[i])
			}
			value[k] += ls[i] * a.t[k] / l
		}
	}
	return dm, contrib, value
}

// near compares scores (0 to 100) and shares to 1e-9.
func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9 }

// nearUSD compares money to 1e-12 of its size (a ten-thousandth of a cent
// on $100M), the rounding of a few float64 operations.
func nearUSD(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Max(1, math.Abs(b)) }

func TestHandComputed(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	m := newTestModel(t, testConfig())
	cases := handCases()
	res := score(t, mem, m, handInput(cases), scoreOpts{batch: 3, workers: 2})
	defer res.Release()
	s := res.Scores
	if got := res.SharesScaled; got != 1 {
		t.Errorf("SharesScaled = %d, want 1", got)
	}
	if got := strings.Join(res.UnknownProviders, ","); got != "acme" {
		t.Errorf("UnknownProviders = %q, want acme", got)
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkF := func(name string, want float64) {
				t.Helper()
				cmp := near
				if strings.HasSuffix(name, "_usd") {
					cmp = nearUSD
				}
				if got := f64At(t, s, name, i); !cmp(got, want) {
					t.Errorf("%s = %.15g, want %.15g", name, got, want)
				}
			}
			checkS := func(name, want string) {
				t.Helper()
				if got := strAt(t, s, name, i); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
			if got := strAt(t, s, ColZone, i); got != c.zone {
				t.Errorf("zone = %q, want %q", got, c.zone)
			}
			wx := 0.0
			for k, comp := range m.WXComponents() {
				checkF(comp.ValueColumn(), c.wx[k])
				checkF(comp.ContribColumn(), handWX[k]*c.wx[k])
				wx += handWX[k] * c.wx[k]
			}
			checkF(ColWrapperExposure, wx)
			dm, contrib, value := handDMOf(c.dm)
			checkF(ColDataMoat, dm)
			for k, comp := range m.DMComponents() {
				checkF(comp.ContribColumn(), contrib[k])
				checkF(comp.ValueColumn(), value[k])
			}
			checkF(ColNetMoat, dm-wx)
			checkS(ColWXBand, c.band)
			checkS(ColMoatRating, c.rating)
			checkS(ColUncertainty, c.uncertainty)
			checkS(ColUncertaintyReasons, c.reasons)
			if got := col(t, s, ColThinWrapper).(*array.Boolean).Value(i); got != c.thin {
				t.Errorf("thin_wrapper = %v, want %v", got, c.thin)
			}
			if got := col(t, s, ColSharesScaled).(*array.Boolean).Value(i); got != c.scaled {
				t.Errorf("shares_scaled = %v, want %v", got, c.scaled)
			}
			for k, name := range []string{ColWXPctSector, ColWXPctZone, ColDMPctSector, ColDMPctZone} {
				checkF(name, c.pct[k])
			}
			if c.valuation == 0 {
				for _, name := range []string{ColValuation, ColLastRoundDate, ColLastRoundStage, ColValuationAgeDays, ColAdjustedValuation, ColAdjustment, ColAdjustmentPct} {
					if !isNull(t, s, name, i) {
						t.Errorf("%s is not null", name)
					}
				}
			} else {
				factor := (1 + 0.3*(dm-50)/50) * (1 - 0.4*wx/100)
				checkF(ColValuation, c.valuation)
				checkF(ColAdjustedValuation, c.valuation*factor)
				checkF(ColAdjustment, c.valuation*factor-c.valuation)
				checkF(ColAdjustmentPct, 100*(factor-1))
				checkS(ColLastRoundStage, c.stage)
				if got := col(t, s, ColLastRoundDate).(*array.Date32).Value(i); got != arrow.Date32FromTime(day(c.roundDate)) {
					t.Errorf("last_round_date = %v, want %s", got.ToTime(), c.roundDate)
				}
				if got := col(t, s, ColValuationAgeDays).(*array.Int32).Value(i); got != c.age {
					t.Errorf("valuation_age_days = %d, want %d", got, c.age)
				}
			}
			x, err := m.Explain(s, i)
			if err != nil {
				t.Fatalf("Explain: %v", err)
			}
			if !strings.Contains(x.Reason, c.reason) {
				t.Errorf("Reason = %q, want it to contain %q", x.Reason, c.reason)
			}
			sum := 0.0
			for _, cs := range x.WX {
				sum += cs.Contribution
			}
			if !near(sum, x.WrapperExposure) {
				t.Errorf("Σ WX contributions = %v, want %v", sum, x.WrapperExposure)
			}
			sum = 0
			for _, cs := range x.DM {
				sum += cs.Contribution
			}
			if !near(sum, x.DataMoat) {
				t.Errorf("Σ DM contributions = %v, want %v", sum, x.DataMoat)
			}
		})
	}
}

// TestRegime checks the jurisdiction raise of an active regime: tier 2
// halfway to 1, tier 3 to 1, only for providers of the regime's zone, and
// nothing from a regime no longer in force on the run date.
func TestRegime(t *testing.T) {
	companies := []row{
		{"company_id": "in", "name": "IN", "country": "IN", "sector": "s", "api_dependency_share": 0.5},
		{"company_id": "fr", "name": "FR", "country": "FR", "sector": "s", "api_dependency_share": 0.5},
		{"company_id": "us", "name": "US", "country": "US", "sector": "s", "api_dependency_share": 0.5},
	}
	var usage []row
	for _, c := range []string{"in", "fr", "us"} {
		usage = append(usage,
			row{"company_id": c, "provider": "anthropic", "model": "claude", "workload_share": 0.5, "access": "api"},
			row{"company_id": c, "provider": "deepseek", "model": "deepseek-chat", "workload_share": 0.2, "access": "api"}, // open weights: not closed
			row{"company_id": c, "provider": "mistral", "model": "mistral-large", "workload_share": 0.3, "access": "api"},
		)
	}
	tests := []struct {
		regime string
		want   [3]float64 // jurisdiction of in, fr, us
	}{
		// no regime: in (other) → us 0.2, → eu 0.2; fr (eu) → us 0.3, eu 0
		{RegimeNone, [3]float64{0.5*0.2 + 0.3*0.2, 0.5 * 0.3, 0.3 * 0.2}},
		// live_rule: in and fr are tier 2 ("*"): us risk r → r + (1 − r) × 0.5
		{"live_rule", [3]float64{0.5*(0.2+0.8*0.5) + 0.3*0.2, 0.5 * (0.3 + 0.7*0.5), 0.3 * 0.2}},
		// old_rule ended 2025-05-13: no tier on the run date
		{"old_rule", [3]float64{0.5*0.2 + 0.3*0.2, 0.5 * 0.3, 0.3 * 0.2}},
	}
	for _, tt := range tests {
		t.Run(tt.regime, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			cfg := testConfig()
			cfg.Regime = tt.regime
			m := newTestModel(t, cfg)
			res := score(t, mem, m, input{companies: companies, usage: usage}, scoreOpts{})
			defer res.Release()
			for i, want := range tt.want {
				if got := f64At(t, res.Scores, "wx_jurisdiction", i); !near(got, want) {
					t.Errorf("company %d: wx_jurisdiction = %v, want %v", i, got, want)
				}
			}
		})
	}
}
