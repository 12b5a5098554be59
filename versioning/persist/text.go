package persist

import (
	"bytes"
	"cmp"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/versioning"
)

// This file holds what the XML and JSON forms share: how scalars, keys,
// strings and key tables are spelled, how a version's rows map to
// attribute or member names, and how a hand-edited key table is made
// consistent again.

// appendScalar appends the value of kind k held in p (little-endian).
// Floats are the shortest decimal that reads back to the same bits; NaN is
// "nan:0x" and its bits in hex, infinities "inf" and "-inf" (quoted in
// JSON, where they are not numbers). A bool byte other than 0 or 1 is
// written as its number, so that any byte survives the round trip.
func appendScalar(b []byte, k ecs.Kind, p []byte, json bool) []byte {
	switch k {
	case ecs.KindBool:
		switch p[0] {
		case 0:
			return append(b, "false"...)
		case 1:
			return append(b, "true"...)
		}
		return strconv.AppendUint(b, uint64(p[0]), 10)
	case ecs.KindInt8:
		return strconv.AppendInt(b, int64(int8(p[0])), 10)
	case ecs.KindInt16:
		return strconv.AppendInt(b, int64(int16(le.Uint16(p))), 10)
	case ecs.KindInt32:
		return strconv.AppendInt(b, int64(int32(le.Uint32(p))), 10)
	case ecs.KindInt64:
		return strconv.AppendInt(b, int64(le.Uint64(p)), 10)
	case ecs.KindUint8:
		return strconv.AppendUint(b, uint64(p[0]), 10)
	case ecs.KindUint16:
		return strconv.AppendUint(b, uint64(le.Uint16(p)), 10)
	case ecs.KindUint32:
		return strconv.AppendUint(b, uint64(le.Uint32(p)), 10)
	case ecs.KindUint64:
		return strconv.AppendUint(b, le.Uint64(p), 10)
	case ecs.KindFloat32:
		return appendFloat(b, uint64(le.Uint32(p)), 32, json)
	case ecs.KindFloat64:
		return appendFloat(b, le.Uint64(p), 64, json)
	}
	return b
}

// appendFloat formats float bits of the given size.
func appendFloat(b []byte, bits uint64, size int, json bool) []byte {
	var f float64
	if size == 32 {
		f = float64(math.Float32frombits(uint32(bits)))
	} else {
		f = math.Float64frombits(bits)
	}
	if !math.IsNaN(f) && !math.IsInf(f, 0) {
		return strconv.AppendFloat(b, f, 'g', -1, size)
	}
	if json {
		b = append(b, '"')
	}
	switch {
	case math.IsInf(f, 1):
		b = append(b, "inf"...)
	case math.IsInf(f, -1):
		b = append(b, "-inf"...)
	default:
		b = append(b, "nan:0x"...)
		digits := size / 4
		h := strconv.AppendUint(nil, bits, 16)
		for range digits - len(h) {
			b = append(b, '0')
		}
		b = append(b, h...)
	}
	if json {
		b = append(b, '"')
	}
	return b
}

// str views b as a string without copying, for parsing functions that do
// not keep their argument.
func str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// parseScalar parses a value of kind k from s into p (little-endian). It
// returns a message saying what is wrong, or "".
func parseScalar(k ecs.Kind, s []byte, p []byte) string {
	switch k {
	case ecs.KindBool:
		switch str(s) {
		case "false":
			p[0] = 0
		case "true":
			p[0] = 1
		default:
			v, err := strconv.ParseUint(str(s), 10, 8)
			if err != nil {
				return fmt.Sprintf("%q is not a bool (true, false, or a byte value)", s)
			}
			p[0] = byte(v)
		}
	case ecs.KindInt8, ecs.KindInt16, ecs.KindInt32, ecs.KindInt64:
		bits := 8 * k.Size()
		v, err := strconv.ParseInt(str(s), 10, bits)
		if err != nil {
			return fmt.Sprintf("%q is not an int%d", s, bits)
		}
		putUint(p, uint64(v), k.Size())
	case ecs.KindUint8, ecs.KindUint16, ecs.KindUint32, ecs.KindUint64:
		bits := 8 * k.Size()
		v, err := strconv.ParseUint(str(s), 10, bits)
		if err != nil {
			return fmt.Sprintf("%q is not a uint%d", s, bits)
		}
		putUint(p, v, k.Size())
	case ecs.KindFloat32:
		bits, msg := parseFloat(s, 32)
		if msg != "" {
			return msg
		}
		le.PutUint32(p, uint32(bits))
	case ecs.KindFloat64:
		bits, msg := parseFloat(s, 64)
		if msg != "" {
			return msg
		}
		le.PutUint64(p, bits)
	default:
		return fmt.Sprintf("unknown kind %v", k)
	}
	return ""
}

