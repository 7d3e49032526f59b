package pipeline

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
)

func TestWriteTable(t *testing.T) {
	tests := []struct {
		name         string
		rows         int
		rowGroupRows int
		wantGroups   int
	}{
		{name: "empty", rows: 0, rowGroupRows: 4, wantGroups: 0},
		{name: "one row group", rows: 3, rowGroupRows: 4, wantGroups: 1},
		{name: "exact row groups", rows: 8, rowGroupRows: 4, wantGroups: 2},
		{name: "last row group short", rows: 10, rowGroupRows: 4, wantGroups: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)

			ids := array.NewStringBuilder(mem)
			vals := array.NewFloat64Builder(mem)
			for i := range tt.rows {
				ids.Append(string(rune('a' + i)))
				if i%3 == 2 {
					vals.AppendNull()
				} else {
					vals.Append(float64(i) / 2)
				}
			}
			idArr, valArr := ids.NewArray(), vals.NewArray()
			ids.Release()
			vals.Release()
			defer idArr.Release()
			defer valArr.Release()
			cols := []OutColumn{
				{Name: "company_id", Type: arrow.BinaryTypes.String, Description: "The id.", Array: idArr},
				{Name: "score", Type: arrow.PrimitiveTypes.Float64, Description: "A score.", Array: valArr},
				ConstString("run_id", "The run.", "run-1"),
			}
			path := filepath.Join(t.TempDir(), "part-0.parquet")
			meta := FileMeta{RunID: "run-1", ModelVersion: "m1", ConfigHash: "abc"}
			of, err := WriteTable(context.Background(), mem, path, tt.rows, cols, meta, tt.rowGroupRows)
			if err != nil {
				t.Fatalf("WriteTable() error %v", err)
			}
			if of.Rows != int64(tt.rows) {
				t.Errorf("WriteTable() rows = %d, want %d", of.Rows, tt.rows)
			}

			p, err := openParquet(mem, path, 4)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			if got := p.pf.NumRowGroups(); got != tt.wantGroups {
				t.Errorf("row groups = %d, want %d", got, tt.wantGroups)
			}
			for k, want := range map[string]string{MetaRunID: "run-1", MetaModelVersion: "m1", MetaConfigHash: "abc"} {
				if got := p.meta(k); got != want {
					t.Errorf("metadata %s = %q, want %q", k, got, want)
				}
			}
			var descs map[string]string
			if err := json.Unmarshal([]byte(p.meta(MetaColumnDescriptions)), &descs); err != nil {
				t.Fatalf("metadata %s: %v", MetaColumnDescriptions, err)
			}
			if descs["score"] != "A score." || len(descs) != 3 {
				t.Errorf("metadata %s = %v", MetaColumnDescriptions, descs)
			}
			for i, c := range cols {
				f := p.sc.Field(i)
				if d, _ := f.Metadata.GetValue(descriptionKey); d != c.Description {
					t.Errorf("field %s description = %q, want %q", f.Name, d, c.Description)
				}
				if !arrow.TypeEqual(f.Type, c.Type) {
					t.Errorf("field %s type = %s, want %s", f.Name, f.Type, c.Type)
				}
			}
			for rg := range p.pf.NumRowGroups() {
				md := p.pf.MetaData().RowGroup(rg)
				for i, c := range cols {
					cc, err := md.ColumnChunk(i)
					if err != nil {
						t.Fatal(err)
					}
					dict := false
					for _, e := range cc.Encodings() {
						if e == parquet.Encodings.RLEDict || e == parquet.Encodings.PlainDict {
							dict = true
						}
					}
					if dict != c.Dict {
						t.Errorf("row group %d column %s dictionary = %v, want %v", rg, c.Name, dict, c.Dict)
					}
				}
			}

			var row int
			err = p.scan(context.Background(), []int{0, 1, 2}, func(rec arrow.RecordBatch) error {
				gi := rec.Column(0).(*array.String)
				gv := rec.Column(1).(*array.Float64)
				gr := rec.Column(2).(*array.String)
				for i := range int(rec.NumRows()) {
					if gi.Value(i) != string(rune('a'+row)) || gr.Value(i) != "run-1" {
						t.Errorf("row %d = %q %q", row, gi.Value(i), gr.Value(i))
					}
					if (row%3 == 2) != gv.IsNull(i) || (gv.IsValid(i) && gv.Value(i) != float64(row)/2) {
						t.Errorf("row %d score = %v", row, gv.ValueStr(i))
					}
					row++
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if row != tt.rows {
				t.Errorf("read back %d rows, want %d", row, tt.rows)
			}
		})
	}
}

func TestWriteArraysMismatch(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cols := []OutColumn{{Name: "x", Type: arrow.PrimitiveTypes.Int32}}
	tw, err := NewTableWriter(mem, filepath.Join(t.TempDir(), "x.parquet"), cols, FileMeta{})
	if err != nil {
		t.Fatal(err)
	}
	defer tw.Abort()
	b := array.NewFloat64Builder(mem)
	defer b.Release()
	b.Append(1)
	a := b.NewArray()
	defer a.Release()
	if err := tw.WriteArrays(context.Background(), []arrow.Array{a}); err == nil {
		t.Errorf("WriteArrays(float64 into int32) error = nil, want an error")
	}
}
