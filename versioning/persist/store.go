package persist

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/versioning"
)

// Store keeps saves in a directory: per save, one binary file per module
// (<module>.<frame>.grove, or <module>.<frame>.delta.grove for a delta)
// and a manifest (save.<frame>.manifest) listing them with their sizes and
// checksums. See the package documentation for the layout and the crash
// guarantees.
//
// A Store's methods are safe for concurrent use; saves are serialised.
// One Store (one process) writes to a directory at a time.
type Store struct {
	fs        FS
	fullEvery int

	mu      sync.Mutex // serialises saves and guards base and cleaned
	base    *storeBase
	cleaned bool
}

// storeBase is the last committed save, kept in memory so that the next
// save can be a delta against it.
type storeBase struct {
	frame     uint64
	modules   map[string]baseModule
	sinceFull int                  // deltas written since the last full save
	owner     *versioning.Snapshot // the buffers the files alias, if handed over
}

type baseModule struct {
	file *File
	sum  uint32
}

// StoreOption configures [NewStore].
type StoreOption func(*Store) error

// WithFS makes the store use fsys instead of the directory given to
// NewStore (tests inject faults this way).
func WithFS(fsys FS) StoreOption {
	return func(s *Store) error {
		if fsys == nil {
			return fmt.Errorf("%w: nil FS", ErrBadOption)
		}
		s.fs = fsys
		return nil
	}
}

// WithFullEvery makes every k-th save a full save (default 8); the ones
// in between are deltas against the save before them, so a load applies
// at most k-1 deltas. 1 makes every save full. With deltas, the store keeps
// the last save's state in memory as the next delta's base (a copy, or the
// buffers a [Saver] hands over): one more copy of the worlds.
func WithFullEvery(k int) StoreOption {
	return func(s *Store) error {
		if k < 1 {
			return fmt.Errorf("%w: full save every %d saves", ErrBadOption, k)
		}
		s.fullEvery = k
		return nil
	}
}

// NewStore opens (creating if needed) the save directory dir. Before its
// first save it removes the temporary files a crash may have left (*.tmp);
// that first save is a full save. Opening a store and reading from it
// changes nothing in the directory.
func NewStore(dir string, opts ...StoreOption) (*Store, error) {
	s := &Store{fullEvery: 8}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrBadOption)
		}
		if err := o(s); err != nil {
			return nil, err
		}
	}
	if s.fs == nil {
		fsys, err := DirFS(dir)
		if err != nil {
			return nil, err
		}
		s.fs = fsys
	}
	return s, nil
}

// clean removes the temporary files a crash may have left, before the
// store's first save (not on open, so that reading a directory another
// process writes to never removes its files in progress).
func (st *Store) clean() error {
	if st.cleaned {
		return nil
	}
	names, err := st.fs.List()
	if err != nil {
		return err
	}
	for _, n := range names {
		if strings.HasSuffix(n, ".tmp") {
			if err := st.fs.Remove(n); err != nil {
				return err
			}
		}
	}
	st.cleaned = true
	return nil
}

// Save writes s as a new save named by its frame and returns the frame. It
// writes a full save, or a delta against the previous save when deltas are
// due (see [WithFullEvery]); a save at a frame that is not after the
// previous save's (the engine was restored to an earlier time) is always
// full. A save at the frame of an existing save replaces it.
//
// Save is crash-safe: each file is written to a temporary name, synced and
// renamed, then the directory is synced, and the manifest is written last
// the same way. If Save fails or the process dies midway, the save does not
// exist and the previous saves load as before. s is read during the call
// only (the state kept for the next delta is copied).
func (st *Store) Save(s *versioning.Snapshot) (uint64, error) {
	if s == nil {
		return 0, fmt.Errorf("%w: nil snapshot", versioning.ErrBadSnapshot)
	}
	f, err := fromSnapshot(s)
	if err != nil {
		return 0, err
	}
	info, _, err := st.save(f, nil)
	return info.Frame, err
}

