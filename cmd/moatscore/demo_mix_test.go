package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"moatscore/data/synth"
)

// TestRunDemoMix scores the built-in demo on its own run date and checks
// that it reads as a realistic universe of AI companies (see the data/synth
// package documentation): wide moats a small minority, most companies
// without a moat, every wrapper-exposure band populated, a minority of thin
// wrappers, and every uncertainty level present with low for a good part.
// A change to the generator that makes the universe unrealistic fails here.
func TestRunDemoMix(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	date := synth.DemoRunDate.Format("2006-01-02")
	runDemo(t, out, date)
	cols := readScoreColumns(t, filepath.Join(out, "scores", "run_date="+date, "part-0.parquet"),
		"moat_rating", "wx_band", "uncertainty", "thin_wrapper")
	n := float64(len(cols["moat_rating"]))
	if n < 400 {
		t.Fatalf("demo scored %v companies, want about 500", n)
	}
	share := func(col, value string) float64 {
		var k int
		for _, v := range cols[col] {
			if v == value {
				k++
			}
		}
		return float64(k) / n
	}
	tests := []struct {
		col, value string
		lo, hi     float64
	}{
		{"moat_rating", "wide", 0.08, 0.15},
		{"moat_rating", "narrow", 0.20, 0.30},
		{"moat_rating", "none", 0.55, 0.72},
		{"wx_band", "low", 0.05, 1},
		{"wx_band", "moderate", 0.05, 1},
		{"wx_band", "high", 0.05, 1},
		{"wx_band", "severe", 0.10, 0.20},
		{"thin_wrapper", "true", 0.05, 0.15},
		{"uncertainty", "low", 0.15, 1},
		{"uncertainty", "medium", 0.01, 1},
		{"uncertainty", "high", 0.01, 1},
		{"uncertainty", "very_high", 0.005, 1},
	}
	for _, tt := range tests {
		if got := share(tt.col, tt.value); got < tt.lo || got > tt.hi {
			t.Errorf("demo: %s = %s for %.3f of companies, want %.3f to %.3f", tt.col, tt.value, got, tt.lo, tt.hi)
		}
	}
}

// readScoreColumns reads string and bool columns of a scores file as text
// ("true"/"false" for bools), whether the strings are plain or
// dictionary-encoded.
func readScoreColumns(t *testing.T, path string, names ...string) map[string][]string {
	t.Helper()
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, mem)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	cols := map[string][]string{}
	for _, name := range names {
		idx := tbl.Schema().FieldIndices(name)
		if len(idx) != 1 {
			t.Fatalf("%s: no column %s", path, name)
		}
		for _, ch := range tbl.Column(idx[0]).Data().Chunks() {
			for i := range ch.Len() {
				cols[name] = append(cols[name], textAt(t, ch, i))
			}
		}
	}
	return cols
}

func textAt(t *testing.T, a arrow.Array, i int) string {
	switch v := a.(type) {
	case *array.String:
		return v.Value(i)
	case *array.Boolean:
		if v.Value(i) {
			return "true"
		}
		return "false"
	case *array.Dictionary:
		return textAt(t, v.Dictionary(), v.GetValueIndex(i))
	}
	t.Fatalf("column of type %s: want strings or bools", a.DataType())
	return ""
}
