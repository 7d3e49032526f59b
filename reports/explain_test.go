package reports

import (
	"math"
	"strings"
	"testing"
)

func f64(v float64) *float64 { return &v }
func i64(v int64) *int64     { return &v }

// ordinaryExplanation is the explanation of a company in a second run: a
// valuation, a trend, two scenarios.
func ordinaryExplanation() *Explanation {
	return &Explanation{
		CompanyID: "C00000039", Name: "Wexust Vision",
		Country: "CA", Sector: "insurance", Zone: "other",
		RunDate: "2026-01-16", RunID: "20260116-093000Z-1a2b3c4d", ModelVersion: "wx-dm/1.0.0",
		RankBy: "net_moat", Rank: i64(3), SectorRank: i64(1), ZoneRank: i64(2),
		WrapperExposure: f64(31.25), WXBand: "moderate",
		DataMoat:    f64(72.5),
		Rating:      "wide",
		RatingWhy:   "wide: data moat 72.50 >= 60, 4 owned or exclusively licensed asset(s) with clear training rights, wrapper exposure 31.25 below 75",
		Uncertainty: "medium", UncertaintyWhy: "2 child rows rejected",
		RejectedChildRows: i64(2),
		WX: []ExplainComponent{
			{Column: "wx_api_dependency", Name: "API dependency", Description: "Share of revenue that depends on model APIs.", Value: f64(0.5), Weight: 0.25, Share: 0.5, Contribution: f64(25)},
			{Column: "wx_fallback_gap", Name: "Fallback gap", Description: "How far the best fallback falls short.", Value: f64(0.125), Weight: 0.25, Share: 0.5, Contribution: f64(6.25)},
		},
		DM: []ExplainComponent{
			{Column: "dm_exclusivity", Name: "Exclusivity", Value: f64(0.9), Weight: 0.35, Share: 0.7, Contribution: f64(63)},
			{Column: "dm_scale", Name: "Scale", Value: f64(0.3), Weight: 0.15, Share: 0.3, Contribution: f64(9.5)},
		},
		Percentiles: []ExplainValue{
			{Label: "wrapper exposure within sector insurance", Value: "40.0"},
			{Label: "data moat within zone other", Value: "96.8"},
		},
		ValuationUSD: f64(101490000), AdjustedUSD: f64(131303697.84), AdjustmentPct: f64(29.376),
		LastRoundDate: "2025-10-16", LastRoundStage: "series_a", ValuationAgeDays: i64(92),
		Trend: "up", PreviousRunDate: "2026-01-15",
		WXChange: f64(-1.5), DMChange: f64(4.25), RankChange: i64(2), TopMover: "Exclusivity",
		Scenarios: []ExplainScenario{
			{Name: "openai_price_x1_5", Values: []ExplainValue{{Label: "wrapper_exposure", Value: "33.10"}, {Label: "wx_change", Value: "1.85"}}},
			{Name: "gpt_4o_family_deprecated", Values: []ExplainValue{{Label: "wrapper_exposure", Value: "31.25"}}},
		},
		Extra: []ExplainValue{
			{Label: "model usage rows", Value: "9"},
			{Label: "workload shares scaled", Value: "false"},
		},
	}
}

// hostileExplanation carries hostile text in every string a data file or
// a tampered output folder could set.
func hostileExplanation() *Explanation {
	e := ordinaryExplanation()
	e.CompanyID = "C1\nC2\x1b[2J"
	e.Name = "\x1b[31mEvil\nCorp\tInc\u202egnp.exe\u009b2J" + strings.Repeat(" very long", 20)
	e.Country, e.Sector, e.Zone = "C\rA", "fin\ttech", "zone\x07"
	e.RunID, e.ModelVersion = "id\x1b]0;owned\x07", "wx\u2028dm"
	e.WXBand, e.Rating, e.Uncertainty = "mod\nerate", "wi\x00de", "me\x7fdium"
	e.RatingWhy, e.UncertaintyWhy = "because\nreasons", "rows\r\x1b[Krejected"
	e.WX[0].Name, e.WX[0].Description = "API\tdependency", "line one\nline two"
	e.Percentiles[0].Label = "within sector fin\ttech"
	e.LastRoundStage, e.LastRoundDate = "series\na", "2025\x1b[1m-10-16"
	e.TopMover = "Exclu\nsivity"
	e.Scenarios[0].Name = "<script>alert(1)</script>\n"
	e.Scenarios[0].Values[0].Value = "33\t10"
	e.Extra[0].Label = "model\x1b[8m usage rows"
	return e
}