func putUint(p []byte, v uint64, size int) {
	switch size {
	case 1:
		p[0] = byte(v)
	case 2:
		le.PutUint16(p, uint16(v))
	case 4:
		le.PutUint32(p, uint32(v))
	default:
		le.PutUint64(p, v)
	}
}

// parseFloat parses a float of the given size: a decimal, "inf", "-inf",
// "nan" (the quiet NaN) or "nan:0x…" (a NaN with exactly those bits).
func parseFloat(s []byte, size int) (uint64, string) {
	switch str(s) {
	case "inf", "+inf":
		if size == 32 {
			return uint64(math.Float32bits(float32(math.Inf(1)))), ""
		}
		return math.Float64bits(math.Inf(1)), ""
	case "-inf":
		if size == 32 {
			return uint64(math.Float32bits(float32(math.Inf(-1)))), ""
		}
		return math.Float64bits(math.Inf(-1)), ""
	case "nan":
		if size == 32 {
			return 0x7fc00000, ""
		}
		return 0x7ff8000000000000, ""
	}
	if h, ok := bytes.CutPrefix(s, []byte("nan:0x")); ok {
		bits, err := strconv.ParseUint(str(h), 16, size)
		exp, mant := uint64(0xff)<<23, uint64(1)<<23-1
		if size == 64 {
			exp, mant = uint64(0x7ff)<<52, uint64(1)<<52-1
		}
		if err != nil || bits&exp != exp || bits&mant == 0 {
			return 0, fmt.Sprintf("%q is not the bits of a float%d NaN", s, size)
		}
		return bits, ""
	}
	v, err := strconv.ParseFloat(str(s), size)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, fmt.Sprintf("%q is out of range for float%d (write inf or -inf)", s, size)
		}
		return 0, fmt.Sprintf("%q is not a float%d", s, size)
	}
	if size == 32 {
		return uint64(math.Float32bits(float32(v))), ""
	}
	return math.Float64bits(v), ""
}

// newKey marks a row whose key the reader assigns (Key 0 is never a live
// key: generations start at 1).
const newKey ecs.Key = 0

// appendKey writes a key as "index:generation".
func appendKey(b []byte, k ecs.Key) []byte {
	b = strconv.AppendUint(b, uint64(k.Index()), 10)
	b = append(b, ':')
	return strconv.AppendUint(b, uint64(k.Gen()), 10)
}

// parseKey parses "index:generation", or "new" for a key to assign.
func parseKey(s []byte) (ecs.Key, string) {
	if str(s) == "new" {
		return newKey, ""
	}
	i, g, ok := bytes.Cut(s, []byte{':'})
	idx, err1 := strconv.ParseUint(str(i), 10, 32)
	gen, err2 := strconv.ParseUint(str(g), 10, 32)
	if !ok || err1 != nil || err2 != nil || gen == 0 {
		return 0, fmt.Sprintf("%q is not a key (index:generation, generation ≥ 1, or new)", s)
	}
	return ecs.NewKey(uint32(idx), uint32(gen)), ""
}

// appendEscaped appends s with the text forms' string escapes: a backslash
// is written `\\`, and a byte that is not part of valid UTF-8 or is a
// control character other than tab, newline and carriage return is
// written `\xHH`. What remains is text both XML and JSON can carry; their
// own escaping comes on top.
func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c == '\\' {
			b = append(b, '\\', '\\')
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f || !xmlChar(r) {
			for j := range n {
				b = append(b, '\\', 'x', hexDigits[s[i+j]>>4], hexDigits[s[i+j]&15])
			}
			i += n
			continue
		}
		b = append(b, s[i:i+n]...)
		i += n
	}
	return b
}

const hexDigits = "0123456789abcdef"

