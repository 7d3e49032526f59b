package pipeline

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// signalHandler is a slog handler that closes ch on the first record whose
// message starts with prefix: tests wait on it to know where a goroutine is.
type signalHandler struct {
	prefix string
	ch     chan struct{}
	once   *sync.Once
}

func newSignalLogger(prefix string) (*slog.Logger, <-chan struct{}) {
	h := signalHandler{prefix: prefix, ch: make(chan struct{}), once: new(sync.Once)}
	return slog.New(h), h.ch
}

func (h signalHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h signalHandler) Handle(_ context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, h.prefix) {
		h.once.Do(func() { close(h.ch) })
	}
	return nil
}
func (h signalHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h signalHandler) WithGroup(string) slog.Handler      { return h }

func TestLockBusy(t *testing.T) {
	root := t.TempDir()
	o1, release1 := lockedOut(t, root, nil)
	s, err := o1.Stage(day("2024-05-01"), "r1")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Discard()

	o2, err := OpenOut(root, nil) // busy: opens without recovering
	if err != nil {
		t.Fatalf("OpenOut() of a held root = %v", err)
	}
	if ok, _ := exists(s.dir); !ok {
		t.Fatalf("OpenOut() of a held root removed the holder's staging")
	}
	host, _ := os.Hostname()
	tests := []struct {
		name      string
		wait      time.Duration
		wantParts []string
	}{
		{"no wait", 0, []string{
			"another moatscore run holds " + o2.Root() + " (pid " + strconv.Itoa(os.Getpid()) + " on " + host + ", run date 2024-05-01, started ",
			"; use --wait to wait",
		}},
		{"short wait", 30 * time.Millisecond, []string{
			"another moatscore run holds " + o2.Root() + " (pid ",
			"; still held after waiting 30ms",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release, err := o2.Lock(context.Background(), tt.wait)
			if err == nil {
				release()
				t.Fatalf("Lock(%v) on a held root = nil", tt.wait)
			}
			if !errors.Is(err, ErrLocked) {
				t.Errorf("Lock(%v) = %v, want ErrLocked", tt.wait, err)
			}
			var le *LockedError
			if !errors.As(err, &le) || le.Holder.PID != os.Getpid() || le.Holder.RunID != "r1" {
				t.Errorf("Lock(%v) = %#v, want a *LockedError naming this process and run r1", tt.wait, err)
			}
			for _, p := range tt.wantParts {
				if !strings.Contains(err.Error(), p) {
					t.Errorf("Lock(%v) = %q, want it to contain %q", tt.wait, err, p)
				}
			}
		})
	}

	if _, err := o1.Lock(context.Background(), 0); err == nil || errors.Is(err, ErrLocked) {
		t.Errorf("second Lock() by the holder = %v, want an 'already held' error", err)
	}
	if err := release1(); err != nil {
		t.Fatalf("release() = %v", err)
	}
	if err := release1(); err != nil {
		t.Errorf("second release() = %v, want nil", err)
	}
	if b, _ := os.ReadFile(filepath.Join(root, lockName)); len(b) != 0 {
		t.Errorf("lock file holds %q after release, want empty", b)
	}
	release2, err := o2.Lock(context.Background(), 0)
	if err != nil {
		t.Fatalf("Lock() after release = %v", err)
	}
	release2()
}

func TestLockWaits(t *testing.T) {
	tests := []struct {
		name    string
		cancel  bool // cancel the context instead of releasing the lock
		wantErr error
	}{
		{"released while waiting", false, nil},
		{"cancelled while waiting", true, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			_, release1 := lockedOut(t, root, nil)
			defer release1()
			log, waiting := newSignalLogger("waiting for another run")
			o2, err := OpenOut(root, log)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() {
				release, err := o2.Lock(ctx, time.Hour)
				if err == nil {
					release()
				}
				done <- err
			}()
			<-waiting
			if tt.cancel {
				cancel()
			} else {
				release1()
			}
			err = <-done
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Lock(wait) = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// TestLockWaitRollsForward: a run that waited for the lock rolls forward
// the publish its holder left unfinished.
func TestLockWaitRollsForward(t *testing.T) {
	root := t.TempDir()
	c := &crasher{k: 3}
	o1, release1 := lockedOut(t, root, c.hook)
	log, waiting := newSignalLogger("waiting for another run")
	o2, err := OpenOut(root, log)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	var release2 func() error
	go func() {
		var err error
		release2, err = o2.Lock(context.Background(), time.Hour)
		done <- err
	}()
	<-waiting
	if err := o1.Publish(stageRun(t, o1, "2024-05-01", "r1", DatasetScores)); !errors.Is(err, errCrash) {
		t.Fatalf("Publish() = %v, want the simulated crash", err)
	}
	release1()
	if err := <-done; err != nil {
		t.Fatalf("Lock(wait) = %v", err)
	}
	defer release2()
	if got := checkOutIntact(t, root); got["2024-05-01"] != "r1" {
		t.Errorf("published = %v, want r1 rolled forward", got)
	}
	checkClean(t, root)
}

// The helper process of the tests that need a second process: it is the
// test binary itself, run with helperEnv set.
const (
	helperEnv     = "MOATSCORE_PUBLISH_TEST_HELPER"
	helperRootEnv = "MOATSCORE_PUBLISH_TEST_ROOT"
	helperTagEnv  = "MOATSCORE_PUBLISH_TEST_TAG"
)

func TestPublishHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		return // not a helper: nothing to test
	}
	root := os.Getenv(helperRootEnv)
	o, err := OpenOut(root, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if _, err := o.Lock(context.Background(), 10*time.Second); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	switch mode {
	case "hold":
		if _, err := o.Stage(day("2024-05-01"), "held"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println("locked")
		time.Sleep(time.Hour)
	case "publish":
		publishLoop(t, o, os.Getenv(helperTagEnv))
	}
	os.Exit(0)
}

// startHelper runs the helper process in a mode over root and returns it
// with its standard output.
func startHelper(t *testing.T, mode, root, tag string) (*exec.Cmd, io.Reader) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestPublishHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperRootEnv+"="+root, helperTagEnv+"="+tag)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd, stdout
}

func TestLockAcrossProcesses(t *testing.T) {
	root := t.TempDir()
	cmd, stdout := startHelper(t, "hold", root, "")
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("helper said %q, %v; want locked", line, err)
	}
	o, err := OpenOut(root, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = o.Lock(context.Background(), 0)
	var le *LockedError
	if !errors.As(err, &le) || le.Holder.PID != cmd.Process.Pid || le.Holder.RunDate != "2024-05-01" {
		t.Fatalf("Lock() while the helper holds it = %v, want a *LockedError naming pid %d", err, cmd.Process.Pid)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	// The kernel released the lock with the process: no stale lock.
	release, err := o.Lock(context.Background(), 0)
	if err != nil {
		t.Fatalf("Lock() after the holder was killed = %v", err)
	}
	defer release()
	checkClean(t, root) // the dead holder's staging is gone
}
