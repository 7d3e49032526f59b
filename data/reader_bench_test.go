package data

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// writeCompaniesBench writes n companies-like rows to path: snappy, row
// groups of 128k rows, dictionaries only on the low-cardinality columns.
func writeCompaniesBench(b *testing.B, path string, n int) {
	b.Helper()
	mem := memory.NewGoAllocator()
	schema := Companies.ArrowSchema()
	rng := rand.New(rand.NewPCG(1, 2))
	countries := []string{"US", "GB", "DE", "FR", "CN", "IN", "NA", "JP", "CA", "IL"}
	sectors := []string{"fintech", "health", "legal", "retail", "security", "media", "logistics"}
	props := parquet.NewWriterProperties(
		parquet.WithAllocator(mem),
		parquet.WithCompression(compress.Codecs.Snappy),
		parquet.WithDictionaryDefault(false),
		parquet.WithDictionaryFor("country", true),
		parquet.WithDictionaryFor("sector", true),
	)
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	w, err := pqarrow.NewFileWriter(schema, f, props, pqarrow.NewArrowWriterProperties())
	if err != nil {
		b.Fatal(err)
	}
	const chunk = 128 * 1024
	for start := 0; start < n; start += chunk {
		rb := array.NewRecordBuilder(mem, schema)
		for i := start; i < min(start+chunk, n); i++ {
			rb.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("c%08d", i))
			rb.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("Company %d Ltd", rng.IntN(1<<30)))
			rb.Field(2).(*array.StringBuilder).Append(countries[rng.IntN(len(countries))])
			rb.Field(3).(*array.StringBuilder).Append(sectors[rng.IntN(len(sectors))])
			rb.Field(4).(*array.Int64Builder).Append(int64(1950 + rng.IntN(75)))
			rb.Field(5).(*array.Int64Builder).Append(int64(rng.IntN(100000)))
			rb.Field(6).(*array.Float64Builder).Append(rng.Float64() * 1e9)
			rb.Field(7).(*array.Float64Builder).Append(rng.Float64()*2 - 1)
			rb.Field(8).(*array.Float64Builder).Append(rng.Float64())
			if rng.IntN(4) == 0 {
				rb.Field(9).(*array.Float64Builder).AppendNull()
			} else {
				rb.Field(9).(*array.Float64Builder).Append(rng.Float64())
			}
			rb.Field(10).(*array.Float64Builder).Append(float64(rng.IntN(52)))
			rb.Field(11).(*array.Date32Builder).Append(arrow.Date32(19000 + rng.IntN(1000)))
		}
		rec := rb.NewRecordBatch()
		rb.Release()
		if err := w.Write(rec); err != nil {
			b.Fatal(err)
		}
		rec.Release()
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkReader reads a 1M-row companies file into canonical batches.
func BenchmarkReader(b *testing.B) {
	const rows = 1 << 20
	path := filepath.Join(b.TempDir(), "companies.parquet")
	writeCompaniesBench(b, path, rows)
	info, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	files := []File{{Path: path, Rel: "companies.parquet", Size: info.Size()}}
	for _, opts := range []ReaderOptions{{Workers: 1}, {Workers: 2}, {Workers: 2, BatchSize: 128 * 1024}} {
		b.Run(fmt.Sprintf("workers=%d/batch=%d", opts.Workers, opts.withDefaults().BatchSize), func(b *testing.B) {
			b.SetBytes(info.Size())
			b.ReportAllocs()
			for b.Loop() {
				r := NewReader(memory.DefaultAllocator, Companies, files, opts)
				var n int64
				for r.Next() {
					bt := r.Batch()
					n += bt.Record.NumRows()
					bt.Release()
				}
				if err := r.Err(); err != nil {
					b.Fatal(err)
				}
				r.Close()
				if n != rows {
					b.Fatalf("read %d rows, want %d", n, rows)
				}
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
