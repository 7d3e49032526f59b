package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// PartitionDir is the folder of one run date within a dataset.
func PartitionDir(out, dataset, runDate string) string {
	return filepath.Join(out, dataset, "run_date="+runDate)
}

// partitionFiles lists the Parquet files of a dataset's run_date folder,
// sorted, skipping names that start with "_" or ".".
func partitionFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, "_") || strings.HasPrefix(name, ".") {
			continue
		}
		files = append(files, filepath.Join(dir, name))
	}
	slices.Sort(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no Parquet file: %w", dir, fs.ErrNotExist)
	}
	return files, nil
}

// parquetFile is an open output file read back through pqarrow.
type parquetFile struct {
	path string
	pf   *file.Reader
	fr   *pqarrow.FileReader
	sc   *arrow.Schema
}

func openParquet(mem memory.Allocator, path string, batch int) (*parquetFile, error) {
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: int64(batch)}, mem)
	if err != nil {
		pf.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	sc, err := fr.Schema()
	if err != nil {
		pf.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &parquetFile{path: path, pf: pf, fr: fr, sc: sc}, nil
}

func (p *parquetFile) Close() { p.pf.Close() }

// meta returns a key of the file's key-value metadata.
func (p *parquetFile) meta(key string) string {
	v := p.pf.MetaData().KeyValueMetadata().FindValue(key)
	if v == nil {
		return ""
	}
	return *v
}

// columns returns the indices of the named columns; a name absent from the
// file gets -1.
func (p *parquetFile) columns(names []string) []int {
	idx := make([]int, len(names))
	for i, n := range names {
		idx[i] = -1
		if f := p.sc.FieldIndices(n); len(f) > 0 {
			idx[i] = f[0]
		}
	}
	return idx
}

// scan reads the columns of the given indices (all >= 0) in batches and
// calls fn with each record; fn must not keep the record.
func (p *parquetFile) scan(ctx context.Context, cols []int, fn func(rec arrow.RecordBatch) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("read %s: decoder panic: %v", p.path, r)
		}
	}()
	rr, err := p.fr.GetRecordReader(ctx, cols, nil)
	if err != nil {
		return fmt.Errorf("read %s: %w", p.path, err)
	}
	defer rr.Release()
	for rr.Next() {
		if err := fn(rr.RecordBatch()); err != nil {
			return err
		}
	}
	if err := rr.Err(); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("read %s: %w", p.path, err)
	}
	return ctx.Err()
}

// findRow looks for the first row whose string column col equals value and
// returns that row with every column, as a one-row record (the caller
// releases it), or nil when there is none.
func (p *parquetFile) findRow(ctx context.Context, col int, value string) (rec arrow.RecordBatch, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("read %s: decoder panic: %v", p.path, r)
		}
	}()
	for rg := range p.pf.NumRowGroups() {
		tbl, err := p.fr.ReadRowGroups(ctx, []int{col}, []int{rg})
		if err != nil {
			return nil, fmt.Errorf("read %s: row group %d: %w", p.path, rg, err)
		}
		row := -1
		off := 0
		for _, ch := range tbl.Column(0).Data().Chunks() {
			s, ok := ch.(*array.String)
			if !ok {
				tbl.Release()
				return nil, fmt.Errorf("read %s: column %s is %s, want string", p.path, p.sc.Field(col).Name, ch.DataType())
			}
			for i := range s.Len() {
				if s.IsValid(i) && s.Value(i) == value {
					row = off + i
					break
				}
			}
			if row >= 0 {
				break
			}
			off += s.Len()
		}
		tbl.Release()
		if row < 0 {
			continue
		}
		all := make([]int, p.sc.NumFields())
		for i := range all {
			all[i] = i
		}
		full, err := p.fr.ReadRowGroups(ctx, all, []int{rg})
		if err != nil {
			return nil, fmt.Errorf("read %s: row group %d: %w", p.path, rg, err)
		}
		defer full.Release()
		cols := make([]arrow.Array, full.NumCols())
		for c := range cols {
			cols[c] = sliceChunked(full.Column(c).Data(), row)
			defer cols[c].Release()
		}
		return array.NewRecordBatch(full.Schema(), cols, 1), nil
	}
	return nil, nil
}

// sliceChunked returns the one-row slice at row of a chunked column.
func sliceChunked(ch *arrow.Chunked, row int) arrow.Array {
	for _, c := range ch.Chunks() {
		if row < c.Len() {
			return array.NewSlice(c, int64(row), int64(row+1))
		}
		row -= c.Len()
	}
	return nil
}