// save writes f. owner is the snapshot whose buffers f aliases, when the
// store may keep them as the next delta's base (the Saver hands them
// over); with none, the store keeps a copy. It returns the snapshot whose
// buffers the store no longer needs: owner if it was not kept, else the
// one the previous base aliased (nil if none).
func (st *Store) save(f *File, owner *versioning.Snapshot) (SaveInfo, *versioning.Snapshot, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := st.clean(); err != nil {
		return SaveInfo{}, owner, err
	}
	info, err := st.write(f)
	if err != nil {
		return info, owner, err
	}
	var prev *versioning.Snapshot
	if st.base != nil {
		prev = st.base.owner
	}
	if st.fullEvery == 1 {
		st.base = nil
		return info, owner, nil
	}
	kept := f
	if owner == nil {
		kept = cloneFile(f)
	}
	nb := &storeBase{frame: f.Frame, modules: map[string]baseModule{}, owner: owner}
	if info.Kind == KindDelta {
		nb.sinceFull = st.base.sinceFull + 1
	}
	for i, m := range kept.Modules {
		nb.modules[m.Name] = baseModule{file: kept.moduleFile(i), sum: info.Files[i].Checksum}
	}
	st.base = nb
	return info, prev, nil
}

// write writes the files and the manifest of a save.
func (st *Store) write(f *File) (SaveInfo, error) {
	info := SaveInfo{Frame: f.Frame, Now: f.Now, Kind: KindFull, Manifest: manifestName(f.Frame)}
	base := st.base
	if base != nil && base.sinceFull+1 < st.fullEvery && f.Frame > base.frame {
		info.Kind, info.Base = KindDelta, base.frame
	}
	// A save at this frame already exists: it stops existing first, so
	// that a crash never leaves its manifest naming replaced files. Its
	// files the new save does not overwrite are removed once it committed.
	var replaced []string
	if data, err := st.fs.ReadFile(info.Manifest); err == nil {
		if old, err := parseManifest(data); err == nil {
			for _, f := range old.Files {
				replaced = append(replaced, f.Name)
			}
		}
		if err := st.fs.Remove(info.Manifest); err != nil {
			return info, err
		}
		if err := st.fs.SyncDir(); err != nil {
			return info, err
		}
	}
	var tmps []string
	fail := func(err error) (SaveInfo, error) {
		for _, t := range tmps {
			_ = st.fs.Remove(t)
		}
		return info, err
	}
	for i := range f.Modules {
		mf := f.moduleFile(i)
		var bm *File
		kind := KindFull
		if info.Kind == KindDelta {
			if b, ok := base.modules[mf.Modules[0].Name]; ok {
				bm = b.file
				bm.Checksum = b.sum
				kind = KindDelta
			}
		}
		name := fileName(mf.Modules[0].Name, f.Frame, kind)
		tmp := name + ".tmp"
		tmps = append(tmps, tmp)
		sum, n, err := st.writeFile(tmp, func(w *countingWriter) (uint32, error) {
			sum, _, err := encodeFile(w, mf, bm)
			return sum, err
		})
		if err != nil {
			return fail(fmt.Errorf("persist: writing %s: %w", name, err))
		}
		if err := st.fs.Rename(tmp, name); err != nil {
			return fail(err)
		}
		tmps = tmps[:len(tmps)-1]
		info.Files = append(info.Files, SaveFile{Module: mf.Modules[0].Name, Name: name, Kind: kind, Size: n, Checksum: sum})
	}
	if err := st.fs.SyncDir(); err != nil {
		return fail(err)
	}
	tmp := info.Manifest + ".tmp"
	tmps = append(tmps, tmp)
	if _, _, err := st.writeFile(tmp, func(w *countingWriter) (uint32, error) {
		_, err := w.Write(info.encode())
		return 0, err
	}); err != nil {
		return fail(fmt.Errorf("persist: writing %s: %w", info.Manifest, err))
	}
	if err := st.fs.Rename(tmp, info.Manifest); err != nil {
		return fail(err)
	}
	if err := st.fs.SyncDir(); err != nil {
		// The rename happened but may not be durable: take the save back,
		// so that a failed save never loads. (If that fails too, the save
		// may or may not survive a crash; it is whole either way.) The
		// next delta is computed against the previous save, which stays.
		if st.fs.Remove(info.Manifest) == nil {
			_ = st.fs.SyncDir()
		}
		return info, err
	}
	for _, n := range replaced {
		if !slices.ContainsFunc(info.Files, func(f SaveFile) bool { return f.Name == n }) {
			_ = st.fs.Remove(n)
		}
	}
	return info, nil
}

// countingWriter counts the bytes written to a file.
type countingWriter struct {
	w WFile
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	if err == nil && n < len(p) {
		err = errors.New("short write")
	}
	return n, err
}

