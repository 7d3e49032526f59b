package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"moatscore/data"
)

// RejectSink receives reject records. A *data.RejectsWriter is one.
type RejectSink interface {
	Write(rejects []data.Reject) error
}

// IngestOptions says what Ingest reads and where its results go.
type IngestOptions struct {
	Input     InputConfig // every table must have a spec
	RunDate   time.Time
	Reference *data.Reference
	Reader    data.ReaderOptions
	// Rejects receives every reject record; nil drops them after counting.
	// Calls are serialised.
	Rejects RejectSink
	// OnCompanies, when set, is called for each checked companies batch, in
	// file then row order, before any child table is read.
	OnCompanies func(b *data.Batch, c *data.Checked) error
	// OnChild, when set, is called for each checked batch of a child table.
	// The batches of one table arrive in order, one at a time; the three
	// child tables are read concurrently, so calls for different tables
	// overlap. b and c are released when the call returns: retain what you
	// keep.
	OnChild func(t *data.Table, b *data.Batch, c *data.Checked) error
	Log     *slog.Logger
}

// TableSummary is what Ingest learnt about one input table.
type TableSummary struct {
	Table      *data.Table
	Spec       string      // the dataset spec read: a file, a folder or a glob
	Root       string      // the root reject file paths are relative to
	Files      []data.File // in reading order
	Accounting data.Accounting
	Ignored    []string // extra columns, as "file: column"
	Elapsed    time.Duration
}

// IngestSummary is the result of Ingest.
type IngestSummary struct {
	Tables    []TableSummary // in data.Inputs order: companies first
	Companies *data.CompanySet
}

// Table returns the summary of the named table, or nil.
func (s *IngestSummary) Table(name string) *TableSummary {
	for i := range s.Tables {
		if s.Tables[i].Table.Name == name {
			return &s.Tables[i]
		}
	}
	return nil
}

// Totals returns the rows read, accepted and rejected over every table.
func (s *IngestSummary) Totals() (rowsIn, accepted, rejected int64) {
	for _, t := range s.Tables {
		rowsIn += t.Accounting.RowsIn
		accepted += t.Accounting.Accepted
		rejected += t.Accounting.Rejected
	}
	return rowsIn, accepted, rejected
}

// CheckRejects returns a *QualityError for each table whose share of
// rejected rows is over maxShare, joined; nil when none is. With maxShare 0
// any reject is too many.
func (s *IngestSummary) CheckRejects(maxShare float64) error {
	var errs []error
	for _, t := range s.Tables {
		a := t.Accounting
		if a.Rejected == 0 || a.RowsIn == 0 {
			continue
		}
		if float64(a.Rejected)/float64(a.RowsIn) > maxShare {
			errs = append(errs, &QualityError{Table: a.Table, RowsIn: a.RowsIn, Rejected: a.Rejected, MaxShare: maxShare})
		}
	}
	return errors.Join(errs...)
}

// QualityError reports a table with more rejected rows than allowed.
type QualityError struct {
	Table    string
	RowsIn   int64
	Rejected int64
	MaxShare float64 // 0: no reject allowed
}

func (e *QualityError) Error() string {
	if e.MaxShare == 0 {
		return fmt.Sprintf("%s: %d of %d rows rejected", e.Table, e.Rejected, e.RowsIn)
	}
	return fmt.Sprintf("%s: %d of %d rows rejected (%.2f%%), over run.max_reject_share %g",
		e.Table, e.Rejected, e.RowsIn, 100*float64(e.Rejected)/float64(e.RowsIn), e.MaxShare)
}

// LoadReference returns the embedded reference data with the tables the
// config replaces loaded from the user's files.
func (c *Config) LoadReference() (*data.Reference, error) {
	if c.Reference == (data.ReferenceFiles{}) {
		return data.DefaultReference(), nil
	}
	return data.LoadReference(c.Reference)
}

