package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"time"
)

// ManifestVersion is the version of the manifest's layout.
const ManifestVersion = 1

// Run statuses of a manifest.
const (
	StatusPublished = "published" // every dataset of the run is published
	StatusFailed    = "failed"    // nothing was published; the manifest is under OUT/failed
)

// Manifest is the record of one run, written as
// runs/run_date=D/manifest.json after every other output of the run: its
// presence marks the run as complete.
type Manifest struct {
	ManifestVersion int    `json:"manifest_version"`
	Status          string `json:"status"`
	Error           string `json:"error,omitempty"` // why a failed run failed
	// Demo is true when the run scored the built-in demo dataset because no
	// input was given.
	Demo         bool      `json:"demo"`
	RunID        string    `json:"run_id"`
	RunDate      string    `json:"run_date"`
	StartedAt    time.Time `json:"started_at"`
	FinishedAt   time.Time `json:"finished_at"`
	ModelVersion string    `json:"model_version"`
	// ConfigHash is the SHA-256 of the JSON of the settings that change
	// scores (valuation, rank, reference files): two runs with the same
	// hash scored with the same model settings.
	ConfigHash string            `json:"config_hash"`
	Inputs     []ManifestInput   `json:"inputs"`
	Tables     []TableAccounting `json:"tables"`
	Warnings   []ManifestWarning `json:"warnings"`
	// IgnoredColumns lists the extra input columns, as "file: column".
	IgnoredColumns []string          `json:"ignored_columns"`
	Previous       *PreviousRun      `json:"previous_run"` // null when there was no earlier run
	Outputs        []ManifestOutput  `json:"outputs"`
	Timings        []StageTiming     `json:"timings"` // every stage before the manifest is written (publish follows it)
	Config         any               `json:"config"`  // the effective configuration
	Versions       map[string]string `json:"versions"`
}

// ManifestInput is one input table's dataset.
type ManifestInput struct {
	Table string         `json:"table"`
	Spec  string         `json:"spec"` // as given: a file, a folder or a glob ("demo" for the demo)
	Files []ManifestFile `json:"files"`
}

// ManifestFile is one input file.
type ManifestFile struct {
	Path   string `json:"path"` // relative to the table's input root
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
	Rows   int64  `json:"rows"`
}

// TableAccounting is one input table's row accounting: rows_in = accepted
// + rejected.
type TableAccounting struct {
	Table       string           `json:"table"`
	RowsIn      int64            `json:"rows_in"`
	Accepted    int64            `json:"accepted"`
	Rejected    int64            `json:"rejected"`
	RejectShare float64          `json:"reject_share"`
	ByReason    map[string]int64 `json:"rejected_by_reason"`
	Warnings    map[string]int64 `json:"warnings"`
}

// ManifestWarning is a counted condition that did not reject rows.
type ManifestWarning struct {
	Code    string   `json:"code"`
	Table   string   `json:"table"`
	Count   int64    `json:"count"`
	Message string   `json:"message"`
	Values  []string `json:"values,omitempty"` // the values at fault (unknown provider ids), at most MaxWarningValues
}

// MaxWarningValues is the most values a manifest warning lists.
const MaxWarningValues = 50

// PreviousRun is the earlier published run the trend compares with.
type PreviousRun struct {
	RunDate string `json:"run_date"`
	RunID   string `json:"run_id"`
	Matched int64  `json:"companies_matched"`
}

// ManifestOutput is one output file, its path relative to the output root.
type ManifestOutput struct {
	Dataset string `json:"dataset"`
	Path    string `json:"path"`
	Rows    int64  `json:"rows"`
	Bytes   int64  `json:"bytes"`
}

// StageTiming is the wall time of one stage of the run.
type StageTiming struct {
	Stage   string  `json:"stage"`
	Seconds float64 `json:"seconds"`
}

// Encode returns the manifest as indented JSON with a final newline.
func (m *Manifest) Encode() ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	return append(b, '\n'), nil
}

// ReadManifest reads a manifest file.
func ReadManifest(path string) (*Manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("read manifest %s: %w", path, err)
	}
	return &m, nil
}

// Versions returns the versions a manifest records: moatscore's (the
// module version of the binary, "(devel)" in a source build), the model's,
// Go's and arrow-go's.
func Versions(modelVersion string) map[string]string {
	v := map[string]string{
		"moatscore": "(devel)",
		"model":     modelVersion,
		"go":        runtime.Version(),
		"arrow-go":  "unknown",
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			v["moatscore"] = bi.Main.Version
		}
		for _, d := range bi.Deps {
			if d.Path == "github.com/apache/arrow-go/v18" {
				v["arrow-go"] = d.Version
			}
		}
	}
	return v
}

// HashJSON returns the hex SHA-256 of v's JSON.
func HashJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:]), nil
}

// hashFiles returns the hex SHA-256 of each file, in parallel.
func hashFiles(paths []string, workers int) ([]string, error) {
	sums := make([]string, len(paths))
	errs := make([]error, len(paths))
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(1, workers) {
		wg.Go(func() {
			for i := range next {
				sums[i], errs[i] = hashFile(paths[i])
			}
		})
	}
	for i := range paths {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return sums, nil
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
