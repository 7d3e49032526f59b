package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"moatscore/data"
	"moatscore/valuation"
)

// Config is the one typed configuration the pipeline receives. The command
// line fills it from defaults, the YAML config file, MOATSCORE_* variables
// and flags; every field's key is its mapstructure tag path (run.keep_runs).
// Paths are as resolved by the loader: a path from a config file is already
// joined to the file's directory.
type Config struct {
	Input     InputConfig         `mapstructure:"input" yaml:"input" json:"input"`
	Out       string              `mapstructure:"out" yaml:"out" json:"out"`
	RunDate   Date                `mapstructure:"run_date" yaml:"run_date" json:"run_date"`
	Run       RunConfig           `mapstructure:"run" yaml:"run" json:"run"`
	Rank      RankConfig          `mapstructure:"rank" yaml:"rank" json:"rank"`
	Reference data.ReferenceFiles `mapstructure:"reference" yaml:"reference" json:"reference"`
	Valuation valuation.Config    `mapstructure:"valuation" yaml:"valuation" json:"valuation"`
	Log       LogConfig           `mapstructure:"log" yaml:"log" json:"log"`
}

// InputConfig locates the four input datasets. Each table's spec is a file,
// a directory or a glob; a table without its own spec is the folder of its
// name under Dir.
type InputConfig struct {
	Dir           string `mapstructure:"dir" yaml:"dir" json:"dir"`
	Companies     string `mapstructure:"companies" yaml:"companies" json:"companies"`
	ModelUsage    string `mapstructure:"model_usage" yaml:"model_usage" json:"model_usage"`
	DataAssets    string `mapstructure:"data_assets" yaml:"data_assets" json:"data_assets"`
	FundingRounds string `mapstructure:"funding_rounds" yaml:"funding_rounds" json:"funding_rounds"`
}

// RunConfig holds the settings of a run.
type RunConfig struct {
	// MaxRejectShare is the share of a table's rows that may be rejected
	// before the run fails; 0.05 by default.
	MaxRejectShare float64 `mapstructure:"max_reject_share" yaml:"max_reject_share" json:"max_reject_share"`
	// KeepRuns is how many run dates to keep in the outputs; 0 keeps all.
	KeepRuns int `mapstructure:"keep_runs" yaml:"keep_runs" json:"keep_runs"`
	// Wait is how long to wait for another run's lock on the output folder;
	// 0 fails at once.
	Wait Duration `mapstructure:"wait" yaml:"wait" json:"wait"`
}

// RankConfig holds the ranking settings.
type RankConfig struct {
	By string `mapstructure:"by" yaml:"by" json:"by"` // one of RankKeys
}

// LogConfig holds the logging settings.
type LogConfig struct {
	Format string `mapstructure:"format" yaml:"format" json:"format"` // text, json or auto
	Level  string `mapstructure:"level" yaml:"level" json:"level"`    // debug, info, warn or error
}

// Default values of the settings that have one.
const (
	DefaultOut            = "./moatscore-out"
	DefaultMaxRejectShare = 0.05
	DefaultLogFormat      = "auto"
	DefaultLogLevel       = "info"
)

// LogFormats and LogLevels list the values of log.format and log.level.
var (
	LogFormats = []string{"auto", "text", "json"}
	LogLevels  = []string{"debug", "info", "warn", "error"}
)

// DefaultConfig returns the configuration used when nothing is set. Its
// RunDate is zero: the command line sets it to today (UTC).
func DefaultConfig() Config {
	return Config{
		Out:  DefaultOut,
		Run:  RunConfig{MaxRejectShare: DefaultMaxRejectShare},
		Rank: RankConfig{By: DefaultRankBy},
		Log:  LogConfig{Format: DefaultLogFormat, Level: DefaultLogLevel},

		Valuation: valuation.DefaultConfig(),
	}
}

// ConfigError is an invalid setting. Key is the setting's key (run.wait);
// Source, when known, says where the value came from (a flag, a variable,
// the config file).
type ConfigError struct {
	Key    string
	Source string
	Err    error
}

func (e *ConfigError) Error() string {
	if e.Key == "" {
		if e.Source != "" {
			return fmt.Sprintf("config: %s: %v", e.Source, e.Err)
		}
		return fmt.Sprintf("config: %v", e.Err)
	}
	if e.Source != "" {
		return fmt.Sprintf("config: %s (from %s): %v", e.Key, e.Source, e.Err)
	}
	return fmt.Sprintf("config: %s: %v", e.Key, e.Err)
}

func (e *ConfigError) Unwrap() error { return e.Err }

func keyErr(key, format string, args ...any) error {
	return &ConfigError{Key: key, Err: fmt.Errorf(format, args...)}
}

