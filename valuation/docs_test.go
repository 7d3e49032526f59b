package valuation

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"moatscore/data"
)

const methodologyPath = "../docs/methodology.md"

// generatedSections renders the parts of docs/methodology.md that derive
// from the model's declaration and the default configuration, by section
// name.
func generatedSections(m *Model) map[string]string {
	var b strings.Builder
	sec := map[string]string{}
	table := func(cs []Component, unit string) string {
		b.Reset()
		fmt.Fprintf(&b, "| id | name | default weight | %s | formula |\n| --- | --- | --- | --- | --- |\n", unit)
		for _, c := range cs {
			per := 100 * c.Share
			if c.Score == ScoreDM {
				per = c.Share
			}
			fmt.Fprintf(&b, "| `%s` | %s | %v | %v | %s |\n", c.ID, c.Name, c.Weight, strconv.FormatFloat(per, 'f', -1, 64), c.Formula)
		}
		return b.String()
	}
	sec["wx-components"] = table(m.WXComponents(), "points per unit (100 × w ÷ Σw)")
	sec["dm-terms"] = table(m.DMComponents(), "share of the asset value (w ÷ Σw)")

	b.Reset()
	b.WriteString("| code | points | meaning |\n| --- | --- | --- |\n")
	for _, r := range UncertaintyReasons {
		fmt.Fprintf(&b, "| `%s` | %d | %s |\n", r.Code, r.Points, r.Description)
	}
	sec["uncertainty"] = b.String()

	cols := func(cs []OutputColumn) string {
		b.Reset()
		b.WriteString("| column | type | description |\n| --- | --- | --- |\n")
		for _, c := range cs {
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", c.Name, c.Type, strings.ReplaceAll(c.Description, "|", "\\|"))
		}
		return b.String()
	}
	sec["score-columns"] = cols(m.ScoreColumns())
	sec["scenario-columns"] = cols(m.ScenarioColumns())

	// every key of the configuration with its default value
	raw, _ := json.Marshal(DefaultConfig())
	var tree map[string]any
	_ = json.Unmarshal(raw, &tree)
	var lines []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, y := range x {
				walk(prefix+"."+k, y)
			}
		case []any:
			if prefix == "valuation.scenarios" {
				for i, y := range x {
					s, _ := json.Marshal(y)
					lines = append(lines, fmt.Sprintf("| `%s[%d]` | `%s` |", prefix, i, s))
				}
				return
			}
			s, _ := json.Marshal(x)
			lines = append(lines, fmt.Sprintf("| `%s` | `%s` |", prefix, s))
		default:
			s, _ := json.Marshal(x)
			lines = append(lines, fmt.Sprintf("| `%s` | `%s` |", prefix, s))
		}
	}
	walk("valuation", tree)
	slices.SortStableFunc(lines, func(a, b string) int {
		// scenarios keep their order, after every other key
		sa, sb := strings.Contains(a, "scenarios["), strings.Contains(b, "scenarios[")
		switch {
		case sa && sb:
			return 0
		case sa:
			return 1
		case sb:
			return -1
		}
		return strings.Compare(a, b)
	})
	sec["defaults"] = "| key | default |\n| --- | --- |\n" + strings.Join(lines, "\n") + "\n"
	return sec
}

var sectionRE = regexp.MustCompile(`(?s)<!-- generated: ([a-z-]+) -->\n.*?<!-- end generated -->`)

// TestMethodologyDoc checks that docs/methodology.md holds the sections
// generated from the declaration (every component with its default weight,
// every default, every output column); -update rewrites them.
func TestMethodologyDoc(t *testing.T) {
	m, err := New(DefaultConfig(), data.DefaultReference(), runDate)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(methodologyPath)
	if err != nil {
		t.Fatal(err)
	}
	sec := generatedSections(m)
	seen := map[string]bool{}
	out := sectionRE.ReplaceAllStringFunc(string(doc), func(s string) string {
		name := sectionRE.FindStringSubmatch(s)[1]
		body, ok := sec[name]
		if !ok {
			t.Errorf("%s: unknown generated section %q", methodologyPath, name)
			return s
		}
		seen[name] = true
		return "<!-- generated: " + name + " -->\n" + body + "<!-- end generated -->"
	})
	for name := range sec {
		if !seen[name] {
			t.Errorf("%s lacks the generated section %q", methodologyPath, name)
		}
	}
	if *update {
		if err := os.WriteFile(methodologyPath, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		doc = []byte(out)
	}
	if out != string(doc) {
		t.Errorf("%s: generated sections are out of date (run go test ./valuation -run MethodologyDoc -update)", methodologyPath)
	}
	// every component with its default weight, in the words of the table
	for _, c := range m.Components() {
		want := fmt.Sprintf("| `%s` | %s | %v |", c.ID, c.Name, DefaultConfig().WX.Weights[c.ID]+DefaultConfig().DM.Weights[c.ID])
		if !strings.Contains(string(doc), want) {
			t.Errorf("%s does not list %s with its default weight (%q)", methodologyPath, c.ID, want)
		}
	}
}
