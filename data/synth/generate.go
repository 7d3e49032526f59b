package synth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"moatscore/data"
)

// Files written next to the table folders.
const (
	BadRowsFile  = "_bad_rows.csv"
	ExpectedFile = "_expected.json"
	tmpDir       = "_bad_rows.tmp"
	successFile  = "_SUCCESS"
)

var (
	errNoCountries = errors.New("reference has no countries")
	errNoDomains   = errors.New("reference has no domains")
	errNoProviders = errors.New("reference has no providers")
)

// Table positions in data.Inputs.
const (
	tCompanies = iota
	tUsage
	tAssets
	tRounds
	nTables
)

// Salts of the independent random streams derived from the seed.
const (
	saltValues  = 0x76616c756573 // a company's values
	saltFaults  = 0x6661756c7473 // which of its rows break and how
	saltCompany = 0x636f6d70616e // whether a company row is bad: a hash, so any company can be asked
)

// generator holds what every shard reads.
type generator struct {
	opts    Options
	mem     memory.Allocator
	log     *slog.Logger
	mix     *mixes
	tables  [nTables]*table
	files   int
	runDay  int64
	runYear int
	meta    string

	seedValues, seedFaults, seedCompany uint64

	done atomic.Int64
}

// Generate writes a synthetic dataset under opts.Out: the four input
// tables (companies/, model_usage/, data_assets/, funding_rounds/) as
// Parquet files, and the sidecars _bad_rows.csv and _expected.json. It
// streams: memory does not grow with the number of companies.
//
// Providers, models, domains and valid countries come from ref. A table
// folder that already holds files is an error unless opts.Overwrite is
// set. When Generate fails or ctx is cancelled, it removes what it wrote.
// A nil log discards the log.
func Generate(ctx context.Context, opts Options, ref *data.Reference, log *slog.Logger) (*Summary, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if ref == nil {
		return nil, errors.New("no reference data")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.RunDate.IsZero() {
		opts.RunDate = time.Now().UTC()
	}
	opts.RunDate = time.Date(opts.RunDate.Year(), opts.RunDate.Month(), opts.RunDate.Day(), 0, 0, 0, 0, time.UTC)
	mix, err := newMixes(ref)
	if err != nil {
		return nil, err
	}
	g := &generator{
		opts:    opts,
		mem:     opts.Mem,
		log:     log,
		mix:     mix,
		files:   opts.files(),
		runDay:  day(opts.RunDate),
		runYear: opts.RunDate.Year(),
	}
	if g.mem == nil {
		g.mem = memory.DefaultAllocator
	}
	for i, t := range data.Inputs {
		g.tables[i] = newTable(t, i)
	}
	seed := splitmix64(uint64(opts.Seed))
	g.seedValues = splitmix64(seed ^ saltValues)
	g.seedFaults = splitmix64(seed ^ saltFaults)
	g.seedCompany = splitmix64(seed ^ saltCompany)
	g.meta = fmt.Sprintf("seed=%d companies=%d bad_rows=%g run_date=%s files=%d",
		opts.Seed, opts.Companies, opts.BadRows, opts.RunDate.Format(time.DateOnly), g.files)

	if err := g.prepare(); err != nil {
		return nil, err
	}
	start := time.Now()
	log.Info("generating", "out", opts.Out, "companies", opts.Companies, "seed", opts.Seed,
		"bad_rows", opts.BadRows, "run_date", opts.RunDate.Format(time.DateOnly), "files_per_table", g.files)
	sum, err := g.run(ctx)
	if err != nil {
		g.cleanup()
		return nil, err
	}
	log.Info("generated", "out", opts.Out, "files", sum.Files, "bytes", sum.Bytes,
		"rows", sum.Rows(), "bad_rows", sum.BadRowCount(), "elapsed", time.Since(start).Round(time.Millisecond))
	return sum, nil
}

// prepare checks the output directory and creates the table folders.
func (g *generator) prepare() error {
	out := g.opts.Out
	var taken []string
	for _, t := range data.Inputs {
		dir := filepath.Join(out, t.Name)
		if nonEmpty(dir) {
			taken = append(taken, dir)
		}
	}
	for _, f := range []string{BadRowsFile, ExpectedFile} {
		if _, err := os.Stat(filepath.Join(out, f)); err == nil {
			taken = append(taken, filepath.Join(out, f))
		}
	}
	if len(taken) > 0 && !g.opts.Overwrite {
		return fmt.Errorf("%s already holds a dataset (%s): choose an empty directory or overwrite", out, taken[0])
	}
	for _, p := range taken {
		if err := os.RemoveAll(p); err != nil {
			return err
		}
	}
	if err := os.RemoveAll(filepath.Join(out, tmpDir)); err != nil {
		return err
	}
	for _, t := range data.Inputs {
		if err := os.MkdirAll(filepath.Join(out, t.Name), 0o755); err != nil {
			return err
		}
	}
	return os.MkdirAll(filepath.Join(out, tmpDir), 0o755)
}

func nonEmpty(dir string) bool {
	f, err := os.Open(dir)
	if err != nil {
		return false
	}
	defer f.Close()
	names, _ := f.Readdirnames(1)
	return len(names) > 0
}

// cleanup removes what a failed run wrote.
func (g *generator) cleanup() {
	for _, t := range data.Inputs {
		os.RemoveAll(filepath.Join(g.opts.Out, t.Name))
	}
	for _, f := range []string{BadRowsFile, ExpectedFile, tmpDir} {
		os.RemoveAll(filepath.Join(g.opts.Out, f))
	}
}

// fileName is the name of file k of every table.
func fileName(k int) string { return fmt.Sprintf("part-%05d.parquet", k) }

// shardResult is what one shard (file k of every table) wrote.
type shardResult struct {
	acct  [nTables]tableAcct
	bytes [nTables]int64
	arch  []int64 // companies by archetype
}

// run writes the shards on a pool of workers, then the sidecars.
func (g *generator) run(ctx context.Context) (*Summary, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := g.opts.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, g.files)

	results := make([]shardResult, g.files)
	jobs := make(chan int)
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	for range workers {
		wg.Go(func() {
			for k := range jobs {
				res, err := g.shard(ctx, k)
				if err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
					continue
				}
				results[k] = res
			}
		})
	}
