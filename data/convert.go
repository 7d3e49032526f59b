package data

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/decimal"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/decimal256"
	"github.com/apache/arrow-go/v18/arrow/float16"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// The type rules of the data contract: which Arrow types (as pqarrow reads
// a file's columns) convert to which column kind.
//
//	String  string, large_string, string_view, binary, large_binary,
//	        binary_view, dictionaries of these; integers (as decimal text)
//	Int64   int8..int64, uint8..uint64, float16..float64 holding whole
//	        numbers, decimals of any precision and scale holding whole numbers
//	Float64 any integer, float or decimal
//	Date    date32, date64, timestamps of any unit and time zone (the UTC day)
//	Bool    bool
//
// A column of type null reads as nulls whatever its kind. A value that does
// not fit its kind (a uint64 over the int64 range, a fraction in an Int64
// column, a date beyond date32) becomes a null cell with a CellIssue. Any
// other type (text where a number is expected, lists, structs) is a file
// error.

// convertible reports whether a column of type dt can be read as kind k.
func convertible(dt arrow.DataType, k Kind) bool {
	if dt.ID() == arrow.NULL {
		return true
	}
	if d, ok := dt.(*arrow.DictionaryType); ok {
		return convertible(d.ValueType, k)
	}
	id := dt.ID()
	switch k {
	case String:
		return isStringLike(id) || isInteger(id)
	case Int64, Float64:
		return isInteger(id) || isFloat(id) || isDecimal(id)
	case Date:
		return id == arrow.DATE32 || id == arrow.DATE64 || id == arrow.TIMESTAMP
	case Bool:
		return id == arrow.BOOL
	}
	return false
}

func isStringLike(id arrow.Type) bool {
	switch id {
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW, arrow.BINARY, arrow.LARGE_BINARY, arrow.BINARY_VIEW:
		return true
	}
	return false
}

func isInteger(id arrow.Type) bool {
	switch id {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return true
	}
	return false
}

func isFloat(id arrow.Type) bool {
	return id == arrow.FLOAT16 || id == arrow.FLOAT32 || id == arrow.FLOAT64
}

func isDecimal(id arrow.Type) bool {
	switch id {
	case arrow.DECIMAL32, arrow.DECIMAL64, arrow.DECIMAL128, arrow.DECIMAL256:
		return true
	}
	return false
}

// converter turns the columns of one batch into canonical arrays.
type converter struct {
	mem    memory.Allocator
	issues []CellIssue
}

// convert returns arr as an array of kind k's canonical type (a new
// reference: the caller releases it and arr separately). col names the
// column in issues and errors.
func (c *converter) convert(arr arrow.Array, col string, k Kind) (arrow.Array, error) {
	dt := arr.DataType()
	if !convertible(dt, k) {
		return nil, fmt.Errorf("column %q: %w: %s cannot be read as %s", col, ErrColumnType, dt, k)
	}
	if dt.ID() == arrow.NULL {
		return array.MakeArrayOfNull(c.mem, k.ArrowType(), arr.Len()), nil
	}
	if arrow.TypeEqual(dt, k.ArrowType()) {
		arr.Retain()
		return arr, nil
	}
	if d, ok := arr.(*array.Dictionary); ok {
		if k == String && isStringLike(d.Dictionary().DataType().ID()) {
			out, err := c.dictStrings(d)
			if err != nil {
				return nil, fmt.Errorf("column %q: %w", col, err)
			}
			return out, nil
		}
		dense, err := compute.TakeArray(compute.WithAllocator(context.Background(), c.mem), d.Dictionary(), d.Indices())
		if err != nil {
			return nil, fmt.Errorf("column %q: decoding dictionary: %w", col, err)
		}
		defer dense.Release()
		return c.convert(dense, col, k)
	}
	switch k {
	case String:
		out, err := c.toString(arr)
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", col, err)
		}
		return out, nil
	case Int64:
		return c.toInt64(arr, col), nil
	case Float64:
		return c.toFloat64(arr), nil
	case Date:
		return c.toDate(arr, col), nil
	}
	return nil, fmt.Errorf("column %q: %w: %s cannot be read as %s", col, ErrColumnType, dt, k)
}

func (c *converter) issue(row int, col, value, reason, msg string) {
	c.issues = append(c.issues, CellIssue{Row: row, Column: col, Value: value, Reason: reason, Message: msg})
}

