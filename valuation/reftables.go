package valuation

import (
	"math"
	"strings"
	"time"

	"moatscore/data"
)

// Zone indices of the dense tables.
const (
	zUS uint8 = iota
	zEU
	zCN
	zOther
	zUnknown
	nZones
)

var zoneNames = [nZones]string{data.ZoneUS, data.ZoneEU, data.ZoneCN, data.ZoneOther, data.ZoneUnknown}

func zoneIndex(z string) uint8 {
	for i, n := range zoneNames {
		if n == z {
			return uint8(i)
		}
	}
	return zUnknown
}

// noCountry is the country key of a code that is not two upper-case
// letters.
const noCountry = 26 * 26

// countryKey maps an upper-case two-letter code to 0..675.
func countryKey(code string) uint16 {
	if len(code) != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z' {
		return noCountry
	}
	return uint16(code[0]-'A')*26 + uint16(code[1]-'A')
}

// refTables are the reference joins as dense tables, built once per model
// so that the hot loops index slices instead of looking up strings.
type refTables struct {
	providers  map[string]int32 // provider id -> index; unknown ids are added by the aggregator
	provZone   []uint8
	provClosed []bool

	models    map[string]int32 // model id -> index
	modelOpen []bool           // open weights
	modelDep  []bool           // deprecated on or before the horizon
	modelScen []uint64         // bit s: listed by deprecate_models scenario s

	// by country key (noCountry last): zone, the raise of the active
	// regime and the zone_cutoff scenarios that apply
	countryZone  [noCountry + 1]uint8
	countryRaise [noCountry + 1]float64
	countryScen  [noCountry + 1]uint64

	risk       [nZones][nZones]float64
	regimeZone uint8

	domains     map[string]int32
	domainValue []float64
	domainLog   []float64 // log10(1 + reference_size)
	unknownLog  float64
}

func (m *Model) buildTables() *refTables {
	ref, p := m.ref, &m.p
	t := &refTables{
		providers: make(map[string]int32, len(ref.Providers)),
		models:    make(map[string]int32, len(ref.Models)),
		domains:   make(map[string]int32, len(ref.Domains)),
	}
	for _, pr := range ref.Providers {
		if _, dup := t.providers[pr.ID]; dup {
			continue
		}
		t.providers[pr.ID] = int32(len(t.provZone))
		t.provZone = append(t.provZone, zoneIndex(pr.Zone))
		t.provClosed = append(t.provClosed, pr.ClosedAPI)
	}
	for s := range m.scen {
		if m.scen[s].kind == KindProviderPrice {
			m.scen[s].provIdx = t.providers[m.scen[s].provider]
		}
	}
	addModel := func(id string) int32 {
		if i, ok := t.models[id]; ok {
			return i
		}
		i := int32(len(t.modelOpen))
		t.models[id] = i
		md, known := ref.Model(id)
		t.modelOpen = append(t.modelOpen, known && md.OpenWeights)
		t.modelDep = append(t.modelDep, known && !md.Deprecation.IsZero() && dayOf(md.Deprecation) <= p.horizonDay)
		t.modelScen = append(t.modelScen, 0)
		return i
	}
	for _, md := range ref.Models {
		addModel(md.ID)
	}
	for s, sc := range m.scen {
		if sc.kind == KindDeprecateModels {
			for _, id := range sc.models {
				t.modelScen[addModel(id)] |= 1 << s
			}
		}
	}

	t.regimeZone = zoneIndex(m.cfg.RegimeZone)
	for cz := uint8(0); cz < nZones; cz++ {
		for pz := uint8(0); pz < nZones; pz++ {
			t.risk[cz][pz] = ref.Risk(zoneNames[cz], zoneNames[pz])
		}
	}
	for k := range t.countryZone {
		t.countryZone[k] = zUnknown
	}
	for k := 0; k < noCountry; k++ {
		code := string([]byte{byte('A' + k/26), byte('A' + k%26)})
		if !ref.IsCountry(code) {
			continue
		}
		t.countryZone[k] = zoneIndex(ref.CountryZone(code))
		if m.cfg.Regime != RegimeNone {
			t.countryRaise[k] = p.raise(ref.Tier(m.cfg.Regime, code, m.runDate))
		}
		for s, sc := range m.scen {
			if sc.kind == KindZoneCutoff && sc.hasTier(sc.tier(ref, code, m.runDate)) {
				t.countryScen[k] |= 1 << s
			}
		}
	}

	for _, d := range ref.Domains {
		if _, dup := t.domains[d.ID]; dup {
			continue
		}
		t.domains[d.ID] = int32(len(t.domainValue))
		t.domainValue = append(t.domainValue, d.ValueWeight)
		t.domainLog = append(t.domainLog, math.Log10(1+math.Max(d.ReferenceSize, 1)))
	}
	t.unknownLog = math.Log10(1 + p.unknownRefSize)
	return t
}

// raise is the regime raise of a tier: 0 for no tier and tier 1.
func (p *params) raise(tier int) float64 {
	switch {
	case tier >= 3:
		return p.raise3
	case tier == 2:
		return p.raise2
	}
	return 0
}

// model returns the index of a model id, trying it trimmed and in lower
// case when not found as given; -1 when unknown.
func (t *refTables) model(id string) int32 {
	if i, ok := t.models[id]; ok {
		return i
	}
	if i, ok := t.models[strings.ToLower(strings.TrimSpace(id))]; ok {
		return i
	}
	return -1
}

// tier is the tier a zone_cutoff scenario gives a country: the tier of its
// regime on the run date when in force, else the tier of the regime's
// latest period: a scenario switches its regime on whatever the date.
func (s *scenario) tier(ref *data.Reference, code string, runDate time.Time) int {
	if t := ref.Tier(s.regime, code, runDate); t != 0 {
		return t
	}
	return ref.Tier(s.regime, code, s.latestFrom)
}

func (s *scenario) hasTier(t int) bool {
	for _, x := range s.tiers {
		if x == t {
			return true
		}
	}
	return false
}
