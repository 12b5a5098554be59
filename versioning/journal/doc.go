// Package journal records everything that changes a Grove engine other
// than its deterministic stepping, and re-simulates it: the journal of the
// seed's crash recovery ("l'état du générateur aléatoire, les commandes de
// chaque joueur, les Actions, les changements de tour"), next to the
// snapshots of [persist], as Redis keeps an AOF next to its RDB.
//
// # Outline
//
// A [Writer] is a [versioning.Recorder]: pass it to
// [versioning.WithRecorder] and it journals every op the engine hands it —
// each Tick's dt, every control call (add and remove modules, register,
// load, unload, reload, split, pin, spawn with its columns, despawn,
// rollback, GC settings), every entity command ([versioning.SetComponent],
// [versioning.Engine.Command]), every configuration
// ([versioning.Engine.Configure]; [Configs] holds the codecs, JSON by
// default), every injected and every detected failure, every automatic GC,
// and, with [versioning.WithChecksumEvery], every version's state checksum.
// [Writer.Checkpoint] (or [Writer.Save], which saves through a
// [persist.Saver] first) marks where a snapshot was taken.
//
// A [Reader] reads a journal back as [Record] values. [Replay] rebuilds the
// engine at any frame after a snapshot, bit for bit; [Load] is the seed's
// load(time): the newest save at or before a frame, and the journal after
// it. [Verify] checks a save directory end to end. [Compare] says where two
// snapshots differ.
//
// What a game supplies: a [Factory] that builds its engine (its modules,
// versions and commands), and the codecs of its configuration types. The
// game's random generator needs no record of its own: a generator that
// lives in a version's logic is saved with it ([versioning.Stateful]) and
// advances deterministically; a generator outside the engine feeds it
// through commands, which are journaled.
//
// # Files
//
// A journal is a directory of segments, journal.<first frame> (the seed's
// time marker), which may be the save directory of a [persist.Store]. A
// new segment starts at every checkpoint, so a replay from a snapshot reads
// the segments from its checkpoint on. Everything is little-endian.
//
// A segment starts with a 32-byte header: the magic "GROVEJNL", the format
// version (uint16, 1), flags (uint16, 0), 4 reserved bytes, the first frame
// (uint64), 4 reserved bytes, and the CRC-32C of the 28 bytes before it. A
// reader reads every format version up to its own and refuses a newer one
// ([ErrFormat]). A segment is created as journal.<frame>.new, fsynced,
// renamed and its directory fsynced, so it never appears half made.
//
// Then come blocks, one per frame (a frame's ops may span several blocks
// when a buffer fills or a sync falls in the middle). A block is a 24-byte
// header — the body's length (uint32), the CRC-32C of everything after
// this field up to the body's end (uint32), the frame (uint64), the number
// of records (uint32), flags (uint32, 0) — and the body: the records. The
// frame of a block is the engine's frame counter when its ops were
// recorded ([versioning.Op].Frame): a frame's block holds the failures,
// checksums and GC of the Tick that reached it, the control calls made at
// its end, and the Tick that starts the next one. Frames never decrease.
//
// A record is a kind byte (the [versioning.OpKind], or 0xC0 for a
// checkpoint), then for an op a uvarint bit mask of the fields present,
// then those fields in this order: module (string), version (varint), dt
// (varint nanoseconds), weights (count, then version varint and float64
// bits, by version), keys (count, then uint64 each), spawn columns (the
// layout's component schemas — name, size, alignment, fields with path,
// kind, offset, count and flags, as [ecs.Schema] says — then the row count,
// the keys and each component's column of raw bytes), component name,
// command name, value bytes, configuration (codec name and bytes), module
// dependencies, GC threshold, rollback target, failure policy (float64 bits
// and three varints), phase, cause, error message, checksum (uint32).
// Strings and byte strings are a uvarint length and the bytes. A
// checkpoint record holds whether the writer knew the registered versions,
// and the modules with their registered version numbers.
//
// Reading is bounded: every length and count is checked against the bytes
// that remain before anything is allocated, so a hostile file costs at most
// its own size, and gives a [*CorruptError] with the file and the byte
// offset of the block, never a panic.
//
// # Crashes, and what each fsync policy loses
//
// [Writer.Record] encodes the op into memory and returns: the engine never
// waits for the disk, except under backpressure, when the writer is more
// than [WithMaxBuffer] behind (64 MiB by default) and Record waits for room
// rather than drop an op. A background goroutine writes and fsyncs:
//
//   - [SyncAlways]: every op is written and fsynced at once (in batches when
//     they come faster than the disk). A crash loses only the ops in
//     flight — recorded in the last fsync's time. [Writer.Sync] waits until
//     all recorded ops are durable, under any policy. The engine hands
//     over entity commands and component writes in runs, before its next
//     other op (see [versioning.Op]): the commands queued since then, which
//     have not taken effect yet, are not recorded yet either.
//   - [SyncEveryFrame]: written and fsynced when a frame's Tick is
//     recorded. A crash loses the frame in progress and at most the frame
//     being written.
//   - [SyncEvery](d) (the default, with d = 1s, like Redis's everysec):
//     written every 100 ms (or d if shorter), fsynced every d of wall time.
//     A process crash loses at most the last 100 ms (the rest is in the
//     operating system's cache); a machine crash, up to d and 100 ms more.
//
// A crash during an append leaves a torn tail: a partial block, or one
// whose CRC fails, with no intact block after it, at the end of the last
// segment. A [Reader] stops before it and logs a warning (a [Strict] one
// reports [ErrTornTail]); [Create] truncates it, logs a warning, and
// appends after the last intact block, as Redis's aof-load-truncated does.
// Damage anywhere else is [ErrCorrupt]. A failed write or fsync fails the
// writer for good ([Writer.Err], [OnError]); the engine runs on,
// unjournaled.
//
// # Replay
//
// [Replay] restores a snapshot into a fresh engine and applies the records
// that follow its checkpoint, in order: control calls are made again and
// must succeed; Spawn must assign the recorded keys; before each Tick, the
// frame-budget failures recorded for that frame are re-injected with
// [versioning.Engine.InjectFailure] (they depend on wall time, so the
// replay runs with [versioning.WithFrameBudget](0) and does not detect
// them); every other failure must be detected again, the same version, in
// the same phase, for the same cause, and no other; after each frame with
// recorded checksums, every version's [versioning.Engine.Checksum] must
// match. Automatic GC is off during the replay and each recorded collection
// is applied as an unload at its place in the stream, so GC happens exactly
// where it did even if the recorded run made a call between a Tick and its
// collection; the recorded thresholds are set again at the end. The first
// difference is a [*DivergenceError] naming the frame, the module and the
// version. Replaying to frame F gives the state right after Tick F and the
// automatic GC that followed it; [End] replays everything.
//
// There are no build tags.
package journal
