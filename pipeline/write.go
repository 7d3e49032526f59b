package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"moatscore/data"
)

// DefaultRowGroupRows is the number of rows per row group of every output
// file.
const DefaultRowGroupRows = 128 * 1024

// Keys of the key-value metadata of every output file.
const (
	MetaRunID              = "run_id"
	MetaModelVersion       = "model_version"
	MetaConfigHash         = "config_hash"
	MetaColumnDescriptions = "column_descriptions" // JSON object: column name -> description
	arrowSchemaKey         = "ARROW:schema"
	descriptionKey         = "description"
)

// FileMeta is what every output file records about the run that wrote it.
type FileMeta struct {
	RunID        string
	ModelVersion string
	ConfigHash   string
}

// OutColumn is one column of an output table: a whole array (Array), a
// generator (Gen) that makes the rows [off, off+n) on demand, or a column
// of the records a Block makes range by range, so that constant and
// derived columns never need a full-length array.
type OutColumn struct {
	Name        string
	Type        arrow.DataType
	Description string
	Dict        bool // dictionary-encode in Parquet: only for low-cardinality columns
	Array       arrow.Array
	Gen         func(mem memory.Allocator, off, n int) arrow.Array // result released by the caller
	Block       *OutBlock                                          // with BlockColumn: column BlockColumn of Block's records
	BlockColumn int
}

// OutBlock makes several columns of an output table at once: Rows returns
// a record of the rows [off, off+n), released by the caller. The writer
// calls it once per row group for all the columns that name the block.
type OutBlock struct {
	Rows func(mem memory.Allocator, off, n int) arrow.RecordBatch
}

// slice returns the rows [off, off+n) of the column; the caller releases
// it.
func (c *OutColumn) slice(mem memory.Allocator, off, n int) arrow.Array {
	blocks := map[*OutBlock]arrow.RecordBatch{}
	a := c.sliceOf(mem, off, n, blocks)
	for _, rec := range blocks {
		rec.Release()
	}
	return a
}

// sliceOf is slice with the block records of the row group made so far.
func (c *OutColumn) sliceOf(mem memory.Allocator, off, n int, blocks map[*OutBlock]arrow.RecordBatch) arrow.Array {
	switch {
	case c.Gen != nil:
		return c.Gen(mem, off, n)
	case c.Block != nil:
		rec, ok := blocks[c.Block]
		if !ok {
			rec = c.Block.Rows(mem, off, n)
			blocks[c.Block] = rec
		}
		a := rec.Column(c.BlockColumn)
		a.Retain()
		return a
	}
	return array.NewSlice(c.Array, int64(off), int64(off+n))
}

// ConstString is a string column holding the same value on every row (run
// id, model version). It is generated as a dictionary array of one entry,
// which the writer stores as a dictionary-encoded column without hashing
// each row.
func ConstString(name, description, value string) OutColumn {
	return OutColumn{
		Name: name, Type: arrow.BinaryTypes.String, Description: description, Dict: true,
		Gen: func(mem memory.Allocator, _, n int) arrow.Array {
			return DictStrings(mem, []string{value}, make([]int32, n))
		},
	}
}

// DictStrings makes a dictionary array of strings from codes into labels;
// a negative code is a null. The table writer accepts it for a string
// column and writes the codes as they are.
func DictStrings(mem memory.Allocator, labels []string, codes []int32) arrow.Array {
	db := array.NewStringBuilder(mem)
	db.AppendValues(labels, nil)
	dict := db.NewArray()
	db.Release()
	defer dict.Release()
	n := len(codes)
	vals := memory.NewResizableBuffer(mem)
	vals.Resize(n * arrow.Int32SizeBytes)
	copy(arrow.Int32Traits.CastFromBytes(vals.Bytes()), codes)
	var valid *memory.Buffer
	nulls := 0
	for _, c := range codes {
		if c < 0 {
			nulls++
		}
	}
	if nulls > 0 {
		valid = memory.NewResizableBuffer(mem)
		valid.Resize(int(bitutil.BytesForBits(int64(n))))
		bits := valid.Bytes()
		clear(bits)
		iv := arrow.Int32Traits.CastFromBytes(vals.Bytes())
		for i, c := range codes {
			if c >= 0 {
				bitutil.SetBit(bits, i)
			} else {
				iv[i] = 0
			}
		}
	}
	data := array.NewData(arrow.PrimitiveTypes.Int32, n, []*memory.Buffer{valid, vals}, nil, nulls, 0)
	vals.Release()
	if valid != nil {
		valid.Release()
	}
	idx := array.MakeFromData(data)
	data.Release()
	defer idx.Release()
	typ := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	return array.NewDictionaryArray(typ, idx, dict)
}

