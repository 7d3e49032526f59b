package data

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// Reader defaults.
const (
	DefaultBatchSize   = 65536     // rows per batch
	DefaultWorkers     = 2         // decoding goroutines
	DefaultMaxPageSize = 128 << 20 // largest Parquet page accepted, compressed or not, in bytes
)

// ReaderOptions tune a Reader. Zero values take the defaults.
type ReaderOptions struct {
	BatchSize   int   // rows per batch; default DefaultBatchSize
	Workers     int   // goroutines decoding row groups ahead; default DefaultWorkers
	MaxPageSize int64 // a page larger than this (a decompression bomb) fails the file; default DefaultMaxPageSize
}

func (o ReaderOptions) withDefaults() ReaderOptions {
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.MaxPageSize <= 0 {
		o.MaxPageSize = DefaultMaxPageSize
	}
	return o
}

// CellIssue is a cell whose value could not be converted to its column's
// kind (a uint64 or a decimal that does not fit, a fraction in an integer
// column, a timestamp beyond the date range). The cell is null in the
// batch's record; the validator turns the issue into a reject.
type CellIssue struct {
	Row     int    // row within the batch
	Column  string // contract column
	Value   string // the value as read, as text
	Reason  string // a reason code: ReasonOutOfRange or ReasonNotFinite
	Message string
}

// Batch is a run of consecutive rows of one file, in the table's canonical
// schema (Table.ArrowSchema): every contract column, in contract order.
type Batch struct {
	File      *File
	FileIndex int          // index of File in the reader's file list
	Offset    int64        // row index (0-based, within the file) of the batch's first row
	Record    arrow.Record // owned by the batch
	Issues    []CellIssue  // cells that did not convert; they are null in Record
}

// Release releases the batch's record.
func (b *Batch) Release() {
	if b != nil && b.Record != nil {
		b.Record.Release()
		b.Record = nil
	}
}

// Reader streams the files of one table as canonical batches. Row groups
// are decoded and converted ahead by a few goroutines, each of which turns
// a decoder panic into a *FileError; batches still arrive in file order
// (the order of the files given), then row order.
//
//	r := data.NewReader(mem, data.Companies, files, data.ReaderOptions{})
//	defer r.Close()
//	for r.Next() {
//		b := r.Batch()
//		...
//		b.Release()
//	}
//	if err := r.Err(); err != nil { ... }
//
// Each file is checked before its rows are read: a missing required column
// or a column whose type does not convert fails the file with a *FileError,
// and so do column chunks outside the file, dictionary pages declaring more
// values than they can hold, pages over MaxPageSize, compressed pages that
// decode to more than they declare, row counts that differ from the
// metadata and any decoding failure. Columns are read with the types of
// the Parquet schema; an Arrow schema stored in the file's metadata is not
// decoded. Reading stops at the first failing file.
type Reader struct {
	mem    memory.Allocator
	table  *Table
	files  []File
	opts   ReaderOptions
	schema *arrow.Schema

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	order  chan *task // tasks in file and row order, for Next
	jobs   chan *task // the same tasks, for the workers

	started bool
	closed  bool
	cur     *task
	batch   *Batch
	err     error
	done    bool

	mu      sync.Mutex
	ignored []string
}

// NewReader returns a reader of files (as listed by Discover) as batches of
// table t. Nothing is read before the first call to Next. Close must be
// called.
func NewReader(mem memory.Allocator, t *Table, files []File, opts ReaderOptions) *Reader {
	ctx, cancel := context.WithCancel(context.Background())
	return &Reader{
		mem:    mem,
		table:  t,
		files:  append([]File(nil), files...),
		opts:   opts.withDefaults(),
		schema: t.ArrowSchema(),
		ctx:    ctx,
		cancel: cancel,
	}
}

// Schema is the canonical schema of the reader's batches.
func (r *Reader) Schema() *arrow.Schema { return r.schema }

