package data

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var testRunDate = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

// row is one input row: column name -> value (string, int, int64, float64,
// bool; "YYYY-MM-DD" for dates); a missing or nil value is null.
type row map[string]any

// testBatch builds a canonical batch of the table from rows.
func testBatch(t testing.TB, mem memory.Allocator, tbl *Table, rows []row) *Batch {
	t.Helper()
	b := array.NewRecordBuilder(mem, tbl.ArrowSchema())
	defer b.Release()
	for i, c := range tbl.Columns {
		fb := b.Field(i)
		for _, r := range rows {
			v, ok := r[c.Name]
			if !ok || v == nil {
				fb.AppendNull()
				continue
			}
			switch fb := fb.(type) {
			case *array.StringBuilder:
				fb.Append(v.(string))
			case *array.Int64Builder:
				switch x := v.(type) {
				case int:
					fb.Append(int64(x))
				case int64:
					fb.Append(x)
				}
			case *array.Float64Builder:
				switch x := v.(type) {
				case int:
					fb.Append(float64(x))
				case float64:
					fb.Append(x)
				}
			case *array.Date32Builder:
				d, err := time.Parse(time.DateOnly, v.(string))
				if err != nil {
					t.Fatal(err)
				}
				fb.Append(arrow.Date32FromTime(d))
			case *array.BooleanBuilder:
				fb.Append(v.(bool))
			}
		}
	}
	return &Batch{File: &File{Path: "in/" + tbl.Name + "/part-0.parquet", Rel: "part-0.parquet"}, Offset: 100, Record: b.NewRecord()}
}

// with returns a copy of r changed by o (a nil value makes a null).
func (r row) with(o row) row {
	out := maps.Clone(r)
	for k, v := range o {
		out[k] = v
	}
	return out
}

func company(id string) row {
	return row{
		"company_id": id, "name": "Acme " + id, "country": "US", "sector": "fintech",
		"founded_year": 2015, "employees": 120, "revenue_usd": 2.5e7, "gross_margin": 0.6,
		"api_dependency_share": 0.4, "fallback_parity": 0.8, "switching_cost_weeks": 6.0, "as_of": "2026-06-30",
	}
}

func usage(id, provider, model string) row {
	return row{"company_id": id, "provider": provider, "model": model, "workload_share": 0.5, "annual_spend_usd": 12000.0, "access": "api"}
}

func asset(id, assetID string) row {
	return row{
		"company_id": id, "asset_id": assetID, "name": "Ledger", "domain": "finance", "records": 5000000, "tokens": 900000000,
		"exclusivity": "owned", "training_rights": "clear", "refresh_days": 1.0, "usage_capture_share": 0.3,
		"replication_cost_usd": 4e6, "replication_years": 3.0, "last_updated": "2026-10-01", "regulated": true,
	}
}

func round(id, roundID string) row {
	return row{
		"company_id": id, "round_id": roundID, "announced_on": "2025-03-01", "stage": "series_a",
		"amount_usd": 1.5e7, "post_money_usd": 9e7, "lead_investor": "Fund I", "investor_country": "GB",
	}
}

// testCompanies validates the fixed companies of the child-table tests:
// c1 and c2 accepted, "gone" rejected (bad country).
func testCompanies(t testing.TB, mem memory.Allocator) *CompanySet {
	t.Helper()
	v := NewCompanyValidator(testRunDate, nil)
	v.Mem = mem
	b := testBatch(t, mem, Companies, []row{company("c1"), company("c2"), company("gone").with(row{"country": "XX"})})
	defer b.Release()
	c := v.Check(b)
	defer c.Release()
	if len(c.Accepted) != 2 || len(c.Rejects) != 1 {
		t.Fatalf("companies: %d accepted, %d rejected, want 2 and 1", len(c.Accepted), len(c.Rejects))
	}
	return v.Companies()
}

var (
	nan = math.NaN()
	inf = math.Inf(1)
)

