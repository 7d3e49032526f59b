package data

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

func TestRejectsWriterRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		n    int
	}{
		{"empty", 0},
		{"one", 1},
		{"two row groups", rejectsRowGroup + 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			rejects := make([]Reject, tt.n)
			for i := range rejects {
				rejects[i] = Reject{Table: TableModelUsage, File: "a/part-0.parquet", Row: int64(i), Column: "workload_share",
					Value: fmt.Sprint(1.5 + float64(i)), Reason: ReasonOutOfRange, Message: "workload_share is outside [0, 1]"}
			}
			var buf bytes.Buffer
			w, err := NewRejectsWriter(&buf, mem, map[string]string{"run_id": "r-1"})
			if err != nil {
				t.Fatal(err)
			}
			// Write in uneven pieces.
			for rest := rejects; len(rest) > 0; {
				k := min(len(rest), 7000)
				if err := w.Write(rest[:k]); err != nil {
					t.Fatal(err)
				}
				rest = rest[k:]
			}
			if got := w.Rows(); got != int64(tt.n) {
				t.Errorf("Rows() = %d, want %d", got, tt.n)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if err := w.Write(rejects); err == nil {
				t.Error("Write after Close: no error")
			}

			rdr, err := file.NewParquetReader(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			defer rdr.Close()
			kv := rdr.MetaData().KeyValueMetadata()
			if v := kv.FindValue("run_id"); v == nil || *v != "r-1" {
				t.Errorf("run_id metadata = %v, want r-1", v)
			}
			var descs map[string]string
			if v := kv.FindValue(RejectsColumnDescriptions); v == nil || json.Unmarshal([]byte(*v), &descs) != nil || len(descs) != 7 {
				t.Errorf("column descriptions metadata = %v, want 7 columns", v)
			}
			for i := 0; i < rdr.NumRowGroups(); i++ {
				rg := rdr.MetaData().RowGroup(i)
				for j := 0; j < rg.NumColumns(); j++ {
					cc, err := rg.ColumnChunk(j)
					if err != nil {
						t.Fatal(err)
					}
					name := cc.PathInSchema().String()
					dict := cc.HasDictionaryPage()
					if wantDict := name == "table_name" || name == "file_path" || name == "column_name" || name == "reason_code"; dict != wantDict {
						t.Errorf("column %s: dictionary %v, want %v", name, dict, wantDict)
					}
				}
			}
			fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{BatchSize: 1 << 20}, mem)
			if err != nil {
				t.Fatal(err)
			}
			tbl, err := fr.ReadTable(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer tbl.Release()
			for i, f := range tbl.Schema().Fields() {
				want := RejectsSchema.Field(i)
				d, _ := f.Metadata.GetValue("description")
				wd, _ := want.Metadata.GetValue("description")
				if f.Name != want.Name || !arrow.TypeEqual(f.Type, want.Type) || d != wd {
					t.Errorf("field %d = %v, want %v", i, f, want)
				}
			}
			if md := tbl.Schema().Field(2).Metadata; md.FindKey("description") < 0 {
				t.Error("row_index has no description metadata")
			}
			if tbl.NumRows() != int64(tt.n) {
				t.Fatalf("NumRows() = %d, want %d", tbl.NumRows(), tt.n)
			}
			if tt.n > 0 {
				last := tbl.Column(2).Data().Chunks()
				c := last[len(last)-1].(*array.Int64)
				if got := c.Value(c.Len() - 1); got != int64(tt.n-1) {
					t.Errorf("last row_index = %d, want %d", got, tt.n-1)
				}
			}
		})
	}
}

func TestCreateRejectsFile(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	p := filepath.Join(t.TempDir(), "rejects.parquet")
	w, err := CreateRejectsFile(p, mem, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write([]Reject{{Table: TableCompanies, File: "c.parquet", Row: 3, Column: "country", Value: "XX", Reason: ReasonBadCountry, Message: "country \"XX\" is not an ISO 3166-1 alpha-2 code"}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rdr, err := file.OpenParquetFile(p, false)
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Close()
	if rdr.NumRows() != 1 {
		t.Errorf("NumRows() = %d, want 1", rdr.NumRows())
	}
	if _, err := CreateRejectsFile(filepath.Join(t.TempDir(), "no", "such", "dir", "r.parquet"), mem, nil); err == nil {
		t.Error("CreateRejectsFile in a missing folder: no error")
	}
}
