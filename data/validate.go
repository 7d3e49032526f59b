package data

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// MaxRejectValue is the longest value, in bytes, a reject record keeps of
// the offending cell; longer text is cut at a character boundary.
const MaxRejectValue = 200

// Reject is one rejected input row: the first rule it breaks.
type Reject struct {
	Table   string // input table
	File    string // file path relative to the table's input root
	Row     int64  // row index within the file, 0-based
	Column  string // the offending column; the key columns, comma-separated, for duplicate_key
	Value   string // the offending cell as text, at most MaxRejectValue bytes; "" for a null
	Reason  string // reason code (Reason* constants)
	Message string // what is wrong, in words
}

// Checked is the result of validating one batch.
type Checked struct {
	// Record is the batch's record with the Enum, Slug, ISOCountry and
	// ProviderID columns normalised (enums and provider ids trimmed and in
	// lower case, slugs in lowercase snake_case, countries in upper case);
	// the other columns are the batch's own. The caller releases it.
	Record arrow.Record
	// Accepted lists the positions, within the batch, of the accepted rows,
	// ascending.
	Accepted []int32
	// Company gives, for each accepted row, its company index: for child
	// tables the index of its company in the CompanySet, for companies the
	// index the row was given.
	Company []int32
	// Rejects has one record per rejected row, in row order.
	Rejects []Reject
	// RejectedOf: child tables only: the company index of each rejected row
	// whose company was accepted (a duplicate or a bad value), in row order.
	RejectedOf []int32
	// Warnings counts the warnings of the accepted rows by code
	// (unknown_provider).
	Warnings map[string]int
	// FlaggedOf: child tables only: the company index of each accepted row
	// that drew a warning, in row order.
	FlaggedOf []int32
}

// Release releases the checked record.
func (c *Checked) Release() {
	if c.Record != nil {
		c.Record.Release()
		c.Record = nil
	}
}

// LinkStatus says how a child row's company_id relates to the companies.
type LinkStatus uint8

const (
	UnknownCompany LinkStatus = iota // in no companies row
	Linked                           // an accepted company
	ParentRejected                   // only in rejected companies rows
)

func (s LinkStatus) String() string {
	switch s {
	case Linked:
		return "linked"
	case ParentRejected:
		return "parent_rejected"
	}
	return "unknown_company"
}

// CompanySet holds the accepted company ids, each with a dense index
// 0..n-1 in acceptance order, and the ids seen only in rejected rows. Ids are
// compared byte for byte.
//
// The accepted ids are kept back to back in one byte slice, found through
// an open-addressing table of 8-byte slots: no pointers for the garbage
// collector to scan, about 20 bytes per company besides the ids' bytes.
type CompanySet struct {
	seed     maphash.Seed
	bits     uint     // the table has 1 << bits slots
	slots    []uint64 // hash tag (top 32 bits of the hash) << 32 | (index + 1); 0 is an empty slot
	bytes    []byte   // the accepted ids in index order, back to back; never rewritten
	offs     []int64  // id i is bytes[offs[i]:offs[i+1]]
	rejected map[string]struct{}
}

func newCompanySet() *CompanySet {
	return &CompanySet{seed: maphash.MakeSeed(), offs: []int64{0}, rejected: map[string]struct{}{}}
}

// Lookup returns the index of an accepted company and Linked; -1 and
// ParentRejected when the id appears only in rejected companies rows; -1 and
// UnknownCompany when it is in no companies row.
func (s *CompanySet) Lookup(id string) (int32, LinkStatus) {
	if i := s.find(id, maphash.String(s.seed, id)); i >= 0 {
		return i, Linked
	}
	if _, ok := s.rejected[id]; ok {
		return -1, ParentRejected
	}
	return -1, UnknownCompany
}

// Len is the number of accepted companies.
func (s *CompanySet) Len() int { return len(s.offs) - 1 }

// ID returns the id of the company of index i.
func (s *CompanySet) ID(i int32) string {
	lo, hi := s.offs[i], s.offs[i+1]
	if lo == hi {
		return ""
	}
	// The bytes of an id are never written again, even when the slice
	// grows: the string may point into them.
	return unsafe.String(&s.bytes[lo], hi-lo)
}

// The slot of an id is found from the top bits of its hash, which its slot
// keeps as a tag: the table grows without hashing the ids again.

// home is the first slot to probe for hash tag t.
func (s *CompanySet) home(t uint64) uint64 { return t >> (32 - s.bits) }

// find returns the index of an accepted id of hash h, or -1.
func (s *CompanySet) find(id string, h uint64) int32 {
	if len(s.slots) == 0 {
		return -1
	}
	mask := uint64(len(s.slots) - 1)
	tag := h >> 32
	for i := s.home(tag); ; i = (i + 1) & mask {
		e := s.slots[i]
		if e == 0 {
			return -1
		}
		if e>>32 == tag {
			k := int32(uint32(e) - 1)
			if string(s.bytes[s.offs[k]:s.offs[k+1]]) == id {
				return k
			}
		}
	}
}