// xmlChar reports whether XML 1.0 allows r in a document.
func xmlChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD || (r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// unescape reverses appendEscaped.
func unescape(s []byte) (string, string) {
	if bytes.IndexByte(s, '\\') < 0 {
		return string(s), ""
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			out = append(out, s[i])
			continue
		}
		switch {
		case i+1 < len(s) && s[i+1] == '\\':
			out = append(out, '\\')
			i++
		case i+3 < len(s) && s[i+1] == 'x':
			v, err := strconv.ParseUint(string(s[i+2:i+4]), 16, 8)
			if err != nil {
				return "", fmt.Sprintf("bad escape %q", s[i:i+4])
			}
			out = append(out, byte(v))
			i += 3
		default:
			return "", "a backslash must be written \\\\ (or \\xHH for a byte)"
		}
	}
	return string(out), ""
}

// appendGens writes a key table's generations: "g" for one slot, "g*n" for
// n slots in a row with generation g.
func appendGens(b []byte, gens []uint32) []byte {
	for i := 0; i < len(gens); {
		j := i + 1
		for j < len(gens) && gens[j] == gens[i] {
			j++
		}
		if i > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendUint(b, uint64(gens[i]), 10)
		if j-i > 1 {
			b = append(b, '*')
			b = strconv.AppendUint(b, uint64(j-i), 10)
		}
		i = j
	}
	return b
}

// parseGens parses appendGens's form. maxSlots bounds the expansion.
func parseGens(s []byte, maxSlots int) ([]uint32, string) {
	var out []uint32
	for _, tok := range bytes.Fields(s) {
		v, n, hasN := bytes.Cut(tok, []byte{'*'})
		g, err := strconv.ParseUint(str(v), 10, 32)
		if err != nil {
			return nil, fmt.Sprintf("%q is not a generation", tok)
		}
		count := uint64(1)
		if hasN {
			if count, err = strconv.ParseUint(str(n), 10, 32); err != nil || count == 0 {
				return nil, fmt.Sprintf("%q is not a run of generations (g*count)", tok)
			}
		}
		if uint64(len(out))+count > uint64(maxSlots) {
			return nil, fmt.Sprintf("more than %d key slots", maxSlots)
		}
		for range count {
			out = append(out, uint32(g))
		}
	}
	return out, ""
}

// appendFree writes a free list: indexes separated by spaces, with runs of
// three or more consecutive indexes written "a..b" (ascending or
// descending).
func appendFree(b []byte, free []uint32) []byte {
	for i := 0; i < len(free); {
		j := i + 1
		step := int64(0)
		if j < len(free) {
			step = int64(free[j]) - int64(free[i])
		}
		if step == 1 || step == -1 {
			for j < len(free) && int64(free[j])-int64(free[j-1]) == step {
				j++
			}
		}
		if j-i < 3 {
			j = i + 1
		}
		if i > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendUint(b, uint64(free[i]), 10)
		if j-i > 1 {
			b = append(b, '.', '.')
			b = strconv.AppendUint(b, uint64(free[j-1]), 10)
		}
		i = j
	}
	return b
}

// parseFree parses appendFree's form.
func parseFree(s []byte, maxSlots int) ([]uint32, string) {
	var out []uint32
	for _, tok := range bytes.Fields(s) {
		a, z, isRun := bytes.Cut(tok, []byte(".."))
		lo, err := strconv.ParseUint(str(a), 10, 32)
		if err != nil {
			return nil, fmt.Sprintf("%q is not a slot index", tok)
		}
		hi := lo
		if isRun {
			if hi, err = strconv.ParseUint(str(z), 10, 32); err != nil {
				return nil, fmt.Sprintf("%q is not a run of slot indexes (a..b)", tok)
			}
		}
		n := max(lo, hi) - min(lo, hi) + 1
		if uint64(len(out))+n > uint64(maxSlots) {
			return nil, fmt.Sprintf("more than %d free slots", maxSlots)
		}
		for i := range n {
			if lo <= hi {
				out = append(out, uint32(lo+i))
			} else {
				out = append(out, uint32(lo-i))
			}
		}
	}
	return out, ""
}

// rowCodec is how one version's rows are spelled: its components in file
// order, with the XML attribute name of each field.
type rowCodec struct {
	comps   []compCodec
	keyAttr string // "key", or "_key" if a component is called key
	// attrs maps an XML attribute name to a component (index into comps)
	// and field (-1: the padding attribute); the key attribute is -1, -1.
	attrs map[string]attrRef
	// order lists the attributes in the order the writer writes them.
	order []namedRef
	// size is the bytes of one row: its key and its components.
	size int
}