// ruleTests: each case validates rows (before..., the case row) and checks
// what became of the case row, the last one.
var ruleTests = []struct {
	name   string
	table  *Table
	before []row
	row    row
	issue  *CellIssue // a conversion issue on the case row
	want   string     // reason code; "" for accepted
	col    string     // the reject's column, or the normalised column to check
	value  string     // the reject's value, or the normalised value of col
}{
	// companies
	{name: "company valid", table: Companies, row: company("x")},
	{name: "company null id", table: Companies, row: company("x").with(row{"company_id": nil}), want: ReasonNullKey, col: "company_id"},
	{name: "company blank id", table: Companies, row: company("x").with(row{"company_id": "  "}), want: ReasonNullKey, col: "company_id", value: "  "},
	{name: "company null name", table: Companies, row: company("x").with(row{"name": nil}), want: ReasonNullValue, col: "name"},
	{name: "company blank name", table: Companies, row: company("x").with(row{"name": " \t"}), want: ReasonNullValue, col: "name"},
	{name: "company null country", table: Companies, row: company("x").with(row{"country": nil}), want: ReasonNullValue, col: "country"},
	{name: "company blank country", table: Companies, row: company("x").with(row{"country": " "}), want: ReasonNullValue, col: "country"},
	{name: "company country XX", table: Companies, row: company("x").with(row{"country": "XX"}), want: ReasonBadCountry, col: "country", value: "XX"},
	{name: "company country UK", table: Companies, row: company("x").with(row{"country": "UK"}), want: ReasonBadCountry, col: "country", value: "UK"},
	{name: "company country alpha-3", table: Companies, row: company("x").with(row{"country": "USA"}), want: ReasonBadCountry, col: "country", value: "USA"},
	{name: "company country digits", table: Companies, row: company("x").with(row{"country": "12"}), want: ReasonBadCountry, col: "country"},
	{name: "company country Namibia", table: Companies, row: company("x").with(row{"country": "NA"}), col: "country", value: "NA"},
	{name: "company country lower case", table: Companies, row: company("x").with(row{"country": "na"}), col: "country", value: "NA"},
	{name: "company country spaces", table: Companies, row: company("x").with(row{"country": " de "}), col: "country", value: "DE"},
	{name: "company null sector", table: Companies, row: company("x").with(row{"sector": nil}), want: ReasonNullValue, col: "sector"},
	{name: "company sector slug", table: Companies, row: company("x").with(row{"sector": " Financial  Services "}), col: "sector", value: "financial_services"},
	{name: "company sector punctuation", table: Companies, row: company("x").with(row{"sector": "--"}), want: ReasonNullValue, col: "sector"},
	{name: "company founded 1799", table: Companies, row: company("x").with(row{"founded_year": 1799}), want: ReasonOutOfRange, col: "founded_year", value: "1799"},
	{name: "company founded 1800", table: Companies, row: company("x").with(row{"founded_year": 1800})},
	{name: "company founded run year", table: Companies, row: company("x").with(row{"founded_year": 2026})},
	{name: "company founded next year", table: Companies, row: company("x").with(row{"founded_year": 2027}), want: ReasonOutOfRange, col: "founded_year"},
	{name: "company founded null", table: Companies, row: company("x").with(row{"founded_year": nil})},
	{name: "company employees negative", table: Companies, row: company("x").with(row{"employees": -1}), want: ReasonOutOfRange, col: "employees", value: "-1"},
	{name: "company revenue NaN", table: Companies, row: company("x").with(row{"revenue_usd": nan}), want: ReasonNotFinite, col: "revenue_usd", value: "NaN"},
	{name: "company revenue Inf", table: Companies, row: company("x").with(row{"revenue_usd": inf}), want: ReasonNotFinite, col: "revenue_usd", value: "+Inf"},
	{name: "company revenue negative", table: Companies, row: company("x").with(row{"revenue_usd": -5.0}), want: ReasonOutOfRange, col: "revenue_usd"},
	{name: "company revenue zero", table: Companies, row: company("x").with(row{"revenue_usd": 0.0})},
	{name: "company margin negative", table: Companies, row: company("x").with(row{"gross_margin": -0.5})},
	{name: "company margin over one", table: Companies, row: company("x").with(row{"gross_margin": 1.2}), want: ReasonOutOfRange, col: "gross_margin", value: "1.2"},
	{name: "company margin -Inf", table: Companies, row: company("x").with(row{"gross_margin": math.Inf(-1)}), want: ReasonNotFinite, col: "gross_margin"},
	{name: "company api share null", table: Companies, row: company("x").with(row{"api_dependency_share": nil}), want: ReasonNullValue, col: "api_dependency_share"},
	{name: "company api share over one", table: Companies, row: company("x").with(row{"api_dependency_share": 1.01}), want: ReasonOutOfRange, col: "api_dependency_share"},
	{name: "company api share negative", table: Companies, row: company("x").with(row{"api_dependency_share": -0.01}), want: ReasonOutOfRange, col: "api_dependency_share"},
	{name: "company api share one", table: Companies, row: company("x").with(row{"api_dependency_share": 1.0})},
	{name: "company api share zero", table: Companies, row: company("x").with(row{"api_dependency_share": 0.0})},
	{name: "company fallback null", table: Companies, row: company("x").with(row{"fallback_parity": nil})},
	{name: "company fallback NaN", table: Companies, row: company("x").with(row{"fallback_parity": nan}), want: ReasonNotFinite, col: "fallback_parity"},
	{name: "company switching negative", table: Companies, row: company("x").with(row{"switching_cost_weeks": -1.0}), want: ReasonOutOfRange, col: "switching_cost_weeks"},
	{name: "company as_of 1899", table: Companies, row: company("x").with(row{"as_of": "1899-12-31"}), want: ReasonBadDate, col: "as_of", value: "1899-12-31"},
	{name: "company as_of 1900", table: Companies, row: company("x").with(row{"as_of": "1900-01-01"})},
	{name: "company as_of a year ahead", table: Companies, row: company("x").with(row{"as_of": "2027-11-30"})},
	{name: "company as_of past a year", table: Companies, row: company("x").with(row{"as_of": "2027-12-01"}), want: ReasonBadDate, col: "as_of"},
	{name: "company duplicate", table: Companies, before: []row{company("x")}, row: company("x"), want: ReasonDuplicateKey, col: "company_id", value: "x"},
	{name: "company duplicate of a rejected row", table: Companies, before: []row{company("x").with(row{"country": "XX"})}, row: company("x")},
	{name: "company ids are exact", table: Companies, before: []row{company("x")}, row: company("X")},
	{name: "company null key before bad country", table: Companies, row: company("x").with(row{"company_id": "", "country": "XX"}), want: ReasonNullKey, col: "company_id"},
	{name: "company country before share", table: Companies, row: company("x").with(row{"country": "XX", "api_dependency_share": 2.0}), want: ReasonBadCountry, col: "country"},
	{name: "company bad value before duplicate", before: []row{company("x")}, table: Companies, row: company("x").with(row{"employees": -3}), want: ReasonOutOfRange, col: "employees"},
	{name: "company conversion issue", table: Companies, row: company("x").with(row{"employees": nil}), issue: &CellIssue{Column: "employees", Value: "18446744073709551615", Reason: ReasonOutOfRange, Message: "employees 18446744073709551615 does not fit an int64"}, want: ReasonOutOfRange, col: "employees", value: "18446744073709551615"},
	{name: "company issue on required column", table: Companies, row: company("x").with(row{"api_dependency_share": nil}), issue: &CellIssue{Column: "api_dependency_share", Value: "1e400", Reason: ReasonNotFinite}, want: ReasonNotFinite, col: "api_dependency_share"},

	// model_usage
	{name: "usage valid", table: ModelUsage, row: usage("c1", "openai", "gpt-4o")},
	{name: "usage unknown company", table: ModelUsage, row: usage("c9", "openai", "gpt-4o"), want: ReasonUnknownCompany, col: "company_id", value: "c9"},
	{name: "usage parent rejected", table: ModelUsage, row: usage("gone", "openai", "gpt-4o"), want: ReasonParentRejected, col: "company_id", value: "gone"},
	{name: "usage null company", table: ModelUsage, row: usage("", "openai", "gpt-4o").with(row{"company_id": nil}), want: ReasonNullKey, col: "company_id"},
	{name: "usage null provider", table: ModelUsage, row: usage("c1", "", "gpt-4o").with(row{"provider": nil}), want: ReasonNullKey, col: "provider"},
	{name: "usage blank provider", table: ModelUsage, row: usage("c1", " ", "gpt-4o"), want: ReasonNullKey, col: "provider"},
	{name: "usage provider normalised", table: ModelUsage, row: usage("c1", " OpenAI ", "gpt-4o"), col: "provider", value: "openai"},
	{name: "usage unknown provider kept", table: ModelUsage, row: usage("c1", "acme", "acme-1"), col: "provider", value: "acme"},
	{name: "usage null model", table: ModelUsage, row: usage("c1", "meta", "").with(row{"model": nil})},
	{name: "usage share over one", table: ModelUsage, row: usage("c1", "openai", "gpt-4o").with(row{"workload_share": 1.5}), want: ReasonOutOfRange, col: "workload_share"},
	{name: "usage share null", table: ModelUsage, row: usage("c1", "openai", "gpt-4o").with(row{"workload_share": nil}), want: ReasonNullValue, col: "workload_share"},
	{name: "usage share NaN", table: ModelUsage, row: usage("c1", "openai", "gpt-4o").with(row{"workload_share": nan}), want: ReasonNotFinite, col: "workload_share"},
	{name: "usage spend negative", table: ModelUsage, row: usage("c1", "openai", "gpt-4o").with(row{"annual_spend_usd": -1.0}), want: ReasonOutOfRange, col: "annual_spend_usd"},
	{name: "usage access upper case", table: ModelUsage, row: usage("c1", "openai", "gpt-4o").with(row{"access": " API "}), col: "access", value: "api"},
	{name: "usage access self hosted", table: ModelUsage, row: usage("c1", "meta", "llama-3.3-70b").with(row{"access": "Self_Hosted"}), col: "access", value: "self_hosted"},
	{name: "usage access unknown", table: ModelUsage, row: usage("c1", "openai", "gpt-4o").with(row{"access": "cloud"}), want: ReasonUnknownValue, col: "access", value: "cloud"},
	{name: "usage access null", table: ModelUsage, row: usage("c1", "openai", "gpt-4o").with(row{"access": nil}), want: ReasonNullValue, col: "access"},
	{name: "usage duplicate", table: ModelUsage, before: []row{usage("c1", "openai", "gpt-4o")}, row: usage("c1", "openai", "gpt-4o"), want: ReasonDuplicateKey, col: "company_id,provider,model"},
	{name: "usage duplicate provider case", table: ModelUsage, before: []row{usage("c1", "openai", "gpt-4o")}, row: usage("c1", "OpenAI", "gpt-4o"), want: ReasonDuplicateKey},
	{name: "usage duplicate null model", table: ModelUsage, before: []row{usage("c1", "meta", "").with(row{"model": nil})}, row: usage("c1", "meta", "").with(row{"model": nil}), want: ReasonDuplicateKey},
	{name: "usage blank model is null", table: ModelUsage, before: []row{usage("c1", "meta", "").with(row{"model": nil})}, row: usage("c1", "meta", " "), want: ReasonDuplicateKey},
	{name: "usage null model is its own value", table: ModelUsage, before: []row{usage("c1", "openai", "gpt-4o")}, row: usage("c1", "openai", "").with(row{"model": nil})},
	{name: "usage same model other company", table: ModelUsage, before: []row{usage("c1", "openai", "gpt-4o")}, row: usage("c2", "openai", "gpt-4o")},
	{name: "usage same model other provider", table: ModelUsage, before: []row{usage("c1", "openai", "x")}, row: usage("c1", "mistral", "x")},
	{name: "usage key parts do not run together", table: ModelUsage, before: []row{usage("c1", "openai", "ab")}, row: usage("c1", "openaia", "b")},
	{name: "usage duplicate of a rejected row", table: ModelUsage, before: []row{usage("c1", "openai", "gpt-4o").with(row{"access": "cloud"})}, row: usage("c1", "openai", "gpt-4o")},
	{name: "usage company before value", table: ModelUsage, row: usage("c9", "openai", "gpt-4o").with(row{"workload_share": 7.0}), want: ReasonUnknownCompany},
	{name: "usage null key before company", table: ModelUsage, row: usage("c9", "", "gpt-4o"), want: ReasonNullKey, col: "provider"},

	// data_assets
	{name: "asset valid", table: DataAssets, row: asset("c1", "a1")},
	{name: "asset null id", table: DataAssets, row: asset("c1", "").with(row{"asset_id": nil}), want: ReasonNullKey, col: "asset_id"},
	{name: "asset unknown company", table: DataAssets, row: asset("zz", "a1"), want: ReasonUnknownCompany},
	{name: "asset parent rejected", table: DataAssets, row: asset("gone", "a1"), want: ReasonParentRejected},
	{name: "asset domain slug", table: DataAssets, row: asset("c1", "a1").with(row{"domain": "Health-Care"}), col: "domain", value: "health_care"},
	{name: "asset domain null", table: DataAssets, row: asset("c1", "a1").with(row{"domain": nil}), want: ReasonNullValue, col: "domain"},
	{name: "asset records null", table: DataAssets, row: asset("c1", "a1").with(row{"records": nil}), want: ReasonNullValue, col: "records"},
	{name: "asset records negative", table: DataAssets, row: asset("c1", "a1").with(row{"records": -1}), want: ReasonOutOfRange, col: "records"},
	{name: "asset tokens negative", table: DataAssets, row: asset("c1", "a1").with(row{"tokens": -1}), want: ReasonOutOfRange, col: "tokens"},
	{name: "asset exclusivity case", table: DataAssets, row: asset("c1", "a1").with(row{"exclusivity": "Exclusive_License "}), col: "exclusivity", value: "exclusive_license"},
	{name: "asset exclusivity unknown", table: DataAssets, row: asset("c1", "a1").with(row{"exclusivity": "stolen"}), want: ReasonUnknownValue, col: "exclusivity"},
	{name: "asset rights unknown", table: DataAssets, row: asset("c1", "a1").with(row{"training_rights": "maybe"}), want: ReasonUnknownValue, col: "training_rights"},
	{name: "asset rights null", table: DataAssets, row: asset("c1", "a1").with(row{"training_rights": nil}), want: ReasonNullValue, col: "training_rights"},
	{name: "asset capture over one", table: DataAssets, row: asset("c1", "a1").with(row{"usage_capture_share": 2.0}), want: ReasonOutOfRange, col: "usage_capture_share"},
	{name: "asset refresh static", table: DataAssets, row: asset("c1", "a1").with(row{"refresh_days": nil})},
	{name: "asset replication Inf", table: DataAssets, row: asset("c1", "a1").with(row{"replication_cost_usd": inf}), want: ReasonNotFinite, col: "replication_cost_usd"},
	{name: "asset last updated 1800", table: DataAssets, row: asset("c1", "a1").with(row{"last_updated": "1800-01-01"}), want: ReasonBadDate, col: "last_updated"},
	{name: "asset regulated null", table: DataAssets, row: asset("c1", "a1").with(row{"regulated": nil})},
	{name: "asset duplicate", table: DataAssets, before: []row{asset("c1", "a1")}, row: asset("c1", "a1"), want: ReasonDuplicateKey, col: "company_id,asset_id", value: "c1,a1"},
	{name: "asset same id other company", table: DataAssets, before: []row{asset("c1", "a1")}, row: asset("c2", "a1")},

	// funding_rounds
	{name: "round valid", table: FundingRounds, row: round("c1", "r1")},
	{name: "round blank id", table: FundingRounds, row: round("c1", " "), want: ReasonNullKey, col: "round_id"},
	{name: "round unknown company", table: FundingRounds, row: round("c3", "r1"), want: ReasonUnknownCompany},
	{name: "round announced null", table: FundingRounds, row: round("c1", "r1").with(row{"announced_on": nil}), want: ReasonNullValue, col: "announced_on"},
	{name: "round announced future", table: FundingRounds, row: round("c1", "r1").with(row{"announced_on": "2030-01-01"}), want: ReasonBadDate, col: "announced_on"},
	{name: "round stage slug", table: FundingRounds, row: round("c1", "r1").with(row{"stage": "Series A"}), col: "stage", value: "series_a"},
	{name: "round stage null", table: FundingRounds, row: round("c1", "r1").with(row{"stage": nil}), want: ReasonNullValue, col: "stage"},
	{name: "round post money negative", table: FundingRounds, row: round("c1", "r1").with(row{"post_money_usd": -1.0}), want: ReasonOutOfRange, col: "post_money_usd"},
	{name: "round amount NaN", table: FundingRounds, row: round("c1", "r1").with(row{"amount_usd": nan}), want: ReasonNotFinite, col: "amount_usd"},
	{name: "round investor country free", table: FundingRounds, row: round("c1", "r1").with(row{"investor_country": "XX"})},
	{name: "round duplicate", table: FundingRounds, before: []row{round("c1", "r1")}, row: round("c1", "r1"), want: ReasonDuplicateKey},
}

