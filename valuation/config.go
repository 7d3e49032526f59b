package valuation

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"moatscore/data"
)

// Config holds the valuation.* settings: every weight, threshold and
// parameter of the model and the scenarios. The command line fills it from
// DefaultConfig, the config file, MOATSCORE_* variables and flags; its JSON
// form (the json tags, maps with sorted keys) is recorded with every run.
type Config struct {
	// Regime is the jurisdiction regime of the reference data that is
	// active for the run ("none": no regime). A country's tier is the one
	// the regime gives it on the run date.
	Regime string `mapstructure:"regime" yaml:"regime" json:"regime"`
	// RegimeZone is the provider zone whose closed models the regimes
	// control (the AI Diffusion Rule is a US rule: "us").
	RegimeZone  string            `mapstructure:"regime_zone" yaml:"regime_zone" json:"regime_zone"`
	WX          WXConfig          `mapstructure:"wx" yaml:"wx" json:"wx"`
	DM          DMConfig          `mapstructure:"dm" yaml:"dm" json:"dm"`
	Rating      RatingConfig      `mapstructure:"rating" yaml:"rating" json:"rating"`
	ThinWrapper ThinWrapperConfig `mapstructure:"thin_wrapper" yaml:"thin_wrapper" json:"thin_wrapper"`
	// Premium is p: the valuation moves by up to ±p with the data moat,
	// V × (1 + p·(DM − 50)/50).
	Premium float64 `mapstructure:"premium" yaml:"premium" json:"premium"`
	// Discount is d: the valuation falls by up to d with wrapper exposure,
	// V × (1 − d·WX/100).
	Discount    float64           `mapstructure:"discount" yaml:"discount" json:"discount"`
	Uncertainty UncertaintyConfig `mapstructure:"uncertainty" yaml:"uncertainty" json:"uncertainty"`
	Scenarios   []Scenario        `mapstructure:"scenarios" yaml:"scenarios" json:"scenarios"`
}

// WXConfig holds the wrapper exposure settings.
type WXConfig struct {
	// Weights of the components, by component id. WX is the weighted mean
	// of the components × 100, so only the ratios matter.
	Weights map[string]float64 `mapstructure:"weights" yaml:"weights" json:"weights"`
	Bands   Bands              `mapstructure:"bands" yaml:"bands" json:"bands"`
	// CostBurdenSaturation is the API spend ÷ revenue at which the cost
	// burden reaches 1.
	CostBurdenSaturation float64 `mapstructure:"cost_burden_saturation" yaml:"cost_burden_saturation" json:"cost_burden_saturation"`
	// DeprecationHorizonMonths: models deprecated on or before the run date
	// plus this many months count as deprecated.
	DeprecationHorizonMonths int `mapstructure:"deprecation_horizon_months" yaml:"deprecation_horizon_months" json:"deprecation_horizon_months"`
	// RegimeRaise moves a row's zone-pair risk r towards 1, to
	// r + (1 − r)·raise, for countries the active regime restricts.
	RegimeRaise RegimeRaise `mapstructure:"regime_raise" yaml:"regime_raise" json:"regime_raise"`
}

// Bands are the lower bounds of the wrapper exposure bands above low:
// [0, Moderate) low, [Moderate, High) moderate, [High, Severe) high,
// [Severe, 100] severe.
type Bands struct {
	Moderate float64 `mapstructure:"moderate" yaml:"moderate" json:"moderate"`
	High     float64 `mapstructure:"high" yaml:"high" json:"high"`
	Severe   float64 `mapstructure:"severe" yaml:"severe" json:"severe"`
}

// RegimeRaise holds the raise of the zone-pair risk by regime tier; tier 1
// (and no tier) raises nothing, tiers above 3 raise as tier 3.
type RegimeRaise struct {
	Tier2 float64 `mapstructure:"tier2" yaml:"tier2" json:"tier2"`
	Tier3 float64 `mapstructure:"tier3" yaml:"tier3" json:"tier3"`
}

