package data

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	xparquet "github.com/xitongsys/parquet-go/parquet"
	"github.com/xitongsys/parquet-go/types"
	"github.com/xitongsys/parquet-go/writer"
)

// legacyCompany is a companies row as an independent Parquet writer
// (xitongsys/parquet-go) lays it out the way Spark and Impala used to:
// legacy converted types, INT96 timestamps, decimals in fixed-length byte
// arrays and in INT32, a string column without the UTF8 annotation.
type legacyCompany struct {
	Sector    string  `parquet:"name=sector, type=BYTE_ARRAY"`
	CompanyID string  `parquet:"name=company_id, type=BYTE_ARRAY, convertedtype=UTF8"`
	Name      *string `parquet:"name=name, type=BYTE_ARRAY, convertedtype=UTF8, repetitiontype=OPTIONAL"`
	Country   string  `parquet:"name=country, type=BYTE_ARRAY, convertedtype=UTF8, encoding=PLAIN_DICTIONARY"`
	Share     float64 `parquet:"name=api_dependency_share, type=DOUBLE"`
	Founded   *int32  `parquet:"name=founded_year, type=INT32, convertedtype=INT_16, repetitiontype=OPTIONAL"`
	Employees *int64  `parquet:"name=employees, type=INT64, convertedtype=UINT_64, repetitiontype=OPTIONAL"`
	Revenue   *string `parquet:"name=revenue_usd, type=FIXED_LEN_BYTE_ARRAY, convertedtype=DECIMAL, scale=2, precision=20, length=9, repetitiontype=OPTIONAL"`
	Margin    *int32  `parquet:"name=gross_margin, type=INT32, convertedtype=DECIMAL, scale=4, precision=9, repetitiontype=OPTIONAL"`
	AsOf      *string `parquet:"name=as_of, type=INT96, repetitiontype=OPTIONAL"`
	Notes     string  `parquet:"name=notes, type=BYTE_ARRAY"`
}