func TestValidateRules(t *testing.T) {
	for _, tt := range ruleTests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			rows := append(append([]row{}, tt.before...), tt.row)
			b := testBatch(t, mem, tt.table, rows)
			defer b.Release()
			last := len(rows) - 1
			if tt.issue != nil {
				is := *tt.issue
				is.Row = last
				b.Issues = []CellIssue{is}
			}
			var c *Checked
			if tt.table == Companies {
				v := NewCompanyValidator(testRunDate, nil)
				v.Mem = mem
				c = v.Check(b)
			} else {
				v := NewChildValidator(tt.table, testRunDate, nil, testCompanies(t, mem))
				v.Mem = mem
				c = v.Check(b)
			}
			defer c.Release()
			if n := len(c.Accepted) + len(c.Rejects); n != len(rows) {
				t.Fatalf("%d accepted + %d rejected, want %d rows", len(c.Accepted), len(c.Rejects), len(rows))
			}
			var got *Reject
			for i := range c.Rejects {
				if c.Rejects[i].Row == b.Offset+int64(last) {
					got = &c.Rejects[i]
				}
			}
			if tt.want == "" {
				if got != nil {
					t.Fatalf("row rejected: %+v, want accepted", *got)
				}
				if tt.col != "" {
					_, i := tt.table.Column(tt.col)
					if v := c.Record.Column(i).(*array.String).Value(last); v != tt.value {
						t.Errorf("normalised %s = %q, want %q", tt.col, v, tt.value)
					}
				}
				return
			}
			if got == nil {
				t.Fatalf("row accepted, want %s", tt.want)
			}
			if got.Reason != tt.want {
				t.Errorf("reason = %s (%s), want %s", got.Reason, got.Message, tt.want)
			}
			if tt.col != "" && got.Column != tt.col {
				t.Errorf("column = %q, want %q", got.Column, tt.col)
			}
			if tt.value != "" && got.Value != tt.value {
				t.Errorf("value = %q, want %q", got.Value, tt.value)
			}
			if got.Table != tt.table.Name || got.File != "part-0.parquet" || got.Message == "" {
				t.Errorf("reject = %+v, want table %s, file part-0.parquet and a message", *got, tt.table.Name)
			}
		})
	}
}

