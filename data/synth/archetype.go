package synth

// Archetype ids, in the order of Archetypes and of Summary.Archetypes.
const (
	ArchThinWrapper = "thin_wrapper"
	ArchAPIApp      = "api_app"
	ArchHybrid      = "hybrid"
	ArchDataMoat    = "data_moat"
	ArchModelLab    = "model_lab"
)

// archetype is a kind of company. It shapes every input of the company
// together, so that they agree: a thin wrapper depends on one closed API,
// spends much of its revenue on it, has tested no fallback and holds
// little data of its own; a data moat holds large, fresh, owned data in
// its sector's domain and runs open-weight models itself. The reasons
// for each share and setting are in the package documentation.
type archetype struct {
	id    string
	share float64 // of companies

	// companies
	apiDep       [2]float64 // api_dependency_share, uniform in [lo, hi)
	employees    float64    // median head count
	incumbent    float64    // chance of an old company that turned to AI
	covered      float64    // chance the company is fully covered
	aiSpend      float64    // median yearly model spend as a share of revenue
	fallbackNull float64    // chance no open-weight fallback was tested (not covered)
	fallback     [2]float64 // fallback_parity when tested, uniform in [lo, hi)
	switching    float64    // median switching cost in weeks

	// model_usage
	usageMean  float64 // rows per company, companies without any included
	usageZero  float64 // chance a company not fully covered reports none
	openOnly   float64 // weight factor of providers that only publish open weights
	closedOnly float64 // weight factor of providers that only serve closed models
	openModel  float64 // chance a model is picked among the provider's open-weight ones
	selfHost   float64 // chance an open-weight model is run by the company

	// data_assets
	assetsMean   float64    // rows per company, companies without any included
	assetsZero   float64    // chance a company not fully covered reports none
	assetsSpread int        // draws summed for the count: the larger, the less it spreads
	exclusivity  [4]float64 // weights of owned, exclusive_license, nonexclusive_license, public
	sectorDomain float64    // chance an asset is of a domain of the company's sector
	sizeLog      float64    // median log10 of records ÷ the domain's reference size
	static       float64    // chance an asset is never refreshed
	refresh      [5]float64 // weights of refreshDays when refreshed
	capture      [2]float64 // usage_capture_share of an owned asset, uniform in [lo, hi)
	replication  float64    // median years to replicate an owned or exclusive asset

	// funding_rounds
	roundSize float64 // multiplier of the stage's median amount
}

// Exclusivity positions in archetype.exclusivity and exclusivities.
const (
	exOwned = iota
	exExclusive
	exNonexclusive
	exPublic
)

// archetypes, from the most exposed to the least. Shares add up to 1.
var archetypes = []archetype{
	{
		id: ArchThinWrapper, share: 0.15,
		apiDep: [2]float64{0.88, 1.0001}, employees: 12, incumbent: 0, covered: 0,
		aiSpend: 0.45, fallbackNull: 0.85, fallback: [2]float64{0.3, 0.65}, switching: 3,
		usageMean: 1.3, usageZero: 0.05, openOnly: 0.05, closedOnly: 1.5, openModel: 0, selfHost: 0,
		assetsMean: 0.5, assetsZero: 0.65, assetsSpread: 1, exclusivity: [4]float64{0, 0, 40, 60},
		sectorDomain: 0.5, sizeLog: -4.5, static: 0.7, refresh: [5]float64{1, 1, 2, 2, 2},
		capture: [2]float64{0, 0.3}, replication: 0.2,
		roundSize: 0.5,
	},
	{
		id: ArchAPIApp, share: 0.40,
		apiDep: [2]float64{0.45, 0.9}, employees: 35, incumbent: 0.02, covered: 0.3,
		aiSpend: 0.14, fallbackNull: 0.45, fallback: [2]float64{0.45, 0.85}, switching: 6,
		usageMean: 2.8, usageZero: 0.1, openOnly: 0.3, closedOnly: 1, openModel: 0.2, selfHost: 0.3,
		assetsMean: 1.6, assetsZero: 0.2, assetsSpread: 1, exclusivity: [4]float64{2, 1, 45, 52},
		sectorDomain: 0.6, sizeLog: -3.5, static: 0.5, refresh: [5]float64{1, 2, 3, 3, 2},
		capture: [2]float64{0, 0.5}, replication: 0.5,
		roundSize: 0.8,
	},
	{
		id: ArchHybrid, share: 0.29,
		apiDep: [2]float64{0.15, 0.55}, employees: 70, incumbent: 0.04, covered: 0.35,
		aiSpend: 0.08, fallbackNull: 0.15, fallback: [2]float64{0.65, 0.95}, switching: 10,
		usageMean: 3.8, usageZero: 0.08, openOnly: 1.5, closedOnly: 0.8, openModel: 0.55, selfHost: 0.75,
		assetsMean: 3, assetsZero: 0.06, assetsSpread: 1, exclusivity: [4]float64{1, 1, 60, 38},
		sectorDomain: 0.7, sizeLog: -2.5, static: 0.4, refresh: [5]float64{1, 3, 3, 2, 1},
		capture: [2]float64{0.1, 0.6}, replication: 1,
		roundSize: 1,
	},
	{
		id: ArchDataMoat, share: 0.08,
		apiDep: [2]float64{0, 0.25}, employees: 150, incumbent: 0.15, covered: 0.6,
		aiSpend: 0.04, fallbackNull: 0.1, fallback: [2]float64{0.8, 1.0001}, switching: 12,
		usageMean: 3.2, usageZero: 0.15, openOnly: 3, closedOnly: 0.3, openModel: 0.85, selfHost: 0.9,
		assetsMean: 28, assetsZero: 0.03, assetsSpread: 4, exclusivity: [4]float64{55, 25, 12, 8},
		sectorDomain: 0.9, sizeLog: -1, static: 0.15, refresh: [5]float64{4, 3, 2, 1, 1},
		capture: [2]float64{0.3, 0.95}, replication: 3,
		roundSize: 1.5,
	},
	{
		id: ArchModelLab, share: 0.08,
		apiDep: [2]float64{0, 0.15}, employees: 100, incumbent: 0, covered: 0.5,
		aiSpend: 0.15, fallbackNull: 0.05, fallback: [2]float64{0.85, 1.0001}, switching: 16,
		usageMean: 3.5, usageZero: 0.1, openOnly: 3, closedOnly: 0.3, openModel: 0.85, selfHost: 0.95,
		assetsMean: 16, assetsZero: 0.03, assetsSpread: 4, exclusivity: [4]float64{1, 1.5, 45, 52.5},
		sectorDomain: 0.4, sizeLog: -1.5, static: 0.4, refresh: [5]float64{1, 2, 3, 2, 2},
		capture: [2]float64{0, 0.4}, replication: 1.5,
		roundSize: 3,
	},
}
