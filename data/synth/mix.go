package synth

import (
	"math"
	"math/rand/v2"
	"sort"

	"moatscore/data"
)

// weighted picks an index with probability proportional to its weight.
type weighted struct {
	cum []float64 // cumulative weights
}

func newWeighted(w []float64) weighted {
	cum := make([]float64, len(w))
	var s float64
	for i, x := range w {
		s += x
		cum[i] = s
	}
	return weighted{cum: cum}
}

func (w weighted) pick(r *rand.Rand) int {
	x := r.Float64() * w.cum[len(w.cum)-1]
	i := sort.Search(len(w.cum), func(i int) bool { return w.cum[i] > x })
	return min(i, len(w.cum)-1)
}

// zipf gives n weights 1/rank^s.
func zipf(n int, s float64) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 1 / math.Pow(float64(i+1), s)
	}
	return w
}

// countryWeights is the headquarters mix of AI companies, most common
// first; every other country of the reference shares tailWeight.
var countryWeights = []struct {
	code string
	w    float64
}{
	{"US", 40}, {"CN", 10}, {"GB", 7}, {"DE", 5}, {"FR", 5}, {"IN", 5},
	{"IL", 3.5}, {"CA", 3.5}, {"JP", 2.5}, {"KR", 2.5}, {"SG", 2},
	{"NL", 1.5}, {"AU", 1.2}, {"SE", 1.2}, {"CH", 1.2}, {"ES", 1},
	{"IT", 1}, {"BR", 1}, {"AE", 0.8}, {"TW", 0.6}, {"IE", 0.6},
	{"PL", 0.6}, {"FI", 0.5}, {"DK", 0.5}, {"HK", 0.5}, {"NA", 0.4},
	{"NG", 0.4}, {"KE", 0.4}, {"ZA", 0.4}, {"MX", 0.4}, {"ID", 0.4},
	{"NO", 0.4}, {"AT", 0.4}, {"BE", 0.4}, {"PT", 0.3}, {"EE", 0.3},
	{"AR", 0.3}, {"VN", 0.3}, {"TR", 0.3}, {"SA", 0.3}, {"RU", 0.3},
	{"CZ", 0.3}, {"UA", 0.3}, {"EG", 0.2}, {"CO", 0.2}, {"CL", 0.2},
	{"NZ", 0.2}, {"MY", 0.2}, {"TH", 0.2}, {"PH", 0.2}, {"PK", 0.2},
}

const tailWeight = 2.0

// sector is a company sector and the data domains its assets favour.
type sector struct {
	id      string
	display string // how some files spell it (normalised to id)
	domains []string
}

// sectors, most common first (weights are Zipf-like).
var sectors = []sector{
	{"enterprise_software", "Enterprise Software", []string{"code", "general"}},
	{"fintech", "Fintech", []string{"finance"}},
	{"healthcare", "Healthcare", []string{"healthcare", "science"}},
	{"developer_tools", "Developer Tools", []string{"code"}},
	{"ecommerce", "Ecommerce", []string{"retail"}},
	{"media", "Media", []string{"media"}},
	{"legal_tech", "Legal Tech", []string{"legal"}},
	{"insurance", "Insurance", []string{"insurance", "finance"}},
	{"cybersecurity", "Cybersecurity", []string{"code", "government"}},
	{"education", "Education", []string{"education"}},
	{"biotech", "Biotech", []string{"science", "healthcare"}},
	{"industrial", "Industrial", []string{"manufacturing", "energy"}},
	{"mobility", "Mobility", []string{"automotive", "geospatial"}},
	{"marketing", "Marketing", []string{"media", "retail"}},
	{"logistics", "Logistics", []string{"geospatial", "retail"}},
	{"energy", "Energy", []string{"energy"}},
	{"govtech", "Govtech", []string{"government"}},
	{"real_estate", "Real Estate", []string{"geospatial", "finance"}},
	{"agritech", "Agritech", []string{"geospatial", "science"}},
	{"gaming", "Gaming", []string{"media", "code"}},
}

// providerWeights is how often a provider is used, for each company zone;
// providers of the reference not listed get weight 1.
var providerWeights = map[string]float64{
	"openai": 30, "anthropic": 16, "google": 12, "meta": 9, "mistral": 6,
	"deepseek": 5, "alibaba": 4, "microsoft": 3, "amazon": 3, "xai": 2,
	"cohere": 2,
}

// unknownProviders are provider ids of no reference: a warning, not a reject.
var unknownProviders = []string{"blueharbor_ai", "quillmind", "nimbus_labs", "in_house"}

