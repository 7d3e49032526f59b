package reports

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// ordinarySummary is the closing summary of an ordinary second run: some
// rejects, two warnings, a previous run to compare with.
func ordinarySummary() *Summary {
	return &Summary{
		Status:      "published",
		RunID:       "20260116-093000Z-1a2b3c4d",
		RunDate:     "2026-01-16",
		PreviousRun: "2026-01-15",
		Tables: []SummaryTable{
			{Table: "companies", RowsIn: 500, Accepted: 495, Rejected: 5},
			{Table: "model_usage", RowsIn: 1426, Accepted: 1410, Rejected: 16},
			{Table: "data_assets", RowsIn: 2278, Accepted: 2219, Rejected: 59},
			{Table: "funding_rounds", RowsIn: 992, Accepted: 970, Rejected: 22},
		},
		Warnings: []SummaryWarning{
			{Code: "shares_scaled", Table: "model_usage", Count: 14},
			{Code: "unknown_provider", Table: "model_usage", Count: 56},
		},
		Top: []SummaryCompany{
			{Rank: 1, CompanyID: "C00000039", Name: "Wexust Vision", Sector: "insurance", WrapperExposure: 1.2, DataMoat: 100, Rating: "wide", Trend: "stable"},
			{Rank: 2, CompanyID: "C00000320", Name: "Daxeon Health", Sector: "gaming", WrapperExposure: 1.54, DataMoat: 99.94, Rating: "wide", Trend: "up"},
			{Rank: 3, CompanyID: "C00000063", Name: "Halum Analytics", Sector: "enterprise_software", WrapperExposure: 1.75, DataMoat: 99.95, Rating: "wide", Trend: "down"},
			{Rank: 4, CompanyID: "C00000443", Name: "Fenith", Sector: "ecommerce", WrapperExposure: 0, DataMoat: 0, Rating: "none", Trend: "new"},
		},
		RankBy:    "net_moat",
		Companies: 495,
		Scenarios: 5,
		Outputs: []string{
			"out/scores/run_date=2026-01-16",
			"out/scenarios/run_date=2026-01-16",
			"out/rejects/run_date=2026-01-16",
			"out/runs/run_date=2026-01-16",
		},
		Stages: []SummaryStage{
			{Stage: "lock", Elapsed: 1234 * time.Microsecond},
			{Stage: "read", Elapsed: 2*time.Second + 345678*time.Microsecond},
			{Stage: "score", Elapsed: 999600 * time.Microsecond},
			{Stage: "rank", Elapsed: 400 * time.Microsecond},
			{Stage: "write", Elapsed: 90*time.Second + 456789*time.Microsecond},
		},
		Total: 93*time.Second + 5*time.Millisecond,
	}
}

// hostileNames are company names a data file may carry: each must stay on
// its row and reach the terminal without a control character.
var hostileNames = []string{
	"Evil\nCorp",                 // a newline: a row of its own
	"Good Corp\rEvil",            // a carriage return: overwrites the row
	"Tab\tCorp",                  // a tab: a cell of its own
	"\x1b[31mRed Corp\x1b[0m",    // ANSI colour
	"\x1b]0;owned\x07Title Corp", // ANSI window title
	"C1\u009b2JCorp",             // C1 CSI: clears the screen on some terminals
	"Acme\u202egnp.exe",          // right-to-left override: shows "Acmeexe.png"
	"Line\u2028Sep Corp",         // Unicode line separator
	"Nul\x00Bell\x07Corp",        // NUL and BEL
	"Bad\xff\xfeBytes",           // invalid UTF-8; 0xff is tabwriter's escape
	strings.Repeat("Very Long Company Name ", 10),
	"ＡＢＣ株式会社",
	"<script>alert(1)</script>",
}

// hostileSummary puts each hostile name in the top of the ranking, with
// hostile ids and sectors on some rows.
func hostileSummary() *Summary {
	s := ordinarySummary()
	s.Top = nil
	for i, name := range hostileNames {
		s.Top = append(s.Top, SummaryCompany{
			Rank: int64(i + 1), CompanyID: fmt.Sprintf("C%08d", i+1), Name: name,
			Sector: "software", WrapperExposure: float64(i), DataMoat: 100 - float64(i), Rating: "narrow", Trend: "new",
		})
	}
	s.Top[1].CompanyID = "C1\nC2"
	s.Top[3].CompanyID = "\x1b[2JC00000004"
	s.Top[4].Sector = "fin\ttech"
	s.Top[6].CompanyID = "C\u202e7"
	return s
}

