package data_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"moatscore/data"
)

// A dataset folder as Spark writes it: Hive partition folders, a _SUCCESS
// marker and .crc side files, which are skipped.
func ExampleDiscover() {
	dir, _ := os.MkdirTemp("", "companies")
	defer os.RemoveAll(dir)
	for _, name := range []string{
		"_SUCCESS",
		"year=2024/part-00000.snappy.parquet",
		"year=2024/.part-00000.snappy.parquet.crc",
		"year=2025/part-00000",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("..."), 0o644)
	}

	root, files, err := data.Discover(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(root == dir)
	for _, f := range files {
		fmt.Println(f.Rel)
	}
	// Output:
	// true
	// year=2024/part-00000.snappy.parquet
	// year=2025/part-00000
}

// Reading a companies file whose columns have other types than the
// contract's: they arrive converted, in contract order, and the cell that
// does not fit is null with an issue.
func ExampleNewReader() {
	dir, _ := os.MkdirTemp("", "companies")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "companies.parquet")
	writeExample(path, `[
		{"api_dependency_share": 0.75, "company_id": "c1", "name": "Acme", "country": "NA", "sector": "Legal Tech", "employees": 120, "notes": "x"},
		{"api_dependency_share": 0.5, "company_id": "c2", "name": "Beta", "country": "de", "sector": "health", "employees": 18446744073709551615, "notes": "y"}
	]`)

	_, files, _ := data.Discover(path)
	r := data.NewReader(memory.DefaultAllocator, data.Companies, files, data.ReaderOptions{})
	defer r.Close()
	for r.Next() {
		b := r.Batch()
		ids := b.Record.Column(0).(*array.String)
		employees := b.Record.Column(5).(*array.Int64)
		for i := range int(b.Record.NumRows()) {
			fmt.Printf("row %d: %s employees=%v\n", b.Offset+int64(i), ids.Value(i), employees.GetOneForMarshal(i))
		}
		for _, is := range b.Issues {
			fmt.Printf("row %d: %s %s: %s\n", b.Offset+int64(is.Row), is.Column, is.Reason, is.Value)
		}
		b.Release()
	}
	if err := r.Err(); err != nil {
		fmt.Println(err)
	}
	fmt.Println("ignored:", r.Ignored())
	// Output:
	// row 0: c1 employees=120
	// row 1: c2 employees=<nil>
	// row 1: employees out_of_range: 18446744073709551615
	// ignored: [companies.parquet: notes]
}

// writeExample writes rows of JSON as a Parquet file with narrow and
// unsigned types.
func writeExample(path, rows string) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "api_dependency_share", Type: arrow.PrimitiveTypes.Float32},
		{Name: "company_id", Type: arrow.BinaryTypes.String},
		{Name: "name", Type: arrow.BinaryTypes.LargeString},
		{Name: "country", Type: arrow.BinaryTypes.String},
		{Name: "sector", Type: arrow.BinaryTypes.String},
		{Name: "employees", Type: arrow.PrimitiveTypes.Uint64},
		{Name: "notes", Type: arrow.BinaryTypes.String},
	}, nil)
	rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, schema, strings.NewReader(rows))
	if err != nil {
		panic(err)
	}
	defer rec.Release()
	f, err := os.Create(path)
	if err != nil {
		panic(err)
	}
	defer f.Close()
	w, err := pqarrow.NewFileWriter(schema, f, parquet.NewWriterProperties(), pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		panic(err)
	}
	if err := w.Write(rec); err != nil {
		panic(err)
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
}
