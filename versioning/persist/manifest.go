package persist

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"
	"time"
)

// A save's manifest is a small text file, save.<frame>.manifest, written
// last: a save exists once its manifest does. It reads:
//
//	grove-save 1
//	frame 1200
//	now 20000000000
//	kind delta
//	base 1140
//	file "game" game.1200.delta.grove delta 48213 9a3c01f2
//	file "physics" physics.1200.grove full 9120 77d0e1aa
//	end 5b1e0c37
//
// one line per module file (module name quoted as in Go, file name, kind,
// size in bytes, checksum in hex), in the engine's module order, then the
// CRC-32C of everything before the end line.

// SaveInfo describes one save of a [Store].
type SaveInfo struct {
	// Frame and Now are the save's time marker.
	Frame uint64
	Now   time.Duration
	// Kind is KindFull, or KindDelta when the save's files are deltas
	// against the save at frame Base.
	Kind Kind
	Base uint64
	// Manifest is the manifest's file name.
	Manifest string
	// Files are the save's files, one per module.
	Files []SaveFile
	// Err is set when the manifest cannot be read (it wraps ErrCorrupt):
	// the other fields but Frame and Manifest are then unknown.
	Err error
}

// SaveFile is one module's file in a save.
type SaveFile struct {
	Module   string
	Name     string
	Kind     Kind
	Size     int64
	Checksum uint32
}

// Bytes is the total size of the save's files.
func (s *SaveInfo) Bytes() int64 {
	var n int64
	for _, f := range s.Files {
		n += f.Size
	}
	return n
}

const manifestMagic = "grove-save"

func manifestName(frame uint64) string { return fmt.Sprintf("save.%d.manifest", frame) }

// parseManifestName returns the frame of a manifest's file name.
func parseManifestName(name string) (uint64, bool) {
	s, ok := strings.CutPrefix(name, "save.")
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, ".manifest")
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseUint(s, 10, 64)
	if err != nil || strconv.FormatUint(f, 10) != s {
		return 0, false
	}
	return f, true
}

// fileName is a module's file name in a save: the module name with every
// byte other than letters, digits, '_' and '-' written %XX, the frame, and
// .grove (.delta.grove for a delta).
func fileName(module string, frame uint64, kind Kind) string {
	var b strings.Builder
	for i := 0; i < len(module); i++ {
		c := module[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	fmt.Fprintf(&b, ".%d", frame)
	if kind == KindDelta {
		b.WriteString(".delta")
	}
	b.WriteString(".grove")
	return b.String()
}

func (s *SaveInfo) encode() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %d\nframe %d\nnow %d\nkind %v\n", manifestMagic, FormatVersion, s.Frame, int64(s.Now), s.Kind)
	if s.Kind == KindDelta {
		fmt.Fprintf(&b, "base %d\n", s.Base)
	}
	for _, f := range s.Files {
		fmt.Fprintf(&b, "file %s %s %v %d %08x\n", strconv.Quote(f.Module), f.Name, f.Kind, f.Size, f.Checksum)
	}
	fmt.Fprintf(&b, "end %08x\n", crc32.Checksum(b.Bytes(), castagnoli))
	return b.Bytes()
}

// maxManifest bounds the size of a manifest a Store reads.
const maxManifest = 16 << 20

// parseManifest reads a manifest; errors wrap ErrCorrupt (ErrVersion for a
// newer format) with the byte offset of the bad line.
func parseManifest(data []byte) (SaveInfo, error) {
	var s SaveInfo
	if len(data) > maxManifest {
		return s, corruptAt(maxManifest, "manifest larger than %d bytes", maxManifest)
	}
	end := bytes.LastIndex(data, []byte("\nend "))
	if end < 0 || !bytes.HasSuffix(data, []byte("\n")) {
		return s, corruptAt(int64(len(data)), "manifest: no end line (truncated?)")
	}
	body := data[:end+1]
	if want := fmt.Sprintf("end %08x\n", crc32.Checksum(body, castagnoli)); string(data[end+1:]) != want {
		return s, corruptAt(int64(end+1), "manifest: end line %q, want %q (damaged or truncated)", data[end+1:], want)
	}
	off := 0
	lines := strings.SplitAfter(string(body), "\n")
	line := func(i int) (string, int) { return strings.TrimSuffix(lines[i], "\n"), off }
	bad := func(at int, format string, args ...any) error {
		return corruptAt(int64(at), "manifest: "+format, args...)
	}
	i := 0
	next := func() (string, int, bool) {
		if i >= len(lines) || lines[i] == "" {
			return "", off, false
		}
		l, at := line(i)
		off += len(lines[i])
		i++
		return l, at, true
	}
	l, at, _ := next()
	var format int
	if _, err := fmt.Sscanf(l, manifestMagic+" %d", &format); err != nil {
		return s, bad(at, "not a Grove save manifest")
	}
	if format > FormatVersion {
		return s, &FormatError{Offset: int64(at), What: fmt.Sprintf("manifest format %d is newer than this reader's %d", format, FormatVersion), Err: ErrVersion}
	}
	var now int64
	var kind string
	for _, f := range []struct {
		name string
		dst  any
	}{{"frame", &s.Frame}, {"now", &now}, {"kind", &kind}} {
		l, at, ok := next()
		if !ok {
			return s, bad(at, "missing %s line", f.name)
		}
		v, ok := strings.CutPrefix(l, f.name+" ")
		if !ok {
			return s, bad(at, "expected a %s line", f.name)
		}
		var err error
		switch d := f.dst.(type) {
		case *uint64:
			*d, err = strconv.ParseUint(v, 10, 64)
		case *int64:
			*d, err = strconv.ParseInt(v, 10, 64)
		case *string:
			*d = v
		}
		if err != nil {
			return s, bad(at, "bad %s %q", f.name, v)
		}
	}
	s.Now = time.Duration(now)
	switch kind {
	case "full":
		s.Kind = KindFull
	case "delta":
		s.Kind = KindDelta
		l, at, _ := next()
		v, ok := strings.CutPrefix(l, "base ")
		var err error
		if s.Base, err = strconv.ParseUint(v, 10, 64); !ok || err != nil || s.Base >= s.Frame {
			return s, bad(at, "bad base line %q", l)
		}
	default:
		return s, bad(at, "kind %q", kind)
	}
	for {
		l, at, ok := next()
		if !ok {
			break
		}
		rest, ok := strings.CutPrefix(l, "file ")
		if !ok {
			return s, bad(at, "unexpected line %q", l)
		}
		q, err := strconv.QuotedPrefix(rest)
		if err != nil {
			return s, bad(at, "bad module name")
		}
		var f SaveFile
		f.Module, _ = strconv.Unquote(q)
		fields := strings.Fields(rest[len(q):])
		if len(fields) != 4 {
			return s, bad(at, "bad file line %q", l)
		}
		f.Name = fields[0]
		switch fields[1] {
		case "full":
			f.Kind = KindFull
		case "delta":
			f.Kind = KindDelta
		default:
			return s, bad(at, "file kind %q", fields[1])
		}
		size, err1 := strconv.ParseInt(fields[2], 10, 64)
		sum, err2 := strconv.ParseUint(fields[3], 16, 32)
		if err1 != nil || err2 != nil || size < 0 || f.Name != fileName(f.Module, s.Frame, f.Kind) {
			return s, bad(at, "bad file line %q", l)
		}
		if f.Kind == KindDelta && s.Kind != KindDelta {
			return s, bad(at, "a delta file in a full save")
		}
		f.Size, f.Checksum = size, uint32(sum)
		s.Files = append(s.Files, f)
	}
	return s, nil
}
