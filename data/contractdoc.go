package data

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// RuleText says in words what a column's value rule checks, and the reason
// code a value breaking it gets; "" when the column has no rule.
func RuleText(c *Column) string {
	switch c.Rule {
	case Share:
		return "in [0, 1], finite (out_of_range, not_finite)"
	case NonNeg:
		if c.Kind == Int64 {
			return ">= 0 (out_of_range)"
		}
		return ">= 0, finite (out_of_range, not_finite)"
	case MaxOne:
		return "<= 1, finite; may be negative (out_of_range, not_finite)"
	case Enum:
		return "one of " + strings.Join(c.Values, ", ") + "; case-insensitive after trimming (unknown_value)"
	case ISOCountry:
		return "ISO 3166-1 alpha-2 of the countries reference, case-insensitive after trimming (bad_country)"
	case SaneDate:
		return "from 1900-01-01 to the run date + 1 year (bad_date)"
	case FoundedYear:
		return "from 1800 to the run year (out_of_range)"
	case Slug:
		return "normalised to lowercase snake_case (null_value when no letter or digit is left)"
	case ProviderID:
		return "trimmed, lower case; not in the providers reference: warning unknown_provider, row kept"
	}
	if c.Kind == Float64 {
		return "finite (not_finite)"
	}
	return ""
}

func mdCell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}

func writeColumns(w io.Writer, t *Table, reference bool) {
	fmt.Fprintf(w, "| column | type | required | key | rule | description |\n| --- | --- | --- | --- | --- | --- |\n")
	for i := range t.Columns {
		c := &t.Columns[i]
		req, key := "", ""
		if c.Required {
			req = "yes"
		}
		if c.Key {
			key = "yes"
		}
		rule := RuleText(c)
		if reference {
			// Reference files are checked when loaded; a bad value fails the
			// load, naming the file, line and column.
			switch c.Rule {
			case Enum:
				rule = "one of " + strings.Join(c.Values, ", ")
			case ISOCountry:
				rule = "a code of the countries table"
				if t.Name == RefCountries {
					rule = "two upper-case letters"
				}
			case Share:
				rule = "in [0, 1]"
			case NonNeg:
				rule = ">= 0"
			default:
				rule = ""
			}
		}
		fmt.Fprintf(w, "| `%s` | %s | %s | %s | %s | %s |\n", c.Name, c.Kind, req, key, mdCell(rule), mdCell(c.Description))
	}
}

// WriteContractTables writes the generated part of docs/data-contract.md:
// the input tables, the reject reason codes in order of precedence, the
// warnings, and the reference tables with their sources and snapshot dates.
func WriteContractTables(w io.Writer, ref *Reference) {
	fmt.Fprintf(w, "### Input tables\n\n")
	for _, t := range Inputs {
		fmt.Fprintf(w, "#### %s\n\n%s Key: %s.\n\n", t.Name, t.Description, strings.Join(t.Key(), ", "))
		writeColumns(w, t, false)
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "### Reason codes, in order of precedence\n\n| # | reason_code | given when |\n| --- | --- | --- |\n")
	for i, r := range ReasonCodes {
		fmt.Fprintf(w, "| %d | `%s` | %s |\n", i+1, r, reasonText[r])
	}
	fmt.Fprintf(w, "\nCodes 1 to 3 come first. Codes 4 to 9 are checked column by column in contract order, and within a column in the order of the table: the first column that breaks a rule gives the code. A conversion issue of a cell (a value too large for its column) comes first in its column. duplicate_key is checked last.\n")
	fmt.Fprintf(w, "\n### Warnings (the row is kept)\n\n| code | given when |\n| --- | --- |\n")
	for _, c := range WarningCodes {
		fmt.Fprintf(w, "| `%s` | %s |\n", c, reasonText[c])
	}
	fmt.Fprintf(w, "\n### Reference tables\n\n")
	for i, t := range ReferenceTables {
		fmt.Fprintf(w, "#### %s\n\n%s\n\n", t.Name, t.Description)
		if ref != nil && i < len(ref.Sources) {
			s := ref.Sources[i]
			fmt.Fprintf(w, "- Source: %s\n- Snapshot: %s\n- Rows: %d\n\n", mdCell(s.Source), s.Snapshot.Format(time.DateOnly), referenceRows(ref, t.Name))
		}
		writeColumns(w, t, true)
		fmt.Fprintln(w)
	}
}

func referenceRows(ref *Reference, table string) int {
	switch table {
	case RefProviders:
		return len(ref.Providers)
	case RefModels:
		return len(ref.Models)
	case RefCountries:
		return len(ref.Countries)
	case RefRegimes:
		return len(ref.Regimes)
	case RefZoneRisk:
		return len(ref.ZoneRisk)
	case RefDomains:
		return len(ref.Domains)
	}
	return 0
}

var reasonText = map[string]string{
	ReasonNullKey:        "a key column (company_id, provider, asset_id, round_id) is null or empty after trimming",
	ReasonUnknownCompany: "a child row's company_id is in no companies row",
	ReasonParentRejected: "a child row's company_id is only in rejected companies rows",
	ReasonNullValue:      "a required column is null or empty after trimming (a slug with no letter or digit too)",
	ReasonNotFinite:      "a float is NaN or infinite",
	ReasonOutOfRange:     "a share outside [0, 1], a negative amount or count, a gross margin over 1, a founded_year outside [1800, run year], or a value that does not fit its column (a uint64 or decimal too large)",
	ReasonUnknownValue:   "an enum value that is not one of the column's values",
	ReasonBadCountry:     "a country that is not an ISO 3166-1 alpha-2 code",
	ReasonBadDate:        "a date outside [1900-01-01, run date + 1 year]",
	ReasonDuplicateKey:   "the row passes every other rule but its key was already kept (the first occurrence in path-then-row order is kept)",
	WarnUnknownProvider:  "an accepted model_usage row names a provider that is not in the providers reference: treated as closed, of unknown zone",
	WarnSharesScaled:     "a company's workload shares add up to more than 1.01: they are scaled down to 1 and the company is flagged",
}
