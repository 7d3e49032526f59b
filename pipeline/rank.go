package pipeline

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Ranking keys accepted by rank.by.
const (
	RankNetMoat           = "net_moat"               // data_moat − wrapper_exposure, descending (the default)
	RankDataMoat          = "data_moat"              // descending
	RankWrapperExposure   = "wrapper_exposure"       // ascending: the least exposed first
	RankAdjustedValuation = "adjusted_valuation_usd" // descending, companies without a valuation last
	DefaultRankBy         = RankNetMoat
)

// radixSortMinimumRows is the length from which a ranking sorts its keys
// by radix, then only the runs of tied keys by company_id.
const radixSortMinimumRows = 1 << 16

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

// rankPair is one row's sort key: ascending order of key is the ranking
// order (the float key's bits arranged to sort as unsigned integers, a
// null key as the largest), ties broken by company_id then row.
type rankPair struct {
	key uint64
	row int32
}

// nullKey is the key of a null: above the key of every number.
const nullKey = math.MaxUint64

// sortKey maps a float to a uint64 that sorts in the same order.
func sortKey(k float64) uint64 {
	b := math.Float64bits(k)
	if b>>63 != 0 {
		return ^b
	}
	return b | 1<<63
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
			pairs[i] = rankPair{key: nullKey, row: int32(i)}
			continue
		}
		if k == 0 {
			k = 0 // fold -0 into +0 so that they tie
		}
		pairs[i] = rankPair{key: sortKey(k), row: int32(i)}
	}
	ids := in.CompanyID
	compare := func(a, b rankPair) int {
		if c := strings.Compare(ids.Value(int(a.row)), ids.Value(int(b.row))); c != 0 {
			return c
		}
		return cmp.Compare(a.row, b.row)
	}
	if n < radixSortMinimumRows {
		slices.SortFunc(pairs, func(a, b rankPair) int {
			if c := cmp.Compare(a.key, b.key); c != 0 {
				return c
			}
			return compare(a, b)
		})
	} else {
		// Sort by key, then each run of equal keys by company_id and row.
		pairs = radixSortPairs(pairs)
	}
	for lo := 0; n >= radixSortMinimumRows && lo < n; {
		hi := lo + 1
		for hi < n && pairs[hi].key == pairs[lo].key {
			hi++
		}
		if hi-lo > 1 {
			slices.SortFunc(pairs[lo:hi], compare)
		}
		lo = hi
	}

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

// radixSortPairs sorts p by key, stably: a least significant digit radix
// sort on 16-bit digits, skipping the digits every key shares. The result
// may be a new slice.
func radixSortPairs(p []rankPair) []rankPair {
	var and, or uint64 = math.MaxUint64, 0
	for j := range p {
		and &= p[j].key
		or |= p[j].key
	}
	var tmp []rankPair
	var count [1 << 16]int
	for shift := uint(0); shift < 64; shift += 16 {
		if (and>>shift)&0xFFFF == (or>>shift)&0xFFFF {
			continue
		}
		if tmp == nil {
			tmp = make([]rankPair, len(p))
		}
		clear(count[:])
		for j := range p {
			count[(p[j].key>>shift)&0xFFFF]++
		}
		pos := 0
		for b, c := range count {
			count[b] = pos
			pos += c
		}
		for j := range p {
			b := (p[j].key >> shift) & 0xFFFF
			tmp[count[b]] = p[j]
			count[b]++
		}
		p, tmp = tmp, p
	}
	return p
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
