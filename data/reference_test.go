package data

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDefaultReferenceLoads(t *testing.T) {
	ref := DefaultReference()
	if got := len(ref.Countries); got != 249 {
		t.Errorf("len(Countries) = %d, want 249", got)
	}
	if len(ref.Providers) < 15 || len(ref.Models) < 40 || len(ref.Domains) < 15 {
		t.Errorf("providers %d, models %d, domains %d: want at least 15, 40, 15", len(ref.Providers), len(ref.Models), len(ref.Domains))
	}
	for i, s := range ref.Sources {
		if s.Table != ReferenceTables[i].Name || s.Source == "" || s.Snapshot.IsZero() || !s.Embedded {
			t.Errorf("Sources[%d] = %+v, want table %s with a source and a snapshot", i, s, ReferenceTables[i].Name)
		}
	}
	if DefaultReference() != ref {
		t.Error("DefaultReference() is parsed more than once")
	}
}

func TestReferenceNamibia(t *testing.T) {
	ref := DefaultReference()
	c, ok := ref.Country("NA")
	if !ok || c.Name != "Namibia" {
		t.Errorf(`Country("NA") = %+v, %v, want Namibia`, c, ok)
	}
	if !ref.IsCountry("NA") || ref.CountryZone("NA") != ZoneOther {
		t.Errorf(`IsCountry("NA") = %v, CountryZone("NA") = %q`, ref.IsCountry("NA"), ref.CountryZone("NA"))
	}
}

func TestReferenceLinks(t *testing.T) {
	ref := DefaultReference()
	zones := map[string]bool{ZoneUS: true, ZoneEU: true, ZoneCN: true, ZoneOther: true}
	for _, c := range ref.Countries {
		if !zones[c.Zone] {
			t.Errorf("country %s has zone %q", c.Code, c.Zone)
		}
	}
	for _, m := range ref.Models {
		if _, ok := ref.Provider(m.Provider); !ok {
			t.Errorf("model %s: provider %q not in providers", m.ID, m.Provider)
		}
	}
	for _, p := range ref.Providers {
		if !ref.IsCountry(p.Country) || ref.CountryZone(p.Country) != p.Zone {
			t.Errorf("provider %s: country %s zone %s, provider zone %s", p.ID, p.Country, ref.CountryZone(p.Country), p.Zone)
		}
	}
	for _, cz := range []string{ZoneUS, ZoneEU, ZoneCN, ZoneOther} {
		for _, pz := range []string{ZoneUS, ZoneEU, ZoneCN, ZoneOther, ZoneUnknown} {
			found := false
			for _, z := range ref.ZoneRisk {
				found = found || z.CompanyZone == cz && z.ProviderZone == pz
			}
			if !found {
				t.Errorf("zone_risk has no row for %s on %s", cz, pz)
			}
		}
	}
	run := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	deprecated := 0
	for _, m := range ref.Models {
		if !m.Deprecation.IsZero() && m.Deprecation.Before(run.AddDate(1, 0, 0)) {
			deprecated++
		}
	}
	if deprecated < 5 {
		t.Errorf("%d models deprecated by a year after %s, want at least 5", deprecated, run.Format(time.DateOnly))
	}
}