// DMConfig holds the data moat settings.
type DMConfig struct {
	// Weights of the asset terms, by term id; an asset's value is the
	// weighted mean of its terms times its rights factor.
	Weights map[string]float64 `mapstructure:"weights" yaml:"weights" json:"weights"`
	// Rights is the factor of each training_rights value except none,
	// which is always 0.
	Rights map[string]float64 `mapstructure:"rights" yaml:"rights" json:"rights"`
	// Exclusivity is the exclusivity term of each exclusivity value.
	Exclusivity map[string]float64 `mapstructure:"exclusivity" yaml:"exclusivity" json:"exclusivity"`
	// TokensPerRecord converts tokens to records for the scale term: an
	// asset's size is max(records, tokens ÷ TokensPerRecord).
	TokensPerRecord float64 `mapstructure:"tokens_per_record" yaml:"tokens_per_record" json:"tokens_per_record"`
	// FreshnessHalfLifeDays is the refresh interval at which freshness is
	// one half: freshness = H ÷ (H + refresh_days); static assets 0.
	FreshnessHalfLifeDays float64 `mapstructure:"freshness_half_life_days" yaml:"freshness_half_life_days" json:"freshness_half_life_days"`
	// ReplicationYearsSaturation is the replication time at which the
	// replication term reaches 1.
	ReplicationYearsSaturation float64 `mapstructure:"replication_years_saturation" yaml:"replication_years_saturation" json:"replication_years_saturation"`
	// ReplicationCostFloorUSD and ReplicationCostSaturationUSD bound the
	// log scale of the replication cost: 0 at the floor, 1 at saturation.
	ReplicationCostFloorUSD      float64 `mapstructure:"replication_cost_floor_usd" yaml:"replication_cost_floor_usd" json:"replication_cost_floor_usd"`
	ReplicationCostSaturationUSD float64 `mapstructure:"replication_cost_saturation_usd" yaml:"replication_cost_saturation_usd" json:"replication_cost_saturation_usd"`
	// UnknownDomainValue and UnknownDomainReferenceSize stand in for a
	// domain that is not in the domains reference.
	UnknownDomainValue         float64 `mapstructure:"unknown_domain_value" yaml:"unknown_domain_value" json:"unknown_domain_value"`
	UnknownDomainReferenceSize float64 `mapstructure:"unknown_domain_reference_size" yaml:"unknown_domain_reference_size" json:"unknown_domain_reference_size"`
}

// RatingConfig holds the moat rating thresholds.
type RatingConfig struct {
	// WideMinDM: a wide moat needs a data moat of at least this, an
	// exclusive rights-clear asset and a wrapper exposure below WideMaxWX.
	WideMinDM float64 `mapstructure:"wide_min_dm" yaml:"wide_min_dm" json:"wide_min_dm"`
	WideMaxWX float64 `mapstructure:"wide_max_wx" yaml:"wide_max_wx" json:"wide_max_wx"`
	// NarrowMinDM: a narrow moat needs a data moat of at least this.
	NarrowMinDM float64 `mapstructure:"narrow_min_dm" yaml:"narrow_min_dm" json:"narrow_min_dm"`
}

// ThinWrapperConfig holds the thin-wrapper flag thresholds: WX at least
// MinWX and DM below MaxDM.
type ThinWrapperConfig struct {
	MinWX float64 `mapstructure:"min_wx" yaml:"min_wx" json:"min_wx"`
	MaxDM float64 `mapstructure:"max_dm" yaml:"max_dm" json:"max_dm"`
}

// UncertaintyConfig holds the uncertainty thresholds.
type UncertaintyConfig struct {
	// StaleValuationDays and VeryStaleValuationDays: a last round older
	// than these adds one or two points.
	StaleValuationDays     int `mapstructure:"stale_valuation_days" yaml:"stale_valuation_days" json:"stale_valuation_days"`
	VeryStaleValuationDays int `mapstructure:"very_stale_valuation_days" yaml:"very_stale_valuation_days" json:"very_stale_valuation_days"`
	// HighRejectShare: when at least this share of a company's child rows
	// was rejected, the rejects add two points instead of one.
	HighRejectShare float64 `mapstructure:"high_reject_share" yaml:"high_reject_share" json:"high_reject_share"`
	// Levels are the points from which the level is medium, high and
	// very_high (below Medium: low).
	Levels UncertaintyLevels `mapstructure:"levels" yaml:"levels" json:"levels"`
}

// UncertaintyLevels are the lowest points of each level above low.
type UncertaintyLevels struct {
	Medium   int `mapstructure:"medium" yaml:"medium" json:"medium"`
	High     int `mapstructure:"high" yaml:"high" json:"high"`
	VeryHigh int `mapstructure:"very_high" yaml:"very_high" json:"very_high"`
}

// Scenario kinds.
const (
	KindProviderPrice   = "provider_price"   // Provider's prices × Factor
	KindZoneCutoff      = "zone_cutoff"      // closed APIs of Zone cut off for countries of Tiers under Regime
	KindDeprecateModels = "deprecate_models" // Models deprecated now
)

// ScenarioKinds lists the scenario kinds.
var ScenarioKinds = []string{KindProviderPrice, KindZoneCutoff, KindDeprecateModels}

// MaxScenarios is the most scenarios a configuration may list.
const MaxScenarios = 64

