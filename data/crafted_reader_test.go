package data

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/thrift/lib/go/thrift"
	xparquet "github.com/xitongsys/parquet-go/parquet"
	"github.com/xitongsys/parquet-go/types"
	"github.com/xitongsys/parquet-go/writer"
)

// thriftBytes serialises a Parquet structure in Thrift's compact protocol.
func thriftBytes(t testing.TB, s thrift.TStruct) []byte {
	t.Helper()
	ser := thrift.NewTSerializer()
	ser.Protocol = thrift.NewTCompactProtocolFactoryConf(nil).GetProtocol(ser.Transport)
	b, err := ser.Write(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeDictFile writes, byte by byte, a Parquet file of one required
// string column "country" with three rows: a dictionary page holding "US",
// "FR" and "DE" but declaring dictValues values, and a data page whose
// three indices are all index. With dictValues 3 and index 1 it is a valid
// file of three "FR"; other values make the malformed files of the tests.
func writeDictFile(t testing.TB, path string, dictValues int32, index uint32) {
	writeDictFileAfter(t, path, dictValues, index, false)
}

// writeDictFileAfter is writeDictFile, with the first row in a plain data
// page before the dictionary page when plainFirst is set (the format wants
// the dictionary first; a decoder meets it in the middle of the chunk).
func writeDictFileAfter(t testing.TB, path string, dictValues int32, index uint32, plainFirst bool) {
	t.Helper()
	var buf bytes.Buffer
	buf.WriteString("PAR1")

	chunkOff := int64(buf.Len())
	dictRows := int32(3)
	if plainFirst {
		plain := []byte{2, 0, 0, 0, 'U', 'S'}
		buf.Write(thriftBytes(t, &xparquet.PageHeader{
			Type:                 xparquet.PageType_DATA_PAGE,
			UncompressedPageSize: int32(len(plain)),
			CompressedPageSize:   int32(len(plain)),
			DataPageHeader: &xparquet.DataPageHeader{
				NumValues: 1, Encoding: xparquet.Encoding_PLAIN,
				DefinitionLevelEncoding: xparquet.Encoding_RLE, RepetitionLevelEncoding: xparquet.Encoding_RLE,
			},
		}))
		buf.Write(plain)
		dictRows = 2
	}
	dictOff := int64(buf.Len())
	var dict bytes.Buffer
	for _, v := range []string{"US", "FR", "DE"} {
		binary.Write(&dict, binary.LittleEndian, uint32(len(v)))
		dict.WriteString(v)
	}
	buf.Write(thriftBytes(t, &xparquet.PageHeader{
		Type:                 xparquet.PageType_DICTIONARY_PAGE,
		UncompressedPageSize: int32(dict.Len()),
		CompressedPageSize:   int32(dict.Len()),
		DictionaryPageHeader: &xparquet.DictionaryPageHeader{NumValues: dictValues, Encoding: xparquet.Encoding_PLAIN},
	}))
	buf.Write(dict.Bytes())

	dataOff := int64(buf.Len())
	// RLE/bit-packed hybrid indices: the bit width, then one run of three
	// copies of the index
	width := byte(1)
	for index>>width != 0 {
		width++
	}
	data := []byte{width, byte(dictRows << 1)}
	for i := 0; i < int(width+7)/8; i++ {
		data = append(data, byte(index>>(8*i)))
	}
	buf.Write(thriftBytes(t, &xparquet.PageHeader{
		Type:                 xparquet.PageType_DATA_PAGE,
		UncompressedPageSize: int32(len(data)),
		CompressedPageSize:   int32(len(data)),
		DataPageHeader: &xparquet.DataPageHeader{
			NumValues: dictRows, Encoding: xparquet.Encoding_RLE_DICTIONARY,
			DefinitionLevelEncoding: xparquet.Encoding_RLE, RepetitionLevelEncoding: xparquet.Encoding_RLE,
		},
	}))
	buf.Write(data)
	size := int64(buf.Len()) - chunkOff

	firstData, dictAt := dataOff, &dictOff
	if plainFirst {
		firstData, dictAt = chunkOff, nil
	}
	utf8 := xparquet.ConvertedType_UTF8
	required := xparquet.FieldRepetitionType_REQUIRED
	byteArray := xparquet.Type_BYTE_ARRAY
	children := int32(1)
	buf.Write(thriftBytes(t, &xparquet.FileMetaData{
		Version: 1,
		Schema: []*xparquet.SchemaElement{
			{Name: "schema", NumChildren: &children},
			{Name: "country", Type: &byteArray, RepetitionType: &required, ConvertedType: &utf8},
		},
		NumRows: 3,
		RowGroups: []*xparquet.RowGroup{{
			NumRows:       3,
			TotalByteSize: size,
			Columns: []*xparquet.ColumnChunk{{
				FileOffset: firstData,
				MetaData: &xparquet.ColumnMetaData{
					Type:                  xparquet.Type_BYTE_ARRAY,
					Encodings:             []xparquet.Encoding{xparquet.Encoding_PLAIN, xparquet.Encoding_RLE_DICTIONARY, xparquet.Encoding_RLE},
					PathInSchema:          []string{"country"},
					Codec:                 xparquet.CompressionCodec_UNCOMPRESSED,
					NumValues:             3,
					TotalUncompressedSize: size,
					TotalCompressedSize:   size,
					DataPageOffset:        firstData,
					DictionaryPageOffset:  dictAt,
				},
			}},
		}},
	}))
	footer := int64(buf.Len()) - chunkOff - size
	binary.Write(&buf, binary.LittleEndian, uint32(footer))
	buf.WriteString("PAR1")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReaderDictionaryBomb: a dictionary page declaring two billion values
// in a few bytes fails the file before the decoder sets aside room for
// them (which would end the process: the runtime cannot recover from an
// allocation it cannot serve).
func TestReaderDictionaryBomb(t *testing.T) {
	dir := t.TempDir()
	tbl := &Table{Name: "t", Columns: []Column{{Name: "country", Kind: String, Required: true, Rule: ISOCountry}}}
	tests := []struct {
		name       string
		dictValues int32
		index      uint32
		plainFirst bool
		want       string // the values read; "" for an error
		wantErr    string // a fragment of the error; alternatives separated by |
	}{
		{name: "valid", dictValues: 3, index: 1, want: `["FR","FR","FR"]`},
		// caught by arrow-go's dictionary decoder, or by the reader's own
		// check when the column is read as a dictionary
		{name: "index past the dictionary", dictValues: 3, index: 7, wantErr: "dict eof exception|dictionary index 7 out of range"},
		{name: "two billion values declared", dictValues: math.MaxInt32, index: math.MaxInt32 - 1,
			wantErr: "dictionary page declares 2147483647 values in 18 bytes"},
		{name: "negative count declared", dictValues: -5, index: 1, wantErr: "dictionary page declares -5 values"},
		{name: "valid, dictionary after a plain page", dictValues: 3, index: 1, plainFirst: true, want: `["US","FR","FR"]`},
		{name: "two billion values declared after a plain page", dictValues: math.MaxInt32, index: math.MaxInt32 - 1, plainFirst: true,
			wantErr: "dictionary page declares 2147483647 values in 18 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".parquet")
			writeDictFileAfter(t, path, tt.dictValues, tt.index, tt.plainFirst)

			batches, _, err := readBatches(mem, tbl, []File{{Path: path, Rel: filepath.Base(path)}}, ReaderOptions{})
			var got string
			for _, b := range batches {
				got = columnJSON(t, b.Record, "country")
			}
			releaseAll(batches)
			errAll := ReadAll(context.Background(), mem, path, func(arrow.Record) error { return nil })
			if tt.wantErr == "" {
				if err != nil || errAll != nil {
					t.Fatalf("Err() = %v, ReadAll() = %v, want no error", err, errAll)
				}
				if got != tt.want {
					t.Errorf("country = %s, want %s", got, tt.want)
				}
				mem.AssertSize(t, 0)
				return
			}
			for what, err := range map[string]error{"Reader": err, "ReadAll": errAll} {
				var fe *FileError
				if !errors.As(err, &fe) || fe.Path != path || !containsAny(err.Error(), tt.wantErr) {
					t.Errorf("%s: error %v, want a *FileError naming the file and saying %q", what, err, tt.wantErr)
				}
			}
		})
	}
}

// containsAny reports whether s holds one of the |-separated fragments.
func containsAny(s, fragments string) bool {
	for _, f := range strings.Split(fragments, "|") {
		if strings.Contains(s, f) {
			return true
		}
	}
	return false
}

type blobRow struct {
	ID   string `parquet:"name=company_id, type=BYTE_ARRAY, convertedtype=UTF8"`
	Blob string `parquet:"name=blob, type=FIXED_LEN_BYTE_ARRAY, length=100000"`
}

// TestReaderFixedLengthLimit: the decoder sets aside a batch of a
// fixed-length column before reading it, so a type length that would make
// that batch huge fails the file, when the column is read at all.
func TestReaderFixedLengthLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "blob.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	pw, err := writer.NewParquetWriterFromWriter(f, new(blobRow), 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := pw.Write(blobRow{ID: "c1", Blob: strings.Repeat("x", 100000)}); err != nil {
		t.Fatal(err)
	}
	if err := pw.WriteStop(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	err = ReadAll(context.Background(), memory.NewGoAllocator(), path, func(arrow.Record) error { return nil })
	var fe *FileError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), `column "blob": fixed-length values of 100000 bytes are not supported`) {
		t.Errorf("ReadAll() = %v, want a *FileError about the fixed length", err)
	}
	// the contract reader does not read the column: the file is fine
	tbl := &Table{Name: "t", Columns: []Column{{Name: "company_id", Kind: String, Required: true}}}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	batches, ignored, err := readBatches(mem, tbl, []File{{Path: path, Rel: "blob.parquet"}}, ReaderOptions{})
	defer releaseAll(batches)
	if err != nil || len(batches) != 1 || batches[0].Record.NumRows() != 1 {
		t.Fatalf("reader: %d batches, error %v; want one batch of one row", len(batches), err)
	}
	if want := []string{"blob.parquet: blob"}; !slices.Equal(ignored, want) {
		t.Errorf("Ignored() = %q, want %q", ignored, want)
	}
}