// Next advances to the next batch; it returns false at the end or on error.
func (r *Reader) Next() bool {
	r.batch = nil
	if r.done || r.closed {
		return false
	}
	if !r.started {
		r.start()
	}
	for !r.done && r.err == nil {
		if r.cur == nil {
			t, ok := <-r.order
			if !ok {
				r.done = true
				break
			}
			if t.err != nil {
				r.fail(t.err)
				break
			}
			r.cur = t
		}
		res, ok := <-r.cur.out
		if !ok {
			r.cur = nil
			continue
		}
		if res.err != nil {
			r.fail(res.err)
			break
		}
		r.batch = res.batch
		return true
	}
	return false
}

// Batch is the current batch. The caller owns it and must Release it.
func (r *Reader) Batch() *Batch { return r.batch }

// Err is the error that stopped the reader, if any: a *FileError naming
// the file.
func (r *Reader) Err() error { return r.err }

// Ignored lists the extra columns found in the files read so far, as
// "file: column" with the file's path relative to the dataset root, in
// file order then column order. It is complete once Next has returned false
// without error.
func (r *Reader) Ignored() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ignored...)
}

// Close stops the reader's goroutines and releases the batches decoded
// ahead. Batches already returned by Batch stay valid.
func (r *Reader) Close() {
	r.cancel()
	if !r.started || r.closed {
		r.done, r.closed = true, true
		return
	}
	r.closed = true
	if r.cur != nil {
		drain(r.cur)
		r.cur = nil
	}
	for t := range r.order {
		drain(t)
	}
	r.wg.Wait()
	r.done = true
}

func (r *Reader) fail(err error) {
	r.err = err
	r.cancel()
}

// drain releases a task's undelivered batches until its worker is done.
func drain(t *task) {
	if t.out == nil {
		return
	}
	for res := range t.out {
		res.batch.Release()
	}
}

// task is a run of consecutive row groups of one file, decoded by one
// worker into t.out.
type task struct {
	fileIndex int
	plan      *filePlan
	rowGroups []int
	firstRow  int64 // row index in the file of the first row group's first row
	rows      int64 // rows of the row groups, as the metadata says
	out       chan result
	err       error // the file could not be planned
}

type result struct {
	batch *Batch
	err   error
}

func (r *Reader) start() {
	r.started = true
	r.order = make(chan *task, 2*r.opts.Workers)
	r.jobs = make(chan *task)
	r.wg.Add(1 + r.opts.Workers)
	go r.dispatch()
	for range r.opts.Workers {
		go r.work()
	}
}

// dispatch plans each file in order and hands out its tasks.
func (r *Reader) dispatch() {
	defer r.wg.Done()
	defer close(r.order)
	defer close(r.jobs)
	for i := range r.files {
		f := &r.files[i]
		var plan *filePlan
		err := safely(f.Path, func() (err error) {
			plan, err = planFile(r.mem, r.table, f, r.opts)
			return err
		})
		if err != nil {
			select {
			case r.order <- &task{fileIndex: i, err: fileErr(f.Path, err)}:
			case <-r.ctx.Done():
			}
			return
		}
		r.mu.Lock()
		r.ignored = append(r.ignored, plan.ignored...)
		r.mu.Unlock()
		for _, t := range plan.tasks(i, r.opts.BatchSize) {
			select {
			case r.jobs <- t:
			case <-r.ctx.Done():
				return
			}
			select {
			case r.order <- t:
			case <-r.ctx.Done():
				drain(t) // a worker has it, but Next and Close will not see it
				return
			}
		}
	}
}

// work decodes tasks until there are none left.
func (r *Reader) work() {
	defer r.wg.Done()
	for t := range r.jobs {
		r.run(t)
	}
}