func TestWriteExplanation(t *testing.T) {
	tests := []struct {
		name   string
		golden string
		e      func() *Explanation
	}{
		{"ordinary", "explain_ordinary.golden", ordinaryExplanation},
		{"new company in a first run", "explain_new.golden", func() *Explanation {
			e := ordinaryExplanation()
			e.Trend, e.PreviousRunDate = "new", ""
			e.WXChange, e.DMChange, e.RankChange, e.TopMover = nil, nil, nil, ""
			e.RejectedChildRows, e.Uncertainty, e.UncertaintyWhy = i64(0), "low", "complete inputs"
			return e
		}},
		{"new since a previous run", "explain_new_since.golden", func() *Explanation {
			e := ordinaryExplanation()
			e.Trend = "new"
			return e
		}},
		{"no valuation", "explain_no_valuation.golden", func() *Explanation {
			e := ordinaryExplanation()
			e.ValuationUSD, e.AdjustedUSD, e.AdjustmentPct, e.ValuationAgeDays = nil, nil, nil, nil
			e.LastRoundDate, e.LastRoundStage = "", ""
			return e
		}},
		{"valuation without round details", "explain_no_round.golden", func() *Explanation {
			e := ordinaryExplanation()
			e.AdjustedUSD, e.AdjustmentPct, e.ValuationAgeDays = nil, nil, nil
			e.LastRoundDate, e.LastRoundStage = "", ""
			return e
		}},
		{"no trend", "explain_no_trend.golden", func() *Explanation {
			e := ordinaryExplanation()
			e.Trend = ""
			return e
		}},
		{"trend without changes", "explain_trend_nil.golden", func() *Explanation {
			e := ordinaryExplanation()
			e.Trend, e.PreviousRunDate = "stable", ""
			e.WXChange, e.DMChange, e.RankChange, e.TopMover = nil, nil, nil, ""
			return e
		}},
		{"no scenarios", "explain_no_scenarios.golden", func() *Explanation {
			e := ordinaryExplanation()
			e.Scenarios = nil
			return e
		}},
		{"only the id", "explain_minimal.golden", func() *Explanation {
			return &Explanation{CompanyID: "C00000001"}
		}},
		{"missing scores", "explain_missing_scores.golden", func() *Explanation {
			e := ordinaryExplanation()
			e.WrapperExposure, e.DataMoat = nil, f64(math.NaN())
			e.Rank, e.SectorRank, e.ZoneRank, e.RejectedChildRows = nil, nil, nil, nil
			e.WX[0].Value, e.WX[0].Contribution = nil, nil
			e.DM[1].Value, e.DM[1].Contribution = f64(math.NaN()), f64(math.NaN())
			return e
		}},
		{"negative and zero changes", "explain_changes.golden", func() *Explanation {
			e := ordinaryExplanation()
			e.Trend = "down"
			e.WXChange, e.DMChange, e.RankChange = f64(0), f64(-12.345), i64(-7)
			e.AdjustmentPct = f64(-45.678)
			e.DM[1].Contribution = f64(-0.001) // rounds to zero: no sign
			e.DM[1].Value = f64(math.Copysign(0, -1))
			return e
		}},
		{"changes that round to zero", "explain_changes_rounded.golden", func() *Explanation {
			e := ordinaryExplanation()
			e.Trend = "stable"
			e.WXChange, e.DMChange, e.RankChange = f64(math.Copysign(0, -1)), f64(-0.004), i64(0)
			e.AdjustmentPct = f64(-0.001)
			return e
		}},
		{"big money", "explain_big_money.golden", func() *Explanation {
			e := ordinaryExplanation()
			e.ValuationUSD, e.AdjustedUSD, e.AdjustmentPct = f64(1.5e12), f64(2.25e21), f64(150000000)
			e.ValuationAgeDays = i64(36500)
			return e
		}},
		{"tiny money", "explain_tiny_money.golden", func() *Explanation {
			e := ordinaryExplanation()
			e.ValuationUSD, e.AdjustedUSD, e.AdjustmentPct = f64(1), f64(0.4), f64(-60)
			e.ValuationAgeDays = i64(0)
			return e
		}},
		{"shares and weights", "explain_shares.golden", func() *Explanation {
			e := ordinaryExplanation()
			e.WX = []ExplainComponent{
				{Name: "third", Value: f64(1), Weight: 1.0 / 3, Share: 1.0 / 3, Contribution: f64(100.0 / 3)},
				{Name: "all", Value: f64(0), Weight: 1, Share: 1, Contribution: f64(0)},
				{Name: "none", Value: f64(0.00005), Weight: 0, Share: 0, Contribution: f64(0.005)},
				{Name: "tiny", Value: f64(0.99995), Weight: 0.00001, Share: 0.0005, Contribution: f64(99.995)},
			}
			return e
		}},
		{"untrusted text", "explain_untrusted.golden", hostileExplanation},
		{"full-width and html name", "explain_full_width.golden", func() *Explanation {
			e := ordinaryExplanation()
			e.Name = "ＡＢＣ株式会社 <script>alert(1)</script>"
			return e
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			if err := WriteExplanation(&b, tc.e()); err != nil {
				t.Fatalf("WriteExplanation() = %v, want nil", err)
			}
			checkTerminalSafe(t, b.String())
			checkGolden(t, tc.golden, b.String())
		})
	}
}

