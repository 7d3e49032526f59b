package main

import (
	"encoding"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"moatscore/pipeline"
)

// Where the configuration comes from, lowest priority first: the defaults,
// the YAML config file, MOATSCORE_* environment variables, flags.
const (
	envPrefix         = "MOATSCORE_"
	envConfigFile     = "MOATSCORE_CONFIG" // the config file, when --config is not given
	defaultConfigFile = "moatscore.yaml"   // looked for in the working directory

	// configKeyAnnotation on a flag names the config key the flag sets.
	configKeyAnnotation = "moatscore/config-key"

	sourceDefault = "default"
)

// bindFlag makes the flag set the config key: flags win over the
// environment, which wins over the config file.
func bindFlag(fs *pflag.FlagSet, flag, key string) {
	if err := fs.SetAnnotation(flag, configKeyAnnotation, []string{key}); err != nil {
		panic(err) // a programming error: the flag does not exist
	}
}

// configLeaf is one settable key of pipeline.Config: a field that is not a
// struct of further keys.
type configLeaf struct {
	key   string // run.max_reject_share
	index []int  // field path in pipeline.Config
	typ   reflect.Type
}

func (l configLeaf) env() string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(l.key, ".", "_"))
}

// open reports whether the leaf holds free-form keys of its own (a map).
func (l configLeaf) open() bool {
	k := l.typ.Kind()
	return k == reflect.Map || k == reflect.Interface
}