// run decodes one task into its out channel, which it closes.
func (r *Reader) run(t *task) {
	defer func() {
		close(t.out)
		if r.ctx.Err() != nil {
			// stopped: the task may never reach Next or Close, so release
			// what it decoded (whoever receives a batch first releases it)
			drain(t)
		}
	}()
	f := &r.files[t.fileIndex]
	send := func(res result) bool {
		select {
		case t.out <- res:
			return true
		case <-r.ctx.Done():
			res.batch.Release()
			return false
		}
	}
	offset := t.firstRow
	conv := &converter{mem: r.mem}
	err := safely(f.Path, func() error {
		return decode(r.ctx, r.mem, f.Path, t.plan.source, t.plan.leaves, t.rowGroups, t.rows, r.opts, t.plan.readDict,
			func(rec arrow.RecordBatch) error {
				b, err := t.plan.convert(conv, rec)
				if err != nil {
					return fmt.Errorf("rows %d-%d: %w", offset, offset+rec.NumRows()-1, err)
				}
				b.File, b.FileIndex, b.Offset = f, t.fileIndex, offset
				offset += rec.NumRows()
				if !send(result{batch: b}) {
					return r.ctx.Err()
				}
				return nil
			})
	})
	if err != nil && r.ctx.Err() == nil {
		send(result{err: fileErr(f.Path, err)})
	}
}

// safely runs f, turning a panic into a *FileError naming path.
func safely(path string, f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &FileError{Path: path, Err: fmt.Errorf("%w: %v", ErrDecoderPanic, p)}
		}
	}()
	return f()
}

// filePlan is how one file's columns map to the table: which leaf columns
// to read and how each contract column is filled.
type filePlan struct {
	table    *Table
	schema   *arrow.Schema
	source   *source
	leaves   []int          // Parquet leaf columns to read, ascending
	readDict []int          // leaf columns read as dictionaries
	present  map[string]int // contract column name -> position in Table.Columns, for columns in the file
	ignored  []string
}