func TestValidateNormalisedRecord(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	v := NewCompanyValidator(testRunDate, nil)
	v.Mem = mem
	clean := testBatch(t, mem, Companies, []row{company("a"), company("b")})
	defer clean.Release()
	c := v.Check(clean)
	defer c.Release()
	for i := range Companies.Columns {
		if c.Record.Column(i) != clean.Record.Column(i) {
			t.Errorf("clean batch: column %s was rebuilt, want the batch's own", Companies.Columns[i].Name)
		}
	}
	mixed := testBatch(t, mem, Companies, []row{company("c").with(row{"sector": "Health Care", "country": "fr"}), company("d").with(row{"sector": nil})})
	defer mixed.Release()
	m := v.Check(mixed)
	defer m.Release()
	_, si := Companies.Column("sector")
	_, ci := Companies.Column("country")
	_, ni := Companies.Column("name")
	sec := m.Record.Column(si).(*array.String)
	if sec.Value(0) != "health_care" || sec.IsValid(1) {
		t.Errorf("sector = %q, %v; want health_care and a null", sec.Value(0), sec.IsValid(1))
	}
	if got := m.Record.Column(ci).(*array.String).Value(0); got != "FR" {
		t.Errorf("country = %q, want FR", got)
	}
	if m.Record.Column(ni) != mixed.Record.Column(ni) {
		t.Error("name column was rebuilt, want the batch's own")
	}
	if got, want := m.Company, []int32{2}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Company = %v, want %v", got, want)
	}
}

