package synth_test

import (
	"context"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"moatscore/data"
	"moatscore/data/synth"
)

var runDate = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// generate writes a dataset into a fresh folder under a checked allocator.
func generate(t testing.TB, opts synth.Options) (*synth.Summary, string) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	if opts.Out == "" {
		opts.Out = t.TempDir()
	}
	if opts.RunDate.IsZero() {
		opts.RunDate = runDate
	}
	opts.Mem = mem
	sum, err := synth.Generate(context.Background(), opts, data.DefaultReference(), nil)
	if err != nil {
		t.Fatalf("Generate(%+v): %v", opts, err)
	}
	return sum, opts.Out
}

// badRow is one line of _bad_rows.csv.
type badRow struct {
	Table, File string
	Row         int64
	Reason      string
	Column      string
}

func (b badRow) key() string { return b.Table + "/" + b.File + "#" + strconv.FormatInt(b.Row, 10) }

func readBadRows(t testing.TB, out string) []badRow {
	t.Helper()
	f, err := os.Open(filepath.Join(out, synth.BadRowsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	head, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"table_name", "file_path", "row_index", "reason_code", "column_name"}
	if len(head) != len(want) {
		t.Fatalf("%s header = %v, want %v", synth.BadRowsFile, head, want)
	}
	for i := range want {
		if head[i] != want[i] {
			t.Fatalf("%s header = %v, want %v", synth.BadRowsFile, head, want)
		}
	}
	var rows []badRow
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rows
		}
		if err != nil {
			t.Fatal(err)
		}
		n, err := strconv.ParseInt(rec[2], 10, 64)
		if err != nil {
			t.Fatalf("%s line %d: row_index %q: %v", synth.BadRowsFile, len(rows)+2, rec[2], err)
		}
		rows = append(rows, badRow{Table: rec[0], File: rec[1], Row: n, Reason: rec[3], Column: rec[4]})
	}
}

// validated is what the validator made of a generated dataset.
type validated struct {
	rejects    []data.Reject
	accounting map[string]*data.Accounting
	// sharesOver counts the companies whose accepted workload shares sum
	// over 1.01.
	sharesOver int64
}

// validate reads the dataset at out through the project's reader and
// validators: companies first, then each child table.
func validate(t testing.TB, mem memory.Allocator, out string, batchSize int) *validated {
	t.Helper()
	ref := data.DefaultReference()
	v := &validated{accounting: map[string]*data.Accounting{}}
	cv := data.NewCompanyValidator(runDate, ref)
	cv.Mem = mem
	var companies *data.CompanySet
	for _, tb := range data.Inputs {
		_, files, err := data.Discover(filepath.Join(out, tb.Name))
		if err != nil {
			t.Fatal(err)
		}
		acct := data.NewAccounting(tb.Name)
		v.accounting[tb.Name] = acct
		var check func(*data.Batch) *data.Checked
		if tb == data.Companies {
			check = cv.Check
		} else {
			if companies == nil {
				companies = cv.Companies()
			}
			chv := data.NewChildValidator(tb, runDate, ref, companies)
			chv.Mem = mem
			check = chv.Check
		}
		shares := map[int32]float64{}
		r := data.NewReader(mem, tb, files, data.ReaderOptions{BatchSize: batchSize})
		for r.Next() {
			b := r.Batch()
			c := check(b)
			acct.Add(c)
			v.rejects = append(v.rejects, c.Rejects...)
			if tb == data.ModelUsage {
				_, col := tb.Column("workload_share")
				vals := c.Record.Column(col).(interface{ Value(int) float64 })
				for k, row := range c.Accepted {
					shares[c.Company[k]] += vals.Value(int(row))
				}
			}
			c.Release()
			b.Release()
		}
		if err := r.Err(); err != nil {
			t.Fatalf("reading %s: %v", tb.Name, err)
		}
		r.Close()
		for _, s := range shares {
			if s > 1.01 {
				v.sharesOver++
			}
		}
	}
	return v
}
