package data_test

import (
	"bytes"
	"context"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"moatscore/data"
	"moatscore/data/synth"
)

var updateDemo = flag.Bool("update-demo", false, "rewrite the embedded demo dataset under demo/ with the generator")

// TestDemoMatchesGenerator regenerates the demo dataset with
// synth.DemoOptions and compares it byte for byte with the embedded one, so
// that the demo never drifts from the generator.
func TestDemoMatchesGenerator(t *testing.T) {
	out := t.TempDir()
	opts := synth.DemoOptions(out)
	if *updateDemo {
		opts.Out, opts.Overwrite = "demo", true
	}
	if _, err := synth.Generate(context.Background(), opts, data.DefaultReference(), nil); err != nil {
		t.Fatal(err)
	}
	if *updateDemo {
		t.Log("demo dataset rewritten; rebuild to embed it")
		return
	}
	want := os.DirFS(out)
	var total int64
	err := fs.WalkDir(want, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		w, err := fs.ReadFile(want, p)
		if err != nil {
			return err
		}
		total += int64(len(w))
		g, err := fs.ReadFile(data.DemoFS(), p)
		switch {
		case err != nil:
			t.Errorf("embedded demo lacks %s: %v (go generate ./data)", p, err)
		case !bytes.Equal(g, w):
			t.Errorf("embedded demo %s differs from the generator's (go generate ./data)", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = fs.WalkDir(data.DemoFS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if _, err := fs.Stat(want, p); err != nil {
			t.Errorf("embedded demo holds %s, which the generator does not write", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if total > 1<<20 {
		t.Errorf("demo dataset is %d bytes, want under 1 MiB", total)
	}
}

// TestDemoValidates reads the embedded demo through the reader and the
// validators: a few rows of each table are rejected, all under the default
// threshold of 5 %, and exactly as many as its _expected.json says.
func TestDemoValidates(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, data.DemoFS()); err != nil {
		t.Fatal(err)
	}
	want, err := synth.ReadExpected(filepath.Join(dir, synth.ExpectedFile))
	if err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ref := data.DefaultReference()
	cv := data.NewCompanyValidator(synth.DemoRunDate, ref)
	cv.Mem = mem
	for _, tb := range data.Inputs {
		_, files, err := data.Discover(filepath.Join(dir, tb.Name))
		if err != nil {
			t.Fatal(err)
		}
		check := cv.Check
		if tb != data.Companies {
			chv := data.NewChildValidator(tb, synth.DemoRunDate, ref, cv.Companies())
			chv.Mem = mem
			check = chv.Check
		}
		acct := data.NewAccounting(tb.Name)
		r := data.NewReader(mem, tb, files, data.ReaderOptions{})
		for r.Next() {
			c := check(r.Batch())
			acct.Add(c)
			c.Release()
			r.Batch().Release()
		}
		if err := r.Err(); err != nil {
			t.Fatal(err)
		}
		r.Close()
		ts := want.Table(tb.Name)
		if acct.RowsIn != ts.Rows || acct.Rejected != ts.Rejected {
			t.Errorf("%s: %d rows, %d rejected; _expected.json says %d, %d", tb.Name, acct.RowsIn, acct.Rejected, ts.Rows, ts.Rejected)
		}
		if s := acct.RejectShare(); s == 0 || s >= 0.05 {
			t.Errorf("%s: reject share %.4f, want a few rows, under 0.05", tb.Name, s)
		}
	}
}