// writeFile creates name, fills it, syncs and closes it.
func (st *Store) writeFile(name string, fill func(*countingWriter) (uint32, error)) (uint32, int64, error) {
	w, err := st.fs.Create(name)
	if err != nil {
		return 0, 0, err
	}
	cw := &countingWriter{w: w}
	sum, err := fill(cw)
	if err == nil {
		err = w.Sync()
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return sum, cw.n, err
}

// Saves lists the saves in the directory by ascending frame. A manifest
// that cannot be read is listed with Err set.
func (st *Store) Saves() ([]SaveInfo, error) {
	names, err := st.fs.List()
	if err != nil {
		return nil, err
	}
	var out []SaveInfo
	for _, n := range names {
		frame, ok := parseManifestName(n)
		if !ok {
			continue
		}
		info, err := st.info(frame)
		if err != nil {
			info = SaveInfo{Frame: frame, Manifest: n, Err: err}
		}
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b SaveInfo) int {
		switch {
		case a.Frame < b.Frame:
			return -1
		case a.Frame > b.Frame:
			return 1
		}
		return 0
	})
	return out, nil
}

// info reads the manifest of the save at frame.
func (st *Store) info(frame uint64) (SaveInfo, error) {
	name := manifestName(frame)
	data, err := st.fs.ReadFile(name)
	if err != nil {
		return SaveInfo{}, err
	}
	info, err := parseManifest(data)
	if err != nil {
		return info, fmt.Errorf("%s: %w", name, err)
	}
	if info.Frame != frame {
		return info, fmt.Errorf("%s: %w", name, corruptAt(0, "manifest of frame %d", info.Frame))
	}
	info.Manifest = name
	return info, nil
}

// LoadAt loads the newest save at or before frame, applying its chain of
// deltas: the state that was valid at that frame, as of the last save
// (a journal replays the frames after it). It fails with [ErrNotFound] if
// there is none, and with an error wrapping [ErrCorrupt] or [ErrBase] if
// that save is damaged (the error names the file and offset); an older
// save can still be loaded with [Store.Load].
func (st *Store) LoadAt(frame uint64) (*File, error) {
	saves, err := st.Saves()
	if err != nil {
		return nil, err
	}
	for i := len(saves) - 1; i >= 0; i-- {
		if saves[i].Frame <= frame {
			return st.Load(saves[i].Frame)
		}
	}
	return nil, fmt.Errorf("%w at or before frame %d", ErrNotFound, frame)
}

// Latest loads the newest save.
func (st *Store) Latest() (*File, error) { return st.LoadAt(math.MaxUint64) }

// Load loads the save at exactly frame (see [Store.LoadAt]).
func (st *Store) Load(frame uint64) (*File, error) {
	mods, info, err := st.loadModules(frame, 0)
	if err != nil {
		return nil, err
	}
	parts := make([]*File, len(info.Files))
	for i, sf := range info.Files {
		parts[i] = mods[sf.Module].file
	}
	return mergeFiles(parts, info.Frame, info.Now)
}

// maxChain bounds the length of a delta chain a load follows.
const maxChain = 1 << 16

// loadModules loads every module file of the save at frame, as full
// files, with the checksum of the file each came from.
func (st *Store) loadModules(frame uint64, depth int) (map[string]baseModule, SaveInfo, error) {
	info, err := st.info(frame)
	if errors.Is(err, fs.ErrNotExist) {
		err = fmt.Errorf("%w: %s", ErrNotFound, manifestName(frame))
	}
	if err != nil {
		return nil, info, err
	}
	if depth > maxChain {
		return nil, info, fmt.Errorf("%w: delta chain longer than %d", ErrCorrupt, maxChain)
	}
	var bases map[string]baseModule
	if info.Kind == KindDelta {
		if bases, _, err = st.loadModules(info.Base, depth+1); err != nil {
			return nil, info, fmt.Errorf("%s: base save %d: %w", info.Manifest, info.Base, err)
		}
	}
	out := make(map[string]baseModule, len(info.Files))
	for _, sf := range info.Files {
		data, err := st.fs.ReadFile(sf.Name)
		if err != nil {
			return nil, info, fmt.Errorf("%s: %w", info.Manifest, err)
		}
		if int64(len(data)) != sf.Size {
			return nil, info, fmt.Errorf("%s: %w", sf.Name, corruptAt(int64(len(data)), "%d bytes, the manifest says %d", len(data), sf.Size))
		}
		f, err := ReadFile(data)
		if err != nil {
			return nil, info, fmt.Errorf("%s: %w", sf.Name, err)
		}
		if f.Checksum != sf.Checksum || f.Kind != sf.Kind || f.Frame != frame || len(f.Modules) != 1 || f.Modules[0].Name != sf.Module {
			return nil, info, fmt.Errorf("%s: %w", sf.Name, corruptAt(0, "the file is not the one the manifest lists"))
		}
		if f.Kind == KindDelta {
			b, ok := bases[sf.Module]
			if !ok {
				return nil, info, fmt.Errorf("%s: %w: the base save has no module %q", sf.Name, ErrBase, sf.Module)
			}
			b.file.Checksum = b.sum
			if f, err = f.Apply(b.file); err != nil {
				return nil, info, fmt.Errorf("%s: %w", sf.Name, err)
			}
		}
		out[sf.Module] = baseModule{file: f, sum: sf.Checksum}
	}
	return out, info, nil
}