func TestValidateTruncatesValue(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	long := strings.Repeat("é", 150) // 300 bytes
	b := testBatch(t, mem, Companies, []row{company("x").with(row{"country": long})})
	defer b.Release()
	v := NewCompanyValidator(testRunDate, nil)
	v.Mem = mem
	c := v.Check(b)
	defer c.Release()
	if len(c.Rejects) != 1 {
		t.Fatalf("%d rejects, want 1", len(c.Rejects))
	}
	if got := c.Rejects[0].Value; len(got) != 200 || got != strings.Repeat("é", 100) {
		t.Errorf("value has %d bytes, want 200 whole characters", len(got))
	}
	if got := truncateValue(strings.Repeat("a", 199) + "é"); got != strings.Repeat("a", 199) {
		t.Errorf("truncateValue cut a character: %q", got)
	}
}

func TestValidateAcrossBatches(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cv := NewCompanyValidator(testRunDate, nil)
	cv.Mem = mem
	check := func(v interface{ Check(*Batch) *Checked }, tbl *Table, rows []row) *Checked {
		b := testBatch(t, mem, tbl, rows)
		defer b.Release()
		c := v.Check(b)
		c.Release()
		return c
	}
	c1 := check(cv, Companies, []row{company("a"), company("b").with(row{"country": "XX"})})
	c2 := check(cv, Companies, []row{company("a"), company("b"), company("c").with(row{"api_dependency_share": 3.0})})
	if len(c1.Accepted) != 1 || len(c2.Accepted) != 1 || c2.Rejects[0].Reason != ReasonDuplicateKey {
		t.Fatalf("companies: batch 1 %d accepted, batch 2 %d accepted, %+v", len(c1.Accepted), len(c2.Accepted), c2.Rejects)
	}
	set := cv.Companies()
	for _, tt := range []struct {
		id   string
		idx  int32
		want LinkStatus
	}{{"a", 0, Linked}, {"b", 1, Linked}, {"c", -1, ParentRejected}, {"d", -1, UnknownCompany}} {
		if idx, st := set.Lookup(tt.id); idx != tt.idx || st != tt.want {
			t.Errorf("Lookup(%q) = %d, %v, want %d, %v", tt.id, idx, st, tt.idx, tt.want)
		}
	}
	if set.Len() != 2 || set.ID(1) != "b" {
		t.Errorf("Len() = %d, ID(1) = %q", set.Len(), set.ID(1))
	}

	uv := NewChildValidator(ModelUsage, testRunDate, nil, set)
	uv.Mem = mem
	u1 := check(uv, ModelUsage, []row{usage("a", "openai", "gpt-4o"), usage("b", "acme", "x"), usage("c", "openai", "gpt-4o")})
	u2 := check(uv, ModelUsage, []row{usage("a", "OPENAI", "gpt-4o"), usage("b", "anthropic", "claude-3-opus"), usage("b", "acme", "y").with(row{"workload_share": -1.0})})
	if fmt.Sprint(u1.Company) != "[0 1]" || fmt.Sprint(u2.Company) != "[1]" {
		t.Errorf("Company = %v and %v, want [0 1] and [1]", u1.Company, u2.Company)
	}
	if u1.Warnings[WarnUnknownProvider] != 1 || fmt.Sprint(u1.FlaggedOf) != "[1]" {
		t.Errorf("warnings = %v, FlaggedOf = %v, want 1 unknown provider of company 1", u1.Warnings, u1.FlaggedOf)
	}
	// A parent_rejected row has no accepted company: not in RejectedOf.
	if len(u1.RejectedOf) != 0 || fmt.Sprint(u2.RejectedOf) != "[0 1]" {
		t.Errorf("RejectedOf = %v and %v, want [] and [0 1]", u1.RejectedOf, u2.RejectedOf)
	}
	if u2.Rejects[0].Reason != ReasonDuplicateKey || u2.Rejects[0].Row != 100 {
		t.Errorf("batch 2 first reject = %+v, want the duplicate of row 100", u2.Rejects[0])
	}
}

