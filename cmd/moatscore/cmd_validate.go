package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"moatscore/data"
	"moatscore/pipeline"
)

type validateOptions struct {
	rejects string
	format  string
}

func (o *validateOptions) AddFlags(fs *pflag.FlagSet) {
	addInputFlags(fs)
	addRunDateFlag(fs)
	fs.StringVar(&o.rejects, "rejects", "", "write one reject record per rejected row to this Parquet `FILE`")
	fs.StringVar(&o.format, "format", "text", "summary format: text or json")
}

func newValidateCmd(a *app) *cobra.Command {
	var opts validateOptions
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check the four input datasets against the data contract",
		Long: `Read the four input datasets, check every row against the data contract
("moatscore schema") and print a summary per table: rows read, accepted,
rejected by reason, and warnings. Every row read is either accepted or
rejected. With --rejects, each rejected row is written as one record to a
Parquet file (table_name, file_path, row_index, column_name, value,
reason_code, message).

Exit codes: 0 every row accepted; 3 some rows rejected; 1 a file cannot be
read (the message names it); 2 a usage or configuration error.`,
		Example: `  moatscore validate --input ./data
  moatscore validate --input-companies 'lake/companies/**/*.parquet' --input-model-usage lake/usage \
      --input-data-assets lake/assets --input-funding-rounds lake/rounds --rejects rejects.parquet`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runValidate(cmd.Context(), a, opts)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

func runValidate(ctx context.Context, a *app, opts validateOptions) error {
	if opts.format != "text" && opts.format != "json" {
		return usageErrorf("--format %q: want text or json", opts.format)
	}
	cfg := &a.config.cfg
	if !cfg.Input.Given() {
		return usageErrorf("no input given: use --input DIR, or --input-companies, --input-model-usage, --input-data-assets and --input-funding-rounds (or input.* in the config)")
	}
	ref, err := cfg.LoadReference()
	if err != nil {
		return err
	}
	log := a.log.With("command", "validate")
	var rejects *rejectsFile
	if opts.rejects != "" {
		meta := map[string]string{"run_date": cfg.RunDate.String()}
		if rejects, err = createRejectsFile(opts.rejects, meta); err != nil {
			return err
		}
		defer rejects.abort()
	}
	iopts := pipeline.IngestOptions{
		Input:     cfg.Input,
		RunDate:   cfg.RunDate.Time,
		Reference: ref,
		Log:       log,
	}
	if rejects != nil {
		iopts.Rejects = rejects
	}
	sum, err := pipeline.Ingest(ctx, memory.DefaultAllocator, iopts)
	if err != nil {
		return err
	}
	if rejects != nil {
		if err := rejects.commit(); err != nil {
			return err
		}
	}
	if opts.format == "json" {
		err = writeValidateJSON(a.env.stdout, cfg, sum, opts.rejects)
	} else {
		err = writeValidateText(a.env.stdout, cfg, sum, opts.rejects)
	}
	if err != nil {
		return err
	}
	return sum.CheckRejects(0)
}

func writeValidateText(w io.Writer, cfg *pipeline.Config, sum *pipeline.IngestSummary, rejectsPath string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Run date %s\n\n", cfg.RunDate)
	t := &textTable{}
	t.add("TABLE", "FILES", "ROWS", "ACCEPTED", "REJECTED", "WARNINGS")
	var files, warnings int64
	for _, ts := range sum.Tables {
		a := ts.Accounting
		w := sumValues(a.Warnings)
		files += int64(len(ts.Files))
		warnings += w
		t.add(ts.Table.Name, num(int64(len(ts.Files))), num(a.RowsIn), num(a.Accepted), num(a.Rejected), num(w))
	}
	rowsIn, accepted, rejected := sum.Totals()
	t.add("total", num(files), num(rowsIn), num(accepted), num(rejected), num(warnings))
	t.write(&b, "")

	reasons := &textTable{}
	warns := &textTable{}
	ignored := &textTable{left: map[int]bool{1: true}}
	for _, ts := range sum.Tables {
		a := ts.Accounting
		for _, r := range slices.Sorted(maps.Keys(a.ByReason)) {
			reasons.add(ts.Table.Name, r, num(a.ByReason[r]))
		}
		for _, c := range slices.Sorted(maps.Keys(a.Warnings)) {
			if a.Warnings[c] > 0 {
				warns.add(ts.Table.Name, c, num(a.Warnings[c]))
			}
		}
		for _, col := range ts.Ignored {
			ignored.add(ts.Table.Name, col)
		}
	}
	if len(reasons.rows) > 0 {
		reasons.left = map[int]bool{1: true}
		b.WriteString("\nREJECTED BY REASON\n")
		reasons.write(&b, "")
	}
	if len(warns.rows) > 0 {
		warns.left = map[int]bool{1: true}
		b.WriteString("\nWARNINGS (rows kept; shares_scaled counts companies)\n")
		warns.write(&b, "")
	}
	if len(ignored.rows) > 0 {
		b.WriteString("\nIGNORED COLUMNS (not in the contract)\n")
		ignored.write(&b, "")
	}
	b.WriteString("\n")
	if rejected == 0 {
		fmt.Fprintf(&b, "All %s rows accepted.\n", num(rowsIn))
	} else {
		fmt.Fprintf(&b, "%s of %s rows rejected.\n", num(rejected), num(rowsIn))
	}
	if rejectsPath != "" {
		fmt.Fprintf(&b, "Reject records written to %s (%s rows).\n", rejectsPath, num(rejected))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

type validateJSON struct {
	RunDate     string              `json:"run_date"`
	Tables      []validateTableJSON `json:"tables"`
	RowsIn      int64               `json:"rows_in"`
	Accepted    int64               `json:"accepted"`
	Rejected    int64               `json:"rejected"`
	RejectsFile string              `json:"rejects_file,omitempty"`
}

type validateTableJSON struct {
	Table    string           `json:"table"`
	Spec     string           `json:"spec"`
	Files    int              `json:"files"`
	Bytes    int64            `json:"bytes"`
	RowsIn   int64            `json:"rows_in"`
	Accepted int64            `json:"accepted"`
	Rejected int64            `json:"rejected"`
	ByReason map[string]int64 `json:"rejected_by_reason"`
	Warnings map[string]int64 `json:"warnings"`
	Ignored  []string         `json:"ignored_columns"`
}

func writeValidateJSON(w io.Writer, cfg *pipeline.Config, sum *pipeline.IngestSummary, rejectsPath string) error {
	out := validateJSON{RunDate: cfg.RunDate.String(), RejectsFile: rejectsPath}
	out.RowsIn, out.Accepted, out.Rejected = sum.Totals()
	for _, ts := range sum.Tables {
		a := ts.Accounting
		tj := validateTableJSON{
			Table: ts.Table.Name, Spec: ts.Spec, Files: len(ts.Files),
			RowsIn: a.RowsIn, Accepted: a.Accepted, Rejected: a.Rejected,
			ByReason: a.ByReason, Warnings: a.Warnings, Ignored: ts.Ignored,
		}
		for _, f := range ts.Files {
			tj.Bytes += f.Size
		}
		if tj.Ignored == nil {
			tj.Ignored = []string{}
		}
		out.Tables = append(out.Tables, tj)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func sumValues(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// num writes an integer with thousands separators: 1,234,567.
func num(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// rejectsFile writes the reject records to a hidden temporary file beside
// path and renames it into place on commit, so an interrupted or failed
// validation leaves no half-written file.
type rejectsFile struct {
	path, tmp string
	w         *data.RejectsWriter
	done      bool
}

func createRejectsFile(path string, meta map[string]string) (*rejectsFile, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("rejects file %s: %w", path, err)
	}
	tmp := f.Name()
	f.Close()
	w, err := data.CreateRejectsFile(tmp, memory.DefaultAllocator, meta)
	if err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("rejects file %s: %w", path, err)
	}
	return &rejectsFile{path: path, tmp: tmp, w: w}, nil
}

func (r *rejectsFile) Write(rejects []data.Reject) error { return r.w.Write(rejects) }

func (r *rejectsFile) commit() error {
	if err := r.w.Close(); err != nil {
		return fmt.Errorf("rejects file %s: %w", r.path, err)
	}
	if err := os.Chmod(r.tmp, 0o644); err != nil {
		return fmt.Errorf("rejects file %s: %w", r.path, err)
	}
	if err := os.Rename(r.tmp, r.path); err != nil {
		return fmt.Errorf("rejects file %s: %w", r.path, err)
	}
	r.done = true
	return nil
}

func (r *rejectsFile) abort() {
	if !r.done {
		r.w.Close()
		os.Remove(r.tmp)
	}
}
