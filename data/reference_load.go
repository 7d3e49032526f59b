package data

import (
	"bytes"
	"embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Names of the reference tables.
const (
	RefProviders = "providers"
	RefModels    = "models"
	RefCountries = "countries"
	RefRegimes   = "regimes"
	RefZoneRisk  = "zone_risk"
	RefDomains   = "domains"
)

// zoneValues are the zones a country or a provider may have in a reference file.
var zoneValues = []string{ZoneUS, ZoneEU, ZoneCN, ZoneOther}

// ReferenceProviders is the schema of the providers reference table.
var ReferenceProviders = &Table{
	Name:        RefProviders,
	Description: "Model providers: headquarters, sovereign zone and how their models are offered.",
	Columns: []Column{
		{Name: "id", Kind: String, Required: true, Key: true, Description: "Provider id, a lowercase slug (openai, anthropic, ...): the value of model_usage.provider."},
		{Name: "name", Kind: String, Required: true, Description: "Provider name."},
		{Name: "country", Kind: String, Required: true, Rule: ISOCountry, Description: "Headquarters country, ISO 3166-1 alpha-2."},
		{Name: "zone", Kind: String, Required: true, Rule: Enum, Values: zoneValues, Description: "Sovereign AI zone of the provider: us, eu, cn or other."},
		{Name: "closed_api", Kind: Bool, Required: true, Description: "Whether the provider serves closed models through an API."},
		{Name: "open_weights", Kind: Bool, Required: true, Description: "Whether the provider publishes open-weight models."},
	},
}

// ReferenceModels is the schema of the models reference table.
var ReferenceModels = &Table{
	Name:        RefModels,
	Description: "Models of the providers with list prices and announced deprecation dates.",
	Columns: []Column{
		{Name: "id", Kind: String, Required: true, Key: true, Description: "Model id: the value of model_usage.model."},
		{Name: "provider", Kind: String, Required: true, Description: "Provider id; must be in the providers table."},
		{Name: "open_weights", Kind: Bool, Required: true, Description: "Whether the model's weights are published."},
		{Name: "input_price_per_mtok", Kind: Float64, Rule: NonNeg, Description: "List price in USD per million input tokens; blank (0) when there is no first-party list price."},
		{Name: "output_price_per_mtok", Kind: Float64, Rule: NonNeg, Description: "List price in USD per million output tokens; blank (0) when there is no first-party list price."},
		{Name: "deprecation", Kind: Date, Description: "Announced deprecation or retirement date; blank when none was announced."},
	},
}

// ReferenceCountries is the schema of the countries reference table.
var ReferenceCountries = &Table{
	Name:        RefCountries,
	Description: "ISO 3166-1 alpha-2 countries with their sovereign AI zone.",
	Columns: []Column{
		{Name: "code", Kind: String, Required: true, Key: true, Rule: ISOCountry, Description: "ISO 3166-1 alpha-2 code, two upper-case letters (\"NA\" is Namibia)."},
		{Name: "name", Kind: String, Required: true, Description: "English short name."},
		{Name: "zone", Kind: String, Required: true, Rule: Enum, Values: zoneValues, Description: "Sovereign AI zone of the country: us, eu, cn or other."},
	},
}

// ReferenceRegimes is the schema of the jurisdiction regimes reference table.
var ReferenceRegimes = &Table{
	Name:        RefRegimes,
	Description: "Countries' tiers under dated jurisdiction regimes such as the AI Diffusion Rule.",
	Columns: []Column{
		{Name: "regime", Kind: String, Required: true, Key: true, Description: "Regime id, a lowercase slug (ai_diffusion_2025)."},
		{Name: "country", Kind: String, Required: true, Key: true, Rule: ISOCountry, Description: "ISO 3166-1 alpha-2 code, or * for every country the regime does not list."},
		{Name: "tier", Kind: Int64, Required: true, Description: "Tier of the country under the regime, 1 or more (1: least restricted)."},
		{Name: "effective_from", Kind: Date, Required: true, Key: true, Description: "First day the tier applies."},
		{Name: "effective_to", Kind: Date, Description: "Day the tier stops applying (exclusive); blank when open-ended."},
	},
}

// ReferenceZoneRisk is the schema of the zone-pair risk reference table.
var ReferenceZoneRisk = &Table{
	Name:        RefZoneRisk,
	Description: "Risk that a company of one zone loses access to a closed model provider of another zone.",
	Columns: []Column{
		{Name: "company_zone", Kind: String, Required: true, Key: true, Rule: Enum, Values: zoneValues, Description: "Zone of the company's country."},
		{Name: "provider_zone", Kind: String, Required: true, Key: true, Rule: Enum, Values: append(append([]string{}, zoneValues...), ZoneUnknown), Description: "Zone of the provider; unknown for a provider not in the reference."},
		{Name: "risk", Kind: Float64, Required: true, Rule: Share, Description: "Risk of losing access, 0 to 1."},
	},
}

// ReferenceDomains is the schema of the domains reference table.
var ReferenceDomains = &Table{
	Name:        RefDomains,
	Description: "Data domains with their value weight and the fixed reference size of a large asset.",
	Columns: []Column{
		{Name: "id", Kind: String, Required: true, Key: true, Description: "Domain id, lowercase snake_case: the value of data_assets.domain."},
		{Name: "name", Kind: String, Required: true, Description: "Domain name."},
		{Name: "value_weight", Kind: Float64, Required: true, Rule: Share, Description: "Value of the domain's proprietary data to model builders, 0 to 1."},
		{Name: "reference_size", Kind: Float64, Required: true, Rule: NonNeg, Description: "Records of a large proprietary asset of the domain: an asset's scale is measured against it."},
	},
}

// ReferenceTables lists the reference tables in the order of
// Reference.Sources.
var ReferenceTables = []*Table{ReferenceProviders, ReferenceModels, ReferenceCountries, ReferenceRegimes, ReferenceZoneRisk, ReferenceDomains}

// ReferenceFiles names user files that replace embedded reference tables;
// an empty path keeps the embedded table.
type ReferenceFiles struct {
	Providers string `mapstructure:"providers" yaml:"providers" json:"providers,omitempty"`
	Models    string `mapstructure:"models" yaml:"models" json:"models,omitempty"`
	Countries string `mapstructure:"countries" yaml:"countries" json:"countries,omitempty"`
	Regimes   string `mapstructure:"regimes" yaml:"regimes" json:"regimes,omitempty"`
	ZoneRisk  string `mapstructure:"zone_risk" yaml:"zone_risk" json:"zone_risk,omitempty"`
	Domains   string `mapstructure:"domains" yaml:"domains" json:"domains,omitempty"`
}

// path returns the user file for a reference table, or "".
func (f ReferenceFiles) path(table string) string {
	switch table {
	case RefProviders:
		return f.Providers
	case RefModels:
		return f.Models
	case RefCountries:
		return f.Countries
	case RefRegimes:
		return f.Regimes
	case RefZoneRisk:
		return f.ZoneRisk
	case RefDomains:
		return f.Domains
	}
	return ""
}

// ReferenceError is an error in a reference file. Line and Column are set
// when the error is in one cell (Line is 1-based, counting the comment lines).
type ReferenceError struct {
	File   string
	Line   int
	Column string
	Err    error
}

func (e *ReferenceError) Error() string {
	switch {
	case e.Line > 0 && e.Column != "":
		return fmt.Sprintf("reference file %s: line %d, column %s: %v", e.File, e.Line, e.Column, e.Err)
	case e.Line > 0:
		return fmt.Sprintf("reference file %s: line %d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("reference file %s: %v", e.File, e.Err)
}

func (e *ReferenceError) Unwrap() error { return e.Err }

//go:embed reference/*.csv
var referenceFS embed.FS

var (
	defaultRefOnce sync.Once
	defaultRef     *Reference
)

// DefaultReference returns the embedded reference data, parsed once. The
// result is shared: callers must not modify it.
func DefaultReference() *Reference {
	defaultRefOnce.Do(func() {
		r, err := LoadReference(ReferenceFiles{})
		if err != nil {
			panic(fmt.Sprintf("embedded reference data: %v", err))
		}
		defaultRef = r
	})
	return defaultRef
}

// LoadReference loads the reference data: each table from the user's file
// when files names one, else the embedded table. User files are CSV with a
// header naming the table's columns (any order); lines starting with # are
// comments, and "# source: ..." and "# snapshot: YYYY-MM-DD" lines give the
// table's source and snapshot date. Every value is checked, and so are the
// links between tables (a model's provider, a provider's country).
func LoadReference(files ReferenceFiles) (*Reference, error) {
	ref := &Reference{Sources: make([]ReferenceSource, len(ReferenceTables))}
	srcs := make(map[string][]byte, len(ReferenceTables))
	names := make(map[string]string, len(ReferenceTables))
	for i, t := range ReferenceTables {
		name := "reference/" + t.Name + ".csv"
		var (
			b   []byte
			err error
		)
		if p := files.path(t.Name); p != "" {
			name = p
			b, err = os.ReadFile(p)
			if err != nil {
				return nil, &ReferenceError{File: p, Err: err}
			}
		} else {
			b, err = referenceFS.ReadFile(name)
			if err != nil {
				return nil, &ReferenceError{File: name, Err: err}
			}
		}
		src, snap, err := referenceHeader(b)
		if err != nil {
			return nil, &ReferenceError{File: name, Err: err}
		}
		embedded := files.path(t.Name) == ""
		if !embedded {
			src = name
		}
		ref.Sources[i] = ReferenceSource{Table: t.Name, Source: src, Snapshot: snap, Embedded: embedded}
		srcs[t.Name] = b
		names[t.Name] = name
	}

	// Countries first: the other tables' country columns are checked against them.
	rd := func(t *Table) *refReader {
		return newRefReader(names[t.Name], t, srcs[t.Name])
	}
	var err error
	if ref.Countries, err = parseCountries(rd(ReferenceCountries)); err != nil {
		return nil, err
	}
	countries := make(map[string]bool, len(ref.Countries))
	for _, c := range ref.Countries {
		countries[c.Code] = true
	}
	if ref.Providers, err = parseProviders(rd(ReferenceProviders), countries); err != nil {
		return nil, err
	}
	providers := make(map[string]bool, len(ref.Providers))
	for _, p := range ref.Providers {
		providers[p.ID] = true
	}
	if ref.Models, err = parseModels(rd(ReferenceModels), providers); err != nil {
		return nil, err
	}
	if ref.Regimes, err = parseRegimes(rd(ReferenceRegimes), countries); err != nil {
		return nil, err
	}
	if ref.ZoneRisk, err = parseZoneRisk(rd(ReferenceZoneRisk)); err != nil {
		return nil, err
	}
	if ref.Domains, err = parseDomains(rd(ReferenceDomains)); err != nil {
		return nil, err
	}
	ref.index() // build the lookup maps now, once
	return ref, nil
}

// referenceHeader reads the "# source:" and "# snapshot:" comment lines at
// the top of a reference file.
func referenceHeader(b []byte) (source string, snapshot time.Time, err error) {
	for len(b) > 0 && b[0] == '#' {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		text := strings.TrimSpace(strings.TrimPrefix(string(line), "#"))
		key, val, ok := strings.Cut(text, ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch strings.ToLower(strings.TrimSpace(key)) {
		case "source":
			source = val
		case "snapshot":
			snapshot, err = time.Parse(time.DateOnly, val)
			if err != nil {
				return "", time.Time{}, fmt.Errorf("snapshot %q is not a date YYYY-MM-DD", val)
			}
		}
	}
	return source, snapshot, nil
}

// refReader reads the rows of one reference CSV file against its schema.
type refReader struct {
	file string
	t    *Table
	r    *csv.Reader
	pos  []int // field of each schema column in a record, -1 when absent
	rec  []string
	err  error // first error of the current row
}

func newRefReader(file string, t *Table, b []byte) *refReader {
	r := csv.NewReader(bytes.NewReader(b))
	r.Comment = '#'
	r.FieldsPerRecord = -1
	return &refReader{file: file, t: t, r: r}
}

// header reads the header line and maps the schema's columns.
func (rr *refReader) header() error {
	head, err := rr.r.Read()
	if err == io.EOF {
		return &ReferenceError{File: rr.file, Err: errors.New("no header line")}
	}
	if err != nil {
		return rr.csvErr(err)
	}
	rr.pos = make([]int, len(rr.t.Columns))
	for i := range rr.pos {
		rr.pos[i] = -1
	}
	for f, name := range head {
		name = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(name, "\ufeff")))
		_, i := rr.t.Column(name)
		if i < 0 {
			line, _ := rr.r.FieldPos(f)
			return &ReferenceError{File: rr.file, Line: line, Column: name, Err: fmt.Errorf("unknown column for the %s table", rr.t.Name)}
		}
		if rr.pos[i] >= 0 {
			line, _ := rr.r.FieldPos(f)
			return &ReferenceError{File: rr.file, Line: line, Column: name, Err: errors.New("column repeated")}
		}
		rr.pos[i] = f
	}
	for i, c := range rr.t.Columns {
		if rr.pos[i] < 0 && c.Required {
			return &ReferenceError{File: rr.file, Line: 1, Column: c.Name, Err: errors.New("required column missing from the header")}
		}
	}
	return nil
}

func (rr *refReader) csvErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &ReferenceError{File: rr.file, Line: pe.Line, Err: pe.Err}
	}
	return &ReferenceError{File: rr.file, Err: err}
}

