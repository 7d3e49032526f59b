package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"moatscore/data"
	"moatscore/reports"
)

// TopN is how many companies the closing summary lists.
const TopN = 5

// RunGCPercent is the garbage collector's target percentage (GOGC) while a
// run is in progress, unless the GOGC environment variable sets one. A
// run's memory is mostly large arrays without pointers, which cost the
// collector little, while reading churns through many batches: collecting
// after every quarter of growth, instead of every doubling, keeps the peak
// memory near the live memory for a few percent more CPU time.
const RunGCPercent = 25

// RunEnv is what a run takes from its surroundings besides the config.
type RunEnv struct {
	Log      *slog.Logger       // nil: discard
	Now      func() time.Time   // nil: time.Now
	Progress *Progress          // nil: no progress bars
	Mem      memory.Allocator   // nil: the Go allocator
	Demo     fs.FS              // the dataset scored when no input is given; nil: none
	TempDir  string             // where the demo is unpacked; "": the system's
	Reader   data.ReaderOptions // zero: the reader's defaults
}

// RunResult is what a run produced. A run that failed on data quality has
// a result (its manifest, under OUT/failed) and a *QualityError.
type RunResult struct {
	Manifest *Manifest
	Summary  *reports.Summary
	Out      string // the output root, absolute
}

// run is one run in progress.
type run struct {
	cfg     Config
	env     RunEnv
	log     *slog.Logger
	mem     memory.Allocator
	runDate time.Time
	date    string
	runID   string
	demo    bool
	m       *Manifest
	timings []StageTiming
	started time.Time
}

// stage times one stage, logs its end and records it for the manifest.
func (r *run) stage(name string, f func(log *slog.Logger) error) error {
	log := r.log.With("stage", name)
	start := time.Now()
	err := f(log)
	elapsed := time.Since(start)
	r.timings = append(r.timings, StageTiming{Stage: name, Seconds: elapsed.Seconds()})
	if err == nil && log.Enabled(context.Background(), slog.LevelDebug) {
		var ms runtime.MemStats
		if os.Getenv("MOATSCORE_DEBUG_GC") == "1" {
			runtime.GC()
		}
		runtime.ReadMemStats(&ms)
		log.Debug("stage done", "elapsed", elapsed.Round(time.Millisecond).String(),
			"heap_mib", ms.HeapAlloc>>20, "sys_mib", ms.Sys>>20)
	}
	return err
}

// Run scores the input datasets of cfg and publishes the run under cfg.Out:
// read and validate the four tables (companies first), aggregate the child
// tables per company, score, compare with the latest earlier published run,
// rank, write the outputs to a staging folder, and publish them with the
// manifest last. With no input in cfg it scores env.Demo and marks the
// manifest demo: true.
//
// A table whose share of rejected rows is over run.max_reject_share fails
// the run with a *QualityError: nothing is published, and the rejects and
// manifest are kept under OUT/failed/run_date=D. When ctx is done the run
// stops, removes its staging folder and returns ctx's error; published runs
// are left as they were.
func Run(ctx context.Context, cfg Config, env RunEnv) (res *RunResult, err error) {
	if env.Log == nil {
		env.Log = slog.New(slog.DiscardHandler)
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	if env.Mem == nil {
		env.Mem = memory.NewGoAllocator()
	}
	if cfg.Rank.By == "" {
		cfg.Rank.By = DefaultRankBy
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(RunGCPercent))
	}
	r := &run{cfg: cfg, env: env, log: env.Log, mem: env.Mem, started: env.Now()}
	r.runDate = cfg.RunDate.Time
	if cfg.RunDate.IsZero() {
		r.runDate = DateOf(r.started).Time
	}
	r.date = r.runDate.Format(DateLayout)

	// The demo, when no input is given.
	if !cfg.Input.Given() {
		if env.Demo == nil {
			return nil, &ConfigError{Key: "input", Err: errors.New("no input given and no demo dataset built in")}
		}
		dir, err := unpackDemo(env.Demo, env.TempDir)
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		r.cfg.Input = InputConfig{Dir: dir}
		r.demo = true
		r.log.Warn("no input given: scoring the built-in demo dataset (set --input or input.dir to score your own data)")
	}
	return r.run(ctx)
}

