package valuation

import (
	"fmt"
	"strings"
	"time"

	"moatscore/data"
)

// scenario is a configured scenario resolved against the reference data.
type scenario struct {
	name, kind string
	provider   string    // provider_price: provider id
	provIdx    int32     // provider_price: its index in refTables
	factor     float64   // provider_price
	regime     string    // zone_cutoff
	zone       uint8     // zone_cutoff: the providers' zone cut off
	tiers      []int     // zone_cutoff
	latestFrom time.Time // zone_cutoff: first day of the regime's latest period
	models     []string  // deprecate_models
}

// scenarios resolves the configured scenarios; an id the reference data
// does not know is an error naming its key.
func (m *Model) scenarios() ([]scenario, error) {
	out := make([]scenario, len(m.cfg.Scenarios))
	for i, s := range m.cfg.Scenarios {
		key := fmt.Sprintf("valuation.scenarios[%d]", i)
		sc := scenario{name: s.Name, kind: s.Kind, factor: s.Factor, provIdx: -1}
		switch s.Kind {
		case KindProviderPrice:
			sc.provider = data.NormalizeSlug(s.Provider)
			if !m.ref.IsProvider(sc.provider) {
				return nil, fmt.Errorf("%s.provider: %q is not a provider of the reference data", key, s.Provider)
			}
		case KindZoneCutoff:
			if !m.ref.HasRegime(s.Regime) {
				return nil, fmt.Errorf("%s.regime: %q is not a regime of the reference data (known: %s)", key, s.Regime, strings.Join(m.ref.RegimeIDs(), ", "))
			}
			sc.regime = s.Regime
			sc.zone = zoneIndex(s.Zone)
			sc.tiers = append([]int(nil), s.Tiers...)
			for _, t := range m.ref.Regimes {
				if t.Regime == s.Regime && t.From.After(sc.latestFrom) {
					sc.latestFrom = t.From
				}
			}
		case KindDeprecateModels:
			for j, id := range s.Models {
				md, ok := m.ref.Model(id)
				if !ok {
					return nil, fmt.Errorf("%s.models[%d]: %q is not a model of the reference data", key, j, id)
				}
				sc.models = append(sc.models, md.ID)
			}
		}
		out[i] = sc
	}
	return out, nil
}

// Scenarios returns the names of the configured scenarios, in order: the
// order of each company's rows in Result.Scenarios.
func (m *Model) Scenarios() []string {
	names := make([]string, len(m.scen))
	for i, s := range m.scen {
		names[i] = s.name
	}
	return names
}