// next reads the next row; false at the end or on error (see err).
func (rr *refReader) next() (bool, error) {
	if rr.pos == nil {
		if err := rr.header(); err != nil {
			return false, err
		}
	}
	rec, err := rr.r.Read()
	if err == io.EOF {
		return false, nil
	}
	if err != nil {
		return false, rr.csvErr(err)
	}
	rr.rec = rec
	rr.err = nil
	return true, nil
}

// line is the line of the current row.
func (rr *refReader) line() int {
	line, _ := rr.r.FieldPos(0)
	return line
}

// fail records the first error of the row, on column i.
func (rr *refReader) fail(i int, format string, args ...any) {
	if rr.err != nil {
		return
	}
	line := rr.line()
	if i >= 0 && rr.pos[i] >= 0 && rr.pos[i] < len(rr.rec) {
		line, _ = rr.r.FieldPos(rr.pos[i])
	}
	col := ""
	if i >= 0 {
		col = rr.t.Columns[i].Name
	}
	rr.err = &ReferenceError{File: rr.file, Line: line, Column: col, Err: fmt.Errorf(format, args...)}
}

// cell returns the trimmed text of column i; "" when absent or empty, which
// is an error for a required column.
func (rr *refReader) cell(i int) string {
	s := ""
	if p := rr.pos[i]; p >= 0 && p < len(rr.rec) {
		s = strings.TrimSpace(rr.rec[p])
	}
	if s == "" && rr.t.Columns[i].Required {
		rr.fail(i, "required value is empty")
	}
	return s
}

