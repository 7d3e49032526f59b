package valuation

import (
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// fixedOut is an output column of a fixed-width type, written in place
// through its values slice; ranges written concurrently must start at
// multiples of 8 so that no two writers share a validity byte.
type fixedOut[T float64 | int32 | arrow.Date32] struct {
	typ   arrow.DataType
	n     int
	buf   *memory.Buffer
	v     []T
	vbuf  *memory.Buffer // nil when the column has no nulls
	valid []byte
}

func newFixed[T float64 | int32 | arrow.Date32](mem memory.Allocator, typ arrow.DataType, n int, nullable bool) *fixedOut[T] {
	var zero T
	size := int(unsafe.Sizeof(zero))
	o := &fixedOut[T]{typ: typ, n: n, buf: memory.NewResizableBuffer(mem)}
	o.buf.Resize(n * size)
	if n > 0 {
		o.v = unsafe.Slice((*T)(unsafe.Pointer(&o.buf.Bytes()[0])), n)
	}
	if nullable {
		o.vbuf = memory.NewResizableBuffer(mem)
		o.vbuf.Resize(int(bitutil.BytesForBits(int64(n))))
		o.valid = o.vbuf.Bytes()
		for i := range o.valid {
			o.valid[i] = 0xFF
		}
	}
	return o
}

func (o *fixedOut[T]) null(i int) {
	o.v[i] = 0
	bitutil.ClearBit(o.valid, i)
}

// array hands the buffers to a new array.
func (o *fixedOut[T]) array() arrow.Array {
	nulls := 0
	if o.vbuf != nil {
		nulls = o.n - bitutil.CountSetBits(o.valid, 0, o.n)
	}
	d := array.NewData(o.typ, o.n, []*memory.Buffer{o.vbuf, o.buf}, nil, nulls, 0)
	defer d.Release()
	o.release()
	return array.MakeFromData(d)
}

func (o *fixedOut[T]) release() {
	if o.buf != nil {
		o.buf.Release()
		o.buf = nil
	}
	if o.vbuf != nil {
		o.vbuf.Release()
		o.vbuf = nil
	}
}

// boolOut is a non-null boolean output column.
type boolOut struct {
	n    int
	buf  *memory.Buffer
	bits []byte
}

func newBool(mem memory.Allocator, n int) *boolOut {
	o := &boolOut{n: n, buf: memory.NewResizableBuffer(mem)}
	o.buf.Resize(int(bitutil.BytesForBits(int64(n))))
	o.bits = o.buf.Bytes()
	for i := range o.bits {
		o.bits[i] = 0
	}
	return o
}

func (o *boolOut) set(i int, v bool) {
	if v {
		bitutil.SetBit(o.bits, i)
	}
}

func (o *boolOut) array() arrow.Array {
	d := array.NewData(arrow.FixedWidthTypes.Boolean, o.n, []*memory.Buffer{nil, o.buf}, nil, 0, 0)
	defer d.Release()
	o.buf.Release()
	o.buf = nil
	return array.MakeFromData(d)
}

// stringsOf builds a string array of dict[codes[i]], null where a code is
// negative.
func stringsOf(mem memory.Allocator, codes []int32, dict []string) arrow.Array {
	n := len(codes)
	total, nulls := 0, 0
	for _, c := range codes {
		if c < 0 {
			nulls++
		} else {
			total += len(dict[c])
		}
	}
	offs := memory.NewResizableBuffer(mem)
	offs.Resize((n + 1) * 4)
	off := unsafe.Slice((*int32)(unsafe.Pointer(&offs.Bytes()[0])), n+1)
	vals := memory.NewResizableBuffer(mem)
	vals.Resize(total)
	vb := vals.Bytes()
	var valid *memory.Buffer
	var bits []byte
	if nulls > 0 {
		valid = memory.NewResizableBuffer(mem)
		valid.Resize(int(bitutil.BytesForBits(int64(n))))
		bits = valid.Bytes()
		for i := range bits {
			bits[i] = 0
		}
	}
	pos := 0
	for i, c := range codes {
		off[i] = int32(pos)
		if c >= 0 {
			if d := dict[c]; len(d) <= 8 { // short labels: a loop beats a call to memmove
				for k := 0; k < len(d); k++ {
					vb[pos+k] = d[k]
				}
				pos += len(d)
			} else {
				pos += copy(vb[pos:], d)
			}
			if bits != nil {
				bitutil.SetBit(bits, i)
			}
		}
	}
	off[n] = int32(pos)
	d := array.NewData(arrow.BinaryTypes.String, n, []*memory.Buffer{valid, offs, vals}, nil, nulls, 0)
	defer d.Release()
	offs.Release()
	vals.Release()
	if valid != nil {
		valid.Release()
	}
	return array.MakeFromData(d)
}

// LabelAt returns row i of a string column, plain, large or
// dictionary-encoded (as a Parquet reader may return the label columns);
// "" for a null.
func LabelAt(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return ""
	}
	switch x := a.(type) {
	case *array.String:
		return x.Value(i)
	case *array.LargeString:
		return x.Value(i)
	case *array.Dictionary:
		return LabelAt(x.Dictionary(), x.GetValueIndex(i))
	}
	return a.ValueStr(i)
}
