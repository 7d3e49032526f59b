package valuation

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// OutputColumn describes one column of the model's outputs.
type OutputColumn struct {
	Name        string
	Type        arrow.DataType
	Description string
}

// Names of the score columns (see ScoreColumns for all of them).
const (
	ColZone                 = "zone"
	ColWrapperExposure      = "wrapper_exposure"
	ColWXBand               = "wx_band"
	ColDataMoat             = "data_moat"
	ColNetMoat              = "net_moat"
	ColMoatRating           = "moat_rating"
	ColThinWrapper          = "thin_wrapper"
	ColUncertainty          = "uncertainty"
	ColUncertaintyReasons   = "uncertainty_reasons"
	ColValuation            = "valuation_usd"
	ColLastRoundDate        = "last_round_date"
	ColLastRoundStage       = "last_round_stage"
	ColValuationAgeDays     = "valuation_age_days"
	ColAdjustedValuation    = "adjusted_valuation_usd"
	ColAdjustment           = "adjustment_usd"
	ColAdjustmentPct        = "adjustment_pct"
	ColWXPctSector          = "wx_pct_sector"
	ColWXPctZone            = "wx_pct_zone"
	ColDMPctSector          = "dm_pct_sector"
	ColDMPctZone            = "dm_pct_zone"
	ColWorkloadTotal        = "workload_share_total"
	ColSharesScaled         = "shares_scaled"
	ColAPISpend             = "api_spend_usd"
	ColUsageRows            = "usage_rows"
	ColAssetCount           = "asset_count"
	ColExclusiveClearAssets = "exclusive_clear_assets"
	ColRightsNotClearAssets = "assets_rights_not_clear"
	ColRoundCount           = "round_count"
	ColRejectedChildRows    = "rejected_child_rows"
	ColFlaggedChildRows     = "flagged_child_rows"
)

// Names of the scenario columns.
const (
	ColCompanyIndex    = "company_index"
	ColScenario        = "scenario"
	ColScenarioKind    = "scenario_kind"
	ColWXChange        = "wx_change"
	ColValuationChange = "valuation_change_usd"
	ColRevenueAtRisk   = "revenue_at_risk_usd"
)

var (
	f64  = arrow.PrimitiveTypes.Float64
	i32  = arrow.PrimitiveTypes.Int32
	str  = arrow.BinaryTypes.String
	bl   = arrow.FixedWidthTypes.Boolean
	date = arrow.FixedWidthTypes.Date32
)

