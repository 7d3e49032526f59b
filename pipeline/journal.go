package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// The journal, OUT/.journal.json, lists the switches of a publish before
// the first is made. It exists only while a publish is under way, or after
// a crash cut one short: then the next run to take the lock replays it.
// Every step is idempotent, judged from the state of the folders, so a
// replay cut short in turn is simply replayed again: the journal records the
// identity (device, inode, birth time) of each staged folder, which a rename
// keeps, so a published folder that has it is the new version. (No
// marker file goes into the dataset folders: some readers of a partitioned
// dataset take every file in it for Parquet.)

const journalVersion = 1

// Journal operations.
const (
	// opRetire moves a dataset's run_date=D folder out of the dataset,
	// unless it is the one the run installed.
	opRetire = "retire"
	// opInstall switches a dataset's run_date=D folder to the staged one:
	// a swap in one step when there is an old version, else a rename.
	opInstall = "install"
)

type journal struct {
	Version int           `json:"version"`
	RunID   string        `json:"run_id"`
	RunDate string        `json:"run_date"`
	Staging string        `json:"staging"` // relative to OUT, for people; always .staging/<run_id>
	Steps   []journalStep `json:"steps"`
}

type journalStep struct {
	Op       string `json:"op"`
	Dataset  string `json:"dataset"`
	folderID        // of the staged folder, for an install step
}

// folderID is the identity of a folder, which a rename keeps: its device,
// its inode and, when the file system keeps it, its creation time, which
// tells the folder from a later one given the same inode.
type folderID struct {
	Device uint64 `json:"device,omitempty"`
	Inode  uint64 `json:"inode,omitempty"`
	Born   int64  `json:"born,omitempty"` // nanoseconds since 1970
}

// folderIDOf returns the identity of a folder; ok is false when it does not
// exist.
func folderIDOf(path string) (id folderID, ok bool, err error) {
	var stx unix.Statx_t
	err = unix.Statx(unix.AT_FDCWD, path, unix.AT_SYMLINK_NOFOLLOW, unix.STATX_INO|unix.STATX_BTIME, &stx)
	switch {
	case errors.Is(err, unix.ENOENT):
		return id, false, nil
	case errors.Is(err, unix.ENOSYS):
		fi, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return id, false, nil
		}
		if err != nil {
			return id, false, err
		}
		st, isStat := fi.Sys().(*syscall.Stat_t)
		if !isStat {
			return id, false, fmt.Errorf("%s: no inode", path)
		}
		return folderID{Device: uint64(st.Dev), Inode: st.Ino}, true, nil
	case err != nil:
		return id, false, &os.PathError{Op: "statx", Path: path, Err: err}
	}
	id = folderID{Device: unix.Mkdev(stx.Dev_major, stx.Dev_minor), Inode: stx.Ino}
	if stx.Mask&unix.STATX_BTIME != 0 {
		id.Born = stx.Btime.Sec*1e9 + int64(stx.Btime.Nsec)
	}
	return id, true, nil
}

// installed reports whether path is the staged folder of an install step.
func installed(path string, s journalStep) (bool, error) {
	id, ok, err := folderIDOf(path)
	if err != nil {
		return false, fmt.Errorf("publish %s: %w", path, err)
	}
	return ok && id == s.folderID, nil
}

// stagingDir returns the staging folder of a run.
func (o *Out) stagingDir(runID string) string {
	return filepath.Join(o.root, stagingName, runID)
}

func (j *journal) validate() error {
	if j.Version != journalVersion {
		return fmt.Errorf("version %d, want %d", j.Version, journalVersion)
	}
	if !validRunID(j.RunID) {
		return fmt.Errorf("bad run id %q", j.RunID)
	}
	if _, ok := parsePartition(partition(j.RunDate)); !ok {
		return fmt.Errorf("bad run date %q", j.RunDate)
	}
	for i, s := range j.Steps {
		if !validDataset(s.Dataset) {
			return fmt.Errorf("step %d: unknown dataset %q", i, s.Dataset)
		}
		if s.Op != opRetire && s.Op != opInstall {
			return fmt.Errorf("step %d: unknown operation %q", i, s.Op)
		}
		if s.Op == opInstall && s.Inode == 0 {
			return fmt.Errorf("step %d: no inode", i)
		}
	}
	return nil
}

