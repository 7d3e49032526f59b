package valuation

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"moatscore/data"
)

// exampleInput is the worked example of docs/methodology.md: Ledgerline, a
// German fintech, scored on 2025-11-01 with the default configuration and
// the embedded reference data.
func exampleInput() input {
	return input{
		companies: []row{{"company_id": "ledgerline", "name": "Ledgerline GmbH", "country": "DE", "sector": "fintech",
			"revenue_usd": 12e6, "api_dependency_share": 0.6, "fallback_parity": 0.7}},
		usage: []row{
			{"company_id": "ledgerline", "provider": "openai", "model": "gpt-4o", "workload_share": 0.5, "annual_spend_usd": 900000.0, "access": "api"},
			{"company_id": "ledgerline", "provider": "mistral", "model": "mistral-medium-3", "workload_share": 0.2, "annual_spend_usd": 150000.0, "access": "api"},
			{"company_id": "ledgerline", "provider": "meta", "model": "llama-3.3-70b", "workload_share": 0.3, "annual_spend_usd": 200000.0, "access": "self_hosted"},
		},
		assets: []row{
			{"company_id": "ledgerline", "asset_id": "ledger", "name": "Payments ledger", "domain": "finance", "records": 250000000,
				"exclusivity": "owned", "training_rights": "clear", "refresh_days": 1.0, "usage_capture_share": 0.8, "replication_years": 8.0},
			{"company_id": "ledgerline", "asset_id": "support", "name": "Support transcripts", "domain": "general", "records": 2000000,
				"exclusivity": "nonexclusive_license", "training_rights": "partial", "refresh_days": 7.0, "usage_capture_share": 0.5, "replication_cost_usd": 500000.0},
		},
		rounds: []row{
			{"company_id": "ledgerline", "round_id": "seed", "announced_on": "2022-03-01", "stage": "seed", "post_money_usd": 20e6},
			{"company_id": "ledgerline", "round_id": "a", "announced_on": "2024-05-15", "stage": "series_a", "post_money_usd": 80e6},
			{"company_id": "ledgerline", "round_id": "b", "announced_on": "2025-06-10", "stage": "series_b", "post_money_usd": 240e6},
		},
	}
}

func TestWorkedExample(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	m, err := New(DefaultConfig(), data.DefaultReference(), time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	res := score(t, mem, m, exampleInput(), scoreOpts{})
	defer res.Release()
	s := res.Scores
	// the numbers of the worked example, as docs/methodology.md prints them
	want := map[string]string{
		ColWrapperExposure:   "41.18125",
		ColDataMoat:          "95.719029",
		ColAdjustedValuation: "255,456,665.09",
		ColAdjustment:        "15,456,665.09",
		ColAdjustmentPct:     "6.44",
	}
	digits := map[string]int{ColWrapperExposure: 5, ColDataMoat: 6, ColAdjustedValuation: 2, ColAdjustment: 2, ColAdjustmentPct: 2}
	doc, err := os.ReadFile(methodologyPath)
	if err != nil {
		t.Fatal(err)
	}
	for name, w := range want {
		got := withCommas(strconv.FormatFloat(f64At(t, s, name, 0), 'f', digits[name], 64))
		if got != w {
			t.Errorf("%s = %s, want %s", name, got, w)
		}
		if !strings.Contains(string(doc), w) {
			t.Errorf("%s does not show %s = %s", methodologyPath, name, w)
		}
	}
	for name, w := range map[string]string{ColWXBand: "moderate", ColMoatRating: "wide", ColUncertainty: "medium", ColUncertaintyReasons: "rights_not_clear"} {
		if got := strAt(t, s, name, 0); got != w {
			t.Errorf("%s = %q, want %q", name, got, w)
		}
	}
	if got := col(t, s, ColValuationAgeDays).(*array.Int32).Value(0); got != 144 {
		t.Errorf("valuation_age_days = %d, want 144", got)
	}
}

// withCommas groups the integer digits of a decimal number by thousands.
func withCommas(s string) string {
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	return b.String()
}