// fixedOut builds a fixed-width canonical array of the same length and
// validity as src; cells can be nulled on top.
type fixedOut struct {
	mem   memory.Allocator
	n     int
	data  *memory.Buffer
	valid *memory.Buffer // nil while every cell is valid
	nulls int
}

func newFixedOut(mem memory.Allocator, src arrow.Array, byteWidth int) *fixedOut {
	o := &fixedOut{mem: mem, n: src.Len()}
	o.data = memory.NewResizableBuffer(mem)
	o.data.Resize(o.n * byteWidth)
	if src.NullN() > 0 {
		o.valid = memory.NewResizableBuffer(mem)
		o.valid.Resize(int(bitutil.BytesForBits(int64(o.n))))
		bitutil.CopyBitmap(src.NullBitmapBytes(), src.Data().Offset(), o.n, o.valid.Bytes(), 0)
		o.nulls = src.NullN()
	}
	return o
}

// setNull makes cell i null (it must be valid now).
func (o *fixedOut) setNull(i int) {
	if o.valid == nil {
		o.valid = memory.NewResizableBuffer(o.mem)
		o.valid.Resize(int(bitutil.BytesForBits(int64(o.n))))
		bitutil.SetBitsTo(o.valid.Bytes(), 0, int64(o.n), true)
	}
	bitutil.ClearBit(o.valid.Bytes(), i)
	o.nulls++
}

func (o *fixedOut) finish(dt arrow.DataType) arrow.Array {
	d := array.NewData(dt, o.n, []*memory.Buffer{o.valid, o.data}, nil, o.nulls, 0)
	o.data.Release()
	if o.valid != nil {
		o.valid.Release()
	}
	arr := array.MakeFromData(d)
	d.Release()
	return arr
}

// validity returns src's validity bitmap and offset, or nil when src has
// no nulls: cell i is valid when bits == nil || bitutil.BitIsSet(bits, off+i).
func validity(src arrow.Array) ([]byte, int) {
	if src.NullN() == 0 {
		return nil, 0
	}
	return src.NullBitmapBytes(), src.Data().Offset()
}

type integer interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64
}

type float interface{ ~float32 | ~float64 }

func widen[T integer | float, U int64 | float64](in []T, out []U) {
	for i, v := range in {
		out[i] = U(v)
	}
}

// widenNarrow widens the integer types narrower than 64 bits, which fit
// any canonical number, into out; it reports whether id was one of them.
func widenNarrow[U int64 | float64](id arrow.Type, data arrow.ArrayData, out []U) bool {
	switch id {
	case arrow.INT8:
		widen(arrow.GetValues[int8](data, 1), out)
	case arrow.INT16:
		widen(arrow.GetValues[int16](data, 1), out)
	case arrow.INT32:
		widen(arrow.GetValues[int32](data, 1), out)
	case arrow.UINT8:
		widen(arrow.GetValues[uint8](data, 1), out)
	case arrow.UINT16:
		widen(arrow.GetValues[uint16](data, 1), out)
	case arrow.UINT32:
		widen(arrow.GetValues[uint32](data, 1), out)
	default:
		return false
	}
	return true
}

func (c *converter) toInt64(arr arrow.Array, col string) arrow.Array {
	o := newFixedOut(c.mem, arr, 8)
	out := arrow.GetData[int64](o.data.Bytes())[:o.n]
	data := arr.Data()
	bits, off := validity(arr)
	if widenNarrow(arr.DataType().ID(), data, out) {
		return o.finish(arrow.PrimitiveTypes.Int64)
	}
	switch arr.DataType().ID() {
	case arrow.UINT64:
		for i, v := range arrow.GetValues[uint64](data, 1) {
			if v > math.MaxInt64 && (bits == nil || bitutil.BitIsSet(bits, off+i)) {
				o.setNull(i)
				c.issue(i, col, strconv.FormatUint(v, 10), ReasonOutOfRange, "uint64 value does not fit in int64")
				continue
			}
			out[i] = int64(v)
		}
	case arrow.FLOAT16:
		vals := arrow.GetValues[float16.Num](data, 1)
		for i, v := range vals {
			if bits == nil || bitutil.BitIsSet(bits, off+i) {
				out[i] = c.floatToInt(o, i, col, float64(v.Float32()))
			}
		}
	case arrow.FLOAT32:
		floatsToInt(c, o, arrow.GetValues[float32](data, 1), bits, off, col, out)
	case arrow.FLOAT64:
		floatsToInt(c, o, arrow.GetValues[float64](data, 1), bits, off, col, out)
	case arrow.DECIMAL32:
		decimalsToInt(c, o, arrow.GetValues[decimal.Decimal32](data, 1), scaleOf(arr), bits, off, col, out)
	case arrow.DECIMAL64:
		decimalsToInt(c, o, arrow.GetValues[decimal.Decimal64](data, 1), scaleOf(arr), bits, off, col, out)
	case arrow.DECIMAL128:
		decimalsToInt(c, o, arrow.GetValues[decimal128.Num](data, 1), scaleOf(arr), bits, off, col, out)
	case arrow.DECIMAL256:
		decimalsToInt(c, o, arrow.GetValues[decimal256.Num](data, 1), scaleOf(arr), bits, off, col, out)
	}
	return o.finish(arrow.PrimitiveTypes.Int64)
}

