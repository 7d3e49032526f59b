package valuation

import (
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestScenarios checks the scenarios of testConfig on the hand-computed
// companies: openai_x2 (OpenAI prices × 2), us_cut_tier2_3 (US closed APIs
// cut off for tiers 2 and 3 of old_rule, a rule no longer in force: the
// scenario switches it on) and claude_gone (claude and gpt-old deprecated).
func TestScenarios(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	m := newTestModel(t, testConfig())
	cases := handCases()
	res := score(t, mem, m, handInput(cases), scoreOpts{batch: 2, workers: 2})
	defer res.Release()
	if got, want := res.Scenarios.NumRows(), int64(3*len(cases)); got != want {
		t.Fatalf("scenario rows = %d, want %d", got, want)
	}
	wxOf := func(x [7]float64) float64 {
		w := 0.0
		for k := range x {
			w += handWX[k] * x[k]
		}
		return w
	}
	dmOf := func(i int) float64 { d, _, _ := handDMOf(cases[i].dm); return d }
	vadj := func(i int, wx float64) float64 {
		return cases[i].valuation * (1 + 0.3*(dmOf(i)-50)/50) * (1 - 0.4*wx/100)
	}
	with := func(i, k int, v float64) [7]float64 {
		x := cases[i].wx
		x[k] = v
		return x
	}
	const nullRAR = -1
	tests := []struct {
		name     string
		company  int
		scenario int
		wx       [7]float64 // component values under the scenario
		rar      float64    // revenue at risk; nullRAR for null
	}{
		// c1: OpenAI spend 200k doubles: cost burden 400k ÷ (0.4 × 10M)
		{"c1 price", 0, 0, with(0, 3, 400000/(0.4*10e6)), 200000},
		{"c1 cut-off: the US is tier 1", 0, 1, cases[0].wx, 0},
		{"c1 deprecation: no listed model", 0, 2, cases[0].wx, 0},
		// c2: cost burden already saturated; extra cost 300k within revenue
		{"c2 price", 1, 0, cases[1].wx, 300000},
		// c2: gpt-old (already deprecated) and claude: all its API workload;
		// revenue at risk 1M × 1 × 1 × fallback gap 1
		{"c2 deprecation", 1, 2, with(1, 6, 0.6-0.6+(0.6+0.4)), 1e6 * 1 * 1 * 1},
		// c5 (China, tier 3): US closed workload 0.7 already at risk 1; the
		// price rise saturates the cost burden
		{"c5 price", 4, 0, with(4, 3, 1), 400000},
		{"c5 cut-off", 4, 1, with(4, 5, ((0.7*1+0.5*0.7)-0.7*1+0.7)*(1/1.2)), 2e6 * 0.9 * (0.7 / 1.2) * (1 - 0.2)},
		// c6 (India, "*": tier 2): claude 0.6 on a US provider goes from
		// risk 0.2 to 1; revenue at risk 3M × 0.9 × 0.6 ÷ 1 × (1 − 0.7)
		{"c6 cut-off", 5, 1, with(5, 5, (0.6*0.2+0.4*0.2)-0.6*0.2+0.6), 3e6 * 0.9 * 0.6 * (1 - 0.7)},
		{"c6 deprecation", 5, 2, with(5, 6, 0.6), 3e6 * 0.9 * 0.6 * (1 - 0.7)},
		{"c6 price: no OpenAI rows", 5, 0, cases[5].wx, 0},
		// c3 has no usage and no revenue: nothing at risk
		{"c3 price", 2, 0, cases[2].wx, 0},
		{"c3 deprecation", 2, 2, cases[2].wx, 0},
		// c8: gpt-old is on-prem: not an API row, not hit
		{"c8 deprecation", 7, 2, cases[7].wx, 0},
	}
	s := res.Scenarios
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row := tt.company*3 + tt.scenario
			if got := col(t, s, ColCompanyIndex).(*array.Int32).Value(row); int(got) != tt.company {
				t.Fatalf("company_index = %d, want %d", got, tt.company)
			}
			if got, want := strAt(t, s, ColScenario, row), m.Scenarios()[tt.scenario]; got != want {
				t.Fatalf("scenario = %q, want %q", got, want)
			}
			wx := wxOf(tt.wx)
			base := wxOf(cases[tt.company].wx)
			if got := f64At(t, s, ColWrapperExposure, row); !near(got, wx) {
				t.Errorf("wrapper_exposure = %.15g, want %.15g", got, wx)
			}
			if got := f64At(t, s, ColWXChange, row); !near(got, wx-base) {
				t.Errorf("wx_change = %.15g, want %.15g", got, wx-base)
			}
			if tt.rar == nullRAR {
				if !isNull(t, s, ColRevenueAtRisk, row) {
					t.Errorf("revenue_at_risk_usd = %v, want null", f64At(t, s, ColRevenueAtRisk, row))
				}
			} else if got := f64At(t, s, ColRevenueAtRisk, row); !nearUSD(got, tt.rar) {
				t.Errorf("revenue_at_risk_usd = %.15g, want %.15g", got, tt.rar)
			}
			if cases[tt.company].valuation == 0 {
				if !isNull(t, s, ColAdjustedValuation, row) || !isNull(t, s, ColValuationChange, row) {
					t.Errorf("valuation columns not null without a valuation")
				}
				return
			}
			if got, want := f64At(t, s, ColAdjustedValuation, row), vadj(tt.company, wx); !nearUSD(got, want) {
				t.Errorf("adjusted_valuation_usd = %.15g, want %.15g", got, want)
			}
			if got, want := f64At(t, s, ColValuationChange, row), vadj(tt.company, wx)-vadj(tt.company, base); math.Abs(got-want) > 1e-12*cases[tt.company].valuation {
				t.Errorf("valuation_change_usd = %.15g, want %.15g", got, want)
			}
		})
	}
}

// TestScenarioNullRevenue: a cut-off that hits a company of unknown revenue
// has unknown revenue at risk; a price rise is its extra cost.
func TestScenarioNullRevenue(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	m := newTestModel(t, testConfig())
	in := input{
		companies: []row{{"company_id": "x", "name": "X", "country": "CN", "sector": "s", "api_dependency_share": 0.5}},
		usage: []row{
			{"company_id": "x", "provider": "anthropic", "model": "claude", "workload_share": 0.5, "access": "api"},
			{"company_id": "x", "provider": "openai", "model": "gpt-new", "workload_share": 0.5, "annual_spend_usd": 1000.0, "access": "api"},
		},
	}
	res := score(t, mem, m, in, scoreOpts{})
	defer res.Release()
	if got := f64At(t, res.Scenarios, ColRevenueAtRisk, 0); got != 1000 {
		t.Errorf("price: revenue_at_risk_usd = %v, want 1000 (the extra cost)", got)
	}
	if !isNull(t, res.Scenarios, ColRevenueAtRisk, 1) {
		t.Errorf("cut-off: revenue_at_risk_usd = %v, want null", f64At(t, res.Scenarios, ColRevenueAtRisk, 1))
	}
	if !isNull(t, res.Scenarios, ColRevenueAtRisk, 2) {
		t.Errorf("deprecation: revenue_at_risk_usd = %v, want null", f64At(t, res.Scenarios, ColRevenueAtRisk, 2))
	}
}