func writeLegacyCompanies(t *testing.T, path string, rows []legacyCompany) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pw, err := writer.NewParquetWriterFromWriter(f, new(legacyCompany), 1)
	if err != nil {
		t.Fatal(err)
	}
	pw.CompressionType = xparquet.CompressionCodec_GZIP
	pw.RowGroupSize = 1 << 20
	for _, r := range rows {
		if err := pw.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := pw.WriteStop(); err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

// TestReaderOtherWriters reads files made by other writers: DuckDB (files
// under testdata, made by testdata/reader/duckdb/make.py) and an
// independent Go writer laying files out as Spark and Impala used to.
func TestReaderOtherWriters(t *testing.T) {
	legacy := filepath.Join(t.TempDir(), "legacy")
	if err := os.MkdirAll(legacy, 0o755); err != nil {
		t.Fatal(err)
	}
	writeLegacyCompanies(t, filepath.Join(legacy, "part-00000"), []legacyCompany{
		{Sector: "fintech", CompanyID: "c1", Name: ptr("Acme"), Country: "US", Share: 0.5, Founded: ptr(int32(1999)),
			Employees: ptr(int64(120)), Revenue: ptr(types.StrIntToBinary("123456", "BigEndian", 9, true)),
			Margin: ptr(int32(2500)), AsOf: ptr(types.TimeToINT96(time.Date(2024, 3, 1, 23, 30, 0, 0, time.UTC))), Notes: "x"},
		{Sector: "health", CompanyID: "c2", Country: "NA", Share: 0.25, Employees: ptr(int64(-1)),
			Revenue: ptr(types.StrIntToBinary("-1", "BigEndian", 9, true)), Notes: "y"},
	})
	if err := os.WriteFile(filepath.Join(legacy, "_SUCCESS"), nil, 0o644); err != nil {
		t.Fatal(err)
	}

	type issue struct {
		row           int64 // within the file
		column, value string
	}
	tests := []struct {
		name        string
		spec        string
		table       *Table
		want        map[string]string
		wantFiles   []string
		wantIssues  []issue
		wantIgnored []string
	}{
		{
			name:  "duckdb companies",
			spec:  filepath.Join("testdata", "reader", "duckdb", "companies.parquet"),
			table: Companies,
			want: map[string]string{
				"company_id":           `["c1","c2","c3"]`,
				"name":                 `["Acme",null,"Gamma"]`,
				"country":              `["US","NA","de"]`,
				"api_dependency_share": `[0.5,0.25,1]`,
				"founded_year":         `[1999,null,2020]`,
				"employees":            `[120,null,0]`,
				"revenue_usd":          `[1234.56,null,0.01]`,
				"gross_margin":         `[0.25,-0.5,1]`,
				"fallback_parity":      `[null,0.75,1]`,
				"switching_cost_weeks": `[3,null,-2]`,
				"as_of":                `["2024-03-01","1969-12-31",null]`,
			},
			wantFiles:   []string{"companies.parquet"},
			wantIssues:  []issue{{1, "employees", "18446744073709551615"}},
			wantIgnored: []string{"companies.parquet: internal_score", "companies.parquet: tags"},
		},
		{
			name:  "duckdb hive-partitioned funding rounds",
			spec:  filepath.Join("testdata", "reader", "duckdb", "funding_rounds"),
			table: FundingRounds,
			want: map[string]string{
				"company_id":       `["c1","c1","c2"]`,
				"round_id":         `["r1","r2","r1"]`,
				"announced_on":     `["2023-05-01","2024-02-29","2024-12-31"]`,
				"stage":            `["seed","series_a","series_b"]`,
				"amount_usd":       `[1000000,5000000.5,null]`,
				"post_money_usd":   `[8000000,null,4294967295]`,
				"lead_investor":    `["Alpha Ventures",null,"Beta Capital"]`,
				"investor_country": `["US","GB",null]`,
			},
			wantFiles: []string{"year=2023/part_0.parquet", "year=2024/part_0.parquet"},
		},
		{
			name:  "legacy layout from an independent writer",
			spec:  legacy,
			table: Companies,
			want: map[string]string{
				"company_id":   `["c1","c2"]`,
				"name":         `["Acme",null]`,
				"sector":       `["fintech","health"]`,
				"country":      `["US","NA"]`,
				"founded_year": `[1999,null]`,
				"employees":    `[120,null]`,
				"revenue_usd":  `[1234.56,-0.01]`,
				"gross_margin": `[0.25,null]`,
				"as_of":        `["2024-03-01",null]`,
			},
			wantFiles:   []string{"part-00000"},
			wantIssues:  []issue{{1, "employees", "18446744073709551615"}},
			wantIgnored: []string{"part-00000: notes"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			_, files, err := Discover(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			var rels []string
			for _, f := range files {
				rels = append(rels, f.Rel)
			}
			if !reflect.DeepEqual(rels, tt.wantFiles) {
				t.Errorf("files = %q, want %q", rels, tt.wantFiles)
			}
			batches, ignored, err := readBatches(mem, tt.table, files, ReaderOptions{})
			defer releaseAll(batches)
			if err != nil {
				t.Fatal(err)
			}
			var issues []issue
			for _, b := range batches {
				for _, is := range b.Issues {
					issues = append(issues, issue{b.Offset + int64(is.Row), is.Column, is.Value})
				}
			}
			if !reflect.DeepEqual(issues, tt.wantIssues) {
				t.Errorf("issues = %+v, want %+v", issues, tt.wantIssues)
			}
			if !reflect.DeepEqual(ignored, tt.wantIgnored) {
				t.Errorf("Ignored() = %q, want %q", ignored, tt.wantIgnored)
			}
			for col, want := range tt.want {
				got := "["
				for i, b := range batches {
					s := columnJSON(t, b.Record, col)
					if i > 0 {
						got += ","
					}
					got += s[1 : len(s)-1]
				}
				got += "]"
				if normJSON(t, got) != normJSON(t, want) {
					t.Errorf("column %s = %s, want %s", col, got, normJSON(t, want))
				}
			}
		})
	}
}