// TestReaderIgnoresStoredArrowSchema: the Arrow schema a writer stores in
// the key-value metadata is not decoded (a malformed one can make its
// decoder ask for more memory than there is): a file whose stored schema
// is garbage reads from its Parquet schema alone.
func TestReaderIgnoresStoredArrowSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.parquet")
	mem := memory.NewGoAllocator()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "company_id", Type: arrow.BinaryTypes.String},
		{Name: "as_of", Type: &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "Asia/Tokyo"}},
	}, nil)
	rec, _, err := array.RecordFromJSON(mem, schema, strings.NewReader(`[{"company_id": "c1", "as_of": "2024-03-01T23:30:00Z"}]`))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pqarrow.NewFileWriter(schema, f, parquet.NewWriterProperties(), pqarrow.NewArrowWriterProperties())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.AppendKeyValueMetadata("ARROW:schema", "/////w8AAAAQAAAAAAAKAA4ABgAFAAgACgAAAAABBAAQ"); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	if err := ReadAll(context.Background(), mem, path, func(arrow.Record) error { return nil }); err != nil {
		t.Errorf("ReadAll() = %v", err)
	}
	tbl := &Table{Name: "t", Columns: []Column{{Name: "company_id", Kind: String, Required: true}, {Name: "as_of", Kind: Date}}}
	batches, _, err := readBatches(mem, tbl, []File{{Path: path, Rel: "f.parquet"}}, ReaderOptions{})
	defer releaseAll(batches)
	if err != nil || len(batches) != 1 {
		t.Fatalf("reader: %d batches, error %v", len(batches), err)
	}
	if got := columnJSON(t, batches[0].Record, "as_of"); got != `["2024-03-01"]` {
		t.Errorf("as_of = %s, want [\"2024-03-01\"]", got)
	}
}

