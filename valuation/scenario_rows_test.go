package valuation

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestScenarioRowsDeferred checks that the scenario rows made range by
// range from a deferred evaluation have the bits of Result.Scenarios, for
// ranges that start and end inside a company's rows.
func TestScenarioRowsDeferred(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	m := newTestModel(t, testConfig())
	in := genInput(rand.New(rand.NewPCG(3, 4)), propCompanies, false)
	defer func(n int) { keptBlockRows = n }(keptBlockRows)
	keptBlockRows = 8 // several blocks per part
	ref := score(t, mem, m, in, scoreOpts{})
	defer ref.Release()
	got := score(t, mem, m, in, scoreOpts{workers: 3, deferScenarios: true})
	defer got.Release()
	if got.Scenarios != nil {
		t.Fatalf("deferred evaluation made Result.Scenarios")
	}
	total := int(ref.Scenarios.NumRows())
	if got.ScenarioRowCount() != total || ref.ScenarioRowCount() != total {
		t.Fatalf("ScenarioRowCount() = %d and %d, want %d", got.ScenarioRowCount(), ref.ScenarioRowCount(), total)
	}
	ns := len(m.Scenarios())
	if ns < 2 || total < 4*ns {
		t.Fatalf("test input has %d scenarios and %d rows: too few", ns, total)
	}
	kept := 0
	for _, w := range got.scen.kept {
		kept += bits.OnesCount64(w)
	}
	if kept == 0 || kept == total || len(got.scen.parts) < 2 || len(got.scen.parts[0].blocks) < 2 {
		t.Fatalf("%d of %d scenario rows kept in %d parts: the test should see both kinds of rows in several parts", kept, total, len(got.scen.parts))
	}
	for _, tt := range []struct{ off, n int }{
		{0, total},
		{0, 1},
		{1, ns},
		{ns - 1, 2*ns + 1},
		{total - 1, 1},
		{total / 2, total - total/2},
		{total, 0},
	} {
		t.Run(fmt.Sprintf("rows %d+%d", tt.off, tt.n), func(t *testing.T) {
			want := ref.Scenarios.NewSlice(int64(tt.off), int64(tt.off+tt.n))
			defer want.Release()
			rows := got.ScenarioRows(mem, tt.off, tt.n)
			defer rows.Release()
			sameBits(t, "scenario rows", want, rows)
			again := ref.ScenarioRows(mem, tt.off, tt.n)
			defer again.Release()
			sameBits(t, "scenario rows of a full result", want, again)
		})
	}
}

func TestScenarioRowsOutside(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	m := newTestModel(t, testConfig())
	in := genInput(rand.New(rand.NewPCG(3, 4)), 10, false)
	res := score(t, mem, m, in, scoreOpts{deferScenarios: true})
	defer res.Release()
	total := res.ScenarioRowCount()
	for _, tt := range []struct{ off, n int }{{-1, 1}, {0, total + 1}, {total, 1}, {0, -1}} {
		t.Run(fmt.Sprintf("rows %d+%d", tt.off, tt.n), func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("ScenarioRows(%d, %d) of %d rows did not panic", tt.off, tt.n, total)
				}
			}()
			res.ScenarioRows(mem, tt.off, tt.n).Release()
		})
	}
}
