package valuation

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"moatscore/data"
)

func TestAggregatorErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	m := newTestModel(t, testConfig())
	comp := buildRecord(mem, data.Companies.ArrowSchema(), []row{{"company_id": "a", "name": "A", "country": "US", "sector": "s", "api_dependency_share": 0.5}})
	defer comp.Release()

	// a companies record without a column the model reads
	noCountry := comp.Schema().FieldIndices("country")[0]
	fields := append(append([]arrow.Field{}, comp.Schema().Fields()[:noCountry]...), comp.Schema().Fields()[noCountry+1:]...)
	cols := append(append([]arrow.Array{}, comp.Columns()[:noCountry]...), comp.Columns()[noCountry+1:]...)
	bad := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, comp.NumRows())
	defer bad.Release()
	if _, err := m.NewAggregator(bad); err == nil || !strings.Contains(err.Error(), "no column country") {
		t.Errorf("NewAggregator(no country) = %v, want an error naming the column", err)
	}

	a, err := m.NewAggregator(comp)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	usage := buildRecord(mem, data.ModelUsage.ArrowSchema(), []row{{"company_id": "a", "provider": "openai", "workload_share": 0.5, "access": "api"}})
	defer usage.Release()
	tests := []struct {
		name    string
		add     func(*data.Checked) error
		rec     arrow.RecordBatch
		acc     []int32
		company []int32
		wantErr string
	}{
		{"company index out of range", a.AddUsage, usage, []int32{0}, []int32{1}, "company index 1 outside 0..0"},
		{"accepted row out of range", a.AddUsage, usage, []int32{3}, []int32{0}, "accepted row 3 outside the batch of 1 rows"},
		{"lengths differ", a.AddUsage, usage, []int32{0}, nil, "1 accepted rows but 0 company indices"},
		{"wrong table", a.AddAssets, usage, []int32{0}, []int32{0}, "data_assets record has no column records"},
		{"wrong table for rounds", a.AddRounds, usage, []int32{0}, []int32{0}, "funding_rounds record has no column round_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.add(&data.Checked{Record: tt.rec, Accepted: tt.acc, Company: tt.company})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Add = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
	if err := a.AddChildFlags([]int32{5}, nil); err == nil {
		t.Errorf("AddChildFlags(out of range) = nil error")
	}
}

// TestManyProviders checks the concentration index of a company with more
// providers than the inline slots hold.
func TestManyProviders(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	m := newTestModel(t, testConfig())
	in := input{companies: []row{{"company_id": "a", "name": "A", "country": "US", "sector": "s", "api_dependency_share": 1.0}}}
	shares := []float64{0.3, 0.2, 0.1, 0.15, 0.05, 0.1}
	for i, p := range []string{"openai", "anthropic", "mistral", "deepseek", "acme", "zeta"} {
		in.usage = append(in.usage, row{"company_id": "a", "provider": p, "workload_share": shares[i], "access": "api"})
	}
	// a second model of the first provider, after the overflow
	in.usage = append(in.usage, row{"company_id": "a", "provider": "openai", "model": "gpt-new", "workload_share": 0.1, "access": "api"})
	res := score(t, mem, m, in, scoreOpts{batch: 2})
	defer res.Release()
	want := 0.4*0.4 + 0.2*0.2 + 0.1*0.1 + 0.15*0.15 + 0.05*0.05 + 0.1*0.1
	if got := f64At(t, res.Scores, "wx_concentration", 0); !near(got, want) {
		t.Errorf("wx_concentration = %v, want %v", got, want)
	}
	if got := strings.Join(res.UnknownProviders, ","); got != "acme,zeta" {
		t.Errorf("UnknownProviders = %q, want acme,zeta", got)
	}
}

func TestNoCompanies(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	m := newTestModel(t, testConfig())
	res := score(t, mem, m, input{}, scoreOpts{workers: 2})
	defer res.Release()
	if res.Scores.NumRows() != 0 || res.Scenarios.NumRows() != 0 {
		t.Errorf("rows = %d, %d; want 0, 0", res.Scores.NumRows(), res.Scenarios.NumRows())
	}
	if got, want := int(res.Scores.NumCols()), len(m.ScoreColumns()); got != want {
		t.Errorf("score columns = %d, want %d", got, want)
	}
}
