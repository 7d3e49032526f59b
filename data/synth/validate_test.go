package synth_test

import (
	"maps"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"moatscore/data"
	"moatscore/data/synth"
)

// TestRejectsMatchBadRows is the generator's contract: read through the
// project's reader and validators, a generated dataset gives exactly the
// rejects its _bad_rows.csv lists (same tables, files, rows and reason
// codes), and every table's accounting adds up to what _expected.json says.
func TestRejectsMatchBadRows(t *testing.T) {
	tests := []struct {
		name string
		opts synth.Options
		read int // reader batch size
	}{
		{"bad rows 0.02, three files", synth.Options{Companies: 20000, Seed: 7, BadRows: 0.02, FilesPerTable: 3, RowGroupSize: 5000}, 3000},
		{"bad rows 0.10, one file", synth.Options{Companies: 3000, Seed: 8, BadRows: 0.10}, 0},
		{"no bad rows", synth.Options{Companies: 3000, Seed: 9, FilesPerTable: 2}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sum, out := generate(t, tt.opts)
			want := readBadRows(t, out)

			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			got := validate(t, mem, out, tt.read)

			wantBy := map[string]badRow{}
			for _, b := range want {
				if _, dup := wantBy[b.key()]; dup {
					t.Fatalf("%s lists %s twice", synth.BadRowsFile, b.key())
				}
				wantBy[b.key()] = b
			}
			var missing, extra, wrong int
			seen := map[string]bool{}
			for _, r := range got.rejects {
				k := badRow{Table: r.Table, File: r.File, Row: r.Row}.key()
				seen[k] = true
				w, ok := wantBy[k]
				switch {
				case !ok:
					if extra++; extra <= 10 {
						t.Errorf("reject %s %s (column %s, value %q: %s) is not in %s", k, r.Reason, r.Column, r.Value, r.Message, synth.BadRowsFile)
					}
				case w.Reason != r.Reason:
					if wrong++; wrong <= 10 {
						t.Errorf("reject %s: reason %s (column %s, value %q: %s), want %s (column %s)", k, r.Reason, r.Column, r.Value, r.Message, w.Reason, w.Column)
					}
				case w.Column != "" && w.Column != r.Column:
					if wrong++; wrong <= 10 {
						t.Errorf("reject %s %s: column %s, want %s", k, r.Reason, r.Column, w.Column)
					}
				}
			}
			for _, b := range want {
				if !seen[b.key()] {
					if missing++; missing <= 10 {
						t.Errorf("bad row %s %s (column %s) was not rejected", b.key(), b.Reason, b.Column)
					}
				}
			}
			if missing+extra+wrong > 0 {
				t.Fatalf("%d rejects, %d bad rows listed: %d missing, %d extra, %d with another reason or column", len(got.rejects), len(want), missing, extra, wrong)
			}

			for _, ts := range sum.Tables {
				a := got.accounting[ts.Table]
				if err := a.Check(); err != nil {
					t.Error(err)
				}
				if a.RowsIn != ts.Rows || a.Accepted != ts.Accepted || a.Rejected != ts.Rejected {
					t.Errorf("%s: validator counted %d rows in, %d accepted, %d rejected; generator wrote %d, %d, %d",
						ts.Table, a.RowsIn, a.Accepted, a.Rejected, ts.Rows, ts.Accepted, ts.Rejected)
				}
				if !maps.Equal(a.ByReason, ts.ByReason) {
					t.Errorf("%s: rejects by reason %v, want %v", ts.Table, a.ByReason, ts.ByReason)
				}
				if g, w := a.Warnings[data.WarnUnknownProvider], ts.Warnings[data.WarnUnknownProvider]; g != w {
					t.Errorf("%s: %d unknown_provider warnings, want %d", ts.Table, g, w)
				}
			}
			if g, w := got.sharesOver, sum.Table(data.TableModelUsage).Warnings[data.WarnSharesScaled]; g != w {
				t.Errorf("companies with accepted workload shares over 1.01: %d, want %d", g, w)
			}
			expected, err := synth.ReadExpected(out + "/" + synth.ExpectedFile)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := expected.BadRowCount(), int64(len(want)); g != w {
				t.Errorf("%s counts %d rejected rows, %s lists %d", synth.ExpectedFile, g, synth.BadRowsFile, w)
			}
			if tt.opts.BadRows == 0 && len(want) != 0 {
				t.Errorf("no bad rows asked, %d listed", len(want))
			}
			t.Logf("%d rows, %d rejected: %v", sum.Rows(), len(want), slices.Sorted(maps.Keys(sum.BadRows)))
		})
	}
}