func floatsToInt[T float](c *converter, o *fixedOut, vals []T, bits []byte, off int, col string, out []int64) {
	for i, v := range vals {
		f := float64(v)
		// the common case: a whole number well inside the int64 range
		if n := int64(f); float64(n) == f && f > -9e18 && f < 9e18 {
			out[i] = n
			continue
		}
		if bits == nil || bitutil.BitIsSet(bits, off+i) {
			out[i] = c.floatToInt(o, i, col, f)
		}
	}
}

// floatToInt converts a valid float cell to int64, or nulls it with an issue.
func (c *converter) floatToInt(o *fixedOut, i int, col string, f float64) int64 {
	text := strconv.FormatFloat(f, 'g', -1, 64)
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		o.setNull(i)
		c.issue(i, col, text, ReasonNotFinite, "not a finite number where an integer is expected")
	case f != math.Trunc(f):
		o.setNull(i)
		c.issue(i, col, text, ReasonOutOfRange, "not a whole number where an integer is expected")
	case f < -9223372036854775808 || f >= 9223372036854775808:
		o.setNull(i)
		c.issue(i, col, text, ReasonOutOfRange, "value does not fit in int64")
	default:
		return int64(f)
	}
	return 0
}

// decimalValue is any of the four Arrow decimal value types.
type decimalValue interface {
	decimal.Decimal32 | decimal.Decimal64 | decimal128.Num | decimal256.Num
	ToFloat64(int32) float64
	ToString(int32) string
}

func scaleOf(arr arrow.Array) int32 {
	return arr.DataType().(arrow.DecimalType).GetScale()
}

var pow10 = func() [19]int64 {
	var p [19]int64
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// smallDecimal returns the unscaled value when it fits in an int64.
func smallDecimal[T decimalValue](v T) (int64, bool) {
	switch x := any(v).(type) {
	case decimal.Decimal32:
		return int64(x), true
	case decimal.Decimal64:
		return int64(x), true
	case decimal128.Num:
		lo := int64(x.LowBits())
		return lo, x.HighBits() == lo>>63
	case decimal256.Num:
		a := x.Array()
		lo := int64(a[0])
		ext := uint64(lo >> 63)
		return lo, a[1] == ext && a[2] == ext && a[3] == ext
	}
	return 0, false
}

func bigDecimal[T decimalValue](v T) *big.Int {
	switch x := any(v).(type) {
	case decimal128.Num:
		return x.BigInt()
	case decimal256.Num:
		return x.BigInt()
	}
	n, _ := smallDecimal(v)
	return big.NewInt(n)
}

// decimalToInt64 returns the whole number a decimal holds, if it is one and
// fits in an int64.
func decimalToInt64[T decimalValue](v T, scale int32) (int64, bool) {
	if n, ok := smallDecimal(v); ok {
		switch {
		case scale == 0:
			return n, true
		case scale > 0 && scale < 19:
			p := pow10[scale]
			if n%p != 0 {
				return 0, false
			}
			return n / p, true
		case scale > 0:
			return 0, n == 0
		case scale > -19:
			p := pow10[-scale]
			r := n * p
			if n != 0 && (r/p != n || (n < 0) != (r < 0)) {
				return 0, false
			}
			return r, true
		}
	}
	b := bigDecimal(v)
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(max(scale, -scale))), nil)
	if scale >= 0 {
		var rem big.Int
		b.QuoRem(b, p, &rem)
		if rem.Sign() != 0 {
			return 0, false
		}
	} else {
		b.Mul(b, p)
	}
	if !b.IsInt64() {
		return 0, false
	}
	return b.Int64(), true
}

