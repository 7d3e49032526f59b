package reports_test

import (
	"fmt"
	"os"
	"strings"
	"time"

	"moatscore/reports"
)

func ExampleWriteSummary() {
	s := &reports.Summary{
		Status:  "published",
		RunID:   "20260115-093000Z-1a2b3c4d",
		RunDate: "2026-01-15",
		Tables: []reports.SummaryTable{
			{Table: "companies", RowsIn: 200, Accepted: 199, Rejected: 1},
			{Table: "model_usage", RowsIn: 640, Accepted: 640},
		},
		Warnings:  []reports.SummaryWarning{{Code: "unknown_provider", Table: "model_usage", Count: 3}},
		RankBy:    "net_moat",
		Companies: 199,
		Top: []reports.SummaryCompany{
			{Rank: 1, CompanyID: "C001", Name: "Acme Data", Sector: "insurance", WrapperExposure: 4.3, DataMoat: 91.5, Rating: "wide", Trend: "new"},
			// Names come from the input files: a newline or an escape
			// sequence in one is shown as a space, the row stays one line.
			{Rank: 2, CompanyID: "C002", Name: "Wrapper\nCo\x1b[31m", Sector: "ecommerce", WrapperExposure: 88, DataMoat: 3.7, Rating: "none", Trend: "new"},
		},
		Outputs: []string{"out/scores/run_date=2026-01-15"},
		Stages:  []reports.SummaryStage{{Stage: "read", Elapsed: 1500 * time.Millisecond}},
		Total:   2 * time.Second,
	}
	if err := reports.WriteSummary(os.Stdout, s); err != nil {
		fmt.Println(err)
	}
	// Output:
	// moatscore run 2026-01-15: published, run id 20260115-093000Z-1a2b3c4d
	//
	// Rows
	//           table  rows in  accepted  rejected  reject share
	//       companies      200       199         1         0.50%
	//     model_usage      640       640         0         0.00%
	//   warning: model_usage: 3 unknown provider
	//
	// Top 2 of 199 companies by net_moat
	//   rank  company  name             sector     WX    DM    rating  trend
	//   1     C001     Acme Data        insurance  4.3   91.5  wide    new
	//   2     C002     Wrapper Co [31m  ecommerce  88.0  3.7   none    new
	//
	// Outputs
	//   out/scores/run_date=2026-01-15
	//
	// Time per stage
	//      read  1.5s
	//     total    2s
}

func ExampleWriteExplanation() {
	wx, dm := 12.5, 64.0
	apiDep, apiDepPts := 0.5, 12.5
	rank, sectorRank, zoneRank := int64(7), int64(2), int64(3)
	valuation, adjusted, adjustment := 25e6, 28.75e6, 15.0
	age := int64(120)
	e := &reports.Explanation{
		CompanyID: "C001", Name: "Acme Data",
		Country: "DE", Sector: "insurance", Zone: "eu",
		RunDate: "2026-01-15", RunID: "20260115-093000Z-1a2b3c4d", ModelVersion: "wx-dm/1.0.0",
		RankBy: "net_moat", Rank: &rank, SectorRank: &sectorRank, ZoneRank: &zoneRank,
		WrapperExposure: &wx, WXBand: "low", DataMoat: &dm, Rating: "wide", Uncertainty: "low",
		WX: []reports.ExplainComponent{
			{Column: "wx_api_dependency", Name: "API dependency", Value: &apiDep, Weight: 0.25, Share: 1, Contribution: &apiDepPts},
		},
		ValuationUSD: &valuation, AdjustedUSD: &adjusted, AdjustmentPct: &adjustment,
		LastRoundDate: "2025-09-17", LastRoundStage: "seed", ValuationAgeDays: &age,
		Trend: "new",
	}
	var b strings.Builder
	if err := reports.WriteExplanation(&b, e); err != nil {
		fmt.Println(err)
	}
	// The cells of the tables are padded with blanks; they are trimmed
	// here only because an example's expected output cannot end a line
	// with one.
	for line := range strings.Lines(b.String()) {
		fmt.Println(strings.TrimRight(line, " \n"))
	}
	// Output:
	// C001 — Acme Data
	// country DE, zone eu, sector insurance
	// run 2026-01-15 (run id 20260115-093000Z-1a2b3c4d, model wx-dm/1.0.0)
	//
	// Scores
	//   wrapper exposure  12.50  low
	//   data moat         64.00
	//   moat rating       wide
	//   thin wrapper      no
	//   uncertainty       low
	//   rank by net_moat  7      sector 2, zone 3
	//
	// Wrapper exposure components (contribution in points of WX)
	//          component   value  weight   share  contribution
	//     API dependency  0.5000    0.25  100.0%         12.50
	//              total                                 12.50
	//
	// Valuation
	//   last post-money valuation  25,000,000 USD  (seed, 2025-09-17, 120 days old)
	//   moat-adjusted valuation    28,750,000 USD  (+15.00%)
	//
	// Trend
	//   new: no earlier published run
}
