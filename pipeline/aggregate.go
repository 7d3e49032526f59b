package pipeline

import (
	"context"
	"fmt"
	"hash/maphash"
	"runtime"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"moatscore/data"
	"moatscore/reports"
	"moatscore/valuation"
)

// model is the valuation model of a run.
type model struct {
	m   *valuation.Model
	cfg valuation.Config
}

func newModel(cfg Config, runDate time.Time, ref *data.Reference) (*model, error) {
	vc := cfg.Valuation
	m, err := valuation.New(vc, ref, runDate)
	if err != nil {
		return nil, &ConfigError{Key: "valuation", Err: err}
	}
	return &model{m: m, cfg: vc}, nil
}

func (m *model) version() string { return m.m.Version() }
func (m *model) config() any     { return m.cfg }

// aggregation feeds the valuation aggregator from the ingest callbacks: it
// gathers the accepted companies (one record, in company-index order), then
// sums each child batch into the aggregator as it arrives. Its memory grows
// with the number of companies, never with child rows.
type aggregation struct {
	model *model
	mem   memory.Allocator

	mu        sync.Mutex
	chunks    [][]arrow.Array // accepted companies rows, per batch, per column
	schema    *arrow.Schema
	nextIndex int32
	once      sync.Once
	onceErr   error
	agg       *valuation.Aggregator
	companies arrow.RecordBatch
}

func newAggregation(m *model, mem memory.Allocator) *aggregation {
	return &aggregation{model: m, mem: mem}
}

// addCompanies keeps the accepted rows of a checked companies batch.
func (g *aggregation) addCompanies(b *data.Batch, c *data.Checked) error {
	if len(c.Accepted) == 0 {
		return nil
	}
	for j, idx := range c.Company {
		if idx != g.nextIndex+int32(j) {
			return fmt.Errorf("aggregate companies: company index %d out of order (want %d)", idx, g.nextIndex+int32(j))
		}
	}
	g.nextIndex += int32(len(c.Accepted))
	rec := c.Record
	g.schema = rec.Schema()
	cols := make([]arrow.Array, rec.NumCols())
	if len(c.Accepted) == int(rec.NumRows()) {
		for i := range cols {
			cols[i] = rec.Column(i)
			cols[i].Retain()
		}
	} else {
		ib := array.NewInt32Builder(g.mem)
		ib.AppendValues(c.Accepted, nil)
		idx := ib.NewArray()
		ib.Release()
		defer idx.Release()
		ctx := compute.WithAllocator(context.Background(), g.mem)
		for i := range cols {
			a, err := compute.TakeArray(ctx, rec.Column(i), idx)
			if err != nil {
				for _, x := range cols[:i] {
					x.Release()
				}
				return fmt.Errorf("aggregate companies: %w", err)
			}
			cols[i] = a
		}
	}
	g.chunks = append(g.chunks, cols)
	return nil
}

// start builds the companies record and the aggregator, once, when the
// first child batch arrives or at the end of reading.
func (g *aggregation) start() error {
	g.once.Do(func() {
		g.onceErr = g.build()
	})
	return g.onceErr
}

func (g *aggregation) build() error {
	schema := g.schema
	if schema == nil {
		schema = data.Companies.ArrowSchema()
	}
	cols := make([]arrow.Array, schema.NumFields())
	for i := range cols {
		parts := make([]arrow.Array, 0, len(g.chunks))
		for _, ch := range g.chunks {
			parts = append(parts, ch[i])
		}
		var err error
		switch len(parts) {
		case 0:
			cols[i] = array.MakeArrayOfNull(g.mem, schema.Field(i).Type, 0)
		case 1:
			cols[i] = parts[0]
			cols[i].Retain()
		default:
			if cols[i], err = array.Concatenate(parts, g.mem); err != nil {
				for _, x := range cols[:i] {
					x.Release()
				}
				return fmt.Errorf("aggregate companies: %w", err)
			}
		}
		for _, p := range parts {
			p.Release()
		}
		for _, ch := range g.chunks {
			ch[i] = nil
		}
	}
	g.chunks = nil
	n := int64(0)
	if len(cols) > 0 {
		n = int64(cols[0].Len())
	}
	g.companies = array.NewRecordBatch(schema, cols, n)
	for _, c := range cols {
		c.Release()
	}
	// Take back the batches' columns before the aggregator's sums are
	// allocated: both are as large as the companies.
	runtime.GC()
	agg, err := g.model.m.NewAggregator(g.companies)
	if err != nil {
		return err
	}
	g.agg = agg
	return nil
}