// add gives id the next index unless it is accepted already; it returns
// the id's index and whether it was added.
func (s *CompanySet) add(id string) (int32, bool) {
	h := maphash.String(s.seed, id)
	if k := s.find(id, h); k >= 0 {
		return k, false
	}
	if s.Len() >= len(s.slots)*3/4 {
		s.grow()
	}
	k := int32(s.Len())
	s.bytes = append(s.bytes, id...)
	s.offs = append(s.offs, int64(len(s.bytes)))
	s.put(h>>32<<32 | uint64(uint32(k)+1))
	if len(s.rejected) > 0 {
		delete(s.rejected, id)
	}
	return k, true
}

// put stores a slot in the first free place from its home.
func (s *CompanySet) put(e uint64) {
	mask := uint64(len(s.slots) - 1)
	i := s.home(e >> 32)
	for s.slots[i] != 0 {
		i = (i + 1) & mask
	}
	s.slots[i] = e
}

func (s *CompanySet) grow() {
	if s.bits >= 32 {
		panic("data: more than 3 billion companies")
	}
	s.bits = max(10, s.bits+1)
	old := s.slots
	s.slots = make([]uint64, 1<<s.bits)
	for _, e := range old {
		if e != 0 {
			s.put(e)
		}
	}
}

// trim drops the spare capacity the ids' slices grew with.
func (s *CompanySet) trim() {
	if cap(s.bytes) > len(s.bytes)+len(s.bytes)/8+4096 {
		s.bytes = slices.Clone(s.bytes)
	}
	if cap(s.offs) > len(s.offs)+len(s.offs)/8+512 {
		s.offs = slices.Clone(s.offs)
	}
}

// reject remembers an id seen in a rejected row, unless it is accepted.
func (s *CompanySet) reject(id string) {
	if s.find(id, maphash.String(s.seed, id)) >= 0 {
		return
	}
	if _, ok := s.rejected[id]; !ok {
		s.rejected[strings.Clone(id)] = struct{}{}
	}
}

// validator holds what the company and child validators share.
type validator struct {
	t       *Table
	ref     *Reference
	mem     memory.Allocator
	minDay  int32 // 1900-01-01 as date32
	maxDay  int32 // run date + 1 year as date32
	runYear int64
	maxDate string
	keys    []int // required key columns, checked for null_key
	keyName string
	schema  *arrow.Schema
}

func newValidator(t *Table, runDate time.Time, ref *Reference) validator {
	if ref == nil {
		ref = DefaultReference()
	}
	y, m, d := runDate.Date()
	runDay := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	maxDate := runDay.AddDate(1, 0, 0)
	v := validator{
		t:       t,
		ref:     ref,
		minDay:  int32(time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC).Unix() / 86400),
		maxDay:  int32(maxDate.Unix() / 86400),
		runYear: int64(y),
		maxDate: maxDate.Format(time.DateOnly),
		schema:  t.ArrowSchema(),
		keyName: strings.Join(t.Key(), ","),
	}
	for i, c := range t.Columns {
		if c.Key && c.Required {
			v.keys = append(v.keys, i)
		}
	}
	return v
}

func (v *validator) allocator() memory.Allocator {
	if v.mem != nil {
		return v.mem
	}
	return memory.DefaultAllocator
}

// batchState is the validation state of one batch.
type batchState struct {
	v       *validator
	ix      *refIndex
	b       *Batch
	n       int
	verdict []int32 // per row: 0 accepted so far, k > 0 rejected by rejects[k-1]
	rejects []Reject
	issues  map[int][]CellIssue // conversion issues by column position
	cols    []arrow.Array       // normalised columns, nil when unchanged
}

func (v *validator) begin(b *Batch) *batchState {
	rec := b.Record
	if int(rec.NumCols()) != len(v.t.Columns) {
		panic(fmt.Sprintf("data: %s batch has %d columns, want the %d of the contract", v.t.Name, rec.NumCols(), len(v.t.Columns)))
	}
	for i, c := range v.t.Columns {
		if !arrow.TypeEqual(rec.Column(i).DataType(), c.Kind.ArrowType()) {
			panic(fmt.Sprintf("data: %s batch column %d is %s, want %s %s", v.t.Name, i, rec.Column(i).DataType(), c.Name, c.Kind.ArrowType()))
		}
	}
	s := &batchState{v: v, ix: v.ref.index(), b: b, n: int(rec.NumRows())}
	s.verdict = make([]int32, s.n)
	s.cols = make([]arrow.Array, len(v.t.Columns))
	for _, is := range b.Issues {
		_, i := v.t.Column(is.Column)
		if i < 0 || is.Row < 0 || is.Row >= s.n {
			continue
		}
		if s.issues == nil {
			s.issues = map[int][]CellIssue{}
		}
		s.issues[i] = append(s.issues[i], is)
	}
	return s
}

