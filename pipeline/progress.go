package pipeline

import (
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Progress draws one progress bar per stage of a run. It draws only when
// enabled (the command enables it when the bars' writer is a terminal); a
// disabled Progress, or a nil one, does nothing.
type Progress struct {
	w       io.Writer
	enabled bool

	mu     sync.Mutex
	active *progressbar.ProgressBar // the bar being drawn, if any
}

// NewProgress returns a Progress drawing on w when enabled.
func NewProgress(w io.Writer, enabled bool) *Progress {
	return &Progress{w: w, enabled: enabled && w != nil}
}

// LogWriter returns w for the log lines that share the terminal with the
// bars: each write first clears the bar being drawn, so a log line never
// lands in the middle of a bar; the bar draws itself again on its next
// update. On a nil or disabled Progress it returns w as it is.
func (p *Progress) LogWriter(w io.Writer) io.Writer {
	if p == nil || !p.enabled {
		return w
	}
	return logWriter{p: p, w: w}
}

type logWriter struct {
	p *Progress
	w io.Writer
}

func (l logWriter) Write(b []byte) (int, error) {
	l.p.mu.Lock()
	defer l.p.mu.Unlock()
	if l.p.active != nil {
		_ = l.p.active.Clear()
	}
	return l.w.Write(b)
}

// Bar is the progress bar of one stage. Its methods are safe for
// concurrent use, and do nothing on a nil Bar.
type Bar struct {
	p *Progress
	b *progressbar.ProgressBar
}

// Stage starts the bar of a stage counting toward total units (rows, row
// groups); a total of -1 is unknown and shows a spinner with the count.
func (p *Progress) Stage(name string, total int64, unit string) *Bar {
	if p == nil || !p.enabled {
		return nil
	}
	b := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(name),
		progressbar.OptionSetItsString(unit),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetWidth(30),
	)
	p.mu.Lock()
	p.active = b
	p.mu.Unlock()
	return &Bar{p: p, b: b}
}

// Add counts n more units done.
func (b *Bar) Add(n int64) {
	if b != nil {
		_ = b.b.Add64(n)
	}
}

// Done finishes the bar and clears it.
func (b *Bar) Done() {
	if b != nil {
		_ = b.b.Finish()
		_ = b.b.Close()
		b.p.mu.Lock()
		if b.p.active == b.b {
			b.p.active = nil
		}
		b.p.mu.Unlock()
	}
}
