// Package pipeline runs moatscore: it reads and validates the input tables,
// scores the companies, and publishes the results under an output root.
//
// The output root (OUT) holds one folder per dataset — scores, scenarios,
// rejects, reports and runs — each partitioned as run_date=YYYY-MM-DD. A
// run's manifest, runs/run_date=D/manifest.json, is its completion marker.
// Runs are written to a staging folder inside OUT (OUT/.staging) and then
// published by switching each dataset's run_date=D folder from its old
// version to the new one in one step, with the switches journaled first so
// that the next invocation rolls forward a publish cut short by a crash. A
// lock on OUT/.lock keeps two runs off one output root.
package pipeline
