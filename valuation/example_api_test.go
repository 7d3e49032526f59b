package valuation_test

import (
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"moatscore/data"
	"moatscore/valuation"
)

// A run builds the model, streams the checked child batches into an
// aggregator and evaluates every company at once.
func Example() {
	mem := memory.NewGoAllocator()
	m, err := valuation.New(valuation.DefaultConfig(), data.DefaultReference(), time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		panic(err)
	}

	// the accepted companies, one row per company in company-index order
	cb := array.NewRecordBuilder(mem, data.Companies.ArrowSchema())
	defer cb.Release()
	for i, f := range cb.Schema().Fields() {
		switch f.Name {
		case "company_id":
			cb.Field(i).(*array.StringBuilder).Append("acme")
		case "name":
			cb.Field(i).(*array.StringBuilder).Append("Acme AI")
		case "country":
			cb.Field(i).(*array.StringBuilder).Append("US")
		case "sector":
			cb.Field(i).(*array.StringBuilder).Append("marketing")
		case "api_dependency_share":
			cb.Field(i).(*array.Float64Builder).Append(1)
		case "revenue_usd":
			cb.Field(i).(*array.Float64Builder).Append(2e6)
		default:
			cb.Field(i).AppendNull()
		}
	}
	companies := cb.NewRecordBatch()
	defer companies.Release()

	a, err := m.NewAggregator(companies)
	if err != nil {
		panic(err)
	}
	defer a.Release()

	// one checked model_usage batch: all of Acme's workload on one closed API
	ub := array.NewRecordBuilder(mem, data.ModelUsage.ArrowSchema())
	defer ub.Release()
	ub.Field(0).(*array.StringBuilder).Append("acme")
	ub.Field(1).(*array.StringBuilder).Append("openai")
	ub.Field(2).(*array.StringBuilder).Append("gpt-4o")
	ub.Field(3).(*array.Float64Builder).Append(1)
	ub.Field(4).(*array.Float64Builder).Append(1e6)
	ub.Field(5).(*array.StringBuilder).Append("api")
	batch := &data.Checked{Record: ub.NewRecordBatch(), Accepted: []int32{0}, Company: []int32{0}}
	if err := a.AddUsage(batch); err != nil {
		panic(err)
	}
	batch.Release()

	res, err := m.Evaluate(mem, a)
	if err != nil {
		panic(err)
	}
	defer res.Release()
	x, err := m.Explain(res.Scores, 0)
	if err != nil {
		panic(err)
	}
	fmt.Printf("WX %.2f (%s), DM %.2f, thin wrapper %v, uncertainty %s\n", x.WrapperExposure, x.WXBand, x.DataMoat, x.ThinWrapper, x.Uncertainty)
	for _, c := range x.WX {
		if c.Contribution > 0 {
			fmt.Printf("  %-16s %.2f × %v → %5.2f points\n", c.ID, c.Value, c.Weight, c.Contribution)
		}
	}
	fmt.Println(x.Reason)
	// Output:
	// WX 85.00 (severe), DM 0.00, thin wrapper true, uncertainty high
	//   api_dependency   1.00 × 0.25 → 25.00 points
	//   closed_api       1.00 × 0.2 → 20.00 points
	//   concentration    1.00 × 0.1 → 10.00 points
	//   cost_burden      1.00 × 0.15 → 15.00 points
	//   fallback_gap     1.00 × 0.15 → 15.00 points
	// none: data moat 0.00 is below the 35 a narrow moat needs (no asset with a value)
}