func decimalsToInt[T decimalValue](c *converter, o *fixedOut, vals []T, scale int32, bits []byte, off int, col string, out []int64) {
	for i, v := range vals {
		if bits != nil && !bitutil.BitIsSet(bits, off+i) {
			continue
		}
		n, ok := decimalToInt64(v, scale)
		if !ok {
			o.setNull(i)
			c.issue(i, col, v.ToString(scale), ReasonOutOfRange, "decimal value is not a whole number that fits in int64")
			continue
		}
		out[i] = n
	}
}

func decimalsToFloat[T decimalValue](vals []T, scale int32, bits []byte, off int, out []float64) {
	for i, v := range vals {
		if bits == nil || bitutil.BitIsSet(bits, off+i) {
			out[i] = decimalToFloat(v, scale)
		}
	}
}

// decimalToFloat returns the float64 nearest to a decimal, so that 99.99
// stored as (9999, scale 2) reads as the literal 99.99. An unscaled value of
// at most 2^53 and a power of ten up to 1e22 are both exact in float64, so
// one division (or product) rounds once, correctly; other values go through
// the decimal text, which strconv rounds correctly too.
func decimalToFloat[T decimalValue](v T, scale int32) float64 {
	if n, ok := smallDecimal(v); ok && n <= 1<<53 && n >= -(1<<53) && scale >= -22 && scale <= 22 {
		if scale >= 0 {
			return float64(n) / exactPow10[scale]
		}
		return float64(n) * exactPow10[-scale]
	}
	f, err := strconv.ParseFloat(v.ToString(scale), 64)
	if err != nil {
		return v.ToFloat64(scale)
	}
	return f
}

// exactPow10 holds the powers of ten that float64 represents exactly.
var exactPow10 = [23]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

func (c *converter) toFloat64(arr arrow.Array) arrow.Array {
	o := newFixedOut(c.mem, arr, 8)
	out := arrow.GetData[float64](o.data.Bytes())[:o.n]
	data := arr.Data()
	bits, off := validity(arr)
	if widenNarrow(arr.DataType().ID(), data, out) {
		return o.finish(arrow.PrimitiveTypes.Float64)
	}
	switch arr.DataType().ID() {
	case arrow.INT64:
		widen(arrow.GetValues[int64](data, 1), out)
	case arrow.UINT64:
		widen(arrow.GetValues[uint64](data, 1), out)
	case arrow.FLOAT16:
		for i, v := range arrow.GetValues[float16.Num](data, 1) {
			out[i] = float64(v.Float32())
		}
	case arrow.FLOAT32:
		widen(arrow.GetValues[float32](data, 1), out)
	case arrow.DECIMAL32:
		decimalsToFloat(arrow.GetValues[decimal.Decimal32](data, 1), scaleOf(arr), bits, off, out)
	case arrow.DECIMAL64:
		decimalsToFloat(arrow.GetValues[decimal.Decimal64](data, 1), scaleOf(arr), bits, off, out)
	case arrow.DECIMAL128:
		decimalsToFloat(arrow.GetValues[decimal128.Num](data, 1), scaleOf(arr), bits, off, out)
	case arrow.DECIMAL256:
		decimalsToFloat(arrow.GetValues[decimal256.Num](data, 1), scaleOf(arr), bits, off, out)
	}
	return o.finish(arrow.PrimitiveTypes.Float64)
}

const (
	msPerDay = 86400 * 1000
)

// floorDiv divides rounding towards minus infinity, so that an instant
// before 1970 falls on the right day.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func (c *converter) toDate(arr arrow.Array, col string) arrow.Array {
	o := newFixedOut(c.mem, arr, 4)
	out := arrow.GetData[int32](o.data.Bytes())[:o.n]
	bits, off := validity(arr)
	var perDay int64
	var unit string
	switch dt := arr.DataType().(type) {
	case *arrow.Date64Type:
		perDay, unit = msPerDay, "ms"
	case *arrow.TimestampType:
		unit = dt.Unit.String()
		perDay = 86400 * int64(time.Second/dt.Unit.Multiplier())
	}
	for i, v := range arrow.GetValues[int64](arr.Data(), 1) {
		d := floorDiv(v, perDay)
		if d == int64(int32(d)) {
			out[i] = int32(d)
			continue
		}
		if bits == nil || bitutil.BitIsSet(bits, off+i) {
			o.setNull(i)
			c.issue(i, col, strconv.FormatInt(v, 10)+" "+unit, ReasonOutOfRange, "date is outside the range of a date32")
		}
	}
	return o.finish(arrow.FixedWidthTypes.Date32)
}