// scalar reports whether one variable can set the leaf: not a map, not a
// list.
func (l configLeaf) scalar() bool {
	switch l.typ.Kind() {
	case reflect.Map, reflect.Interface, reflect.Slice, reflect.Array:
		return false
	}
	return true
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// configLeaves lists every key of pipeline.Config, in declaration order.
var configLeaves = collectLeaves(reflect.TypeFor[pipeline.Config](), "", nil)

func collectLeaves(t reflect.Type, prefix string, index []int) []configLeaf {
	var out []configLeaf
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("mapstructure"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		key := prefix + name
		idx := append(slices.Clone(index), i)
		if f.Type.Kind() == reflect.Struct && !reflect.PointerTo(f.Type).Implements(textUnmarshaler) {
			out = append(out, collectLeaves(f.Type, key+".", idx)...)
			continue
		}
		out = append(out, configLeaf{key: key, index: idx, typ: f.Type})
	}
	return out
}

func findLeaf(key string) (configLeaf, bool) {
	for _, l := range configLeaves {
		if l.key == key {
			return l, true
		}
	}
	return configLeaf{}, false
}

// isPathKey reports whether the key holds a path, which a config file gives
// relative to its own folder.
func isPathKey(key string) bool {
	return key == "out" || strings.HasPrefix(key, "input.") || strings.HasPrefix(key, "reference.")
}

// loadedConfig is the effective configuration and where it came from.
type loadedConfig struct {
	cfg     pipeline.Config
	file    string            // the config file read; "" when none
	sources map[string]string // key -> default, file, env NAME or flag --name
}

// loadConfig resolves the configuration once: defaults, then the config file
// (configFile, else $MOATSCORE_CONFIG, else ./moatscore.yaml when present),
// then MOATSCORE_* variables, then the flags of fs that are bound to a key
// and were set. Every error is a *pipeline.ConfigError naming the key, the
// variable or the file.
func loadConfig(e *env, fs *pflag.FlagSet, configFile string) (*loadedConfig, error) {
	lc := &loadedConfig{sources: make(map[string]string, len(configLeaves))}
	v := viper.New()
	v.SetConfigType("yaml")

	// The config file.
	envVars := environMap(e.environ)
	fileSource := "flag --config"
	if configFile == "" {
		if f := envVars[envConfigFile]; f != "" {
			configFile, fileSource = f, "env "+envConfigFile
		} else if p := filepath.Join(e.wd, defaultConfigFile); isRegularFile(p) {
			configFile, fileSource = p, sourceDefault
		}
	}
	fileKeys := map[string]bool{}
	if configFile != "" {
		b, err := os.ReadFile(configFile)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, &pipeline.ConfigError{Source: fileSource, Err: fmt.Errorf("config file %s: %w", configFile, err)}
		}
		if err := v.ReadConfig(strings.NewReader(string(b))); err != nil {
			return nil, &pipeline.ConfigError{Source: "file " + configFile, Err: fmt.Errorf("not valid YAML: %w", err)}
		}
		lc.file = configFile
		for _, k := range v.AllKeys() {
			fileKeys[k] = true
		}
		if err := checkFileKeys(v, fileKeys, configFile); err != nil {
			return nil, err
		}
	}

	// MOATSCORE_* variables, over the file.
	envVals := map[string]string{}
	var unknown []string
	for name, val := range envVars {
		if !strings.HasPrefix(name, envPrefix) || name == envConfigFile || val == "" {
			continue
		}
		key, ok := keyOfEnv(name)
		if !ok {
			unknown = append(unknown, name)
			continue
		}
		envVals[key] = val
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		var errs []error
		for _, name := range unknown {
			msg := "unknown variable: MOATSCORE_* variables name config keys, see `moatscore config`"
			var envs []string
			for _, l := range configLeaves {
				if l.scalar() {
					envs = append(envs, l.env())
				}
			}
			if near := nearest(name, envs); near != "" {
				msg = "unknown variable, did you mean " + near + "?"
			}
			errs = append(errs, &pipeline.ConfigError{Source: "env " + name, Err: errors.New(msg)})
		}
		return nil, errors.Join(errs...)
	}
	if len(envVals) > 0 {
		if err := v.MergeConfigMap(nestedMap(envVals)); err != nil {
			return nil, &pipeline.ConfigError{Source: "environment", Err: err}
		}
	}

	// Flags, over everything.
	flagOf := map[string]string{}
	if fs != nil {
		var err error
		fs.VisitAll(func(f *pflag.Flag) {
			keys := f.Annotations[configKeyAnnotation]
			if len(keys) != 1 || err != nil {
				return
			}
			err = v.BindPFlag(keys[0], f)
			if f.Changed {
				flagOf[keys[0]] = "flag --" + f.Name
			}
		})
		if err != nil {
			return nil, fmt.Errorf("bind flags: %w", err)
		}
	}

	// Defaults, under everything; then decode key by key.
	def := pipeline.DefaultConfig()
	dv := reflect.ValueOf(&def).Elem()
	for _, l := range configLeaves {
		if fv := dv.FieldByIndex(l.index); !fv.IsZero() {
			v.SetDefault(l.key, fv.Interface())
		}
		switch {
		case flagOf[l.key] != "":
			lc.sources[l.key] = flagOf[l.key]
		case envVals[l.key] != "":
			lc.sources[l.key] = "env " + l.env()
		case l.open() && hasEnvUnder(envVals, l.key):
			lc.sources[l.key] = "env " + l.env() + "_*"
		case fileKeys[l.key] || (l.open() && hasKeyUnder(fileKeys, l.key)):
			lc.sources[l.key] = "file " + configFile
		default:
			lc.sources[l.key] = sourceDefault
		}
	}
	lc.cfg = def
	cv := reflect.ValueOf(&lc.cfg).Elem()
	var errs []error
	for _, l := range configLeaves {
		if lc.sources[l.key] == sourceDefault {
			continue // DefaultConfig's value is in place
		}
		raw := v.Get(l.key)
		if raw == nil {
			continue
		}
		fv := cv.FieldByIndex(l.index)
		if fv.Kind() == reflect.Slice {
			fv.SetZero() // a list replaces the default list, it does not patch it
		}
		if err := decodeValue(raw, fv); err != nil {
			errs = append(errs, &pipeline.ConfigError{Key: l.key, Source: lc.sources[l.key], Err: err})
			continue
		}
		// A path from the config file is relative to the file's folder.
		if isPathKey(l.key) && strings.HasPrefix(lc.sources[l.key], "file ") && fv.Kind() == reflect.String {
			if p := fv.String(); p != "" && !filepath.IsAbs(p) {
				fv.SetString(filepath.Join(filepath.Dir(configFile), p))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if lc.cfg.RunDate.IsZero() {
		lc.cfg.RunDate = pipeline.DateOf(e.now())
		lc.sources["run_date"] = "default (today, UTC)"
	}
	if err := lc.cfg.Validate(); err != nil {
		return nil, lc.withSources(err)
	}
	return lc, nil
}

// withSources fills the Source of each *pipeline.ConfigError in err.
func (lc *loadedConfig) withSources(err error) error {
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	for _, e := range list {
		var ce *pipeline.ConfigError
		if errors.As(e, &ce) && ce.Source == "" {
			// The key's own source, or that of the map or list holding it.
			for k := ce.Key; k != ""; {
				if s, ok := lc.sources[k]; ok {
					if s != sourceDefault {
						ce.Source = s
					}
					break
				}
				i := strings.LastIndexAny(k, ".[")
				if i < 0 {
					break
				}
				k = k[:i]
			}
			// A section: the source of a key in it that was set.
			if ce.Source == "" {
				for _, l := range configLeaves {
					if s := lc.sources[l.key]; strings.HasPrefix(l.key, ce.Key+".") && s != sourceDefault {
						ce.Source = s
						break
					}
				}
			}
		}
	}
	return err
}

// checkFileKeys rejects keys of the config file that are not settings, and
// settings given a value where a mapping of keys is expected.
func checkFileKeys(v *viper.Viper, fileKeys map[string]bool, file string) error {
	var errs []error
	keys := make([]string, 0, len(fileKeys))
	for k := range fileKeys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, ok := findLeaf(k); ok {
			continue
		}
		if l, ok := openParent(k); ok && l.open() {
			continue
		}
		if sub := leavesUnder(k); len(sub) > 0 {
			if v.Get(k) == nil {
				continue // an empty section
			}
			errs = append(errs, &pipeline.ConfigError{Key: k, Source: "file " + file,
				Err: fmt.Errorf("want a mapping of keys (%s), got %v", strings.Join(sub, ", "), v.Get(k))})
			continue
		}
		msg := "unknown key"
		var keys []string
		for _, l := range configLeaves {
			keys = append(keys, l.key)
		}
		if near := nearest(k, keys); near != "" {
			msg = "unknown key, did you mean " + near + "?"
		}
		errs = append(errs, &pipeline.ConfigError{Key: k, Source: "file " + file, Err: errors.New(msg)})
	}
	return errors.Join(errs...)
}

// openParent returns the map-valued leaf that holds key, if any.
func openParent(key string) (configLeaf, bool) {
	for _, l := range configLeaves {
		if l.open() && strings.HasPrefix(key, l.key+".") {
			return l, true
		}
	}
	return configLeaf{}, false
}

// leavesUnder lists the names of the keys directly under a section.
func leavesUnder(section string) []string {
	var names []string
	for _, l := range configLeaves {
		if rest, ok := strings.CutPrefix(l.key, section+"."); ok {
			name, _, _ := strings.Cut(rest, ".")
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	return names
}

func hasKeyUnder(keys map[string]bool, section string) bool {
	for k := range keys {
		if k == section || strings.HasPrefix(k, section+".") {
			return true
		}
	}
	return false
}

// keyOfEnv returns the key a MOATSCORE_ variable sets: a scalar leaf, or an
// entry of a map leaf (MOATSCORE_VALUATION_WX_WEIGHTS_COST_BURDEN sets
// valuation.wx.weights.cost_burden).
func keyOfEnv(name string) (string, bool) {
	for _, l := range configLeaves {
		if l.scalar() && l.env() == name {
			return l.key, true
		}
	}
	for _, l := range configLeaves {
		if rest, ok := strings.CutPrefix(name, l.env()+"_"); ok && l.open() && rest != "" {
			return l.key + "." + strings.ToLower(rest), true
		}
	}
	return "", false
}

func hasEnvUnder(envVals map[string]string, section string) bool {
	for k := range envVals {
		if strings.HasPrefix(k, section+".") {
			return true
		}
	}
	return false
}

// nestedMap turns dotted keys into nested maps, as a config file holds them.
func nestedMap(flat map[string]string) map[string]any {
	out := map[string]any{}
	for k, val := range flat {
		parts := strings.Split(k, ".")
		m := out
		for _, p := range parts[:len(parts)-1] {
			sub, ok := m[p].(map[string]any)
			if !ok {
				sub = map[string]any{}
				m[p] = sub
			}
			m = sub
		}
		m[parts[len(parts)-1]] = val
	}
	return out
}

func environMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

func isRegularFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// decodeValue decodes a raw setting (from YAML, a variable or a flag) into
// the field, with the conversions a person expects: "0.1" is a number,
// "2025-06-01" a date, "5m" a duration; 2.5 is not an integer.
func decodeValue(raw any, field reflect.Value) error {
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		Result:           field.Addr().Interface(),
		ErrorUnused:      true,
		WeaklyTypedInput: true,
		DecodeHook: mapstructure.ComposeDecodeHookFunc(
			timeToText,
			mapstructure.TextUnmarshallerHookFunc(),
			strictNumbers,
		),
	})
	if err != nil {
		return err
	}
	if err := dec.Decode(raw); err != nil {
		return cleanDecodeError(err)
	}
	return nil
}

// timeToText turns a YAML timestamp back into text for a Date or Duration.
func timeToText(from, to reflect.Type, data any) (any, error) {
	if t, ok := data.(time.Time); ok && reflect.PointerTo(to).Implements(textUnmarshaler) {
		return t.UTC().Format(pipeline.DateLayout), nil
	}
	return data, nil
}

// strictNumbers refuses what weak typing would accept silently: a fraction
// where an integer is expected, a number where a word is expected, a word
// where a number is.
func strictNumbers(from, to reflect.Type, data any) (any, error) {
	switch to.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		switch x := data.(type) {
		case float64:
			if x != math.Trunc(x) {
				return nil, fmt.Errorf("want a whole number, got %v", x)
			}
		case string:
			n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("want a whole number, got %q", x)
			}
			return n, nil
		case bool:
			return nil, fmt.Errorf("want a whole number, got %v", x)
		}
	case reflect.Float32, reflect.Float64:
		switch x := data.(type) {
		case string:
			f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil {
				return nil, fmt.Errorf("want a number, got %q", x)
			}
			return f, nil
		case bool:
			return nil, fmt.Errorf("want a number, got %v", x)
		}
	case reflect.String:
		switch x := data.(type) {
		case bool, []any, map[string]any:
			return nil, fmt.Errorf("want text, got %v", x)
		}
	}
	return data, nil
}

