package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBadFlagsAreUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-entities", "0"},
		{"-entities", "9"},
		{"-entities", "many"},
		{"-fault", "segfault"},
		{"-seed", "-1"},
		{"-nosuchflag"},
		{"extra"},
	} {
		var out, errOut bytes.Buffer
		assert.Equal(t, 2, run(args, &out, &errOut), "%v", args)
		assert.Contains(t, errOut.String(), "Usage", "%v", args)
		assert.Empty(t, out.String(), "%v: nothing runs", args)
	}
}

// TestScenarioPasses runs the whole scenario for every fault kind and checks
// the report and the JSON file.
func TestScenarioPasses(t *testing.T) {
	for _, fault := range []string{"panic", "nan", "lag"} {
		t.Run(fault, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "report.json")
			var out, errOut bytes.Buffer
			code := run([]string{"-entities", "200", "-seed", "7", "-fault", fault, "-json", path}, &out, &errOut)
			require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
			assert.Contains(t, out.String(), "Result: ✅ PASSED")
			for _, phase := range []string{"Phase 0", "Phase 1", "Phase 2", "Phase 3", "Phase 4", "Phase 5", "METRICS SUMMARY", "ASSERTIONS"} {
				assert.Contains(t, out.String(), phase)
			}
			raw, err := os.ReadFile(path)
			require.NoError(t, err)
			var doc struct {
				Passed     bool               `json:"passed"`
				Entities   int                `json:"entities"`
				Fault      string             `json:"fault"`
				Metrics    map[string]float64 `json:"metrics"`
				Assertions map[string]bool    `json:"assertions"`
			}
			require.NoError(t, json.Unmarshal(raw, &doc))
			assert.True(t, doc.Passed)
			assert.Equal(t, 200, doc.Entities)
			assert.Equal(t, fault, doc.Fault)
			for _, k := range []string{"version_load_time_ms", "canary_accuracy", "traffic_split_accuracy",
				"state_migration_time_ms", "rollback_time_ms", "rollback_downtime_ms", "memory_isolation",
				"gc_trigger_time_s", "gc_efficiency", "gc_time_ms", "multi_version_count", "total_entities",
				"rollback_frames_missed"} {
				assert.Contains(t, doc.Metrics, k)
			}
			assert.Equal(t, 10.0, doc.Metrics["canary_accuracy"])
			assert.Equal(t, 0.0, doc.Metrics["traffic_split_accuracy"])
			assert.Equal(t, 100.0, doc.Metrics["memory_isolation"])
			assert.Equal(t, 3.0, doc.Metrics["multi_version_count"])
			assert.Equal(t, 200.0, doc.Metrics["total_entities"])
			assert.Equal(t, 0.0, doc.Metrics["rollback_frames_missed"])
			assert.InDelta(t, 10.0, doc.Metrics["gc_trigger_time_s"], 1.0/30)
			assert.Len(t, doc.Assertions, 10)
			for k, ok := range doc.Assertions {
				assert.True(t, ok, k)
			}
		})
	}
}

// TestReferenceCatchesCorruption proves the isolation check can fail: a
// reference that disagrees with the engine by one bit is reported.
func TestReferenceCatchesCorruption(t *testing.T) {
	var out bytes.Buffer
	r, err := newRunner(options{entities: 50, seed: 3, fault: "panic"}, &out)
	require.NoError(t, err)
	r.load(1)
	r.spawn()
	r.runUntil(1)
	r.verify()
	require.Equal(t, r.res.checked, r.res.matched)
	for _, e := range r.ref.entities {
		e.x = nextUp(e.x)
		break
	}
	r.verify()
	assert.Equal(t, r.res.checked-1, r.res.matched)
	assert.False(t, r.isolated())
	assert.True(t, strings.Contains(out.String(), "entities initialized") || out.Len() == 0)
}
