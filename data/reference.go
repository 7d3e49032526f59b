package data

import (
	"strings"
	"sync/atomic"
	"time"
)

// Zones are the sovereign AI zones of the reference data. A provider or a
// country of no known zone has ZoneUnknown.
const (
	ZoneUS      = "us"    // United States and its closed-model providers
	ZoneEU      = "eu"    // European Union and EEA: open-source-first, locally hosted
	ZoneCN      = "cn"    // China and its model stacks
	ZoneOther   = "other" // every other country
	ZoneUnknown = "unknown"
)

// Reference holds the reference tables the model joins against. Each table
// carries where it came from and the date of its snapshot.
type Reference struct {
	Providers []Provider
	Models    []Model
	Countries []Country
	Regimes   []RegimeTier
	ZoneRisk  []ZoneRisk
	Domains   []Domain
	Sources   []ReferenceSource // one per table, in the order above

	// idx holds the lookup maps, built on the first lookup. A Reference
	// must not be changed after its first lookup.
	idx atomic.Value // *refIndex
}

// ReferenceSource says where one reference table came from.
type ReferenceSource struct {
	Table    string    // providers, models, countries, regimes, zone_risk, domains
	Source   string    // public source, or the user's file path
	Snapshot time.Time // date the table was taken
	Embedded bool      // false when replaced by a user file
}

// Provider is a model provider.
type Provider struct {
	ID          string // lowercase slug: openai, anthropic, ...
	Name        string
	Country     string // headquarters, ISO 3166-1 alpha-2
	Zone        string
	ClosedAPI   bool // serves closed models by API
	OpenWeights bool // publishes open-weight models
}

// Model is one model of a provider.
type Model struct {
	ID                 string
	Provider           string
	OpenWeights        bool
	InputPricePerMTok  float64   // USD per million input tokens
	OutputPricePerMTok float64   // USD per million output tokens
	Deprecation        time.Time // announced deprecation date; zero when none
}

// Country is one ISO 3166-1 alpha-2 country.
type Country struct {
	Code string
	Name string
	Zone string
}

// RegimeTier is a country's tier under a dated jurisdiction regime, such as
// the AI Diffusion Rule (tier 1 allies, tier 2 capped, tier 3 embargoed).
type RegimeTier struct {
	Regime  string
	Country string
	Tier    int
	From    time.Time // effective from, inclusive
	To      time.Time // effective until, exclusive; zero when open-ended
}

// ZoneRisk is the risk, 0 to 1, that a company of one zone loses access to
// a closed provider of another zone.
type ZoneRisk struct {
	CompanyZone  string
	ProviderZone string
	Risk         float64
}

// Domain is a data domain with its value weight and the fixed reference
// size its assets' scale is measured against.
type Domain struct {
	ID            string
	ValueWeight   float64 // 0 to 1
	ReferenceSize float64 // records (or tokens) of a large asset of the domain
	Name          string
}

// refIndex holds a Reference's lookup maps.
type refIndex struct {
	from      [6]sliceID // the slices the index was built from
	providers map[string]int32
	models    map[string]int32
	countries map[string]int32
	// zones of the two-letter upper-case codes, by (c0-'A')*26 + c1-'A':
	// 0 when not a country, else 1 + the zone's position in zoneIDs.
	letters  [26 * 26]uint8
	position [26 * 26]int16 // 1 + the country's position in codes; 0 when none
	codes    []string       // the countries' codes
	regimes  map[string]*regimeIndex
	risk     map[[2]string]float64
	domains  map[string]int32
}

// sliceID identifies a slice by its first element and length, so that an
// index built for other slices (a copy of a Reference whose tables were
// replaced) is noticed and rebuilt.
type sliceID struct {
	first any
	n     int
}

func idOf[T any](s []T) sliceID {
	if len(s) == 0 {
		return sliceID{}
	}
	return sliceID{first: &s[0], n: len(s)}
}

