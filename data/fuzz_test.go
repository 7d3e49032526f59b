package data

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/compress"
)

// fuzzSeeds are files of the parquet-testing corpus added to the seed
// corpus when it is present: small, and each decoding another way.
var fuzzSeeds = []string{
	"data/alltypes_plain.parquet",
	"data/alltypes_dictionary.parquet",
	"data/nulls.snappy.parquet",
	"data/datapage_v2.snappy.parquet",
	"data/delta_byte_array.parquet",
	"data/delta_binary_packed.parquet",
	"data/int32_decimal.parquet",
	"data/fixed_length_decimal.parquet",
	"data/nested_lists.snappy.parquet",
	"data/rle_boolean_encoding.parquet",
	"data/byte_stream_split.zstd.parquet",
	"bad_data/ARROW-GH-41321.parquet",
}

// FuzzReader feeds arbitrary bytes to the reader, as a companies file and
// through ReadAll: every input ends in batches or a *FileError naming the
// file, never in a panic or a hang.
func FuzzReader(f *testing.F) {
	dir := f.TempDir()
	seed := func(name string, cols []rcol, o testFileOptions) {
		p := filepath.Join(dir, name)
		writeTestFile(f, p, cols, o)
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	seed("plain.parquet", companiesFile(
		rcol{"employees", arrow.PrimitiveTypes.Uint64, `[1, 18446744073709551615, null]`},
		rcol{"as_of", &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}, `[0, null, 1700000000000]`},
	), testFileOptions{})
	seed("snappy.parquet", companiesFile(
		rcol{"revenue_usd", decimal128Type(12, 2), `["1.50", null, "-3.00"]`},
		rcol{"founded_year", arrow.PrimitiveTypes.Int8, `[1, 2, 3]`},
	), testFileOptions{codec: compress.Codecs.Snappy, rowGroupRows: 2})
	seed("zstd.parquet", []rcol{
		{"sector", dictType(arrow.PrimitiveTypes.Int32, arrow.BinaryTypes.String), `["a", "b", "a"]`},
		{"company_id", arrow.BinaryTypes.LargeString, `["c1", "c2", "c3"]`},
		{"name", arrow.BinaryTypes.String, `["x", null, "z"]`},
		{"country", arrow.BinaryTypes.String, `["US", "FR", "NA"]`},
		{"api_dependency_share", arrow.PrimitiveTypes.Float32, `[0.5, 0.25, 1]`},
	}, testFileOptions{codec: compress.Codecs.Zstd, noDict: true})
	for _, name := range []string{"companies.parquet", "funding_rounds/year=2024/part_0.parquet"} {
		b, err := os.ReadFile(filepath.Join("testdata", "reader", "duckdb", filepath.FromSlash(name)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	dictFile := filepath.Join(dir, "dict.parquet")
	writeDictFile(f, dictFile, 3, 1)
	if b, err := os.ReadFile(dictFile); err == nil {
		f.Add(b)
	}
	f.Add([]byte("PAR1PAR1"))
	f.Add([]byte("PAR1\x00\x00\x00\x00\x04\x00\x00\x00PAR1"))
	if corpus, err := findCorpus(); err == nil {
		for _, name := range fuzzSeeds {
			if b, err := os.ReadFile(filepath.Join(corpus, name)); err == nil {
				f.Add(b)
			}
		}
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "f.parquet")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		mem := memory.NewGoAllocator()
		check := func(what string, err error) {
			if err == nil {
				return
			}
			var fe *FileError
			if !errors.As(err, &fe) || fe.Path != path || !strings.HasPrefix(err.Error(), path+": ") {
				t.Fatalf("%s: error %v (%T), want a *FileError naming the file", what, err, err)
			}
		}

		done := make(chan error, 1)
		go func() {
			r := NewReader(mem, Companies, []File{{Path: path, Rel: "f.parquet", Size: int64(len(data))}}, ReaderOptions{BatchSize: 2})
			defer r.Close()
			for r.Next() {
				b := r.Batch()
				if b.Record.NumCols() != int64(len(Companies.Columns)) {
					t.Errorf("batch with %d columns", b.Record.NumCols())
				}
				b.Release()
			}
			done <- r.Err()
		}()
		select {
		case err := <-done:
			check("NewReader", err)
		case <-time.After(10 * time.Second):
			t.Fatal("NewReader: no result within 10s")
		}

		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := ReadAll(ctx, mem, path, func(arrow.Record) error { return nil })
		if ctx.Err() != nil {
			t.Fatal("ReadAll: no result within 10s")
		}
		check("ReadAll", err)
	})
}
