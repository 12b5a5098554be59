package deploy

import "time"

// DefaultHistoryLimit is how many records an orchestrator keeps.
const DefaultHistoryLimit = 1000

// Record is one action of a rollout: a decision the controller applied, a
// rollout's start, or a version it retired. Holds are not recorded (the
// rollout's [Status] carries the latest reason).
type Record struct {
	// Seq numbers the orchestrator's records from 1.
	Seq      uint64 `json:"seq"`
	Rollout  string `json:"rollout"`
	Module   string `json:"module"`
	Strategy string `json:"strategy"`
	Action   Action `json:"action"`
	// Command is the person's command that led to the action, if any.
	Command Command `json:"command"`
	// Step is the rollout's step after the action (-1 before the first).
	Step int `json:"step"`
	// Weights is the module's split after the action (fractions).
	Weights map[int]float64 `json:"weights"`
	// Phase is the rollout's phase after the action.
	Phase Phase `json:"phase"`
	// SimTime and Frame are the engine's simulated time and frame when the
	// action was applied; Duration the simulated time since the rollout's
	// previous record.
	SimTime  time.Duration `json:"sim_time_ns"`
	Frame    uint64        `json:"frame"`
	Duration time.Duration `json:"duration_ns"`
	// Outcome is "ok", or the error the engine returned applying it.
	Outcome string `json:"outcome"`
	// Reason says why, with the numbers behind it; Metrics holds them.
	Reason  string         `json:"reason"`
	Metrics []MetricResult `json:"metrics,omitempty"`
}

// history is a bounded ring of records.
type history struct {
	limit int
	recs  []Record
	head  int
	seq   uint64
}

func (h *history) add(r Record) Record {
	h.seq++
	r.Seq = h.seq
	if len(h.recs) < h.limit {
		h.recs = append(h.recs, r)
	} else {
		h.recs[h.head] = r
		h.head = (h.head + 1) % h.limit
	}
	return r
}

// all returns the records, oldest first, that keep returns true for.
func (h *history) all(keep func(*Record) bool) []Record {
	var out []Record
	for i := range h.recs {
		r := &h.recs[(h.head+i)%len(h.recs)]
		if keep(r) {
			out = append(out, *r)
		}
	}
	return out
}
