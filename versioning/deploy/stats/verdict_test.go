package stats

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestVerdictString(t *testing.T) {
	assert.Equal(t, "inconclusive", Inconclusive.String())
	assert.Equal(t, "pass", Pass.String())
	assert.Equal(t, "fail", Fail.String())
	assert.Equal(t, "Verdict(7)", Verdict(7).String())
	assert.Equal(t, "Verdict(-1)", Verdict(-1).String())
	var zero Verdict
	assert.Equal(t, Inconclusive, zero, "the zero verdict decides nothing")
}

func TestAlternativeString(t *testing.T) {
	assert.Equal(t, "greater", Greater.String())
	assert.Equal(t, "less", Less.String())
	assert.Equal(t, "two-sided", TwoSided.String())
	assert.Equal(t, "Alternative(3)", Alternative(3).String())
	var zero Alternative
	assert.Equal(t, Greater, zero, "the zero alternative is canary-is-worse")
}

func TestRankSumMethodString(t *testing.T) {
	assert.Equal(t, "auto", RankSumAuto.String())
	assert.Equal(t, "exact", RankSumExact.String())
	assert.Equal(t, "normal", RankSumNormal.String())
	assert.Equal(t, "RankSumMethod(5)", RankSumMethod(5).String())
}
