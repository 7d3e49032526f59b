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
			percentRanks(vals, a.sector, len(a.sectors), e.zone, int(nZones), e.pct[2*s].v, e.pct[2*s+1].v)
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

// rankItem is a value to rank with its index and both of its groups: g
// holds the first group in its low 29 bits and the second (a zone, below
// 8) in its top 3.
type rankItem struct {
	k uint64 // bits of the non-negative value: ordered like the value
	i uint32
	g uint32
}

const groupBits = 29

// percentRanks writes the percent rank of each value within its group of
// g1 into out1 and within its group of g2 into out2; g1 below 2^29, g2
// below 8.
func percentRanks(vals []float64, g1 []int32, n1 int, g2 []int32, n2 int, out1, out2 []float64) {
	items := make([]rankItem, len(vals))
	for i, v := range vals {
		items[i] = rankItem{k: math.Float64bits(v + 0), i: uint32(i), g: uint32(g1[i]) | uint32(g2[i])<<groupBits}
	}
	items = radixSort(items)
	walk := func(n int, shift, mask uint32, out []float64) {
		count := make([]int, n)
		for j := range items {
			count[(items[j].g>>shift)&mask]++
		}
		seen := make([]int, n)
		lastK := make([]uint64, n)
		lastR := make([]int, n)
		for j := range items {
			it := &items[j]
			g := (it.g >> shift) & mask
			seen[g]++
			r := seen[g]
			if r > 1 && it.k == lastK[g] {
				r = lastR[g]
			}
			lastK[g], lastR[g] = it.k, r
			if c := count[g]; c > 1 {
				out[it.i] = float64(r-1) / float64(c-1) * 100
			} else {
				out[it.i] = 0
			}
		}
	}
	walk(n1, 0, 1<<groupBits-1, out1)
	walk(n2, groupBits, 7, out2)
}

// radixSort sorts items by key, ascending: an LSD radix sort on 16-bit
// digits, skipping digits that every key shares.
func radixSort(src []rankItem) []rankItem {
	var and, or uint64 = math.MaxUint64, 0
	for j := range src {
		and &= src[j].k
		or |= src[j].k
	}
	dst := make([]rankItem, len(src))
	count := make([]int, 1<<16)
	for shift := uint(0); shift < 64; shift += 16 {
		if (and>>shift)&0xFFFF == (or>>shift)&0xFFFF {
			continue // every key has the same digit here
		}
		clear(count)
		for j := range src {
			count[(src[j].k>>shift)&0xFFFF]++
		}
		pos := 0
		for b, c := range count {
			count[b] = pos
			pos += c
		}
		for j := range src {
			b := (src[j].k >> shift) & 0xFFFF
			dst[count[b]] = src[j]
			count[b]++
		}
		src, dst = dst, src
	}
	return src
}
