package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"moatscore/data"
	"moatscore/reports"
	"moatscore/valuation"
)

// ErrUnknownCompany is returned by Explain for a company id that is not in
// the run.
var ErrUnknownCompany = errors.New("company not in the run")

// ErrNoRun is returned by Explain when the output root holds no published
// run (of the date asked for).
var ErrNoRun = errors.New("no published run")

// Explain reads one company's row of a published run — the run of runDate
// (YYYY-MM-DD), or the latest when runDate is "" — and its scenario rows,
// and breaks the scores down with the model settings the run recorded in
// its manifest. It only reads the output root.
func Explain(ctx context.Context, mem memory.Allocator, out, runDate, companyID string) (*reports.Explanation, error) {
	if runDate == "" {
		d, err := latestPublished(out)
		if err != nil {
			return nil, err
		}
		runDate = d
	}
	manifestPath := filepath.Join(out, DatasetRuns, partition(runDate), ManifestName)
	man, err := ReadManifest(manifestPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w for %s in %s", ErrNoRun, runDate, out)
	}
	if err != nil {
		return nil, err
	}
	m, err := manifestModel(man)
	if err != nil {
		return nil, fmt.Errorf("explain: the model of run %s: %w", man.RunID, err)
	}

	files, err := partitionFiles(filepath.Join(out, DatasetScores, partition(runDate)))
	if err != nil {
		return nil, fmt.Errorf("explain: scores of %s: %w", runDate, err)
	}
	var rec arrow.RecordBatch
	for _, path := range files {
		p, err := openParquet(mem, path, DefaultRowGroupRows)
		if err != nil {
			return nil, err
		}
		col := p.columns([]string{"company_id"})[0]
		if col < 0 {
			p.Close()
			return nil, fmt.Errorf("explain: %s has no column company_id", path)
		}
		rec, err = p.findRow(ctx, col, companyID)
		p.Close()
		if err != nil {
			return nil, err
		}
		if rec != nil {
			break
		}
	}
	if rec == nil {
		return nil, fmt.Errorf("explain %q: %w of %s (run %s)", companyID, ErrUnknownCompany, runDate, man.RunID)
	}
	defer rec.Release()
	x, err := m.Explain(rec, 0)
	if err != nil {
		return nil, fmt.Errorf("explain %q: %w", companyID, err)
	}

	e := &reports.Explanation{
		CompanyID:       companyID,
		Name:            rowString(rec, "name"),
		Country:         rowString(rec, "country"),
		Sector:          rowString(rec, "sector"),
		Zone:            rowString(rec, valuation.ColZone),
		RunDate:         runDate,
		RunID:           man.RunID,
		ModelVersion:    man.ModelVersion,
		RankBy:          rankBy(man),
		Rank:            rowInt(rec, "rank"),
		SectorRank:      rowInt(rec, "sector_rank"),
		ZoneRank:        rowInt(rec, "zone_rank"),
		WrapperExposure: &x.WrapperExposure,
		WXBand:          x.WXBand,
		DataMoat:        &x.DataMoat,
		Rating:          x.Rating,
		RatingWhy:       x.Reason,
		ThinWrapper:     x.ThinWrapper,
		Uncertainty:     x.Uncertainty,
		Trend:           rowString(rec, "trend"),
		WXChange:        rowFloat(rec, "wx_change"),
		DMChange:        rowFloat(rec, "dm_change"),
		RankChange:      rowInt(rec, "rank_change"),
		TopMover:        rowString(rec, "top_mover"),
	}
	if man.Previous != nil {
		e.PreviousRunDate = man.Previous.RunDate
	}
	rej := int64(x.RejectedChildRows)
	e.RejectedChildRows = &rej
	var why []string
	for _, u := range x.UncertaintyReasons {
		why = append(why, u.Description)
	}
	if len(why) == 0 {
		why = append(why, "complete inputs, a recent valuation and no rejected or flagged child rows")
	}
	e.UncertaintyWhy = strings.Join(why, "; ")
	comp := func(cs []valuation.ComponentScore) []reports.ExplainComponent {
		var out []reports.ExplainComponent
		for _, c := range cs {
			v, k := c.Value, c.Contribution
			out = append(out, reports.ExplainComponent{
				Column: c.ValueColumn(), Name: c.Name, Description: c.Description,
				Value: &v, Weight: c.Weight, Share: c.Share, Contribution: &k,
			})
		}
		return out
	}
	e.WX, e.DM = comp(x.WX), comp(x.DM)
	pct := func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
	e.Percentiles = []reports.ExplainValue{
		{Label: "wrapper exposure within sector " + e.Sector, Value: pct(x.WXPctSector)},
		{Label: "wrapper exposure within zone " + e.Zone, Value: pct(x.WXPctZone)},
		{Label: "data moat within sector " + e.Sector, Value: pct(x.DMPctSector)},
		{Label: "data moat within zone " + e.Zone, Value: pct(x.DMPctZone)},
	}
	if x.HasValuation {
		v, a, p := x.ValuationUSD, x.AdjustedUSD, x.AdjustmentPct
		age := int64(x.ValuationAgeDays)
		e.ValuationUSD, e.AdjustedUSD, e.AdjustmentPct, e.ValuationAgeDays = &v, &a, &p, &age
		e.LastRoundDate = x.LastRoundDate.Format(time.DateOnly)
		e.LastRoundStage = x.LastRoundStage
	}
	e.Extra = []reports.ExplainValue{
		{Label: "model usage rows", Value: strconv.Itoa(x.UsageRows)},
		{Label: "data assets", Value: strconv.Itoa(x.AssetCount)},
		{Label: "exclusive rights-clear assets", Value: strconv.Itoa(x.ExclusiveClear)},
		{Label: "funding rounds", Value: strconv.Itoa(x.RoundCount)},
		{Label: "flagged child rows", Value: strconv.Itoa(x.FlaggedChildRows)},
		{Label: "workload shares scaled", Value: strconv.FormatBool(x.SharesScaled)},
	}
	if e.Scenarios, err = explainScenarios(ctx, mem, out, runDate, companyID); err != nil {
		return nil, err
	}
	return e, nil
}