// addChild sums a checked child batch into the aggregator.
func (g *aggregation) addChild(t *data.Table, b *data.Batch, c *data.Checked) error {
	if err := g.start(); err != nil {
		return err
	}
	if err := g.agg.AddChildFlags(c.RejectedOf, c.FlaggedOf); err != nil {
		return err
	}
	switch t.Name {
	case data.TableModelUsage:
		return g.agg.AddUsage(c)
	case data.TableDataAssets:
		return g.agg.AddAssets(c)
	case data.TableFundingRounds:
		return g.agg.AddRounds(c)
	}
	return fmt.Errorf("aggregate: unknown child table %q", t.Name)
}

// Release frees the companies rows and the aggregator.
func (g *aggregation) Release() {
	for _, ch := range g.chunks {
		for _, a := range ch {
			if a != nil {
				a.Release()
			}
		}
	}
	g.chunks = nil
	if g.agg != nil {
		g.agg.Release()
		g.agg = nil
	}
	if g.companies != nil {
		g.companies.Release()
		g.companies = nil
	}
}

// evaluate scores every company.
func (g *aggregation) evaluate(ctx context.Context) (*scored, error) {
	if err := g.start(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// The scenario rows are made range by range while they are written;
	// the aggregator's sums are freed as the evaluation reads them.
	res, err := g.model.m.EvaluateWith(g.mem, g.agg, valuation.EvaluateOptions{DeferScenarios: true, ConsumeAggregator: true})
	if err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	g.companies.Retain()
	sc := &scored{
		res:           res,
		companies:     g.companies,
		model:         g.model,
		rows:          int(res.Scores.NumRows()),
		scenarioRows:  res.ScenarioRowCount(),
		scenarioCount: len(g.model.m.Scenarios()),
	}
	if sc.rows != int(g.companies.NumRows()) {
		sc.Release()
		return nil, fmt.Errorf("score: %d score rows for %d companies", sc.rows, g.companies.NumRows())
	}
	return sc, nil
}

// scored is the model's output for the run with the companies it scored.
type scored struct {
	res           *valuation.Result
	companies     arrow.RecordBatch
	model         *model
	rows          int
	scenarioRows  int
	scenarioCount int
}

// Release frees the scores.
func (s *scored) Release() {
	if s.res != nil {
		s.res.Release()
		s.res = nil
	}
	if s.companies != nil {
		s.companies.Release()
		s.companies = nil
	}
}

// column returns a column of a record by name, or nil.
func column(rec arrow.RecordBatch, name string) arrow.Array {
	if idx := rec.Schema().FieldIndices(name); len(idx) > 0 {
		return rec.Column(idx[0])
	}
	return nil
}

func (s *scored) score(name string) arrow.Array   { return column(s.res.Scores, name) }
func (s *scored) company(name string) arrow.Array { return column(s.companies, name) }

func (s *scored) float(name string) *array.Float64 {
	f, _ := s.score(name).(*array.Float64)
	return f
}

func (s *scored) str(rec arrow.RecordBatch, name string) *array.String {
	f, _ := column(rec, name).(*array.String)
	return f
}

// rankInput gives the ranking its columns.
func (s *scored) rankInput() RankInput {
	return RankInput{
		CompanyID:         s.str(s.companies, "company_id"),
		Sector:            s.company("sector"),
		Zone:              s.score(valuation.ColZone),
		WrapperExposure:   s.float(valuation.ColWrapperExposure),
		DataMoat:          s.float(valuation.ColDataMoat),
		AdjustedValuation: s.float(valuation.ColAdjustedValuation),
	}
}

// trendInput gives the comparison with the previous run its columns.
func (s *scored) trendInput(r *Ranking) TrendInput {
	ix := newIDIndex(s.str(s.companies, "company_id"))
	in := TrendInput{
		Rows:            s.rows,
		Lookup:          ix.lookup,
		WrapperExposure: s.float(valuation.ColWrapperExposure),
		DataMoat:        s.float(valuation.ColDataMoat),
		Rank:            r.Overall,
	}
	for _, c := range s.model.m.Components() {
		if f := s.float(c.ContribColumn()); f != nil {
			in.Contributions = append(in.Contributions, NamedFloats{Name: c.ContribColumn(), Label: c.ValueColumn(), Values: f})
		}
	}
	return in
}

// Descriptions of the columns the run adds to the model's.
var runColumnDescriptions = map[string]string{
	"rank":          "Rank of the company by rank.by (default net_moat = data_moat − wrapper_exposure, descending), 1 first; ties broken by company_id in byte order.",
	"sector_rank":   "Rank within the company's sector, in the order of rank.",
	"zone_rank":     "Rank within the company's zone, in the order of rank.",
	"run_id":        "Id of the run that wrote the row.",
	"model_version": "Version of the valuation model's formulas.",
	"company_id":    "Unique company identifier.",
}

// scoreHead is the order of the first columns of the scores table; the
// model's other columns follow in the model's order.
var scoreHead = []string{
	"company_id", "name", "country", "sector", valuation.ColZone,
	valuation.ColWrapperExposure, valuation.ColWXBand, valuation.ColDataMoat, valuation.ColNetMoat,
	valuation.ColMoatRating, valuation.ColThinWrapper, valuation.ColUncertainty, valuation.ColUncertaintyReasons,
	valuation.ColValuation, valuation.ColLastRoundDate, valuation.ColLastRoundStage, valuation.ColValuationAgeDays,
	valuation.ColAdjustedValuation, valuation.ColAdjustment, valuation.ColAdjustmentPct,
	"rank", "sector_rank", "zone_rank",
	valuation.ColWXPctSector, valuation.ColWXPctZone, valuation.ColDMPctSector, valuation.ColDMPctZone,
	"wx_change", "dm_change", "rank_change", "trend", "top_mover",
	valuation.ColRejectedChildRows, valuation.ColFlaggedChildRows,
}

// highCardinality lists the string columns written without a dictionary.
var highCardinality = map[string]bool{"company_id": true, "name": true}

// scoreColumns lays out the scores table: identity, scores, valuation,
// ranks, percentiles, trend, data quality, the model's other columns and
// every component and contribution, then run_id and model_version.
func (s *scored) scoreColumns(r *Ranking, t *Trend, meta FileMeta) []OutColumn {
	avail := map[string]OutColumn{}
	fromRecord := func(rec arrow.RecordBatch, desc func(name string, f arrow.Field) string) []string {
		var names []string
		for i, f := range rec.Schema().Fields() {
			typ, dict := outType(f.Type)
			avail[f.Name] = OutColumn{Name: f.Name, Type: typ, Dict: dict, Description: desc(f.Name, f), Array: rec.Column(i)}
			names = append(names, f.Name)
		}
		return names
	}
	fieldDesc := func(_ string, f arrow.Field) string {
		d, _ := f.Metadata.GetValue(descriptionKey)
		return d
	}
	fromRecord(s.companies, func(name string, f arrow.Field) string {
		if c, _ := data.Companies.Column(name); c != nil {
			return c.Description
		}
		return fieldDesc(name, f)
	})
	modelOrder := fromRecord(s.res.Scores, fieldDesc)
	int32Col := func(name string, v []int32) OutColumn {
		return OutColumn{Name: name, Type: arrow.PrimitiveTypes.Int32, Description: runColumnDescriptions[name],
			Gen: func(mem memory.Allocator, off, n int) arrow.Array {
				b := array.NewInt32Builder(mem)
				defer b.Release()
				b.AppendValues(v[off:off+n], nil)
				return b.NewArray()
			}}
	}
	avail["rank"] = int32Col("rank", r.Overall)
	avail["sector_rank"] = int32Col("sector_rank", r.Sector)
	avail["zone_rank"] = int32Col("zone_rank", r.Zone)
	for _, c := range t.Columns() {
		avail[c.Name] = c
	}

	var cols []OutColumn
	used := map[string]bool{}
	add := func(name string) {
		c, ok := avail[name]
		if !ok || used[name] {
			return
		}
		used[name] = true
		if c.Description == "" {
			c.Description = runColumnDescriptions[name]
		}
		if arrow.TypeEqual(c.Type, arrow.BinaryTypes.String) && !highCardinality[name] {
			c.Dict = true
		}
		cols = append(cols, c)
	}
	for _, name := range scoreHead {
		add(name)
	}
	for _, f := range s.companies.Schema().Fields() {
		add(f.Name)
	}
	for _, name := range modelOrder {
		add(name)
	}
	return append(cols,
		ConstString("run_id", runColumnDescriptions["run_id"], meta.RunID),
		ConstString("model_version", runColumnDescriptions["model_version"], meta.ModelVersion))
}

// scenarioColumns lays out the scenarios table: company_id in place of the
// model's company index, then the model's columns, run_id and model_version.
func (s *scored) scenarioColumns(meta FileMeta) []OutColumn {
	ids := s.str(s.companies, "company_id")
	model := s.model.m.ScenarioColumns()
	idx := -1
	fields := []arrow.Field{{Name: "company_id", Type: arrow.BinaryTypes.String, Nullable: true}}
	cols := []OutColumn{{Name: "company_id", Type: arrow.BinaryTypes.String, Description: "Company the scenario row is for."}}
	for i, c := range model {
		if c.Name == valuation.ColCompanyIndex {
			idx = i
			continue
		}
		typ, _ := outType(c.Type)
		fields = append(fields, arrow.Field{Name: c.Name, Type: c.Type, Nullable: true})
		cols = append(cols, OutColumn{Name: c.Name, Type: typ, Description: c.Description, Dict: arrow.TypeEqual(typ, arrow.BinaryTypes.String)})
	}
	schema := arrow.NewSchema(fields, nil)
	// The rows of each row group are made at once: the model's scenario
	// columns, with company_id in place of the company index.
	block := &OutBlock{Rows: func(mem memory.Allocator, off, n int) arrow.RecordBatch {
		rec := s.res.ScenarioRows(mem, off, n)
		defer rec.Release()
		arrs := make([]arrow.Array, 0, len(model))
		arrs = append(arrs, gatherStrings(mem, ids, rec.Column(idx).(*array.Int32).Int32Values()))
		for i := range model {
			if i != idx {
				arrs = append(arrs, rec.Column(i))
			}
		}
		out := array.NewRecordBatch(schema, arrs, int64(n))
		arrs[0].Release()
		return out
	}}
	for i := range cols {
		cols[i].Block, cols[i].BlockColumn = block, i
	}
	return append(cols,
		ConstString("run_id", runColumnDescriptions["run_id"], meta.RunID),
		ConstString("model_version", runColumnDescriptions["model_version"], meta.ModelVersion))
}

// outType is the type a column is written as: a dictionary array is
// written as its values' type, dictionary-encoded in Parquet.
func outType(t arrow.DataType) (arrow.DataType, bool) {
	if d, ok := t.(*arrow.DictionaryType); ok {
		return d.ValueType, true
	}
	return t, false
}

// companySummary is one company's line in the closing summary.
func (s *scored) companySummary(row int) reports.SummaryCompany {
	c := reports.SummaryCompany{
		CompanyID: s.str(s.companies, "company_id").Value(row),
		Name:      s.str(s.companies, "name").Value(row),
		Sector:    s.str(s.companies, "sector").Value(row),
	}
	if f := s.float(valuation.ColWrapperExposure); f != nil {
		c.WrapperExposure = f.Value(row)
	}
	if f := s.float(valuation.ColDataMoat); f != nil {
		c.DataMoat = f.Value(row)
	}
	if r := s.score(valuation.ColMoatRating); r != nil {
		c.Rating = stringAt(r, row)
	}
	return c
}

// gatherStrings returns the strings of src at the given rows, copying
// bytes straight into the new array's buffers.
func gatherStrings(mem memory.Allocator, src *array.String, rows []int32) arrow.Array {
	offs := src.ValueOffsets()
	total := 0
	for _, r := range rows {
		total += int(offs[r+1] - offs[r])
	}
	ob := memory.NewResizableBuffer(mem)
	ob.Resize((len(rows) + 1) * arrow.Int32SizeBytes)
	db := memory.NewResizableBuffer(mem)
	db.Resize(total)
	out := arrow.Int32Traits.CastFromBytes(ob.Bytes())
	bytes := src.ValueBytes()
	dst := db.Bytes()
	pos := int32(0)
	out[0] = 0
	for i, r := range rows {
		pos += int32(copy(dst[pos:], bytes[offs[r]:offs[r+1]]))
		out[i+1] = pos
	}
	var valid *memory.Buffer
	nulls := 0
	if src.NullN() > 0 {
		valid = memory.NewResizableBuffer(mem)
		valid.Resize(int(bitutil.BytesForBits(int64(len(rows)))))
		bits := valid.Bytes()
		clear(bits)
		for i, r := range rows {
			if src.IsValid(int(r)) {
				bitutil.SetBit(bits, i)
			} else {
				nulls++
			}
		}
	}
	data := array.NewData(arrow.BinaryTypes.String, len(rows), []*memory.Buffer{valid, ob, db}, nil, nulls, 0)
	ob.Release()
	db.Release()
	if valid != nil {
		valid.Release()
	}
	defer data.Release()
	return array.MakeFromData(data)
}

// stringAt reads a string cell of a plain or dictionary-encoded column.
func stringAt(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return ""
	}
	switch v := a.(type) {
	case *array.String:
		return v.Value(i)
	case *array.Dictionary:
		return stringAt(v.Dictionary(), v.GetValueIndex(i))
	}
	return a.ValueStr(i)
}

