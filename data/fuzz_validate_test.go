package data

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzNormalizeSlug(f *testing.F) {
	for _, s := range []string{"", "series_a", "Series A", "  --Health   Care--  ", "Crédit Agricole", "\xff\xfe", "a__b", "_"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := NormalizeSlug(s)
		if again := NormalizeSlug(got); again != got {
			t.Errorf("NormalizeSlug(%q) = %q, then %q: not idempotent", s, got, again)
		}
		if strings.HasPrefix(got, "_") || strings.HasSuffix(got, "_") || strings.Contains(got, "__") || strings.ContainsAny(got, " -/") {
			t.Errorf("NormalizeSlug(%q) = %q: not snake_case", s, got)
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Errorf("NormalizeSlug(%q) = %q: invalid UTF-8", s, got)
		}
	})
}

// FuzzReferenceCSV parses arbitrary text as each reference table: it must
// load or fail with a *ReferenceError, never panic.
func FuzzReferenceCSV(f *testing.F) {
	f.Add("id,name,value_weight,reference_size\nfinance,Finance,0.9,1e9\n")
	f.Add("# snapshot: 2025-01-01\ncode,name,zone\nNA,Namibia,other\n")
	f.Add("company_zone,provider_zone,risk\nus,cn,0.8\n")
	f.Add("regime,country,tier,effective_from,effective_to\nr,*,2,2025-01-01,\n")
	f.Add("id,provider,open_weights,deprecation\nm,openai,true,2025-01-01\n")
	f.Add("\"")
	f.Fuzz(func(t *testing.T, text string) {
		for _, tbl := range ReferenceTables {
			rr := newRefReader("fuzz.csv", tbl, []byte(text))
			var err error
			countries := map[string]bool{"US": true, "NA": true}
			switch tbl.Name {
			case RefCountries:
				_, err = parseCountries(rr)
			case RefProviders:
				_, err = parseProviders(rr, countries)
			case RefModels:
				_, err = parseModels(rr, map[string]bool{"openai": true})
			case RefRegimes:
				_, err = parseRegimes(rr, countries)
			case RefZoneRisk:
				_, err = parseZoneRisk(rr)
			case RefDomains:
				_, err = parseDomains(rr)
			}
			var re *ReferenceError
			if err != nil && !errors.As(err, &re) {
				t.Errorf("%s: error %v is not a *ReferenceError", tbl.Name, err)
			}
		}
		if _, _, err := referenceHeader([]byte(text)); err != nil && !strings.Contains(err.Error(), "snapshot") {
			t.Errorf("referenceHeader: %v", err)
		}
	})
}
