package pipeline

import (
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Progress draws one progress bar per stage of a run. It draws only when
// enabled (the command enables it when the bars' writer is a terminal); a
// disabled Progress, or a nil one, does nothing.
type Progress struct {
	w       io.Writer
	enabled bool
}

// NewProgress returns a Progress drawing on w when enabled.
func NewProgress(w io.Writer, enabled bool) *Progress {
	return &Progress{w: w, enabled: enabled && w != nil}
}

// Bar is the progress bar of one stage. Its methods are safe for
// concurrent use, and do nothing on a nil Bar.
type Bar struct {
	b *progressbar.ProgressBar
}

// Stage starts the bar of a stage counting toward total units (rows, row
// groups); a total of -1 is unknown and shows a spinner with the count.
func (p *Progress) Stage(name string, total int64, unit string) *Bar {
	if p == nil || !p.enabled {
		return nil
	}
	return &Bar{b: progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(name),
		progressbar.OptionSetItsString(unit),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetWidth(30),
	)}
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
	}
}
