package synth

import (
	"bufio"
	"fmt"
	"os"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// tableWriter writes one Parquet file of a table, a row group every
// rowGroup rows, from an Arrow builder that never holds more than that.
type tableWriter struct {
	t        *table
	path     string
	f        *os.File
	bw       *bufio.Writer
	fw       *pqarrow.FileWriter
	rb       *array.RecordBuilder
	rowGroup int
	pending  int   // rows in the builder
	rows     int64 // rows appended to the file
}

func openTableWriter(mem memory.Allocator, t *table, path string, rowGroup int, meta string) (w *tableWriter, err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	opts := []parquet.WriterProperty{
		parquet.WithAllocator(mem),
		parquet.WithCompression(compress.Codecs.Snappy),
		parquet.WithDictionaryDefault(false),
		parquet.WithMaxRowGroupLength(int64(rowGroup)),
	}
	for _, c := range t.lowCardinal {
		opts = append(opts, parquet.WithDictionaryFor(c, true))
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	schema := t.ArrowSchema()
	fw, err := pqarrow.NewFileWriter(schema, bw, parquet.NewWriterProperties(opts...),
		pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(mem), pqarrow.WithStoreSchema()))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := fw.AppendKeyValueMetadata(metadataKey, meta); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	rb := array.NewRecordBuilder(mem, schema)
	return &tableWriter{t: t, path: path, f: f, bw: bw, fw: fw, rb: rb, rowGroup: rowGroup}, nil
}

// metadataKey is the file metadata key that says how a file was generated.
const metadataKey = "moatscore.synth"

// append adds a row and returns its 0-based index within the file.
func (w *tableWriter) append(r *row) (int64, error) {
	appendRow(w.rb, w.t.Table, r)
	w.pending++
	w.rows++
	if w.pending >= w.rowGroup {
		if err := w.flush(); err != nil {
			return 0, err
		}
	}
	return w.rows - 1, nil
}

// flush writes the builder's rows as one row group.
func (w *tableWriter) flush() error {
	if w.pending == 0 {
		return nil
	}
	rec := w.rb.NewRecordBatch()
	defer rec.Release()
	w.pending = 0
	if err := w.fw.Write(rec); err != nil {
		return fmt.Errorf("%s: row group ending at row %d: %w", w.path, w.rows, err)
	}
	return nil
}

// close writes the last row group and the footer and returns the file size.
func (w *tableWriter) close() (int64, error) {
	defer w.rb.Release()
	err := w.flush()
	if cerr := w.fw.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("%s: %w", w.path, cerr)
	}
	if ferr := w.bw.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("%s: %w", w.path, ferr)
	}
	size, _ := w.f.Seek(0, 1)
	if cerr := w.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("%s: %w", w.path, cerr)
	}
	return size, err
}

// abort closes the file without finishing it.
func (w *tableWriter) abort() {
	w.fw.Close()
	w.rb.Release()
	w.f.Close()
}

// badLog writes the lines of _bad_rows.csv of one table file to a
// temporary file; they are joined in table and file order at the end.
type badLog struct {
	f   *os.File
	bw  *bufio.Writer
	buf []byte
}

func openBadLog(path string) (*badLog, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return &badLog{f: f, bw: bufio.NewWriterSize(f, 64<<10)}, nil
}

// add writes one line: table_name,file_path,row_index,reason_code,column_name.
// None of the values needs CSV quoting.
func (l *badLog) add(table, file string, rowIndex int64, reason, column string) error {
	b := append(l.buf[:0], table...)
	b = append(b, ',')
	b = append(b, file...)
	b = append(b, ',')
	b = strconv.AppendInt(b, rowIndex, 10)
	b = append(b, ',')
	b = append(b, reason...)
	b = append(b, ',')
	b = append(b, column...)
	b = append(b, '\n')
	l.buf = b
	_, err := l.bw.Write(b)
	return err
}

func (l *badLog) close() error {
	err := l.bw.Flush()
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	return err
}