// planFile reads f's footer and maps its columns to t's.
func planFile(mem memory.Allocator, t *Table, f *File, opts ReaderOptions) (*filePlan, error) {
	src, err := openSource(f.Path, opts.MaxPageSize)
	if err != nil {
		return nil, err
	}
	defer src.close()
	manifest, err := pqarrow.NewSchemaManifest(src.md.Schema, src.md.KeyValueMetadata(), &pqarrow.ArrowReadProperties{})
	if err != nil {
		return nil, fmt.Errorf("reading the schema: %w", err)
	}
	p := &filePlan{table: t, schema: t.ArrowSchema(), source: src, present: map[string]int{}}
	byName := map[string]*pqarrow.SchemaField{}
	for i := range manifest.Fields {
		fld := &manifest.Fields[i]
		name := fld.Field.Name
		if _, pos := t.Column(name); pos < 0 {
			p.ignored = append(p.ignored, f.Rel+": "+name)
			continue
		}
		if byName[name] != nil {
			return nil, fmt.Errorf("column %q: %w", name, ErrDuplicateColumn)
		}
		byName[name] = fld
	}
	var missing []string
	for pos, c := range t.Columns {
		fld := byName[c.Name]
		if fld == nil {
			if c.Required {
				missing = append(missing, strconv.Quote(c.Name))
			}
			continue
		}
		if !fld.IsLeaf() || !convertible(fld.Field.Type, c.Kind) {
			return nil, fmt.Errorf("column %q: %w: %s cannot be read as %s", c.Name, ErrColumnType, fld.Field.Type, c.Kind)
		}
		p.present[c.Name] = pos
		p.leaves = append(p.leaves, fld.ColIndex)
		if lowCardinality(c) && fld.Field.Type.ID() == arrow.STRING && src.dictEncoded(fld.ColIndex) {
			p.readDict = append(p.readDict, fld.ColIndex)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w %s", ErrMissingColumn, strings.Join(missing, ", "))
	}
	slices.Sort(p.leaves)
	if err := src.check(p.leaves, opts.BatchSize); err != nil {
		return nil, err
	}
	return p, nil
}

// tasks splits the file's row groups into runs of at least batchSize rows.
func (p *filePlan) tasks(fileIndex, batchSize int) []*task {
	var out []*task
	var cur *task
	var row int64
	for i := range p.source.md.NumRowGroups() {
		n := p.source.md.RowGroup(i).NumRows()
		if cur == nil {
			cur = &task{fileIndex: fileIndex, plan: p, firstRow: row, out: make(chan result, 2)}
		}
		cur.rowGroups = append(cur.rowGroups, i)
		cur.rows += n
		row += n
		if cur.rows >= int64(batchSize) {
			out = append(out, cur)
			cur = nil
		}
	}
	if cur != nil {
		out = append(out, cur)
	}
	return out
}

// convert turns one decoded record of the file into a canonical batch.
func (p *filePlan) convert(c *converter, rec arrow.RecordBatch) (*Batch, error) {
	n := int(rec.NumRows())
	cols := make([]arrow.Array, len(p.table.Columns))
	defer func() {
		for _, a := range cols {
			if a != nil {
				a.Release()
			}
		}
	}()
	c.issues = nil
	for i, f := range rec.Schema().Fields() {
		pos, ok := p.present[f.Name]
		if !ok {
			continue
		}
		col := p.table.Columns[pos]
		a, err := c.convert(rec.Column(i), col.Name, col.Kind)
		if err != nil {
			return nil, err
		}
		cols[pos] = a
	}
	for pos, col := range p.table.Columns {
		if cols[pos] == nil {
			cols[pos] = array.MakeArrayOfNull(c.mem, col.Kind.ArrowType(), n)
		}
	}
	return &Batch{Record: array.NewRecordBatch(p.schema, cols, int64(n)), Issues: c.issues}, nil
}

// lowCardinality reports whether a column holds few distinct values (enums,
// countries, slugs, providers): read as a dictionary when the file has one,
// it decodes each distinct value once.
func lowCardinality(c Column) bool {
	switch c.Rule {
	case Enum, ISOCountry, Slug, ProviderID:
		return c.Kind == String
	}
	return false
}

// decode reads the given leaf columns (all when nil) of the given row
// groups (all when nil) of the file at path, whose footer is src, and calls
// fn with each record; fn must not keep the record. It checks that the
// pages held as many rows as the metadata said (want; -1 to skip).
func decode(ctx context.Context, mem memory.Allocator, path string, src *source, leaves, rowGroups []int, want int64,
	opts ReaderOptions, readDict []int, fn func(arrow.RecordBatch) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	rdr, err := file.NewParquetReader(f, file.WithReadProps(readerProps(opts.MaxPageSize)), file.WithMetadata(src.md))
	if err != nil {
		return err
	}
	// PreAllocBinaryData stays off: it sizes string buffers from the chunk
	// sizes in the metadata, which a malformed file can set to anything.
	props := pqarrow.ArrowReadProperties{BatchSize: int64(opts.BatchSize)}
	for _, c := range readDict {
		props.SetReadDict(c, true)
	}
	fr, err := pqarrow.NewFileReader(rdr, props, mem)
	if err != nil {
		return fmt.Errorf("reading the schema: %w", err)
	}
	if rowGroups == nil {
		rowGroups = make([]int, rdr.NumRowGroups())
		for i := range rowGroups {
			rowGroups[i] = i
		}
	}
	if len(rowGroups) == 0 {
		return nil
	}
	rr, err := fr.GetRecordReader(ctx, leaves, rowGroups)
	if err != nil {
		return rowGroupErr(rowGroups, err)
	}
	defer rr.Release()
	var rows int64
	for rr.Next() {
		rec := rr.RecordBatch()
		rows += rec.NumRows()
		if err := fn(rec); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) {
		return rowGroupErr(rowGroups, err)
	}
	if want >= 0 && rows != want {
		return rowGroupErr(rowGroups, fmt.Errorf("%w: read %d rows, the metadata says %d", ErrRowCount, rows, want))
	}
	return nil
}

func rowGroupErr(rowGroups []int, err error) error {
	if len(rowGroups) == 1 {
		return fmt.Errorf("row group %d: %w", rowGroups[0], err)
	}
	return fmt.Errorf("row groups %d-%d: %w", rowGroups[0], rowGroups[len(rowGroups)-1], err)
}