type namedRef struct {
	name string
	ref  attrRef
}

type attrRef struct{ comp, field int }

type compCodec struct {
	name    string
	schema  *ecs.Schema
	scalar  bool     // one field with path "": written as a bare value
	attr    []string // XML attribute of each field
	padAttr string   // XML attribute of the padding bytes
	jsonKey []byte   // `"name":`
	jsonFld [][]byte // `"path":` of each field
	init    []byte   // a row before parsing: the default with padding zeroed
	pad     []byte   // mask of the bytes no field covers (nil: none)
}

// newRowCodec builds the codec of a version. The XML attribute names are
// the component name for a scalar component and name.path for a field of
// a struct (an array index [i] becomes .i); the padding bytes of a row,
// written only when not zero, are _pad.name. It fails if two names
// collide or a path cannot be spelled as an XML name.
func newRowCodec(f *File, v *Version) (*rowCodec, error) {
	rc := &rowCodec{keyAttr: "key", attrs: map[string]attrRef{}}
	for _, c := range v.Components {
		if f.schemaOf(c).Name == "key" {
			rc.keyAttr = "_key"
		}
	}
	rc.attrs[rc.keyAttr] = attrRef{-1, -1}
	rc.order = append(rc.order, namedRef{rc.keyAttr, attrRef{-1, -1}})
	rc.size = 8
	for ci, c := range v.Components {
		s := f.schemaOf(c)
		cc := compCodec{name: s.Name, schema: s, scalar: len(s.Fields) == 1 && s.Fields[0].Path == ""}
		cc.jsonKey = strconv.AppendQuote(nil, s.Name)
		cc.jsonKey = append(cc.jsonKey, ':')
		cc.init = slices.Clone(c.Default)
		cc.pad = paddingMask(s)
		for i := range cc.init {
			if cc.pad != nil && cc.pad[i] != 0 {
				cc.init[i] = 0
			}
		}
		for fi, fd := range s.Fields {
			name := s.Name
			if !cc.scalar {
				name += "." + xmlPath(fd.Path)
			}
			if !xmlName(name) {
				return nil, fmt.Errorf("%w: component %s field %q cannot be an XML attribute name", ErrText, s.Name, fd.Path)
			}
			if _, dup := rc.attrs[name]; dup {
				return nil, fmt.Errorf("%w: component %s field %q: attribute name %s is taken", ErrText, s.Name, fd.Path, name)
			}
			rc.attrs[name] = attrRef{ci, fi}
			rc.order = append(rc.order, namedRef{name, attrRef{ci, fi}})
			cc.attr = append(cc.attr, name)
			jf := appendJSONString(nil, fd.Path)
			cc.jsonFld = append(cc.jsonFld, append(jf, ':'))
		}
		cc.padAttr = "_pad." + s.Name
		rc.attrs[cc.padAttr] = attrRef{ci, -1}
		rc.comps = append(rc.comps, cc)
		rc.size += s.Size
	}
	return rc, nil
}

// paddingMask marks the bytes of a value that no field covers, or returns
// nil if the fields cover it all.
func paddingMask(s *ecs.Schema) []byte {
	mask := make([]byte, s.Size)
	for i := range mask {
		mask[i] = 1
	}
	for _, f := range s.Fields {
		for i := f.Offset; i < f.Offset+f.Kind.Size()*f.Count && i < len(mask); i++ {
			mask[i] = 0
		}
	}
	if !slices.Contains(mask, 1) {
		return nil
	}
	return mask
}

// padHex returns the hex of a row's padding bytes, or nil if they are zero.
func (cc *compCodec) padHex(b, row []byte) ([]byte, bool) {
	if cc.pad == nil {
		return b, false
	}
	nonzero := false
	for i, m := range cc.pad {
		if m != 0 && row[i] != 0 {
			nonzero = true
		}
	}
	if !nonzero {
		return b, false
	}
	return hex.AppendEncode(b, row), true
}