// ScoreColumns lists the columns of Result.Scores, in order: the fixed
// columns, then wx_<id> and wx_<id>_contrib for each wrapper exposure
// component and dm_<id> and dm_<id>_contrib for each data moat term, in
// declaration order.
func (m *Model) ScoreColumns() []OutputColumn {
	b := m.cfg.WX.Bands
	r := m.cfg.Rating
	cols := []OutputColumn{
		{ColZone, str, "Sovereign AI zone of the company's country: us, eu, cn, other or unknown."},
		{ColWrapperExposure, f64, "Wrapper exposure (WX), 0 to 100, higher is worse: 100 × the weighted mean of the wx_* components; the sum of the wx_*_contrib columns."},
		{ColWXBand, str, fmt.Sprintf("Band of the wrapper exposure: low [0, %v), moderate [%v, %v), high [%v, %v), severe [%v, 100].", b.Moderate, b.Moderate, b.High, b.High, b.Severe, b.Severe)},
		{ColDataMoat, f64, "Data moat (DM), 0 to 100: 100 × (1 − Π(1 − vᵢ)) over the company's assets' values vᵢ; the sum of the dm_*_contrib columns."},
		{ColNetMoat, f64, "Net moat: data_moat − wrapper_exposure, −100 to 100; the default ranking key."},
		{ColMoatRating, str, fmt.Sprintf("Moat rating: wide (data moat >= %v, an owned or exclusively licensed asset with clear training rights, wrapper exposure below %v), narrow (data moat >= %v) or none.", r.WideMinDM, r.WideMaxWX, r.NarrowMinDM)},
		{ColThinWrapper, bl, fmt.Sprintf("Thin wrapper: wrapper exposure >= %v and data moat below %v.", m.cfg.ThinWrapper.MinWX, m.cfg.ThinWrapper.MaxDM)},
		{ColUncertainty, str, "How far to trust the scores: low, medium, high or very_high, from input completeness, the valuation's age and rejected or flagged child rows (see uncertainty_reasons)."},
		{ColUncertaintyReasons, str, "Reasons for the uncertainty, comma-separated codes (no_usage, missing_revenue, no_fallback, no_assets, rights_not_clear, no_valuation, stale_valuation, very_stale_valuation, rejected_child_rows, many_rejected_child_rows, flagged_child_rows, shares_scaled); empty when none."},
		{ColValuation, f64, "Last post-money valuation in USD: the latest round announced on or before the run date with a post-money value; null when none."},
		{ColLastRoundDate, date, "Announcement date of the round valuation_usd comes from; null when none."},
		{ColLastRoundStage, str, "Stage of the round valuation_usd comes from; null when none."},
		{ColValuationAgeDays, i32, "Days from last_round_date to the run date; null when no valuation."},
		{ColAdjustedValuation, f64, fmt.Sprintf("Moat-adjusted valuation in USD: valuation_usd × (1 + %v × (data_moat − 50) ÷ 50) × (1 − %v × wrapper_exposure ÷ 100); null when no valuation.", m.cfg.Premium, m.cfg.Discount)},
		{ColAdjustment, f64, "adjusted_valuation_usd − valuation_usd: the moat premium (positive) or discount (negative) in USD; null when no valuation."},
		{ColAdjustmentPct, f64, "The premium or discount in percent of valuation_usd; null when no valuation."},
		{ColWXPctSector, f64, "Percentile of wrapper_exposure within the company's sector, 0 to 100 (SQL percent_rank × 100; 0 alone in its sector)."},
		{ColWXPctZone, f64, "Percentile of wrapper_exposure within the company's zone, 0 to 100 (SQL percent_rank × 100)."},
		{ColDMPctSector, f64, "Percentile of data_moat within the company's sector, 0 to 100 (SQL percent_rank × 100)."},
		{ColDMPctZone, f64, "Percentile of data_moat within the company's zone, 0 to 100 (SQL percent_rank × 100)."},
		{ColWorkloadTotal, f64, "Sum of the company's workload shares as given, before any scaling."},
		{ColSharesScaled, bl, "Whether the workload shares summed over 1.01 and were scaled down to 1."},
		{ColAPISpend, f64, "Annual spend in USD on models reached by API (nulls count 0)."},
		{ColUsageRows, i32, "Accepted model_usage rows of the company."},
		{ColAssetCount, i32, "Accepted data_assets rows of the company."},
		{ColExclusiveClearAssets, i32, "Owned or exclusively licensed assets with clear training rights."},
		{ColRightsNotClearAssets, i32, "Assets whose training rights are partial, unclear or none: worth less or nothing in the data moat."},
		{ColRoundCount, i32, "Accepted funding_rounds rows of the company."},
		{ColRejectedChildRows, i32, "Rows of the company in model_usage, data_assets and funding_rounds that were rejected."},
		{ColFlaggedChildRows, i32, "Accepted child rows of the company that drew a warning (unknown provider)."},
	}
	for _, c := range m.wx {
		cols = append(cols,
			OutputColumn{c.ValueColumn(), f64, fmt.Sprintf("WX component %s, 0 to 1: %s Formula: %s.", c.Name, c.Description, c.Formula)},
			OutputColumn{c.ContribColumn(), f64, fmt.Sprintf("Contribution of %s to wrapper_exposure in points: 100 × weight %v ÷ Σ weights × %s.", c.Name, c.Weight, c.ValueColumn())},
		)
	}
	for _, c := range m.dm {
		cols = append(cols,
			OutputColumn{c.ValueColumn(), f64, fmt.Sprintf("DM term %s, 0 to 1: its mean over the company's assets weighted by each asset's −ln(1 − vᵢ); 0 with no valued asset. %s Formula: %s.", c.Name, c.Description, c.Formula)},
			OutputColumn{c.ContribColumn(), f64, fmt.Sprintf("Contribution of %s to data_moat in points: data_moat split across assets in proportion to −ln(1 − vᵢ), within an asset in proportion to its weighted terms (weight %v).", c.Name, c.Weight)},
		)
	}
	return cols
}

// ScenarioColumns lists the columns of Result.Scenarios.
func (m *Model) ScenarioColumns() []OutputColumn {
	return []OutputColumn{
		{ColCompanyIndex, i32, "Index of the company: its row in Result.Scores and in the accepted companies."},
		{ColScenario, str, "Scenario name from the configuration (valuation.scenarios)."},
		{ColScenarioKind, str, "Scenario kind: provider_price, zone_cutoff or deprecate_models."},
		{ColWrapperExposure, f64, "Wrapper exposure under the scenario, 0 to 100."},
		{ColWXBand, str, "Band of the wrapper exposure under the scenario."},
		{ColWXChange, f64, "Wrapper exposure under the scenario minus the base wrapper exposure."},
		{ColAdjustedValuation, f64, "Moat-adjusted valuation in USD under the scenario; null when no valuation."},
		{ColValuationChange, f64, "Adjusted valuation under the scenario minus the base adjusted valuation, in USD; null when no valuation."},
		{ColRevenueAtRisk, f64, "Annual revenue in USD the shock puts at risk: for a price rise the extra API cost (at most the revenue); for a cut-off or deprecation revenue × api_dependency_share × the share of API workload hit × fallback gap; null when a needed revenue is unknown."},
	}
}

func schemaOf(cols []OutputColumn, meta map[string]string) *arrow.Schema {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{
			Name:     c.Name,
			Type:     c.Type,
			Nullable: true,
			Metadata: arrow.NewMetadata([]string{"description"}, []string{c.Description}),
		}
	}
	var md *arrow.Metadata
	if meta != nil {
		x := arrow.MetadataFrom(meta)
		md = &x
	}
	return arrow.NewSchema(fields, md)
}