// TestValidateProperties validates random rows with random faults and
// checks that the accounting adds up, that the first valid occurrence of
// each key is the one kept, and that nothing leaks.
func TestValidateProperties(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(1, 2))
	cv := NewCompanyValidator(testRunDate, nil)
	cv.Mem = mem
	acc := NewAccounting(TableCompanies)
	kept := map[string]bool{}
	faults := []row{{"country": "ZZ"}, {"api_dependency_share": 1.5}, {"company_id": " "}, {"as_of": "1066-10-14"}, {"revenue_usd": nan}}
	rowsIn := 0
	for batch := 0; batch < 20; batch++ {
		var rows []row
		var valid []bool
		for i := 0; i < 1+rng.IntN(200); i++ {
			r := company(fmt.Sprintf("c%d", rng.IntN(500)))
			ok := true
			if rng.IntN(5) == 0 {
				r = r.with(faults[rng.IntN(len(faults))])
				ok = false
			}
			rows, valid = append(rows, r), append(valid, ok)
		}
		rowsIn += len(rows)
		b := testBatch(t, mem, Companies, rows)
		c := cv.Check(b)
		acc.Add(c)
		accepted := map[int32]bool{}
		for _, r := range c.Accepted {
			accepted[r] = true
		}
		for i, r := range rows {
			id := r["company_id"].(string)
			wantKept := valid[i] && !kept[id]
			if accepted[int32(i)] != wantKept {
				t.Fatalf("batch %d row %d (%s): accepted %v, want %v", batch, i, id, accepted[int32(i)], wantKept)
			}
			if wantKept {
				kept[id] = true
			}
		}
		c.Release()
		b.Release()
	}
	if err := acc.Check(); err != nil {
		t.Error(err)
	}
	if acc.RowsIn != int64(rowsIn) || acc.Accepted != int64(len(kept)) || acc.Accepted != int64(cv.Companies().Len()) {
		t.Errorf("accounting %+v: want %d rows in, %d accepted", acc, rowsIn, len(kept))
	}
}