feed:
	for k := range g.files {
		select {
		case jobs <- k:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return g.finish(results)
}

// finish joins the bad-row logs, writes the sidecars and the summary.
func (g *generator) finish(results []shardResult) (*Summary, error) {
	out := g.opts.Out
	sum := &Summary{Out: out, Seed: g.opts.Seed, Companies: g.opts.Companies, BadRowsFraction: g.opts.BadRows,
		RunDate: g.opts.RunDate.Format(time.DateOnly), BadRows: map[string]int64{}, Archetypes: map[string]int64{}}
	for ai, a := range archetypes {
		sum.Archetypes[a.id] = 0
		for k := range results {
			sum.Archetypes[a.id] += results[k].arch[ai]
		}
	}
	for ti, t := range data.Inputs {
		ts := TableSummary{Table: t.Name, ByReason: map[string]int64{}, Warnings: map[string]int64{}}
		for k := range results {
			a := &results[k].acct[ti]
			ts.Files = append(ts.Files, fileName(k))
			ts.Rows += a.rows
			ts.Accepted += a.accepted
			ts.Rejected += a.rejected
			ts.Bytes += results[k].bytes[ti]
			for r, n := range a.byReason {
				ts.ByReason[r] += n
				sum.BadRows[r] += n
			}
			for w, n := range a.warnings {
				ts.Warnings[w] += n
			}
		}
		sum.Files += len(ts.Files)
		sum.Bytes += ts.Bytes
		sum.Tables = append(sum.Tables, ts)
	}

	bad, err := os.Create(filepath.Join(out, BadRowsFile))
	if err != nil {
		return nil, err
	}
	_, err = io.WriteString(bad, "table_name,file_path,row_index,reason_code,column_name\n")
	for _, t := range data.Inputs {
		for k := 0; k < g.files && err == nil; k++ {
			err = appendFile(bad, filepath.Join(out, tmpDir, badLogName(t.Name, k)))
		}
	}
	if cerr := bad.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", BadRowsFile, err)
	}
	if err := os.RemoveAll(filepath.Join(out, tmpDir)); err != nil {
		return nil, err
	}
	for _, t := range data.Inputs {
		if err := os.WriteFile(filepath.Join(out, t.Name, successFile), nil, 0o644); err != nil {
			return nil, err
		}
	}
	if err := sum.writeExpected(filepath.Join(out, ExpectedFile)); err != nil {
		return nil, err
	}
	return sum, nil
}

func badLogName(table string, k int) string { return fmt.Sprintf("%s-%05d.csv", table, k) }

