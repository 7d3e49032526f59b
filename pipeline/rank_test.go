package pipeline

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// rankRow is one company of a ranking test; a NaN score is a null.
type rankRow struct {
	id, sector, zone string
	wx, dm, vadj     float64
}

func rankInput(t testing.TB, mem memory.Allocator, rows []rankRow) (RankInput, func()) {
	t.Helper()
	ids := array.NewStringBuilder(mem)
	sec := array.NewStringBuilder(mem)
	zon := array.NewStringBuilder(mem)
	wx := array.NewFloat64Builder(mem)
	dm := array.NewFloat64Builder(mem)
	va := array.NewFloat64Builder(mem)
	defer func() {
		for _, b := range []interface{ Release() }{ids, sec, zon, wx, dm, va} {
			b.Release()
		}
	}()
	f := func(b *array.Float64Builder, v float64) {
		if math.IsNaN(v) {
			b.AppendNull()
		} else {
			b.Append(v)
		}
	}
	for _, r := range rows {
		ids.Append(r.id)
		sec.Append(r.sector)
		zon.Append(r.zone)
		f(wx, r.wx)
		f(dm, r.dm)
		f(va, r.vadj)
	}
	in := RankInput{
		CompanyID:         ids.NewStringArray(),
		Sector:            sec.NewStringArray(),
		Zone:              zon.NewStringArray(),
		WrapperExposure:   wx.NewFloat64Array(),
		DataMoat:          dm.NewFloat64Array(),
		AdjustedValuation: va.NewFloat64Array(),
	}
	return in, func() {
		in.CompanyID.Release()
		in.Sector.Release()
		in.Zone.Release()
		in.WrapperExposure.Release()
		in.DataMoat.Release()
		in.AdjustedValuation.Release()
	}
}

func TestRank(t *testing.T) {
	nan := math.NaN()
	rows := []rankRow{
		{"c", "fintech", "us", 10, 80, 5e6}, // net 70
		{"a", "health", "eu", 50, 50, 1e6},  // net 0
		{"b", "fintech", "eu", 20, 20, nan}, // net 0, ties with a; by id a < b
		{"d", "fintech", "us", 90, 10, 9e6}, // net -80
		{"e", "health", "us", nan, 60, 2e6}, // null net: last
		{"B", "health", "eu", 60, 60, 3e6},  // net 0, "B" < "a" in byte order
	}
	tests := []struct {
		name                string
		by                  string
		wantOrder           []string
		wantSector, wantZon []int32 // by input row
	}{
		{
			name:       "default is net moat",
			by:         "",
			wantOrder:  []string{"c", "B", "a", "b", "d", "e"},
			wantSector: []int32{1, 2, 2, 3, 3, 1},
			wantZon:    []int32{1, 2, 3, 2, 3, 1},
		},
		{
			name:       "data moat descending",
			by:         RankDataMoat,
			wantOrder:  []string{"c", "B", "e", "a", "b", "d"},
			wantSector: []int32{1, 3, 2, 3, 2, 1},
			wantZon:    []int32{1, 2, 3, 3, 2, 1},
		},
		{
			name:       "wrapper exposure ascending, null last",
			by:         RankWrapperExposure,
			wantOrder:  []string{"c", "b", "a", "B", "d", "e"},
			wantSector: []int32{1, 1, 2, 3, 3, 2},
			wantZon:    []int32{1, 2, 1, 2, 3, 3},
		},
		{
			name:       "adjusted valuation descending, null last",
			by:         RankAdjustedValuation,
			wantOrder:  []string{"d", "c", "B", "e", "a", "b"},
			wantSector: []int32{2, 3, 3, 1, 2, 1},
			wantZon:    []int32{2, 2, 3, 1, 3, 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			in, release := rankInput(t, mem, rows)
			defer release()
			r, err := Rank(tt.by, in)
			if err != nil {
				t.Fatalf("Rank(%q) error %v", tt.by, err)
			}
			var order []string
			for _, row := range r.Order {
				order = append(order, rows[row].id)
			}
			if !slices.Equal(order, tt.wantOrder) {
				t.Errorf("Rank(%q) order = %v, want %v", tt.by, order, tt.wantOrder)
			}
			for pos, row := range r.Order {
				if r.Overall[row] != int32(pos+1) {
					t.Errorf("Rank(%q) overall[%d] = %d, want %d", tt.by, row, r.Overall[row], pos+1)
				}
			}
			if !slices.Equal(r.Sector, tt.wantSector) {
				t.Errorf("Rank(%q) sector ranks = %v, want %v", tt.by, r.Sector, tt.wantSector)
			}
			if !slices.Equal(r.Zone, tt.wantZon) {
				t.Errorf("Rank(%q) zone ranks = %v, want %v", tt.by, r.Zone, tt.wantZon)
			}
		})
	}
}

