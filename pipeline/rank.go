package pipeline

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Ranking keys accepted by rank.by.
const (
	RankNetMoat             = "net_moat"               // data_moat − wrapper_exposure, descending (the default)
	RankDataMoat            = "data_moat"              // descending
	RankWrapperExposure     = "wrapper_exposure"       // ascending: the least exposed first
	RankAdjustedValuation   = "adjusted_valuation_usd" // descending, companies without a valuation last
	DefaultRankBy           = RankNetMoat
	parallelSortMinimumRows = 1 << 16
)

// RankKeys lists the valid values of rank.by.
var RankKeys = []string{RankNetMoat, RankDataMoat, RankWrapperExposure, RankAdjustedValuation}

// RankInput holds the columns a ranking reads, one row per company. Every
// array has the same length. AdjustedValuation may be nil unless ranking by
// it.
type RankInput struct {
	CompanyID         *array.String
	Sector            arrow.Array // string or dictionary of strings
	Zone              arrow.Array // string or dictionary of strings
	WrapperExposure   *array.Float64
	DataMoat          *array.Float64
	AdjustedValuation *array.Float64
}

// Ranking is the result of Rank: 1-based ranks by row, and the row order
// (Order[0] is the row ranked first).
type Ranking struct {
	Overall []int32
	Sector  []int32
	Zone    []int32
	Order   []int32
}

// rankPair is one row's sort key: keys are arranged so that ascending order
// is the ranking order; a null key sorts after every other key.
type rankPair struct {
	key  float64
	null bool
	row  int32
}

// Rank orders the companies by the key named by `by` (one of RankKeys; empty
// means DefaultRankBy). Companies whose key is null or NaN come last; ties
// are broken by company_id in byte order, so the ranking is total and the
// same for the same input. Sector and zone ranks follow the overall order
// within each sector and zone.
func Rank(by string, in RankInput) (*Ranking, error) {
	if by == "" {
		by = DefaultRankBy
	}
	n := in.CompanyID.Len()
	pairs := make([]rankPair, n)
	var key func(i int) (float64, bool)
	switch by {
	case RankNetMoat:
		key = func(i int) (float64, bool) {
			if in.DataMoat.IsNull(i) || in.WrapperExposure.IsNull(i) {
				return 0, false
			}
			return -(in.DataMoat.Value(i) - in.WrapperExposure.Value(i)), true
		}
	case RankDataMoat:
		key = func(i int) (float64, bool) {
			if in.DataMoat.IsNull(i) {
				return 0, false
			}
			return -in.DataMoat.Value(i), true
		}
	case RankWrapperExposure:
		key = func(i int) (float64, bool) {
			if in.WrapperExposure.IsNull(i) {
				return 0, false
			}
			return in.WrapperExposure.Value(i), true
		}
	case RankAdjustedValuation:
		if in.AdjustedValuation == nil {
			return nil, fmt.Errorf("rank.by %q: no adjusted valuation column", by)
		}
		key = func(i int) (float64, bool) {
			if in.AdjustedValuation.IsNull(i) {
				return 0, false
			}
			return -in.AdjustedValuation.Value(i), true
		}
	default:
		return nil, fmt.Errorf("rank.by %q: want one of %s", by, strings.Join(RankKeys, ", "))
	}
	for i := range n {
		k, ok := key(i)
		if !ok || math.IsNaN(k) {
			pairs[i] = rankPair{null: true, row: int32(i)}
			continue
		}
		if k == 0 {
			k = 0 // fold -0 into +0 so that they tie
		}
		pairs[i] = rankPair{key: k, row: int32(i)}
	}
	ids := in.CompanyID
	compare := func(a, b rankPair) int {
		if a.null != b.null {
			if a.null {
				return 1
			}
			return -1
		}
		if c := cmp.Compare(a.key, b.key); c != 0 {
			return c
		}
		if c := strings.Compare(ids.Value(int(a.row)), ids.Value(int(b.row))); c != 0 {
			return c
		}
		return cmp.Compare(a.row, b.row)
	}
	pairs = sortPairs(pairs, compare)

	r := &Ranking{
		Overall: make([]int32, n),
		Sector:  make([]int32, n),
		Zone:    make([]int32, n),
		Order:   make([]int32, n),
	}
	for pos, p := range pairs {
		r.Order[pos] = p.row
		r.Overall[p.row] = int32(pos + 1)
	}
	groupRanks(r.Order, in.Sector, r.Sector)
	groupRanks(r.Order, in.Zone, r.Zone)
	return r, nil
}

// sortPairs sorts p by compare; above a size it sorts two halves in
// parallel and merges them. The result may be a new slice.
func sortPairs(p []rankPair, compare func(a, b rankPair) int) []rankPair {
	if len(p) < parallelSortMinimumRows {
		slices.SortFunc(p, compare)
		return p
	}
	mid := len(p) / 2
	left, right := p[:mid], p[mid:]
	var wg sync.WaitGroup
	wg.Go(func() { slices.SortFunc(left, compare) })
	slices.SortFunc(right, compare)
	wg.Wait()
	out := make([]rankPair, 0, len(p))
	i, j := 0, 0
	for i < len(left) && j < len(right) {
		if compare(right[j], left[i]) < 0 {
			out = append(out, right[j])
			j++
		} else {
			out = append(out, left[i])
			i++
		}
	}
	out = append(out, left[i:]...)
	return append(out, right[j:]...)
}

// groupRanks gives each row its 1-based position within its group (the
// group column's value; null is a group of its own), walking rows in rank
// order. The groups are coded first in row order, where the strings are
// read sequentially; a dictionary column's indices are its codes.
func groupRanks(order []int32, group arrow.Array, out []int32) {
	codes, groups := groupCodes(group)
	next := make([]int32, groups+1) // code 0: null
	for _, row := range order {
		c := codes[row]
		next[c]++
		out[row] = next[c]
	}
}

// groupCodes codes a group column: 0 for null, 1.. for the values; it
// returns the codes and the number of codes above 0.
func groupCodes(group arrow.Array) ([]int32, int) {
	codes := make([]int32, group.Len())
	if d, ok := group.(*array.Dictionary); ok {
		// Equal values may sit at several dictionary positions: code by value.
		dict := d.Dictionary()
		dictCodes, n := groupCodes(dict)
		for i := range codes {
			if d.IsValid(i) {
				codes[i] = dictCodes[d.GetValueIndex(i)]
			}
		}
		return codes, n
	}
	str, ok := group.(*array.String)
	if !ok {
		return codes, 0 // not a string column: one group
	}
	index := make(map[string]int32)
	last, lastCode := "", int32(-1)
	for i := range codes {
		if str.IsNull(i) {
			continue
		}
		v := str.Value(i)
		if lastCode >= 0 && v == last {
			codes[i] = lastCode
			continue
		}
		c, ok := index[v]
		if !ok {
			c = int32(len(index)) + 1
			index[strings.Clone(v)] = c
		}
		codes[i], last, lastCode = c, v, c
	}
	return codes, len(index)
}
