package valuation

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
)

// f64col is a float64 column as its values and validity bitmap, for tight
// loops without interface calls.
type f64col struct {
	v     []float64
	valid []byte // nil when no value is null
	off   int
}

func (c f64col) ok(i int) bool { return c.valid == nil || bitutil.BitIsSet(c.valid, c.off+i) }

// i64col is an int64 column.
type i64col struct {
	v     []int64
	valid []byte
	off   int
}

func (c i64col) ok(i int) bool { return c.valid == nil || bitutil.BitIsSet(c.valid, c.off+i) }

// i32col is a date32 column as days since 1970-01-01.
type i32col struct {
	v     []arrow.Date32
	valid []byte
	off   int
}

func (c i32col) ok(i int) bool { return c.valid == nil || bitutil.BitIsSet(c.valid, c.off+i) }

func validity(a arrow.Array) []byte {
	if a.NullN() == 0 {
		return nil
	}
	return a.NullBitmapBytes()
}

// columnOf returns a record's column by name, checking its type.
func columnOf(rec arrow.RecordBatch, table, name string, typ arrow.DataType) (arrow.Array, error) {
	idx := rec.Schema().FieldIndices(name)
	if len(idx) == 0 {
		return nil, fmt.Errorf("valuation: %s record has no column %s", table, name)
	}
	col := rec.Column(idx[0])
	if !arrow.TypeEqual(col.DataType(), typ) {
		return nil, fmt.Errorf("valuation: %s column %s is %s, want %s", table, name, col.DataType(), typ)
	}
	return col, nil
}

func float64Of(rec arrow.RecordBatch, table, name string) (f64col, error) {
	a, err := columnOf(rec, table, name, arrow.PrimitiveTypes.Float64)
	if err != nil {
		return f64col{}, err
	}
	f := a.(*array.Float64)
	return f64col{v: f.Float64Values(), valid: validity(f), off: f.Data().Offset()}, nil
}

func int64Of(rec arrow.RecordBatch, table, name string) (i64col, error) {
	a, err := columnOf(rec, table, name, arrow.PrimitiveTypes.Int64)
	if err != nil {
		return i64col{}, err
	}
	f := a.(*array.Int64)
	return i64col{v: f.Int64Values(), valid: validity(f), off: f.Data().Offset()}, nil
}

func date32Of(rec arrow.RecordBatch, table, name string) (i32col, error) {
	a, err := columnOf(rec, table, name, arrow.FixedWidthTypes.Date32)
	if err != nil {
		return i32col{}, err
	}
	f := a.(*array.Date32)
	return i32col{v: f.Date32Values(), valid: validity(f), off: f.Data().Offset()}, nil
}

func stringOf(rec arrow.RecordBatch, table, name string) (*array.String, error) {
	a, err := columnOf(rec, table, name, arrow.BinaryTypes.String)
	if err != nil {
		return nil, err
	}
	return a.(*array.String), nil
}
