package valuation

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"moatscore/data"
)

const benchCompanies = 1_000_000

// benchSet is a synthetic dataset held in Arrow records: companies and
// child batches of 65536 rows with about 3 usage rows, 5 assets and 2
// rounds per company.
type benchSet struct {
	companies arrow.RecordBatch
	usage     []*data.Checked
	assets    []*data.Checked
	rounds    []*data.Checked
}

func (s *benchSet) release() {
	s.companies.Release()
	for _, cs := range [][]*data.Checked{s.usage, s.assets, s.rounds} {
		for _, c := range cs {
			c.Release()
		}
	}
}

func makeBenchSet(mem memory.Allocator, n int) *benchSet {
	r := rand.New(rand.NewPCG(11, 12))
	s := &benchSet{}
	cb := array.NewRecordBuilder(mem, data.Companies.ArrowSchema())
	defer cb.Release()
	countries := []string{"US", "FR", "DE", "CN", "IN", "NA"}
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("c%08d", i)
		cb.Field(0).(*array.StringBuilder).Append(id)
		cb.Field(1).(*array.StringBuilder).Append(id)
		cb.Field(2).(*array.StringBuilder).Append(countries[r.IntN(len(countries))])
		cb.Field(3).(*array.StringBuilder).Append(genSectors[r.IntN(len(genSectors))])
		cb.Field(4).AppendNull()
		cb.Field(5).AppendNull()
		if r.IntN(10) == 0 {
			cb.Field(6).AppendNull()
		} else {
			cb.Field(6).(*array.Float64Builder).Append(r.Float64() * 1e8)
		}
		cb.Field(7).AppendNull()
		cb.Field(8).(*array.Float64Builder).Append(r.Float64())
		if r.IntN(3) == 0 {
			cb.Field(9).AppendNull()
		} else {
			cb.Field(9).(*array.Float64Builder).Append(r.Float64())
		}
		cb.Field(10).AppendNull()
		cb.Field(11).AppendNull()
	}
	s.companies = cb.NewRecordBatch()

	const batch = 65536
	type childGen struct {
		table *data.Table
		per   int
		fill  func(b *array.RecordBuilder, company, k int)
		out   *[]*data.Checked
	}
	gens := []childGen{
		{data.ModelUsage, 3, func(b *array.RecordBuilder, c, k int) {
			b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("c%08d", c))
			b.Field(1).(*array.StringBuilder).Append(genProviders[(c+k)%len(genProviders)])
			if md, ok := genModels[(c*3+k)%len(genModels)].(string); ok {
				b.Field(2).(*array.StringBuilder).Append(md)
			} else {
				b.Field(2).AppendNull()
			}
			b.Field(3).(*array.Float64Builder).Append(r.Float64() / 3)
			b.Field(4).(*array.Float64Builder).Append(r.Float64() * 1e5)
			b.Field(5).(*array.StringBuilder).Append(genAccess[r.IntN(2)*r.IntN(3)])
		}, &s.usage},
		{data.DataAssets, 5, func(b *array.RecordBuilder, c, k int) {
			b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("c%08d", c))
			b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("a%d", k))
			b.Field(2).AppendNull()
			b.Field(3).(*array.StringBuilder).Append(genDomains[r.IntN(len(genDomains))])
			b.Field(4).(*array.Int64Builder).Append(int64(r.IntN(1e8)))
			b.Field(5).AppendNull()
			b.Field(6).(*array.StringBuilder).Append(genExclusive[r.IntN(len(genExclusive))])
			b.Field(7).(*array.StringBuilder).Append(genRights[r.IntN(len(genRights))])
			b.Field(8).(*array.Float64Builder).Append(float64(r.IntN(365)))
			b.Field(9).(*array.Float64Builder).Append(r.Float64())
			b.Field(10).(*array.Float64Builder).Append(r.Float64() * 1e8)
			b.Field(11).(*array.Float64Builder).Append(r.Float64() * 10)
			b.Field(12).AppendNull()
			b.Field(13).AppendNull()
		}, &s.assets},
		{data.FundingRounds, 2, func(b *array.RecordBuilder, c, k int) {
			b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("c%08d", c))
			b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("r%d", k))
			b.Field(2).(*array.Date32Builder).Append(arrow.Date32(19000 + r.IntN(1500)))
			b.Field(3).(*array.StringBuilder).Append(genStages[r.IntN(len(genStages))])
			b.Field(4).AppendNull()
			b.Field(5).(*array.Float64Builder).Append(r.Float64() * 1e9)
			b.Field(6).AppendNull()
			b.Field(7).AppendNull()
		}, &s.rounds},
	}
	for _, g := range gens {
		b := array.NewRecordBuilder(mem, g.table.ArrowSchema())
		var company []int32
		flush := func() {
			rec := b.NewRecordBatch()
			c := &data.Checked{Record: rec, Company: company}
			for j := range company {
				c.Accepted = append(c.Accepted, int32(j))
			}
			*g.out = append(*g.out, c)
			company = nil
		}
		for k := 0; k < g.per; k++ { // child rows not sorted by company
			for c := 0; c < n; c++ {
				g.fill(b, c, k)
				company = append(company, int32(c))
				if len(company) == batch {
					flush()
				}
			}
		}
		if len(company) > 0 {
			flush()
		}
		b.Release()
	}
	return s
}

func benchModel(b *testing.B) *Model {
	cfg := DefaultConfig()
	m, err := New(cfg, data.DefaultReference(), runDate)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

func aggregate(b *testing.B, m *Model, s *benchSet) *Aggregator {
	a, err := m.NewAggregator(s.companies)
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 3)
	for _, job := range []struct {
		cs  []*data.Checked
		add func(*data.Checked) error
	}{{s.usage, a.AddUsage}, {s.assets, a.AddAssets}, {s.rounds, a.AddRounds}} {
		go func() {
			for _, c := range job.cs {
				if err := job.add(c); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 3 {
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
	return a
}

// BenchmarkEvaluate scores 1M companies held in Arrow arrays: every
// component, contribution, rating, valuation, percentile and 5 scenarios.
func BenchmarkEvaluate(b *testing.B) {
	mem := memory.NewGoAllocator()
	s := makeBenchSet(mem, benchCompanies)
	defer s.release()
	m := benchModel(b)
	a := aggregate(b, m, s)
	defer a.Release()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := m.Evaluate(mem, a)
		if err != nil {
			b.Fatal(err)
		}
		res.Release()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchCompanies, "ns/company")
}

// BenchmarkAggregate streams about 10 child rows per company (3 usage, 5
// assets, 2 rounds) of 1M companies into an aggregator, the three tables
// concurrently.
func BenchmarkAggregate(b *testing.B) {
	mem := memory.NewGoAllocator()
	s := makeBenchSet(mem, benchCompanies)
	defer s.release()
	m := benchModel(b)
	rows := 0
	for _, cs := range [][]*data.Checked{s.usage, s.assets, s.rounds} {
		for _, c := range cs {
			rows += len(c.Accepted)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a := aggregate(b, m, s)
		a.Release()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(rows), "ns/child-row")
}
