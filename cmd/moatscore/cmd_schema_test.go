package main

import (
	"encoding/json"
	"testing"

	"moatscore/data"
)

func TestSchema(t *testing.T) {
	tests := []struct {
		args   []string
		golden string
	}{
		{[]string{"schema"}, "schema.txt"},
		{[]string{"schema", "--format", "json"}, "schema.json"},
	}
	for _, tc := range tests {
		t.Run(tc.golden, func(t *testing.T) {
			r := run(t, tc.args...)
			if r.code != exitOK || r.stderr != "" {
				t.Fatalf("moatscore %v: exit %d, stderr %q", tc.args, r.code, r.stderr)
			}
			checkGolden(t, tc.golden, r.stdout)
		})
	}
}

// The JSON schema is the contract as declared in package data.
func TestSchemaJSONIsTheContract(t *testing.T) {
	r := run(t, "schema", "--format", "json")
	var got schemaJSON
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("schema --format json: %v", err)
	}
	check := func(what string, gotT []tableJSON, want []*data.Table) {
		if len(gotT) != len(want) {
			t.Fatalf("%s: %d tables, want %d", what, len(gotT), len(want))
		}
		for i, w := range want {
			g := gotT[i]
			if g.Name != w.Name || len(g.Columns) != len(w.Columns) {
				t.Errorf("%s %d = %s with %d columns, want %s with %d", what, i, g.Name, len(g.Columns), w.Name, len(w.Columns))
				continue
			}
			for j, c := range w.Columns {
				gc := g.Columns[j]
				if gc.Name != c.Name || gc.Kind != c.Kind.String() || gc.Required != c.Required || gc.Key != c.Key || gc.Description != c.Description {
					t.Errorf("%s.%s = %+v, want %+v", w.Name, c.Name, gc, c)
				}
				if (c.Rule != data.NoRule) != (gc.Rule != "") {
					t.Errorf("%s.%s rule = %q, want the name of rule %d", w.Name, c.Name, gc.Rule, c.Rule)
				}
				if c.Description == "" {
					t.Errorf("%s.%s has no description", w.Name, c.Name)
				}
			}
		}
	}
	check("input table", got.Tables, data.Inputs)
	check("reference table", got.ReferenceTables, data.ReferenceTables)
}
