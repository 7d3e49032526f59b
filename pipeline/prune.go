package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// Prune keeps the newest keep published run dates and removes every
// folder dated before the oldest of them: the datasets of older runs,
// failed runs and leftovers of an earlier prune cut short. keep <= 0 keeps
// everything. It needs the lock.
//
// Each folder goes in one step (renamed out of its dataset, then deleted),
// the manifest folder of a date first, so that a date pruned halfway is no
// longer a complete run.
func (o *Out) Prune(keep int) error {
	if keep <= 0 {
		return nil
	}
	if err := o.requireLock("prune"); err != nil {
		return err
	}
	dates, err := o.published()
	if err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	if len(dates) == 0 {
		return nil
	}
	cutoff := dates[max(0, len(dates)-keep)]
	folders := append(slices.Clone(datasets), FailedFolder)
	var old []string
	for _, f := range folders {
		parts, err := o.partitions(f)
		if err != nil {
			return fmt.Errorf("prune: %w", err)
		}
		for _, d := range parts {
			if d < cutoff {
				old = append(old, d)
			}
		}
	}
	if len(old) == 0 {
		return nil
	}
	slices.Sort(old)
	old = slices.Compact(old)

	trash := filepath.Join(o.root, stagingName, pruneName)
	if err := os.RemoveAll(trash); err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	if err := os.MkdirAll(trash, 0o755); err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	// The manifest folder first.
	order := append([]string{DatasetRuns}, slices.DeleteFunc(folders, func(f string) bool { return f == DatasetRuns })...)
	for _, d := range old {
		for _, f := range order {
			if err := o.removePartition(f, d, trash); err != nil {
				return fmt.Errorf("prune %s: %w", d, err)
			}
		}
		o.log.Info("pruned run date", "run_date", d)
	}
	if err := os.RemoveAll(trash); err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	return nil
}

// removePartition removes OUT/<folder>/run_date=<date>, if present, in one
// step: renamed into trash, then deleted.
func (o *Out) removePartition(folder, date, trash string) error {
	path := filepath.Join(o.root, folder, partition(date))
	ok, err := exists(path)
	if err != nil || !ok {
		return err
	}
	gone := filepath.Join(trash, folder+"-"+date)
	if err := os.RemoveAll(gone); err != nil {
		return err
	}
	if err := os.Rename(path, gone); err != nil {
		return err
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return err
	}
	if err := o.event("pruned " + folder + " " + date); err != nil {
		return err
	}
	return os.RemoveAll(gone)
}
