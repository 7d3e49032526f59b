package data

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// ReadAll decodes every column of every row group of the Parquet file at
// path, whatever its schema, and calls fn with each record in order; fn
// must retain a record it keeps. It goes through the same checks and
// limits as a Reader (magic bytes, column chunks inside the file, page
// size limit, row counts) and decodes in a goroutine of its own with a
// recover, so that a malformed file ends in a *FileError naming it, never
// in a panic. An error returned by fn is returned as is.
//
// When ctx is done ReadAll returns at once with a *FileError wrapping
// ctx.Err(), even if the decoder is stuck inside a page (the decoding
// goroutine then ends when the decoder returns).
func ReadAll(ctx context.Context, mem memory.Allocator, path string, fn func(arrow.Record) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	recs := make(chan arrow.RecordBatch)
	next := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- safely(path, func() error {
			opts := ReaderOptions{}.withDefaults()
			src, err := openSource(path, opts.MaxPageSize)
			if err != nil {
				return err
			}
			defer src.close()
			if err := src.check(nil, opts.BatchSize); err != nil {
				return err
			}
			var want int64
			for i := range src.md.NumRowGroups() {
				want += src.md.RowGroup(i).NumRows()
			}
			return decode(ctx, mem, path, src, nil, nil, want, opts, nil, func(rec arrow.RecordBatch) error {
				rec.Retain()
				select {
				case recs <- rec:
				case <-ctx.Done():
					rec.Release()
					return ctx.Err()
				}
				select {
				case <-next:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			})
		})
	}()
	for {
		select {
		case rec := <-recs:
			err := fn(rec)
			rec.Release()
			if err != nil {
				return err
			}
			next <- struct{}{}
		case err := <-done:
			return fileErr(path, err)
		case <-ctx.Done():
			return fileErr(path, ctx.Err())
		}
	}
}