// reject records the row's reject unless the row is already rejected.
func (s *batchState) reject(row int, col, value, reason, msg string) {
	if s.verdict[row] != 0 {
		return
	}
	s.rejects = append(s.rejects, Reject{
		Table:   s.v.t.Name,
		File:    s.fileRel(),
		Row:     s.b.Offset + int64(row),
		Column:  col,
		Value:   truncateValue(value),
		Reason:  reason,
		Message: msg,
	})
	s.verdict[row] = int32(len(s.rejects))
}

func (s *batchState) fileRel() string {
	if s.b.File == nil {
		return ""
	}
	if s.b.File.Rel != "" {
		return s.b.File.Rel
	}
	return s.b.File.Path
}

// truncateValue cuts s to MaxRejectValue bytes at a character boundary.
func truncateValue(s string) string {
	if len(s) <= MaxRejectValue {
		return s
	}
	cut := MaxRejectValue
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// isBlank reports whether s is empty after trimming white space.
func isBlank(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r', '\v', '\f':
		default:
			if s[i] < utf8.RuneSelf {
				return false
			}
			return strings.TrimSpace(s[i:]) == ""
		}
	}
	return true
}

// nullKeys rejects rows whose required key columns are null or blank.
func (s *batchState) nullKeys() {
	rec := s.b.Record
	for _, i := range s.v.keys {
		c := &s.v.t.Columns[i]
		a, ok := rec.Column(i).(*array.String)
		if !ok {
			s.nullCheck(i, ReasonNullKey, "key column")
			continue
		}
		for row := 0; row < s.n; row++ {
			if s.verdict[row] == 0 && (a.IsNull(row) || isBlank(a.Value(row))) {
				val := ""
				if a.IsValid(row) {
					val = a.Value(row)
				}
				s.reject(row, c.Name, val, ReasonNullKey, fmt.Sprintf("key column %s is null or empty", c.Name))
			}
		}
	}
}

// nullCheck rejects rows where column i is null.
func (s *batchState) nullCheck(i int, reason, what string) {
	a := s.b.Record.Column(i)
	if a.NullN() == 0 {
		return
	}
	name := s.v.t.Columns[i].Name
	for row := 0; row < s.n; row++ {
		if s.verdict[row] == 0 && a.IsNull(row) {
			s.reject(row, name, "", reason, fmt.Sprintf("%s %s is null", what, name))
		}
	}
}

// columns checks every column in contract order.
func (s *batchState) columns() {
	rec := s.b.Record
	for i := range s.v.t.Columns {
		c := &s.v.t.Columns[i]
		for _, is := range s.issues[i] {
			msg := is.Message
			if msg == "" {
				msg = fmt.Sprintf("%s %q cannot be converted", c.Name, is.Value)
			}
			reason := is.Reason
			if reason == "" {
				reason = ReasonOutOfRange
			}
			s.reject(is.Row, c.Name, is.Value, reason, msg)
		}
		switch a := rec.Column(i).(type) {
		case *array.String:
			s.stringColumn(i, c, a)
		case *array.Float64:
			s.floatColumn(c, a)
		case *array.Int64:
			s.intColumn(c, a)
		case *array.Date32:
			s.dateColumn(c, a)
		default:
			if c.Required {
				s.nullCheck(i, ReasonNullValue, "required column")
			}
		}
	}
}

func (s *batchState) stringColumn(i int, c *Column, a *array.String) {
	required := c.Required && !c.Key // key columns were checked for null_key
	changed := false
	// The normalised value of each row that passes and changes, in row
	// order, should the column need a normalised copy.
	var fixes []fix
	blank := func(row int, v string) {
		if required {
			s.reject(row, c.Name, v, ReasonNullValue, fmt.Sprintf("required column %s is empty", c.Name))
		} else if nv := s.normValue(c, v); nv != v {
			fixes = append(fixes, fix{int32(row), nv})
		}
	}
	for row := 0; row < s.n; row++ {
		if s.verdict[row] != 0 {
			continue
		}
		if a.IsNull(row) {
			if required {
				s.reject(row, c.Name, "", ReasonNullValue, fmt.Sprintf("required column %s is null", c.Name))
			}
			continue
		}
		v := a.Value(row)
		switch c.Rule {
		case NoRule:
			if required && isBlank(v) {
				s.reject(row, c.Name, v, ReasonNullValue, fmt.Sprintf("required column %s is empty", c.Name))
			}
		case Enum:
			t := strings.TrimSpace(v)
			if t == "" {
				blank(row, v)
				continue
			}
			k := enumIndex(c.Values, t)
			if k < 0 {
				s.reject(row, c.Name, v, ReasonUnknownValue, fmt.Sprintf("%s %q is not one of %s", c.Name, t, strings.Join(c.Values, ", ")))
			} else if c.Values[k] != v {
				changed = true
				fixes = append(fixes, fix{int32(row), c.Values[k]})
			}
		case Slug:
			if isBlank(v) {
				blank(row, v)
				continue
			}
			if !isSlug(v) {
				nv := NormalizeSlug(v)
				if nv == "" {
					if required {
						s.reject(row, c.Name, v, ReasonNullValue, fmt.Sprintf("%s %q has no letter or digit", c.Name, v))
					} else {
						fixes = append(fixes, fix{int32(row), nv})
					}
					continue
				}
				changed = true
				fixes = append(fixes, fix{int32(row), nv})
			}
		case ISOCountry:
			if isBlank(v) {
				blank(row, v)
				continue
			}
			code, ok := s.ix.countryCode(v)
			if !ok {
				s.reject(row, c.Name, v, ReasonBadCountry, fmt.Sprintf("%s %q is not an ISO 3166-1 alpha-2 code", c.Name, v))
			} else if code != v {
				changed = true
				fixes = append(fixes, fix{int32(row), code})
			}
		case ProviderID:
			if isBlank(v) {
				blank(row, v)
				continue
			}
			if nv := NormalizeEnum(v); nv != v {
				changed = true
				fixes = append(fixes, fix{int32(row), nv})
			}
		default:
			if required && isBlank(v) {
				s.reject(row, c.Name, v, ReasonNullValue, fmt.Sprintf("required column %s is empty", c.Name))
			}
		}
	}
	if changed {
		s.cols[i] = s.normalize(c, a, fixes)
	}
}

