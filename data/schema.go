package data

import (
	"github.com/apache/arrow-go/v18/arrow"
)

// Kind is the canonical type of a contract column, whatever the physical
// type in a file.
type Kind int

const (
	String  Kind = iota // utf8: plain, dictionary or large strings
	Int64               // any integer width, uint64 and integral decimals
	Float64             // any float or integer width, decimals
	Date                // date32, date64 or timestamps of any unit, as a UTC date
	Bool
)

func (k Kind) String() string {
	return [...]string{"string", "int64", "float64", "date", "bool"}[k]
}

// ArrowType is the Arrow type a column of this kind has in a canonical batch.
func (k Kind) ArrowType() arrow.DataType {
	switch k {
	case String:
		return arrow.BinaryTypes.String
	case Int64:
		return arrow.PrimitiveTypes.Int64
	case Float64:
		return arrow.PrimitiveTypes.Float64
	case Date:
		return arrow.FixedWidthTypes.Date32
	default:
		return arrow.FixedWidthTypes.Boolean
	}
}

// Rule is the value rule a column is validated against.
type Rule int

const (
	NoRule      Rule = iota
	Share            // a fraction in [0, 1]
	NonNeg           // money or count: >= 0
	MaxOne           // at most 1 (gross margin may be negative)
	Enum             // one of Column.Values, case-insensitive after trimming
	ISOCountry       // ISO 3166-1 alpha-2, case-insensitive after trimming
	SaneDate         // between 1900-01-01 and one year after the run date
	FoundedYear      // between 1800 and the run year
	Slug             // free text normalised to lowercase snake_case
	ProviderID       // lowercase slug; unknown ids are a warning, not a reject
)

// Column is one column of a table of the contract.
type Column struct {
	Name        string
	Kind        Kind
	Required    bool
	Key         bool // part of the table's key
	Rule        Rule
	Values      []string // allowed values when Rule is Enum
	Description string
}

// Table is one table of the contract.
type Table struct {
	Name        string
	Description string
	Columns     []Column
}

// Key lists the table's key columns in key order.
func (t *Table) Key() []string {
	var k []string
	for _, c := range t.Columns {
		if c.Key {
			k = append(k, c.Name)
		}
	}
	return k
}

// Column returns the named column and its position, or -1.
func (t *Table) Column(name string) (*Column, int) {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return &t.Columns[i], i
		}
	}
	return nil, -1
}

// ArrowSchema is the schema of the table's canonical batches: every column
// of the contract in contract order, with its canonical type and its
// description as field metadata.
func (t *Table) ArrowSchema() *arrow.Schema {
	fields := make([]arrow.Field, len(t.Columns))
	for i, c := range t.Columns {
		fields[i] = arrow.Field{
			Name:     c.Name,
			Type:     c.Kind.ArrowType(),
			Nullable: true,
			Metadata: arrow.NewMetadata([]string{"description"}, []string{c.Description}),
		}
	}
	return arrow.NewSchema(fields, nil)
}

// Names of the input tables.
const (
	TableCompanies     = "companies"
	TableModelUsage    = "model_usage"
	TableDataAssets    = "data_assets"
	TableFundingRounds = "funding_rounds"
)

// Companies is the companies table: one row per company.
var Companies = &Table{
	Name:        TableCompanies,
	Description: "One row per company scored.",
	Columns: []Column{
		{Name: "company_id", Kind: String, Required: true, Key: true, Description: "Unique company identifier."},
		{Name: "name", Kind: String, Required: true, Description: "Company name as shown in reports."},
		{Name: "country", Kind: String, Required: true, Rule: ISOCountry, Description: "Headquarters country, ISO 3166-1 alpha-2 (\"NA\" is Namibia)."},
		{Name: "sector", Kind: String, Required: true, Rule: Slug, Description: "Sector, free text normalised to lowercase snake_case."},
		{Name: "founded_year", Kind: Int64, Rule: FoundedYear, Description: "Year the company was founded, 1800 to the run year."},
		{Name: "employees", Kind: Int64, Rule: NonNeg, Description: "Head count."},
		{Name: "revenue_usd", Kind: Float64, Rule: NonNeg, Description: "Annual revenue in USD."},
		{Name: "gross_margin", Kind: Float64, Rule: MaxOne, Description: "Gross margin as a fraction; may be negative, at most 1."},
		{Name: "api_dependency_share", Kind: Float64, Required: true, Rule: Share, Description: "Share of the product's revenue that depends on third-party model APIs, 0 to 1."},
		{Name: "fallback_parity", Kind: Float64, Rule: Share, Description: "Quality of the best self-hostable open-weight fallback relative to today's model, 0 to 1; null means no tested fallback."},
		{Name: "switching_cost_weeks", Kind: Float64, Rule: NonNeg, Description: "Engineering weeks needed to switch model provider."},
		{Name: "as_of", Kind: Date, Rule: SaneDate, Description: "Date the company row was last verified."},
	},
}