// TestWriteExplanationUntrustedLayout checks that hostile text adds no
// line: the explanation has as many lines as the ordinary one.
func TestWriteExplanationUntrustedLayout(t *testing.T) {
	var hostile, plain strings.Builder
	if err := WriteExplanation(&hostile, hostileExplanation()); err != nil {
		t.Fatal(err)
	}
	if err := WriteExplanation(&plain, ordinaryExplanation()); err != nil {
		t.Fatal(err)
	}
	hl, pl := strings.Split(hostile.String(), "\n"), strings.Split(plain.String(), "\n")
	if len(hl) != len(pl) {
		t.Fatalf("WriteExplanation(hostile text) wrote %d lines, want %d as with plain text:\n%s", len(hl), len(pl), hostile.String())
	}
	for i := range pl {
		// Every line starts as the plain one does: section titles and
		// indentation in place.
		if indent(hl[i]) != indent(pl[i]) {
			t.Errorf("line %d = %q, indented %d, want %d as %q", i+1, hl[i], indent(hl[i]), indent(pl[i]), pl[i])
		}
	}
}

func indent(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }

func TestUSD(t *testing.T) {
	tests := []struct {
		name string
		v    float64
		want string
	}{
		{"zero", 0, "0"},
		{"negative zero", math.Copysign(0, -1), "0"},
		{"under half a dollar", 0.4, "0"},
		{"half a dollar rounds up", 0.5, "1"},
		{"negative under half a dollar", -0.4, "0"},
		{"negative half a dollar", -0.5, "-1"},
		{"three digits", 999, "999"},
		{"four digits", 1000, "1,000"},
		{"cents rounded", 1234.49, "1,234"},
		{"cents rounded up", 999999.5, "1,000,000"},
		{"millions", 101490000, "101,490,000"},
		{"negative millions", -1234567.5, "-1,234,568"},
		{"trillions", 1.5e12, "1,500,000,000,000"},
		{"beyond int64", 2.25e21, "2,250,000,000,000,000,000,000"},
		{"NaN", math.NaN(), "NaN"},
		{"infinity", math.Inf(1), "+Inf"},
		{"negative infinity", math.Inf(-1), "-Inf"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := usd(tc.v); got != tc.want {
				t.Errorf("usd(%v) = %q, want %q", tc.v, got, tc.want)
			}
		})
	}
}

func TestNumbers(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"num nil", num(nil, 2), "n/a"},
		{"num NaN", num(f64(math.NaN()), 2), "n/a"},
		{"num zero", num(f64(0), 2), "0.00"},
		{"num negative zero", num(f64(math.Copysign(0, -1)), 2), "0.00"},
		{"num negative rounding to zero", num(f64(-0.004), 2), "0.00"},
		{"num negative", num(f64(-0.006), 2), "-0.01"},
		{"num four places", num(f64(0.12345), 4), "0.1235"},
		{"signed nil", signed(nil, 2), "n/a"},
		{"signed NaN", signed(f64(math.NaN()), 2), "n/a"},
		{"signed zero", signed(f64(0), 2), "+0.00"},
		{"signed negative zero", signed(f64(math.Copysign(0, -1)), 2), "+0.00"},
		{"signed negative rounding to zero", signed(f64(-0.004), 2), "+0.00"},
		{"signed positive rounding to zero", signed(f64(0.004), 2), "+0.00"},
		{"signed negative", signed(f64(-1.234), 2), "-1.23"},
		{"signed positive", signed(f64(29.376), 2), "+29.38"},
		{"signed infinity", signed(f64(math.Inf(1)), 2), "+Inf"},
		{"signedInt nil", signedInt(nil), "n/a"},
		{"signedInt zero", signedInt(i64(0)), "+0"},
		{"signedInt negative", signedInt(i64(-7)), "-7"},
		{"signedInt positive", signedInt(i64(12)), "+12"},
		{"intp nil", intp(nil), "n/a"},
		{"intp", intp(i64(-3)), "-3"},
		{"pct zero", pct(0), "0.0%"},
		{"pct third", pct(1.0 / 3), "33.3%"},
		{"pct whole", pct(1), "100.0%"},
		{"trimFloat whole", trimFloat(1, 4), "1"},
		{"trimFloat zero", trimFloat(0, 4), "0"},
		{"trimFloat negative zero", trimFloat(math.Copysign(0, -1), 4), "0"},
		{"trimFloat trailing zeros", trimFloat(0.25, 4), "0.25"},
		{"trimFloat rounded", trimFloat(1.0/3, 4), "0.3333"},
		{"trimFloat below the precision", trimFloat(0.00001, 4), "0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("%s = %q, want %q", tc.name, tc.got, tc.want)
			}
		})
	}
}