func TestKeySet(t *testing.T) {
	var s keySet
	rng := rand.New(rand.NewPCG(3, 4))
	seen := map[uint64]bool{0: true, 1: true}
	if !s.add(0) || s.add(1) {
		t.Fatal("0 and 1 should be the same stored hash")
	}
	for i := 0; i < 300000; i++ {
		h := rng.Uint64() % 200000
		if got := s.add(h); got == seen[h] {
			t.Fatalf("add(%d) = %v after %d keys", h, got, s.Len())
		}
		seen[h] = true
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct{ in, slug, enum, country string }{
		{"", "", "", ""},
		{"series_a", "series_a", "series_a", "SERIES_A"},
		{"Series A", "series_a", "series a", "SERIES A"},
		{"  --Health   Care--  ", "health_care", "--health   care--", "--HEALTH   CARE--"},
		{"__a__b__", "a_b", "__a__b__", "__A__B__"},
		{"Crédit Agricole", "crédit_agricole", "crédit agricole", "CRÉDIT AGRICOLE"},
		{"na", "na", "na", "NA"},
		{"e-commerce/B2B", "e_commerce_b2b", "e-commerce/b2b", "E-COMMERCE/B2B"},
	}
	for _, tt := range tests {
		if got := NormalizeSlug(tt.in); got != tt.slug {
			t.Errorf("NormalizeSlug(%q) = %q, want %q", tt.in, got, tt.slug)
		}
		if got := NormalizeEnum(tt.in); got != tt.enum {
			t.Errorf("NormalizeEnum(%q) = %q, want %q", tt.in, got, tt.enum)
		}
		if got := NormalizeCountry(tt.in); got != strings.TrimSpace(tt.country) {
			t.Errorf("NormalizeCountry(%q) = %q, want %q", tt.in, got, tt.country)
		}
	}
	if n := testing.AllocsPerRun(100, func() { NormalizeSlug("already_a_slug") }); n != 0 {
		t.Errorf("NormalizeSlug of a slug allocates %v times", n)
	}
}

func TestAccounting(t *testing.T) {
	a := NewAccounting(TableModelUsage)
	a.Add(&Checked{Accepted: []int32{0, 2}, Rejects: []Reject{{Reason: ReasonDuplicateKey}}, Warnings: map[string]int{WarnUnknownProvider: 1}})
	a.Add(&Checked{Accepted: []int32{1}, Rejects: []Reject{{Reason: ReasonNullKey}, {Reason: ReasonDuplicateKey}}})
	a.Warn(WarnSharesScaled, 2)
	if a.RowsIn != 6 || a.Accepted != 3 || a.Rejected != 3 || a.ByReason[ReasonDuplicateKey] != 2 || a.Warnings[WarnUnknownProvider] != 1 || a.Warnings[WarnSharesScaled] != 2 {
		t.Errorf("accounting = %+v", a)
	}
	if err := a.Check(); err != nil {
		t.Error(err)
	}
	if got := fmt.Sprint(a.Reasons()); got != "[null_key duplicate_key]" {
		t.Errorf("Reasons() = %s, want precedence order", got)
	}
	if got := a.RejectShare(); got != 0.5 {
		t.Errorf("RejectShare() = %v, want 0.5", got)
	}
	a.Rejected++
	if a.Check() == nil {
		t.Error("Check() = nil for counts that do not add up")
	}
}

func TestCompanySet(t *testing.T) {
	s := newCompanySet()
	rng := rand.New(rand.NewPCG(5, 6))
	want := map[string]int32{}
	var order []string
	for i := 0; i < 50000; i++ {
		id := fmt.Sprintf("C%d", rng.IntN(40000))
		if i%7 == 0 {
			id = "" // an empty id is an id like any other here
		}
		k, added := s.add(id)
		if w, ok := want[id]; ok {
			if added || k != w {
				t.Fatalf("add(%q) again = %d, %v; want %d, false", id, k, added, w)
			}
			continue
		}
		if !added || k != int32(len(order)) {
			t.Fatalf("add(%q) = %d, %v; want %d, true", id, k, added, len(order))
		}
		want[id] = k
		order = append(order, id)
	}
	for i := 0; i < 1000; i++ {
		s.reject(fmt.Sprintf("R%d", i))
		s.reject(order[i]) // accepted ids stay accepted
	}
	if s.Len() != len(order) {
		t.Fatalf("Len() = %d, want %d", s.Len(), len(order))
	}
	for i, id := range order {
		if got := s.ID(int32(i)); got != id {
			t.Fatalf("ID(%d) = %q, want %q", i, got, id)
		}
		if k, st := s.Lookup(id); k != int32(i) || st != Linked {
			t.Fatalf("Lookup(%q) = %d, %v; want %d, linked", id, k, st, i)
		}
	}
	for _, tt := range []struct {
		id   string
		want LinkStatus
	}{
		{"R0", ParentRejected},
		{"R999", ParentRejected},
		{"R1000", UnknownCompany},
		{"C40000", UnknownCompany},
		{"C1 ", UnknownCompany},
	} {
		if k, st := s.Lookup(tt.id); k != -1 || st != tt.want {
			t.Errorf("Lookup(%q) = %d, %v; want -1, %v", tt.id, k, st, tt.want)
		}
	}
	// An id rejected first and accepted later is accepted.
	if _, added := s.add("R5"); !added {
		t.Fatal(`add("R5") = not added`)
	}
	if _, st := s.Lookup("R5"); st != Linked {
		t.Errorf(`Lookup("R5") = %v after add, want linked`, st)
	}
}

func TestCompanyKeys(t *testing.T) {
	type key struct {
		c int32
		h uint64
	}
	rng := rand.New(rand.NewPCG(7, 8))
	random := func(i int) key {
		c := int32(rng.IntN(3 << keyPartShift))
		return key{c, hashInt(keySeed, uint64(c)) ^ rng.Uint64()%50} // a key's hash includes its company
	}
	// Companies in order, 0 to 7 keys each (some repeated), over three
	// files of 100 parts of 16 companies: the second starts again from
	// company 0, the third from the middle.
	const shift = 4
	var ordered []key
	for file := 0; file < 3; file++ {
		start := 0
		if file == 2 {
			start = 50 << shift
		}
		for c := start; c < start+100<<shift; c += 1 + rng.IntN(2) {
			for n := rng.IntN(8); n > 0; n-- {
				ordered = append(ordered, key{int32(c), hashInt(keySeed, uint64(c)) ^ rng.Uint64()%12})
			}
		}
	}
	for _, tt := range []struct {
		name   string
		n      int
		key    func(i int) key
		frozen bool // most keys end in frozen parts
	}{
		{"random", 200000, random, false},
		{"random in small parts", 200000, random, false},
		{"in order", len(ordered), func(i int) key { return ordered[i] }, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			k := newCompanyKeys(keyPartShift)
			if tt.name != "random" {
				k = newCompanyKeys(shift)
			}
			seen := map[key]bool{}
			for i := 0; i < tt.n; i++ {
				kk := tt.key(i)
				if got := k.add(kk.c, kk.h); got == seen[kk] {
					t.Fatalf("add(%d, %d) = %v after %d keys", kk.c, kk.h, got, i)
				}
				seen[kk] = true
			}
			frozen := 0
			for _, p := range k.parts {
				frozen += len(p.frozen)
			}
			if tt.frozen && frozen < len(seen)/2 || !tt.frozen && frozen > len(seen)/100 {
				t.Errorf("%d of %d keys frozen; want most frozen: %v", frozen, len(seen), tt.frozen)
			}
		})
	}
}