// idIndex finds the row of a company id in the companies' company_id
// column: an open-addressing table of 8-byte slots (the top 32 bits of the
// id's hash, the row + 1) over the column's own bytes.
type idIndex struct {
	ids   *array.String
	seed  maphash.Seed
	shift uint
	slots []uint64
}

func newIDIndex(ids *array.String) *idIndex {
	ix := &idIndex{ids: ids, seed: maphash.MakeSeed()}
	n := ids.Len()
	bits := uint(4)
	for 1<<bits < n+n/3+1 { // at most 3/4 full
		bits++
	}
	ix.shift = 64 - bits
	ix.slots = make([]uint64, 1<<bits)
	mask := uint64(len(ix.slots) - 1)
	for row := 0; row < n; row++ {
		if ids.IsNull(row) {
			continue
		}
		h := maphash.String(ix.seed, ids.Value(row))
		i := h >> ix.shift
		for ix.slots[i] != 0 {
			i = (i + 1) & mask
		}
		ix.slots[i] = h>>32<<32 | uint64(row+1)
	}
	return ix
}

// lookup returns the first row holding id.
func (ix *idIndex) lookup(id string) (int32, bool) {
	h := maphash.String(ix.seed, id)
	mask := uint64(len(ix.slots) - 1)
	for i := h >> ix.shift; ; i = (i + 1) & mask {
		e := ix.slots[i]
		if e == 0 {
			return -1, false
		}
		if e>>32 == h>>32 {
			if row := int(uint32(e)) - 1; ix.ids.Value(row) == id {
				return int32(row), true
			}
		}
	}
}