// valueType is the type of an array's values: a dictionary's value type,
// or the array's own.
func valueType(a arrow.Array) arrow.DataType {
	if d, ok := a.DataType().(*arrow.DictionaryType); ok {
		return d.ValueType
	}
	return a.DataType()
}

// OutSchema is the Arrow schema of the columns, each field with its
// description as metadata.
func OutSchema(cols []OutColumn) *arrow.Schema {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c.Name, Type: c.Type, Nullable: true}
		if c.Description != "" {
			fields[i].Metadata = arrow.NewMetadata([]string{descriptionKey}, []string{c.Description})
		}
	}
	return arrow.NewSchema(fields, nil)
}

// OutputFile describes one written output file.
type OutputFile struct {
	Path  string `json:"path"` // relative to the output root once published
	Rows  int64  `json:"rows"`
	Bytes int64  `json:"bytes"`
}

// TableWriter writes one Parquet file, one row group per call, encoding the
// columns of a row group in parallel. Arrow field metadata (the column
// descriptions) is stored in the file's Arrow schema, and repeated as a JSON
// map in the key-value metadata for readers that ignore it.
type TableWriter struct {
	path    string
	f       *os.File
	buf     *bufio.Writer
	w       *file.Writer
	cols    []OutColumn
	mem     memory.Allocator
	workers int
	rows    int64
	closed  bool
}

// NewTableWriter creates path and starts a Parquet file of the columns.
func NewTableWriter(mem memory.Allocator, path string, cols []OutColumn, meta FileMeta) (*TableWriter, error) {
	sc := OutSchema(cols)
	opts := []parquet.WriterProperty{
		parquet.WithAllocator(mem),
		parquet.WithCompression(compress.Codecs.Snappy),
		parquet.WithDictionaryDefault(false),
		parquet.WithMaxRowGroupLength(1 << 30), // row groups are cut by the caller
		parquet.WithCreatedBy("moatscore"),
	}
	descs := make(map[string]string, len(cols))
	for _, c := range cols {
		if c.Dict {
			opts = append(opts, parquet.WithDictionaryFor(c.Name, true))
		}
		descs[c.Name] = c.Description
	}
	props := parquet.NewWriterProperties(opts...)
	pqSchema, err := pqarrow.ToParquet(sc, props, pqarrow.DefaultWriterProps())
	if err != nil {
		return nil, fmt.Errorf("output schema of %s: %w", path, err)
	}
	var ipcSchema bytes.Buffer
	iw := ipc.NewWriter(&ipcSchema, ipc.WithSchema(sc), ipc.WithAllocator(mem))
	if err := iw.Close(); err != nil {
		return nil, fmt.Errorf("output schema of %s: %w", path, err)
	}
	descJSON, err := json.Marshal(descs)
	if err != nil {
		return nil, err
	}
	kv := metadata.KeyValueMetadata{}
	kv.Append(arrowSchemaKey, base64.StdEncoding.EncodeToString(ipcSchema.Bytes()))
	kv.Append(MetaRunID, meta.RunID)
	kv.Append(MetaModelVersion, meta.ModelVersion)
	kv.Append(MetaConfigHash, meta.ConfigHash)
	kv.Append(MetaColumnDescriptions, string(descJSON))

	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	buf := bufio.NewWriterSize(f, 1<<20)
	w, err := file.NewParquetWriterWithError(buf, pqSchema.Root(), file.WithWriterProps(props), file.WithWriteMetadata(kv))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return &TableWriter{path: path, f: f, buf: buf, w: w, cols: cols, mem: mem, workers: 2}, nil
}

// WriteRows writes the rows [off, off+n) of the writer's columns as one
// row group.
func (tw *TableWriter) WriteRows(ctx context.Context, off, n int) error {
	arrs := make([]arrow.Array, len(tw.cols))
	blocks := map[*OutBlock]arrow.RecordBatch{}
	for i := range tw.cols {
		arrs[i] = tw.cols[i].sliceOf(tw.mem, off, n, blocks)
	}
	for _, rec := range blocks {
		rec.Release() // each array holds its own reference
	}
	defer func() {
		for _, a := range arrs {
			a.Release()
		}
	}()
	return tw.WriteArrays(ctx, arrs)
}

