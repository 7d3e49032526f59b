package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
)

// newLogger returns the logger the commands pass down: text when format is
// "text", or "auto" and w is a terminal; JSON otherwise. now stamps each
// record, so a test's logs carry its clock.
func newLogger(w io.Writer, format, level string, terminal bool, now func() time.Time) (*slog.Logger, error) {
	var lv slog.Level
	switch strings.ToLower(strings.TrimSpace(level)) {
	case "debug":
		lv = slog.LevelDebug
	case "info", "":
		lv = slog.LevelInfo
	case "warn":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	default:
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{
		Level: lv,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 && now != nil {
				a.Value = slog.TimeValue(now())
			}
			return a
		},
	}
	switch jsonLogs(format, terminal) {
	case true:
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
}

// jsonLogs reports whether logs are JSON for this format and terminal.
func jsonLogs(format string, terminal bool) bool {
	switch strings.ToLower(strings.TrimSpace(format)) {
	case "json":
		return true
	case "text":
		return false
	default: // auto
		return !terminal
	}
}