// fix is the normalised value of a row.
type fix struct {
	row int32
	v   string
}

// enumIndex returns the position of t among values, compared
// case-insensitively; -1 when absent.
func enumIndex(values []string, t string) int {
	for k, v := range values {
		if v == t || strings.EqualFold(v, t) {
			return k
		}
	}
	return -1
}

// normValue is the normalised form of a value of a column.
func (s *batchState) normValue(c *Column, v string) string {
	switch c.Rule {
	case Enum:
		if k := enumIndex(c.Values, strings.TrimSpace(v)); k >= 0 {
			return c.Values[k]
		}
	case Slug:
		return NormalizeSlug(v)
	case ISOCountry:
		if code, ok := s.ix.countryCode(v); ok {
			return code
		}
	case ProviderID:
		return NormalizeEnum(v)
	}
	return v
}

// normalize builds the normalised copy of a string column, writing the
// values straight into the new array's buffers. fixes holds the
// normalised values of the rows not rejected that change, in row order;
// the other rows not rejected are kept as they are, and the rejected ones
// are normalised here.
func (s *batchState) normalize(c *Column, a *array.String, fixes []fix) arrow.Array {
	mem := s.v.allocator()
	n := s.n
	offsBuf := memory.NewResizableBuffer(mem)
	offsBuf.Resize((n + 1) * arrow.Int32SizeBytes)
	offs := arrow.Int32Traits.CastFromBytes(offsBuf.Bytes())
	in, vb := a.ValueOffsets(), a.ValueBytes()
	dataBuf := memory.NewResizableBuffer(mem)
	dataBuf.Resize(len(vb))
	dst := dataBuf.Bytes()
	pos := 0
	room := func(k int) {
		if pos+k > len(dst) {
			if pos+k > math.MaxInt32 {
				panic(fmt.Sprintf("data: %s: normalised column %s over 2 GiB", s.v.t.Name, c.Name))
			}
			dataBuf.Resize(max(2*len(dst), pos+k))
			dst = dataBuf.Bytes()
		}
	}
	// The rows kept as they are come in runs, copied at once.
	run := 0 // first row of the current run
	copyRun := func(end int) {
		if end <= run {
			return
		}
		lo, hi := int(in[run]-in[0]), int(in[end]-in[0])
		room(hi - lo)
		shift := int32(pos - lo)
		for r := run; r < end; r++ {
			offs[r] = in[r] - in[0] + shift
		}
		pos += copy(dst[pos:], vb[lo:hi])
	}
	nulls := a.NullN() > 0
	for row := 0; row < n; row++ {
		fixed := len(fixes) > 0 && int(fixes[0].row) == row
		if !fixed && s.verdict[row] == 0 && (!nulls || a.IsValid(row)) {
			continue
		}
		copyRun(row)
		run = row + 1
		offs[row] = int32(pos)
		if a.IsNull(row) {
			continue
		}
		var v string
		if fixed {
			v = fixes[0].v
			fixes = fixes[1:]
		} else {
			v = s.normValue(c, a.Value(row)) // a rejected row
		}
		room(len(v))
		pos += copy(dst[pos:], v)
	}
	copyRun(n)
	offs[n] = int32(pos)
	dataBuf.Resize(pos)
	var valid *memory.Buffer
	if nulls {
		valid = memory.NewResizableBuffer(mem)
		valid.Resize(int(bitutil.BytesForBits(int64(n))))
		bitutil.CopyBitmap(a.NullBitmapBytes(), a.Data().Offset(), n, valid.Bytes(), 0)
	}
	d := array.NewData(arrow.BinaryTypes.String, n, []*memory.Buffer{valid, offsBuf, dataBuf}, nil, a.NullN(), 0)
	offsBuf.Release()
	dataBuf.Release()
	if valid != nil {
		valid.Release()
	}
	defer d.Release()
	return array.MakeFromData(d)
}

