package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The datasets of an output root, each a folder partitioned by run date.
const (
	DatasetScores    = "scores"
	DatasetScenarios = "scenarios"
	DatasetRejects   = "rejects"
	DatasetReports   = "reports"
	DatasetRuns      = "runs" // holds the manifest, the run's completion marker
)

// ManifestName is the name of the run manifest inside runs/run_date=D.
const ManifestName = "manifest.json"

// FailedFolder is the folder of OUT that keeps the rejects and manifest of
// runs that published nothing (failed/run_date=D).
const FailedFolder = "failed"

// Names inside an output root that belong to the publishing machinery.
const (
	lockName    = ".lock"
	journalName = ".journal.json"
	stagingName = ".staging"
	markerName  = ".moatscore-run" // in runs/run_date=D and failed/run_date=D: which run made it
	retiredName = ".retired"       // in a staging folder: old versions on their way out
	pruneName   = ".prune"         // in OUT/.staging: folders being pruned
)

// datasets lists the datasets in publishing order: runs, with the manifest,
// comes last.
var datasets = []string{DatasetScores, DatasetScenarios, DatasetRejects, DatasetReports, DatasetRuns}

func validDataset(name string) bool { return slices.Contains(datasets, name) }

// Out is an output root: the published datasets, their lock, and the
// staging area of the run in progress. Its methods that change OUT (Stage,
// Publish, Fail, Prune) need the lock (see Lock); the ones that read it
// (Published, Latest, Path) do not. An Out serves one run: Lock and its
// release function are safe for concurrent use, the other methods are not.
type Out struct {
	root string
	log  *slog.Logger
	now  func() time.Time

	mu     sync.Mutex
	lock   *os.File // non-nil while this Out holds the lock
	holder Holder   // what the lock file says while held

	// hook, when set (tests only), is called at each step of publishing,
	// rolling forward and pruning; a non-nil error stops the work there as
	// a crash would.
	hook func(event string) error
	// noExchange makes the publisher behave as on a file system without
	// RENAME_EXCHANGE (tests only).
	noExchange bool
}

// OpenOut opens the output root at root, creating it if needed. When no
// other run holds the root (and it is writable), it rolls forward a publish
// left unfinished by a crashed run and removes the staging folders of dead
// runs.
func OpenOut(root string, log *slog.Logger) (*Out, error) {
	return openOut(root, log, nil)
}

func openOut(root string, log *slog.Logger, hook func(string) error) (*Out, error) {
	if root == "" {
		return nil, errors.New("open output root: no path given")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("open output root %s: %w", root, err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	o := &Out{root: abs, log: log.With("stage", "publish"), now: time.Now, hook: hook}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("open output root: %w", err)
	}
	release, err := o.tryLock()
	if errors.Is(err, ErrLocked) {
		// The holder recovers OUT itself; readers cope with a publish in
		// progress.
		o.log.Debug("output root busy, recovery left to its holder", "out", abs)
		return o, nil
	}
	if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) {
		// Read-only: fine for reading; Lock will say what is wrong.
		o.log.Debug("output root not writable, no recovery", "out", abs, "error", err)
		return o, nil
	}
	if err != nil {
		return nil, err
	}
	if err := release(); err != nil {
		return nil, err
	}
	return o, nil
}

// Root returns the absolute path of the output root.
func (o *Out) Root() string { return o.root }

// Path returns the folder of a dataset's partition for a run date,
// OUT/<dataset>/run_date=YYYY-MM-DD, whether it exists or not.
func (o *Out) Path(dataset string, runDate time.Time) (string, error) {
	if !validDataset(dataset) {
		return "", fmt.Errorf("output root %s: unknown dataset %q", o.root, dataset)
	}
	return filepath.Join(o.root, dataset, partition(dateString(runDate))), nil
}

// Published returns the run dates that have a manifest, oldest first, as
// midnight UTC.
func (o *Out) Published() ([]time.Time, error) {
	dates, err := o.published()
	if err != nil {
		return nil, err
	}
	out := make([]time.Time, len(dates))
	for i, d := range dates {
		out[i], _ = time.Parse(time.DateOnly, d)
	}
	return out, nil
}

// Latest returns the latest published run date earlier than before (compared
// as calendar dates); ok is false when there is none.
func (o *Out) Latest(before time.Time) (date time.Time, ok bool, err error) {
	dates, err := o.published()
	if err != nil {
		return time.Time{}, false, err
	}
	b := dateString(before)
	for i := len(dates) - 1; i >= 0; i-- {
		if dates[i] < b {
			t, _ := time.Parse(time.DateOnly, dates[i])
			return t, true, nil
		}
	}
	return time.Time{}, false, nil
}

// published returns the run dates (YYYY-MM-DD) with a manifest, sorted.
func (o *Out) published() ([]string, error) {
	dates, err := o.partitions(DatasetRuns)
	if err != nil {
		return nil, err
	}
	out := dates[:0]
	for _, d := range dates {
		ok, err := exists(filepath.Join(o.root, DatasetRuns, partition(d), ManifestName))
		if err != nil {
			return nil, fmt.Errorf("output root %s: %w", o.root, err)
		}
		if ok {
			out = append(out, d)
		}
	}
	return out, nil
}

// partitions returns the run dates of the run_date= folders in OUT/<folder>,
// sorted; other entries are ignored.
func (o *Out) partitions(folder string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(o.root, folder))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("output root %s: %w", o.root, err)
	}
	var dates []string
	for _, e := range entries {
		if d, ok := parsePartition(e.Name()); ok && e.IsDir() {
			dates = append(dates, d)
		}
	}
	slices.Sort(dates)
	return dates, nil
}

// dateString formats a run date as YYYY-MM-DD, in the time's own location.
func dateString(t time.Time) string { return t.Format(time.DateOnly) }

// partition returns the folder name of a run date's partition.
func partition(date string) string { return "run_date=" + date }

// parsePartition returns the date of a partition folder name.
func parsePartition(name string) (string, bool) {
	d, ok := strings.CutPrefix(name, "run_date=")
	if !ok {
		return "", false
	}
	t, err := time.Parse(time.DateOnly, d)
	if err != nil || t.Format(time.DateOnly) != d {
		return "", false
	}
	return d, true
}

// runIDPattern keeps run ids usable as a folder name inside OUT/.staging.
var runIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

func validRunID(id string) bool { return runIDPattern.MatchString(id) }

// marker is the content of the marker file of a run's own folders,
// runs/run_date=D and failed/run_date=D: which run made it and which
// datasets it published. The dataset folders carry none.
type marker struct {
	RunID    string   `json:"run_id"`
	RunDate  string   `json:"run_date"`
	Datasets []string `json:"datasets,omitempty"`
}

// readMarker returns the marker of a folder; a missing or unreadable marker
// gives a zero marker.
func readMarker(dir string) marker {
	var m marker
	b, err := os.ReadFile(filepath.Join(dir, markerName))
	if err != nil || json.Unmarshal(b, &m) != nil {
		return marker{}
	}
	return m
}

func writeMarker(dir string, m marker) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return writeFileSync(filepath.Join(dir, markerName), append(b, '\n'))
}

// event calls the test hook, if any.
func (o *Out) event(name string) error {
	if o.hook == nil {
		return nil
	}
	return o.hook(name)
}
