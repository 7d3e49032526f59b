package data

import (
	"fmt"
	"sync"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
)

// The Parquet reader decompresses a page into a buffer of the size its
// header declares. GZIP, BROTLI and LZ4_RAW stop there, but the ZSTD
// decoder grows the buffer to whatever the frame holds, and the Snappy
// decoder allocates whatever length the stream declares: a page whose
// header lies (a few KiB declared, gigabytes in the stream) would be
// decompressed in full before the size check fails, a decompression bomb.
// The codecs registered here decode at most the declared size and fail
// beyond it.
//
// Snappy also encodes in the plain mode here: the codec arrow-go registers
// compresses in klauspost's "better" mode, several times slower for a few
// percent of size. The format is the same Snappy either way. Registered
// once for the whole process, it also keeps every file moatscore writes
// byte-identical whichever packages are linked in.
func init() {
	if c, err := compress.GetCodec(compress.Codecs.Zstd); err == nil {
		compress.RegisterCodec(compress.Codecs.Zstd, boundedZstd{Codec: c})
	}
	if c, err := compress.GetCodec(compress.Codecs.Snappy); err == nil {
		compress.RegisterCodec(compress.Codecs.Snappy, boundedSnappy{Codec: c})
	}
}

// boundedSnappy checks the length a Snappy block declares before decoding,
// and encodes in the plain mode.
type boundedSnappy struct {
	compress.Codec
}

func (boundedSnappy) Encode(dst, src []byte) []byte { return s2.EncodeSnappy(dst, src) }

func (boundedSnappy) EncodeLevel(dst, src []byte, _ int) []byte { return s2.EncodeSnappy(dst, src) }

func (s boundedSnappy) Decode(dst, src []byte) []byte {
	out, err := s.DecodeWithError(dst, src)
	if err != nil {
		panic(err)
	}
	return out
}

// DecodeWithError decodes src into dst, failing when src declares more
// than len(dst) bytes.
func (s boundedSnappy) DecodeWithError(dst, src []byte) ([]byte, error) {
	if len(src) == 0 {
		// an empty page body (some writers compress a V2 page holding only
		// levels to nothing): empty, whatever the codec
		return dst[:0], nil
	}
	if dst != nil {
		n, err := snappy.DecodedLen(src)
		if err != nil {
			return nil, fmt.Errorf("snappy: %w", err)
		}
		if n > len(dst) {
			return nil, fmt.Errorf("snappy: block decodes to %d bytes, the page declares %d", n, len(dst))
		}
	}
	return compress.Decode(s.Codec, dst, src)
}

// boundedZstd is the default ZSTD codec with a bounded decoder; encoding
// is unchanged.
type boundedZstd struct {
	compress.Codec
}

var zstdDecoders = sync.Pool{
	New: func() any {
		d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecodeAllCapLimit(true))
		if err != nil {
			return err
		}
		return d
	},
}

func (z boundedZstd) Decode(dst, src []byte) []byte {
	out, err := z.DecodeWithError(dst, src)
	if err != nil {
		panic(err)
	}
	return out
}

// DecodeWithError decodes src into dst, failing when the data is larger
// than len(dst).
func (boundedZstd) DecodeWithError(dst, src []byte) ([]byte, error) {
	d, ok := zstdDecoders.Get().(*zstd.Decoder)
	if !ok {
		return nil, fmt.Errorf("zstd: cannot create a decoder")
	}
	defer zstdDecoders.Put(d)
	if dst == nil {
		// no declared size: nothing to bound by (not used by the page reader)
		return d.DecodeAll(src, nil)
	}
	out, err := d.DecodeAll(src, dst[:0:len(dst)])
	if err != nil {
		return nil, fmt.Errorf("zstd: %w (page declares %d bytes)", err, len(dst))
	}
	return out, nil
}