// Scenario is a named shock that re-scores every company.
type Scenario struct {
	Name string `mapstructure:"name" yaml:"name" json:"name"`
	Kind string `mapstructure:"kind" yaml:"kind" json:"kind"`
	// provider_price
	Provider string  `mapstructure:"provider" yaml:"provider,omitempty" json:"provider,omitempty"`
	Factor   float64 `mapstructure:"factor" yaml:"factor,omitempty" json:"factor,omitempty"`
	// zone_cutoff
	Regime string `mapstructure:"regime" yaml:"regime,omitempty" json:"regime,omitempty"`
	Zone   string `mapstructure:"zone" yaml:"zone,omitempty" json:"zone,omitempty"`
	Tiers  []int  `mapstructure:"tiers" yaml:"tiers,omitempty" json:"tiers,omitempty"`
	// deprecate_models
	Models []string `mapstructure:"models" yaml:"models,omitempty" json:"models,omitempty"`
}

// RegimeNone is the value of Config.Regime when no regime is active.
const RegimeNone = "none"

// DefaultConfig returns the documented default settings (docs/methodology.md
// gives the reason for each).
func DefaultConfig() Config {
	return Config{
		Regime:     RegimeNone,
		RegimeZone: data.ZoneUS,
		WX: WXConfig{
			Weights: map[string]float64{
				"api_dependency": 0.25,
				"closed_api":     0.20,
				"concentration":  0.10,
				"cost_burden":    0.15,
				"fallback_gap":   0.15,
				"jurisdiction":   0.10,
				"deprecation":    0.05,
			},
			Bands:                    Bands{Moderate: 25, High: 50, Severe: 75},
			CostBurdenSaturation:     0.40,
			DeprecationHorizonMonths: 12,
			RegimeRaise:              RegimeRaise{Tier2: 0.5, Tier3: 1},
		},
		DM: DMConfig{
			Weights: map[string]float64{
				"exclusivity":  0.35,
				"scale":        0.15,
				"flywheel":     0.15,
				"replication":  0.20,
				"domain_value": 0.15,
			},
			Rights: map[string]float64{
				"clear":   1,
				"partial": 0.5,
				"unclear": 0.2,
			},
			Exclusivity: map[string]float64{
				"owned":                1,
				"exclusive_license":    0.75,
				"nonexclusive_license": 0.25,
				"public":               0,
			},
			TokensPerRecord:              1000,
			FreshnessHalfLifeDays:        30,
			ReplicationYearsSaturation:   5,
			ReplicationCostFloorUSD:      1e5,
			ReplicationCostSaturationUSD: 1e8,
			UnknownDomainValue:           0.3,
			UnknownDomainReferenceSize:   1e8,
		},
		Rating:      RatingConfig{WideMinDM: 60, WideMaxWX: 75, NarrowMinDM: 35},
		ThinWrapper: ThinWrapperConfig{MinWX: 75, MaxDM: 10},
		Premium:     0.30,
		Discount:    0.40,
		Uncertainty: UncertaintyConfig{
			StaleValuationDays:     730,
			VeryStaleValuationDays: 1460,
			HighRejectShare:        0.2,
			Levels:                 UncertaintyLevels{Medium: 1, High: 3, VeryHigh: 5},
		},
		Scenarios: []Scenario{
			{Name: "openai_price_x1_5", Kind: KindProviderPrice, Provider: "openai", Factor: 1.5},
			{Name: "anthropic_price_x2", Kind: KindProviderPrice, Provider: "anthropic", Factor: 2},
			{Name: "us_apis_cut_off_tier2_3", Kind: KindZoneCutoff, Regime: "ai_diffusion_2025", Zone: data.ZoneUS, Tiers: []int{2, 3}},
			{Name: "us_apis_cut_off_tier3", Kind: KindZoneCutoff, Regime: "ai_diffusion_2025", Zone: data.ZoneUS, Tiers: []int{3}},
			{Name: "gpt_4o_family_deprecated", Kind: KindDeprecateModels, Models: []string{"gpt-4o", "gpt-4o-mini"}},
		},
	}
}

// Rights values other than none, and exclusivity values, in contract order.
var (
	rightsKeys      = []string{"clear", "partial", "unclear"}
	exclusivityKeys = []string{"owned", "exclusive_license", "nonexclusive_license", "public"}
	zoneKeys        = []string{data.ZoneUS, data.ZoneEU, data.ZoneCN, data.ZoneOther, data.ZoneUnknown}
)