// Validate checks every setting and returns the errors found, each a
// *ConfigError naming its key, joined.
func (c *Config) Validate() error {
	var errs []error
	add := func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			errs = append(errs, j.Unwrap()...)
		} else if err != nil {
			errs = append(errs, err)
		}
	}
	add(c.Input.Validate())
	if strings.TrimSpace(c.Out) == "" {
		add(keyErr("out", "must not be empty"))
	}
	if y := c.RunDate.Year(); !c.RunDate.IsZero() && (y < 1900 || y > 9999) {
		add(keyErr("run_date", "year %d is outside 1900..9999", y))
	}
	if s := c.Run.MaxRejectShare; math.IsNaN(s) || s < 0 || s > 1 {
		add(keyErr("run.max_reject_share", "must be a fraction in [0, 1], got %v", s))
	}
	if c.Run.KeepRuns < 0 {
		add(keyErr("run.keep_runs", "must be 0 (keep all) or more, got %d", c.Run.KeepRuns))
	}
	if c.Run.Wait.Duration < 0 {
		add(keyErr("run.wait", "must not be negative, got %v", c.Run.Wait))
	}
	if !slices.Contains(RankKeys, c.Rank.By) {
		add(keyErr("rank.by", "want one of %s, got %q", strings.Join(RankKeys, ", "), c.Rank.By))
	}
	if !slices.Contains(LogFormats, c.Log.Format) {
		add(keyErr("log.format", "want one of %s, got %q", strings.Join(LogFormats, ", "), c.Log.Format))
	}
	if !slices.Contains(LogLevels, c.Log.Level) {
		add(keyErr("log.level", "want one of %s, got %q", strings.Join(LogLevels, ", "), c.Log.Level))
	}
	add(valuationErrors(c.Valuation.Validate()))
	return errors.Join(errs...)
}

// valuationErrors turns the errors of valuation.Config.Validate, each
// "valuation.key: problem", into *ConfigErrors naming the key.
func valuationErrors(err error) error {
	if err == nil {
		return nil
	}
	list := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	}
	out := make([]error, 0, len(list))
	for _, e := range list {
		var ce *ConfigError
		if errors.As(e, &ce) {
			out = append(out, ce)
			continue
		}
		key, msg, ok := strings.Cut(e.Error(), ": ")
		if !ok || !strings.HasPrefix(key, "valuation") || strings.ContainsAny(key, " \n") {
			key, msg = "valuation", e.Error()
		}
		out = append(out, &ConfigError{Key: key, Err: errors.New(msg)})
	}
	return errors.Join(out...)
}

// Given reports whether any input is set. With none, `moatscore run` scores
// the built-in demo dataset.
func (in InputConfig) Given() bool {
	return in != InputConfig{}
}

// Spec returns the dataset spec of the named input table: its own setting,
// else the folder of its name under Dir, else "".
func (in InputConfig) Spec(table string) string {
	var own string
	switch table {
	case data.TableCompanies:
		own = in.Companies
	case data.TableModelUsage:
		own = in.ModelUsage
	case data.TableDataAssets:
		own = in.DataAssets
	case data.TableFundingRounds:
		own = in.FundingRounds
	}
	if own != "" || in.Dir == "" {
		return own
	}
	return filepath.Join(in.Dir, table)
}

// Specs returns the spec of every input table, by table name.
func (in InputConfig) Specs() map[string]string {
	m := make(map[string]string, len(data.Inputs))
	for _, t := range data.Inputs {
		m[t.Name] = in.Spec(t.Name)
	}
	return m
}

// Validate checks that, when any input is given, every table has a spec.
// No input at all is valid: it is the caller's choice what that means.
func (in InputConfig) Validate() error {
	if !in.Given() {
		return nil
	}
	var errs []error
	for _, t := range data.Inputs {
		if in.Spec(t.Name) == "" {
			errs = append(errs, keyErr("input."+t.Name, "not set: set input.dir or input.%s", t.Name))
		}
	}
	return errors.Join(errs...)
}

// Date is a calendar date, written YYYY-MM-DD; the zero Date is unset. It
// holds midnight UTC of the day.
type Date struct{ time.Time }

// DateLayout is how a Date is written.
const DateLayout = "2006-01-02"

// ParseDate parses a YYYY-MM-DD date.
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Date{}, nil
	}
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return Date{}, fmt.Errorf("want a date as YYYY-MM-DD, got %q", s)
	}
	return Date{t}, nil
}

// DateOf returns the UTC calendar day of t.
func DateOf(t time.Time) Date {
	y, m, d := t.UTC().Date()
	return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.Format(DateLayout)
}

func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

func (d Date) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

func (d *Date) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	return d.UnmarshalText([]byte(s))
}

// Duration is a length of time written as Go writes durations (90s, 5m, 1h30m).
type Duration struct{ time.Duration }

// ParseDuration parses a duration; "" and "0" are zero.
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return Duration{}, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return Duration{}, fmt.Errorf("want a duration such as 30s, 5m or 1h, got %q", s)
	}
	return Duration{v}, nil
}

func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	return d.UnmarshalText([]byte(s))
}