func (r *run) run(ctx context.Context) (*RunResult, error) {
	ref, err := r.cfg.LoadReference()
	if err != nil {
		return nil, err
	}
	model, err := newModel(r.cfg, r.runDate, ref)
	if err != nil {
		return nil, err
	}
	configHash, err := HashJSON(struct {
		Valuation any                 `json:"valuation"`
		Rank      RankConfig          `json:"rank"`
		Reference data.ReferenceFiles `json:"reference"`
	}{model.config(), r.cfg.Rank, r.cfg.Reference})
	if err != nil {
		return nil, err
	}
	r.runID = makeRunID(r.started, r.date, configHash)
	r.log = r.log.With("run_id", r.runID, "run_date", r.date)
	meta := FileMeta{RunID: r.runID, ModelVersion: model.version(), ConfigHash: configHash}
	r.m = &Manifest{
		ManifestVersion: ManifestVersion,
		Status:          StatusFailed,
		Demo:            r.demo,
		RunID:           r.runID,
		RunDate:         r.date,
		StartedAt:       r.started.UTC(),
		ModelVersion:    meta.ModelVersion,
		ConfigHash:      configHash,
		Config:          r.effectiveConfig(model),
		Versions:        Versions(meta.ModelVersion),
		Warnings:        []ManifestWarning{},
		IgnoredColumns:  []string{},
		Outputs:         []ManifestOutput{},
	}
	r.log.Info("run started", "out", r.cfg.Out, "demo", r.demo, "model_version", meta.ModelVersion)

	// Lock the output root and stage the run.
	var out *Out
	var release func() error
	err = r.stage("lock", func(log *slog.Logger) error {
		var err error
		if out, err = OpenOut(r.cfg.Out, r.env.Log); err != nil {
			return err
		}
		release, err = out.Lock(ctx, r.cfg.Run.Wait.Duration)
		return err
	})
	if err != nil {
		return nil, err
	}
	defer release()
	st, err := out.Stage(r.runDate, r.runID)
	if err != nil {
		return nil, err
	}
	defer st.Discard() // a no-op once published or failed

	// Input checksums, while the tables are read.
	hashes := r.hashInputs()

	// Read, validate and aggregate.
	rejects, err := NewRejectsOut(r.mem, st.Dir(DatasetRejects), tableNames(), meta)
	if err != nil {
		return nil, err
	}
	defer rejects.Abort()
	agg := newAggregation(model, r.mem)
	defer agg.Release()
	files := newFileRows()
	var sum *IngestSummary
	err = r.stage("read", func(log *slog.Logger) error {
		bar := r.env.Progress.Stage("read", -1, "rows")
		defer bar.Done()
		var err error
		sum, err = Ingest(ctx, r.mem, IngestOptions{ // Ingest tags its own stage
			Input:     r.cfg.Input,
			RunDate:   r.runDate,
			Reference: ref,
			Reader:    r.env.Reader,
			Rejects:   rejects,
			OnCompanies: func(b *data.Batch, c *data.Checked) error {
				files.add(data.TableCompanies, b)
				bar.Add(b.Record.NumRows())
				return agg.addCompanies(b, c)
			},
			OnChild: func(t *data.Table, b *data.Batch, c *data.Checked) error {
				files.add(t.Name, b)
				bar.Add(b.Record.NumRows())
				return agg.addChild(t, b, c)
			},
			Log: r.log,
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	rejectFiles, err := rejects.Close()
	if err != nil {
		return nil, err
	}
	sums, err := hashes()
	if err != nil {
		return nil, err
	}
	r.recordInputs(sum, files, sums)
	sum.Companies = nil // the companies record holds the ids from now on: free the set before scoring
	for _, of := range rejectFiles {
		r.addOutput(DatasetRejects, of)
	}
	_, _, rejected := sum.Totals()
	if qerr := sum.CheckRejects(r.cfg.Run.MaxRejectShare); qerr != nil {
		r.m.Error = qerr.Error()
		for i := range r.m.Outputs { // Fail keeps the rejects under failed/run_date=D/rejects
			r.m.Outputs[i].Path = filepath.ToSlash(filepath.Join(FailedFolder, partition(r.date), DatasetRejects, filepath.Base(r.m.Outputs[i].Path)))
		}
		r.log.Error("reject share over run.max_reject_share: nothing is published", "error", qerr.Error())
		if err := r.finishManifest(st); err != nil {
			return nil, err
		}
		if err := out.Fail(st); err != nil {
			return nil, err
		}
		return r.result(out, nil), qerr
	}
	if rejected > 0 {
		r.log.Warn("rows rejected, under run.max_reject_share", "rejected", rejected,
			"max_reject_share", r.cfg.Run.MaxRejectShare, "rejects", filepath.Join(r.cfg.Out, DatasetRejects, partition(r.date)))
	}

	// Score.
	var sc *scored
	err = r.stage("score", func(log *slog.Logger) error {
		bar := r.env.Progress.Stage("score", -1, "companies")
		defer bar.Done()
		var err error
		sc, err = agg.evaluate(ctx)
		if err == nil {
			bar.Add(int64(sc.rows))
			log.Info("companies scored", "companies", sc.rows, "scenarios", sc.scenarioCount)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	defer sc.Release()
	agg.Release() // the per-company features are no longer needed
	if ids := sc.res.UnknownProviders; len(ids) > 0 {
		for i := range r.m.Warnings {
			if w := &r.m.Warnings[i]; w.Code == data.WarnUnknownProvider {
				w.Values = ids[:min(len(ids), MaxWarningValues)]
			}
		}
	}

	// Rank.
	var ranking *Ranking
	err = r.stage("rank", func(log *slog.Logger) error {
		var err error
		ranking, err = Rank(r.cfg.Rank.By, sc.rankInput())
		return err
	})
	if err != nil {
		return nil, err
	}

	// Compare with the latest earlier published run.
	var trend *Trend
	err = r.stage("compare", func(log *slog.Logger) error {
		prev, ok, err := out.Latest(r.runDate)
		if err != nil {
			return err
		}
		if !ok {
			trend = NewTrend(sc.rows)
			log.Info("no earlier published run: every company is new")
			return nil
		}
		prevDate := prev.Format(DateLayout)
		dir, err := out.Path(DatasetScores, prev)
		if err != nil {
			return err
		}
		paths, err := partitionFiles(dir)
		if err != nil {
			return fmt.Errorf("previous run %s: %w", prevDate, err)
		}
		trend, err = CompareRun(ctx, r.mem, paths, prevDate, sc.trendInput(ranking))
		if err != nil {
			return err
		}
		r.m.Previous = &PreviousRun{RunDate: prevDate, RunID: trend.PreviousRunID, Matched: trend.Matched}
		log.Info("compared with the previous run", "previous_run_date", prevDate, "companies_matched", trend.Matched)
		return nil
	})
	if err != nil {
		return nil, err
	}

	// Write the scores and scenarios.
	err = r.stage("write", func(log *slog.Logger) error {
		cols := sc.scoreColumns(ranking, trend, meta)
		bar := r.env.Progress.Stage("write", int64(sc.rows+sc.scenarioRows), "rows")
		defer bar.Done()
		of, err := writeOutput(ctx, r.mem, filepath.Join(st.Dir(DatasetScores), "part-0.parquet"), sc.rows, cols, meta, bar)
		if err != nil {
			return err
		}
		r.addOutput(DatasetScores, of)
		scols := sc.scenarioColumns(meta)
		of, err = writeOutput(ctx, r.mem, filepath.Join(st.Dir(DatasetScenarios), "part-0.parquet"), sc.scenarioRows, scols, meta, bar)
		if err != nil {
			return err
		}
		r.addOutput(DatasetScenarios, of)
		return nil
	})
	if err != nil {
		return nil, err
	}
	summary := r.summary(sc, ranking, trend)

	// Publish, the manifest last.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	err = r.stage("publish", func(log *slog.Logger) error {
		r.m.Status = StatusPublished
		if err := r.finishManifest(st); err != nil {
			return err
		}
		if err := out.Publish(st); err != nil {
			return err
		}
		return out.Prune(r.cfg.Run.KeepRuns)
	})
	if err != nil {
		return nil, err
	}
	r.log.Info("run published", "companies", sc.rows, "rejected_rows", rejected,
		"scores", filepath.Join(out.Root(), DatasetScores, partition(r.date)),
		"elapsed", time.Since(r.started).Round(time.Millisecond).String())
	return r.result(out, summary), nil
}

// result builds the run's result and closing summary.
func (r *run) result(out *Out, s *reports.Summary) *RunResult {
	if s == nil {
		s = &reports.Summary{}
	}
	s.Status = r.m.Status
	s.Reason = r.m.Error
	s.Demo = r.demo
	s.RunID = r.runID
	s.RunDate = r.date
	s.RankBy = r.cfg.Rank.By
	for _, t := range r.m.Tables {
		s.Tables = append(s.Tables, reports.SummaryTable{Table: t.Table, RowsIn: t.RowsIn, Accepted: t.Accepted, Rejected: t.Rejected})
	}
	for _, w := range r.m.Warnings {
		s.Warnings = append(s.Warnings, reports.SummaryWarning{Code: w.Code, Table: w.Table, Count: w.Count})
	}
	folders := []string{DatasetScores, DatasetScenarios, DatasetRejects, DatasetRuns}
	if r.m.Status != StatusPublished {
		folders = []string{FailedFolder}
	}
	for _, f := range folders {
		s.Outputs = append(s.Outputs, filepath.Join(out.Root(), f, partition(r.date)))
	}
	for _, t := range r.timings {
		s.Stages = append(s.Stages, reports.SummaryStage{Stage: t.Stage, Elapsed: time.Duration(t.Seconds * float64(time.Second))})
	}
	s.Total = r.env.Now().Sub(r.started)
	return &RunResult{Manifest: r.m, Summary: s, Out: out.Root()}
}

// finishManifest writes the manifest into the staging runs folder.
func (r *run) finishManifest(st *Staging) error {
	r.m.FinishedAt = r.env.Now().UTC()
	r.m.Timings = slices.Clone(r.timings)
	b, err := r.m.Encode()
	if err != nil {
		return err
	}
	return writeFileSync(filepath.Join(st.Dir(DatasetRuns), ManifestName), b)
}

// addOutput records a written file in the manifest, its path as it will be
// once published (or kept under failed/).
func (r *run) addOutput(dataset string, of OutputFile) {
	rel := filepath.ToSlash(filepath.Join(dataset, partition(r.date), filepath.Base(of.Path)))
	r.m.Outputs = append(r.m.Outputs, ManifestOutput{Dataset: dataset, Path: rel, Rows: of.Rows, Bytes: of.Bytes})
}

// effectiveConfig is the configuration recorded in the manifest.
func (r *run) effectiveConfig(m *model) any {
	c := r.cfg
	return struct {
		Input     InputConfig         `json:"input"`
		Out       string              `json:"out"`
		RunDate   string              `json:"run_date"`
		Run       RunConfig           `json:"run"`
		Rank      RankConfig          `json:"rank"`
		Reference data.ReferenceFiles `json:"reference"`
		Valuation any                 `json:"valuation"`
	}{c.Input, c.Out, r.date, c.Run, c.Rank, c.Reference, m.config()}
}

// hashInputs starts computing the SHA-256 of every input file in the
// background; the returned function waits for the sums, by path.
func (r *run) hashInputs() func() (map[string]string, error) {
	var paths []string
	for _, t := range data.Inputs {
		spec := r.cfg.Input.Spec(t.Name)
		if spec == "" {
			continue
		}
		if _, files, err := data.Discover(spec); err == nil {
			for _, f := range files {
				paths = append(paths, f.Path)
			}
		}
	}
	var (
		sums []string
		err  error
		wg   sync.WaitGroup
	)
	wg.Go(func() { sums, err = hashFiles(paths, 1) })
	return func() (map[string]string, error) {
		wg.Wait()
		if err != nil {
			return nil, err
		}
		m := make(map[string]string, len(paths))
		for i, p := range paths {
			m[p] = sums[i]
		}
		return m, nil
	}
}

// recordInputs fills the manifest's inputs, accounting, warnings and
// ignored columns from the ingest summary.
func (r *run) recordInputs(sum *IngestSummary, rows *fileRows, sums map[string]string) {
	for _, ts := range sum.Tables {
		in := ManifestInput{Table: ts.Table.Name, Spec: ts.Spec, Files: []ManifestFile{}}
		if r.demo {
			in.Spec = "demo:" + ts.Table.Name
		}
		for i, f := range ts.Files {
			in.Files = append(in.Files, ManifestFile{
				Path: filepath.ToSlash(f.Rel), Bytes: f.Size, SHA256: sums[f.Path], Rows: rows.get(ts.Table.Name, i),
			})
		}
		r.m.Inputs = append(r.m.Inputs, in)
		a := ts.Accounting
		ta := TableAccounting{Table: a.Table, RowsIn: a.RowsIn, Accepted: a.Accepted, Rejected: a.Rejected,
			ByReason: a.ByReason, Warnings: a.Warnings}
		if a.RowsIn > 0 {
			ta.RejectShare = float64(a.Rejected) / float64(a.RowsIn)
		}
		r.m.Tables = append(r.m.Tables, ta)
		codes := make([]string, 0, len(a.Warnings))
		for c := range a.Warnings {
			codes = append(codes, c)
		}
		slices.Sort(codes)
		for _, c := range codes {
			n := a.Warnings[c]
			if n == 0 {
				continue
			}
			w := ManifestWarning{Code: c, Table: a.Table, Count: n, Message: warningMessage(c)}
			r.m.Warnings = append(r.m.Warnings, w)
			r.log.Warn(w.Message, "table", a.Table, "code", c, "count", n)
		}
		for _, ig := range ts.Ignored {
			r.m.IgnoredColumns = append(r.m.IgnoredColumns, ts.Table.Name+": "+ig)
		}
	}
}

func warningMessage(code string) string {
	switch code {
	case data.WarnUnknownProvider:
		return "rows name a provider not in the reference: kept, treated as closed and of unknown zone"
	case data.WarnSharesScaled:
		return "companies' workload shares summed over 1.01 and were scaled down to 1; the companies are flagged"
	}
	return strings.ReplaceAll(code, "_", " ")
}

// summary builds the closing summary's ranking part.
func (r *run) summary(sc *scored, ranking *Ranking, trend *Trend) *reports.Summary {
	s := &reports.Summary{Companies: int64(sc.rows), Scenarios: sc.scenarioCount}
	if r.m.Previous != nil {
		s.PreviousRun = r.m.Previous.RunDate
	}
	for pos := 0; pos < min(TopN, len(ranking.Order)); pos++ {
		row := int(ranking.Order[pos])
		c := sc.companySummary(row)
		c.Rank = int64(pos + 1)
		c.Trend = trend.Word(row)
		s.Top = append(s.Top, c)
	}
	return s
}

func tableNames() []string {
	names := make([]string, len(data.Inputs))
	for i, t := range data.Inputs {
		names[i] = t.Name
	}
	return names
}

// makeRunID makes the id of a run: the run date, the start time and a
// short hash, unique in practice and readable:
// 20260115-093000Z-1a2b3c4d for a run of 2026-01-15 started at 09:30:00.
func makeRunID(started time.Time, date, configHash string) string {
	h := sha256.New()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(started.UnixNano()))
	h.Write(b[:])
	binary.LittleEndian.PutUint64(b[:], uint64(os.Getpid()))
	h.Write(b[:])
	io.WriteString(h, date)
	io.WriteString(h, configHash)
	return fmt.Sprintf("%s-%sZ-%s", strings.ReplaceAll(date, "-", ""), started.UTC().Format("150405"), hex.EncodeToString(h.Sum(nil))[:8])
}

// fileRows counts the rows read from each input file.
type fileRows struct {
	mu   sync.Mutex
	rows map[string][]int64
}

func newFileRows() *fileRows { return &fileRows{rows: map[string][]int64{}} }

func (f *fileRows) add(table string, b *data.Batch) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.rows[table]
	for len(r) <= b.FileIndex {
		r = append(r, 0)
	}
	r[b.FileIndex] += b.Record.NumRows()
	f.rows[table] = r
}

func (f *fileRows) get(table string, i int) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r := f.rows[table]; i < len(r) {
		return r[i]
	}
	return 0
}

// unpackDemo copies the demo dataset into a new temporary folder.
func unpackDemo(demo fs.FS, tmp string) (string, error) {
	dir, err := os.MkdirTemp(tmp, "moatscore-demo-")
	if err != nil {
		return "", fmt.Errorf("unpack the demo dataset: %w", err)
	}
	err = fs.WalkDir(demo, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(dir, filepath.FromSlash(p))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := fs.ReadFile(demo, p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("unpack the demo dataset: %w", err)
	}
	return dir, nil
}

// writeOutput is WriteTable with a progress bar.
func writeOutput(ctx context.Context, mem memory.Allocator, path string, rows int, cols []OutColumn, meta FileMeta, bar *Bar) (OutputFile, error) {
	tw, err := NewTableWriter(mem, path, cols, meta)
	if err != nil {
		return OutputFile{}, err
	}
	tw.workers = max(1, runtime.GOMAXPROCS(0))
	for off := 0; off < rows; off += DefaultRowGroupRows {
		n := min(DefaultRowGroupRows, rows-off)
		if err := tw.WriteRows(ctx, off, n); err != nil {
			tw.Abort()
			return OutputFile{}, err
		}
		bar.Add(int64(n))
	}
	return tw.Close()
}