// TestNormalizedColumns checks that a normalised column holds, on every
// row, accepted or rejected, the value's normal form (the value itself
// when it has none), whatever else the rows break.
func TestNormalizedColumns(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(9, 10))
	ref := DefaultReference()
	pick := func(vs ...any) any { return vs[rng.IntN(len(vs))] }
	normal := func(c *Column, v string) string {
		switch c.Rule {
		case Enum:
			for _, x := range c.Values {
				if strings.EqualFold(x, strings.TrimSpace(v)) {
					return x
				}
			}
		case Slug:
			return NormalizeSlug(v)
		case ISOCountry:
			if code := NormalizeCountry(v); ref.IsCountry(code) {
				return code
			}
		case ProviderID:
			return NormalizeEnum(v)
		}
		return v
	}
	tables := []struct {
		t   *Table
		row func(i int) row
	}{
		{Companies, func(i int) row {
			return company(fmt.Sprintf("c%d", i)).with(row{
				"company_id":           pick(fmt.Sprintf("c%d", i), fmt.Sprintf("c%d", i), nil, "  "),
				"country":              pick("US", "us", " Fr ", "XX", "", nil, "na"),
				"sector":               pick("fintech", "Fin Tech", "--", "", nil, "health_care", "É-commerce"),
				"api_dependency_share": pick(0.5, 0.5, nil, 2.0),
			})
		}},
		{FundingRounds, func(i int) row {
			return round(fmt.Sprintf("c%d", i%7), fmt.Sprintf("r%d", i%50)).with(row{
				"stage":        pick("series_a", "Series A", " SEED ", "!!", nil),
				"announced_on": pick("2025-03-01", "1800-01-01"),
			})
		}},
		{ModelUsage, func(i int) row {
			return usage(fmt.Sprintf("c%d", i%7), pick("openai", "OpenAI", " Mistral ", "", "newco").(string), "gpt-4o").with(row{
				"access": pick("api", "API", " self_hosted", "cloud", nil),
			})
		}},
	}
	for _, tt := range tables {
		t.Run(tt.t.Name, func(t *testing.T) {
			cv := NewCompanyValidator(testRunDate, nil)
			cv.Mem = mem
			var comps []row
			for i := 0; i < 7; i++ {
				comps = append(comps, company(fmt.Sprintf("c%d", i)))
			}
			cb := testBatch(t, mem, Companies, comps)
			cv.Check(cb).Release()
			cb.Release()
			for batch := 0; batch < 20; batch++ {
				rows := make([]row, 1+rng.IntN(60))
				for i := range rows {
					rows[i] = tt.row(rng.IntN(1000))
				}
				b := testBatch(t, mem, tt.t, rows)
				var c *Checked
				if tt.t == Companies {
					v := NewCompanyValidator(testRunDate, nil)
					v.Mem = mem
					c = v.Check(b)
				} else {
					v := NewChildValidator(tt.t, testRunDate, nil, cv.Companies())
					v.Mem = mem
					c = v.Check(b)
				}
				for i := range tt.t.Columns {
					col := &tt.t.Columns[i]
					in, ok := b.Record.Column(i).(*array.String)
					if !ok || col.Rule == NoRule {
						continue
					}
					out := c.Record.Column(i).(*array.String)
					if out == in {
						continue // not normalised: the batch's own column
					}
					for r := 0; r < len(rows); r++ {
						if in.IsNull(r) != out.IsNull(r) {
							t.Fatalf("batch %d row %d %s: null %v, want %v", batch, r, col.Name, out.IsNull(r), in.IsNull(r))
						}
						if in.IsValid(r) {
							if got, want := out.Value(r), normal(col, in.Value(r)); got != want {
								t.Fatalf("batch %d row %d %s: %q normalised to %q, want %q", batch, r, col.Name, in.Value(r), got, want)
							}
						}
					}
				}
				c.Release()
				b.Release()
			}
		})
	}
}

// TestChildLinks checks the company index of every accepted child row and
// the link rejects, with rows in the companies' order (with gaps, unknown
// and rejected companies between) and shuffled.
func TestChildLinks(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(11, 12))
	cv := NewCompanyValidator(testRunDate, nil)
	cv.Mem = mem
	var comps []row
	for i := 0; i < 300; i++ {
		r := company(fmt.Sprintf("c%03d", i))
		if i%17 == 0 {
			r = r.with(row{"country": "XX"}) // rejected: its children are parent_rejected
		}
		comps = append(comps, r)
	}
	cb := testBatch(t, mem, Companies, comps)
	cv.Check(cb).Release()
	cb.Release()
	set := cv.Companies()
	ordered := func() []string {
		var ids []string
		for i := 0; i < 320; i++ { // 300..319 are unknown
			for k := rng.IntN(4); k > 0; k-- { // 0 to 3 rows: gaps
				ids = append(ids, fmt.Sprintf("c%03d", i))
			}
		}
		return ids
	}
	shuffled := ordered()
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for _, tt := range []struct {
		name string
		ids  []string
	}{
		{"in order", ordered()},
		{"shuffled", shuffled},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := NewChildValidator(FundingRounds, testRunDate, nil, set)
			v.Mem = mem
			for lo := 0; lo < len(tt.ids); lo += 50 {
				part := tt.ids[lo:min(lo+50, len(tt.ids))]
				rows := make([]row, len(part))
				for i, id := range part {
					rows[i] = round(id, fmt.Sprintf("r%d", lo+i))
				}
				b := testBatch(t, mem, FundingRounds, rows)
				c := v.Check(b)
				accepted := map[int32]int32{}
				for k, r := range c.Accepted {
					accepted[r] = c.Company[k]
				}
				rejected := map[int64]string{}
				for _, rj := range c.Rejects {
					rejected[rj.Row-b.Offset] = rj.Reason
				}
				for i, id := range part {
					idx, st := set.Lookup(id)
					switch st {
					case Linked:
						if got, ok := accepted[int32(i)]; !ok || got != idx {
							t.Fatalf("row %d (%s): company %d, accepted %v; want %d", lo+i, id, got, ok, idx)
						}
					case ParentRejected:
						if rejected[int64(i)] != ReasonParentRejected {
							t.Fatalf("row %d (%s): reject %q, want %s", lo+i, id, rejected[int64(i)], ReasonParentRejected)
						}
					default:
						if rejected[int64(i)] != ReasonUnknownCompany {
							t.Fatalf("row %d (%s): reject %q, want %s", lo+i, id, rejected[int64(i)], ReasonUnknownCompany)
						}
					}
				}
				c.Release()
				b.Release()
			}
		})
	}
}
