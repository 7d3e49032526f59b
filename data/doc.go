// Package data holds the moatscore data contract: the schemas of the four
// input tables and of the reference tables, dataset discovery, a streaming
// reader over Arrow record batches that applies the contract's type rules,
// row validation into rejects, and the embedded reference data.
package data