func TestReferenceLookups(t *testing.T) {
	ref := DefaultReference()
	in := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"zone US", ref.CountryZone("US"), ZoneUS},
		{"zone PR", ref.CountryZone("PR"), ZoneUS},
		{"zone DE", ref.CountryZone("DE"), ZoneEU},
		{"zone NO", ref.CountryZone("NO"), ZoneEU},
		{"zone CH", ref.CountryZone("CH"), ZoneEU},
		{"zone GB", ref.CountryZone("GB"), ZoneOther},
		{"zone CN", ref.CountryZone("CN"), ZoneCN},
		{"zone HK", ref.CountryZone("HK"), ZoneCN},
		{"zone MO", ref.CountryZone("MO"), ZoneCN},
		{"zone TW", ref.CountryZone("TW"), ZoneOther},
		{"zone lower case", ref.CountryZone("us"), ZoneUnknown},
		{"zone not a country", ref.CountryZone("XX"), ZoneUnknown},
		{"zone empty", ref.CountryZone(""), ZoneUnknown},
		{"is country UK", ref.IsCountry("UK"), false},
		{"is country XK", ref.IsCountry("XK"), false},
		{"tier US", ref.Tier("ai_diffusion_2025", "US", in), 1},
		{"tier TW", ref.Tier("ai_diffusion_2025", "TW", in), 1},
		{"tier GB", ref.Tier("ai_diffusion_2025", "GB", in), 1},
		{"tier PL", ref.Tier("ai_diffusion_2025", "PL", in), 2},
		{"tier IN", ref.Tier("ai_diffusion_2025", "IN", in), 2},
		{"tier NA", ref.Tier("ai_diffusion_2025", "NA", in), 2},
		{"tier CN", ref.Tier("ai_diffusion_2025", "CN", in), 3},
		{"tier MO", ref.Tier("ai_diffusion_2025", "MO", in), 3},
		{"tier RU", ref.Tier("ai_diffusion_2025", "RU", in), 3},
		{"tier first day", ref.Tier("ai_diffusion_2025", "CN", time.Date(2025, 1, 13, 0, 0, 0, 0, time.UTC)), 3},
		{"tier day before", ref.Tier("ai_diffusion_2025", "CN", time.Date(2025, 1, 12, 0, 0, 0, 0, time.UTC)), 0},
		{"tier last day", ref.Tier("ai_diffusion_2025", "CN", time.Date(2025, 5, 12, 0, 0, 0, 0, time.UTC)), 3},
		{"tier rescinded", ref.Tier("ai_diffusion_2025", "CN", time.Date(2025, 5, 13, 0, 0, 0, 0, time.UTC)), 0},
		{"tier late 2026", ref.Tier("ai_diffusion_2025", "PL", time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)), 0},
		{"tier unknown regime", ref.Tier("none", "CN", in), 0},
		{"risk same zone", ref.Risk(ZoneEU, ZoneEU), 0.0},
		{"risk cn on us", ref.Risk(ZoneCN, ZoneUS), 1.0},
		{"risk us on cn", ref.Risk(ZoneUS, ZoneCN), 0.8},
		{"risk eu on us", ref.Risk(ZoneEU, ZoneUS), 0.3},
		{"risk other on us", ref.Risk(ZoneOther, ZoneUS), 0.2},
		{"risk eu on cn", ref.Risk(ZoneEU, ZoneCN), 0.6},
		{"risk us on unknown", ref.Risk(ZoneUS, ZoneUnknown), 0.5},
		{"risk unknown pair", ref.Risk("mars", "venus"), 0.5},
		{"provider zone mistral", ref.ProviderZone("mistral"), ZoneEU},
		{"provider zone unknown", ref.ProviderZone("acme"), ZoneUnknown},
		{"provider closed unknown", ref.ProviderClosed("acme"), true},
		{"provider closed meta", ref.ProviderClosed("meta"), false},
		{"has regime", ref.HasRegime("ai_diffusion_2025"), true},
		{"model provider", func() string { m, _ := ref.Model("gpt-4o"); return m.Provider }(), "openai"},
		{"model case", func() string { m, _ := ref.Model(" GPT-4o "); return m.Provider }(), "openai"},
		{"model deprecation", func() string { m, _ := ref.Model("claude-3-opus"); return m.Deprecation.Format(time.DateOnly) }(), "2026-01-05"},
		{"domain finance", func() float64 { d, _ := ref.Domain("finance"); return d.ValueWeight }(), 0.95},
		{"domain unknown", func() bool { _, ok := ref.Domain("astrology"); return ok }(), false},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestReferenceCopyReindexes(t *testing.T) {
	ref := DefaultReference()
	_ = ref.IsProvider("openai")
	cp := &Reference{Providers: append([]Provider{{ID: "acme", Zone: ZoneOther}}, ref.Providers...), Models: ref.Models, Countries: ref.Countries}
	if !cp.IsProvider("acme") {
		t.Error(`IsProvider("acme") = false on a reference built by hand`)
	}
	cp.Providers = cp.Providers[1:]
	if cp.IsProvider("acme") {
		t.Error(`IsProvider("acme") = true after the providers were replaced`)
	}
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadReferenceOverride(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "providers.csv", "# source: our own list\n# snapshot: 2026-01-02\nid,name,country,zone,closed_api,open_weights\nopenai,OpenAI,US,us,true,true\nacme,Acme AI,NA,other,true,false\n")
	m := writeFile(t, dir, "models.csv", "provider,id,open_weights\nacme,acme-1,false\nopenai,gpt-4o,false\n")
	ref, err := LoadReference(ReferenceFiles{Providers: p, Models: m})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(ref.Providers); got != 2 {
		t.Errorf("len(Providers) = %d, want 2", got)
	}
	if pr, ok := ref.Provider("acme"); !ok || pr.Country != "NA" {
		t.Errorf(`Provider("acme") = %+v, %v`, pr, ok)
	}
	if s := ref.Sources[0]; s.Embedded || s.Source != p || s.Snapshot.Format(time.DateOnly) != "2026-01-02" {
		t.Errorf("Sources[0] = %+v, want the user file with its snapshot", s)
	}
	if s := ref.Sources[2]; !s.Embedded {
		t.Errorf("Sources[2] = %+v, want embedded countries", s)
	}
	if _, ok := ref.Model("gpt-5"); ok {
		t.Error("models not replaced")
	}
	if len(DefaultReference().Providers) == 2 {
		t.Error("override changed the default reference")
	}
}

