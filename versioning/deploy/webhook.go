package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Webhook is a [Notifier] that POSTs every record as JSON to a URL, from its
// own goroutine: Notify only queues the record (dropping it, and counting
// the drop, when the queue is full), so a slow or dead endpoint never
// blocks a frame. Each record is sent with a timeout and retried a bounded
// number of times with exponential backoff; a 2xx answer is success.
// Build one with [NewWebhook]; Close stops it.
type Webhook struct {
	cfg    WebhookConfig
	queue  chan []byte
	stop   chan struct{}
	done   chan struct{}
	closed atomic.Bool
	once   sync.Once
	stats  struct{ sent, failed, dropped, attempts atomic.Int64 }
}

// WebhookConfig configures a [Webhook]. Zero fields mean the defaults.
type WebhookConfig struct {
	URL string
	// Timeout bounds one attempt (default 2s).
	Timeout time.Duration
	// Retries is how many times a failed attempt is retried (default 3;
	// negative: never).
	Retries int
	// Backoff is the wait before the first retry, doubled for each next one
	// (default 100ms).
	Backoff time.Duration
	// Queue is how many records may wait to be sent (default 256).
	Queue int
	// Client sends the requests (default: a client with no timeout of its
	// own; Timeout applies per attempt).
	Client *http.Client
}

// WebhookStats counts what a webhook did.
type WebhookStats struct {
	// Sent records were accepted by the endpoint; Failed were given up
	// after every attempt; Dropped never queued because the queue was full.
	Sent, Failed, Dropped int64
	// Attempts counts requests, retries included.
	Attempts int64
}

// NewWebhook starts a webhook notifier. The URL must be set, durations not
// negative.
func NewWebhook(cfg WebhookConfig) (*Webhook, error) {
	if cfg.URL == "" || cfg.Timeout < 0 || cfg.Backoff < 0 || cfg.Queue < 0 {
		return nil, fmt.Errorf("%w: webhook %+v", ErrBadConfig, cfg)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 2 * time.Second
	}
	switch {
	case cfg.Retries == 0:
		cfg.Retries = 3
	case cfg.Retries < 0:
		cfg.Retries = 0
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = 100 * time.Millisecond
	}
	if cfg.Queue == 0 {
		cfg.Queue = 256
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{}
	}
	w := &Webhook{cfg: cfg, queue: make(chan []byte, cfg.Queue), stop: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	return w, nil
}

// Notify queues the record; it never blocks. After Close it does nothing.
func (w *Webhook) Notify(r Record) {
	if w.closed.Load() {
		return
	}
	body, err := json.Marshal(r)
	if err != nil {
		w.stats.failed.Add(1)
		return
	}
	select {
	case w.queue <- body:
	default:
		w.stats.dropped.Add(1)
	}
}

// Stats returns the counts so far.
func (w *Webhook) Stats() WebhookStats {
	return WebhookStats{Sent: w.stats.sent.Load(), Failed: w.stats.failed.Load(), Dropped: w.stats.dropped.Load(),
		Attempts: w.stats.attempts.Load()}
}

// Close stops accepting records, sends those already queued (each still
// bounded by its timeout and retries, but without waiting between retries)
// and returns when the sender has stopped, or when ctx is done (the
// sender then stops after its current attempt). It returns ErrClosed if
// called again.
func (w *Webhook) Close(ctx context.Context) error {
	err := ErrClosed
	w.once.Do(func() {
		err = nil
		w.closed.Store(true)
		close(w.stop)
	})
	if err != nil {
		return err
	}
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run sends queued records until Close, then drains the queue.
func (w *Webhook) run() {
	defer close(w.done)
	for {
		select {
		case body := <-w.queue:
			w.deliver(body)
		case <-w.stop:
			for {
				select {
				case body := <-w.queue:
					w.deliver(body)
				default:
					return
				}
			}
		}
	}
}

// deliver sends one record with retries; a panic (in a custom transport,
// say) counts as a failed attempt.
func (w *Webhook) deliver(body []byte) {
	wait := w.cfg.Backoff
	for attempt := 0; ; attempt++ {
		w.stats.attempts.Add(1)
		if err := guard(func() error { return w.post(body) }); err == nil {
			w.stats.sent.Add(1)
			return
		}
		if attempt >= w.cfg.Retries {
			w.stats.failed.Add(1)
			return
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-w.stop: // closing: retry at once
			t.Stop()
		}
		wait *= 2
	}
}

func (w *Webhook) post(body []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), w.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.cfg.Client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook: %s", resp.Status)
	}
	return nil
}
