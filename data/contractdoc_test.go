package data

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateDoc = flag.Bool("update", false, "rewrite the generated part of docs/data-contract.md")

const (
	docBegin = "<!-- BEGIN GENERATED: do not edit; go test ./data -run TestContractDoc -update -->\n"
	docEnd   = "<!-- END GENERATED -->\n"
)

// TestContractDoc checks that docs/data-contract.md holds the tables
// generated from the declarations: every column of every input and
// reference table, every reason code, the sources and snapshot dates.
func TestContractDoc(t *testing.T) {
	path := filepath.Join("..", "docs", "data-contract.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	i, j := strings.Index(text, docBegin), strings.Index(text, docEnd)
	if i < 0 || j < i {
		t.Fatalf("%s: no generated section between %q and %q", path, docBegin, docEnd)
	}
	var gen bytes.Buffer
	WriteContractTables(&gen, DefaultReference())
	want := text[:i+len(docBegin)] + gen.String() + text[j:]
	if *updateDoc {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if text != want {
		t.Errorf("%s is out of date with the declarations: run go test ./data -run TestContractDoc -update", path)
	}
	for _, tbl := range append(append([]*Table{}, Inputs...), ReferenceTables...) {
		for _, c := range tbl.Columns {
			if !strings.Contains(text, "| `"+c.Name+"` |") {
				t.Errorf("%s: column %s.%s is not documented", path, tbl.Name, c.Name)
			}
		}
	}
	for _, r := range append(append([]string{}, ReasonCodes...), WarningCodes...) {
		if reasonText[r] == "" || !strings.Contains(text, "`"+r+"`") {
			t.Errorf("%s: code %s is not documented", path, r)
		}
	}
}