// explainScenarios reads the scenario rows of one company.
func explainScenarios(ctx context.Context, mem memory.Allocator, out, runDate, companyID string) ([]reports.ExplainScenario, error) {
	files, err := partitionFiles(filepath.Join(out, DatasetScenarios, partition(runDate)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var scen []reports.ExplainScenario
	for _, path := range files {
		p, err := openParquet(mem, path, DefaultRowGroupRows)
		if err != nil {
			return nil, err
		}
		fields := p.sc.Fields()
		idx := make([]int, len(fields))
		for i := range idx {
			idx[i] = i
		}
		idCol := p.columns([]string{"company_id"})[0]
		nameCol := p.columns([]string{valuation.ColScenario})[0]
		if idCol < 0 || nameCol < 0 {
			p.Close()
			return nil, fmt.Errorf("explain: %s has no company_id or scenario column", path)
		}
		err = p.scan(ctx, idx, func(rec arrow.RecordBatch) error {
			ids := rec.Column(idCol).(*array.String)
			for i := range ids.Len() {
				if ids.Value(i) != companyID {
					continue
				}
				s := reports.ExplainScenario{Name: rec.Column(nameCol).ValueStr(i)}
				for c, f := range fields {
					switch f.Name {
					case "company_id", valuation.ColScenario, "run_id", "model_version":
						continue
					}
					s.Values = append(s.Values, reports.ExplainValue{Label: f.Name, Value: formatCell(rec.Column(c), i)})
				}
				scen = append(scen, s)
			}
			return nil
		})
		p.Close()
		if err != nil {
			return nil, err
		}
	}
	return scen, nil
}

// formatCell formats one cell for people: floats with two decimals.
func formatCell(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return "n/a"
	}
	if f, ok := a.(*array.Float64); ok {
		return strconv.FormatFloat(f.Value(i), 'f', 2, 64)
	}
	return a.ValueStr(i)
}

// latestPublished returns the latest run date with a manifest.
func latestPublished(out string) (string, error) {
	entries, err := os.ReadDir(filepath.Join(out, DatasetRuns))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	latest := ""
	for _, e := range entries {
		d, ok := parsePartition(e.Name())
		if !ok || d <= latest {
			continue
		}
		if _, err := os.Stat(filepath.Join(out, DatasetRuns, e.Name(), ManifestName)); err == nil {
			latest = d
		}
	}
	if latest == "" {
		return "", fmt.Errorf("%w in %s", ErrNoRun, out)
	}
	return latest, nil
}

// manifestModel rebuilds the valuation model with the settings a run
// recorded, so that weights and thresholds are the run's own.
func manifestModel(man *Manifest) (*valuation.Model, error) {
	vc := valuation.DefaultConfig()
	var cfg struct {
		Valuation json.RawMessage     `json:"valuation"`
		Reference data.ReferenceFiles `json:"reference"`
	}
	if b, err := json.Marshal(man.Config); err == nil && json.Unmarshal(b, &cfg) == nil && len(cfg.Valuation) > 0 {
		vc.WX.Weights, vc.DM.Weights, vc.DM.Rights, vc.DM.Exclusivity = nil, nil, nil, nil
		vc.Scenarios = nil
		if err := json.Unmarshal(cfg.Valuation, &vc); err != nil {
			return nil, err
		}
	}
	ref := data.DefaultReference()
	if cfg.Reference != (data.ReferenceFiles{}) {
		if r, err := data.LoadReference(cfg.Reference); err == nil {
			ref = r
		}
	}
	runDate, err := time.Parse(time.DateOnly, man.RunDate)
	if err != nil {
		return nil, err
	}
	return valuation.New(vc, ref, runDate)
}

func rankBy(man *Manifest) string {
	var cfg struct {
		Rank RankConfig `json:"rank"`
	}
	if b, err := json.Marshal(man.Config); err == nil && json.Unmarshal(b, &cfg) == nil && cfg.Rank.By != "" {
		return cfg.Rank.By
	}
	return DefaultRankBy
}

func rowString(rec arrow.RecordBatch, name string) string {
	if c := column(rec, name); c != nil && c.IsValid(0) {
		if s, ok := c.(*array.String); ok {
			return s.Value(0)
		}
		return c.ValueStr(0)
	}
	return ""
}

func rowFloat(rec arrow.RecordBatch, name string) *float64 {
	if c, ok := column(rec, name).(*array.Float64); ok && c.IsValid(0) {
		v := c.Value(0)
		return &v
	}
	return nil
}

func rowInt(rec arrow.RecordBatch, name string) *int64 {
	c := column(rec, name)
	if c == nil {
		return nil
	}
	if v, ok := intAt(c, 0); ok {
		return &v
	}
	return nil
}