type int96Row struct {
	ID   string `parquet:"name=company_id, type=BYTE_ARRAY, convertedtype=UTF8"`
	AsOf string `parquet:"name=as_of, type=INT96"`
}

// TestReaderInt96OutOfRange: an INT96 timestamp (as Spark writes them)
// whose day is beyond what a nanosecond timestamp holds fails the file.
func TestReaderInt96OutOfRange(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, asOf string) string {
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		pw, err := writer.NewParquetWriterFromWriter(f, new(int96Row), 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := pw.Write(int96Row{ID: "c1", AsOf: asOf}); err != nil {
			t.Fatal(err)
		}
		if err := pw.WriteStop(); err != nil {
			t.Fatal(err)
		}
		return path
	}
	// nanoseconds of the day (8 bytes), then the Julian day (4 bytes)
	farDay := string([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f})
	tests := []struct {
		name, asOf, want, wantErr string
	}{
		{"in range", types.TimeToINT96(time.Date(2023, 7, 14, 12, 0, 0, 0, time.UTC)), `["2023-07-14"]`, ""},
		{"day out of range", farDay, "", "INT96"},
	}
	tbl := &Table{Name: "t", Columns: []Column{{Name: "company_id", Kind: String, Required: true}, {Name: "as_of", Kind: Date}}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := write(strings.ReplaceAll(tt.name, " ", "_")+".parquet", tt.asOf)
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			batches, _, err := readBatches(mem, tbl, []File{{Path: path, Rel: filepath.Base(path)}}, ReaderOptions{})
			defer releaseAll(batches)
			if tt.wantErr != "" {
				var fe *FileError
				if !errors.As(err, &fe) || fe.Path != path || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Err() = %v, want a *FileError naming the file and mentioning %s", err, tt.wantErr)
				}
				return
			}
			if err != nil || len(batches) != 1 {
				t.Fatalf("%d batches, error %v", len(batches), err)
			}
			if got := columnJSON(t, batches[0].Record, "as_of"); got != tt.want {
				t.Errorf("as_of = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestReaderUnsupportedCodec: a file compressed with the deprecated LZ4
// codec (Hadoop's framing, which the decoder does not read) fails with an
// error naming the file and the codec; the same file in ZSTD reads.
func TestReaderUnsupportedCodec(t *testing.T) {
	tbl := &Table{Name: "t", Columns: []Column{{Name: "company_id", Kind: String, Required: true}}}
	for _, tt := range []struct {
		codec   xparquet.CompressionCodec
		wantErr string
	}{
		{xparquet.CompressionCodec_LZ4, "LZ4 unimplemented"},
		{xparquet.CompressionCodec_ZSTD, ""},
	} {
		t.Run(tt.codec.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "f.parquet")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			pw, err := writer.NewParquetWriterFromWriter(f, new(int96Row), 1)
			if err != nil {
				t.Fatal(err)
			}
			pw.CompressionType = tt.codec
			if err := pw.Write(int96Row{ID: "c1", AsOf: types.TimeToINT96(time.Unix(0, 0))}); err != nil {
				t.Fatal(err)
			}
			if err := pw.WriteStop(); err != nil {
				t.Fatal(err)
			}
			f.Close()
			batches, _, err := readBatches(memory.NewGoAllocator(), tbl, []File{{Path: path, Rel: "f.parquet"}}, ReaderOptions{})
			releaseAll(batches)
			if tt.wantErr == "" {
				if err != nil || len(batches) != 1 {
					t.Fatalf("%d batches, error %v", len(batches), err)
				}
				return
			}
			var fe *FileError
			if !errors.As(err, &fe) || fe.Path != path || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Err() = %v, want a *FileError naming the file and saying %q", err, tt.wantErr)
			}
		})
	}
}
