package valuation

import "moatscore/data"

// AddUsage adds a checked model_usage batch: its accepted rows
// (c.Accepted) with their company indices (c.Company).
func (a *Aggregator) AddUsage(c *data.Checked) error {
	return a.addUsage(c.Record, c.Accepted, c.Company)
}

// AddAssets adds a checked data_assets batch.
func (a *Aggregator) AddAssets(c *data.Checked) error {
	return a.addAssets(c.Record, c.Accepted, c.Company)
}

// AddRounds adds a checked funding_rounds batch.
func (a *Aggregator) AddRounds(c *data.Checked) error {
	return a.addRounds(c.Record, c.Accepted, c.Company)
}
