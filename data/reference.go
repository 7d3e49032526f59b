package data

import "time"

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
}