// Ingest reads and validates the four input tables: the companies first,
// then the three child tables concurrently, each as one stream of batches
// through the contract's validators. Rejected rows go to opts.Rejects; the
// accepted ones are handed to the callbacks. Every row read is counted as
// accepted or rejected. Ingest fails on the first file that cannot be read,
// naming it, or when ctx is done.
func Ingest(ctx context.Context, mem memory.Allocator, opts IngestOptions) (*IngestSummary, error) {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("stage", "ingest")
	if opts.Reference == nil {
		opts.Reference = data.DefaultReference()
	}
	var rejMu sync.Mutex
	sink := func(rs []data.Reject) error {
		if opts.Rejects == nil || len(rs) == 0 {
			return nil
		}
		rejMu.Lock()
		defer rejMu.Unlock()
		if err := opts.Rejects.Write(rs); err != nil {
			return fmt.Errorf("write rejects: %w", err)
		}
		return nil
	}

	sum := &IngestSummary{Tables: make([]TableSummary, len(data.Inputs))}
	for i, t := range data.Inputs {
		sum.Tables[i] = TableSummary{Table: t, Spec: opts.Input.Spec(t.Name)}
		sum.Tables[i].Accounting = data.Accounting{Table: t.Name, ByReason: map[string]int64{}, Warnings: map[string]int64{}}
	}

	cv := data.NewCompanyValidator(opts.RunDate, opts.Reference)
	err := ingestTable(ctx, mem, &sum.Tables[0], opts.Reader, log, func(b *data.Batch) (*data.Checked, error) {
		return cv.Check(b), nil
	}, func(b *data.Batch, c *data.Checked) error {
		if err := sink(c.Rejects); err != nil {
			return err
		}
		if opts.OnCompanies != nil {
			return opts.OnCompanies(b, c)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sum.Companies = cv.Companies()

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	errs := make([]error, len(data.Inputs))
	for i := 1; i < len(data.Inputs); i++ {
		ts := &sum.Tables[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := data.NewChildValidator(ts.Table, opts.RunDate, opts.Reference, sum.Companies)
			var shares *shareSums
			if ts.Table.Name == data.TableModelUsage {
				shares = newShareSums(ts.Table)
			}
			errs[i] = ingestTable(ctx, mem, ts, opts.Reader, log, func(b *data.Batch) (*data.Checked, error) {
				return v.Check(b), nil
			}, func(b *data.Batch, c *data.Checked) error {
				if err := sink(c.Rejects); err != nil {
					return err
				}
				if shares != nil {
					shares.add(c)
				}
				if opts.OnChild != nil {
					return opts.OnChild(ts.Table, b, c)
				}
				return nil
			})
			if errs[i] != nil {
				cancel(errs[i])
				return
			}
			if shares != nil {
				if n := shares.over(); n > 0 {
					ts.Accounting.Warnings[data.WarnSharesScaled] += n
				}
			}
		}()
	}
	wg.Wait()
	// Report the error that stopped the others, not the cancellations it caused.
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return nil, err
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return sum, nil
}

// ingestTable reads one table's dataset batch by batch, checks each batch
// and hands it on, keeping the table's accounting. A panic (a bug: the
// reader turns decoder panics into file errors) becomes an error.
func ingestTable(ctx context.Context, mem memory.Allocator, ts *TableSummary, ropts data.ReaderOptions, log *slog.Logger,
	check func(*data.Batch) (*data.Checked, error), use func(*data.Batch, *data.Checked) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			log.Error("panic while reading a table", "table", ts.Table.Name, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = fmt.Errorf("read %s: internal error: %v", ts.Table.Name, p)
		}
	}()
	start := time.Now()
	t := ts.Table
	log = log.With("table", t.Name)
	if ts.Spec == "" {
		return &ConfigError{Key: "input." + t.Name, Err: errors.New("not set")}
	}
	root, files, err := data.Discover(ts.Spec)
	if err != nil {
		return fmt.Errorf("read %s: %w", t.Name, err)
	}
	ts.Root, ts.Files = root, files
	log.Debug("reading", "spec", ts.Spec, "files", len(files))

	r := data.NewReader(mem, t, files, ropts)
	defer r.Close()
	acc := &ts.Accounting
	for r.Next() {
		b := r.Batch()
		err := func() error {
			defer b.Release()
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			c, err := check(b)
			if err != nil {
				return err
			}
			defer c.Release()
			acc.RowsIn += b.Record.NumRows()
			acc.Accepted += int64(len(c.Accepted))
			acc.Rejected += int64(len(c.Rejects))
			for _, rj := range c.Rejects {
				acc.ByReason[rj.Reason]++
			}
			for w, n := range c.Warnings {
				acc.Warnings[w] += int64(n)
			}
			return use(b, c)
		}()
		if err != nil {
			return fmt.Errorf("read %s: %w", t.Name, err)
		}
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("read %s: %w", t.Name, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("read %s: %w", t.Name, context.Cause(ctx))
	}
	ts.Ignored = r.Ignored()
	ts.Elapsed = time.Since(start)
	if acc.Accepted+acc.Rejected != acc.RowsIn {
		return fmt.Errorf("read %s: accounting does not add up: %d rows in, %d accepted, %d rejected",
			t.Name, acc.RowsIn, acc.Accepted, acc.Rejected)
	}
	log.Info("table checked", "files", len(files), "rows", acc.RowsIn, "accepted", acc.Accepted,
		"rejected", acc.Rejected, "elapsed", ts.Elapsed.Round(time.Millisecond).String())
	return nil
}

// shareSums adds up the accepted workload shares of each company, to count
// the companies whose shares sum over 1.01 (they are scaled down to 1 when
// scored, and flagged).
type shareSums struct {
	col  int
	sums []float64 // by company index
}

func newShareSums(t *data.Table) *shareSums {
	_, col := t.Column("workload_share")
	return &shareSums{col: col}
}

func (s *shareSums) add(c *data.Checked) {
	if s.col < 0 {
		return
	}
	shares, ok := c.Record.Column(s.col).(*array.Float64)
	if !ok {
		return
	}
	for i, row := range c.Accepted {
		idx := int(c.Company[i])
		if idx >= len(s.sums) {
			s.sums = append(s.sums, make([]float64, idx+1-len(s.sums))...)
		}
		if shares.IsValid(int(row)) {
			s.sums[idx] += shares.Value(int(row))
		}
	}
}

// SharesTolerance is how far over 1 a company's workload shares may sum
// before they are scaled down and the company flagged.
const SharesTolerance = 0.01

func (s *shareSums) over() int64 {
	var n int64
	for _, v := range s.sums {
		if v > 1+SharesTolerance {
			n++
		}
	}
	return n
}
