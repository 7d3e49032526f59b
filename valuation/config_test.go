package valuation

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	"moatscore/data"
)

func TestDefaultConfigValid(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("DefaultConfig().Validate() = %v", err)
	}
	// the default scenarios name ids of the embedded reference data
	if _, err := New(DefaultConfig(), data.DefaultReference(), runDate); err != nil {
		t.Fatalf("New(DefaultConfig(), DefaultReference()) = %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		change  func(c *Config)
		wantErr string // every problem names its key
	}{
		{"negative WX weight", func(c *Config) { c.WX.Weights["cost_burden"] = -1 }, "valuation.wx.weights.cost_burden: must be >= 0"},
		{"missing WX weight", func(c *Config) { delete(c.WX.Weights, "jurisdiction") }, "valuation.wx.weights.jurisdiction: missing"},
		{"unknown WX weight", func(c *Config) { c.WX.Weights["vibes"] = 1 }, "valuation.wx.weights.vibes: unknown component"},
		{"NaN WX weight", func(c *Config) { c.WX.Weights["closed_api"] = math.NaN() }, "valuation.wx.weights.closed_api: must be a finite number"},
		{"all WX weights zero", func(c *Config) {
			for k := range c.WX.Weights {
				c.WX.Weights[k] = 0
			}
		}, "valuation.wx.weights: the weights must add up to more than 0"},
		{"negative DM weight", func(c *Config) { c.DM.Weights["scale"] = -0.1 }, "valuation.dm.weights.scale: must be >= 0"},
		{"all DM weights zero", func(c *Config) {
			for k := range c.DM.Weights {
				c.DM.Weights[k] = 0
			}
		}, "valuation.dm.weights: the weights must add up to more than 0"},
		{"bands out of order", func(c *Config) { c.WX.Bands.High = 80 }, "valuation.wx.bands: must rise strictly"},
		{"band above 100", func(c *Config) { c.WX.Bands.Severe = 120 }, "valuation.wx.bands: must rise strictly"},
		{"zero saturation", func(c *Config) { c.WX.CostBurdenSaturation = 0 }, "valuation.wx.cost_burden_saturation"},
		{"negative horizon", func(c *Config) { c.WX.DeprecationHorizonMonths = -1 }, "valuation.wx.deprecation_horizon_months"},
		{"raise above 1", func(c *Config) { c.WX.RegimeRaise.Tier2 = 1.5 }, "valuation.wx.regime_raise.tier2: must be between 0 and 1"},
		{"tier 3 raise below tier 2", func(c *Config) { c.WX.RegimeRaise.Tier3 = 0.1 }, "valuation.wx.regime_raise.tier3: must not be below tier2"},
		{"rights above 1", func(c *Config) { c.DM.Rights["clear"] = 2 }, "valuation.dm.rights.clear: must be between 0 and 1"},
		{"rights out of order", func(c *Config) { c.DM.Rights["unclear"] = 0.9 }, "valuation.dm.rights.unclear: must not exceed partial"},
		{"rights for none", func(c *Config) { c.DM.Rights["none"] = 0.1 }, `valuation.dm.rights.none: unknown value (known: clear, partial, unclear); "none" is always 0`},
		{"missing exclusivity", func(c *Config) { delete(c.DM.Exclusivity, "owned") }, "valuation.dm.exclusivity.owned: missing"},
		{"zero tokens per record", func(c *Config) { c.DM.TokensPerRecord = 0 }, "valuation.dm.tokens_per_record: must be > 0"},
		{"cost saturation below floor", func(c *Config) { c.DM.ReplicationCostSaturationUSD = 1 }, "valuation.dm.replication_cost_saturation_usd: must be above replication_cost_floor_usd"},
		{"unknown domain value above 1", func(c *Config) { c.DM.UnknownDomainValue = 1.5 }, "valuation.dm.unknown_domain_value"},
		{"narrow above wide", func(c *Config) { c.Rating.NarrowMinDM = 70 }, "valuation.rating.narrow_min_dm: must not exceed wide_min_dm"},
		{"thin wrapper threshold above 100", func(c *Config) { c.ThinWrapper.MinWX = 101 }, "valuation.thin_wrapper.min_wx"},
		{"premium above 1", func(c *Config) { c.Premium = 1.5 }, "valuation.premium: must be between 0 and 1"},
		{"negative discount", func(c *Config) { c.Discount = -0.1 }, "valuation.discount: must be between 0 and 1"},
		{"empty regime", func(c *Config) { c.Regime = "" }, "valuation.regime:"},
		{"bad regime zone", func(c *Config) { c.RegimeZone = "mars" }, "valuation.regime_zone:"},
		{"stale days zero", func(c *Config) { c.Uncertainty.StaleValuationDays = 0 }, "valuation.uncertainty.stale_valuation_days"},
		{"very stale below stale", func(c *Config) { c.Uncertainty.VeryStaleValuationDays = 10 }, "valuation.uncertainty.very_stale_valuation_days"},
		{"levels out of order", func(c *Config) { c.Uncertainty.Levels.High = 9 }, "valuation.uncertainty.levels"},
		{"scenario without name", func(c *Config) { c.Scenarios[0].Name = "" }, "valuation.scenarios[0].name: missing"},
		{"duplicate scenario", func(c *Config) { c.Scenarios[1].Name = c.Scenarios[0].Name }, "valuation.scenarios[1].name:"},
		{"unknown kind", func(c *Config) { c.Scenarios[0].Kind = "meteor" }, "valuation.scenarios[0].kind: must be one of provider_price, zone_cutoff, deprecate_models"},
		{"price without factor", func(c *Config) { c.Scenarios[0].Factor = 0 }, "valuation.scenarios[0].factor: must be > 0"},
		{"price without provider", func(c *Config) { c.Scenarios[0].Provider = "" }, "valuation.scenarios[0].provider: missing"},
		{"price with tiers", func(c *Config) { c.Scenarios[0].Tiers = []int{2} }, "valuation.scenarios[0].tiers: not used by kind provider_price"},
		{"cutoff without tiers", func(c *Config) { c.Scenarios[2].Tiers = nil }, "valuation.scenarios[2].tiers: missing"},
		{"cutoff with tier 0", func(c *Config) { c.Scenarios[2].Tiers = []int{0} }, "valuation.scenarios[2].tiers[0]: must be >= 1"},
		{"cutoff bad zone", func(c *Config) { c.Scenarios[2].Zone = "moon" }, "valuation.scenarios[2].zone:"},
		{"cutoff with factor", func(c *Config) { c.Scenarios[2].Factor = 2 }, "valuation.scenarios[2].factor: not used by kind zone_cutoff"},
		{"deprecate without models", func(c *Config) { c.Scenarios[4].Models = nil }, "valuation.scenarios[4].models: missing"},
		{"too many scenarios", func(c *Config) {
			for len(c.Scenarios) <= MaxScenarios {
				s := c.Scenarios[0]
				s.Name = "s" + strings.Repeat("x", len(c.Scenarios))
				c.Scenarios = append(c.Scenarios, s)
			}
		}, "valuation.scenarios: at most 64 scenarios"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.change(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestNewChecksReference(t *testing.T) {
	ref := data.DefaultReference()
	tests := []struct {
		name    string
		change  func(c *Config)
		wantErr string
	}{
		{"unknown regime", func(c *Config) { c.Regime = "nope" }, `valuation.regime: "nope" is not a regime of the reference data`},
		{"unknown provider", func(c *Config) { c.Scenarios[0].Provider = "opneai" }, `valuation.scenarios[0].provider: "opneai" is not a provider`},
		{"unknown scenario regime", func(c *Config) { c.Scenarios[2].Regime = "nope" }, `valuation.scenarios[2].regime: "nope" is not a regime`},
		{"unknown model", func(c *Config) { c.Scenarios[4].Models = []string{"gpt-4o", "gpt-99"} }, `valuation.scenarios[4].models[1]: "gpt-99" is not a model`},
		{"invalid config", func(c *Config) { c.Premium = 2 }, "valuation.premium"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.change(&c)
			_, err := New(c, ref, runDate)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
	if _, err := New(DefaultConfig(), nil, runDate); err == nil {
		t.Errorf("New(nil reference) = nil error")
	}
	c := DefaultConfig()
	c.Regime = "ai_diffusion_2025"
	if _, err := New(c, ref, runDate); err != nil {
		t.Errorf("New(regime ai_diffusion_2025) = %v", err)
	}
}

// TestConfigJSON checks that the recorded form of the config is stable and
// reads back to the same config.
func TestConfigJSON(t *testing.T) {
	a, err := json.Marshal(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		b, _ := json.Marshal(DefaultConfig())
		if string(a) != string(b) {
			t.Fatalf("JSON differs between calls:\n%s\n%s", a, b)
		}
	}
	var back Config
	if err := json.Unmarshal(a, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, DefaultConfig()) {
		t.Errorf("JSON round trip changed the config:\n%+v\nwant\n%+v", back, DefaultConfig())
	}
	for _, key := range []string{`"wx":{"weights":{"api_dependency":0.25`, `"cost_burden_saturation":0.4`, `"deprecation_horizon_months":12`, `"regime":"none"`} {
		if !strings.Contains(string(a), key) {
			t.Errorf("JSON %s lacks %s", a, key)
		}
	}
}