func (s *batchState) floatColumn(c *Column, a *array.Float64) {
	vals := a.Float64Values()
	hasNulls := a.NullN() > 0
	for row, x := range vals {
		if s.verdict[row] != 0 {
			continue
		}
		if hasNulls && a.IsNull(row) {
			if c.Required {
				s.reject(row, c.Name, "", ReasonNullValue, fmt.Sprintf("required column %s is null", c.Name))
			}
			continue
		}
		// One comparison for the common case: a finite value in range.
		switch c.Rule {
		case Share:
			if x >= 0 && x <= 1 {
				continue
			}
		case NonNeg:
			if x >= 0 && x <= math.MaxFloat64 {
				continue
			}
		case MaxOne:
			if x <= 1 && x >= -math.MaxFloat64 {
				continue
			}
		default:
			if x-x == 0 {
				continue
			}
		}
		s.badFloat(row, c, x)
	}
}

func (s *batchState) badFloat(row int, c *Column, x float64) {
	text := strconv.FormatFloat(x, 'g', -1, 64)
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		s.reject(row, c.Name, text, ReasonNotFinite, fmt.Sprintf("%s is %s, not a finite number", c.Name, text))
	case c.Rule == Share:
		s.reject(row, c.Name, text, ReasonOutOfRange, fmt.Sprintf("%s %s is outside [0, 1]", c.Name, text))
	case c.Rule == NonNeg:
		s.reject(row, c.Name, text, ReasonOutOfRange, fmt.Sprintf("%s %s is negative", c.Name, text))
	case c.Rule == MaxOne:
		s.reject(row, c.Name, text, ReasonOutOfRange, fmt.Sprintf("%s %s is over 1", c.Name, text))
	}
}

func (s *batchState) intColumn(c *Column, a *array.Int64) {
	vals := a.Int64Values()
	hasNulls := a.NullN() > 0
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	switch c.Rule {
	case NonNeg:
		lo = 0
	case FoundedYear:
		lo, hi = 1800, s.v.runYear
	}
	for row, x := range vals {
		if s.verdict[row] != 0 {
			continue
		}
		if hasNulls && a.IsNull(row) {
			if c.Required {
				s.reject(row, c.Name, "", ReasonNullValue, fmt.Sprintf("required column %s is null", c.Name))
			}
			continue
		}
		if x >= lo && x <= hi {
			continue
		}
		text := strconv.FormatInt(x, 10)
		if c.Rule == NonNeg {
			s.reject(row, c.Name, text, ReasonOutOfRange, fmt.Sprintf("%s %s is negative", c.Name, text))
		} else {
			s.reject(row, c.Name, text, ReasonOutOfRange, fmt.Sprintf("%s %s is outside [1800, %d]", c.Name, text, s.v.runYear))
		}
	}
}

func (s *batchState) dateColumn(c *Column, a *array.Date32) {
	vals := a.Date32Values()
	hasNulls := a.NullN() > 0
	lo, hi := arrow.Date32(math.MinInt32), arrow.Date32(math.MaxInt32)
	if c.Rule == SaneDate {
		lo, hi = arrow.Date32(s.v.minDay), arrow.Date32(s.v.maxDay)
	}
	for row, x := range vals {
		if s.verdict[row] != 0 {
			continue
		}
		if hasNulls && a.IsNull(row) {
			if c.Required {
				s.reject(row, c.Name, "", ReasonNullValue, fmt.Sprintf("required column %s is null", c.Name))
			}
			continue
		}
		if x >= lo && x <= hi {
			continue
		}
		text := x.FormattedString()
		s.reject(row, c.Name, text, ReasonBadDate, fmt.Sprintf("%s %s is outside [1900-01-01, %s]", c.Name, text, s.v.maxDate))
	}
}

// finish builds the Checked of the batch: the normalised record, the
// accepted rows and the rejects in row order.
func (s *batchState) finish() *Checked {
	rec := s.b.Record
	cols := make([]arrow.Array, len(s.cols))
	for i := range cols {
		if s.cols[i] != nil {
			cols[i] = s.cols[i]
		} else {
			cols[i] = rec.Column(i)
		}
	}
	out := &Checked{
		Record:   array.NewRecord(s.v.schema, cols, int64(s.n)),
		Accepted: make([]int32, 0, s.n-len(s.rejects)),
		Warnings: map[string]int{},
	}
	for _, a := range s.cols {
		if a != nil {
			a.Release() // the record holds its own reference
		}
	}
	if len(s.rejects) > 0 {
		out.Rejects = make([]Reject, 0, len(s.rejects))
	}
	for row, k := range s.verdict {
		if k == 0 {
			out.Accepted = append(out.Accepted, int32(row))
		} else {
			out.Rejects = append(out.Rejects, s.rejects[k-1])
		}
	}
	return out
}

