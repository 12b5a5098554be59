package stats

import "strconv"

// Verdict is the outcome of a canary check. The zero value is
// [Inconclusive], so a verdict nobody set never promotes or rolls back.
type Verdict int

const (
	// Inconclusive means the evidence decides nothing yet: keep observing.
	Inconclusive Verdict = iota
	// Pass means the evidence favours the canary (it is significantly
	// better, or healthy enough, depending on the check).
	Pass
	// Fail means the evidence is against the canary: it is significantly
	// worse than its null share or its baseline.
	Fail
)

// String returns "inconclusive", "pass" or "fail", and "Verdict(n)" for any
// other value.
func (v Verdict) String() string {
	switch v {
	case Inconclusive:
		return "inconclusive"
	case Pass:
		return "pass"
	case Fail:
		return "fail"
	}
	return "Verdict(" + strconv.Itoa(int(v)) + ")"
}

// Alternative is the direction of a test's alternative hypothesis, seen
// from the canary. The zero value is [Greater], the canary-is-worse
// direction for counts of bad events and for costs such as step time.
type Alternative int

const (
	// Greater: the canary has more events than its share, or larger values
	// than the baseline.
	Greater Alternative = iota
	// Less: the canary has fewer events than its share, or smaller values.
	Less
	// TwoSided: the canary differs in either direction.
	TwoSided
)

// String returns "greater", "less" or "two-sided", and "Alternative(n)" for
// any other value.
func (a Alternative) String() string {
	switch a {
	case Greater:
		return "greater"
	case Less:
		return "less"
	case TwoSided:
		return "two-sided"
	}
	return "Alternative(" + strconv.Itoa(int(a)) + ")"
}

// valid reports whether a is one of the declared alternatives.
func (a Alternative) valid() bool { return a == Greater || a == Less || a == TwoSided }