// plainSummary is hostileSummary with every hostile string replaced by a
// plain one.
func plainSummary() *Summary {
	s := hostileSummary()
	for i := range s.Top {
		s.Top[i].CompanyID = fmt.Sprintf("C%08d", i+1)
		s.Top[i].Name = fmt.Sprintf("Company %d", i+1)
		s.Top[i].Sector = "software"
	}
	return s
}

func TestWriteSummary(t *testing.T) {
	tests := []struct {
		name   string
		golden string
		s      func() *Summary
	}{
		{"ordinary run", "summary_ordinary.golden", ordinarySummary},
		{"demo run", "summary_demo.golden", func() *Summary {
			s := ordinarySummary()
			s.Demo = true
			s.RunDate, s.RunID, s.PreviousRun = "2026-01-15", "20260115-093000Z-5e6f7a8b", ""
			for i := range s.Top {
				s.Top[i].Trend = "new"
			}
			return s
		}},
		{"no rejects and no warnings", "summary_clean.golden", func() *Summary {
			s := ordinarySummary()
			for i := range s.Tables {
				s.Tables[i].Accepted, s.Tables[i].Rejected = s.Tables[i].RowsIn, 0
			}
			s.Tables[3].RowsIn, s.Tables[3].Accepted = 0, 0 // an empty table: a 0.00% share, not NaN
			s.Warnings = nil
			return s
		}},
		{"reject shares", "summary_shares.golden", func() *Summary {
			s := ordinarySummary()
			s.Tables = []SummaryTable{
				{Table: "companies", RowsIn: 3, Accepted: 2, Rejected: 1},
				{Table: "model_usage", RowsIn: 12345678901, Accepted: 12345678900, Rejected: 1},
				{Table: "data_assets", RowsIn: 7, Accepted: 0, Rejected: 7},
				{Table: "funding_rounds", RowsIn: 200, Accepted: 199, Rejected: 1},
			}
			return s
		}},
		{"no company scored", "summary_no_top.golden", func() *Summary {
			s := ordinarySummary()
			s.Top, s.Companies, s.Scenarios, s.Stages = nil, 0, 0, nil
			return s
		}},
		{"failed run", "summary_failed.golden", func() *Summary {
			s := ordinarySummary()
			s.Status = "failed"
			s.Reason = "companies: 5 of 500 rows rejected, over run.max_reject_share 0.5%"
			s.Top, s.Companies, s.Scenarios = nil, 0, 0
			s.Outputs = []string{"out/failed/run_date=2026-01-16"}
			return s
		}},
		{"failed run with several reasons", "summary_failed_joined.golden", func() *Summary {
			s := ordinarySummary()
			s.Status = "failed"
			s.Reason = errors.Join(
				errors.New("companies: 5 of 500 rows rejected"),
				errors.New("data_assets: 59 of 2278 rows rejected"),
			).Error()
			s.Top, s.Companies, s.Scenarios = nil, 0, 0
			s.Outputs = []string{"out/failed/run_date=2026-01-16"}
			return s
		}},
		{"zero value", "summary_zero.golden", func() *Summary { return &Summary{} }},
		{"untrusted names", "summary_untrusted.golden", hostileSummary},
		{"untrusted reason and labels", "summary_untrusted_labels.golden", func() *Summary {
			s := ordinarySummary()
			s.Status = "failed\x1b[0m"
			s.Reason = "read in/\x1b[2Jcompanies.csv: bad\rrow"
			s.RunID = "id\x07"
			s.Tables[0].Table = "companies\t9"
			s.Warnings[0].Code = "shares\nscaled"
			s.Outputs = []string{"out/\x1b[31mfailed\n/run_date=2026-01-16"}
			s.Stages[0].Stage = "lock\u202e"
			s.Top = nil
			return s
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			if err := WriteSummary(&b, tc.s()); err != nil {
				t.Fatalf("WriteSummary() = %v, want nil", err)
			}
			checkTerminalSafe(t, b.String())
			checkGolden(t, tc.golden, b.String())
		})
	}
}

