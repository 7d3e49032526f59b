package synth

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Defaults of the options left at their zero value.
const (
	DefaultRowGroupSize     = 131072  // rows per Parquet row group
	DefaultCompaniesPerFile = 250_000 // companies per file when FilesPerTable is 0
	MaxBadRows              = 0.5     // highest accepted BadRows fraction
)

// Options say what Generate writes.
type Options struct {
	// Out is the output directory; the four table folders and the sidecars
	// are written under it.
	Out string
	// Companies is the number of companies (rows of the companies table,
	// not counting duplicate-key bad rows).
	Companies int
	// Seed makes the dataset: the same options give byte-identical files.
	Seed int64
	// BadRows is the fraction, 0 to 0.5, of rows that carry one contract
	// violation each. Child rows of a bad company are rejected too
	// (parent_rejected), on top of that fraction.
	BadRows float64
	// RunDate is the run the dataset is made for: every date is on or
	// before it. Zero means today in UTC.
	RunDate time.Time
	// FilesPerTable is the number of files of each table; 0 means one per
	// 250,000 companies (at least one). Companies are split into
	// contiguous ranges, and a company's child rows go to the file of the
	// same number in each child table.
	FilesPerTable int
	// RowGroupSize is the number of rows per Parquet row group; 0 means
	// 131072.
	RowGroupSize int
	// Workers is the number of files written at once; 0 means GOMAXPROCS.
	// The output does not depend on it.
	Workers int
	// Overwrite removes the table folders and sidecars of an earlier run
	// in Out first. Without it, a table folder that holds files is an
	// error.
	Overwrite bool
	// Mem allocates the Arrow buffers; nil means memory.DefaultAllocator.
	Mem memory.Allocator
	// Progress, when set, is called with the number of companies written
	// so far, from the writing goroutines (it must be safe for concurrent
	// use).
	Progress func(companiesDone int64)
}

// Errors of Options.Validate, wrapped with the value at fault.
var (
	ErrOut           = errors.New("output directory is empty")
	ErrCompanies     = errors.New("companies must be at least 0")
	ErrBadRows       = fmt.Errorf("bad rows must be a fraction between 0 and %g", MaxBadRows)
	ErrFilesPerTable = errors.New("files per table must be at least 0")
	ErrRowGroupSize  = errors.New("row group size must be at least 0")
	ErrWorkers       = errors.New("workers must be at least 0")
)

// Validate checks the options; each error names the option at fault.
func (o Options) Validate() error {
	switch {
	case o.Out == "":
		return ErrOut
	case o.Companies < 0:
		return fmt.Errorf("%w, got %d", ErrCompanies, o.Companies)
	case math.IsNaN(o.BadRows) || o.BadRows < 0 || o.BadRows > MaxBadRows:
		return fmt.Errorf("%w, got %g", ErrBadRows, o.BadRows)
	case o.FilesPerTable < 0:
		return fmt.Errorf("%w, got %d", ErrFilesPerTable, o.FilesPerTable)
	case o.RowGroupSize < 0:
		return fmt.Errorf("%w, got %d", ErrRowGroupSize, o.RowGroupSize)
	case o.Workers < 0:
		return fmt.Errorf("%w, got %d", ErrWorkers, o.Workers)
	}
	return nil
}

// files is the number of files per table.
func (o Options) files() int {
	n := o.FilesPerTable
	if n == 0 {
		n = (o.Companies + DefaultCompaniesPerFile - 1) / DefaultCompaniesPerFile
	}
	return max(1, n)
}

func (o Options) rowGroupSize() int {
	if o.RowGroupSize == 0 {
		return DefaultRowGroupSize
	}
	return o.RowGroupSize
}

// Demo dataset: the options the embedded demo (package data, folder demo)
// is generated with. A test regenerates it and compares the bytes.
const (
	DemoCompanies = 500
	DemoSeed      = 20261101
	DemoBadRows   = 0.01
)

// DemoRunDate is the run date of the demo dataset: its dates are on or
// before it.
var DemoRunDate = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// DemoOptions are the options of the embedded demo dataset, written to out.
func DemoOptions(out string) Options {
	return Options{
		Out:       out,
		Companies: DemoCompanies,
		Seed:      DemoSeed,
		BadRows:   DemoBadRows,
		RunDate:   DemoRunDate,
	}
}