// Validate checks every setting and returns all the problems found, each
// naming its key (valuation.wx.weights.cost_burden: must be >= 0).
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("valuation.%s: %s", key, fmt.Sprintf(format, args...)))
	}
	finite := func(key string, v float64) bool {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			bad(key, "must be a finite number, got %v", v)
			return false
		}
		return true
	}
	between := func(key string, v, lo, hi float64) {
		if finite(key, v) && (v < lo || v > hi) {
			bad(key, "must be between %v and %v, got %v", lo, hi, v)
		}
	}
	positive := func(key string, v float64) {
		if finite(key, v) && v <= 0 {
			bad(key, "must be > 0, got %v", v)
		}
	}
	weights := func(key string, m map[string]float64, decls []string) {
		sum := 0.0
		for _, id := range decls {
			w, ok := m[id]
			switch {
			case !ok:
				bad(key+"."+id, "missing")
			case !finite(key+"."+id, w):
			case w < 0:
				bad(key+"."+id, "must be >= 0, got %v", w)
			default:
				sum += w
			}
		}
		for _, k := range sortedKeys(m) {
			if !slices.Contains(decls, k) {
				bad(key+"."+k, "unknown component (known: %s)", strings.Join(decls, ", "))
			}
		}
		if sum <= 0 {
			bad(key, "the weights must add up to more than 0")
		}
	}
	factors := func(key string, m map[string]float64, keys []string, extra string) {
		for _, k := range keys {
			v, ok := m[k]
			if !ok {
				bad(key+"."+k, "missing")
				continue
			}
			between(key+"."+k, v, 0, 1)
		}
		for _, k := range sortedKeys(m) {
			if !slices.Contains(keys, k) {
				bad(key+"."+k, "unknown value (known: %s)%s", strings.Join(keys, ", "), extra)
			}
		}
		for i := 1; i < len(keys); i++ {
			a, b := m[keys[i-1]], m[keys[i]]
			if a < b {
				bad(key+"."+keys[i], "must not exceed %s (%v), got %v", keys[i-1], a, b)
			}
		}
	}

	if c.Regime == "" {
		bad("regime", "must be a regime id of the reference data or %q", RegimeNone)
	}
	if !slices.Contains(zoneKeys[:4], c.RegimeZone) {
		bad("regime_zone", "must be one of %s, got %q", strings.Join(zoneKeys[:4], ", "), c.RegimeZone)
	}

	weights("wx.weights", c.WX.Weights, componentIDs(wxDecls))
	b := c.WX.Bands
	if finite("wx.bands.moderate", b.Moderate) && finite("wx.bands.high", b.High) && finite("wx.bands.severe", b.Severe) {
		if !(0 < b.Moderate && b.Moderate < b.High && b.High < b.Severe && b.Severe <= 100) {
			bad("wx.bands", "must rise strictly within (0, 100]: moderate %v, high %v, severe %v", b.Moderate, b.High, b.Severe)
		}
	}
	between("wx.cost_burden_saturation", c.WX.CostBurdenSaturation, 1e-9, math.MaxFloat64)
	if c.WX.DeprecationHorizonMonths < 0 || c.WX.DeprecationHorizonMonths > 120 {
		bad("wx.deprecation_horizon_months", "must be between 0 and 120, got %d", c.WX.DeprecationHorizonMonths)
	}
	between("wx.regime_raise.tier2", c.WX.RegimeRaise.Tier2, 0, 1)
	between("wx.regime_raise.tier3", c.WX.RegimeRaise.Tier3, 0, 1)
	if c.WX.RegimeRaise.Tier3 < c.WX.RegimeRaise.Tier2 {
		bad("wx.regime_raise.tier3", "must not be below tier2 (%v), got %v", c.WX.RegimeRaise.Tier2, c.WX.RegimeRaise.Tier3)
	}

	weights("dm.weights", c.DM.Weights, componentIDs(dmDecls))
	factors("dm.rights", c.DM.Rights, rightsKeys, `; "none" is always 0`)
	factors("dm.exclusivity", c.DM.Exclusivity, exclusivityKeys, "")
	positive("dm.tokens_per_record", c.DM.TokensPerRecord)
	positive("dm.freshness_half_life_days", c.DM.FreshnessHalfLifeDays)
	positive("dm.replication_years_saturation", c.DM.ReplicationYearsSaturation)
	positive("dm.replication_cost_floor_usd", c.DM.ReplicationCostFloorUSD)
	if finite("dm.replication_cost_saturation_usd", c.DM.ReplicationCostSaturationUSD) && !(c.DM.ReplicationCostSaturationUSD > c.DM.ReplicationCostFloorUSD) {
		bad("dm.replication_cost_saturation_usd", "must be above replication_cost_floor_usd (%v), got %v", c.DM.ReplicationCostFloorUSD, c.DM.ReplicationCostSaturationUSD)
	}
	between("dm.unknown_domain_value", c.DM.UnknownDomainValue, 0, 1)
	positive("dm.unknown_domain_reference_size", c.DM.UnknownDomainReferenceSize)

	between("rating.wide_min_dm", c.Rating.WideMinDM, 0, 100)
	between("rating.wide_max_wx", c.Rating.WideMaxWX, 0, 100)
	between("rating.narrow_min_dm", c.Rating.NarrowMinDM, 0, 100)
	if c.Rating.NarrowMinDM > c.Rating.WideMinDM {
		bad("rating.narrow_min_dm", "must not exceed wide_min_dm (%v), got %v", c.Rating.WideMinDM, c.Rating.NarrowMinDM)
	}
	between("thin_wrapper.min_wx", c.ThinWrapper.MinWX, 0, 100)
	between("thin_wrapper.max_dm", c.ThinWrapper.MaxDM, 0, 100)
	between("premium", c.Premium, 0, 1)
	between("discount", c.Discount, 0, 1)

	u := c.Uncertainty
	if u.StaleValuationDays <= 0 {
		bad("uncertainty.stale_valuation_days", "must be > 0, got %d", u.StaleValuationDays)
	}
	if u.VeryStaleValuationDays < u.StaleValuationDays {
		bad("uncertainty.very_stale_valuation_days", "must not be below stale_valuation_days (%d), got %d", u.StaleValuationDays, u.VeryStaleValuationDays)
	}
	between("uncertainty.high_reject_share", u.HighRejectShare, 0, 1)
	if !(0 < u.Levels.Medium && u.Levels.Medium <= u.Levels.High && u.Levels.High <= u.Levels.VeryHigh) {
		bad("uncertainty.levels", "must satisfy 0 < medium <= high <= very_high: medium %d, high %d, very_high %d", u.Levels.Medium, u.Levels.High, u.Levels.VeryHigh)
	}

	if len(c.Scenarios) > MaxScenarios {
		bad("scenarios", "at most %d scenarios, got %d", MaxScenarios, len(c.Scenarios))
	}
	names := map[string]int{}
	for i, s := range c.Scenarios {
		key := fmt.Sprintf("scenarios[%d]", i)
		if s.Name == "" {
			bad(key+".name", "missing")
		} else if j, dup := names[s.Name]; dup {
			bad(key+".name", "%q is also the name of scenarios[%d]", s.Name, j)
		} else {
			names[s.Name] = i
		}
		unused := func(field string, set bool) {
			if set {
				bad(key+"."+field, "not used by kind %s", s.Kind)
			}
		}
		switch s.Kind {
		case KindProviderPrice:
			if strings.TrimSpace(s.Provider) == "" {
				bad(key+".provider", "missing")
			}
			if finite(key+".factor", s.Factor) && s.Factor <= 0 {
				bad(key+".factor", "must be > 0, got %v", s.Factor)
			}
			unused("regime", s.Regime != "")
			unused("zone", s.Zone != "")
			unused("tiers", len(s.Tiers) > 0)
			unused("models", len(s.Models) > 0)
		case KindZoneCutoff:
			if strings.TrimSpace(s.Regime) == "" || s.Regime == RegimeNone {
				bad(key+".regime", "missing")
			}
			if !slices.Contains(zoneKeys, s.Zone) {
				bad(key+".zone", "must be one of %s, got %q", strings.Join(zoneKeys, ", "), s.Zone)
			}
			if len(s.Tiers) == 0 {
				bad(key+".tiers", "missing")
			}
			for j, t := range s.Tiers {
				if t < 1 {
					bad(fmt.Sprintf("%s.tiers[%d]", key, j), "must be >= 1, got %d", t)
				}
			}
			unused("provider", s.Provider != "")
			unused("factor", s.Factor != 0)
			unused("models", len(s.Models) > 0)
		case KindDeprecateModels:
			if len(s.Models) == 0 {
				bad(key+".models", "missing")
			}
			for j, m := range s.Models {
				if strings.TrimSpace(m) == "" {
					bad(fmt.Sprintf("%s.models[%d]", key, j), "empty model id")
				}
			}
			unused("provider", s.Provider != "")
			unused("factor", s.Factor != 0)
			unused("regime", s.Regime != "")
			unused("zone", s.Zone != "")
			unused("tiers", len(s.Tiers) > 0)
		default:
			bad(key+".kind", "must be one of %s, got %q", strings.Join(ScenarioKinds, ", "), s.Kind)
		}
	}
	return errors.Join(errs...)
}

func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
