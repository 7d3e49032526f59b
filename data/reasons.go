package data

// Reason codes of reject records. A rejected row gets one record, with the
// code of the first rule it breaks, in this order: a null key column
// (null_key); for a child table, its company (unknown_company,
// parent_rejected); then each column in contract order (null_value,
// not_finite, out_of_range, unknown_value, bad_country, bad_date); and last
// duplicate_key, among rows that pass every other rule.
const (
	ReasonNullKey        = "null_key"        // a key column is null or empty
	ReasonNullValue      = "null_value"      // a required column is null or empty
	ReasonDuplicateKey   = "duplicate_key"   // the key was already seen (first occurrence kept)
	ReasonOutOfRange     = "out_of_range"    // a share outside [0, 1], a negative amount, a value that does not fit
	ReasonNotFinite      = "not_finite"      // NaN or infinite
	ReasonUnknownValue   = "unknown_value"   // not one of an enum's values
	ReasonBadCountry     = "bad_country"     // not an ISO 3166-1 alpha-2 code
	ReasonBadDate        = "bad_date"        // a date outside 1900-01-01 .. run date + 1 year
	ReasonUnknownCompany = "unknown_company" // a child row whose company_id is in no companies file
	ReasonParentRejected = "parent_rejected" // a child row of a company whose rows were all rejected
)

// Warning codes: counted and reported, the row is kept.
const (
	WarnUnknownProvider = "unknown_provider" // provider not in the reference: treated as closed, zone unknown
	WarnSharesScaled    = "shares_scaled"    // a company's workload shares summed over 1.01 and were scaled to 1
)