func appendFile(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

// companyFault is the violation of company i's row, from a hash of its
// index: "" for none, duplicate_key for a valid row followed by a
// duplicate of an earlier accepted company.
func (g *generator) companyFault(i int) string {
	if g.opts.BadRows == 0 {
		return ""
	}
	h := splitmix64(g.seedCompany ^ splitmix64(uint64(i)))
	if uniform(h) >= g.opts.BadRows {
		return ""
	}
	reasons := g.tables[tCompanies].reasons
	return reasons[splitmix64(h)%uint64(len(reasons))]
}

// accepted says whether company i's row is accepted.
func (g *generator) accepted(i int) bool {
	f := g.companyFault(i)
	return f == "" || f == data.ReasonDuplicateKey
}

// shard is the state of one worker writing file k of every table.
type shard struct {
	g         *generator
	k         int
	file      string
	vsrc      *rand.PCG
	fsrc      *rand.PCG
	vr, fr    *rand.Rand // values; faults
	x         row
	w         [nTables]*tableWriter
	bad       [nTables]*badLog
	acct      [nTables]tableAcct
	last      [nTables]lastKey
	picks     []usagePick
	shares    []float64
	roundDays []int64
	roundStg  []int
	arch      []int64 // companies by archetype
}

// tableAcct counts one table's rows in one shard.
type tableAcct struct {
	rows, accepted, rejected int64
	byReason                 map[string]int64
	warnings                 map[string]int64
}

func (g *generator) shard(ctx context.Context, k int) (res shardResult, err error) {
	s := &shard{g: g, k: k, file: fileName(k), vsrc: rand.NewPCG(0, 0), fsrc: rand.NewPCG(0, 0),
		arch: make([]int64, len(archetypes))}
	s.vr, s.fr = rand.New(s.vsrc), rand.New(s.fsrc)
	defer func() {
		if err != nil {
			for i := range s.w {
				if s.w[i] != nil {
					s.w[i].abort()
				}
				if s.bad[i] != nil {
					s.bad[i].close()
				}
			}
		}
	}()
	for i, t := range g.tables {
		s.acct[i] = tableAcct{byReason: map[string]int64{}, warnings: map[string]int64{}}
		w, err := openTableWriter(g.mem, t, filepath.Join(g.opts.Out, t.Name, s.file), g.opts.rowGroupSize(), g.meta)
		if err != nil {
			return res, err
		}
		s.w[i] = w
		b, err := openBadLog(filepath.Join(g.opts.Out, tmpDir, badLogName(t.Name, k)))
		if err != nil {
			return res, err
		}
		s.bad[i] = b
	}
	n := int64(g.opts.Companies)
	lo, hi := int(int64(k)*n/int64(g.files)), int(int64(k+1)*n/int64(g.files))
	const every = 1024
	for i := lo; i < hi; i++ {
		if (i-lo)%every == 0 {
			if err := ctx.Err(); err != nil {
				return res, err
			}
			if i > lo {
				g.progress(every)
			}
		}
		if err := s.company(i); err != nil {
			return res, err
		}
	}
	if hi > lo {
		g.progress(int64((hi-lo-1)%every + 1))
	}
	for i := range s.w {
		size, err := s.w[i].close()
		s.w[i] = nil
		if err != nil {
			return res, err
		}
		res.bytes[i] = size
		err = s.bad[i].close()
		s.bad[i] = nil
		if err != nil {
			return res, err
		}
	}
	res.acct = s.acct
	res.arch = s.arch
	g.log.Debug("wrote file", "file", s.file, "companies", hi-lo)
	return res, nil
}

func (g *generator) progress(n int64) {
	done := g.done.Add(n)
	if g.opts.Progress != nil {
		g.opts.Progress(done)
	}
}

// emit writes a row of table ti; reason "" means the row is valid.
func (s *shard) emit(ti int, reason, column string) error {
	idx, err := s.w[ti].append(&s.x)
	if err != nil {
		return err
	}
	a := &s.acct[ti]
	a.rows++
	if reason == "" {
		a.accepted++
		return nil
	}
	a.rejected++
	a.byReason[reason]++
	return s.bad[ti].add(s.g.tables[ti].Name, s.file, idx, reason, column)
}

// company writes company i and its child rows.
func (s *shard) company(i int) error {
	g := s.g
	s.vsrc.Seed(g.seedValues, splitmix64(uint64(i)))
	s.fsrc.Seed(g.seedFaults, splitmix64(uint64(i)))
	id := companyID(i)
	c := g.fillCompany(s.vr, &s.x, i, id)
	s.arch[c.archIndex]++

	// children inherit a bad company's fate: a company row without a key
	// leaves its id in no file (unknown_company); any other bad row
	// rejects the company (parent_rejected).
	fault := g.companyFault(i)
	var childReason, column string
	switch fault {
	case "", data.ReasonDuplicateKey:
	case data.ReasonNullKey:
		childReason = data.ReasonUnknownCompany
	default:
		childReason = data.ReasonParentRejected
	}
	reason := ""
	if childReason != "" {
		reason = fault
		column = breakRow(s.fr, g.tables[tCompanies], &s.x, fault, i, g.runYear, nil)
	}
	if err := s.emit(tCompanies, reason, column); err != nil {
		return err
	}
	if fault == data.ReasonDuplicateKey {
		j := s.earlierAccepted(i)
		g.fillCompany(s.fr, &s.x, j, companyID(j))
		if err := s.emit(tCompanies, data.ReasonDuplicateKey, ""); err != nil {
			return err
		}
	}
	if err := s.usage(&c, childReason); err != nil {
		return err
	}
	if err := s.assets(&c, childReason); err != nil {
		return err
	}
	return s.fundingRounds(&c, childReason)
}

// earlierAccepted picks an accepted company at or before i for a
// duplicate to repeat, often in an earlier file.
func (s *shard) earlierAccepted(i int) int {
	for range 16 {
		if j := s.fr.IntN(i + 1); s.g.accepted(j) {
			return j
		}
	}
	return i
}

// zeroUnlessCovered is the chance that a company has no row of a child
// table: zero for a fully covered company.
func zeroUnlessCovered(c *company, zero float64) float64 {
	if c.covered {
		return 0
	}
	return zero
}

// childFault decides whether a child row breaks a rule: a child of a bad
// company inherits its reason and is otherwise valid; a child of a valid
// company breaks one rule with probability BadRows.
func (s *shard) childFault(ti int, childReason string) string {
	if childReason != "" {
		return childReason
	}
	if s.g.opts.BadRows == 0 || !chance(s.fr, s.g.opts.BadRows) {
		return ""
	}
	t := s.g.tables[ti]
	reason := t.reasons[s.fr.IntN(len(t.reasons))]
	if reason == data.ReasonDuplicateKey && !s.last[ti].ok {
		return "" // nothing to repeat yet
	}
	return reason
}

// breakChild breaks the row for reason and returns the column at fault;
// an inherited reason leaves the row as it is.
func (s *shard) breakChild(ti int, c *company, reason, childReason string) string {
	switch {
	case reason == "":
		return ""
	case childReason != "":
		return "company_id"
	}
	return breakRow(s.fr, s.g.tables[ti], &s.x, reason, c.index, s.g.runYear, &s.last[ti])
}

func (s *shard) usage(c *company, childReason string) error {
	g := s.g
	n := count(s.vr, zeroUnlessCovered(c, c.arch.usageZero), c.arch.usageMean, 12)
	s.picks = g.pickUsage(s.vr, c, n, s.picks)
	s.shares = shares(s.vr, len(s.picks), !c.covered, s.shares)
	budget := aiBudget(c)
	var accepted float64
	for k, p := range s.picks {
		g.fillUsage(s.vr, &s.x, c, p, s.shares[k], budget)
		reason := s.childFault(tUsage, childReason)
		if reason != "" && !g.mix.isProvider(s.x.str[muProvider]) {
			// a rejected row never draws a warning: give it a known provider
			s.x.setStr(muProvider, g.mix.providers[s.fr.IntN(len(g.mix.providers))].ID)
			s.x.setNull(muModel)
		}
		column := s.breakChild(tUsage, c, reason, childReason)
		if err := s.emit(tUsage, reason, column); err != nil {
			return err
		}
		if reason == "" {
			accepted += s.x.flt[muShare]
			if !g.mix.isProvider(s.x.str[muProvider]) {
				s.acct[tUsage].warnings[data.WarnUnknownProvider]++
			} else {
				s.last[tUsage].set(g.tables[tUsage], &s.x)
			}
		}
	}
	if accepted > 1.01 {
		s.acct[tUsage].warnings[data.WarnSharesScaled]++
	}
	return nil
}

func (s *shard) assets(c *company, childReason string) error {
	n := countK(s.vr, zeroUnlessCovered(c, c.arch.assetsZero), c.arch.assetsMean, 100, c.arch.assetsSpread)
	for k := range n {
		s.g.fillAsset(s.vr, &s.x, c, k)
		reason := s.childFault(tAssets, childReason)
		column := s.breakChild(tAssets, c, reason, childReason)
		if err := s.emit(tAssets, reason, column); err != nil {
			return err
		}
		if reason == "" {
			s.last[tAssets].set(s.g.tables[tAssets], &s.x)
		}
	}
	return nil
}

func (s *shard) fundingRounds(c *company, childReason string) error {
	n := count(s.vr, zeroUnlessCovered(c, 0.17), 2, len(stages))
	s.roundDays, s.roundStg = s.g.rounds(s.vr, c, n, s.roundDays, s.roundStg)
	for k := range s.roundDays {
		s.g.fillRound(s.vr, &s.x, c, k, s.roundDays[k], s.roundStg[k], k == len(s.roundDays)-1)
		reason := s.childFault(tRounds, childReason)
		column := s.breakChild(tRounds, c, reason, childReason)
		if err := s.emit(tRounds, reason, column); err != nil {
			return err
		}
		if reason == "" {
			s.last[tRounds].set(s.g.tables[tRounds], &s.x)
		}
	}
	return nil
}