// toString converts large strings, binaries, views and integers to a
// plain string array.
func (c *converter) toString(arr arrow.Array) (arrow.Array, error) {
	if isInteger(arr.DataType().ID()) {
		return c.intsToString(arr), nil
	}
	data := arr.Data()
	var get func(i int) []byte
	switch a := arr.(type) {
	case *array.Binary:
		offs, raw := arrow.GetOffsets[int32](data, 1), data.Buffers()[2].Bytes()
		get = func(i int) []byte { return raw[offs[i]:offs[i+1]] }
	case *array.LargeString, *array.LargeBinary:
		offs, raw := arrow.GetOffsets[int64](data, 1), data.Buffers()[2].Bytes()
		get = func(i int) []byte { return raw[offs[i]:offs[i+1]] }
	case *array.StringView:
		get = func(i int) []byte { return []byte(a.Value(i)) }
	case *array.BinaryView:
		get = a.Value
	default:
		return nil, fmt.Errorf("%w: %s cannot be read as string", ErrColumnType, arr.DataType())
	}
	return c.buildStrings(arr, arr.Len(), get)
}

// dictStrings decodes a dictionary of strings.
func (c *converter) dictStrings(d *array.Dictionary) (arrow.Array, error) {
	dict := d.Dictionary()
	if dict.DataType().ID() != arrow.STRING {
		plain, err := c.toString(dict)
		if err != nil {
			return nil, err
		}
		defer plain.Release()
		dict = plain
	}
	dd := dict.Data()
	offs, raw := arrow.GetOffsets[int32](dd, 1), dd.Buffers()[2].Bytes()
	switch d.Indices().DataType().ID() {
	case arrow.INT32:
		return dictGather(c, d, arrow.GetValues[int32](d.Indices().Data(), 1), offs, raw)
	case arrow.INT8:
		return dictGather(c, d, arrow.GetValues[int8](d.Indices().Data(), 1), offs, raw)
	case arrow.INT16:
		return dictGather(c, d, arrow.GetValues[int16](d.Indices().Data(), 1), offs, raw)
	case arrow.INT64:
		return dictGather(c, d, arrow.GetValues[int64](d.Indices().Data(), 1), offs, raw)
	case arrow.UINT8:
		return dictGather(c, d, arrow.GetValues[uint8](d.Indices().Data(), 1), offs, raw)
	case arrow.UINT16:
		return dictGather(c, d, arrow.GetValues[uint16](d.Indices().Data(), 1), offs, raw)
	case arrow.UINT32:
		return dictGather(c, d, arrow.GetValues[uint32](d.Indices().Data(), 1), offs, raw)
	case arrow.UINT64:
		return dictGather(c, d, arrow.GetValues[uint64](d.Indices().Data(), 1), offs, raw)
	}
	return nil, fmt.Errorf("%w: dictionary index type %s", ErrColumnType, d.Indices().DataType())
}

// dictGather writes out the strings a dictionary array's indices point to.
func dictGather[T integer](c *converter, d *array.Dictionary, idx []T, offs []int32, raw []byte) (arrow.Array, error) {
	n, size := len(idx), len(offs)-1
	bits, off := validity(d)
	total := 0
	for i, k := range idx {
		if bits != nil && !bitutil.BitIsSet(bits, off+i) {
			continue
		}
		if uint64(k) >= uint64(size) {
			return nil, fmt.Errorf("dictionary index %d out of range [0, %d)", uint64(k), size)
		}
		total += int(offs[k+1] - offs[k])
	}
	if total > math.MaxInt32 {
		return nil, fmt.Errorf("%d bytes of text in one batch: over the 2 GiB limit of a string column", total)
	}
	offBuf, dataBuf, valid := c.stringBuffers(n, total, bits, off)
	offsets := arrow.GetData[int32](offBuf.Bytes())[:n+1]
	text := dataBuf.Bytes()[:total]
	pos := int32(0)
	for i, k := range idx {
		offsets[i] = pos
		if bits == nil || bitutil.BitIsSet(bits, off+i) {
			pos += int32(copy(text[pos:], raw[offs[k]:offs[k+1]]))
		}
	}
	offsets[n] = pos
	return finishStrings(n, d.NullN(), valid, offBuf, dataBuf), nil
}

