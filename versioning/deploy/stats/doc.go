// Package stats holds the statistics of canary analysis: tests that decide
// whether a canary version of a game-logic module is worse than the version
// it may replace, with false-alarm rates that hold however often they are
// checked.
//
// Grove's split is exact: a canary holding share s of the entities receives,
// under "no difference between versions", each per-entity event (an error, a
// failure) with probability exactly s. The tests build on that.
//
// Counts of bad events: [SeqBinomial], built by [NewSeqBinomial] from
// [SeqSettings], is an anytime-valid sequential binomial test. Feed it each
// frame's new events with [SeqBinomial.Observe] (or
// [SeqBinomial.ObservePair] when comparing with one baseline version); it
// keeps a mixture likelihood-ratio e-value ([SeqBinomial.EValue]) and an
// always-valid p-value ([SeqBinomial.PValue]), and fails the canary once the
// e-value reaches 1/α ([SeqBinomial.Verdict], [SeqBinomial.Result]). Peeking
// after every frame does not inflate the false-alarm rate α.
//
// Continuous per-entity metrics (step time, memory): [RankSum] and
// [RankSumTest] run the Wilcoxon rank-sum (Mann–Whitney) test, exact by
// dynamic programming for small samples, ties included, and by the normal
// approximation otherwise, with the Hodges–Lehmann shift as effect size
// ([RankSumResult]). These are fixed-sample tests: run them once, on a
// sample decided in advance, not every frame. [PermutationTest] tests any
// statistic (by default [MeanDiff]) by permutations drawn from a
// caller-seeded math/rand/v2 source, or by enumerating every split when
// there are few.
//
// Summaries: [Verdict] is the tri-state outcome ([Pass], [Fail],
// [Inconclusive]); [Alternative] the direction of a test; [HealthScore]
// scores a version from 0 to 100 by success rate, penalised by error rate
// and latency thresholds ([HealthPolicy]).
//
// Errors wrap [ErrBadInput] or [ErrNotConfigured]; a call that returns an
// error has changed nothing (a failed [PermutationTest.Run] may have
// advanced its random source). [HealthScore] and [RankSumTest.Run] are pure
// and safe for concurrent use, and so is [PermutationTest.Run] apart from
// the random source it is given; a [SeqBinomial] is a value that needs a
// pointer to update and is not safe for concurrent use.
//
// The package imports only the standard library. There are no build tags.
package stats
