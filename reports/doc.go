// Package reports renders what a moatscore run produces for people to read:
// the closing summary of a run (Summary) and the explanation of one
// company's scores (Explanation). Each takes plain values, so the same
// renderers serve the command line, tests and, later, the investor report.
package reports