// TestWriteSummaryUntrustedLayout checks that hostile names, ids and
// sectors leave the layout as plain ones do: as many lines, one line per
// company row, the columns after the name aligned.
func TestWriteSummaryUntrustedLayout(t *testing.T) {
	var hostile, plain strings.Builder
	if err := WriteSummary(&hostile, hostileSummary()); err != nil {
		t.Fatal(err)
	}
	if err := WriteSummary(&plain, plainSummary()); err != nil {
		t.Fatal(err)
	}
	hl, pl := strings.Split(hostile.String(), "\n"), strings.Split(plain.String(), "\n")
	if len(hl) != len(pl) {
		t.Fatalf("WriteSummary(hostile names) wrote %d lines, want %d as with plain names:\n%s", len(hl), len(pl), hostile.String())
	}
	top := -1
	for i, l := range hl {
		if strings.HasPrefix(l, "Top ") {
			top = i
			break
		}
	}
	if top < 0 {
		t.Fatalf("no Top section in:\n%s", hostile.String())
	}
	header := []rune(hl[top+1])
	col := strings.Index(string(header), "WX")
	col = len([]rune(string(header)[:col])) // the WX column, in runes
	for i := range hostileNames {
		row := []rune(hl[top+2+i])
		want := fmt.Sprintf("  %d ", i+1)
		if !strings.HasPrefix(string(row), want) {
			t.Errorf("row %d = %q, want it to start with %q", i+1, string(row), want)
		}
		if len(row) <= col || row[col-1] != ' ' || row[col] == ' ' {
			t.Errorf("row %d = %q: the WX column does not start at rune %d as in the header %q", i+1, string(row), col, string(header))
		}
	}
	if l := hl[top+2+len(hostileNames)]; l != "" {
		t.Errorf("line after the last row = %q, want a blank line", l)
	}
}

func TestOneLine(t *testing.T) {
	tests := []struct {
		name string
		s    string
		n    int
		want string
	}{
		{"plain", "Acme", 40, "Acme"},
		{"empty", "", 40, ""},
		{"exactly n runes", "abcde", 5, "abcde"},
		{"one rune over", "abcdef", 5, "abcd…"},
		{"no limit", strings.Repeat("a", 100), 0, strings.Repeat("a", 100)},
		{"runes, not bytes", "ＡＢＣ株式会社", 5, "ＡＢＣ株…"},
		{"newline", "a\nb", 40, "a b"},
		{"carriage return", "a\rb", 40, "a b"},
		{"tab", "a\tb", 40, "a b"},
		{"vertical tab and form feed", "a\vb\fc", 40, "a b c"},
		{"ESC", "\x1b[31mred\x1b[0m", 40, " [31mred [0m"},
		{"DEL", "a\x7fb", 40, "a b"},
		{"C1 CSI", "a\u009b2Jb", 40, "a 2Jb"},
		{"C1 NEL", "a\u0085b", 40, "a b"},
		{"line separator", "a\u2028b\u2029c", 40, "a b c"},
		{"right-to-left override", "a\u202eb", 40, "a b"},
		{"isolates and marks", "\u2066a\u2069\u200e\u200f\u061c", 40, " a    "},
		{"invalid UTF-8", "a\xffb", 40, "a\ufffdb"},
		{"html is text", "<script>x</script>", 40, "<script>x</script>"},
		{"zero width joiner kept", "👩\u200d💻", 40, "👩\u200d💻"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := oneLine(tc.s, tc.n); got != tc.want {
				t.Errorf("oneLine(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
			}
		})
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		name string
		d    time.Duration
		want string
	}{
		{"zero", 0, "0s"},
		{"under a millisecond", 400 * time.Microsecond, "0s"},
		{"milliseconds", 1234 * time.Microsecond, "1ms"},
		{"rounds up to a second", 999600 * time.Microsecond, "1s"},
		{"seconds", 2*time.Second + 345678*time.Microsecond, "2.35s"},
		{"minutes", 90*time.Second + 456789*time.Microsecond, "1m30.46s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := formatDuration(tc.d); got != tc.want {
				t.Errorf("formatDuration(%v) = %q, want %q", tc.d, got, tc.want)
			}
		})
	}
}
