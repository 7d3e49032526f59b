package synth

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

const secondsPerDay = 86400

// day is a date as days since 1970-01-01.
func day(t time.Time) int64 {
	return int64(math.Floor(float64(t.Unix()) / secondsPerDay))
}

func dayOf(year int, month time.Month, d int) int64 {
	return day(time.Date(year, month, d, 0, 0, 0, 0, time.UTC))
}

func arrowDate(d int64) arrow.Date32 { return arrow.Date32(d) }

// splitmix64 is a strong 64-bit mixer, used to derive independent seeds.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	z := x
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// uniform maps a hash to [0, 1).
func uniform(h uint64) float64 { return float64(h>>11) / (1 << 53) }

// between is a uniform float in [lo, hi).
func between(r *rand.Rand, lo, hi float64) float64 { return lo + r.Float64()*(hi-lo) }

// chance is true with probability p.
func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

// lognormal has the given median and log-scale sigma.
func lognormal(r *rand.Rand, median, sigma float64) float64 {
	return median * math.Exp(sigma*r.NormFloat64())
}

// geometric draws a count >= 0 with the given mean.
func geometric(r *rand.Rand, mean float64) int {
	if mean <= 0 {
		return 0
	}
	q := mean / (1 + mean)
	u := 1 - r.Float64() // (0, 1]
	return int(math.Log(u) / math.Log(q))
}

// count draws a count that is 0 with probability zero and has the given
// mean overall, at most hi.
func count(r *rand.Rand, zero, mean float64, hi int) int {
	return countK(r, zero, mean, hi, 1)
}

// countK is count with the part above 1 a sum of k geometric draws: the
// same mean, a narrower spread the larger k.
func countK(r *rand.Rand, zero, mean float64, hi, k int) int {
	if chance(r, zero) {
		return 0
	}
	n := 1
	for range k {
		n += geometric(r, (mean/(1-zero)-1)/float64(k))
	}
	return min(hi, n)
}

// round rounds x to a multiple of unit: a power of ten, so that the result
// prints as a short decimal (0.285, not 0.28500000000000003).
func round(x, unit float64) float64 {
	if unit < 1 {
		k := math.Round(1 / unit)
		return math.Round(x*k) / k
	}
	return math.Round(x/unit) * unit
}

// companyID is the id of the company of index i: "C" and at least eight
// digits.
func companyID(i int) string { return paddedID('C', i+1, 8) }

// ghostID is a company id that no companies file holds.
func ghostID(i int) string { return paddedID('X', i+1, 8) }

func paddedID(prefix byte, n, width int) string {
	var buf [24]byte
	b := append(buf[:0], prefix)
	s := strconv.AppendInt(buf[12:12], int64(n), 10)
	for k := len(s); k < width; k++ {
		b = append(b, '0')
	}
	return string(append(b, s...))
}

// childID is the id of a company's k-th asset or round: "C00000001-A03".
func childID(company string, kind byte, k int) string {
	var buf [40]byte
	b := append(buf[:0], company...)
	b = append(b, '-', kind)
	if k < 10 {
		b = append(b, '0')
	}
	b = strconv.AppendInt(b, int64(k), 10)
	return string(b)
}

// variant spells an enum value or code the way some files do: upper or
// title case, or padded with spaces. The contract compares them after
// trimming and ignoring case.
func variant(r *rand.Rand, s string) string {
	switch r.IntN(3) {
	case 0:
		return strings.ToUpper(s)
	case 1:
		return strings.ToUpper(s[:1]) + s[1:]
	default:
		return " " + s + " "
	}
}

// hostileNames are company names a report must escape.
var hostileNames = []string{
	`<script>alert("moat")</script> Labs`,
	`O'Brien & Søn "Data" AI`,
	`Zoë Analytics <b>`,
	"Tab\tand\nNewline Systems",
	`ＡＩ Ｆｕｌｌｗｉｄｔｈ`,
	`=HYPERLINK("http://example.invalid") Labs`,
}

// companyName draws a plausible company name.
func companyName(r *rand.Rand) string {
	if chance(r, 0.002) {
		return hostileNames[r.IntN(len(hostileNames))]
	}
	name := nameHeads[r.IntN(len(nameHeads))] + nameTails[r.IntN(len(nameTails))]
	if w := nameWords[r.IntN(len(nameWords))]; w != "" {
		name += " " + w
	}
	return name
}

// title capitalises the words of a snake_case id.
func title(id string) string {
	words := strings.Split(id, "_")
	for i, w := range words {
		if w != "" {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, " ")
}
