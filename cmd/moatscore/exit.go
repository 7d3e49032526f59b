package main

import (
	"errors"
	"fmt"

	"moatscore/data"
	"moatscore/pipeline"
)

// Exit codes, decided from the error's type in exitCode and nowhere else.
const (
	exitOK      = 0 // success
	exitFailure = 1 // unreadable file, I/O error, interrupted by SIGINT or SIGTERM
	exitUsage   = 2 // usage or configuration error
	exitQuality = 3 // data quality: rejected rows (validate), a reject share over the limit (run)
)

// exitCodesHelp documents the exit codes in `moatscore --help`.
const exitCodesHelp = `Exit codes:
  0  success (run: published, maybe with rejects under run.max_reject_share)
  1  failure: a file cannot be read, an I/O error, interrupted by SIGINT or SIGTERM
  2  usage or configuration error
  3  data quality: validate found rejected rows; run found a table whose reject
     share is over run.max_reject_share (nothing published)`

// usageError is a command-line mistake: an unknown command or flag, a
// missing argument, a flag value out of range.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// interruptedError is a command stopped by a signal (or a cancelled context).
type interruptedError struct {
	cause error // why the context ended: the signal
	err   error // what the command returned
}

func (e *interruptedError) Error() string {
	return fmt.Sprintf("interrupted (%v): stopped cleanly, nothing more was written", e.cause)
}
func (e *interruptedError) Unwrap() error { return e.err }

// exitCode maps an error to the process exit code.
func exitCode(err error) int {
	var (
		usage  *usageError
		config *pipeline.ConfigError
		ref    *data.ReferenceError
		intr   *interruptedError
		qual   *pipeline.QualityError
	)
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &intr):
		return exitFailure
	case errors.As(err, &usage), errors.As(err, &config), errors.As(err, &ref):
		return exitUsage
	case errors.As(err, &qual):
		return exitQuality
	default:
		return exitFailure
	}
}
