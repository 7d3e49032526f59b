package synth_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"moatscore/data"
	"moatscore/data/synth"
)

func ExampleGenerate() {
	out, err := os.MkdirTemp("", "synth-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(out)

	sum, err := synth.Generate(context.Background(), synth.Options{
		Out:       out,
		Companies: 1000,
		Seed:      1,
		BadRows:   0.02,
		RunDate:   time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
	}, data.DefaultReference(), nil)
	if err != nil {
		panic(err)
	}
	for _, t := range sum.Tables {
		fmt.Printf("%-14s %5d rows, %3d to reject\n", t.Table, t.Rows, t.Rejected)
	}
	// Output:
	// companies       1005 rows,  24 to reject
	// model_usage     2798 rows, 111 to reject
	// data_assets     4946 rows, 187 to reject
	// funding_rounds  1972 rows,  75 to reject
}
