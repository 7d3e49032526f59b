package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"moatscore/data"
)

type schemaOptions struct {
	format string
}

func (o *schemaOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.format, "format", "text", "output format: text or json")
}

func newSchemaCmd(a *app) *cobra.Command {
	var opts schemaOptions
	cmd := &cobra.Command{
		Use:   "schema",
		Short: "Print the data contract: the input and reference tables and their columns",
		Long: `Print the data contract: for each input table and each reference table, its
key and its columns with their kind, whether they are required, the rule their
values are checked against and what they mean.`,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{noConfigAnnotation: "true"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSchema(a.env.stdout, opts)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

func runSchema(w io.Writer, opts schemaOptions) error {
	switch opts.format {
	case "text":
		return writeSchemaText(w)
	case "json":
		return writeSchemaJSON(w)
	default:
		return usageErrorf("--format %q: want text or json", opts.format)
	}
}

// ruleName is the stable name of a value rule, as the JSON output gives it.
func ruleName(r data.Rule) string {
	switch r {
	case data.Share:
		return "share"
	case data.NonNeg:
		return "non_negative"
	case data.MaxOne:
		return "max_one"
	case data.Enum:
		return "enum"
	case data.ISOCountry:
		return "iso_country"
	case data.SaneDate:
		return "sane_date"
	case data.FoundedYear:
		return "founded_year"
	case data.Slug:
		return "slug"
	case data.ProviderID:
		return "provider_id"
	}
	return ""
}

// ruleText says what a column's rule accepts, for people.
func ruleText(c *data.Column) string {
	switch c.Rule {
	case data.Share:
		return "in [0, 1]"
	case data.NonNeg:
		return ">= 0"
	case data.MaxOne:
		return "<= 1"
	case data.Enum:
		return "one of " + strings.Join(c.Values, ", ")
	case data.ISOCountry:
		return "ISO 3166-1 alpha-2"
	case data.SaneDate:
		return "1900-01-01 to run date + 1 year"
	case data.FoundedYear:
		return "1800 to the run year"
	case data.Slug:
		return "lowercase snake_case"
	case data.ProviderID:
		return "provider id (unknown: warning)"
	}
	return ""
}

func writeSchemaText(w io.Writer) error {
	var b strings.Builder
	b.WriteString("INPUT TABLES\n")
	for _, t := range data.Inputs {
		writeTableText(&b, t)
	}
	b.WriteString("\nREFERENCE TABLES (embedded; replace one with reference.<table> in the config)\n")
	for _, t := range data.ReferenceTables {
		writeTableText(&b, t)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeTableText(b *strings.Builder, t *data.Table) {
	fmt.Fprintf(b, "\n%s: %s\n", t.Name, t.Description)
	if k := t.Key(); len(k) > 0 {
		fmt.Fprintf(b, "key: %s\n", strings.Join(k, ", "))
	}
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  COLUMN\tKIND\tREQUIRED\tKEY\tRULE\tDESCRIPTION")
	for i := range t.Columns {
		c := &t.Columns[i]
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", c.Name, c.Kind, yesNo(c.Required), yesNo(c.Key), ruleText(c), c.Description)
	}
	tw.Flush()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "-"
}

type schemaJSON struct {
	Tables          []tableJSON `json:"tables"`
	ReferenceTables []tableJSON `json:"reference_tables"`
}

type tableJSON struct {
	Name        string       `json:"name"`
	Description string       `json:"description"`
	Key         []string     `json:"key"`
	Columns     []columnJSON `json:"columns"`
}

type columnJSON struct {
	Name        string   `json:"name"`
	Kind        string   `json:"kind"`
	Required    bool     `json:"required"`
	Key         bool     `json:"key"`
	Rule        string   `json:"rule,omitempty"`
	Values      []string `json:"values,omitempty"`
	Description string   `json:"description"`
}

func tablesJSON(ts []*data.Table) []tableJSON {
	out := make([]tableJSON, 0, len(ts))
	for _, t := range ts {
		tj := tableJSON{Name: t.Name, Description: t.Description, Key: t.Key()}
		if tj.Key == nil {
			tj.Key = []string{}
		}
		for i := range t.Columns {
			c := &t.Columns[i]
			tj.Columns = append(tj.Columns, columnJSON{
				Name: c.Name, Kind: c.Kind.String(), Required: c.Required, Key: c.Key,
				Rule: ruleName(c.Rule), Values: c.Values, Description: c.Description,
			})
		}
		out = append(out, tj)
	}
	return out
}

func writeSchemaJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(schemaJSON{Tables: tablesJSON(data.Inputs), ReferenceTables: tablesJSON(data.ReferenceTables)})
}
