package data

import (
	"embed"
	"io/fs"
)

// The demo dataset is made by the generator (package data/synth) with the
// options synth.DemoOptions: 500 companies, a fixed seed, run date
// 2026-11-01 and one row in a hundred broken, under the default reject
// threshold. A test regenerates it and compares the bytes; after a change
// to the generator or to the embedded reference data, rewrite it with
//
//	go generate ./data
//
// or, equivalently, go test ./data -run TestDemo -update-demo.

//go:generate go run ../cmd/moatscore generate --out demo --companies 500 --seed 20261101 --bad-rows 0.01 --run-date 2026-11-01 --overwrite

//go:embed all:demo
var demoFiles embed.FS

// DemoFS is the embedded demo dataset: the table folders companies/,
// model_usage/, data_assets/ and funding_rounds/, and the sidecars
// _bad_rows.csv (the rows the validator rejects) and _expected.json (the
// row counts per table). os.CopyFS(dir, DemoFS()) writes it to a folder.
func DemoFS() fs.FS {
	sub, err := fs.Sub(demoFiles, "demo")
	if err != nil {
		panic(err) // "demo" is a valid path
	}
	return sub
}