// extraDomains are domains of no reference: free text, kept as is.
var extraDomains = []string{"call_center_audio", "Customer Support Tickets", "satellite_imagery"}

// stage is a funding stage with the median amount raised.
type stage struct {
	id      string
	display string
	median  float64 // USD
}

var stages = []stage{
	{"pre_seed", "Pre Seed", 500e3},
	{"seed", "Seed", 2.5e6},
	{"series_a", "Series A", 12e6},
	{"series_b", "Series B", 30e6},
	{"series_c", "Series C", 60e6},
	{"series_d", "Series D", 100e6},
	{"series_e", "Series E", 150e6},
	{"growth", "Growth", 250e6},
	{"ipo", "IPO", 500e6},
}

var investors = []string{
	"Northgate Capital", "Bluewater Ventures", "Foundry Peak Partners", "Cedar Row Capital",
	"Halcyon Ventures", "Ironwood Growth", "Lattice Partners", "Meridian Seed Fund",
	"Oakline Capital", "Polaris Bridge Ventures", "Quarry Hill Partners", "Redstone Ventures",
	"Saltmarsh Capital", "Tidewater Growth", "Umber Ventures", "Vantage Row Partners",
	"Westfield Seed", "Yarrow Capital", "Zenith Crossing Ventures", "Alder Street Capital",
	"Brightline Ventures", "Copperleaf Partners", "Driftwood Capital", "Elmstone Ventures",
	"Fernhill Growth", "Granite Arch Capital", "Harborlight Ventures", "Juniper Gate Partners",
	"Kestrel Fund", "Lodestar Capital", "Mistral Bay Ventures", "Nightjar Partners",
	"Orchard Lane Capital", "Pinecrest Growth", "Quillfeather Ventures", "Riverbend Capital",
	"Shenzhen Harbor Fund", "Yangtze Delta Capital", "Thames Bridge Ventures", "Rhein Kapital",
	"Seine Partners", "Bangalore Growth Fund", "Carmel Ventures", "Maple Ridge Capital",
	"Kanto Ventures", "Han River Partners", "Merlion Capital", "Windhoek Ventures",
}

// investorCountries are lead investors' countries; the column is not
// validated, so the odd non-ISO spelling is kept on purpose.
var investorCountries = []string{"US", "US", "US", "US", "CN", "GB", "DE", "FR", "IN", "IL", "CA", "JP", "SG", "KR", "NA", "UK", "us"}

var nameHeads = []string{
	"Aur", "Bel", "Cor", "Dax", "Eon", "Fal", "Gal", "Hel", "Ion", "Jun", "Kal", "Lum",
	"Mer", "Nov", "Oct", "Pax", "Qua", "Ral", "Sol", "Tes", "Ulm", "Val", "Wex", "Xen",
	"Yor", "Zel", "Arc", "Bry", "Cyn", "Dor", "Ely", "Fen", "Gry", "Hal", "Iri", "Jas",
}

var nameTails = []string{
	"ora", "ix", "ant", "ent", "ion", "ara", "ica", "yx", "um", "os", "is", "ova",
	"ium", "ex", "ith", "and", "aro", "eon", "ia", "ust",
}

var nameWords = []string{
	"AI", "Labs", "Analytics", "Health", "Systems", "Data", "Robotics", "Technologies",
	"Intelligence", "Software", "Bio", "Finance", "Networks", "Cloud", "Vision", "",
}

var assetWords = []string{
	"archive", "records", "transcripts", "logs", "corpus", "ledger", "registry",
	"claims history", "annotations", "telemetry", "images", "contracts", "filings",
}

// mixes are the samplers built from the reference.
type mixes struct {
	countries      []string
	countryZone    []string // zone of each country
	countryMix     weighted
	sectorMix      weighted
	archetypeMix   weighted
	domainIDs      []string // reference domains
	domainIndex    map[string]int
	domainSize     []float64  // reference size of each domain
	exclusivityMix []weighted // by archetype
	refreshMix     []weighted // by archetype
	providers      []data.Provider
	providerMix    []map[string]weighted // by archetype, then company zone
	models         [][]data.Model        // by provider index
	openModels     [][]int               // by provider index: positions in models of open-weight models
	closedModels   [][]int               // by provider index: positions in models of closed models
	openMix        []weighted            // by provider index, over openModels
	closedMix      []weighted            // by provider index, over closedModels
	knownCountry   map[string]bool
	providerSet    map[string]bool
}

// isProvider says whether id is a provider of the reference.
func (m *mixes) isProvider(id string) bool { return m.providerSet[id] }

