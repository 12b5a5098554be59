package journal

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/grove-engine/grove/versioning"
)

// SyncPolicy says when a [Writer] makes what it wrote durable with fsync,
// like Redis's appendfsync. Whatever the policy, the engine's calls never
// wait for the disk (except under backpressure, see [WithMaxBuffer]):
// [Writer.Record] encodes the op into memory, and a background goroutine
// writes it to the operating system at once (always), at every frame, or
// every 100 ms (SyncEvery), and fsyncs.
//
// What a crash loses, by policy:
//
//   - [SyncAlways]: the writer writes and fsyncs every batch of ops as soon
//     as it gets it. A crash of the process or of the machine loses only the
//     ops recorded while the last write was in flight (microseconds to one
//     fsync). [Writer.Sync] waits until everything recorded is durable: call
//     it before telling the outside world that something happened.
//   - [SyncEveryFrame]: ops are written and fsynced when a frame's Tick is
//     recorded. A crash loses at most the frame in progress and a frame in
//     flight.
//   - [SyncEvery](d): ops are written every 100 ms (or d, if shorter) and
//     fsynced every d of wall time. A crash of the process loses at most
//     the last 100 ms (what was written is in the operating system's
//     cache); a crash of the machine loses at most d and 100 ms more.
//
// [Create]'s default is SyncEvery(time.Second), as Redis's default is
// appendfsync everysec: at most 100 ms lost when the process dies, a second
// more when the machine does, for a cost to the frame that stays small
// (fsyncing 60 times a second costs a frame several percent on a small
// machine; see the README's figures). The zero SyncPolicy is
// SyncEveryFrame.
type SyncPolicy struct {
	every time.Duration // > 0: SyncEvery; < 0: SyncAlways; 0: every frame
}

var (
	// SyncAlways fsyncs every write.
	SyncAlways = SyncPolicy{every: -1}
	// SyncEveryFrame fsyncs at every frame.
	SyncEveryFrame = SyncPolicy{}
)

// SyncEvery fsyncs every d of wall time (d > 0).
func SyncEvery(d time.Duration) SyncPolicy { return SyncPolicy{every: d} }

func (p SyncPolicy) String() string {
	switch {
	case p.every < 0:
		return "always"
	case p.every == 0:
		return "frame"
	}
	return p.every.String()
}

// ParseSyncPolicy reads "always", "frame" or a duration ("100ms").
func ParseSyncPolicy(s string) (SyncPolicy, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "always":
		return SyncAlways, nil
	case "frame":
		return SyncEveryFrame, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return SyncPolicy{}, fmt.Errorf("journal: sync policy %q: want always, frame or a positive duration", s)
	}
	return SyncEvery(d), nil
}

// Option configures [Create], [Open], [Replay], [Load] and [Verify]; each
// option says which it applies to.
type Option func(*options) error

type options struct {
	sync         SyncPolicy
	maxBuffer    int64
	fs           FS
	log          *slog.Logger
	configs      *Configs
	onError      func(error)
	strict       bool
	forward      versioning.Recorder
	stats        *ReplayStats
	onCheckpoint func(*versioning.Engine, *Checkpoint, *Record) error
	ticker       func(time.Duration) (<-chan time.Time, func())
}

func defaultOptions() options {
	return options{
		sync:      SyncEvery(time.Second),
		maxBuffer: 64 << 20,
		fs:        OSFS{},
		log:       slog.Default(),
		configs:   DefaultConfigs,
		ticker: func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(d)
			return t.C, t.Stop
		},
	}
}

func buildOptions(opts []Option) (options, error) {
	o := defaultOptions()
	for _, opt := range opts {
		if opt == nil {
			return o, fmt.Errorf("journal: nil option")
		}
		if err := opt(&o); err != nil {
			return o, err
		}
	}
	return o, nil
}

// WithSync sets a writer's fsync policy (default SyncEvery(time.Second)).
func WithSync(p SyncPolicy) Option {
	return func(o *options) error {
		o.sync = p
		return nil
	}
}

// WithMaxBuffer bounds the memory a writer holds for ops not yet written
// (default 64 MiB). When the disk cannot keep up and the bound is reached,
// the writer applies backpressure: [Writer.Record], and so the engine call
// that records, waits until the background write has made room. It never
// drops an op, which would make the journal unreplayable past it; the time
// spent waiting is counted in [Stats].Stalled.
func WithMaxBuffer(bytes int64) Option {
	return func(o *options) error {
		if bytes <= 0 {
			return fmt.Errorf("journal: buffer bound %d", bytes)
		}
		o.maxBuffer = bytes
		return nil
	}
}

// WithFS sets the file system (default [OSFS]).
func WithFS(fsys FS) Option {
	return func(o *options) error {
		if fsys == nil {
			return fmt.Errorf("journal: nil FS")
		}
		o.fs = fsys
		return nil
	}
}

// WithLogger sets where warnings (a torn tail truncated, a write that
// failed) are logged (default slog.Default(); nil: nowhere).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			l = slog.New(slog.DiscardHandler)
		}
		o.log = l
		return nil
	}
}

// WithConfigs sets the registry of configuration codecs (default
// [DefaultConfigs]).
func WithConfigs(c *Configs) Option {
	return func(o *options) error {
		if c == nil {
			return fmt.Errorf("journal: nil config registry")
		}
		o.configs = c
		return nil
	}
}

// OnError is called, once, when a writer fails for good (a write or an
// fsync failed, the background goroutine panicked, the engine rewound). It
// runs on the writer's goroutine, or on the goroutine of the engine call
// that recorded (inside that call, so it must not call the engine's
// mutating methods), with none of the writer's locks held; it must not
// block.
func OnError(f func(error)) Option {
	return func(o *options) error {
		o.onError = f
		return nil
	}
}

// Strict makes a reader report a torn tail as an error ([ErrTornTail])
// instead of stopping before it with a warning; [Verify] reads strictly.
func Strict(on bool) Option {
	return func(o *options) error {
		o.strict = on
		return nil
	}
}

// Forward makes [Replay] and [Load] hand every op the replayed engine
// records after the replay to r, the way [versioning.WithRecorder] would
// (the recorder of an engine is set when it is created, and the replay
// needs its own while it runs). Pass the [Writer] that continues the
// journal.
func Forward(r versioning.Recorder) Option {
	return func(o *options) error {
		o.forward = r
		return nil
	}
}
