package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Staging is the folder a run writes its outputs into before they are
// published: OUT/.staging/<run_id>, inside the output root (so publishing is
// a rename) but outside every dataset folder (so readers never see it).
type Staging struct {
	out     *Out
	runID   string
	runDate time.Time
	date    string
	dir     string

	journaled bool // Publish wrote the journal: the staging folder now belongs to it
	done      bool // published, failed or discarded
}

// failedStage is the folder, inside a staging folder, where Fail gathers
// what it keeps.
const failedStage = ".failed"

// Stage creates the staging folder of a run, with an empty run_date=D
// folder for each dataset. It needs the lock. The run id must be 1 to 128
// letters, digits, dots, underscores or hyphens, starting with a letter or
// digit, and must not have been staged before in this output root.
func (o *Out) Stage(runDate time.Time, runID string) (*Staging, error) {
	if !validRunID(runID) {
		return nil, fmt.Errorf("stage run %q: a run id is 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit", runID)
	}
	if err := o.requireLock("stage run " + runID); err != nil {
		return nil, err
	}
	s := &Staging{out: o, runID: runID, runDate: runDate, date: dateString(runDate), dir: o.stagingDir(runID)}
	ok, err := exists(s.dir)
	if err != nil {
		return nil, fmt.Errorf("stage run %s: %w", runID, err)
	}
	if ok {
		return nil, fmt.Errorf("stage run %s: the staging folder %s already exists", runID, s.dir)
	}
	for _, ds := range datasets {
		if err := os.MkdirAll(s.Dir(ds), 0o755); err != nil {
			return nil, fmt.Errorf("stage run %s: %w", runID, err)
		}
	}
	o.mu.Lock()
	o.holder.RunDate, o.holder.RunID = s.date, runID
	err = o.writeHolderLocked()
	o.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Dir returns the folder to write a dataset's files into:
// OUT/.staging/<run_id>/<dataset>/run_date=D. It panics when dataset is
// not one of the Dataset constants.
func (s *Staging) Dir(dataset string) string {
	if !validDataset(dataset) {
		panic(fmt.Sprintf("pipeline: unknown dataset %q", dataset))
	}
	return filepath.Join(s.dir, dataset, partition(s.date))
}

// ManifestPath returns where the run writes its manifest:
// Dir(DatasetRuns)/manifest.json. Publish needs it.
func (s *Staging) ManifestPath() string {
	return filepath.Join(s.Dir(DatasetRuns), ManifestName)
}

// RunID returns the run id the staging folder was made for.
func (s *Staging) RunID() string { return s.runID }

// RunDate returns the run date the staging folder was made for.
func (s *Staging) RunDate() time.Time { return s.runDate }

// Sync flushes every file and folder of the staging folder to disk. Publish
// and Fail call it; a run may call it earlier.
func (s *Staging) Sync() error {
	if err := syncTree(s.dir); err != nil {
		return fmt.Errorf("stage run %s: %w", s.runID, err)
	}
	return nil
}

// Discard removes the staging folder of a run that ends without publishing
// (interrupted, say). Once Publish has journaled the run, the folder
// belongs to the roll-forward and Discard leaves it.
func (s *Staging) Discard() error {
	if s.done || s.journaled {
		return nil
	}
	s.done = true
	if err := os.RemoveAll(s.dir); err != nil {
		return fmt.Errorf("discard the staging of run %s: %w", s.runID, err)
	}
	return nil
}

// Publish makes the staged run the published one for its run date. The
// datasets with at least one file staged are published; the run_date=D
// folders of the others are removed, so that date D holds this run alone.
// The staged runs folder must hold the manifest.
//
// The order is crash-safe. Every staged file and folder is flushed to disk
// and the staged runs folder gets a marker naming the run and the datasets
// it publishes. Then the journal of
// switches is written. Then the published manifest folder of D, if any,
// is moved away (D is no longer complete), each dataset's run_date=D folder
// is switched to the staged one in one step (renameat2 RENAME_EXCHANGE when
// there is an old version) and the old version removed, and last the new
// manifest folder is put in place. A crash after the journal is written is
// rolled forward by the next Lock or OpenOut; a crash before leaves the
// published runs as they were.
func (o *Out) Publish(s *Staging) error {
	if err := o.checkStaging(s, "publish"); err != nil {
		return err
	}
	manifest := s.ManifestPath()
	if ok, err := exists(manifest); err != nil || !ok {
		if err == nil {
			err = fmt.Errorf("no manifest at %s", manifest)
		}
		return fmt.Errorf("publish run %s: %w", s.runID, err)
	}

	var staged []string
	for _, ds := range datasets {
		ok, err := hasContent(s.Dir(ds))
		if err != nil {
			return fmt.Errorf("publish run %s: %w", s.runID, err)
		}
		if ok {
			staged = append(staged, ds)
		}
	}
	m := marker{RunID: s.runID, RunDate: s.date, Datasets: staged}
	if err := writeMarker(s.Dir(DatasetRuns), m); err != nil {
		return fmt.Errorf("publish run %s: %w", s.runID, err)
	}
	if err := s.Sync(); err != nil {
		return err
	}
	for _, ds := range staged {
		if err := os.MkdirAll(filepath.Join(o.root, ds), 0o755); err != nil {
			return fmt.Errorf("publish run %s: %w", s.runID, err)
		}
	}
	if err := syncDir(o.root); err != nil {
		return err
	}
	if err := o.event("staged"); err != nil {
		return err
	}

	j := &journal{
		Version: journalVersion,
		RunID:   s.runID,
		RunDate: s.date,
		Staging: filepath.ToSlash(filepath.Join(stagingName, s.runID)),
	}
	for _, ds := range datasets {
		pub := filepath.Join(o.root, ds, partition(s.date))
		had, err := exists(pub)
		if err != nil {
			return fmt.Errorf("publish run %s: %w", s.runID, err)
		}
		install := journalStep{Op: opInstall, Dataset: ds}
		if slices.Contains(staged, ds) {
			id, _, err := folderIDOf(s.Dir(ds))
			if err != nil {
				return fmt.Errorf("publish run %s: %w", s.runID, err)
			}
			install.folderID = id
		}
		switch {
		case ds == DatasetRuns:
			if had {
				j.Steps = append([]journalStep{{Op: opRetire, Dataset: ds}}, j.Steps...)
			}
			j.Steps = append(j.Steps, install)
		case slices.Contains(staged, ds):
			j.Steps = append(j.Steps, install)
		case had:
			j.Steps = append(j.Steps, journalStep{Op: opRetire, Dataset: ds})
		}
	}
	if err := o.writeJournal(j); err != nil {
		return fmt.Errorf("publish run %s: %w", s.runID, err)
	}
	s.journaled = true
	if err := o.event("journal written"); err != nil {
		return err
	}
	if err := o.finish(j); err != nil {
		return fmt.Errorf("publish run %s for %s (the next run rolls it forward): %w", s.runID, s.date, err)
	}
	s.done = true
	o.log.Info("published", "run_id", s.runID, "run_date", s.date, "datasets", staged)
	return nil
}

// Fail keeps what is needed to debug a run that publishes nothing: the
// staged rejects and the staged runs folder (the manifest) go to
// OUT/failed/run_date=D, replacing an earlier failed run of that date in one
// step; the rest of the staging folder is removed. The published runs are
// left as they were.
func (o *Out) Fail(s *Staging) error {
	if err := o.checkStaging(s, "keep failed run"); err != nil {
		return err
	}
	wrap := func(err error) error { return fmt.Errorf("keep failed run %s: %w", s.runID, err) }
	kept := filepath.Join(s.dir, failedStage)
	if err := os.RemoveAll(kept); err != nil {
		return wrap(err)
	}
	if err := os.Mkdir(kept, 0o755); err != nil {
		return wrap(err)
	}
	entries, err := os.ReadDir(s.Dir(DatasetRuns))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return wrap(err)
	}
	for _, e := range entries {
		if e.Name() == markerName {
			continue
		}
		if err := os.Rename(filepath.Join(s.Dir(DatasetRuns), e.Name()), filepath.Join(kept, e.Name())); err != nil {
			return wrap(err)
		}
	}
	if ok, err := hasContent(s.Dir(DatasetRejects)); err != nil {
		return wrap(err)
	} else if ok {
		if err := os.Rename(s.Dir(DatasetRejects), filepath.Join(kept, DatasetRejects)); err != nil {
			return wrap(err)
		}
	}
	if err := writeMarker(kept, marker{RunID: s.runID, RunDate: s.date}); err != nil {
		return wrap(err)
	}
	if err := syncTree(kept); err != nil {
		return wrap(err)
	}
	if err := os.MkdirAll(filepath.Join(o.root, FailedFolder), 0o755); err != nil {
		return wrap(err)
	}
	if err := syncDir(o.root); err != nil {
		return wrap(err)
	}
	target := filepath.Join(o.root, FailedFolder, partition(s.date))
	if err := o.switchIn(kept, target, filepath.Join(s.dir, retiredName, FailedFolder)); err != nil {
		return wrap(err)
	}
	s.done = true
	if err := os.RemoveAll(s.dir); err != nil {
		return wrap(err)
	}
	o.log.Warn("run failed: nothing published; its rejects and manifest are kept", "run_id", s.runID, "folder", target)
	return nil
}

func (o *Out) checkStaging(s *Staging, op string) error {
	if s == nil || s.out != o {
		return fmt.Errorf("%s: the staging folder is not from output root %s", op, o.root)
	}
	if s.done {
		return fmt.Errorf("%s run %s: already published, failed or discarded", op, s.runID)
	}
	if s.journaled {
		return fmt.Errorf("%s run %s: a publish of it is under way; the next run rolls it forward", op, s.runID)
	}
	return o.requireLock(op + " run " + s.runID)
}

// hasContent reports whether a folder holds anything besides a marker; a
// missing folder holds nothing.
func hasContent(dir string) (bool, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, e := range entries {
		if e.Name() != markerName {
			return true, nil
		}
	}
	return false, nil
}
