// Package persist saves and loads Grove engines: a compact binary snapshot
// format, a readable XML and JSON form with converters both ways, a
// crash-safe save directory with incremental saves, and a saver that does
// not stall the game's frames. It works through the engine's public API
// ([versioning.Engine.Capture], [versioning.Engine.CaptureInto],
// [versioning.Engine.Restore], [versioning.Engine.LayoutOf]); versioning
// does not import it. The journal and replay live in versioning/journal.
//
// # Outline
//
//   - [WriteSnapshot] writes a [versioning.Snapshot] in the binary format.
//   - [ReadFile] and [Open] decode a binary file into a [File]: schemas,
//     modules, versions and raw columns, without the game's Go types.
//     [File.Snapshot] binds it to an engine's registered layouts (by
//     component name and equal schema) for [versioning.Engine.Restore];
//     [File.WriteBinary] writes it back, byte for byte.
//   - [FromSnapshot] views a snapshot as a File without encoding it.
//   - [WriteDelta] writes a delta against a base file; [File.Apply] turns a
//     delta back into a full file.
//   - [WriteXML] (with its DTD; [WriteDTD] for a separate one), [ReadXML],
//     [WriteJSON] and [ReadJSON] are the text forms.
//   - [Store] is a save directory: [Store.Save], [Store.Saves],
//     [Store.LoadAt], [Store.Load], [Store.Latest]. Its file I/O goes
//     through an [FS] ([DirFS] by default) so tests can inject faults.
//   - [Saver] saves in the background: [Saver.Save] at a frame boundary
//     only copies the worlds.
//
// Errors wrap the sentinels [ErrCorrupt], [ErrVersion], [ErrSchemaMismatch],
// [ErrText], [ErrBase], [ErrNotFound], [ErrBusy], [ErrClosed] and [ErrPanic];
// a damaged binary file gives a [*FormatError] with its byte offset, a bad
// text a [*TextError] with its line, column and field path.
//
// # The binary format (version 1)
//
// All integers are little-endian; floats are stored as their raw bits, so
// NaN payloads and infinities survive. A file is:
//
//	header   16 bytes: magic 89 'G' 'R' 'V' 0D 0A 1A 0A, format version
//	         (u16, 1), kind (u8: 1 full, 2 delta), 0, CRC-32C of the 12
//	         bytes before it (u32)
//	records  each: tag (u8), encoding (u8), 0 (u16), CRC-32C (u32) of the
//	         tag, encoding, zeros and length and of the payload, length
//	         (u64), the payload, zero padding to a multiple of 8 (so that
//	         every payload, hence every column, is 8-byte aligned)
//	trailer  16 bytes: the footer record's offset (u64), 89 'G' 'R' 'V' 'E'
//	         'N' 'D' 0A
//
// The records come in this order:
//
//	H  head: frame (u64), simulated time in ns (i64), base frame (u64) and
//	   base checksum (u32) (zero in a full file), module count (u32)
//	S  schema: the components, each with its name, size, alignment and
//	   fields (path, kind, offset, count, non-finite flag)
//	then for each module, in the engine's order:
//	M  module: name, dependencies, GC threshold, rollback target, failure
//	   policy, weights (by version), pins (by key), dirty flag, counters,
//	   queued commands, key-slot and free-list lengths, and each loaded or
//	   failed version's state: number, flags (loaded, idle, logic state,
//	   backup), failure message, load and idle times, backup counter, the
//	   failure policy's step log, the logic's state, its layout (schema
//	   index and default value of each component, by name) and its row
//	   counts
//	C  one column record per column: the key generations (u32 each), the
//	   free list (u32 each), then for each version its world's keys (u64
//	   each) and each component's rows (size bytes each, as laid out in
//	   memory), then the same for its backup if it has one
//	F  footer: for every record before it, its tag, encoding, CRC, offset
//	   and length
//
// Every section and every column thus has its own CRC-32C (hardware
// accelerated), and the footer's CRC seals the list of them all: it is the
// file's checksum ([File.Checksum]), by which a delta names its base. A
// reader checks every length against the bytes that remain before it
// allocates anything, checks every CRC, requires canonical order (weights,
// pins, versions and components sorted) and zero padding, and compares the
// footer with the records it read. A damaged, truncated or hostile file is
// refused with the offset of the damage, never a panic.
//
// Versioning rule: the magic bytes and the format version at offset 8 never
// move. A reader reads every format version up to its own (a newer Grove
// reads every older file); a file of a newer format is refused with
// [ErrVersion] and says so, before anything else is read. Text forms carry
// the same version (format="1", "format": 1) under the same rule.
//
// # Deltas
//
// A delta file has the same layout. Its head names its base: the frame and
// the checksum of the file it was computed against. A column whose base
// column (same module, version, table and component, with an equal schema)
// has the same length may be stored with encoding 1, a patch: the number of
// runs of changed rows, each run as its gap since the previous run and its
// length (uvarints, in rows), then the changed rows' bytes. A column that
// changed length (entities added or removed), or whose patch would not be
// smaller, is stored whole. The module and version sections are always
// whole (they are small); the key table is patched like the columns.
// [File.Apply] checks the base's frame and checksum and rebuilds the full
// file.
//
// # Save directories
//
// A [Store] writes one file per module per save, named after the module
// and the time marker as the seed has it (world.123): <module>.<frame>.grove
// for a full file and <module>.<frame>.delta.grove for a delta (bytes of
// the module name other than letters, digits, '_' and '-' are written %XX),
// and a manifest, save.<frame>.manifest, which lists the files with their
// kinds, sizes and checksums and, for a delta save, the frame of its base
// save. The manifest is a few lines of text sealed by a CRC-32C line.
//
// Every WithFullEvery-th save (default 8) is full; the saves in between are
// deltas against the save before them, so a load applies at most 7 deltas.
// A module new since the base is written whole inside a delta save. After
// the engine went back in time (a Restore to an earlier frame), the next
// save is full; a save at the frame of an existing one replaces it.
//
// Crash safety: every file is written under a temporary name (.tmp),
// synced, and renamed; the directory is synced; then the manifest is
// written the same way and the directory synced again. A save exists once
// its manifest does, so a save interrupted at any point (a failed write or
// fsync, a full disk, a crash) does not load and leaves the previous saves
// as they were; the temporary files it left are removed before the next
// save. What a crash can lose is the save in progress, never an earlier
// one. A committed save whose file is later damaged fails to load with
// the file name and offset ([Store.LoadAt] does not silently fall back; an
// older save is still loaded with [Store.Load]).
//
// # Non-blocking saves
//
// [Saver.Save] copies the engine's state into a snapshot from a bounded
// pool (CaptureInto, reusing its buffers) and hands it to a background
// goroutine that encodes and writes it; the game's frame pays only for the
// copy. At most K saves are in flight (WithInFlight, default 2); past that
// Save returns an error wrapping [ErrBusy] (it does not coalesce or queue).
// The store keeps the last save's snapshot as the next delta's base, so the
// pool holds at most K+1 snapshots. Results go to the [OnSave] callback and
// [Saver.Err]; a panic while saving is recovered as [ErrPanic].
//
// # Text forms
//
// Both forms hold exactly what the binary form holds, and converting
// binary → text → binary gives the same bytes. They are written from the
// file's own schema, and read back without the game's types.
//
// The XML form carries a DTD in its internal subset (validate with
// xmllint --valid); its entity attributes are derived from the file's
// components. A world is one <e> element per entity:
//
//	<version number="1" loaded="true" loaded-at="0" idle-from="0" idle="false" since-backup="0" consecutive="0">
//	  <steps at="16666666 33333332" failed="0 0"/>
//	  <use component="position" default="0 0"/>
//	  <use component="velocity" default="0 0"/>
//	  <world>
//	    <e key="0:1" position.x="295.65973" position.y="924.3589" velocity.x="-4.553795" velocity.y="-5.82963"/>
//
// An attribute is named after the component, then the field's path for a
// struct component (an array index [i] becomes .i); a component made of one
// scalar is named alone. The key attribute is "key" (or "_key" when a
// component is called key). Padding bytes a value's fields do not cover
// are written, in hex, as _pad.<component> when they are not zero.
//
// The JSON form writes an entity as [key, {components}], a struct
// component as an object of its fields by path and a scalar one as a bare
// value:
//
//	"world": [
//	  ["0:1", {"position":{"x":295.65973,"y":924.3589}, "velocity":{"x":-4.553795,"y":-5.82963}}],
//
// with a third element {"component": "hex"} for non-zero padding.
//
// Values: a float is the shortest decimal that reads back to the same bits
// (-0 included); NaN is nan:0x followed by its bits in hex (nan:0x7fc00001,
// which keeps its payload and sign) and infinities are inf and -inf (in
// JSON, as strings). Integers are decimal, bools true and false (a byte
// other than 0 and 1 as its number), an array of scalars is a list
// (space-separated in XML); 64-bit integers are exact (tools that read JSON
// numbers as doubles, such as jq, round them above 2^53; Grove's reader
// does not). Keys are index:generation. Durations are
// integer nanoseconds. Byte strings (logic state, command payloads) are
// base64. Text strings (names, failure messages) are escaped for XML or
// JSON on top of one rule of their own: a backslash is written \\, and a
// byte that is not valid UTF-8 or is a control character other than tab,
// newline and carriage return is written \xHH, so that any Go string
// survives. The key table is gens="1*998 2 1" (a generation per slot, g*n
// for n slots in a row) and free="5 9..7" (the free list, a..b for a run).
//
// Reading text checks it against the schema it carries: unknown elements,
// attributes or members, a value that does not parse as its field's kind,
// a wrong count of array values, a duplicate are errors with the line,
// column and path (module "game" v1 world row 3 (key 5:1) position.x).
// Hand edits load:
//
//   - change a value: edit it;
//   - delete an entity: delete its element (its line); its slot is released
//     as Despawn would release it (generation advanced, appended to the
//     free list), and its pins and queued commands are dropped;
//   - add an entity: add an element with key="new" or no key (JSON: "new"
//     or null), and any fields left out take the layout's default; it gets
//     the key Spawn would give it (the last free slot, else a new slot). An
//     explicit fresh key takes a free slot, or grows the table (the slots
//     in between become free);
//   - a backup whose keys no longer match its world's is dropped (the
//     engine takes a fresh one).
//
// A key used twice, or whose slot is live with another generation, is an
// error. A text reader allocates no more than the document can justify.
//
// # Build tags
//
// None. The format is little-endian everywhere; on a big-endian machine the
// columns are converted on the way in and out.
package persist