// CompanyValidator validates the companies table, batch after batch in
// path-then-row order, and collects the accepted companies.
type CompanyValidator struct {
	validator
	set *CompanySet
	// Mem allocates the normalised columns; nil means memory.DefaultAllocator.
	Mem memory.Allocator
}

// NewCompanyValidator returns a validator of companies batches for a run
// date. A nil ref means DefaultReference().
func NewCompanyValidator(runDate time.Time, ref *Reference) *CompanyValidator {
	return &CompanyValidator{validator: newValidator(Companies, runDate, ref), set: newCompanySet()}
}

// Companies returns the accepted companies so far.
func (v *CompanyValidator) Companies() *CompanySet {
	v.set.trim()
	return v.set
}

// Check validates one batch of the companies table. Rows are checked in
// this order, each rejected with the first rule it breaks: a null key, then
// each column in contract order, then the duplicate key (the first
// occurrence in path-then-row order is kept). Every accepted row gets the
// next company index.
func (v *CompanyValidator) Check(b *Batch) *Checked {
	v.mem = v.Mem
	s := v.begin(b)
	s.nullKeys()
	s.columns()
	ids := b.Record.Column(0).(*array.String)
	set := v.set
	company := make([]int32, 0, s.n)
	for row := 0; row < s.n; row++ {
		id := ids.Value(row)
		if s.verdict[row] != 0 {
			if ids.IsValid(row) && !isBlank(id) {
				set.reject(id)
			}
			continue
		}
		idx, added := set.add(id)
		if !added {
			s.reject(row, v.keyName, id, ReasonDuplicateKey, fmt.Sprintf("company_id %q was already seen: the first occurrence is kept", id))
			continue
		}
		company = append(company, idx)
	}
	out := s.finish()
	out.Company = company
	return out
}

// ChildValidator validates one child table (model_usage, data_assets,
// funding_rounds) against the accepted companies.
type ChildValidator struct {
	validator
	companies   *CompanySet
	providerCol int   // model_usage: the provider column, else -1
	keyCols     []int // key columns after company_id
	seen        companyKeys
	last        int32 // index of the last company linked
	ahead       bool  // the companies come in order: look ahead of last first
	// Mem allocates the normalised columns; nil means memory.DefaultAllocator.
	Mem memory.Allocator
}

// NewChildValidator returns a validator of a child table's batches. A nil
// ref means DefaultReference(); companies is the set of the companies
// validator, complete before the first child batch is checked.
func NewChildValidator(t *Table, runDate time.Time, ref *Reference, companies *CompanySet) *ChildValidator {
	v := &ChildValidator{validator: newValidator(t, runDate, ref), companies: companies, providerCol: -1, last: -1, ahead: true}
	v.seen = newCompanyKeys(keyPartShift)
	if companies == nil {
		v.companies = newCompanySet()
	}
	for i, c := range t.Columns {
		if c.Rule == ProviderID {
			v.providerCol = i
		}
		if c.Key && c.Name != "company_id" {
			v.keyCols = append(v.keyCols, i)
		}
	}
	return v
}