func (r *Reference) sliceIDs() [6]sliceID {
	return [6]sliceID{idOf(r.Providers), idOf(r.Models), idOf(r.Countries), idOf(r.Regimes), idOf(r.ZoneRisk), idOf(r.Domains)}
}

type regimeIndex struct {
	byCountry map[string][]RegimeTier
	others    []RegimeTier // country "*"
}

var zoneIDs = [...]string{ZoneUS, ZoneEU, ZoneCN, ZoneOther, ZoneUnknown}

func zoneCode(z string) uint8 {
	for i, id := range zoneIDs {
		if id == z {
			return uint8(i + 1)
		}
	}
	return uint8(len(zoneIDs)) // unknown
}

// index returns the lookup maps, building them on first use. Tables are
// changed by replacing their slices; an element changed in place after the
// first lookup is not seen.
func (r *Reference) index() *refIndex {
	ids := r.sliceIDs()
	if ix, _ := r.idx.Load().(*refIndex); ix != nil && ix.from == ids {
		return ix
	}
	ix := &refIndex{
		from:      ids,
		providers: make(map[string]int32, len(r.Providers)),
		models:    make(map[string]int32, len(r.Models)),
		countries: make(map[string]int32, len(r.Countries)),
		regimes:   map[string]*regimeIndex{},
		risk:      make(map[[2]string]float64, len(r.ZoneRisk)),
		domains:   make(map[string]int32, len(r.Domains)),
	}
	for i, p := range r.Providers {
		if _, dup := ix.providers[p.ID]; !dup {
			ix.providers[p.ID] = int32(i)
		}
	}
	for i, m := range r.Models {
		if _, dup := ix.models[m.ID]; !dup {
			ix.models[m.ID] = int32(i)
		}
	}
	for i, c := range r.Countries {
		if _, dup := ix.countries[c.Code]; !dup {
			ix.countries[c.Code] = int32(i)
		}
		if k, ok := letterKey(c.Code); ok && ix.position[k] == 0 {
			ix.letters[k] = zoneCode(c.Zone)
			ix.codes = append(ix.codes, c.Code)
			ix.position[k] = int16(len(ix.codes))
		}
	}
	for _, t := range r.Regimes {
		g := ix.regimes[t.Regime]
		if g == nil {
			g = &regimeIndex{byCountry: map[string][]RegimeTier{}}
			ix.regimes[t.Regime] = g
		}
		if t.Country == "*" {
			g.others = append(g.others, t)
		} else {
			g.byCountry[t.Country] = append(g.byCountry[t.Country], t)
		}
	}
	for _, z := range r.ZoneRisk {
		ix.risk[[2]string{z.CompanyZone, z.ProviderZone}] = z.Risk
	}
	for i, d := range r.Domains {
		if _, dup := ix.domains[d.ID]; !dup {
			ix.domains[d.ID] = int32(i)
		}
	}
	r.idx.Store(ix)
	return ix
}

// letterKey maps a code of two upper-case ASCII letters to 0..675.
func letterKey(code string) (int, bool) {
	if len(code) != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z' {
		return 0, false
	}
	return int(code[0]-'A')*26 + int(code[1]-'A'), true
}

// countryCode returns the canonical code of a country given in any case,
// with spaces around it, without allocating; false when it is not a country.
func (r *Reference) countryCode(s string) (string, bool) {
	return r.index().countryCode(s)
}

func (ix *refIndex) countryCode(s string) (string, bool) {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t' || s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	if len(s) != 2 {
		return "", false
	}
	a, b := s[0]&^0x20, s[1]&^0x20 // ASCII upper case
	if a < 'A' || a > 'Z' || b < 'A' || b > 'Z' {
		return "", false
	}
	p := ix.position[int(a-'A')*26+int(b-'A')]
	if p == 0 {
		return "", false
	}
	return ix.codes[p-1], true
}

// Provider returns the provider of that id (a lowercase slug).
func (r *Reference) Provider(id string) (Provider, bool) {
	if i, ok := r.index().providers[id]; ok {
		return r.Providers[i], true
	}
	return Provider{}, false
}

