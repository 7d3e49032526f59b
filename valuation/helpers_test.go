package valuation

import (
	"fmt"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"moatscore/data"
)

// runDate of the hand-built cases.
var runDate = time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// testReference is a small reference built by hand, so that every number
// of the hand-computed cases can be traced.
func testReference() *data.Reference {
	return &data.Reference{
		Providers: []data.Provider{
			{ID: "openai", Name: "OpenAI", Country: "US", Zone: data.ZoneUS, ClosedAPI: true, OpenWeights: true},
			{ID: "anthropic", Name: "Anthropic", Country: "US", Zone: data.ZoneUS, ClosedAPI: true},
			{ID: "meta", Name: "Meta", Country: "US", Zone: data.ZoneUS, OpenWeights: true},
			{ID: "mistral", Name: "Mistral AI", Country: "FR", Zone: data.ZoneEU, ClosedAPI: true, OpenWeights: true},
			{ID: "deepseek", Name: "DeepSeek", Country: "CN", Zone: data.ZoneCN, ClosedAPI: true, OpenWeights: true},
		},
		Models: []data.Model{
			{ID: "gpt-new", Provider: "openai"},
			{ID: "gpt-old", Provider: "openai", Deprecation: day("2026-07-01")},   // within 12 months of the run date
			{ID: "gpt-later", Provider: "openai", Deprecation: day("2027-03-01")}, // beyond
			{ID: "gpt-open", Provider: "openai", OpenWeights: true},
			{ID: "claude", Provider: "anthropic"},
			{ID: "llama", Provider: "meta", OpenWeights: true},
			{ID: "mistral-large", Provider: "mistral"},
			{ID: "deepseek-chat", Provider: "deepseek", OpenWeights: true},
		},
		Countries: []data.Country{
			{Code: "US", Name: "United States", Zone: data.ZoneUS},
			{Code: "FR", Name: "France", Zone: data.ZoneEU},
			{Code: "DE", Name: "Germany", Zone: data.ZoneEU},
			{Code: "CN", Name: "China", Zone: data.ZoneCN},
			{Code: "IN", Name: "India", Zone: data.ZoneOther},
			{Code: "NA", Name: "Namibia", Zone: data.ZoneOther},
		},
		Regimes: []data.RegimeTier{
			// a rule in force on the run date
			{Regime: "live_rule", Country: "US", Tier: 1, From: day("2025-01-01")},
			{Regime: "live_rule", Country: "CN", Tier: 3, From: day("2025-01-01")},
			{Regime: "live_rule", Country: "*", Tier: 2, From: day("2025-01-01")},
			// a rule rescinded before the run date
			{Regime: "old_rule", Country: "US", Tier: 1, From: day("2025-01-13"), To: day("2025-05-13")},
			{Regime: "old_rule", Country: "FR", Tier: 1, From: day("2025-01-13"), To: day("2025-05-13")},
			{Regime: "old_rule", Country: "CN", Tier: 3, From: day("2025-01-13"), To: day("2025-05-13")},
			{Regime: "old_rule", Country: "*", Tier: 2, From: day("2025-01-13"), To: day("2025-05-13")},
		},
		ZoneRisk: []data.ZoneRisk{
			{CompanyZone: "us", ProviderZone: "us", Risk: 0},
			{CompanyZone: "us", ProviderZone: "eu", Risk: 0.2},
			{CompanyZone: "us", ProviderZone: "cn", Risk: 0.8},
			{CompanyZone: "us", ProviderZone: "unknown", Risk: 0.5},
			{CompanyZone: "eu", ProviderZone: "us", Risk: 0.3},
			{CompanyZone: "eu", ProviderZone: "cn", Risk: 0.6},
			{CompanyZone: "eu", ProviderZone: "unknown", Risk: 0.5},
			{CompanyZone: "cn", ProviderZone: "us", Risk: 1},
			{CompanyZone: "cn", ProviderZone: "eu", Risk: 0.7},
			{CompanyZone: "cn", ProviderZone: "unknown", Risk: 0.7},
			{CompanyZone: "other", ProviderZone: "us", Risk: 0.2},
			{CompanyZone: "other", ProviderZone: "eu", Risk: 0.2},
			{CompanyZone: "other", ProviderZone: "unknown", Risk: 0.5},
		},
		Domains: []data.Domain{
			{ID: "finance", ValueWeight: 0.9, ReferenceSize: 1e6},
			{ID: "healthcare", ValueWeight: 0.8, ReferenceSize: 1e5},
			{ID: "retail", ValueWeight: 0.5, ReferenceSize: 1e7},
		},
	}
}

// testConfig is the default configuration with scenarios that fit the
// test reference.
func testConfig() Config {
	c := DefaultConfig()
	c.Scenarios = []Scenario{
		{Name: "openai_x2", Kind: KindProviderPrice, Provider: "openai", Factor: 2},
		{Name: "us_cut_tier2_3", Kind: KindZoneCutoff, Regime: "old_rule", Zone: data.ZoneUS, Tiers: []int{2, 3}},
		{Name: "claude_gone", Kind: KindDeprecateModels, Models: []string{"claude", "gpt-old"}},
	}
	return c
}

func newTestModel(t testing.TB, cfg Config) *Model {
	t.Helper()
	m, err := New(cfg, testReference(), runDate)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return m
}

// row is one input row by column name; a missing column is null.
type row map[string]any

