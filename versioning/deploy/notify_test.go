package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer safe for the logger's writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// recorder is a Notifier that keeps what it is given.
type recorder struct {
	mu   sync.Mutex
	recs []Record
}

func (r *recorder) Notify(rec Record) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, rec)
}

func TestListenersLoggerAndNotifiers(t *testing.T) {
	var logs syncBuffer
	n := &recorder{}
	w := newWorld(t, 3000, gc, standard(candidate(4, 100, 0, 0)),
		WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))), WithNotifier(n))
	var got []Record
	unsub := w.o.Subscribe(func(r Record) {
		got = append(got, r)
		_, _ = w.o.Status(mod) // listeners may call the orchestrator
	})
	w.o.Subscribe(func(Record) { panic("a bad listener") })
	require.NoError(t, w.o.Deploy(Spec{Module: mod, Candidate: 4, Strategy: fastCanary()}))
	w.until(600, terminal)
	unsub()
	require.Len(t, got, 3)
	assert.Equal(t, []Action{Start, Advance, RollBack}, []Action{got[0].Action, got[1].Action, got[2].Action})
	assert.Equal(t, got, n.recs)
	assert.Equal(t, w.o.History(mod), got)
	out := logs.String()
	assert.Contains(t, out, `"level":"WARN","msg":"deploy: rollback"`)
	assert.Contains(t, out, `"action":"advance"`)
	assert.Contains(t, out, `"reason":"analysis failed at step 0`)
}

func TestWebhookRetries(t *testing.T) {
	var calls atomic.Int32
	var bodies [][]byte
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if calls.Add(1) <= 2 {
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		mu.Lock()
		bodies = append(bodies, b)
		mu.Unlock()
	}))
	defer srv.Close()
	wh, err := NewWebhook(WebhookConfig{URL: srv.URL, Backoff: time.Millisecond, Retries: 3})
	require.NoError(t, err)
	wh.Notify(Record{Rollout: "r", Action: Advance, Reason: "step 1", Weights: map[int]float64{1: 0.5, 2: 0.5}})
	require.NoError(t, wh.Close(context.Background()))
	st := wh.Stats()
	assert.Equal(t, WebhookStats{Sent: 1, Attempts: 3}, st)
	require.Len(t, bodies, 1)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(bodies[0], &doc))
	assert.Equal(t, "advance", doc["action"])
	assert.Equal(t, "step 1", doc["reason"])

	// Give up after the bounded retries.
	always := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	defer always.Close()
	wh, err = NewWebhook(WebhookConfig{URL: always.URL, Backoff: time.Millisecond, Retries: 2})
	require.NoError(t, err)
	wh.Notify(Record{})
	require.NoError(t, wh.Close(context.Background()))
	assert.Equal(t, WebhookStats{Failed: 1, Attempts: 3}, wh.Stats())
	assert.ErrorIs(t, wh.Close(context.Background()), ErrClosed)
}

func TestWebhookTimeoutNeverBlocksTheFrame(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan struct{}, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select { // hang until the client gives up or the test ends
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	wh, err := NewWebhook(WebhookConfig{URL: srv.URL, Timeout: 20 * time.Millisecond, Retries: 1, Backoff: time.Millisecond, Queue: 4})
	require.NoError(t, err)
	// A game loop notifying while the endpoint hangs: every Notify returns
	// at once, and what does not fit in the queue is dropped and counted.
	w := newWorld(t, 1000, gc, standard(candidate(4, 50, 0, 0)), WithNotifier(wh))
	require.NoError(t, w.o.Deploy(Spec{Module: mod, Candidate: 4, Strategy: Rolling{Increment: 5, Interval: time.Second / 60}}))
	w.until(200, terminal)
	for range 100 {
		wh.Notify(Record{Reason: "burst"})
	}
	<-arrived // the sender is stuck on its first record
	s, _ := w.o.Status(mod)
	assert.Equal(t, PhaseCompleted, s.Phase, "the frames went on")
	require.NoError(t, wh.Close(context.Background()))
	st := wh.Stats()
	assert.Positive(t, st.Dropped)
	assert.Zero(t, st.Sent)
	assert.Equal(t, st.Failed, int64(len(w.o.History(mod))+100)-st.Dropped, "every queued record timed out")
	assert.Equal(t, 2*st.Failed, st.Attempts, "one retry each")
}

func TestWebhookBadConfig(t *testing.T) {
	for _, c := range []WebhookConfig{{}, {URL: "http://x", Timeout: -1}, {URL: "http://x", Queue: -1}} {
		_, err := NewWebhook(c)
		assert.ErrorIs(t, err, ErrBadConfig)
	}
}

func TestWebhookGate(t *testing.T) {
	var ok atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req GateRequest
		if json.NewDecoder(r.Body).Decode(&req) != nil || req.Gate == "" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if !ok.Load() {
			http.Error(w, "not yet", http.StatusForbidden)
		}
	}))
	defer srv.Close()
	g := WebhookGate{URL: srv.URL}
	yes, err := g.Confirm(context.Background(), GateRequest{Gate: GateConfirmPromotion})
	require.NoError(t, err)
	assert.False(t, yes)
	ok.Store(true)
	yes, err = g.Confirm(context.Background(), GateRequest{Gate: GateConfirmPromotion})
	require.NoError(t, err)
	assert.True(t, yes)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = g.Confirm(ctx, GateRequest{Gate: GateConfirmPromotion})
	assert.Error(t, err, "a cancelled ask is an error, not an approval")
}

// TestGatesHoldTheRollout runs a canary whose promotion needs a gate that
// approves on its third ask: it holds at 80% until then.
func TestGatesHoldTheRollout(t *testing.T) {
	var asks atomic.Int32
	asked := make(chan GateRequest, 10)
	gate := GateFunc(func(_ context.Context, r GateRequest) (bool, error) {
		asked <- r
		return asks.Add(1) >= 3, nil
	})
	w := newWorld(t, 2000, gc, standard(candidate(4, 50, 0, 0)))
	require.NoError(t, w.o.Deploy(Spec{Module: mod, Candidate: 4, Strategy: fastCanary(),
		Gates: Gates{ConfirmPromotion: gate, Retry: time.Second / 4}}))
	w.until(60*60, func(s Status) bool { return s.Step == 3 })
	// The gate runs on its own goroutine: tick until it has been asked.
	waitAsk := func() GateRequest {
		for range 100000 {
			select {
			case r := <-asked:
				return r
			default:
				w.tick(1)
			}
		}
		t.Fatal("the gate was never asked")
		return GateRequest{}
	}
	for range 2 {
		r := waitAsk()
		assert.Equal(t, GateConfirmPromotion, r.Gate)
		assert.Equal(t, map[int]float64{4: 1}, r.Weights)
	}
	s, _ := w.o.Status(mod)
	assert.Equal(t, 3, s.Step, "held at 80% while the gate refuses")
	assert.Contains(t, s.Reason, "awaiting confirm-promotion")
	waitAsk()
	w.until(60*60, terminal)
	s, _ = w.o.Status(mod)
	assert.Equal(t, PhaseCompleted, s.Phase)
	assert.EqualValues(t, 3, asks.Load())
}
