// Package valuation is the moatscore model: wrapper exposure (WX) and data
// moat (DM) scores, the moat rating, the thin-wrapper flag, the
// moat-adjusted valuation, the uncertainty level, peer percentiles and
// scenarios, computed column-wise over Arrow arrays.
//
// The model is declared once, as data: each component has an id, a
// description, a formula, a SQL form and a weight from Config. The
// evaluation, the explanations (Model.Explain), the output column
// descriptions and docs/methodology.md all derive from that declaration;
// Version names the formulas.
//
// A run builds a Model with New, streams the checked child batches into an
// Aggregator (memory grows with the number of companies, never with child
// rows) and calls Evaluate, which returns the scores and the scenario
// results as Arrow records.
package valuation
