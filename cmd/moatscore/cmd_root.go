package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"moatscore/pipeline"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"
)

// env is what a command sees of the world: its output streams, its
// environment variables, its clock and its working directory. Tests give
// their own.
type env struct {
	stdout, stderr io.Writer
	environ        []string // KEY=VALUE, as os.Environ
	now            func() time.Time
	wd             string // where ./moatscore.yaml is looked for
	isTerminal     func(w io.Writer) bool
}

func osEnv() *env {
	return &env{
		stdout:     os.Stdout,
		stderr:     os.Stderr,
		environ:    os.Environ(),
		now:        time.Now,
		wd:         ".",
		isTerminal: isTerminal,
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// app is the state shared by the commands of one invocation.
type app struct {
	env        *env
	configFile string        // --config
	config     *loadedConfig // set before a command that needs it runs
	log        *slog.Logger
	jsonLogs   bool
	progress   *pipeline.Progress // bars on a terminal; the logs write through it
	started    bool               // past argument checks: later errors are the command's own
}

// noConfigAnnotation marks a command that runs without loading the
// configuration (it reads no setting).
const noConfigAnnotation = "moatscore/no-config"

const rootLong = `moatscore scores AI companies on wrapper exposure (how much of the product
rests on someone else's model API) and data moat (proprietary data the company
can train on), from four Parquet datasets: companies, model_usage, data_assets
and funding_rounds. See "moatscore schema" for the data contract.

Configuration, lowest priority first: defaults; a YAML config file (--config
FILE, else $MOATSCORE_CONFIG, else ./moatscore.yaml when present; paths in it
are relative to the file); MOATSCORE_* environment variables (a key's dots
become underscores: MOATSCORE_RUN_MAX_REJECT_SHARE sets run.max_reject_share);
flags. "moatscore config" prints the effective configuration.

` + exitCodesHelp

// newRootCmd builds the command tree for one invocation.
func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:               "moatscore",
		Short:             "Score AI companies on wrapper exposure and data moat",
		Long:              rootLong,
		SilenceErrors:     true,
		SilenceUsage:      true,
		PersistentPreRunE: a.prepare,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVar(&a.configFile, "config", "", "config file (default ./moatscore.yaml when present, or $MOATSCORE_CONFIG)")
	pf.String("log-format", "auto", "log format: auto (text on a terminal, JSON otherwise), text or json")
	pf.String("log-level", "info", "log level: debug, info, warn or error")
	bindFlag(pf, "log-format", "log.format")
	bindFlag(pf, "log-level", "log.level")

	root.AddCommand(
		newConfigCmd(a),
		newExplainCmd(a),
		newGenerateCmd(a),
		newRunCmd(a),
		newSchemaCmd(a),
		newValidateCmd(a),
	)
	return root
}

// prepare runs before every command: it checks the flags, loads the
// configuration and sets up logging. A command must not set its own
// PersistentPreRunE.
func (a *app) prepare(cmd *cobra.Command, _ []string) error {
	if err := cmd.ValidateRequiredFlags(); err != nil {
		return &usageError{err}
	}
	if err := cmd.ValidateFlagGroups(); err != nil {
		return &usageError{err}
	}
	a.started = true
	terminal := a.env.isTerminal(a.env.stderr)
	a.progress = pipeline.NewProgress(a.env.stderr, terminal)
	logw := a.progress.LogWriter(a.env.stderr)
	format, level := flagString(cmd, "log-format"), flagString(cmd, "log-level")
	if !needsConfig(cmd) {
		log, err := newLogger(logw, format, level, terminal, a.env.now)
		if err != nil {
			return &usageError{err}
		}
		a.log, a.jsonLogs = log, jsonLogs(format, terminal)
		return nil
	}
	lc, err := loadConfig(a.env, cmd.Flags(), a.configFile)
	if err != nil {
		return err
	}
	a.config = lc
	log, err := newLogger(logw, lc.cfg.Log.Format, lc.cfg.Log.Level, terminal, a.env.now)
	if err != nil {
		return err // Validate has checked both keys already
	}
	a.log, a.jsonLogs = log, jsonLogs(lc.cfg.Log.Format, terminal)
	if lc.file != "" {
		a.log.Debug("config file read", "file", lc.file)
	}
	return nil
}

func needsConfig(cmd *cobra.Command) bool {
	for c := cmd; c != nil; c = c.Parent() {
		if c.Annotations[noConfigAnnotation] != "" || c.Name() == "help" || c.Name() == "completion" {
			return false
		}
	}
	return true
}

func flagString(cmd *cobra.Command, name string) string {
	s, _ := cmd.Flags().GetString(name)
	return s
}

// execute runs the command line args and returns the exit code. The one
// error a command returns is reported here, once.
func execute(ctx context.Context, args []string, e *env) int {
	a := &app{env: e}
	root := newRootCmd(a)
	root.SetArgs(args)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetIn(strings.NewReader(""))
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	var usage *usageError
	switch {
	case ctx.Err() != nil:
		err = &interruptedError{cause: context.Cause(ctx), err: err}
	case !a.started && !errors.As(err, &usage):
		// cobra's own argument checks: an unknown command, a missing argument.
		err = &usageError{err}
	}
	code := exitCode(err)
	a.report(cmd, err, code)
	return code
}

// report tells the user why the command failed: a log record with JSON
// logs, else plain lines on stderr.
func (a *app) report(cmd *cobra.Command, err error, code int) {
	if a.log != nil && a.jsonLogs {
		a.log.Error(err.Error(), "exit_code", code)
		return
	}
	for line := range strings.SplitSeq(err.Error(), "\n") {
		fmt.Fprintf(a.env.stderr, "moatscore: %s\n", line)
	}
	if code == exitUsage && cmd != nil {
		var usage *usageError
		if errors.As(err, &usage) {
			fmt.Fprintf(a.env.stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
	}
}
