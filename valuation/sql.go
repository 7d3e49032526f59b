package valuation

import (
	"fmt"
	"strings"
)

// SQL returns the model as one SQL query, generated from the same
// declaration as the Arrow evaluation, with this configuration's
// parameters and the run date inlined: the form a distributed engine runs.
// It reads the accepted, normalised input rows as the tables companies,
// model_usage, data_assets and funding_rounds, the reference tables as
// ref_providers, ref_models, ref_countries, ref_regimes (effective_to null
// when open-ended), ref_zone_risk and ref_domains, and the per-company
// counts of rejected and flagged child rows as child_flags(company_id,
// rejected_child_rows, flagged_child_rows). It returns the score columns
// (ScoreColumns) with company_id. Functions used: LEAST, GREATEST,
// COALESCE, LOG10, LN, EXP, CONCAT_WS, ROW_NUMBER and PERCENT_RANK, and
// DATEDIFF(end, start) in days as Spark SQL writes it (other engines spell
// it differently).
func (m *Model) SQL() string {
	p, c := &m.p, &m.cfg
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	runDate := "DATE '" + m.runDate.Format("2006-01-02") + "'"
	horizon := "DATE '" + m.runDate.AddDate(0, c.WX.DeprecationHorizonMonths, 0).Format("2006-01-02") + "'"

	w("-- moatscore model %s as SQL, generated from the model's declaration.\n", Version)
	w("-- Run date %s; parameters of the configuration inlined.\n", m.runDate.Format("2006-01-02"))
	w("WITH\n")

	// the company's zone and its tier under the active regime
	tier := "0"
	if c.Regime != RegimeNone {
		in := func(country string) string {
			return fmt.Sprintf("(SELECT MAX(t.tier) FROM ref_regimes t WHERE t.regime = '%s' AND t.country = %s AND t.effective_from <= %s AND (t.effective_to IS NULL OR %s < t.effective_to))",
				sqlString(c.Regime), country, runDate, runDate)
		}
		tier = fmt.Sprintf("COALESCE(%s, %s, 0)", in("c.country"), in("'*'"))
	}
	w("company_zone AS (\n  SELECT c.company_id, COALESCE(rc.zone, 'unknown') AS zone, %s AS tier\n", tier)
	w("  FROM companies c LEFT JOIN ref_countries rc ON rc.code = c.country\n),\n")

	// usage rows joined to the reference
	w(`usage_rows AS (
  SELECT u.company_id, u.provider, u.workload_share AS s,
    u.access = 'api' AS is_api,
    CASE WHEN u.access = 'api' THEN COALESCE(u.annual_spend_usd, 0) ELSE 0 END AS api_spend,
    u.access = 'api' AND CASE WHEN m.id IS NOT NULL THEN NOT m.open_weights ELSE COALESCE(p.closed_api, TRUE) END AS is_closed,
    u.access = 'api' AND m.deprecation IS NOT NULL AND m.deprecation <= %s AS is_deprecated,
    COALESCE(p.zone, 'unknown') AS provider_zone, cz.zone AS company_zone, cz.tier
  FROM model_usage u
  JOIN company_zone cz ON cz.company_id = u.company_id
  LEFT JOIN ref_providers p ON p.id = u.provider
  LEFT JOIN ref_models m ON m.id = LOWER(TRIM(u.model))
),
usage_risk AS (
  SELECT r.*, r.risk0 + (1 - r.risk0) * CASE WHEN r.provider_zone = '%s' THEN CASE WHEN r.tier >= 3 THEN %s WHEN r.tier = 2 THEN %s ELSE 0 END ELSE 0 END AS risk
  FROM (
    SELECT ur.*, COALESCE(zr.risk, CASE WHEN ur.company_zone = ur.provider_zone THEN 0 END, zu.risk, 0.5) AS risk0
    FROM usage_rows ur
    LEFT JOIN ref_zone_risk zr ON zr.company_zone = ur.company_zone AND zr.provider_zone = ur.provider_zone
    LEFT JOIN ref_zone_risk zu ON zu.company_zone = ur.company_zone AND zu.provider_zone = 'unknown'
  ) r
),
provider_api AS (
  SELECT company_id, provider, SUM(CASE WHEN is_api THEN s ELSE 0 END) AS api_s
  FROM usage_risk GROUP BY company_id, provider
),
hhi AS (
  SELECT company_id, SUM(api_s * api_s) AS api_hhi_raw FROM provider_api GROUP BY company_id
),
usage AS (
  SELECT company_id, COUNT(*) AS usage_rows, SUM(s) AS workload_total,
    SUM(CASE WHEN is_api THEN s ELSE 0 END) AS api_workload,
    SUM(CASE WHEN is_closed THEN s ELSE 0 END) AS closed_api_workload,
    SUM(api_spend) AS api_spend_usd,
    SUM(CASE WHEN is_closed THEN s * risk ELSE 0 END) AS jurisdiction_raw,
    SUM(CASE WHEN is_deprecated THEN s ELSE 0 END) AS deprecated_workload
  FROM usage_risk GROUP BY company_id
),
`, horizon, sqlString(c.RegimeZone), lit(p.raise3), lit(p.raise2))

	// per-company features and the wrapper exposure
	w(`features AS (
  SELECT c.company_id, c.sector, cz.zone, c.api_dependency_share, c.fallback_parity, c.revenue_usd,
    COALESCE(u.usage_rows, 0) AS usage_rows, COALESCE(u.workload_total, 0) AS workload_share_total,
    COALESCE(u.api_workload, 0) AS api_workload, COALESCE(u.closed_api_workload, 0) AS closed_api_workload,
    COALESCE(u.api_spend_usd, 0) AS api_spend_usd, COALESCE(u.jurisdiction_raw, 0) AS jurisdiction_raw,
    COALESCE(u.deprecated_workload, 0) AS deprecated_workload, COALESCE(h.api_hhi_raw, 0) AS api_hhi_raw,
    CASE WHEN COALESCE(u.workload_total, 0) > %s THEN 1.0 / u.workload_total ELSE 1.0 END AS workload_scale
  FROM companies c
  JOIN company_zone cz ON cz.company_id = c.company_id
  LEFT JOIN usage u ON u.company_id = c.company_id
  LEFT JOIN hhi h ON h.company_id = c.company_id
),
wx_values AS (
  SELECT f.*`, lit(1+ShareTolerance))
	for _, cm := range m.wx {
		w(",\n    %s AS %s", cm.SQL, cm.ValueColumn())
	}
	w("\n  FROM features f\n),\nwx AS (\n  SELECT v.*")
	var sum []string
	for k, cm := range m.wx {
		w(",\n    %s * %s AS %s", lit(m.wxCoef[k]), cm.ValueColumn(), cm.ContribColumn())
		sum = append(sum, fmt.Sprintf("%s * %s", lit(m.wxCoef[k]), cm.ValueColumn()))
	}
	w(",\n    LEAST(GREATEST(%s, 0), 100) AS wrapper_exposure\n  FROM wx_values v\n),\n", strings.Join(sum, " + "))

	// the data moat
	w("asset_terms AS (\n  SELECT a.company_id, a.exclusivity, a.training_rights")
	for _, cm := range m.dm {
		w(",\n    %s AS t_%s", cm.SQL, cm.ID)
	}
	w(",\n    CASE a.training_rights WHEN 'clear' THEN %s WHEN 'partial' THEN %s WHEN 'unclear' THEN %s ELSE 0.0 END AS rights",
		lit(p.rights[0]), lit(p.rights[1]), lit(p.rights[2]))
	w("\n  FROM data_assets a LEFT JOIN ref_domains d ON d.id = a.domain\n),\n")
	var terms []string
	for k, cm := range m.dm {
		terms = append(terms, fmt.Sprintf("%s * t_%s", lit(m.dmCoef[k]), cm.ID))
	}
	w("asset_sums AS (\n  SELECT t.*, %s AS s FROM asset_terms t\n),\n", strings.Join(terms, " + "))
	w("asset_values AS (\n  SELECT x.*, CASE WHEN x.v > 0 THEN -LN(1 - x.v) ELSE 0 END AS l\n")
	w("  FROM (SELECT a.*, LEAST(GREATEST(a.rights * a.s, 0), %s) AS v FROM asset_sums a) x\n),\n", lit(ValueCap))
	w(`asset_moat AS (
  SELECT company_id, COUNT(*) AS asset_count,
    SUM(CASE WHEN training_rights = 'clear' AND exclusivity IN ('owned', 'exclusive_license') THEN 1 ELSE 0 END) AS exclusive_clear_assets,
    SUM(CASE WHEN training_rights <> 'clear' THEN 1 ELSE 0 END) AS assets_rights_not_clear,
    SUM(l) AS l`)
	for k, cm := range m.dm {
		w(",\n    SUM(CASE WHEN l > 0 THEN l * (%s * t_%s / s) ELSE 0 END) AS a_%s", lit(m.dmCoef[k]), cm.ID, cm.ID)
		w(",\n    SUM(l * t_%s) AS b_%s", cm.ID, cm.ID)
	}
	w("\n  FROM asset_values GROUP BY company_id\n),\n")
	w("dm AS (\n  SELECT company_id, asset_count, exclusive_clear_assets, assets_rights_not_clear,\n")
	w("    CASE WHEN l > 0 THEN LEAST(GREATEST(100 * (1 - EXP(-l)), 0), 100) ELSE 0 END AS data_moat, l")
	for _, cm := range m.dm {
		w(",\n    a_%s, b_%s", cm.ID, cm.ID)
	}
	w("\n  FROM asset_moat\n),\n")

	// the last valued round
	w(`last_round AS (
  SELECT company_id, announced_on AS last_round_date, stage AS last_round_stage, post_money_usd AS valuation_usd
  FROM (
    SELECT r.*, ROW_NUMBER() OVER (PARTITION BY company_id ORDER BY announced_on DESC, round_id DESC) AS rn
    FROM funding_rounds r WHERE post_money_usd IS NOT NULL AND announced_on <= %s
  ) x WHERE rn = 1
),
round_counts AS (
  SELECT company_id, COUNT(*) AS round_count FROM funding_rounds GROUP BY company_id
),
`, runDate)

	// everything per company
	w("scored AS (\n  SELECT x.company_id, x.sector, x.zone, x.wrapper_exposure, x.api_dependency_share, x.fallback_parity, x.revenue_usd,\n")
	w("    x.workload_share_total, x.api_spend_usd, x.usage_rows")
	for _, cm := range m.wx {
		w(", x.%s, x.%s", cm.ValueColumn(), cm.ContribColumn())
	}
	w(",\n    COALESCE(d.data_moat, 0) AS data_moat, COALESCE(d.asset_count, 0) AS asset_count,\n")
	w("    COALESCE(d.exclusive_clear_assets, 0) AS exclusive_clear_assets, COALESCE(d.assets_rights_not_clear, 0) AS assets_rights_not_clear")
	for _, cm := range m.dm {
		w(",\n    CASE WHEN d.l > 0 THEN d.data_moat * (d.a_%s / d.l) ELSE 0 END AS %s", cm.ID, cm.ContribColumn())
		w(",\n    CASE WHEN d.l > 0 THEN d.b_%s / d.l ELSE 0 END AS %s", cm.ID, cm.ValueColumn())
	}
	w(`,
    r.valuation_usd, r.last_round_date, r.last_round_stage, COALESCE(rc.round_count, 0) AS round_count,
    COALESCE(cf.rejected_child_rows, 0) AS rejected_child_rows, COALESCE(cf.flagged_child_rows, 0) AS flagged_child_rows
  FROM wx x
  LEFT JOIN dm d ON d.company_id = x.company_id
  LEFT JOIN last_round r ON r.company_id = x.company_id
  LEFT JOIN round_counts rc ON rc.company_id = x.company_id
  LEFT JOIN child_flags cf ON cf.company_id = x.company_id
),
`)
	bands := c.WX.Bands
	r := c.Rating
	factor := fmt.Sprintf("((1 + %s * (data_moat - 50) / 50) * (1 - %s * wrapper_exposure / 100))", lit(c.Premium), lit(c.Discount))
	w(`rated AS (
  SELECT s.*,
    data_moat - wrapper_exposure AS net_moat,
    CASE WHEN wrapper_exposure < %s THEN 'low' WHEN wrapper_exposure < %s THEN 'moderate' WHEN wrapper_exposure < %s THEN 'high' ELSE 'severe' END AS wx_band,
    CASE WHEN data_moat >= %s AND exclusive_clear_assets > 0 AND wrapper_exposure < %s THEN 'wide' WHEN data_moat >= %s THEN 'narrow' ELSE 'none' END AS moat_rating,
    wrapper_exposure >= %s AND data_moat < %s AS thin_wrapper,
    workload_share_total > %s AS shares_scaled,
    DATEDIFF(%s, last_round_date) AS valuation_age_days,
    valuation_usd * %s AS adjusted_valuation_usd,
    valuation_usd * %s - valuation_usd AS adjustment_usd,
    CASE WHEN valuation_usd IS NOT NULL THEN 100 * (%s - 1) END AS adjustment_pct,
`, lit(bands.Moderate), lit(bands.High), lit(bands.Severe), lit(r.WideMinDM), lit(r.WideMaxWX), lit(r.NarrowMinDM),
		lit(c.ThinWrapper.MinWX), lit(c.ThinWrapper.MaxDM), lit(1+ShareTolerance), runDate, factor, factor, factor)
	u := c.Uncertainty
	conds := []string{
		"usage_rows = 0",
		"revenue_usd IS NULL",
		"fallback_parity IS NULL AND api_dependency_share > 0",
		"asset_count = 0",
		"assets_rights_not_clear > 0",
		"valuation_usd IS NULL",
		fmt.Sprintf("valuation_usd IS NOT NULL AND DATEDIFF(%s, last_round_date) > %d AND DATEDIFF(%s, last_round_date) <= %d", runDate, u.StaleValuationDays, runDate, u.VeryStaleValuationDays),
		fmt.Sprintf("valuation_usd IS NOT NULL AND DATEDIFF(%s, last_round_date) > %d", runDate, u.VeryStaleValuationDays),
		fmt.Sprintf("rejected_child_rows > 0 AND rejected_child_rows < %s * (rejected_child_rows + usage_rows + asset_count + round_count)", lit(u.HighRejectShare)),
		fmt.Sprintf("rejected_child_rows > 0 AND rejected_child_rows >= %s * (rejected_child_rows + usage_rows + asset_count + round_count)", lit(u.HighRejectShare)),
		"flagged_child_rows > 0",
		fmt.Sprintf("workload_share_total > %s", lit(1+ShareTolerance)),
	}
	var points, reasons []string
	for k, rs := range UncertaintyReasons {
		points = append(points, fmt.Sprintf("CASE WHEN %s THEN %d ELSE 0 END", conds[k], rs.Points))
		reasons = append(reasons, fmt.Sprintf("CASE WHEN %s THEN '%s' END", conds[k], rs.Code))
	}
	w("    %s AS uncertainty_points,\n", strings.Join(points, "\n      + "))
	w("    CONCAT_WS(',', %s) AS uncertainty_reasons\n  FROM scored s\n)\n", strings.Join(reasons, ",\n      "))

	// the output columns
	l := u.Levels
	w("SELECT company_id")
	for _, oc := range m.ScoreColumns() {
		switch oc.Name {
		case ColUncertainty:
			w(",\n  CASE WHEN uncertainty_points >= %d THEN 'very_high' WHEN uncertainty_points >= %d THEN 'high' WHEN uncertainty_points >= %d THEN 'medium' ELSE 'low' END AS %s",
				l.VeryHigh, l.High, l.Medium, oc.Name)
		case ColWXPctSector:
			w(",\n  PERCENT_RANK() OVER (PARTITION BY sector ORDER BY wrapper_exposure) * 100 AS %s", oc.Name)
		case ColWXPctZone:
			w(",\n  PERCENT_RANK() OVER (PARTITION BY zone ORDER BY wrapper_exposure) * 100 AS %s", oc.Name)
		case ColDMPctSector:
			w(",\n  PERCENT_RANK() OVER (PARTITION BY sector ORDER BY data_moat) * 100 AS %s", oc.Name)
		case ColDMPctZone:
			w(",\n  PERCENT_RANK() OVER (PARTITION BY zone ORDER BY data_moat) * 100 AS %s", oc.Name)
		default:
			w(",\n  %s", oc.Name)
		}
	}
	w("\nFROM rated\n")
	return b.String()
}

func sqlString(s string) string { return strings.ReplaceAll(s, "'", "''") }