// text returns column i as text, checked against its Enum rule.
func (rr *refReader) text(i int) string {
	s := rr.cell(i)
	c := &rr.t.Columns[i]
	if s != "" && c.Rule == Enum {
		s = strings.ToLower(s)
		ok := false
		for _, v := range c.Values {
			ok = ok || v == s
		}
		if !ok {
			rr.fail(i, "%q is not one of %s", s, strings.Join(c.Values, ", "))
		}
	}
	return s
}

// slug returns column i as a lowercase id.
func (rr *refReader) slug(i int) string {
	s := rr.cell(i)
	if s != "" && strings.ToLower(s) != s {
		rr.fail(i, "id %q must be lower case", s)
	}
	return s
}

// country returns column i as an upper-case country code that must be in
// countries (or be a well-formed code when countries is nil).
func (rr *refReader) country(i int, countries map[string]bool) string {
	s := strings.ToUpper(rr.cell(i))
	if s == "" {
		return s
	}
	if countries == nil {
		if len(s) != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' {
			rr.fail(i, "%q is not a two-letter country code", s)
		}
	} else if !countries[s] {
		rr.fail(i, "%q is not a country of the countries table", s)
	}
	return s
}

func (rr *refReader) float(i int) float64 {
	s := rr.cell(i)
	if s == "" {
		return 0
	}
	v, err := strconv.ParseFloat(s, 64)
	switch {
	case err != nil:
		rr.fail(i, "%q is not a number", s)
	case math.IsNaN(v) || math.IsInf(v, 0):
		rr.fail(i, "%q is not finite", s)
	case rr.t.Columns[i].Rule == Share && (v < 0 || v > 1):
		rr.fail(i, "%v is outside [0, 1]", v)
	case rr.t.Columns[i].Rule == NonNeg && v < 0:
		rr.fail(i, "%v is negative", v)
	}
	return v
}

