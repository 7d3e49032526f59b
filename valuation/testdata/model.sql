-- moatscore model wx-dm/1.0.0 as SQL, generated from the model's declaration.
-- Run date 2026-01-15; parameters of the configuration inlined.
WITH
company_zone AS (
  SELECT c.company_id, COALESCE(rc.zone, 'unknown') AS zone, COALESCE((SELECT MAX(t.tier) FROM ref_regimes t WHERE t.regime = 'live_rule' AND t.country = c.country AND t.effective_from <= DATE '2026-01-15' AND (t.effective_to IS NULL OR DATE '2026-01-15' < t.effective_to)), (SELECT MAX(t.tier) FROM ref_regimes t WHERE t.regime = 'live_rule' AND t.country = '*' AND t.effective_from <= DATE '2026-01-15' AND (t.effective_to IS NULL OR DATE '2026-01-15' < t.effective_to)), 0) AS tier
  FROM companies c LEFT JOIN ref_countries rc ON rc.code = c.country
),
usage_rows AS (
  SELECT u.company_id, u.provider, u.workload_share AS s,
    u.access = 'api' AS is_api,
    CASE WHEN u.access = 'api' THEN COALESCE(u.annual_spend_usd, 0) ELSE 0 END AS api_spend,
    u.access = 'api' AND CASE WHEN m.id IS NOT NULL THEN NOT m.open_weights ELSE COALESCE(p.closed_api, TRUE) END AS is_closed,
    u.access = 'api' AND m.deprecation IS NOT NULL AND m.deprecation <= DATE '2027-01-15' AS is_deprecated,
    COALESCE(p.zone, 'unknown') AS provider_zone, cz.zone AS company_zone, cz.tier
  FROM model_usage u
  JOIN company_zone cz ON cz.company_id = u.company_id
  LEFT JOIN ref_providers p ON p.id = u.provider
  LEFT JOIN ref_models m ON m.id = LOWER(TRIM(u.model))
),
usage_risk AS (
  SELECT r.*, r.risk0 + (1 - r.risk0) * CASE WHEN r.provider_zone = 'us' THEN CASE WHEN r.tier >= 3 THEN 1.0 WHEN r.tier = 2 THEN 0.5 ELSE 0 END ELSE 0 END AS risk
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
features AS (
  SELECT c.company_id, c.sector, cz.zone, c.api_dependency_share, c.fallback_parity, c.revenue_usd,
    COALESCE(u.usage_rows, 0) AS usage_rows, COALESCE(u.workload_total, 0) AS workload_share_total,
    COALESCE(u.api_workload, 0) AS api_workload, COALESCE(u.closed_api_workload, 0) AS closed_api_workload,
    COALESCE(u.api_spend_usd, 0) AS api_spend_usd, COALESCE(u.jurisdiction_raw, 0) AS jurisdiction_raw,
    COALESCE(u.deprecated_workload, 0) AS deprecated_workload, COALESCE(h.api_hhi_raw, 0) AS api_hhi_raw,
    CASE WHEN COALESCE(u.workload_total, 0) > 1.01 THEN 1.0 / u.workload_total ELSE 1.0 END AS workload_scale
  FROM companies c
  JOIN company_zone cz ON cz.company_id = c.company_id
  LEFT JOIN usage u ON u.company_id = c.company_id
  LEFT JOIN hhi h ON h.company_id = c.company_id
),
wx_values AS (
  SELECT f.*,
    LEAST(GREATEST(api_dependency_share, 0), 1) AS wx_api_dependency,
    LEAST(closed_api_workload * workload_scale, 1) AS wx_closed_api,
    LEAST(api_hhi_raw * workload_scale * workload_scale, 1) AS wx_concentration,
    CASE WHEN revenue_usd > 0 THEN LEAST(api_spend_usd / (0.4 * revenue_usd), 1) WHEN api_spend_usd > 0 THEN 1 ELSE 0 END AS wx_cost_burden,
    1 - COALESCE(LEAST(GREATEST(fallback_parity, 0), 1), 0) AS wx_fallback_gap,
    LEAST(jurisdiction_raw * workload_scale, 1) AS wx_jurisdiction,
    LEAST(deprecated_workload * workload_scale, 1) AS wx_deprecation
  FROM features f
),
wx AS (
  SELECT v.*,
    25.0 * wx_api_dependency AS wx_api_dependency_contrib,
    20.0 * wx_closed_api AS wx_closed_api_contrib,
    10.0 * wx_concentration AS wx_concentration_contrib,
    15.0 * wx_cost_burden AS wx_cost_burden_contrib,
    15.0 * wx_fallback_gap AS wx_fallback_gap_contrib,
    10.0 * wx_jurisdiction AS wx_jurisdiction_contrib,
    5.0 * wx_deprecation AS wx_deprecation_contrib,
    LEAST(GREATEST(25.0 * wx_api_dependency + 20.0 * wx_closed_api + 10.0 * wx_concentration + 15.0 * wx_cost_burden + 15.0 * wx_fallback_gap + 10.0 * wx_jurisdiction + 5.0 * wx_deprecation, 0), 100) AS wrapper_exposure
  FROM wx_values v
),
asset_terms AS (
  SELECT a.company_id, a.exclusivity, a.training_rights,
    CASE exclusivity WHEN 'owned' THEN 1.0 WHEN 'exclusive_license' THEN 0.75 WHEN 'nonexclusive_license' THEN 0.25 ELSE 0.0 END AS t_exclusivity,
    LEAST(GREATEST(LOG10(1 + GREATEST(records, COALESCE(tokens, 0) / 1000.0)) / LOG10(1 + COALESCE(d.reference_size, 1e+08)), 0), 1) AS t_scale,
    COALESCE(LEAST(GREATEST(usage_capture_share, 0), 1), 0) * CASE WHEN refresh_days IS NULL THEN 0 ELSE 30.0 / (30.0 + GREATEST(refresh_days, 0)) END AS t_flywheel,
    GREATEST(COALESCE(LEAST(GREATEST(replication_years, 0) / 5.0, 1), 0), CASE WHEN replication_cost_usd > 100000.0 THEN LEAST(LOG10(replication_cost_usd / 100000.0) / 3.0, 1) ELSE 0 END) AS t_replication,
    COALESCE(d.value_weight, 0.3) AS t_domain_value,
    CASE a.training_rights WHEN 'clear' THEN 1.0 WHEN 'partial' THEN 0.5 WHEN 'unclear' THEN 0.2 ELSE 0.0 END AS rights
  FROM data_assets a LEFT JOIN ref_domains d ON d.id = a.domain
),
asset_sums AS (
  SELECT t.*, 0.35 * t_exclusivity + 0.15 * t_scale + 0.15 * t_flywheel + 0.2 * t_replication + 0.15 * t_domain_value AS s FROM asset_terms t
),
asset_values AS (
  SELECT x.*, CASE WHEN x.v > 0 THEN -LN(1 - x.v) ELSE 0 END AS l
  FROM (SELECT a.*, LEAST(GREATEST(a.rights * a.s, 0), 0.999999999) AS v FROM asset_sums a) x
),
asset_moat AS (
  SELECT company_id, COUNT(*) AS asset_count,
    SUM(CASE WHEN training_rights = 'clear' AND exclusivity IN ('owned', 'exclusive_license') THEN 1 ELSE 0 END) AS exclusive_clear_assets,
    SUM(CASE WHEN training_rights <> 'clear' THEN 1 ELSE 0 END) AS assets_rights_not_clear,
    SUM(l) AS l,
    SUM(CASE WHEN l > 0 THEN l * (0.35 * t_exclusivity / s) ELSE 0 END) AS a_exclusivity,
    SUM(l * t_exclusivity) AS b_exclusivity,
    SUM(CASE WHEN l > 0 THEN l * (0.15 * t_scale / s) ELSE 0 END) AS a_scale,
    SUM(l * t_scale) AS b_scale,
    SUM(CASE WHEN l > 0 THEN l * (0.15 * t_flywheel / s) ELSE 0 END) AS a_flywheel,
    SUM(l * t_flywheel) AS b_flywheel,
    SUM(CASE WHEN l > 0 THEN l * (0.2 * t_replication / s) ELSE 0 END) AS a_replication,
    SUM(l * t_replication) AS b_replication,
    SUM(CASE WHEN l > 0 THEN l * (0.15 * t_domain_value / s) ELSE 0 END) AS a_domain_value,
    SUM(l * t_domain_value) AS b_domain_value
  FROM asset_values GROUP BY company_id
),
dm AS (
  SELECT company_id, asset_count, exclusive_clear_assets, assets_rights_not_clear,
    CASE WHEN l > 0 THEN LEAST(GREATEST(100 * (1 - EXP(-l)), 0), 100) ELSE 0 END AS data_moat, l,
    a_exclusivity, b_exclusivity,
    a_scale, b_scale,
    a_flywheel, b_flywheel,
    a_replication, b_replication,
    a_domain_value, b_domain_value
  FROM asset_moat
),
last_round AS (
  SELECT company_id, announced_on AS last_round_date, stage AS last_round_stage, post_money_usd AS valuation_usd
  FROM (
    SELECT r.*, ROW_NUMBER() OVER (PARTITION BY company_id ORDER BY announced_on DESC, round_id DESC) AS rn
    FROM funding_rounds r WHERE post_money_usd IS NOT NULL AND announced_on <= DATE '2026-01-15'
  ) x WHERE rn = 1
),
round_counts AS (
  SELECT company_id, COUNT(*) AS round_count FROM funding_rounds GROUP BY company_id
),
scored AS (
  SELECT x.company_id, x.sector, x.zone, x.wrapper_exposure, x.api_dependency_share, x.fallback_parity, x.revenue_usd,
    x.workload_share_total, x.api_spend_usd, x.usage_rows, x.wx_api_dependency, x.wx_api_dependency_contrib, x.wx_closed_api, x.wx_closed_api_contrib, x.wx_concentration, x.wx_concentration_contrib, x.wx_cost_burden, x.wx_cost_burden_contrib, x.wx_fallback_gap, x.wx_fallback_gap_contrib, x.wx_jurisdiction, x.wx_jurisdiction_contrib, x.wx_deprecation, x.wx_deprecation_contrib,
    COALESCE(d.data_moat, 0) AS data_moat, COALESCE(d.asset_count, 0) AS asset_count,
    COALESCE(d.exclusive_clear_assets, 0) AS exclusive_clear_assets, COALESCE(d.assets_rights_not_clear, 0) AS assets_rights_not_clear,
    CASE WHEN d.l > 0 THEN d.data_moat * (d.a_exclusivity / d.l) ELSE 0 END AS dm_exclusivity_contrib,
    CASE WHEN d.l > 0 THEN d.b_exclusivity / d.l ELSE 0 END AS dm_exclusivity,
    CASE WHEN d.l > 0 THEN d.data_moat * (d.a_scale / d.l) ELSE 0 END AS dm_scale_contrib,
    CASE WHEN d.l > 0 THEN d.b_scale / d.l ELSE 0 END AS dm_scale,
    CASE WHEN d.l > 0 THEN d.data_moat * (d.a_flywheel / d.l) ELSE 0 END AS dm_flywheel_contrib,
    CASE WHEN d.l > 0 THEN d.b_flywheel / d.l ELSE 0 END AS dm_flywheel,
    CASE WHEN d.l > 0 THEN d.data_moat * (d.a_replication / d.l) ELSE 0 END AS dm_replication_contrib,
    CASE WHEN d.l > 0 THEN d.b_replication / d.l ELSE 0 END AS dm_replication,
    CASE WHEN d.l > 0 THEN d.data_moat * (d.a_domain_value / d.l) ELSE 0 END AS dm_domain_value_contrib,
    CASE WHEN d.l > 0 THEN d.b_domain_value / d.l ELSE 0 END AS dm_domain_value,
    r.valuation_usd, r.last_round_date, r.last_round_stage, COALESCE(rc.round_count, 0) AS round_count,
    COALESCE(cf.rejected_child_rows, 0) AS rejected_child_rows, COALESCE(cf.flagged_child_rows, 0) AS flagged_child_rows
  FROM wx x
  LEFT JOIN dm d ON d.company_id = x.company_id
  LEFT JOIN last_round r ON r.company_id = x.company_id
  LEFT JOIN round_counts rc ON rc.company_id = x.company_id
  LEFT JOIN child_flags cf ON cf.company_id = x.company_id
),
rated AS (
  SELECT s.*,
    data_moat - wrapper_exposure AS net_moat,
    CASE WHEN wrapper_exposure < 25.0 THEN 'low' WHEN wrapper_exposure < 50.0 THEN 'moderate' WHEN wrapper_exposure < 75.0 THEN 'high' ELSE 'severe' END AS wx_band,
    CASE WHEN data_moat >= 60.0 AND exclusive_clear_assets > 0 AND wrapper_exposure < 75.0 THEN 'wide' WHEN data_moat >= 35.0 THEN 'narrow' ELSE 'none' END AS moat_rating,
    wrapper_exposure >= 75.0 AND data_moat < 10.0 AS thin_wrapper,
    workload_share_total > 1.01 AS shares_scaled,
    DATEDIFF(DATE '2026-01-15', last_round_date) AS valuation_age_days,
    valuation_usd * ((1 + 0.3 * (data_moat - 50) / 50) * (1 - 0.4 * wrapper_exposure / 100)) AS adjusted_valuation_usd,
    valuation_usd * ((1 + 0.3 * (data_moat - 50) / 50) * (1 - 0.4 * wrapper_exposure / 100)) - valuation_usd AS adjustment_usd,
    CASE WHEN valuation_usd IS NOT NULL THEN 100 * (((1 + 0.3 * (data_moat - 50) / 50) * (1 - 0.4 * wrapper_exposure / 100)) - 1) END AS adjustment_pct,
    CASE WHEN usage_rows = 0 THEN 2 ELSE 0 END
      + CASE WHEN revenue_usd IS NULL THEN 1 ELSE 0 END
      + CASE WHEN fallback_parity IS NULL AND api_dependency_share > 0 THEN 1 ELSE 0 END
      + CASE WHEN asset_count = 0 THEN 1 ELSE 0 END
      + CASE WHEN assets_rights_not_clear > 0 THEN 1 ELSE 0 END
      + CASE WHEN valuation_usd IS NULL THEN 1 ELSE 0 END
      + CASE WHEN valuation_usd IS NOT NULL AND DATEDIFF(DATE '2026-01-15', last_round_date) > 730 AND DATEDIFF(DATE '2026-01-15', last_round_date) <= 1460 THEN 1 ELSE 0 END
      + CASE WHEN valuation_usd IS NOT NULL AND DATEDIFF(DATE '2026-01-15', last_round_date) > 1460 THEN 2 ELSE 0 END
      + CASE WHEN rejected_child_rows > 0 AND rejected_child_rows < 0.2 * (rejected_child_rows + usage_rows + asset_count + round_count) THEN 1 ELSE 0 END
      + CASE WHEN rejected_child_rows > 0 AND rejected_child_rows >= 0.2 * (rejected_child_rows + usage_rows + asset_count + round_count) THEN 2 ELSE 0 END
      + CASE WHEN flagged_child_rows > 0 THEN 1 ELSE 0 END
      + CASE WHEN workload_share_total > 1.01 THEN 1 ELSE 0 END AS uncertainty_points,
    CONCAT_WS(',', CASE WHEN usage_rows = 0 THEN 'no_usage' END,
      CASE WHEN revenue_usd IS NULL THEN 'missing_revenue' END,
      CASE WHEN fallback_parity IS NULL AND api_dependency_share > 0 THEN 'no_fallback' END,
      CASE WHEN asset_count = 0 THEN 'no_assets' END,
      CASE WHEN assets_rights_not_clear > 0 THEN 'rights_not_clear' END,
      CASE WHEN valuation_usd IS NULL THEN 'no_valuation' END,
      CASE WHEN valuation_usd IS NOT NULL AND DATEDIFF(DATE '2026-01-15', last_round_date) > 730 AND DATEDIFF(DATE '2026-01-15', last_round_date) <= 1460 THEN 'stale_valuation' END,
      CASE WHEN valuation_usd IS NOT NULL AND DATEDIFF(DATE '2026-01-15', last_round_date) > 1460 THEN 'very_stale_valuation' END,
      CASE WHEN rejected_child_rows > 0 AND rejected_child_rows < 0.2 * (rejected_child_rows + usage_rows + asset_count + round_count) THEN 'rejected_child_rows' END,
      CASE WHEN rejected_child_rows > 0 AND rejected_child_rows >= 0.2 * (rejected_child_rows + usage_rows + asset_count + round_count) THEN 'many_rejected_child_rows' END,
      CASE WHEN flagged_child_rows > 0 THEN 'flagged_child_rows' END,
      CASE WHEN workload_share_total > 1.01 THEN 'shares_scaled' END) AS uncertainty_reasons
  FROM scored s
)
SELECT company_id,
  zone,
  wrapper_exposure,
  wx_band,
  data_moat,
  net_moat,
  moat_rating,
  thin_wrapper,
  CASE WHEN uncertainty_points >= 5 THEN 'very_high' WHEN uncertainty_points >= 3 THEN 'high' WHEN uncertainty_points >= 1 THEN 'medium' ELSE 'low' END AS uncertainty,
  uncertainty_reasons,
  valuation_usd,
  last_round_date,
  last_round_stage,
  valuation_age_days,
  adjusted_valuation_usd,
  adjustment_usd,
  adjustment_pct,
  PERCENT_RANK() OVER (PARTITION BY sector ORDER BY wrapper_exposure) * 100 AS wx_pct_sector,
  PERCENT_RANK() OVER (PARTITION BY zone ORDER BY wrapper_exposure) * 100 AS wx_pct_zone,
  PERCENT_RANK() OVER (PARTITION BY sector ORDER BY data_moat) * 100 AS dm_pct_sector,
  PERCENT_RANK() OVER (PARTITION BY zone ORDER BY data_moat) * 100 AS dm_pct_zone,
  workload_share_total,
  shares_scaled,
  api_spend_usd,
  usage_rows,
  asset_count,
  exclusive_clear_assets,
  assets_rights_not_clear,
  round_count,
  rejected_child_rows,
  flagged_child_rows,
  wx_api_dependency,
  wx_api_dependency_contrib,
  wx_closed_api,
  wx_closed_api_contrib,
  wx_concentration,
  wx_concentration_contrib,
  wx_cost_burden,
  wx_cost_burden_contrib,
  wx_fallback_gap,
  wx_fallback_gap_contrib,
  wx_jurisdiction,
  wx_jurisdiction_contrib,
  wx_deprecation,
  wx_deprecation_contrib,
  dm_exclusivity,
  dm_exclusivity_contrib,
  dm_scale,
  dm_scale_contrib,
  dm_flywheel,
  dm_flywheel_contrib,
  dm_replication,
  dm_replication_contrib,
  dm_domain_value,
  dm_domain_value_contrib
FROM rated
