package data

import (
	"errors"
	"fmt"
)

// Sentinel errors of discovery and reading. A whole-file failure is a
// *FileError whose Err wraps one of these (or an error of the Parquet
// decoder), so callers can test the cause with errors.Is.
var (
	// ErrNoFiles: a dataset spec matched no readable file.
	ErrNoFiles = errors.New("no input files")
	// ErrNotParquet: the file does not start and end with the Parquet magic bytes.
	ErrNotParquet = errors.New("not a parquet file")
	// ErrEncrypted: the file uses Parquet modular encryption, which is not supported.
	ErrEncrypted = errors.New("encrypted parquet files are not supported")
	// ErrMissingColumn: a required column of the contract is not in the file.
	ErrMissingColumn = errors.New("missing required column")
	// ErrDuplicateColumn: a contract column appears more than once in the file.
	ErrDuplicateColumn = errors.New("duplicate column")
	// ErrColumnType: a contract column has a type that cannot be converted
	// to its kind (text where a number is expected, a list, ...).
	ErrColumnType = errors.New("column type cannot be converted")
	// ErrRowCount: the pages of a row group hold fewer or more rows than its
	// metadata says.
	ErrRowCount = errors.New("row count does not match the file metadata")
	// ErrDecoderPanic: the Parquet decoder panicked on the file.
	ErrDecoderPanic = errors.New("decoder panic")
)

// FileError is a failure that makes a whole input file unreadable: it is not
// Parquet, it is truncated or corrupt, it uses an unsupported codec or
// encoding, a page is larger than the configured limit, a required column is
// missing or has a type that cannot be converted, or the decoder panicked.
// A FileError is not a reject: the run cannot go on without the file.
type FileError struct {
	Path string // the file, as given to the reader
	Err  error
}

func (e *FileError) Error() string {
	return fmt.Sprintf("%s: %v", e.Path, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// fileErr wraps err as a *FileError for path, unless it already is one.
func fileErr(path string, err error) error {
	if err == nil {
		return nil
	}
	var fe *FileError
	if errors.As(err, &fe) {
		return err
	}
	return &FileError{Path: path, Err: err}
}
