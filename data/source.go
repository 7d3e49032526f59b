package data

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/thrift/lib/go/thrift"
	xparquet "github.com/xitongsys/parquet-go/parquet"
)

// source is an opened file's footer, shared read-only by the tasks that
// decode the file. The file stays open for the checks until close.
type source struct {
	md   *metadata.FileMetaData
	size int64
	file *os.File
}

func (s *source) close() {
	if s.file != nil {
		s.file.Close()
		s.file = nil
	}
}

var (
	magic          = []byte("PAR1")
	magicEncrypted = []byte("PARE")
)

// openSource checks that path looks like a Parquet file and reads its
// footer. The caller closes the source.
func openSource(path string, maxPage int64) (src *source, err error) {
	// stat before opening: opening a FIFO would block until a writer comes
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: not a regular file", ErrNotParquet)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	if info, err = f.Stat(); err != nil {
		return nil, err
	}
	size := info.Size()
	if size < 12 {
		return nil, fmt.Errorf("%w: only %d bytes", ErrNotParquet, size)
	}
	var head, tail [4]byte
	if _, err := f.ReadAt(head[:], 0); err != nil {
		return nil, err
	}
	if _, err := f.ReadAt(tail[:], size-4); err != nil {
		return nil, err
	}
	switch {
	case bytes.Equal(tail[:], magicEncrypted):
		return nil, ErrEncrypted
	case !bytes.Equal(head[:], magic) && !bytes.Equal(tail[:], magic):
		return nil, fmt.Errorf("%w: no magic bytes", ErrNotParquet)
	case !bytes.Equal(tail[:], magic):
		return nil, fmt.Errorf("%w: truncated (no footer)", ErrNotParquet)
	case !bytes.Equal(head[:], magic):
		return nil, fmt.Errorf("%w: no magic bytes at the start", ErrNotParquet)
	}
	rdr, err := file.NewParquetReader(f, file.WithReadProps(readerProps(maxPage)))
	if err != nil {
		return nil, fmt.Errorf("reading the footer: %w", err)
	}
	md := rdr.MetaData()
	md.WriterVersion() // computed once here, then only read by the tasks
	dropArrowSchema(md)
	return &source{md: md, size: size, file: f}, nil
}

// arrowSchemaKey is the key-value metadata entry where Arrow writers store
// the Arrow schema of the file (a base64 IPC message).
const arrowSchemaKey = "ARROW:schema"

// dropArrowSchema removes the stored Arrow schema from the metadata, so
// that columns read with the types the Parquet schema gives them. The
// contract's conversions give the same values either way (a large_string
// reads as a string, a date64 as a date32, a time zone does not move an
// instant), and the stored schema is a message whose decoder trusts its
// lengths: a malformed one can ask for hundreds of gigabytes, which ends
// the process.
func dropArrowSchema(md *metadata.FileMetaData) {
	kv := md.FileMetaData.KeyValueMetadata
	out := kv[:0:0]
	for _, e := range kv {
		if e != nil && e.Key != arrowSchemaKey {
			out = append(out, e)
		}
	}
	md.FileMetaData.KeyValueMetadata = out
}

// readerProps are the Parquet reader's properties: page size limits, and
// the Go allocator for its scratch buffers (it pools and frees them itself).
func readerProps(maxPage int64) *parquet.ReaderProperties {
	props := parquet.NewReaderProperties(memory.DefaultAllocator)
	props.MaxCompressedPageSize = maxPage
	props.MaxUncompressedPageSize = maxPage
	props.BufferedStreamEnabled = true
	props.BufferSize = 1 << 20
	return props
}

// dictEncoded reports whether every data page of a leaf column is
// dictionary-encoded, as far as the metadata tells.
func (s *source) dictEncoded(leaf int) bool {
	for i := range s.md.NumRowGroups() {
		cc, err := s.md.RowGroup(i).ColumnChunk(leaf)
		if err != nil || !cc.HasDictionaryPage() {
			return false
		}
		for _, st := range cc.EncodingStats() {
			if strings.HasPrefix(st.PageType.String(), "DATA_PAGE") && st.Encoding != parquet.Encodings.RLEDict && st.Encoding != parquet.Encodings.PlainDict {
				return false
			}
		}
	}
	return true
}

// maxFixedBatch bounds the bytes a batch of one fixed-length column takes:
// the decoder sets them aside before it reads a value.
const maxFixedBatch = 1 << 30

