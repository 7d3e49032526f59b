package data

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestConvert checks the type rules on Arrow arrays directly, for the
// types a Parquet file does not produce without a stored Arrow schema
// (views, large and dictionary-encoded values of every index width) and
// for arrays with an offset.
func TestConvert(t *testing.T) {
	type issue struct {
		row           int
		value, reason string
	}
	dict := func(idx, val arrow.DataType, idxJSON, dictJSON string) func(memory.Allocator) arrow.Array {
		return func(mem memory.Allocator) arrow.Array {
			ind, _, err := array.FromJSON(mem, idx, strings.NewReader(idxJSON))
			if err != nil {
				t.Fatal(err)
			}
			defer ind.Release()
			d, _, err := array.FromJSON(mem, val, strings.NewReader(dictJSON))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Release()
			return array.NewDictionaryArray(&arrow.DictionaryType{IndexType: idx, ValueType: val}, ind, d)
		}
	}
	fromJSON := func(dt arrow.DataType, js string) func(memory.Allocator) arrow.Array {
		return func(mem memory.Allocator) arrow.Array {
			a, _, err := array.FromJSON(mem, dt, strings.NewReader(js))
			if err != nil {
				t.Fatalf("FromJSON(%s, %s): %v", dt, js, err)
			}
			return a
		}
	}
	sliced := func(make func(memory.Allocator) arrow.Array, i, j int64) func(memory.Allocator) arrow.Array {
		return func(mem memory.Allocator) arrow.Array {
			a := make(mem)
			defer a.Release()
			return array.NewSlice(a, i, j)
		}
	}
	tests := []struct {
		name       string
		in         func(memory.Allocator) arrow.Array
		kind       Kind
		want       string
		wantIssues []issue
		wantErr    error
	}{
		{name: "large string", in: fromJSON(arrow.BinaryTypes.LargeString, `["a", null, "ccc"]`), kind: String, want: `["a",null,"ccc"]`},
		{name: "string view", in: fromJSON(arrow.BinaryTypes.StringView, `["a", null, "a string longer than twelve bytes"]`), kind: String,
			want: `["a",null,"a string longer than twelve bytes"]`},
		{name: "binary view", in: fromJSON(arrow.BinaryTypes.BinaryView, `["QUJD", null]`), kind: String, want: `["ABC",null]`},
		{name: "large binary", in: fromJSON(arrow.BinaryTypes.LargeBinary, `["QUJD", ""]`), kind: String, want: `["ABC",""]`},
		{name: "sliced large string", in: sliced(fromJSON(arrow.BinaryTypes.LargeString, `["a", "bb", null, "dddd"]`), 1, 4), kind: String, want: `["bb",null,"dddd"]`},
		{name: "dictionary, int8 indices", in: dict(arrow.PrimitiveTypes.Int8, arrow.BinaryTypes.String, `[1, 0, null, 1]`, `["x", "yy"]`), kind: String,
			want: `["yy","x",null,"yy"]`},
		{name: "dictionary, uint16 indices, large strings", in: dict(arrow.PrimitiveTypes.Uint16, arrow.BinaryTypes.LargeString, `[0, 0, 1]`, `["p", "q"]`),
			kind: String, want: `["p","p","q"]`},
		{name: "dictionary, int64 indices, sliced", in: sliced(dict(arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String, `[2, 1, 0, null]`, `["a", "b", "c"]`), 1, 4),
			kind: String, want: `["b","a",null]`},
		{name: "dictionary index out of range", in: dict(arrow.PrimitiveTypes.Int32, arrow.BinaryTypes.String, `[0, 5]`, `["a"]`), kind: String,
			wantErr: errors.New("dictionary index 5 out of range [0, 1)")},
		{name: "dictionary of integers", in: dict(arrow.PrimitiveTypes.Int8, arrow.PrimitiveTypes.Uint64, `[0, 1, null]`, `[7, 18446744073709551615]`),
			kind: Int64, want: `[7,null,null]`, wantIssues: []issue{{1, "18446744073709551615", ReasonOutOfRange}}},
		{name: "uints as text", in: fromJSON(arrow.PrimitiveTypes.Uint64, `[18446744073709551615, null, 0]`), kind: String,
			want: `["18446744073709551615",null,"0"]`},
		{name: "sliced int8 widened", in: sliced(fromJSON(arrow.PrimitiveTypes.Int8, `[1, null, -3, 4]`), 1, 4), kind: Int64, want: `[null,-3,4]`},
		{name: "garbage behind a null uint64", in: sliced(fromJSON(arrow.PrimitiveTypes.Uint64, `[18446744073709551615, null]`), 1, 2), kind: Int64,
			want: `[null]`},
		{name: "int64 into float64", in: fromJSON(arrow.PrimitiveTypes.Int64, `[-9007199254740993, 3]`), kind: Float64, want: `[-9007199254740992,3]`},
		{name: "decimal with a negative scale", in: fromJSON(&arrow.Decimal128Type{Precision: 5, Scale: -3}, `["12000", null]`), kind: Int64,
			want: `[12000,null]`},
		{name: "decimal256 fraction into int", in: fromJSON(&arrow.Decimal256Type{Precision: 50, Scale: 20}, `["1.00000000000000000001", "-2"]`), kind: Int64,
			want: `[null,-2]`, wantIssues: []issue{{0, "1.00000000000000000001", ReasonOutOfRange}}},
		{name: "decimal over int64", in: fromJSON(&arrow.Decimal128Type{Precision: 20, Scale: 0}, `["9223372036854775808", "-9223372036854775808"]`), kind: Int64,
			want: `[null,-9223372036854775808]`, wantIssues: []issue{{0, "9223372036854775808", ReasonOutOfRange}}},
		{name: "decimal money reads as its literal", in: fromJSON(&arrow.Decimal128Type{Precision: 12, Scale: 2}, `["99.99", "19.99", "-0.07", null]`), kind: Float64,
			want: `[99.99,19.99,-0.07,null]`},
		{name: "decimal256 beyond 2^53 rounds once", in: fromJSON(&arrow.Decimal256Type{Precision: 40, Scale: 3}, `["123456789012345678901.125"]`), kind: Float64,
			want: `[123456789012345680000]`},
		{name: "float at the int64 edge", in: fromJSON(arrow.PrimitiveTypes.Float64, `[9223372036854775807, -9223372036854775808, "Inf"]`), kind: Int64,
			want:       `[null,-9223372036854775808,null]`,
			wantIssues: []issue{{0, "9.223372036854776e+18", ReasonOutOfRange}, {2, "+Inf", ReasonNotFinite}}},
		{name: "timestamp in microseconds", in: fromJSON(&arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "America/New_York"},
			`["2024-01-01T04:59:59Z", "2024-01-01T05:00:00-05:00"]`), kind: Date, want: `["2024-01-01","2024-01-01"]`},
		{name: "timestamp in seconds before 1970", in: fromJSON(&arrow.TimestampType{Unit: arrow.Second}, `[-1, -86400, -86401]`), kind: Date,
			want: `["1969-12-31","1969-12-31","1969-12-30"]`},
		{name: "date64 beyond date32", in: fromJSON(arrow.FixedWidthTypes.Date64, `[9223372036854775807]`), kind: Date,
			want: `[null]`, wantIssues: []issue{{0, "9223372036854775807 ms", ReasonOutOfRange}}},
		{name: "nulls", in: fromJSON(arrow.Null, `[null, null]`), kind: Bool, want: `[null,null]`},
		{name: "text as a number", in: fromJSON(arrow.BinaryTypes.String, `["1"]`), kind: Float64, wantErr: ErrColumnType},
		{name: "bool as a number", in: fromJSON(arrow.FixedWidthTypes.Boolean, `[true]`), kind: Int64, wantErr: ErrColumnType},
		{name: "float as text", in: fromJSON(arrow.PrimitiveTypes.Float64, `[1.5]`), kind: String, wantErr: ErrColumnType},
		{name: "date as a number", in: fromJSON(arrow.FixedWidthTypes.Date32, `["2024-01-01"]`), kind: Int64, wantErr: ErrColumnType},
		{name: "struct", in: fromJSON(arrow.StructOf(arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int64}), `[{"a": 1}]`), kind: Int64, wantErr: ErrColumnType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			in := tt.in(mem)
			defer in.Release()
			c := &converter{mem: mem}
			out, err := c.convert(in, "col", tt.kind)
			if tt.wantErr != nil {
				if err == nil || !(errors.Is(err, tt.wantErr) || strings.Contains(err.Error(), tt.wantErr.Error())) {
					t.Fatalf("convert(%s as %s) error = %v, want %v", in.DataType(), tt.kind, err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), `"col"`) {
					t.Errorf("error %q does not name the column", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("convert(%s as %s): %v", in.DataType(), tt.kind, err)
			}
			defer out.Release()
			if !arrow.TypeEqual(out.DataType(), tt.kind.ArrowType()) {
				t.Errorf("type = %s, want %s", out.DataType(), tt.kind.ArrowType())
			}
			rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "col", Type: out.DataType(), Nullable: true}}, nil), []arrow.Array{out}, -1)
			defer rec.Release()
			if got := columnJSON(t, rec, "col"); got != normJSON(t, tt.want) {
				t.Errorf("convert(%s as %s) = %s, want %s", in.DataType(), tt.kind, got, normJSON(t, tt.want))
			}
			var got []issue
			for _, is := range c.issues {
				got = append(got, issue{is.Row, is.Value, is.Reason})
			}
			if !reflect.DeepEqual(got, tt.wantIssues) {
				t.Errorf("issues = %+v, want %+v", got, tt.wantIssues)
			}
		})
	}
}