func (o *Out) writeJournal(j *journal) error {
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(o.root, journalName), append(b, '\n')); err != nil {
		return fmt.Errorf("write the publish journal: %w", err)
	}
	return nil
}

// readJournal returns the journal, or nil when there is none.
func (o *Out) readJournal() (*journal, error) {
	path := filepath.Join(o.root, journalName)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the publish journal: %w", err)
	}
	var j journal
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("publish journal %s is unreadable (%w); nothing was changed: check the folders it names, then move it away", path, err)
	}
	if err := j.validate(); err != nil {
		return nil, fmt.Errorf("publish journal %s is invalid (%w); nothing was changed: check the folders it names, then move it away", path, err)
	}
	return &j, nil
}

// recoverLocked rolls forward an unfinished publish and removes the staging
// folders of dead runs. The lock is held.
func (o *Out) recoverLocked() error {
	j, err := o.readJournal()
	if err != nil {
		return err
	}
	if j != nil {
		o.log.Warn("rolling forward a publish cut short", "out", o.root, "run_id", j.RunID, "run_date", j.RunDate)
		if err := o.finish(j); err != nil {
			return fmt.Errorf("roll forward the publish of run %s for %s: %w", j.RunID, j.RunDate, err)
		}
		o.log.Info("rolled forward", "run_id", j.RunID, "run_date", j.RunDate)
	}
	return o.cleanStaging()
}

// cleanStaging removes everything under OUT/.staging, and a journal's
// temporary file: with the lock held and no journal left, they belong to
// dead runs.
func (o *Out) cleanStaging() error {
	if err := os.Remove(filepath.Join(o.root, journalName+".tmp")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove a stale journal: %w", err)
	}
	dir := filepath.Join(o.root, stagingName)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("clean staging: %w", err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("clean staging: %w", err)
		}
		o.log.Info("removed the staging folder of a dead run", "folder", filepath.Join(dir, e.Name()))
	}
	return nil
}

// finish applies the journal's steps, then removes the journal and the
// staging folder.
func (o *Out) finish(j *journal) error {
	for i, s := range j.Steps {
		var err error
		switch s.Op {
		case opRetire:
			err = o.retire(j, i, s.Dataset)
		case opInstall:
			err = o.install(j, i, s)
		}
		if err != nil {
			return err
		}
	}
	if err := os.Remove(filepath.Join(o.root, journalName)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove the publish journal: %w", err)
	}
	if err := syncDir(o.root); err != nil {
		return err
	}
	if err := o.event("journal removed"); err != nil {
		return err
	}
	if err := os.RemoveAll(o.stagingDir(j.RunID)); err != nil {
		return fmt.Errorf("remove staging: %w", err)
	}
	return nil
}

// retire moves OUT/<dataset>/run_date=D out of the dataset into the
// staging folder and removes it, unless it is the staged folder of the run
// being published, installed already.
func (o *Out) retire(j *journal, step int, dataset string) error {
	pub := filepath.Join(o.root, dataset, partition(j.RunDate))
	there, err := exists(pub)
	if err != nil {
		return fmt.Errorf("retire %s: %w", pub, err)
	}
	for _, s := range j.Steps {
		if !there {
			break
		}
		if s.Op == opInstall && s.Dataset == dataset {
			ours, err := installed(pub, s)
			if err != nil {
				return err
			}
			there = !ours
		}
	}
	if there {
		trash := filepath.Join(o.stagingDir(j.RunID), retiredName, dataset)
		if err := os.RemoveAll(trash); err != nil {
			return fmt.Errorf("retire %s: %w", pub, err)
		}
		if err := os.MkdirAll(filepath.Dir(trash), 0o755); err != nil {
			return fmt.Errorf("retire %s: %w", pub, err)
		}
		if err := os.Rename(pub, trash); err != nil {
			return fmt.Errorf("retire %s: %w", pub, err)
		}
		if err := syncDir(filepath.Dir(pub)); err != nil {
			return err
		}
		if err := o.event(fmt.Sprintf("step %d switched", step)); err != nil {
			return err
		}
		if err := os.RemoveAll(trash); err != nil {
			return fmt.Errorf("retire %s: %w", pub, err)
		}
	}
	return o.event(fmt.Sprintf("step %d done", step))
}

