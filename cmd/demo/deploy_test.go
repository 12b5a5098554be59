package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDeployScenarioFlag(t *testing.T) {
	for args, want := range map[string]bool{
		"-scenario deploy": true, "-scenario=deploy": true, "--scenario deploy": true,
		"-entities 5 -scenario deploy": true, "-scenario default": false, "": false,
		"-entities 5": false, "extra -scenario deploy": false, "-realtime -scenario deploy": true,
		"-json -scenario": false, "-report x.html -scenario=default": false,
	} {
		var a []string
		if args != "" {
			a = splitArgs(args)
		}
		assert.Equal(t, want, deployScenario(a), "%q", args)
	}
}

func splitArgs(s string) []string {
	var out []string
	for _, f := range bytes.Fields([]byte(s)) {
		out = append(out, string(f))
	}
	return out
}

func TestDeployBadFlagsAreUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-scenario", "deploy", "-entities", "999"},
		{"-scenario", "deploy", "-fault", "panic"},
		{"-scenario", "deploy", "extra"},
		{"-scenario", "nope"},
	} {
		var out, errOut bytes.Buffer
		assert.Equal(t, 2, run(args, &out, &errOut), "%v", args)
		assert.Contains(t, errOut.String(), "Usage", "%v", args)
		assert.Empty(t, out.String(), "%v: nothing runs", args)
	}
}

type deployDoc struct {
	Passed      bool `json:"passed"`
	Entities    int  `json:"entities"`
	Deployments []struct {
		Name      string  `json:"name"`
		Strategy  string  `json:"strategy"`
		Outcome   string  `json:"outcome"`
		MaxWeight float64 `json:"max_weight"`
		Decisions []struct {
			Frame  uint64 `json:"frame"`
			Action string `json:"action"`
			Reason string `json:"reason"`
		} `json:"decisions"`
		Verdict string `json:"verdict"`
	} `json:"deployments"`
}

func runDeployJSON(t *testing.T, args ...string) (deployDoc, string, []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "deploy.json")
	var out, errOut bytes.Buffer
	code := run(append([]string{"-scenario", "deploy", "-json", path}, args...), &out, &errOut)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
	assert.Empty(t, errOut.String())
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var doc deployDoc
	require.NoError(t, json.Unmarshal(raw, &doc))
	return doc, out.String(), raw
}

// TestDeployScenario runs the deployment scenario and checks the JSON file
// the scripts read: names, outcomes, weights, decisions and verdicts.
func TestDeployScenario(t *testing.T) {
	doc, out, raw := runDeployJSON(t, "-entities", "2000")
	for _, s := range []string{"(a) canary-healthy", "(b) canary-regression", "(c) soft-errors-10pct", "(c) soft-errors-3pct",
		"(d) blue-green", "(e) abc-test", "(f) shadow", "DEPLOYMENTS", "Result: ✅ PASSED"} {
		assert.Contains(t, out, s)
	}
	assert.True(t, doc.Passed)
	assert.Equal(t, 2000, doc.Entities)
	want := map[string]string{"canary-healthy": "completed", "canary-regression": "rolled_back", "soft-errors-3pct": "completed",
		"soft-errors-10pct": "rolled_back", "blue-green": "switched_back", "abc-test": "completed", "shadow": "completed"}
	got := map[string]string{}
	for _, d := range doc.Deployments {
		got[d.Name] = d.Outcome
		assert.NotEmpty(t, d.Strategy)
		assert.NotEmpty(t, d.Verdict, d.Name)
		require.NotEmpty(t, d.Decisions, d.Name)
		for _, dc := range d.Decisions {
			assert.NotEmpty(t, dc.Action)
			assert.NotEmpty(t, dc.Reason)
		}
		switch d.Name {
		case "canary-healthy", "soft-errors-3pct", "blue-green":
			assert.Equal(t, 100.0, d.MaxWeight, d.Name)
		case "canary-regression":
			assert.Less(t, d.MaxWeight, 50.0)
		case "abc-test":
			assert.Equal(t, 50.0, d.MaxWeight)
			assert.Contains(t, d.Verdict, "step-time-mean: v3 best")
		case "shadow":
			assert.Equal(t, 0.0, d.MaxWeight)
			assert.Contains(t, d.Verdict, "differ")
			assert.Contains(t, d.Verdict, "ns/entity")
		}
	}
	assert.Equal(t, want, got)

	// The same inputs give the same decisions, at the same frames.
	_, _, again := runDeployJSON(t, "-entities", "2000")
	assert.JSONEq(t, string(raw), string(again))
}