// check verifies the metadata of the leaf columns to read (all when leaves
// is nil) in batches of batchSize rows, before a byte of data is decoded:
// fixed-length value sizes, row counts, column chunks that lie inside the
// file, and dictionary pages that hold as many values as they declare.
// It reads every page header of those columns, a small read per page.
func (s *source) check(leaves []int, batchSize int) error {
	ncols := s.md.Schema.NumColumns()
	if leaves == nil {
		leaves = make([]int, ncols)
		for j := range leaves {
			leaves[j] = j
		}
	}
	for _, j := range leaves {
		col := s.md.Schema.Column(j)
		if col.PhysicalType() != parquet.Types.FixedLenByteArray {
			continue
		}
		if n := int64(col.TypeLength()); n <= 0 || n*int64(batchSize) > maxFixedBatch {
			return fmt.Errorf("column %q: fixed-length values of %d bytes are not supported", col.Path(), n)
		}
	}
	var buf []byte
	for i := range s.md.NumRowGroups() {
		rg := s.md.RowGroup(i)
		if rg.NumRows() < 0 {
			return fmt.Errorf("row group %d: negative row count %d", i, rg.NumRows())
		}
		if rg.NumColumns() != ncols {
			return fmt.Errorf("row group %d: %d column chunks for %d columns", i, rg.NumColumns(), ncols)
		}
		for _, j := range leaves {
			cc, err := rg.ColumnChunk(j)
			if err != nil {
				return fmt.Errorf("row group %d, column %d: %w", i, j, err)
			}
			col := s.md.Schema.Column(j)
			start := cc.DataPageOffset()
			if cc.HasDictionaryPage() && cc.DictionaryPageOffset() > 0 && cc.DictionaryPageOffset() < start {
				start = cc.DictionaryPageOffset()
			}
			n := cc.TotalCompressedSize()
			if start < 0 || n < 0 || start > s.size || n > s.size-start {
				return fmt.Errorf("row group %d, column %q: column chunk (offset %d, %d bytes) lies outside the file (%d bytes)",
					i, col.Path(), start, n, s.size)
			}
			if buf, err = s.checkPages(buf, start, n, col.PhysicalType(), col.TypeLength()); err != nil {
				return fmt.Errorf("row group %d, column %q: %w", i, col.Path(), err)
			}
		}
	}
	return nil
}

// maxPageHeader is the largest page header the decoder reads.
const maxPageHeader = 16 << 20

// maxChunkPages bounds the pages of one column chunk walked by checkPages.
const maxChunkPages = 1 << 20

// checkPages walks the page headers of a column chunk (at start, n bytes
// long) and checks that every dictionary page's body can hold the number
// of values it declares: the decoder allocates a slot for every declared
// value before it reads one, so a header claiming two billion values in a
// few bytes would exhaust memory. A header that cannot be read ends the
// walk without error: the decoder will say what is wrong. buf is scratch
// space, returned for reuse.
func (s *source) checkPages(buf []byte, start, n int64, typ parquet.Type, typeLen int) ([]byte, error) {
	width := int64(4) // BYTE_ARRAY: a 4-byte length before each value
	switch typ {
	case parquet.Types.Int64, parquet.Types.Double:
		width = 8
	case parquet.Types.Int96:
		width = 12
	case parquet.Types.FixedLenByteArray:
		width = max(int64(typeLen), 1)
	}
	pos, end := start, start+n
	for pages := 0; pos < end; pages++ {
		if pages == maxChunkPages {
			return buf, fmt.Errorf("more than %d pages in one column chunk", maxChunkPages)
		}
		var hdr xparquet.PageHeader
		var hlen int64
		var err error
		if buf, hlen, err = s.readPageHeader(buf, &hdr, pos, end-pos); err != nil || hdr.CompressedPageSize < 0 {
			return buf, nil
		}
		if hdr.Type == xparquet.PageType_DICTIONARY_PAGE && hdr.DictionaryPageHeader != nil {
			values, body := int64(hdr.DictionaryPageHeader.NumValues), int64(hdr.UncompressedPageSize)
			if values < 0 || values*width > body {
				return buf, fmt.Errorf("dictionary page declares %d values in %d bytes", values, body)
			}
		}
		pos += hlen + int64(hdr.CompressedPageSize)
	}
	return buf, nil
}

// readPageHeader decodes the page header at pos, in a window of at most n
// bytes, and returns its length.
func (s *source) readPageHeader(buf []byte, hdr *xparquet.PageHeader, pos, n int64) ([]byte, int64, error) {
	for window := int64(4096); ; window *= 2 {
		size := min(window, n, maxPageHeader)
		if int64(cap(buf)) < size {
			buf = make([]byte, size)
		}
		b := buf[:size]
		k, err := s.file.ReadAt(b, pos)
		if err != nil && err != io.EOF {
			return buf, 0, err
		}
		trans := thrift.NewTMemoryBufferLen(k)
		trans.Write(b[:k])
		cfg := &thrift.TConfiguration{MaxMessageSize: int32(size), MaxFrameSize: int32(size)}
		*hdr = xparquet.PageHeader{}
		err = hdr.Read(context.Background(), thrift.NewTCompactProtocolConf(trans, cfg))
		if err == nil {
			return buf, int64(k - trans.Len()), nil
		}
		if size == min(n, maxPageHeader) {
			return buf, 0, err
		}
	}
}