func newMixes(ref *data.Reference) (*mixes, error) {
	m := &mixes{knownCountry: map[string]bool{}, domainIndex: map[string]int{}}
	zoneOf := map[string]string{}
	for _, c := range ref.Countries {
		zoneOf[c.Code] = c.Zone
		m.knownCountry[c.Code] = true
	}
	var w []float64
	listed := map[string]bool{}
	for _, cw := range countryWeights {
		if len(ref.Countries) > 0 && !m.knownCountry[cw.code] {
			continue
		}
		listed[cw.code] = true
		m.countries = append(m.countries, cw.code)
		w = append(w, cw.w)
	}
	var tail []string
	for _, c := range ref.Countries {
		if !listed[c.Code] {
			tail = append(tail, c.Code)
		}
	}
	for _, c := range tail {
		m.countries = append(m.countries, c)
		w = append(w, tailWeight/float64(len(tail)))
	}
	if len(m.countries) == 0 {
		return nil, errNoCountries
	}
	m.countryMix = newWeighted(w)
	for _, c := range m.countries {
		z := zoneOf[c]
		if z == "" {
			z = data.ZoneOther
		}
		m.countryZone = append(m.countryZone, z)
	}

	m.sectorMix = newWeighted(zipf(len(sectors), 1.0))
	var aw []float64
	for _, a := range archetypes {
		aw = append(aw, a.share)
	}
	m.archetypeMix = newWeighted(aw)
	for _, a := range archetypes {
		m.exclusivityMix = append(m.exclusivityMix, newWeighted(a.exclusivity[:]))
		m.refreshMix = append(m.refreshMix, newWeighted(a.refresh[:]))
	}

	for _, d := range ref.Domains {
		m.domainIndex[d.ID] = len(m.domainIDs)
		m.domainIDs = append(m.domainIDs, d.ID)
		size := d.ReferenceSize
		if !(size > 0) {
			size = 1e6
		}
		m.domainSize = append(m.domainSize, size)
	}
	if len(m.domainIDs) == 0 {
		return nil, errNoDomains
	}

	provIndex := map[string]int{}
	m.providerSet = map[string]bool{}
	for _, p := range ref.Providers {
		m.providerSet[p.ID] = true
		provIndex[p.ID] = len(m.providers)
		m.providers = append(m.providers, p)
	}
	if len(m.providers) == 0 {
		return nil, errNoProviders
	}
	m.models = make([][]data.Model, len(m.providers))
	for _, md := range ref.Models {
		if i, ok := provIndex[md.Provider]; ok {
			m.models[i] = append(m.models[i], md)
		}
	}
	for i := range m.providers {
		// earlier models of a provider (its current line-up) are used more
		var open, closed []int
		for k, md := range m.models[i] {
			if md.OpenWeights {
				open = append(open, k)
			} else {
				closed = append(closed, k)
			}
		}
		m.openModels = append(m.openModels, open)
		m.closedModels = append(m.closedModels, closed)
		m.openMix = append(m.openMix, newWeighted(zipf(max(1, len(open)), 0.7)))
		m.closedMix = append(m.closedMix, newWeighted(zipf(max(1, len(closed)), 0.7)))
	}
	for _, a := range archetypes {
		byZone := map[string]weighted{}
		for _, zone := range []string{data.ZoneUS, data.ZoneEU, data.ZoneCN, data.ZoneOther} {
			ws := make([]float64, len(m.providers))
			for i, p := range m.providers {
				x, ok := providerWeights[p.ID]
				if !ok {
					x = 1
				}
				switch {
				case zone == data.ZoneCN && p.Zone == data.ZoneCN:
					x *= 12
				case zone == data.ZoneCN && p.Zone == data.ZoneUS:
					x *= 0.15
				case zone == data.ZoneEU && p.Zone == data.ZoneEU:
					x *= 3
				}
				// what the provider serves, by the models of the reference
				// (by its own reading when it has none there)
				closed, open := p.ClosedAPI, p.OpenWeights
				if len(m.models[i]) > 0 {
					closed, open = len(m.closedModels[i]) > 0, len(m.openModels[i]) > 0
				}
				switch {
				case !closed:
					x *= a.openOnly
				case !open:
					x *= a.closedOnly
				}
				ws[i] = x
			}
			byZone[zone] = newWeighted(ws)
		}
		m.providerMix = append(m.providerMix, byZone)
	}
	return m, nil
}

// providersFor is the provider mix of companies of an archetype and zone.
func (m *mixes) providersFor(arch int, zone string) weighted {
	if w, ok := m.providerMix[arch][zone]; ok {
		return w
	}
	return m.providerMix[arch][data.ZoneOther]
}
