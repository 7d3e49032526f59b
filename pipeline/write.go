package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
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

// OutColumn is one column of an output table: either a whole array (Array)
// or a generator (Gen) that makes the rows [off, off+n) on demand, so that
// constant and derived columns never need a full-length array.
type OutColumn struct {
	Name        string
	Type        arrow.DataType
	Description string
	Dict        bool // dictionary-encode in Parquet: only for low-cardinality columns
	Array       arrow.Array
	Gen         func(mem memory.Allocator, off, n int) arrow.Array // result released by the caller
}

// slice returns the rows [off, off+n) of the column; the caller releases it.
func (c *OutColumn) slice(mem memory.Allocator, off, n int) arrow.Array {
	if c.Gen != nil {
		return c.Gen(mem, off, n)
	}
	return array.NewSlice(c.Array, int64(off), int64(off+n))
}

// ConstString is a string column holding the same value on every row (run
// id, model version); written with a dictionary, it costs a few bytes.
func ConstString(name, description, value string) OutColumn {
	return OutColumn{
		Name: name, Type: arrow.BinaryTypes.String, Description: description, Dict: true,
		Gen: func(mem memory.Allocator, _, n int) arrow.Array {
			b := array.NewStringBuilder(mem)
			defer b.Release()
			b.Reserve(n)
			b.ReserveData(n * len(value))
			for range n {
				b.Append(value)
			}
			return b.NewArray()
		},
	}
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
	for i := range tw.cols {
		arrs[i] = tw.cols[i].slice(tw.mem, off, n)
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
		if !arrow.TypeEqual(a.DataType(), tw.cols[i].Type) {
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
	// columns are encoded in parallel; the row group's Close writes them
	// out in column order.
	errs := make([]error, len(arrs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(tw.workers, len(arrs)) {
		wg.Go(func() {
			defLevels := make([]int16, n)
			for i := range next {
				errs[i] = tw.encodeColumn(rgw, i, arrs[i], defLevels)
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