// install switches OUT/<dataset>/run_date=D to the staged folder. When the
// published folder already is the staged one, the switch was made; what is
// left in the staged folder's place is the old version, removed.
func (o *Out) install(j *journal, step int, s journalStep) error {
	pub := filepath.Join(o.root, s.Dataset, partition(j.RunDate))
	staged := filepath.Join(o.stagingDir(j.RunID), s.Dataset, partition(j.RunDate))
	trash := filepath.Join(o.stagingDir(j.RunID), retiredName, s.Dataset)
	done, err := installed(pub, s)
	if err != nil {
		return err
	}
	if !done {
		if ok, err := installed(staged, s); err != nil || !ok {
			if err == nil {
				err = fmt.Errorf("publish %s: the staged folder %s is missing or not the one journaled", pub, staged)
			}
			return err
		}
		if err := o.switchIn(staged, pub, trash); err != nil {
			return err
		}
		if err := o.event(fmt.Sprintf("step %d switched", step)); err != nil {
			return err
		}
	}
	for _, old := range []string{staged, trash} {
		if err := os.RemoveAll(old); err != nil {
			return fmt.Errorf("remove the old %s: %w", pub, err)
		}
	}
	return o.event(fmt.Sprintf("step %d done", step))
}

// switchIn puts the folder staged in the place of pub: in one step when
// pub exists and the file system can swap, else by renames (pub moved to
// trash first, so a reader may briefly find no folder, never a part of one).
// The old version, if any, ends up at staged or trash.
func (o *Out) switchIn(staged, pub, trash string) error {
	ok, err := exists(staged)
	if err != nil {
		return fmt.Errorf("publish %s: %w", pub, err)
	}
	if !ok {
		return fmt.Errorf("publish %s: the staged folder %s is missing", pub, staged)
	}
	if err := os.MkdirAll(filepath.Dir(pub), 0o755); err != nil {
		return fmt.Errorf("publish %s: %w", pub, err)
	}
	had, err := exists(pub)
	if err != nil {
		return fmt.Errorf("publish %s: %w", pub, err)
	}
	if had {
		err = errExchangeUnsupported
		if !o.noExchange {
			err = exchange(staged, pub)
		}
		if errors.Is(err, errExchangeUnsupported) {
			o.log.Warn("the file system cannot swap folders in one step; replacing by two renames", "folder", pub)
			if err := os.RemoveAll(trash); err != nil {
				return fmt.Errorf("publish %s: %w", pub, err)
			}
			if err := os.MkdirAll(filepath.Dir(trash), 0o755); err != nil {
				return fmt.Errorf("publish %s: %w", pub, err)
			}
			if err := os.Rename(pub, trash); err != nil {
				return fmt.Errorf("publish %s: %w", pub, err)
			}
			if err := o.event("old version moved away"); err != nil {
				return err
			}
			had = false
		} else if err != nil {
			return fmt.Errorf("publish %s: %w", pub, err)
		}
	}
	if !had {
		if err := os.Rename(staged, pub); err != nil {
			return fmt.Errorf("publish %s: %w", pub, err)
		}
	}
	if err := syncDir(filepath.Dir(pub)); err != nil {
		return err
	}
	return syncDir(filepath.Dir(staged))
}