// WriteArrays writes one row group from one array per column, all of the
// same length.
func (tw *TableWriter) WriteArrays(ctx context.Context, arrs []arrow.Array) error {
	if len(arrs) != len(tw.cols) {
		return fmt.Errorf("write %s: %d arrays for %d columns", tw.path, len(arrs), len(tw.cols))
	}
	n := arrs[0].Len()
	for i, a := range arrs {
		if a.Len() != n {
			return fmt.Errorf("write %s: column %s has %d rows, want %d", tw.path, tw.cols[i].Name, a.Len(), n)
		}
		if !arrow.TypeEqual(valueType(a), tw.cols[i].Type) {
			return fmt.Errorf("write %s: column %s is %s, want %s", tw.path, tw.cols[i].Name, a.DataType(), tw.cols[i].Type)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	rgw, err := tw.w.AppendBufferedRowGroupChecked()
	if err != nil {
		return fmt.Errorf("write %s: %w", tw.path, err)
	}
	// Each column of a buffered row group has its own page buffer, so the
	// columns are encoded in parallel. Closing a column compresses its
	// last page and copies the chunk to the file: the workers close the
	// columns in column order, each once the column before is closed, so
	// that the closing overlaps the encoding of the next columns. The row
	// group's Close then only finishes its metadata.
	errs := make([]error, len(arrs))
	closed := make([]chan struct{}, len(arrs))
	for i := range closed {
		closed[i] = make(chan struct{})
	}
	var failed atomic.Bool
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(tw.workers, len(arrs)) {
		wg.Go(func() {
			defLevels := make([]int16, n)
			for i := range next {
				errs[i] = tw.encodeColumn(rgw, i, arrs[i], defLevels)
				if i > 0 {
					<-closed[i-1]
				}
				if errs[i] != nil {
					failed.Store(true)
				} else if !failed.Load() {
					if errs[i] = closeColumn(rgw, i); errs[i] != nil {
						failed.Store(true)
					}
				}
				close(closed[i])
			}
		})
	}
	for i := range arrs {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("write %s: column %s: %w", tw.path, tw.cols[i].Name, err)
		}
	}
	if err := rgw.Close(); err != nil {
		return fmt.Errorf("write %s: %w", tw.path, err)
	}
	tw.rows += int64(n)
	return nil
}

func (tw *TableWriter) encodeColumn(rgw file.BufferedRowGroupWriter, i int, a arrow.Array, defLevels []int16) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("encoder panic: %v", r)
		}
	}()
	cw, err := rgw.Column(i)
	if err != nil {
		return err
	}
	if a.NullN() == 0 {
		for j := range defLevels {
			defLevels[j] = 1
		}
	} else {
		for j := range defLevels {
			defLevels[j] = 0
			if a.IsValid(j) {
				defLevels[j] = 1
			}
		}
	}
	props := pqarrow.DefaultWriterProps()
	ctx := pqarrow.NewArrowWriteContext(context.Background(), &props)
	return pqarrow.WriteArrowToColumn(ctx, cw, a, defLevels, nil, true)
}

// closeColumn closes column i of a row group: its chunk is written out.
func closeColumn(rgw file.BufferedRowGroupWriter, i int) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("encoder panic: %v", r)
		}
	}()
	cw, err := rgw.Column(i)
	if err != nil {
		return err
	}
	return cw.Close()
}

// Rows is the number of rows written so far.
func (tw *TableWriter) Rows() int64 { return tw.rows }

// Close finishes the file, flushes it to disk and reports it.
func (tw *TableWriter) Close() (OutputFile, error) {
	if tw.closed {
		return OutputFile{}, fmt.Errorf("write %s: already closed", tw.path)
	}
	tw.closed = true
	err := tw.w.Close()
	if err == nil {
		err = tw.buf.Flush()
	}
	if err == nil {
		err = tw.f.Sync()
	}
	if cerr := tw.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return OutputFile{}, fmt.Errorf("write %s: %w", tw.path, err)
	}
	st, err := os.Stat(tw.path)
	if err != nil {
		return OutputFile{}, err
	}
	return OutputFile{Path: tw.path, Rows: tw.rows, Bytes: st.Size()}, nil
}

// Abort closes the file without finishing it and removes it.
func (tw *TableWriter) Abort() {
	if tw.closed {
		return
	}
	tw.closed = true
	tw.f.Close()
	os.Remove(tw.path)
}

// WriteTable writes rows rows of the columns to path, in row groups of
// rowGroupRows (DefaultRowGroupRows when 0). An empty table is written as
// a file with its schema and no row group.
func WriteTable(ctx context.Context, mem memory.Allocator, path string, rows int, cols []OutColumn, meta FileMeta, rowGroupRows int) (OutputFile, error) {
	if rowGroupRows <= 0 {
		rowGroupRows = DefaultRowGroupRows
	}
	tw, err := NewTableWriter(mem, path, cols, meta)
	if err != nil {
		return OutputFile{}, err
	}
	for off := 0; off < rows; off += rowGroupRows {
		if err := tw.WriteRows(ctx, off, min(rowGroupRows, rows-off)); err != nil {
			tw.Abort()
			return OutputFile{}, err
		}
	}
	return tw.Close()
}