func TestRankUnknownKey(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	in, release := rankInput(t, mem, nil)
	defer release()
	if _, err := Rank("revenue", in); err == nil {
		t.Fatalf("Rank(%q) error = nil, want an error", "revenue")
	}
}

// TestRankTotalAndDeterministic ranks many rows with many ties, through the
// radix sort, and checks that the order is total (a permutation, ties in
// id order) and the same whatever the input order.
func TestRankTotalAndDeterministic(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	n := radixSortMinimumRows + 1000
	rng := rand.New(rand.NewPCG(1, 2))
	rows := make([]rankRow, n)
	for i := range rows {
		rows[i] = rankRow{
			id:     fmt.Sprintf("co-%07d", rng.IntN(1<<30)),
			sector: fmt.Sprintf("s%d", rng.IntN(7)),
			zone:   fmt.Sprintf("z%d", rng.IntN(3)),
			wx:     float64(rng.IntN(5)),
			dm:     float64(rng.IntN(5)),
		}
		rows[i].id = fmt.Sprintf("%s-%d", rows[i].id, i) // unique
		if rng.IntN(50) == 0 {
			rows[i].dm = math.NaN()
		}
	}
	ranked := func(rows []rankRow) []string {
		in, release := rankInput(t, mem, rows)
		defer release()
		r, err := Rank(RankNetMoat, in)
		if err != nil {
			t.Fatal(err)
		}
		ids := make([]string, n)
		for pos, row := range r.Order {
			ids[pos] = rows[row].id
		}
		return ids
	}
	first := ranked(rows)
	rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	second := ranked(rows)
	if !slices.Equal(first, second) {
		t.Fatalf("Rank is not deterministic under a shuffle of the input")
	}
	byID := make(map[string]rankRow, n)
	for _, r := range rows {
		byID[r.id] = r
	}
	for i := 1; i < n; i++ {
		a, b := byID[first[i-1]], byID[first[i]]
		na, nb := a.dm-a.wx, b.dm-b.wx
		switch {
		case math.IsNaN(na) && !math.IsNaN(nb):
			t.Fatalf("null key %s ranked before %s", a.id, b.id)
		case math.IsNaN(na) || math.IsNaN(nb):
		case na < nb:
			t.Fatalf("%s (net %v) ranked before %s (net %v)", a.id, na, b.id, nb)
		case na == nb && a.id > b.id:
			t.Fatalf("tie %s ranked before %s", a.id, b.id)
		}
	}
}

func TestSortKeyOrder(t *testing.T) {
	vals := []float64{math.Inf(-1), -math.MaxFloat64, -1e10, -1, -math.SmallestNonzeroFloat64, 0,
		math.SmallestNonzeroFloat64, 1e-300, 0.5, 1, 1e10, math.MaxFloat64, math.Inf(1)}
	for i := 1; i < len(vals); i++ {
		if a, b := sortKey(vals[i-1]), sortKey(vals[i]); a >= b {
			t.Errorf("sortKey(%v) = %#x, not below sortKey(%v) = %#x", vals[i-1], a, vals[i], b)
		}
	}
	if k := sortKey(math.Inf(1)); k >= nullKey {
		t.Errorf("sortKey(+Inf) = %#x, not below the null key", k)
	}
}
