package valuation

import (
	"math"
	"sync"
)

// percentiles fills wx_pct_sector, wx_pct_zone, dm_pct_sector and
// dm_pct_zone: SQL's percent_rank() × 100 within the group, (rank − 1) ÷
// (n − 1) × 100 with tied values sharing the lowest rank, 0 for a company
// alone in its group.
func (e *evaluation) percentiles(workers int) {
	a := e.a
	var wg sync.WaitGroup
	for s, vals := range [][]float64{e.wx.v, e.dm.v} {
		run := func() {
			order := sortedOrder(vals)
			percentRank(order, vals, a.sector, len(a.sectors), e.pct[2*s].v)
			percentRank(order, vals, e.zone, int(nZones), e.pct[2*s+1].v)
		}
		if workers > 1 {
			wg.Add(1)
			go func() { defer wg.Done(); run() }()
		} else {
			run()
		}
	}
	wg.Wait()
}

// percentRank writes the percent rank of each value within its group,
// given the indices of the values in ascending order.
func percentRank(order []uint32, vals []float64, group []int32, ng int, out []float64) {
	count := make([]int, ng)
	for _, g := range group {
		count[g]++
	}
	seen := make([]int, ng)
	lastV := make([]float64, ng)
	lastR := make([]int, ng)
	for _, i := range order {
		g, v := group[i], vals[i]
		seen[g]++
		r := seen[g]
		if r > 1 && v == lastV[g] {
			r = lastR[g]
		}
		lastV[g], lastR[g] = v, r
		if c := count[g]; c > 1 {
			out[i] = float64(r-1) / float64(c-1) * 100
		} else {
			out[i] = 0
		}
	}
}

// sortedOrder returns the indices of non-negative values in ascending
// order of value: an LSD radix sort on the float bits (which order like
// the values when non-negative), skipping bytes that all keys share.
func sortedOrder(vals []float64) []uint32 {
	type kv struct {
		k uint64
		i uint32
	}
	n := len(vals)
	src := make([]kv, n)
	var and, or uint64 = math.MaxUint64, 0
	for i, v := range vals {
		k := math.Float64bits(v + 0)
		src[i] = kv{k, uint32(i)}
		and &= k
		or |= k
	}
	dst := make([]kv, n)
	var count [256]int
	for shift := uint(0); shift < 64; shift += 8 {
		if (and>>shift)&0xFF == (or>>shift)&0xFF {
			continue // every key has the same byte here
		}
		count = [256]int{}
		for _, e := range src {
			count[(e.k>>shift)&0xFF]++
		}
		pos := 0
		for b := range count {
			c := count[b]
			count[b] = pos
			pos += c
		}
		for _, e := range src {
			b := (e.k >> shift) & 0xFF
			dst[count[b]] = e
			count[b]++
		}
		src, dst = dst, src
	}
	order := make([]uint32, n)
	for j, e := range src {
		order[j] = e.i
	}
	return order
}