// Check validates one batch of the child table. Rows are checked in this
// order, each rejected with the first rule it breaks: a null key, the
// company link (unknown_company, parent_rejected), each column in contract
// order, then the duplicate key (the first occurrence in path-then-row order
// is kept; keys are remembered as 64-bit hashes). An accepted row whose
// provider is not in the reference draws the unknown_provider warning.
func (v *ChildValidator) Check(b *Batch) *Checked {
	v.mem = v.Mem
	s := v.begin(b)
	s.nullKeys()

	// The company link.
	ids := b.Record.Column(0).(*array.String)
	link := make([]int32, s.n)
	set := v.companies
	lastID, lastIdx, lastSt := "", int32(-1), UnknownCompany
	for row := 0; row < s.n; row++ {
		if s.verdict[row] != 0 {
			link[row] = -1
			continue
		}
		id := ids.Value(row)
		// Child rows usually come grouped by company, often in the order
		// of the companies: look up each run once, and first see whether
		// it is one of the next companies'.
		if row == 0 || id != lastID {
			lastID = id
			lastIdx, lastSt = -1, UnknownCompany
			if v.ahead && v.last >= 0 {
				for k := v.last + 1; k <= v.last+lookAhead && int(k) < set.Len(); k++ {
					if set.ID(k) == id {
						lastIdx, lastSt = k, Linked
						break
					}
				}
			}
			if lastSt != Linked {
				lastIdx, lastSt = set.Lookup(id)
				// Keep looking ahead while the companies come in order.
				v.ahead = lastIdx > v.last && lastIdx <= v.last+2*lookAhead
			}
			if lastIdx >= 0 {
				v.last = lastIdx
			}
		}
		idx, st := lastIdx, lastSt
		link[row] = idx
		switch st {
		case UnknownCompany:
			s.reject(row, "company_id", id, ReasonUnknownCompany, fmt.Sprintf("company_id %q is in no companies file", id))
		case ParentRejected:
			s.reject(row, "company_id", id, ReasonParentRejected, fmt.Sprintf("company %q was rejected", id))
		}
	}

	s.columns()

	// Duplicate keys among the rows that passed everything else.
	rec := s.b.Record
	keyArrs := make([]*array.String, len(v.keyCols))
	for k, i := range v.keyCols {
		keyArrs[k] = rec.Column(i).(*array.String)
	}
	for row := 0; row < s.n; row++ {
		if s.verdict[row] != 0 {
			continue
		}
		h := hashInt(keySeed, uint64(uint32(link[row])))
		for k, a := range keyArrs {
			if a.IsNull(row) {
				h = hashNull(h)
				continue
			}
			val := a.Value(row)
			if v.keyCols[k] == v.providerCol {
				val = providerKey(val)
			} else if v.t.Columns[v.keyCols[k]].Key && !v.t.Columns[v.keyCols[k]].Required {
				// An optional key column (model): blank is null, and
				// spaces around a value do not make another key.
				val = strings.TrimSpace(val)
				if val == "" {
					h = hashNull(h)
					continue
				}
			}
			h = hashString(h, val)
		}
		if !v.seen.add(link[row], h) {
			s.reject(row, v.keyName, v.keyText(row, ids, keyArrs), ReasonDuplicateKey,
				fmt.Sprintf("key (%s) was already seen: the first occurrence is kept", v.keyName))
		}
	}

	out := s.finish()
	out.Company = make([]int32, len(out.Accepted))
	for k, row := range out.Accepted {
		out.Company[k] = link[row]
	}
	for row, verdict := range s.verdict {
		if verdict != 0 && link[row] >= 0 {
			out.RejectedOf = append(out.RejectedOf, link[row])
		}
	}

	// Unknown providers: a warning on accepted rows.
	if v.providerCol >= 0 {
		prov := out.Record.Column(v.providerCol).(*array.String)
		providers := s.ix.providers
		lastP, lastKnown := "", false
		for k, row := range out.Accepted {
			p := prov.Value(int(row))
			if k == 0 || p != lastP {
				_, lastKnown = providers[p]
				lastP = p
			}
			if !lastKnown {
				out.Warnings[WarnUnknownProvider]++
				out.FlaggedOf = append(out.FlaggedOf, out.Company[k])
			}
		}
	}
	return out
}

// lookAhead is how many companies after the last one linked a child
// row's id is compared with before it is looked up.
const lookAhead = 2

// providerKey is the provider id as compared in keys: trimmed, lower case.
func providerKey(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= utf8.RuneSelf || c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			return NormalizeEnum(s)
		}
	}
	return s
}

// keyText is the text of a duplicate key for its reject record.
func (v *ChildValidator) keyText(row int, ids *array.String, keys []*array.String) string {
	parts := []string{ids.Value(row)}
	for _, a := range keys {
		if a.IsNull(row) {
			parts = append(parts, "null")
		} else {
			parts = append(parts, a.Value(row))
		}
	}
	return strings.Join(parts, ",")
}

// keySeed starts every key hash: fixed, so that runs are reproducible.
const keySeed = 0x9e3779b97f4a7c15

const (
	hashK1 = 0xa0761d6478bd642f
	hashK2 = 0xe7037ed1a0b428db
	hashK3 = 0x8ebc6af09c88c6e3
	hashK4 = 0x589965cc75374cc3
)

// hashMix folds the 128-bit product of a and b.
func hashMix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

func hashInt(h, x uint64) uint64 {
	return hashMix(h^hashK1, x^hashK2)
}

// hashNull marks a null key part, distinct from every string.
func hashNull(h uint64) uint64 {
	return hashMix(h^hashK3, hashK4)
}

// hashString adds a string key part: its length first, so that parts never
// run into each other, then 8 bytes at a time.
func hashString(h uint64, s string) uint64 {
	h = hashMix(h^hashK2, uint64(len(s))^hashK1)
	for len(s) >= 8 {
		w := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
		h = hashMix(w^hashK3, h^hashK4)
		s = s[8:]
	}
	if len(s) > 0 {
		var buf [8]byte
		copy(buf[:], s)
		h = hashMix(binary.LittleEndian.Uint64(buf[:])^hashK1, h^hashK3)
	}
	return h
}

