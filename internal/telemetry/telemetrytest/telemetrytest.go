package telemetrytest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/systems/scenario"
	v1 "github.com/grove-engine/grove/systems/v1"
	v2 "github.com/grove-engine/grove/systems/v2"
	"github.com/grove-engine/grove/versioning"
	"github.com/grove-engine/grove/versioning/deploy"
	"github.com/grove-engine/grove/versioning/deploy/stats"
)

// NewEngine returns an engine made with opts, with module "game", versions
// v1 and v2 registered and loaded, one entity at each of pos spawned in v1,
// and the split 70/30 between v1 and v2. It fails the test on any error.
func NewEngine(t testing.TB, pos []scenario.Vec2, opts ...versioning.Option) *versioning.Engine {
	t.Helper()
	e, err := versioning.New(opts...)
	require.NoError(t, err)
	require.NoError(t, e.AddModule("game"))
	require.NoError(t, e.Register("game", v1.Version{}))
	require.NoError(t, e.Register("game", v2.Version{}))
	require.NoError(t, e.Load("game", 1))
	require.NoError(t, e.Load("game", 2))
	c := ecs.MakeColumns(v1.Layout, len(pos))
	copy(ecs.Column(&c, scenario.Position), pos)
	_, err = e.Spawn("game", 1, &c)
	require.NoError(t, err)
	require.NoError(t, e.SetSplit("game", map[int]float64{1: 0.7, 2: 0.3}))
	return e
}

// Canary returns the status of rollout "canary-v2" of module "game", a
// canary progressing at step 1 of 4 from baseline v1 to candidate v2: the
// split 0.7/0.3 (v1 active with 70 entities, v2 the canary with 30), a
// maximum weight of 30%, and the given overall verdict, health score and
// metric results (Metrics is metrics). Weights and Versions are new on
// every call.
func Canary(verdict stats.Verdict, health float64, metrics ...deploy.MetricResult) deploy.Status {
	return deploy.Status{
		Name: "canary-v2", Module: "game", Strategy: "canary", Phase: deploy.PhaseProgressing,
		Baseline: 1, Candidate: 2, Step: 1, Steps: 4, Weights: map[int]float64{1: 0.7, 2: 0.3}, MaxWeight: 30,
		Verdict: verdict, Health: health,
		Metrics: metrics,
		Versions: []deploy.VersionStatus{
			{Version: 1, Role: deploy.RoleActive, Weight: 0.7, Entities: 70},
			{Version: 2, Role: deploy.RoleCanary, Weight: 0.3, Entities: 30},
		},
	}
}