// ModelUsage is the model_usage table: a company's use of models.
var ModelUsage = &Table{
	Name:        TableModelUsage,
	Description: "One row per company, provider and model used (a null model is a value of its own).",
	Columns: []Column{
		{Name: "company_id", Kind: String, Required: true, Key: true, Description: "Company using the model; must be in companies."},
		{Name: "provider", Kind: String, Required: true, Key: true, Rule: ProviderID, Description: "Model provider id, a lowercase slug of the provider reference (openai, anthropic, google, meta, mistral, deepseek, alibaba, ...)."},
		{Name: "model", Kind: String, Key: true, Description: "Model id of the models reference; null when not known."},
		{Name: "workload_share", Kind: Float64, Required: true, Rule: Share, Description: "Share of the company's inference workload on this model, 0 to 1."},
		{Name: "annual_spend_usd", Kind: Float64, Rule: NonNeg, Description: "Annual spend on this model in USD."},
		{Name: "access", Kind: String, Required: true, Rule: Enum, Values: []string{"api", "self_hosted", "on_prem"}, Description: "How the model is reached: api, self_hosted or on_prem."},
	},
}

// DataAssets is the data_assets table: a company's proprietary data.
var DataAssets = &Table{
	Name:        TableDataAssets,
	Description: "One row per data asset a company holds.",
	Columns: []Column{
		{Name: "company_id", Kind: String, Required: true, Key: true, Description: "Company holding the asset; must be in companies."},
		{Name: "asset_id", Kind: String, Required: true, Key: true, Description: "Asset identifier, unique within the company."},
		{Name: "name", Kind: String, Description: "Asset name."},
		{Name: "domain", Kind: String, Required: true, Rule: Slug, Description: "Data domain, free text normalised to lowercase snake_case; known domains are in the domains reference."},
		{Name: "records", Kind: Int64, Required: true, Rule: NonNeg, Description: "Number of records."},
		{Name: "tokens", Kind: Int64, Rule: NonNeg, Description: "Number of tokens, when known."},
		{Name: "exclusivity", Kind: String, Required: true, Rule: Enum, Values: []string{"owned", "exclusive_license", "nonexclusive_license", "public"}, Description: "Exclusivity: owned, exclusive_license, nonexclusive_license or public."},
		{Name: "training_rights", Kind: String, Required: true, Rule: Enum, Values: []string{"clear", "partial", "unclear", "none"}, Description: "Right to train models on the asset: clear, partial, unclear or none."},
		{Name: "refresh_days", Kind: Float64, Rule: NonNeg, Description: "Days between refreshes; null means static."},
		{Name: "usage_capture_share", Kind: Float64, Rule: Share, Description: "Share of the asset collected from the product's own use (the data flywheel), 0 to 1."},
		{Name: "replication_cost_usd", Kind: Float64, Rule: NonNeg, Description: "Estimated cost in USD for a competitor to replicate the asset."},
		{Name: "replication_years", Kind: Float64, Rule: NonNeg, Description: "Estimated years for a competitor to replicate the asset."},
		{Name: "last_updated", Kind: Date, Rule: SaneDate, Description: "Date the asset was last updated."},
		{Name: "regulated", Kind: Bool, Description: "Whether the asset holds regulated personal data (PII or PHI)."},
	},
}

// FundingRounds is the funding_rounds table.
var FundingRounds = &Table{
	Name:        TableFundingRounds,
	Description: "One row per funding round.",
	Columns: []Column{
		{Name: "company_id", Kind: String, Required: true, Key: true, Description: "Company that raised the round; must be in companies."},
		{Name: "round_id", Kind: String, Required: true, Key: true, Description: "Round identifier, unique within the company."},
		{Name: "announced_on", Kind: Date, Required: true, Rule: SaneDate, Description: "Date the round was announced."},
		{Name: "stage", Kind: String, Required: true, Rule: Slug, Description: "Stage (pre_seed, seed, series_a ... ipo), normalised to lowercase snake_case."},
		{Name: "amount_usd", Kind: Float64, Rule: NonNeg, Description: "Amount raised in USD."},
		{Name: "post_money_usd", Kind: Float64, Rule: NonNeg, Description: "Post-money valuation in USD."},
		{Name: "lead_investor", Kind: String, Description: "Lead investor."},
		{Name: "investor_country", Kind: String, Description: "Lead investor's country, ISO 3166-1 alpha-2 when known; not validated."},
	},
}

// Inputs lists the four input tables; companies first.
var Inputs = []*Table{Companies, ModelUsage, DataAssets, FundingRounds}

// InputTable returns the input table of that name, or nil.
func InputTable(name string) *Table {
	for _, t := range Inputs {
		if t.Name == name {
			return t
		}
	}
	return nil
}