func (rr *refReader) integer(i int) int64 {
	s := rr.cell(i)
	if s == "" {
		return 0
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		rr.fail(i, "%q is not an integer", s)
	}
	return v
}

func (rr *refReader) boolean(i int) bool {
	s := strings.ToLower(rr.cell(i))
	switch s {
	case "true", "t", "yes", "y", "1":
		return true
	case "false", "f", "no", "n", "0", "":
		return false
	}
	rr.fail(i, "%q is not true or false", s)
	return false
}

func (rr *refReader) date(i int) time.Time {
	s := rr.cell(i)
	if s == "" {
		return time.Time{}
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		rr.fail(i, "%q is not a date YYYY-MM-DD", s)
	}
	return d
}

// unique fails the row when key was already seen.
func (rr *refReader) unique(seen map[string]int, key string, col int) {
	if rr.err != nil {
		return
	}
	if first, ok := seen[key]; ok {
		rr.fail(col, "duplicate key %s (first on line %d)", key, first)
		return
	}
	seen[key] = rr.line()
}

// each reads every row, calling row for each and stopping at the first error.
func (rr *refReader) each(row func()) error {
	for {
		ok, err := rr.next()
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		row()
		if rr.err != nil {
			return rr.err
		}
	}
}

func parseCountries(rr *refReader) ([]Country, error) {
	var out []Country
	seen := map[string]int{}
	err := rr.each(func() {
		c := Country{Code: rr.country(0, nil), Name: rr.cell(1), Zone: rr.text(2)}
		rr.unique(seen, c.Code, 0)
		out = append(out, c)
	})
	if err == nil && len(out) == 0 {
		err = &ReferenceError{File: rr.file, Err: errors.New("no countries")}
	}
	return out, err
}

