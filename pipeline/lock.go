package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// ErrLocked is the error (for errors.Is) of a run that found its output root
// held by another run. The error itself is a *LockedError.
var ErrLocked = errors.New("output root held by another run")

// LockedError says that another run holds the output root, and which.
type LockedError struct {
	Root   string        // the output root
	Holder Holder        // what the lock file says of its holder; zero when it says nothing
	Waited time.Duration // how long the caller waited for the lock; 0 when it did not
}

func (e *LockedError) Error() string {
	var b strings.Builder
	b.WriteString("another moatscore run holds ")
	b.WriteString(e.Root)
	if e.Holder.PID != 0 {
		b.WriteString(" (")
		b.WriteString(e.Holder.String())
		b.WriteString(")")
	}
	if e.Waited > 0 {
		fmt.Fprintf(&b, "; still held after waiting %s", e.Waited)
	} else {
		b.WriteString("; use --wait to wait")
	}
	return b.String()
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// Holder describes the run holding an output root, as written in its lock
// file.
type Holder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Started time.Time `json:"started"`
	RunDate string    `json:"run_date,omitempty"` // once the run has staged
	RunID   string    `json:"run_id,omitempty"`   // once the run has staged
}

// String reads as "pid 1234 on host, run date 2024-05-01, started 2024-05-01T02:00:00Z".
func (h Holder) String() string {
	s := fmt.Sprintf("pid %d", h.PID)
	if h.Host != "" {
		s += " on " + h.Host
	}
	if h.RunDate != "" {
		s += ", run date " + h.RunDate
	}
	if !h.Started.IsZero() {
		s += ", started " + h.Started.UTC().Format(time.RFC3339)
	}
	return s
}

// Lock takes the output root for one run. When another run holds it, Lock
// fails at once with a *LockedError (errors.Is ErrLocked) if wait is 0, else
// it polls until the lock is free, wait has passed (a *LockedError) or ctx is
// done (ctx's error). Once it holds the lock, Lock rolls forward a publish
// left unfinished by a crashed run and removes the staging folders of dead
// runs.
//
// The lock is flock(2) on OUT/.lock, so the kernel releases it when the
// holding process ends, however it ends. The release function is safe to
// call more than once.
func (o *Out) Lock(ctx context.Context, wait time.Duration) (release func() error, err error) {
	var deadline time.Time
	if wait > 0 {
		deadline = time.Now().Add(wait)
	}
	delay := 50 * time.Millisecond
	logged := false
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("lock output root %s: %w", o.root, err)
		}
		release, err := o.tryLock()
		if err == nil {
			return release, nil
		}
		var le *LockedError
		if !errors.As(err, &le) || wait <= 0 {
			return nil, err
		}
		remaining := time.Until(deadline)
		if remaining <= 0 {
			le.Waited = wait
			return nil, le
		}
		if !logged {
			o.log.Info("waiting for another run to release the output root", "out", o.root, "holder", le.Holder.String(), "wait", wait)
			logged = true
		}
		timer := time.NewTimer(min(delay, remaining))
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, fmt.Errorf("wait for the lock on output root %s: %w", o.root, ctx.Err())
		case <-timer.C:
		}
		delay = min(2*delay, time.Second)
	}
}

// tryLock takes the lock if it is free and recovers OUT, or fails with a
// *LockedError.
func (o *Out) tryLock() (func() error, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.lock != nil {
		return nil, fmt.Errorf("lock output root %s: already held by this process", o.root)
	}
	path := filepath.Join(o.root, lockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock output root: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, &LockedError{Root: o.root, Holder: readHolder(path)}
		}
		return nil, fmt.Errorf("lock output root: flock %s: %w", path, err)
	}
	o.lock = f
	host, _ := os.Hostname()
	o.holder = Holder{PID: os.Getpid(), Host: host, Started: o.now().UTC().Truncate(time.Second)}
	err = o.writeHolderLocked()
	if err == nil {
		err = o.recoverLocked()
	}
	if err != nil {
		o.unlockLocked(f)
		return nil, err
	}
	var once sync.Once
	var rerr error
	return func() error {
		once.Do(func() {
			o.mu.Lock()
			defer o.mu.Unlock()
			rerr = o.unlockLocked(f)
		})
		return rerr
	}, nil
}

// unlockLocked releases the lock held through f; o.mu is held.
func (o *Out) unlockLocked(f *os.File) error {
	if o.lock != f {
		return nil
	}
	o.lock = nil
	o.holder = Holder{}
	_ = f.Truncate(0) // the holder is gone; a stale record would only mislead
	err := unix.Flock(int(f.Fd()), unix.LOCK_UN)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("release the lock on output root %s: %w", o.root, err)
	}
	return nil
}

// writeHolderLocked records o.holder in the lock file; o.mu is held.
func (o *Out) writeHolderLocked() error {
	b, err := json.Marshal(o.holder)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	// Write before truncating, so a reader never finds the file empty
	// while it is held.
	if _, err := o.lock.WriteAt(b, 0); err != nil {
		return fmt.Errorf("lock output root: write %s: %w", o.lock.Name(), err)
	}
	if err := o.lock.Truncate(int64(len(b))); err != nil {
		return fmt.Errorf("lock output root: write %s: %w", o.lock.Name(), err)
	}
	return nil
}

// readHolder reads the holder record of a lock file; a missing or torn
// record gives a zero Holder.
func readHolder(path string) Holder {
	var h Holder
	b, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(b, &h) != nil {
		return Holder{}
	}
	return h
}

// requireLock fails unless this Out holds the lock.
func (o *Out) requireLock(op string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.lock == nil {
		return fmt.Errorf("%s in output root %s: the lock is not held (call Lock first)", op, o.root)
	}
	return nil
}
