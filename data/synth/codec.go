package synth

import (
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/klauspost/compress/s2"
)

// The generator's files are byte-identical for the same options only if
// every process compresses them alike. arrow-go registers a Snappy codec
// that compresses in klauspost's "better" mode; package pipeline replaces
// it with the plain mode for its outputs. Registering the same plain mode
// here makes the bytes the same whether or not pipeline is linked in (the
// command line, or this package's tests alone), and it is faster.
func init() {
	if c, err := compress.GetCodec(compress.Codecs.Snappy); err == nil {
		compress.RegisterCodec(compress.Codecs.Snappy, plainSnappy{c})
	}
}

// plainSnappy is the registered Snappy codec with plain-mode encoding; the
// format and decoding are unchanged.
type plainSnappy struct{ compress.Codec }

func (plainSnappy) Encode(dst, src []byte) []byte { return s2.EncodeSnappy(dst, src) }

func (plainSnappy) EncodeLevel(dst, src []byte, _ int) []byte { return s2.EncodeSnappy(dst, src) }

func (p plainSnappy) DecodeWithError(dst, src []byte) ([]byte, error) {
	return compress.Decode(p.Codec, dst, src)
}