func parseProviders(rr *refReader, countries map[string]bool) ([]Provider, error) {
	var out []Provider
	seen := map[string]int{}
	err := rr.each(func() {
		p := Provider{
			ID:          rr.slug(0),
			Name:        rr.cell(1),
			Country:     rr.country(2, countries),
			Zone:        rr.text(3),
			ClosedAPI:   rr.boolean(4),
			OpenWeights: rr.boolean(5),
		}
		rr.unique(seen, p.ID, 0)
		out = append(out, p)
	})
	return out, err
}

func parseModels(rr *refReader, providers map[string]bool) ([]Model, error) {
	var out []Model
	seen := map[string]int{}
	err := rr.each(func() {
		m := Model{
			ID:                 rr.cell(0),
			Provider:           rr.slug(1),
			OpenWeights:        rr.boolean(2),
			InputPricePerMTok:  rr.float(3),
			OutputPricePerMTok: rr.float(4),
			Deprecation:        rr.date(5),
		}
		if m.Provider != "" && !providers[m.Provider] {
			rr.fail(1, "provider %q is not in the providers table", m.Provider)
		}
		rr.unique(seen, m.ID, 0)
		out = append(out, m)
	})
	return out, err
}

func parseRegimes(rr *refReader, countries map[string]bool) ([]RegimeTier, error) {
	var out []RegimeTier
	seen := map[string]int{}
	err := rr.each(func() {
		t := RegimeTier{Regime: rr.slug(0)}
		if c := strings.TrimSpace(rr.cell(1)); c == "*" {
			t.Country = "*"
		} else {
			t.Country = rr.country(1, countries)
		}
		t.Tier = int(rr.integer(2))
		if t.Tier < 1 && rr.err == nil {
			rr.fail(2, "tier %d is not 1 or more", t.Tier)
		}
		t.From = rr.date(3)
		t.To = rr.date(4)
		if !t.To.IsZero() && !t.To.After(t.From) && rr.err == nil {
			rr.fail(4, "effective_to %s is not after effective_from %s", t.To.Format(time.DateOnly), t.From.Format(time.DateOnly))
		}
		rr.unique(seen, t.Regime+"|"+t.Country+"|"+t.From.Format(time.DateOnly), 1)
		out = append(out, t)
	})
	return out, err
}

func parseZoneRisk(rr *refReader) ([]ZoneRisk, error) {
	var out []ZoneRisk
	seen := map[string]int{}
	err := rr.each(func() {
		z := ZoneRisk{CompanyZone: rr.text(0), ProviderZone: rr.text(1), Risk: rr.float(2)}
		rr.unique(seen, z.CompanyZone+"|"+z.ProviderZone, 1)
		out = append(out, z)
	})
	return out, err
}

func parseDomains(rr *refReader) ([]Domain, error) {
	var out []Domain
	seen := map[string]int{}
	err := rr.each(func() {
		d := Domain{ID: rr.slug(0), Name: rr.cell(1), ValueWeight: rr.float(2), ReferenceSize: rr.float(3)}
		if d.ID != "" && NormalizeSlug(d.ID) != d.ID {
			rr.fail(0, "domain id %q is not lowercase snake_case", d.ID)
		}
		if d.ReferenceSize <= 0 && rr.err == nil {
			rr.fail(3, "reference size must be positive")
		}
		rr.unique(seen, d.ID, 0)
		out = append(out, d)
	})
	return out, err
}