// buildRecord builds a record of a canonical schema from rows.
func buildRecord(mem memory.Allocator, schema *arrow.Schema, rows []row) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for _, r := range rows {
		for i, f := range schema.Fields() {
			v, ok := r[f.Name]
			fb := b.Field(i)
			if !ok || v == nil {
				fb.AppendNull()
				continue
			}
			switch fb := fb.(type) {
			case *array.StringBuilder:
				fb.Append(v.(string))
			case *array.Float64Builder:
				switch x := v.(type) {
				case float64:
					fb.Append(x)
				case int:
					fb.Append(float64(x))
				default:
					panic(fmt.Sprintf("column %s: %T", f.Name, v))
				}
			case *array.Int64Builder:
				switch x := v.(type) {
				case int64:
					fb.Append(x)
				case int:
					fb.Append(int64(x))
				default:
					panic(fmt.Sprintf("column %s: %T", f.Name, v))
				}
			case *array.Date32Builder:
				fb.Append(arrow.Date32FromTime(day(v.(string))))
			case *array.BooleanBuilder:
				fb.Append(v.(bool))
			default:
				panic(fmt.Sprintf("column %s: builder %T", f.Name, fb))
			}
		}
	}
	return b.NewRecordBatch()
}

// input is a whole test dataset.
type input struct {
	companies, usage, assets, rounds []row
	rejectedOf, flaggedOf            []int32
}

// scoreOpts control how a test input is fed to the model.
type scoreOpts struct {
	batch   int // child rows per batch; 0: one batch
	workers int // evaluation workers; 0: 1
	// concurrent feeds the three child tables from three goroutines
	concurrent bool
	// deferScenarios leaves Result.Scenarios nil (EvaluateOptions.DeferScenarios)
	deferScenarios bool
	// consume frees the aggregator as it is read (EvaluateOptions.ConsumeAggregator)
	consume bool
}

// score runs the model over an input: every row accepted, companies in
// row order.
func score(t testing.TB, mem memory.Allocator, m *Model, in input, o scoreOpts) *Result {
	t.Helper()
	comp := buildRecord(mem, data.Companies.ArrowSchema(), in.companies)
	defer comp.Release()
	index := map[string]int32{}
	for i, c := range in.companies {
		index[c["company_id"].(string)] = int32(i)
	}
	a, err := m.NewAggregator(comp)
	if err != nil {
		t.Fatalf("NewAggregator: %v", err)
	}
	defer a.Release()
	feed := func(table *data.Table, rows []row, add func(*data.Checked) error) error {
		size := o.batch
		if size <= 0 {
			size = len(rows) + 1
		}
		for lo := 0; lo < len(rows); lo += size {
			part := rows[lo:min(lo+size, len(rows))]
			rec := buildRecord(mem, table.ArrowSchema(), part)
			c := &data.Checked{Record: rec}
			for j, r := range part {
				c.Accepted = append(c.Accepted, int32(j))
				c.Company = append(c.Company, index[r["company_id"].(string)])
			}
			err := add(c)
			c.Release()
			if err != nil {
				return err
			}
		}
		return nil
	}
	jobs := []func() error{
		func() error { return feed(data.ModelUsage, in.usage, a.AddUsage) },
		func() error { return feed(data.DataAssets, in.assets, a.AddAssets) },
		func() error { return feed(data.FundingRounds, in.rounds, a.AddRounds) },
	}
	errs := make([]error, len(jobs))
	if o.concurrent {
		done := make(chan int)
		for j := range jobs {
			go func() { errs[j] = jobs[j](); done <- j }()
		}
		for range jobs {
			<-done
		}
	} else {
		for j := range jobs {
			errs[j] = jobs[j]()
		}
	}
	for _, err := range errs {
		if err != nil {
			t.Fatalf("add: %v", err)
		}
	}
	if err := a.AddChildFlags(in.rejectedOf, in.flaggedOf); err != nil {
		t.Fatalf("AddChildFlags: %v", err)
	}
	w := o.workers
	if w <= 0 {
		w = 1
	}
	eval := m.evaluate
	if o.deferScenarios {
		eval = m.score
	}
	if o.consume {
		eval = func(mem memory.Allocator, a *Aggregator, w int) (*Result, error) {
			return m.EvaluateWith(mem, a, EvaluateOptions{Workers: w, DeferScenarios: o.deferScenarios, ConsumeAggregator: true})
		}
	}
	res, err := eval(mem, a, w)
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	if o.consume {
		if again, err := m.Evaluate(mem, a); err == nil {
			again.Release()
			t.Errorf("Evaluate of a consumed aggregator: no error")
		}
		if err := a.AddChildFlags([]int32{0}, nil); err == nil {
			t.Errorf("AddChildFlags to a consumed aggregator: no error")
		}
	}
	return res
}

// col returns a column of a record by name.
func col(t testing.TB, rec arrow.RecordBatch, name string) arrow.Array {
	t.Helper()
	idx := rec.Schema().FieldIndices(name)
	if len(idx) == 0 {
		t.Fatalf("no column %s", name)
	}
	return rec.Column(idx[0])
}

func f64At(t testing.TB, rec arrow.RecordBatch, name string, i int) float64 {
	t.Helper()
	return col(t, rec, name).(*array.Float64).Value(i)
}

func strAt(t testing.TB, rec arrow.RecordBatch, name string, i int) string {
	t.Helper()
	return LabelAt(col(t, rec, name), i)
}

func isNull(t testing.TB, rec arrow.RecordBatch, name string, i int) bool {
	t.Helper()
	return col(t, rec, name).IsNull(i)
}