// cleanDecodeError strips mapstructure's framing, keeping the cause.
func cleanDecodeError(err error) error {
	var de *mapstructure.DecodeError
	if errors.As(err, &de) && de.Unwrap() != nil {
		return de.Unwrap()
	}
	return err
}

// Flags that set config keys, shared by the commands that read them.

// addInputFlags adds --input and one --input-<table> flag per input table.
func addInputFlags(fs *pflag.FlagSet) {
	fs.String("input", "", "input folder holding companies/, model_usage/, data_assets/ and funding_rounds/ (input.dir)")
	bindFlag(fs, "input", "input.dir")
	for _, t := range []struct{ flag, key, what string }{
		{"input-companies", "input.companies", "companies"},
		{"input-model-usage", "input.model_usage", "model_usage"},
		{"input-data-assets", "input.data_assets", "data_assets"},
		{"input-funding-rounds", "input.funding_rounds", "funding_rounds"},
	} {
		fs.String(t.flag, "", fmt.Sprintf("the %s dataset: a Parquet file, a folder or a glob (%s)", t.what, t.key))
		bindFlag(fs, t.flag, t.key)
	}
}

// addOutFlag adds --out, the output root (out).
func addOutFlag(fs *pflag.FlagSet) {
	fs.String("out", pipeline.DefaultOut, "output folder (out)")
	bindFlag(fs, "out", "out")
}

// addRunDateFlag adds --run-date (run_date).
func addRunDateFlag(fs *pflag.FlagSet) {
	fs.String("run-date", "", "run date, YYYY-MM-DD (run_date; default today, UTC)")
	bindFlag(fs, "run-date", "run_date")
}

// nearest returns the candidate closest to s in edit distance, when it is
// close enough to be a likely typo; else "".
func nearest(s string, candidates []string) string {
	best, bestD := "", 2+len(s)/6
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