// stringBuffers allocates the buffers of a string array of n cells and
// total bytes, with a copy of the validity bits (nil: all valid).
func (c *converter) stringBuffers(n, total int, bits []byte, off int) (offBuf, dataBuf, valid *memory.Buffer) {
	offBuf = memory.NewResizableBuffer(c.mem)
	offBuf.Resize((n + 1) * 4)
	dataBuf = memory.NewResizableBuffer(c.mem)
	dataBuf.Resize(total)
	if bits != nil {
		valid = memory.NewResizableBuffer(c.mem)
		valid.Resize(int(bitutil.BytesForBits(int64(n))))
		bitutil.CopyBitmap(bits, off, n, valid.Bytes(), 0)
	}
	return offBuf, dataBuf, valid
}

// finishStrings makes a string array of the buffers, taking them over.
func finishStrings(n, nulls int, valid, offBuf, dataBuf *memory.Buffer) arrow.Array {
	d := array.NewData(arrow.BinaryTypes.String, n, []*memory.Buffer{valid, offBuf, dataBuf}, nil, nulls, 0)
	offBuf.Release()
	dataBuf.Release()
	if valid != nil {
		valid.Release()
	}
	arr := array.MakeFromData(d)
	d.Release()
	return arr
}

// buildStrings builds a string array of n cells with src's validity and
// values from get.
func (c *converter) buildStrings(src arrow.Array, n int, get func(i int) []byte) (arrow.Array, error) {
	bits, off := validity(src)
	total := 0
	for i := 0; i < n; i++ {
		if bits == nil || bitutil.BitIsSet(bits, off+i) {
			total += len(get(i))
		}
	}
	if total > math.MaxInt32 {
		return nil, fmt.Errorf("%d bytes of text in one batch: over the 2 GiB limit of a string column", total)
	}
	offBuf, dataBuf, valid := c.stringBuffers(n, total, bits, off)
	offsets := arrow.GetData[int32](offBuf.Bytes())[:n+1]
	text := dataBuf.Bytes()[:total]
	pos := 0
	for i := 0; i < n; i++ {
		offsets[i] = int32(pos)
		if bits == nil || bitutil.BitIsSet(bits, off+i) {
			pos += copy(text[pos:], get(i))
		}
	}
	offsets[n] = int32(pos)
	return finishStrings(n, src.NullN(), valid, offBuf, dataBuf), nil
}

// intsToString writes integers as decimal text.
func (c *converter) intsToString(arr arrow.Array) arrow.Array {
	b := array.NewStringBuilder(c.mem)
	defer b.Release()
	b.Reserve(arr.Len())
	var buf []byte
	signed := func(v int64) { buf = strconv.AppendInt(buf[:0], v, 10); b.BinaryBuilder.Append(buf) }
	unsigned := func(v uint64) { buf = strconv.AppendUint(buf[:0], v, 10); b.BinaryBuilder.Append(buf) }
	data := arr.Data()
	for i := 0; i < arr.Len(); i++ {
		if arr.IsNull(i) {
			b.AppendNull()
			continue
		}
		switch arr.DataType().ID() {
		case arrow.INT8:
			signed(int64(arrow.GetValues[int8](data, 1)[i]))
		case arrow.INT16:
			signed(int64(arrow.GetValues[int16](data, 1)[i]))
		case arrow.INT32:
			signed(int64(arrow.GetValues[int32](data, 1)[i]))
		case arrow.INT64:
			signed(arrow.GetValues[int64](data, 1)[i])
		case arrow.UINT8:
			unsigned(uint64(arrow.GetValues[uint8](data, 1)[i]))
		case arrow.UINT16:
			unsigned(uint64(arrow.GetValues[uint16](data, 1)[i]))
		case arrow.UINT32:
			unsigned(uint64(arrow.GetValues[uint32](data, 1)[i]))
		case arrow.UINT64:
			unsigned(arrow.GetValues[uint64](data, 1)[i])
		}
	}
	return b.NewArray()
}