// moduleFile returns a file holding module i of f alone, with the schemas
// it uses. It shares f's memory.
func (f *File) moduleFile(i int) *File {
	m := f.Modules[i]
	out := &File{Format: f.Format, Kind: f.Kind, Frame: f.Frame, Now: f.Now, BaseFrame: f.BaseFrame, BaseChecksum: f.BaseChecksum}
	remap := map[int]int{}
	m.Versions = slices.Clone(m.Versions)
	for j := range m.Versions {
		v := &m.Versions[j]
		v.Components = slices.Clone(v.Components)
		for c := range v.Components {
			si := v.Components[c].Schema
			if _, ok := remap[si]; !ok {
				remap[si] = -1
			}
		}
	}
	for si := range f.Schemas {
		if _, ok := remap[si]; ok {
			remap[si] = len(out.Schemas)
			out.Schemas = append(out.Schemas, f.Schemas[si])
		}
	}
	for j := range m.Versions {
		for c := range m.Versions[j].Components {
			m.Versions[j].Components[c].Schema = remap[m.Versions[j].Components[c].Schema]
		}
	}
	out.Modules = []Module{m}
	return out
}

// mergeFiles joins single-module files of one save into one file.
func mergeFiles(parts []*File, frame uint64, now time.Duration) (*File, error) {
	out := &File{Format: FormatVersion, Kind: KindFull, Frame: frame, Now: now}
	set := newSchemaSet()
	for _, p := range parts {
		if p.Frame != frame || p.Now != now {
			return nil, fmt.Errorf("%w: module %q has time %d/%v, the save %d/%v", ErrCorrupt, p.Modules[0].Name, p.Frame, p.Now, frame, now)
		}
		for _, s := range p.Schemas {
			set.add(s)
		}
	}
	out.Schemas = set.list
	for _, p := range parts {
		for _, m := range p.Modules {
			m.Versions = slices.Clone(m.Versions)
			for j := range m.Versions {
				v := &m.Versions[j]
				v.Components = slices.Clone(v.Components)
				for c := range v.Components {
					v.Components[c].Schema = set.find(&p.Schemas[v.Components[c].Schema])
				}
			}
			out.Modules = append(out.Modules, m)
		}
	}
	return out, nil
}

// cloneFile deep-copies the columns and key tables of a full file, so that
// it no longer shares memory with a snapshot.
func cloneFile(f *File) *File {
	g := *f
	g.Modules = slices.Clone(f.Modules)
	for i := range g.Modules {
		m := &g.Modules[i]
		m.Gens, m.Free = slices.Clone(m.Gens), slices.Clone(m.Free)
		m.Versions = slices.Clone(m.Versions)
		for j := range m.Versions {
			v := &m.Versions[j]
			v.World = cloneTableData(&v.World)
			if v.Backup != nil {
				b := cloneTableData(v.Backup)
				v.Backup = &b
			}
		}
	}
	return &g
}

func cloneTableData(t *Table) Table {
	out := Table{Keys: slices.Clone(t.Keys), Columns: make([][]byte, len(t.Columns))}
	if out.Keys == nil {
		out.Keys = []ecs.Key{}
	}
	for i, c := range t.Columns {
		out.Columns[i] = slices.Clone(c)
	}
	return out
}