// companyKeys is the set of a child table's key hashes, split into parts
// of keyPartCompanies consecutive company indices: a key includes its
// company, so equal keys meet in one part. The parts stay small enough for
// a core's cache while the rows of nearby companies are checked, and each
// grows on its own.
//
// When the rows come grouped by company in the companies' order, a part
// is done once the rows move on to the next one: it is then frozen into a
// sorted array of its hashes with a small directory, about 9 bytes per key
// instead of the 11 to 21 of an open-addressing table. A frozen part still
// takes keys (a company seen again later) in a new table in front of it.
// Rows in no order freeze nothing.
type companyKeys struct {
	shift        uint // a part holds the companies of one index >> shift
	parts        []keyPart
	last         int // part of the last key added; -1 before the first
	steps, jumps int // moves to the next part, moves elsewhere
}

// keyPartShift gives parts of 4096 companies: with about 5 child rows per
// company, tables of 32k slots (256 KiB).
const keyPartShift = 12

func newCompanyKeys(shift uint) companyKeys { return companyKeys{shift: shift, last: -1} }

// add inserts the key hash h of a row of company c (an index, >= 0) and
// reports whether it was new.
func (k *companyKeys) add(c int32, h uint64) bool {
	if h == 0 {
		h = 1 // as keySet stores it
	}
	p := int(c) >> k.shift
	if p >= len(k.parts) {
		k.parts = append(k.parts, make([]keyPart, p+1-len(k.parts))...)
	}
	if p != k.last {
		if k.last >= 0 {
			if p == k.last+1 {
				k.steps++
			} else {
				k.jumps++
			}
			if k.jumps*64 <= k.steps { // the rows come in the companies' order
				k.parts[k.last].freeze()
			}
		}
		k.last = p
	}
	part := &k.parts[p]
	if part.frozenHas(h) {
		return false
	}
	return part.hot.add(h)
}

// keyPart is one part of a companyKeys.
type keyPart struct {
	hot     keySet
	frozen  []uint64 // sorted
	dir     []uint32 // the hashes whose top dirBits bits are b are frozen[dir[b]:dir[b+1]]
	dirBits uint
}

func (p *keyPart) frozenHas(h uint64) bool {
	if len(p.frozen) == 0 {
		return false
	}
	b := h >> (64 - p.dirBits)
	for _, x := range p.frozen[p.dir[b]:p.dir[b+1]] {
		if x >= h {
			return x == h
		}
	}
	return false
}

// freeze moves the hashes of the part's table into its sorted array.
func (p *keyPart) freeze() {
	if p.hot.n == 0 {
		return
	}
	hs := make([]uint64, 0, p.hot.n)
	for _, x := range p.hot.slots {
		if x != 0 {
			hs = append(hs, x)
		}
	}
	p.hot = keySet{}
	slices.Sort(hs)
	if len(p.frozen) > 0 {
		merged := make([]uint64, 0, len(p.frozen)+len(hs))
		i, j := 0, 0
		for i < len(p.frozen) && j < len(hs) {
			if p.frozen[i] < hs[j] {
				merged = append(merged, p.frozen[i])
				i++
			} else {
				merged = append(merged, hs[j])
				j++
			}
		}
		merged = append(merged, p.frozen[i:]...)
		hs = append(merged, hs[j:]...)
	}
	p.frozen = hs
	p.dirBits = 1
	for 4<<p.dirBits < len(hs) && p.dirBits < 24 { // about 4 hashes per bucket
		p.dirBits++
	}
	p.dir = make([]uint32, 1<<p.dirBits+1)
	for _, x := range hs {
		p.dir[x>>(64-p.dirBits)+1]++
	}
	for b := 1; b < len(p.dir); b++ {
		p.dir[b] += p.dir[b-1]
	}
}

// keySet is a set of 64-bit key hashes: open addressing with linear
// probing, about 10 to 16 bytes per key.
type keySet struct {
	slots []uint64 // 0 is an empty slot; a hash of 0 is stored as 1
	n     int
}

// add inserts h and reports whether it was new.
func (s *keySet) add(h uint64) bool {
	if h == 0 {
		h = 1
	}
	if s.n >= len(s.slots)*3/4 {
		s.grow()
	}
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case 0:
			s.slots[i] = h
			s.n++
			return true
		case h:
			return false
		}
	}
}

func (s *keySet) grow() {
	size := 1 << 6
	if len(s.slots) > 0 {
		size = len(s.slots) * 2
	}
	old := s.slots
	s.slots = make([]uint64, size)
	mask := uint64(size - 1)
	for _, h := range old {
		if h == 0 {
			continue
		}
		i := h & mask
		for s.slots[i] != 0 {
			i = (i + 1) & mask
		}
		s.slots[i] = h
	}
}

// Len is the number of keys held.
func (s *keySet) Len() int { return s.n }

// sortRejects orders rejects by file then row: the order they were read.
func sortRejects(r []Reject) {
	slices.SortStableFunc(r, func(a, b Reject) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		switch {
		case a.Row < b.Row:
			return -1
		case a.Row > b.Row:
			return 1
		}
		return 0
	})
}
