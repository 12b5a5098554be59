package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// The gates a rollout can wait on, by name (Flagger's confirm-rollout and
// confirm-promotion webhooks).
const (
	GateConfirmRollout   = "confirm-rollout"
	GateConfirmPromotion = "confirm-promotion"
)

// Gate approves a step of a rollout. Confirm runs on its own goroutine,
// never on the frame's: the rollout holds (and its progress deadline runs)
// until a call returns true; a false or an error is asked again after
// Gates.Retry of simulated time. Confirm must honour ctx, which is
// cancelled after Gates.Timeout.
type Gate interface {
	Confirm(ctx context.Context, req GateRequest) (bool, error)
}

// GateFunc adapts a function to [Gate].
type GateFunc func(ctx context.Context, req GateRequest) (bool, error)

// Confirm calls f.
func (f GateFunc) Confirm(ctx context.Context, req GateRequest) (bool, error) { return f(ctx, req) }

// GateRequest is what a gate is asked to approve; a [WebhookGate] POSTs it
// as JSON.
type GateRequest struct {
	Gate      string          `json:"gate"`
	Rollout   string          `json:"rollout"`
	Module    string          `json:"module"`
	Strategy  string          `json:"strategy"`
	Baseline  int             `json:"baseline"`
	Candidate int             `json:"candidate"`
	Step      int             `json:"step"`
	Weights   map[int]float64 `json:"weights"`
	SimTime   time.Duration   `json:"sim_time_ns"`
	Frame     uint64          `json:"frame"`
	Reason    string          `json:"reason"`
}

// Gates are a rollout's approval points. A nil gate is not asked.
type Gates struct {
	// ConfirmRollout is asked before the first step.
	ConfirmRollout Gate
	// ConfirmPromotion is asked before the candidate gets all the traffic.
	ConfirmPromotion Gate
	// Retry is the simulated time between two asks of a gate that did not
	// approve (default 1s).
	Retry time.Duration
	// Timeout bounds one ask, in wall time (default 5s).
	Timeout time.Duration
}

func (g Gates) validate() error {
	if g.Retry < 0 || g.Timeout < 0 {
		return fmt.Errorf("%w: gate retry %v or timeout %v is negative", ErrBadConfig, g.Retry, g.Timeout)
	}
	return nil
}

// WebhookGate is a [Gate] that POSTs the [GateRequest] as JSON to URL and
// approves on a 2xx answer.
type WebhookGate struct {
	URL string
	// Client sends the request (default http.DefaultClient); the gate's
	// context bounds it.
	Client *http.Client
}

// Confirm posts the request.
func (w WebhookGate) Confirm(ctx context.Context, req GateRequest) (bool, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return false, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	hr.Header.Set("Content-Type", "application/json")
	c := w.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(hr)
	if err != nil {
		return false, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	_ = resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode < 300, nil
}

// gateState is one gate's progress in a rollout.
type gateState struct {
	approved bool
	asked    bool          // an ask is in flight
	next     time.Duration // simulated time of the next ask
	result   chan gateResult
	last     string // the last refusal, for the reason
}

type gateResult struct {
	ok  bool
	err error
}

// poll asks the gate if due, and collects a finished ask. It never blocks.
func (s *gateState) poll(g Gate, req GateRequest, now, retry, timeout time.Duration) {
	if s.approved {
		return
	}
	if s.asked {
		select {
		case r := <-s.result:
			s.asked = false
			s.approved = r.ok && r.err == nil
			switch {
			case r.err != nil:
				s.last = r.err.Error()
			case !r.ok:
				s.last = "refused"
			}
			s.next = now + retry
		default:
		}
		return
	}
	if now < s.next {
		return
	}
	s.asked = true
	if s.result == nil {
		s.result = make(chan gateResult, 1)
	}
	ch := s.result
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		var r gateResult
		r.err = guard(func() error {
			var err error
			r.ok, err = g.Confirm(ctx, req)
			return err
		})
		ch <- r
	}()
}