// rejectColumns are the columns of the rejects dataset: one row per
// rejected input row.
var rejectColumns = []OutColumn{
	{Name: "table_name", Type: arrow.BinaryTypes.String, Dict: true, Description: "Input table of the rejected row."},
	{Name: "file_path", Type: arrow.BinaryTypes.String, Dict: true, Description: "File of the rejected row, relative to the table's input root."},
	{Name: "row_index", Type: arrow.PrimitiveTypes.Int64, Description: "Row of the rejected row within its file, 0-based."},
	{Name: "column_name", Type: arrow.BinaryTypes.String, Dict: true, Description: "Column that broke the rule; empty for a rule on the whole row."},
	{Name: "value", Type: arrow.BinaryTypes.String, Description: "The offending value as text, truncated."},
	{Name: "reason_code", Type: arrow.BinaryTypes.String, Dict: true, Description: "Why the row was rejected: null_key, duplicate_key, out_of_range, not_finite, unknown_value, bad_country, bad_date, unknown_company, parent_rejected, ..."},
	{Name: "message", Type: arrow.BinaryTypes.String, Description: "The rule broken, in words."},
}

// RejectsOut writes the rejects of a run, one Parquet file per input table
// (part-<table>.parquet) in the order the rows were read. It is a
// RejectSink; Write may be called from several goroutines.
type RejectsOut struct {
	mu     sync.Mutex
	mem    memory.Allocator
	dir    string
	meta   FileMeta
	tables map[string]*rejectsFile
	order  []string
}

type rejectsFile struct {
	tw  *TableWriter
	bld []array.Builder
	n   int
}

// NewRejectsOut starts the rejects files of the given tables in dir.
func NewRejectsOut(mem memory.Allocator, dir string, tables []string, meta FileMeta) (*RejectsOut, error) {
	r := &RejectsOut{mem: mem, dir: dir, meta: meta, tables: map[string]*rejectsFile{}}
	cols := append(slices.Clone(rejectColumns),
		ConstString("run_id", "Id of the run that wrote the row.", meta.RunID),
		ConstString("model_version", "Version of the valuation model of the run.", meta.ModelVersion))
	for _, t := range tables {
		tw, err := NewTableWriter(mem, filepath.Join(dir, "part-"+t+".parquet"), cols, meta)
		if err != nil {
			r.Abort()
			return nil, err
		}
		f := &rejectsFile{tw: tw}
		for _, c := range rejectColumns {
			f.bld = append(f.bld, array.NewBuilder(mem, c.Type))
		}
		r.tables[t] = f
		r.order = append(r.order, t)
	}
	return r, nil
}

// Write adds reject records; each goes to the file of its table.
func (r *RejectsOut) Write(rejects []data.Reject) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range rejects {
		rj := &rejects[i]
		f := r.tables[rj.Table]
		if f == nil {
			return fmt.Errorf("write rejects: no rejects file for table %q", rj.Table)
		}
		f.bld[0].(*array.StringBuilder).Append(rj.Table)
		f.bld[1].(*array.StringBuilder).Append(rj.File)
		f.bld[2].(*array.Int64Builder).Append(rj.Row)
		f.bld[3].(*array.StringBuilder).Append(rj.Column)
		f.bld[4].(*array.StringBuilder).Append(rj.Value)
		f.bld[5].(*array.StringBuilder).Append(rj.Reason)
		f.bld[6].(*array.StringBuilder).Append(rj.Message)
		f.n++
		if f.n >= DefaultRowGroupRows {
			if err := r.flush(f); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *RejectsOut) flush(f *rejectsFile) error {
	if f.n == 0 {
		return nil
	}
	n := f.n
	arrs := make([]arrow.Array, 0, len(f.bld)+2)
	for _, b := range f.bld {
		arrs = append(arrs, b.NewArray())
	}
	for _, c := range f.tw.cols[len(f.bld):] {
		arrs = append(arrs, c.Gen(r.mem, 0, n))
	}
	defer func() {
		for _, a := range arrs {
			a.Release()
		}
	}()
	f.n = 0
	return f.tw.WriteArrays(context.Background(), arrs)
}

// Close flushes and closes every rejects file and reports them, in table
// order.
func (r *RejectsOut) Close() ([]OutputFile, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []OutputFile
	var errs []error
	for _, t := range r.order {
		f := r.tables[t]
		if err := r.flush(f); err != nil {
			errs = append(errs, err)
			f.tw.Abort()
		} else if of, err := f.tw.Close(); err != nil {
			errs = append(errs, err)
		} else {
			out = append(out, of)
		}
		for _, b := range f.bld {
			b.Release()
		}
	}
	r.tables = nil
	return out, errors.Join(errs...)
}

// Abort closes and removes every rejects file.
func (r *RejectsOut) Abort() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tables == nil {
		return
	}
	for _, t := range r.order {
		f := r.tables[t]
		if f == nil {
			continue
		}
		f.tw.Abort()
		for _, b := range f.bld {
			b.Release()
		}
	}
	r.tables = nil
}