func TestLoadReferenceErrors(t *testing.T) {
	tests := []struct {
		name     string
		table    string
		text     string
		wantLine int
		wantCol  string
		wantMsg  string
	}{
		{"unknown column", RefProviders, "id,name,country,zone,closed_api,open_weights,colour\n", 1, "colour", "unknown column"},
		{"missing column", RefProviders, "id,name,country,zone,closed_api\n", 1, "open_weights", "required column"},
		{"no header", RefDomains, "# only a comment\n", 0, "", "no header"},
		{"bad country", RefProviders, "id,name,country,zone,closed_api,open_weights\nacme,Acme,ZZ,other,true,false\n", 2, "country", "not a country"},
		{"bad zone after comments", RefProviders, "# a\n# b\nid,name,country,zone,closed_api,open_weights\nacme,Acme,US,mars,true,false\n", 4, "zone", "not one of"},
		{"bad bool", RefProviders, "id,name,country,zone,closed_api,open_weights\nacme,Acme,US,us,maybe,false\n", 2, "closed_api", "true or false"},
		{"upper case id", RefProviders, "id,name,country,zone,closed_api,open_weights\nAcme,Acme,US,us,true,false\n", 2, "id", "lower case"},
		{"duplicate", RefProviders, "id,name,country,zone,closed_api,open_weights\nacme,Acme,US,us,true,false\nacme,Acme,US,us,true,false\n", 3, "id", "duplicate"},
		{"empty required", RefCountries, "code,name,zone\nNA,,other\n", 2, "name", "empty"},
		{"bad code", RefCountries, "code,name,zone\nNAM,Namibia,other\n", 2, "code", "two-letter"},
		{"unknown provider", RefModels, "id,provider,open_weights\nx-1,nobody,false\n", 2, "provider", "not in the providers"},
		{"negative price", RefModels, "id,provider,open_weights,input_price_per_mtok\nx-1,openai,false,-1\n", 2, "input_price_per_mtok", "negative"},
		{"bad number", RefModels, "id,provider,open_weights,input_price_per_mtok\nx-1,openai,false,cheap\n", 2, "input_price_per_mtok", "not a number"},
		{"bad date", RefModels, "id,provider,open_weights,deprecation\nx-1,openai,false,2025-13-01\n", 2, "deprecation", "not a date"},
		{"risk over one", RefZoneRisk, "company_zone,provider_zone,risk\nus,cn,1.5\n", 2, "risk", "outside [0, 1]"},
		{"nan", RefZoneRisk, "company_zone,provider_zone,risk\nus,cn,NaN\n", 2, "risk", "not finite"},
		{"tier zero", RefRegimes, "regime,country,tier,effective_from\nr,US,0,2025-01-01\n", 2, "tier", "1 or more"},
		{"dates reversed", RefRegimes, "regime,country,tier,effective_from,effective_to\nr,US,1,2025-01-01,2024-01-01\n", 2, "effective_to", "not after"},
		{"domain slug", RefDomains, "id,name,value_weight,reference_size\nreal-estate,Real estate,0.5,1e6\n", 2, "id", "snake_case"},
		{"domain size", RefDomains, "id,name,value_weight,reference_size\nreal_estate,Real estate,0.5,0\n", 2, "reference_size", "positive"},
		{"bad snapshot", RefDomains, "# snapshot: yesterday\nid,name,value_weight,reference_size\n", 0, "", "snapshot"},
		{"quote", RefDomains, "id,name,value_weight,reference_size\nx,\"unclosed,0.5,1\n", 2, "", "quote"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), tt.table+".csv", tt.text)
			var files ReferenceFiles
			switch tt.table {
			case RefProviders:
				files.Providers = p
			case RefModels:
				files.Models = p
			case RefCountries:
				files.Countries = p
			case RefRegimes:
				files.Regimes = p
			case RefZoneRisk:
				files.ZoneRisk = p
			case RefDomains:
				files.Domains = p
			}
			_, err := LoadReference(files)
			var re *ReferenceError
			if !errors.As(err, &re) {
				t.Fatalf("LoadReference() error = %v, want a *ReferenceError", err)
			}
			if re.File != p || re.Line != tt.wantLine || re.Column != tt.wantCol || !strings.Contains(err.Error(), tt.wantMsg) || !strings.Contains(err.Error(), p) {
				t.Errorf("LoadReference() error = %q (line %d, column %q), want line %d, column %q, %q", err, re.Line, re.Column, tt.wantLine, tt.wantCol, tt.wantMsg)
			}
		})
	}
	if _, err := LoadReference(ReferenceFiles{Domains: filepath.Join(t.TempDir(), "missing.csv")}); err == nil || !strings.Contains(err.Error(), "missing.csv") {
		t.Errorf("LoadReference(missing file) error = %v, want one naming the file", err)
	}
}

// TestReferenceConcurrentLookups: a Reference built by hand is indexed on
// first use, safely from several goroutines (run with -race).
func TestReferenceConcurrentLookups(t *testing.T) {
	def := DefaultReference()
	ref := &Reference{Providers: def.Providers, Models: def.Models, Countries: def.Countries, Regimes: def.Regimes, ZoneRisk: def.ZoneRisk, Domains: def.Domains}
	done := make(chan bool)
	for g := 0; g < 4; g++ {
		go func() {
			ok := ref.IsCountry("NA") && ref.IsProvider("openai") && ref.Tier("ai_diffusion_2025", "CN", time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)) == 3
			done <- ok
		}()
	}
	for g := 0; g < 4; g++ {
		if !<-done {
			t.Error("a concurrent lookup failed")
		}
	}
}
