package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/internal/demogame"
	"github.com/grove-engine/grove/versioning/journal"
)

// TestSaveAndReplay saves the whole run with a journal, for every fault
// kind, then re-simulates it from the first save: the replay must end in
// the live run's final state, with phase 4's fault reproduced. The tools'
// copy of the demo's game (internal/demogame, what cmd/grove verifies
// with) must verify the same directory.
func TestSaveAndReplay(t *testing.T) {
	for _, fault := range []string{"panic", "nan", "lag"} {
		t.Run(fault, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "save")
			live := filepath.Join(t.TempDir(), "live.json")
			var out, errOut bytes.Buffer
			code := run([]string{"-entities", "200", "-seed", "3", "-fault", fault, "-save", dir, "-json", live}, &out, &errOut)
			require.Contains(t, []int{0, 1}, code, "stderr:\n%s", errOut.String())
			assert.Contains(t, out.String(), "=== Persistence (-save")
			var doc struct {
				Metrics map[string]float64 `json:"metrics"`
				Save    struct {
					Saves          int    `json:"saves"`
					FinalFrame     uint64 `json:"final_frame"`
					JournalRecords uint64 `json:"journal_records"`
				} `json:"save"`
			}
			raw, err := os.ReadFile(live)
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(raw, &doc))
			assert.GreaterOrEqual(t, doc.Save.Saves, 2, "the first and the final save at least")
			assert.Equal(t, uint64(150*fps), doc.Save.FinalFrame)
			assert.Positive(t, doc.Save.JournalRecords)
			assert.GreaterOrEqual(t, doc.Metrics["gc_efficiency"], 95.0, "saving keeps no collected world alive")

			path := filepath.Join(t.TempDir(), "replay.json")
			out.Reset()
			code = run([]string{"-replay", dir, "-json", path}, &out, &errOut)
			require.Equal(t, 0, code, "%s\n%s", out.String(), errOut.String())
			assert.Contains(t, out.String(), "Result: ✅ PASSED")
			raw, err = os.ReadFile(path)
			require.NoError(t, err)
			var rep struct {
				Passed bool `json:"passed"`
				Replay struct {
					Frames     int  `json:"frames"`
					Identical  bool `json:"identical"`
					Failures   int  `json:"failures"`
					Reinjected int  `json:"reinjected"`
				} `json:"replay"`
			}
			require.NoError(t, json.Unmarshal(raw, &rep))
			assert.True(t, rep.Passed)
			assert.True(t, rep.Replay.Identical)
			assert.Equal(t, 150*fps, rep.Replay.Frames, "the whole run, from the first save at frame 0")
			assert.GreaterOrEqual(t, rep.Replay.Failures, 1, "phase 4's failure")
			if fault == "lag" {
				assert.GreaterOrEqual(t, rep.Replay.Reinjected, 1, "the frame-budget failure is re-injected")
			}

			vr, err := journal.Verify(dir, demogame.Factory(&demogame.Fault{}), journal.WithLogger(nil))
			require.NoError(t, err)
			assert.True(t, vr.OK())
			assert.Equal(t, 150*fps, vr.Frames)
		})
	}
}

func TestSaveNeedsAnEmptyDirectory(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "x"), nil, 0o644))
	var out, errOut bytes.Buffer
	assert.Equal(t, 1, run([]string{"-save", dir}, &out, &errOut))
	assert.Contains(t, errOut.String(), "not empty")
	assert.Equal(t, 2, run([]string{"-save", dir, "-replay", dir}, &out, &errOut))
	out.Reset()
	assert.Equal(t, 1, run([]string{"-replay", t.TempDir()}, &out, &errOut), "nothing to replay")
	assert.Contains(t, out.String(), "no save")
}