// IsProvider reports whether id is a provider of the reference.
func (r *Reference) IsProvider(id string) bool {
	_, ok := r.index().providers[id]
	return ok
}

// ProviderZone returns the zone of a provider; ZoneUnknown when the provider
// is not in the reference.
func (r *Reference) ProviderZone(id string) string {
	if p, ok := r.Provider(id); ok {
		return p.Zone
	}
	return ZoneUnknown
}

// ProviderClosed reports whether a provider serves closed models by API. An
// unknown provider counts as closed: the cautious reading.
func (r *Reference) ProviderClosed(id string) bool {
	if p, ok := r.Provider(id); ok {
		return p.ClosedAPI
	}
	return true
}

// Model returns the model of that id; an id that is not found as given is
// looked up again trimmed and in lower case.
func (r *Reference) Model(id string) (Model, bool) {
	ix := r.index()
	i, ok := ix.models[id]
	if !ok {
		i, ok = ix.models[strings.ToLower(strings.TrimSpace(id))]
	}
	if ok {
		return r.Models[i], true
	}
	return Model{}, false
}

// Country returns the country of an upper-case ISO 3166-1 alpha-2 code.
func (r *Reference) Country(code string) (Country, bool) {
	if i, ok := r.index().countries[code]; ok {
		return r.Countries[i], true
	}
	return Country{}, false
}

// IsCountry reports whether code is an upper-case ISO 3166-1 alpha-2 code of
// the countries table ("NA" is Namibia).
func (r *Reference) IsCountry(code string) bool {
	k, ok := letterKey(code)
	return ok && r.index().letters[k] != 0
}

// CountryZone returns the zone of an upper-case country code; ZoneUnknown
// when it is not a country.
func (r *Reference) CountryZone(code string) string {
	k, ok := letterKey(code)
	if !ok {
		return ZoneUnknown
	}
	z := r.index().letters[k]
	if z == 0 {
		return ZoneUnknown
	}
	return zoneIDs[z-1]
}

// HasRegime reports whether the reference declares the regime.
func (r *Reference) HasRegime(regime string) bool {
	_, ok := r.index().regimes[regime]
	return ok
}

// RegimeIDs lists the regimes of the reference, in the order of their first row.
func (r *Reference) RegimeIDs() []string {
	var ids []string
	seen := map[string]bool{}
	for _, t := range r.Regimes {
		if !seen[t.Regime] {
			seen[t.Regime] = true
			ids = append(ids, t.Regime)
		}
	}
	return ids
}

// Tier returns a country's tier under a regime on a date: the tier of the
// country's own row in effect on that date, else that of the regime's "*"
// row in effect; 0 when the regime does not apply on that date (or is not
// known).
func (r *Reference) Tier(regime, country string, date time.Time) int {
	g := r.index().regimes[regime]
	if g == nil {
		return 0
	}
	if t := tierOn(g.byCountry[country], date); t != 0 {
		return t
	}
	return tierOn(g.others, date)
}

func tierOn(rows []RegimeTier, date time.Time) int {
	for _, t := range rows {
		if !date.Before(t.From) && (t.To.IsZero() || date.Before(t.To)) {
			return t.Tier
		}
	}
	return 0
}

// Risk returns the risk, 0 to 1, that a company of zone cz loses access to a
// closed provider of zone pz: the table's value for the pair; else 0 for the
// same zone; else the table's value for (cz, unknown); else 0.5.
func (r *Reference) Risk(cz, pz string) float64 {
	ix := r.index()
	if v, ok := ix.risk[[2]string{cz, pz}]; ok {
		return v
	}
	if cz == pz {
		return 0
	}
	if v, ok := ix.risk[[2]string{cz, ZoneUnknown}]; ok {
		return v
	}
	return 0.5
}

// Domain returns the domain of that id (lowercase snake_case).
func (r *Reference) Domain(id string) (Domain, bool) {
	if i, ok := r.index().domains[id]; ok {
		return r.Domains[i], true
	}
	return Domain{}, false
}