// setPad parses the hex of a row's padding and copies its padding bytes
// into row.
func (cc *compCodec) setPad(s []byte, row []byte) string {
	v, err := hex.DecodeString(str(s))
	if err != nil || len(v) != len(row) {
		return fmt.Sprintf("padding of %s must be %d bytes in hex", cc.name, len(row))
	}
	if cc.pad == nil {
		return fmt.Sprintf("%s has no padding bytes", cc.name)
	}
	for i, m := range cc.pad {
		if m != 0 {
			row[i] = v[i]
		}
	}
	return ""
}

// xmlPath spells a field path for an attribute name: "slots[2].id" →
// "slots.2.id".
func xmlPath(p string) string {
	b := make([]byte, 0, len(p))
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '[':
			b = append(b, '.')
		case ']':
		default:
			b = append(b, p[i])
		}
	}
	return string(b)
}

// xmlName reports whether s is an XML name made of letters, digits, '_',
// '-' and '.', starting with a letter or '_'.
func xmlName(s string) bool {
	for i, r := range s {
		ok := unicode.IsLetter(r) || r == '_' || (i > 0 && (unicode.IsDigit(r) || r == '-' || r == '.'))
		if !ok {
			return false
		}
	}
	return s != ""
}

// appendValue appends the value of field fi of component cc from row, in
// XML form (several values separated by spaces) or JSON form (an array).
func (cc *compCodec) appendValue(b []byte, fi int, row []byte, json bool) []byte {
	fd := &cc.schema.Fields[fi]
	sz := fd.Kind.Size()
	if fd.Count == 1 {
		return appendScalar(b, fd.Kind, row[fd.Offset:], json)
	}
	if json {
		b = append(b, '[')
	}
	for i := range fd.Count {
		if i > 0 {
			if json {
				b = append(b, ',')
			} else {
				b = append(b, ' ')
			}
		}
		b = appendScalar(b, fd.Kind, row[fd.Offset+i*sz:], json)
	}
	if json {
		b = append(b, ']')
	}
	return b
}

// parseXMLValue parses an attribute's value into field fi of row.
func (cc *compCodec) parseXMLValue(fi int, s []byte, row []byte) string {
	fd := &cc.schema.Fields[fi]
	sz := fd.Kind.Size()
	if fd.Count == 1 {
		return parseScalar(fd.Kind, bytes.TrimSpace(s), row[fd.Offset:])
	}
	i := 0
	for tok := range bytes.FieldsSeq(s) {
		if i == fd.Count {
			return fmt.Sprintf("more than %d values", fd.Count)
		}
		if msg := parseScalar(fd.Kind, tok, row[fd.Offset+i*sz:]); msg != "" {
			return fmt.Sprintf("value %d: %s", i, msg)
		}
		i++
	}
	if i != fd.Count {
		return fmt.Sprintf("%d values, want %d", i, fd.Count)
	}
	return ""
}

// versionPath names a version in error messages.
func versionPath(m *Module, v *Version) string {
	return fmt.Sprintf("module %q v%d", m.Name, v.Number)
}

// reconcile makes the key table of every module consistent with the
// entities the text holds, so that hand edits load:
//
//   - a row whose key is "new" (or absent) gets a fresh key, as Spawn would
//     give it: the last free slot, or a new slot with generation 1;
//   - a row with an explicit key in a free slot takes that slot (with the
//     key's generation); a key beyond the table grows it, the slots in
//     between becoming free;
//   - a slot that no entity uses and the free list does not list (its
//     entity was deleted) is released as Despawn releases it: its
//     generation advances and it goes to the end of the free list;
//   - pins and queued commands of keys that no longer exist are dropped,
//     and a backup whose keys no longer match the world's is dropped (the
//     engine takes a fresh one).
//
// An explicit key whose slot is live with another generation, a key used
// twice, or a free list naming a slot twice or out of range is an error
// (errAt gives it a position).
//
// A key may grow the table by at most grow slots (the size of the
// document: no more than the text can justify).
func reconcile(f *File, grow int, errAt func(t *Table, row int, msg string) error) error {
	for mi := range f.Modules {
		m := &f.Modules[mi]
		if err := reconcileModule(m, grow, errAt); err != nil {
			return err
		}
	}
	return nil
}

// Slot states while reconciling a key table.
const (
	slotNone  = iota // neither live nor free: released
	slotFree         // listed free
	slotLive         // holds an entity
	slotTaken        // listed free, taken by an explicit key (so live)
)

