package synth

import (
	"encoding/json"
	"os"
)

// Summary says what Generate wrote. Written as _expected.json, it is also
// what a validator of the dataset must count.
type Summary struct {
	Out             string  `json:"-"`
	Seed            int64   `json:"seed"`
	Companies       int     `json:"companies"`
	BadRowsFraction float64 `json:"bad_rows_fraction"`
	RunDate         string  `json:"run_date"`
	// Tables in data.Inputs order.
	Tables []TableSummary `json:"tables"`
	// BadRows counts the rows the validator must reject, by reason code,
	// over every table.
	BadRows map[string]int64 `json:"bad_rows"`
	// Archetypes counts the companies (rows of the companies table, not
	// counting duplicate-key bad rows) by archetype id: thin_wrapper,
	// api_app, hybrid, data_moat, model_lab.
	Archetypes map[string]int64 `json:"archetypes"`
	Files      int              `json:"files"` // Parquet files written
	Bytes      int64            `json:"bytes"` // bytes of the Parquet files
}

// TableSummary counts one table's rows.
type TableSummary struct {
	Table    string           `json:"table"`
	Files    []string         `json:"files"` // relative to the table folder, in path order
	Rows     int64            `json:"rows"`
	Accepted int64            `json:"accepted"`
	Rejected int64            `json:"rejected"`
	ByReason map[string]int64 `json:"by_reason"` // rejected rows by reason code
	// Warnings: unknown_provider counts accepted rows of a provider of no
	// reference; shares_scaled counts companies whose accepted workload
	// shares sum over 1.01.
	Warnings map[string]int64 `json:"warnings"`
	Bytes    int64            `json:"bytes"`
}

// Table returns the summary of the named table, or nil.
func (s *Summary) Table(name string) *TableSummary {
	for i := range s.Tables {
		if s.Tables[i].Table == name {
			return &s.Tables[i]
		}
	}
	return nil
}

// Rows is the number of rows written over every table.
func (s *Summary) Rows() int64 {
	var n int64
	for _, t := range s.Tables {
		n += t.Rows
	}
	return n
}

// BadRowCount is the number of rows the validator must reject.
func (s *Summary) BadRowCount() int64 {
	var n int64
	for _, t := range s.Tables {
		n += t.Rejected
	}
	return n
}

func (s *Summary) writeExpected(path string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ReadExpected reads the _expected.json of a generated dataset.
func ReadExpected(path string) (*Summary, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s Summary
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	return &s, nil
}
