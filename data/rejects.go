package data

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// RejectsColumnDescriptions is the key of the rejects file's key-value
// metadata holding a JSON object of column name -> description, for readers
// that ignore Arrow field metadata.
const RejectsColumnDescriptions = "column_descriptions"

// rejectsColumns are the rejects output's columns, in order.
var rejectsColumns = []struct {
	name, desc string
	typ        arrow.DataType
	dict       bool // low-cardinality: dictionary-encoded in Parquet
}{
	{"table_name", "Input table of the rejected row: companies, model_usage, data_assets or funding_rounds.", arrow.BinaryTypes.String, true},
	{"file_path", "File of the rejected row, relative to the table's input root.", arrow.BinaryTypes.String, true},
	{"row_index", "Row index of the rejected row within its file, 0-based (as pyarrow and pandas count).", arrow.PrimitiveTypes.Int64, false},
	{"column_name", "Column that broke the rule; the key columns, comma-separated, for duplicate_key.", arrow.BinaryTypes.String, true},
	{"value", "The offending value as text, cut to 200 bytes; empty for a null.", arrow.BinaryTypes.String, false},
	{"reason_code", "Reason code: null_key, unknown_company, parent_rejected, null_value, not_finite, out_of_range, unknown_value, bad_country, bad_date or duplicate_key.", arrow.BinaryTypes.String, true},
	{"message", "What is wrong, in words.", arrow.BinaryTypes.String, false},
}

// RejectsSchema is the Arrow schema of the rejects output, each column's
// description as field metadata.
var RejectsSchema = func() *arrow.Schema {
	fields := make([]arrow.Field, len(rejectsColumns))
	for i, c := range rejectsColumns {
		fields[i] = arrow.Field{
			Name: c.name, Type: c.typ,
			Metadata: arrow.NewMetadata([]string{"description"}, []string{c.desc}),
		}
	}
	return arrow.NewSchema(fields, nil)
}()

// RejectsRecord builds an Arrow record of rejects in RejectsSchema; the
// caller releases it.
func RejectsRecord(mem memory.Allocator, rejects []Reject) arrow.Record {
	b := array.NewRecordBuilder(mem, RejectsSchema)
	defer b.Release()
	table := b.Field(0).(*array.StringBuilder)
	file := b.Field(1).(*array.StringBuilder)
	row := b.Field(2).(*array.Int64Builder)
	col := b.Field(3).(*array.StringBuilder)
	val := b.Field(4).(*array.StringBuilder)
	reason := b.Field(5).(*array.StringBuilder)
	msg := b.Field(6).(*array.StringBuilder)
	b.Reserve(len(rejects))
	for _, r := range rejects {
		table.Append(r.Table)
		file.Append(r.File)
		row.Append(r.Row)
		col.Append(r.Column)
		val.Append(r.Value)
		reason.Append(r.Reason)
		msg.Append(r.Message)
	}
	return b.NewRecord()
}

// rejectsRowGroup is the number of rejects buffered before a row group is
// written.
const rejectsRowGroup = 64 * 1024

// RejectsWriter streams rejects to one Parquet file in RejectsSchema:
// Snappy-compressed, dictionaries only on the low-cardinality columns, the
// Arrow schema with the column descriptions stored in the file, and the
// descriptions again as JSON in the key-value metadata.
type RejectsWriter struct {
	mem    memory.Allocator
	fw     *pqarrow.FileWriter
	file   *os.File      // set when the writer created the file
	bw     *bufio.Writer // buffers file
	buf    []Reject
	rows   int64
	closed bool
}

// writerOnly hides every method of a writer but Write.
type writerOnly struct{ io.Writer }

// NewRejectsWriter starts a rejects file on w; Close does not close w. meta is added to the file's
// key-value metadata (run id, ...). A nil mem means memory.DefaultAllocator.
func NewRejectsWriter(w io.Writer, mem memory.Allocator, meta map[string]string) (*RejectsWriter, error) {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	opts := []parquet.WriterProperty{
		parquet.WithAllocator(mem),
		parquet.WithCompression(compress.Codecs.Snappy),
		parquet.WithDictionaryDefault(false),
		parquet.WithCreatedBy("moatscore"),
	}
	descs := map[string]string{}
	for _, c := range rejectsColumns {
		if c.dict {
			opts = append(opts, parquet.WithDictionaryFor(c.name, true))
		}
		descs[c.name] = c.desc
	}
	// The Parquet writer closes a sink that is an io.Closer: hide it, the
	// caller's writer stays the caller's.
	fw, err := pqarrow.NewFileWriter(RejectsSchema, writerOnly{w}, parquet.NewWriterProperties(opts...),
		pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(mem)))
	if err != nil {
		return nil, fmt.Errorf("rejects writer: %w", err)
	}
	dj, err := json.Marshal(descs)
	if err != nil {
		return nil, err
	}
	if err := fw.AppendKeyValueMetadata(RejectsColumnDescriptions, string(dj)); err != nil {
		return nil, fmt.Errorf("rejects writer: %w", err)
	}
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		if err := fw.AppendKeyValueMetadata(k, meta[k]); err != nil {
			return nil, fmt.Errorf("rejects writer: metadata %s: %w", k, err)
		}
	}
	return &RejectsWriter{mem: mem, fw: fw}, nil
}

// CreateRejectsFile creates (or truncates) the file at path and starts a
// rejects file in it; Close closes the file.
func CreateRejectsFile(path string, mem memory.Allocator, meta map[string]string) (*RejectsWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("rejects file: %w", err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w, err := NewRejectsWriter(bw, mem, meta)
	if err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("rejects file %s: %w", path, err)
	}
	w.file, w.bw = f, bw
	return w, nil
}

// Write adds rejects; they are written in row groups of 64k rows.
func (w *RejectsWriter) Write(rejects []Reject) error {
	if w.closed {
		return errors.New("rejects writer: write after close")
	}
	for len(rejects) > 0 {
		n := min(len(rejects), rejectsRowGroup-len(w.buf))
		w.buf = append(w.buf, rejects[:n]...)
		rejects = rejects[n:]
		if len(w.buf) == rejectsRowGroup {
			if err := w.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// Rows is the number of rejects written so far, buffered ones included.
func (w *RejectsWriter) Rows() int64 { return w.rows + int64(len(w.buf)) }

func (w *RejectsWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	rec := RejectsRecord(w.mem, w.buf)
	defer rec.Release()
	if err := w.fw.Write(rec); err != nil {
		return fmt.Errorf("rejects writer: %w", err)
	}
	w.rows += int64(len(w.buf))
	w.buf = w.buf[:0]
	return nil
}

// Close writes the buffered rejects and the file footer, and closes the file
// when the writer created it. A file with no rejects is a valid empty table.
func (w *RejectsWriter) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.flush()
	if cerr := w.fw.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("rejects writer: %w", cerr)
	}
	if w.file != nil {
		if err == nil {
			err = w.bw.Flush()
		}
		if err == nil {
			err = w.file.Sync()
		}
		if cerr := w.file.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("rejects file: %w", cerr)
		}
	}
	return err
}