func reconcileModule(m *Module, grow int, errAt func(t *Table, row int, msg string) error) error {
	const unused = 0 // a grown slot's generation before it is released
	state := make([]uint8, len(m.Gens))
	for _, s := range m.Free {
		if int(s) >= len(m.Gens) {
			return errAt(nil, 0, fmt.Sprintf("module %q: free slot %d beyond the %d slots", m.Name, s, len(m.Gens)))
		}
		if state[s] == slotFree {
			return errAt(nil, 0, fmt.Sprintf("module %q: slot %d is listed free twice", m.Name, s))
		}
		state[s] = slotFree
	}
	for vi := range m.Versions {
		v := &m.Versions[vi]
		for r, k := range v.World.Keys {
			if k == newKey {
				continue
			}
			idx := int(k.Index())
			if idx >= len(m.Gens) {
				if idx-len(m.Gens) >= grow {
					return errAt(&v.World, r, fmt.Sprintf("key %d:%d is far beyond the %d key slots", idx, k.Gen(), len(m.Gens)))
				}
				for len(m.Gens) <= idx {
					m.Gens = append(m.Gens, unused)
					state = append(state, slotNone)
				}
				m.Gens[idx] = k.Gen()
			}
			switch state[idx] {
			case slotLive, slotTaken:
				return errAt(&v.World, r, fmt.Sprintf("key %d:%d is used twice", idx, k.Gen()))
			case slotFree:
				state[idx] = slotTaken
				m.Gens[idx] = k.Gen()
				continue
			}
			if m.Gens[idx] != k.Gen() {
				return errAt(&v.World, r, fmt.Sprintf("key %d:%d: slot %d has generation %d (write the key with that generation, or new)", idx, k.Gen(), idx, m.Gens[idx]))
			}
			state[idx] = slotLive
		}
	}
	// The free list without the slots explicit keys took, then every slot
	// that is neither live nor free, released.
	free := m.Free[:0:0]
	for _, s := range m.Free {
		if state[s] == slotFree {
			free = append(free, s)
		}
	}
	for i, st := range state {
		if st != slotNone {
			continue
		}
		if m.Gens[i] == unused {
			m.Gens[i] = 1
		} else {
			m.Gens[i]++
		}
		state[i] = slotFree
		free = append(free, uint32(i))
	}
	// Fresh keys, as Spawn assigns them.
	for vi := range m.Versions {
		v := &m.Versions[vi]
		for r, k := range v.World.Keys {
			if k != newKey {
				continue
			}
			if n := len(free); n > 0 {
				idx := free[n-1]
				free = free[:n-1]
				v.World.Keys[r] = ecs.NewKey(idx, m.Gens[idx])
				state[idx] = slotLive
			} else {
				if len(m.Gens) >= math.MaxInt32 {
					return errAt(&v.World, r, "no key slot left")
				}
				v.World.Keys[r] = ecs.NewKey(uint32(len(m.Gens)), 1)
				m.Gens = append(m.Gens, 1)
				state = append(state, slotLive)
			}
		}
	}
	m.Free = free
	isLive := func(k ecs.Key) bool {
		i := int(k.Index())
		return k != newKey && i < len(m.Gens) && (state[i] == slotLive || state[i] == slotTaken) && m.Gens[i] == k.Gen()
	}
	m.Pins = slices.DeleteFunc(m.Pins, func(p Pin) bool { return !isLive(p.Key) })
	m.Commands = slices.DeleteFunc(m.Commands, func(c versioning.CommandSnapshot) bool { return !isLive(c.Key) })
	for vi := range m.Versions {
		v := &m.Versions[vi]
		if v.Backup != nil && !slices.Equal(v.Backup.Keys, v.World.Keys) {
			v.Backup = nil
		}
	}
	slices.SortFunc(m.Pins, func(a, b Pin) int { return cmp.Compare(a.Key, b.Key) })
	return nil
}

// lineCol returns the 1-based line and column (in characters) of byte
// offset off of data.
func lineCol(data []byte, off int) (int, int) {
	off = min(max(off, 0), len(data))
	line := 1 + bytes.Count(data[:off], []byte{'\n'})
	start := bytes.LastIndexByte(data[:off], '\n') + 1
	return line, 1 + utf8.RuneCount(data[start:off])
}
