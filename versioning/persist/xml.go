package persist

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/base64"
	"fmt"
	"io"
	"io/fs"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/versioning"
)

// WriteXML writes f as XML, with a DTD in the document's internal subset
// (so `xmllint --valid` can check it). Floats are written so that they read
// back bit for bit; see the package documentation for the form. A delta
// must be applied to its base first (ErrBase).
func WriteXML(w io.Writer, f *File) error {
	codecs, err := textCodecs(f)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE grove [\n")
	writeDTD(bw, codecs)
	bw.WriteString("]>\n")
	xw := &xmlWriter{w: bw}
	xw.body(f, codecs)
	if xw.err != nil {
		return xw.err
	}
	return bw.Flush()
}

// WriteDTD writes the DTD that validates f's XML form on its own (an
// external subset), for tools that keep the DTD beside the document.
func WriteDTD(w io.Writer, f *File) error {
	codecs, err := textCodecs(f)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	writeDTD(bw, codecs)
	return bw.Flush()
}

// textCodecs checks that f can be written as text and builds the row codec
// of every version.
func textCodecs(f *File) ([][]*rowCodec, error) {
	if f.Kind != KindFull {
		return nil, fmt.Errorf("%w: a delta cannot be written as text; apply it to its base first", ErrBase)
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	out := make([][]*rowCodec, len(f.Modules))
	for i := range f.Modules {
		m := &f.Modules[i]
		for j := range m.Versions {
			rc, err := newRowCodec(f, &m.Versions[j])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", versionPath(m, &m.Versions[j]), err)
			}
			out[i] = append(out[i], rc)
		}
	}
	return out, nil
}

const dtdFixed = `<!ELEMENT grove (schema, module*)>
<!ATTLIST grove format CDATA #REQUIRED frame CDATA #REQUIRED now CDATA #REQUIRED>
<!ELEMENT schema (component*)>
<!ELEMENT component (field*)>
<!ATTLIST component name CDATA #REQUIRED size CDATA #REQUIRED align CDATA #REQUIRED>
<!ELEMENT field EMPTY>
<!ATTLIST field path CDATA #REQUIRED
  kind (bool|int8|int16|int32|int64|uint8|uint16|uint32|uint64|float32|float64) #REQUIRED
  offset CDATA #REQUIRED count CDATA "1" nonfinite (true|false) "false">
<!ELEMENT module (dep*, policy, weight*, pin*, keys, command*, version*)>
<!ATTLIST module name CDATA #REQUIRED gc-after CDATA #REQUIRED fallback CDATA #REQUIRED
  dirty (true|false) #REQUIRED frames CDATA #REQUIRED missed CDATA #REQUIRED lost CDATA #REQUIRED>
<!ELEMENT dep EMPTY>
<!ATTLIST dep name CDATA #REQUIRED>
<!ELEMENT policy EMPTY>
<!ATTLIST policy max-rate CDATA #REQUIRED window CDATA #REQUIRED min-steps CDATA #REQUIRED
  max-consecutive CDATA #REQUIRED>
<!ELEMENT weight EMPTY>
<!ATTLIST weight version CDATA #REQUIRED value CDATA #REQUIRED>
<!ELEMENT pin EMPTY>
<!ATTLIST pin key CDATA #REQUIRED version CDATA #REQUIRED>
<!ELEMENT keys EMPTY>
<!ATTLIST keys gens CDATA #REQUIRED free CDATA #REQUIRED>
<!ELEMENT command EMPTY>
<!ATTLIST command key CDATA #REQUIRED component CDATA #IMPLIED name CDATA #IMPLIED payload CDATA #REQUIRED>
<!ELEMENT version (steps, use*, world, backup?)>
<!ATTLIST version number CDATA #REQUIRED loaded (true|false) #REQUIRED failed CDATA #IMPLIED
  loaded-at CDATA #REQUIRED idle-from CDATA #REQUIRED idle (true|false) #REQUIRED
  since-backup CDATA #REQUIRED consecutive CDATA #REQUIRED state CDATA #IMPLIED>
<!ELEMENT steps EMPTY>
<!ATTLIST steps at CDATA #REQUIRED failed CDATA #REQUIRED>
<!ELEMENT use EMPTY>
<!ATTLIST use component CDATA #REQUIRED variant CDATA "0" default CDATA #REQUIRED default-pad CDATA #IMPLIED>
<!ELEMENT world (e*)>
<!ELEMENT backup (e*)>
<!ELEMENT e EMPTY>
`

// writeDTD writes the DTD: the fixed part, then the attributes an entity
// may have, which depend on the file's components.
func writeDTD(w *bufio.Writer, codecs [][]*rowCodec) {
	w.WriteString(dtdFixed)
	names := []string{"key", "_key"}
	for _, mod := range codecs {
		for _, rc := range mod {
			for _, cc := range rc.comps {
				names = append(names, cc.attr...)
				if cc.pad != nil {
					names = append(names, cc.padAttr)
				}
			}
		}
	}
	slices.Sort(names[2:])
	names = slices.Compact(names)
	names = append(names[:2], slices.DeleteFunc(names[2:], func(n string) bool { return n == "key" })...)
	w.WriteString("<!ATTLIST e")
	for _, n := range names {
		w.WriteString("\n  ")
		w.WriteString(n)
		w.WriteString(" CDATA #IMPLIED")
	}
	w.WriteString(">\n")
}

type xmlWriter struct {
	w   *bufio.Writer
	b   []byte
	err error
}

func (x *xmlWriter) flush() {
	if x.err == nil {
		_, x.err = x.w.Write(x.b)
	}
	x.b = x.b[:0]
}

// attr appends ` name="value"` with value XML-escaped.
func (x *xmlWriter) attr(name string, value []byte) {
	x.b = append(x.b, ' ')
	x.b = append(x.b, name...)
	x.b = append(x.b, '=', '"')
	x.b = appendXMLEscaped(x.b, value)
	x.b = append(x.b, '"')
}

func (x *xmlWriter) attrStr(name, value string) {
	x.attr(name, appendEscaped(nil, value))
}

func (x *xmlWriter) attrInt(name string, v int64) {
	x.attr(name, strconv.AppendInt(nil, v, 10))
}

func (x *xmlWriter) attrUint(name string, v uint64) {
	x.attr(name, strconv.AppendUint(nil, v, 10))
}

func (x *xmlWriter) attrBool(name string, v bool) {
	x.attr(name, strconv.AppendBool(nil, v))
}

func (x *xmlWriter) attrFloat(name string, v float64) {
	x.attr(name, appendFloat(nil, math.Float64bits(v), 64, false))
}

// appendXMLEscaped escapes the characters XML does not allow as they are
// in an attribute value (and whitespace that it would normalise).
func appendXMLEscaped(b, s []byte) []byte {
	for _, c := range s {
		switch c {
		case '&':
			b = append(b, "&amp;"...)
		case '<':
			b = append(b, "&lt;"...)
		case '>':
			b = append(b, "&gt;"...)
		case '"':
			b = append(b, "&quot;"...)
		case '\t':
			b = append(b, "&#9;"...)
		case '\n':
			b = append(b, "&#10;"...)
		case '\r':
			b = append(b, "&#13;"...)
		default:
			b = append(b, c)
		}
	}
	return b
}

func (x *xmlWriter) body(f *File, codecs [][]*rowCodec) {
	x.b = append(x.b, "<grove"...)
	x.attrInt("format", FormatVersion)
	x.attrUint("frame", f.Frame)
	x.attrInt("now", int64(f.Now))
	x.b = append(x.b, ">\n<schema>\n"...)
	for _, s := range f.Schemas {
		x.b = append(x.b, "  <component"...)
		x.attrStr("name", s.Name)
		x.attrInt("size", int64(s.Size))
		x.attrInt("align", int64(s.Align))
		x.b = append(x.b, ">\n"...)
		for _, fd := range s.Fields {
			x.b = append(x.b, "    <field"...)
			x.attrStr("path", fd.Path)
			x.attr("kind", []byte(fd.Kind.String()))
			x.attrInt("offset", int64(fd.Offset))
			if fd.Count != 1 {
				x.attrInt("count", int64(fd.Count))
			}
			if fd.NonFinite {
				x.attrBool("nonfinite", true)
			}
			x.b = append(x.b, "/>\n"...)
		}
		x.b = append(x.b, "  </component>\n"...)
	}
	x.b = append(x.b, "</schema>\n"...)
	for i := range f.Modules {
		x.module(f, &f.Modules[i], codecs[i])
	}
	x.b = append(x.b, "</grove>\n"...)
	x.flush()
}

func (x *xmlWriter) module(f *File, m *Module, codecs []*rowCodec) {
	x.b = append(x.b, "<module"...)
	x.attrStr("name", m.Name)
	x.attrInt("gc-after", int64(m.GCAfter))
	x.attrInt("fallback", int64(m.Fallback))
	x.attrBool("dirty", m.Dirty)
	x.attrUint("frames", m.Frames)
	x.attrUint("missed", m.Missed)
	x.attrUint("lost", m.Lost)
	x.b = append(x.b, ">\n"...)
	for _, d := range m.Deps {
		x.b = append(x.b, "  <dep"...)
		x.attrStr("name", d)
		x.b = append(x.b, "/>\n"...)
	}
	x.b = append(x.b, "  <policy"...)
	x.attrFloat("max-rate", m.Policy.MaxRate)
	x.attrInt("window", int64(m.Policy.Window))
	x.attrInt("min-steps", int64(m.Policy.MinSteps))
	x.attrInt("max-consecutive", int64(m.Policy.MaxConsecutive))
	x.b = append(x.b, "/>\n"...)
	for _, w := range m.Weights {
		x.b = append(x.b, "  <weight"...)
		x.attrInt("version", int64(w.Version))
		x.attrFloat("value", w.Weight)
		x.b = append(x.b, "/>\n"...)
	}
	for _, p := range m.Pins {
		x.b = append(x.b, "  <pin"...)
		x.attr("key", appendKey(nil, p.Key))
		x.attrInt("version", int64(p.Version))
		x.b = append(x.b, "/>\n"...)
	}
	x.b = append(x.b, "  <keys"...)
	x.attr("gens", appendGens(nil, m.Gens))
	x.attr("free", appendFree(nil, m.Free))
	x.b = append(x.b, "/>\n"...)
	for _, c := range m.Commands {
		x.b = append(x.b, "  <command"...)
		x.attr("key", appendKey(nil, c.Key))
		if c.Component != "" {
			x.attrStr("component", c.Component)
		}
		if c.Name != "" {
			x.attrStr("name", c.Name)
		}
		x.attr("payload", base64.StdEncoding.AppendEncode(nil, c.Payload))
		x.b = append(x.b, "/>\n"...)
	}
	for j := range m.Versions {
		x.version(f, &m.Versions[j], codecs[j])
	}
	x.b = append(x.b, "</module>\n"...)
}

func (x *xmlWriter) version(f *File, v *Version, rc *rowCodec) {
	x.b = append(x.b, "  <version"...)
	x.attrInt("number", int64(v.Number))
	x.attrBool("loaded", v.Loaded)
	if v.Failed != "" {
		x.attrStr("failed", v.Failed)
	}
	x.attrInt("loaded-at", int64(v.LoadedAt))
	x.attrInt("idle-from", int64(v.IdleFrom))
	x.attrBool("idle", v.Idle)
	x.attrInt("since-backup", int64(v.SinceBackup))
	x.attrInt("consecutive", int64(v.Consecutive))
	if v.HasLogicState {
		x.attr("state", base64.StdEncoding.AppendEncode(nil, v.LogicState))
	}
	x.b = append(x.b, ">\n    <steps"...)
	var at, failed []byte
	for i, t := range v.StepTimes {
		if i > 0 {
			at, failed = append(at, ' '), append(failed, ' ')
		}
		at = strconv.AppendInt(at, int64(t), 10)
		if v.StepFailed[i] {
			failed = append(failed, '1')
		} else {
			failed = append(failed, '0')
		}
	}
	x.attr("at", at)
	x.attr("failed", failed)
	x.b = append(x.b, "/>\n"...)
	for ci, c := range v.Components {
		cc := &rc.comps[ci]
		x.b = append(x.b, "    <use"...)
		x.attrStr("component", cc.name)
		if vr := variantOf(f, c.Schema); vr > 0 {
			x.attrInt("variant", int64(vr))
		}
		var def []byte
		for fi := range cc.schema.Fields {
			if fi > 0 {
				def = append(def, ' ')
			}
			def = cc.appendValue(def, fi, c.Default, false)
		}
		x.attr("default", def)
		if pad, ok := cc.padHex(nil, c.Default); ok {
			x.attr("default-pad", pad)
		}
		x.b = append(x.b, "/>\n"...)
	}
	x.table("world", &v.World, rc)
	if v.Backup != nil {
		x.table("backup", v.Backup, rc)
	}
	x.b = append(x.b, "  </version>\n"...)
}

func (x *xmlWriter) table(name string, t *Table, rc *rowCodec) {
	x.b = append(x.b, "    <"...)
	x.b = append(x.b, name...)
	x.b = append(x.b, ">\n"...)
	for r, k := range t.Keys {
		x.b = append(x.b, "      <e "...)
		x.b = append(x.b, rc.keyAttr...)
		x.b = append(x.b, '=', '"')
		x.b = appendKey(x.b, k)
		x.b = append(x.b, '"')
		for ci := range rc.comps {
			cc := &rc.comps[ci]
			sz := cc.schema.Size
			row := t.Columns[ci][r*sz : (r+1)*sz]
			for fi := range cc.schema.Fields {
				x.b = append(x.b, ' ')
				x.b = append(x.b, cc.attr[fi]...)
				x.b = append(x.b, '=', '"')
				x.b = cc.appendValue(x.b, fi, row, false)
				x.b = append(x.b, '"')
			}
			if cc.pad != nil {
				if pad, ok := cc.padHex(nil, row); ok {
					x.attr(cc.padAttr, pad)
				}
			}
		}
		x.b = append(x.b, "/>\n"...)
		if len(x.b) > 1<<15 {
			x.flush()
		}
	}
	x.b = append(x.b, "    </"...)
	x.b = append(x.b, name...)
	x.b = append(x.b, ">\n"...)
	x.flush()
}

// variantOf is the position of schema si among the file's schemas of the
// same name.
func variantOf(f *File, si int) int {
	n := 0
	for i := range si {
		if f.Schemas[i].Name == f.Schemas[si].Name {
			n++
		}
	}
	return n
}

// schemaByVariant returns the index of the variant-th schema called name.
func schemaByVariant(f *File, name string, variant int) int {
	for i := range f.Schemas {
		if f.Schemas[i].Name == name {
			if variant == 0 {
				return i
			}
			variant--
		}
	}
	return -1
}

// readAll reads r to the end, sized in one allocation when r can tell its
// size (a bytes or strings reader, a file).
func readAll(r io.Reader) ([]byte, error) {
	n := -1
	switch v := r.(type) {
	case interface{ Len() int }:
		n = v.Len()
	case interface{ Stat() (fs.FileInfo, error) }:
		if st, err := v.Stat(); err == nil && st.Mode().IsRegular() {
			n = int(st.Size())
		}
	}
	if n < 0 {
		return io.ReadAll(r)
	}
	buf := bytes.NewBuffer(make([]byte, 0, n+1))
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}

// ReadXML reads the XML form, checks it against the schema it carries, and
// returns the file. Errors wrap [ErrText] as a [*TextError] with the line,
// column and path of the problem (a newer format also wraps [ErrVersion]).
// Hand edits are accepted as the package documentation describes: a
// changed value, a deleted entity, an entity added with key="new" or no
// key (the key table is made consistent again).
func ReadXML(r io.Reader) (*File, error) {
	data, err := readAll(r)
	if err != nil {
		return nil, err
	}
	return readXML(data)
}

type xmlReader struct {
	data []byte
	s    xmlScanner
	f    *File
	mem  budget
}

// budget bounds the bytes a text reader allocates for rows and values to
// what the document can justify: 64 times its size, plus a megabyte. Real
// documents spell every byte of a row with more than one character; a
// hostile one (huge components, rows of padding) is refused instead.
type budget struct{ left int }

func newBudget(size int) budget { return budget{64*size + 1<<20} }

// take reserves n bytes, reporting false when the budget is spent.
func (b *budget) take(n int) bool {
	if n < 0 || n > b.left {
		b.left = 0
		return false
	}
	b.left -= n
	return true
}

func readXML(data []byte) (*File, error) {
	x := &xmlReader{data: data, s: xmlScanner{data: data}, f: &File{Format: FormatVersion, Kind: KindFull}, mem: newBudget(len(data))}
	if err := x.document(); err != nil {
		return nil, err
	}
	return x.f, nil
}

// errAt returns a *TextError at byte offset off.
func (x *xmlReader) errAt(off int, path, format string, args ...any) error {
	line, col := lineCol(x.data, off)
	return &TextError{Line: line, Column: col, Path: path, Msg: fmt.Sprintf(format, args...)}
}

func (x *xmlReader) next() (xmlEvent, error) {
	ev, err := x.s.next()
	if se, ok := err.(*scanError); ok {
		return ev, x.errAt(se.off, "", "%s", se.msg)
	}
	return ev, err
}

// elem is a start tag's attributes, consumed one by one; done reports the
// ones nobody asked for.
type elem struct {
	x     *xmlReader
	name  string
	off   int
	path  string
	attrs []xmlAttr
	used  []bool
	err   error
}

func (x *xmlReader) elem(ev xmlEvent, path string) *elem {
	attrs := slices.Clone(x.s.attrs)
	return &elem{x: x, name: string(ev.name), off: ev.off, path: path, attrs: attrs, used: make([]bool, len(attrs))}
}

func (e *elem) fail(off int, format string, args ...any) {
	if e.err == nil {
		e.err = e.x.errAt(off, e.path, format, args...)
	}
}

// get returns an attribute's value and offset; a missing required one is
// an error.
func (e *elem) get(name string, required bool) ([]byte, int, bool) {
	for i, a := range e.attrs {
		if string(a.name) == name {
			e.used[i] = true
			return a.value, a.off, true
		}
	}
	if required {
		e.fail(e.off, "<%s> needs attribute %s", e.name, name)
	}
	return nil, e.off, false
}

func (e *elem) str(name string, required bool) string {
	v, off, ok := e.get(name, required)
	if !ok {
		return ""
	}
	s, msg := unescape(v)
	if msg != "" {
		e.fail(off, "%s: %s", name, msg)
	}
	return s
}

func (e *elem) int(name string, bits int) int64 {
	v, off, ok := e.get(name, true)
	if !ok {
		return 0
	}
	n, err := strconv.ParseInt(str(v), 10, bits)
	if err != nil {
		e.fail(off, "%s: %q is not an integer of %d bits", name, v, bits)
	}
	return n
}

func (e *elem) uint(name string) uint64 {
	v, off, ok := e.get(name, true)
	if !ok {
		return 0
	}
	n, err := strconv.ParseUint(str(v), 10, 64)
	if err != nil {
		e.fail(off, "%s: %q is not an unsigned integer", name, v)
	}
	return n
}

func (e *elem) bool(name string) bool {
	v, off, ok := e.get(name, true)
	if !ok {
		return false
	}
	b, err := strconv.ParseBool(str(v))
	if err != nil || (str(v) != "true" && str(v) != "false") {
		e.fail(off, "%s: %q is not true or false", name, v)
	}
	return b
}

func (e *elem) float(name string) float64 {
	v, off, ok := e.get(name, true)
	if !ok {
		return 0
	}
	bits, msg := parseFloat(v, 64)
	if msg != "" {
		e.fail(off, "%s: %s", name, msg)
	}
	return math.Float64frombits(bits)
}

func (e *elem) key(name string) ecs.Key {
	v, off, ok := e.get(name, true)
	if !ok {
		return 0
	}
	k, msg := parseKey(v)
	if msg == "" && k == newKey {
		msg = "new is only for entities"
	}
	if msg != "" {
		e.fail(off, "%s: %s", name, msg)
	}
	return k
}

func (e *elem) base64(name string, required bool) []byte {
	v, off, ok := e.get(name, required)
	if !ok {
		return nil
	}
	b, err := base64.StdEncoding.AppendDecode([]byte{}, v)
	if err != nil {
		e.fail(off, "%s: not base64: %v", name, err)
	}
	return b
}

// done fails on attributes nobody asked for, and returns the first error.
func (e *elem) done() error {
	for i, a := range e.attrs {
		if !e.used[i] {
			e.fail(a.off, "<%s> has no attribute %s", e.name, a.name)
		}
	}
	return e.err
}

// start reads the next event, which must be a start tag named one of
// names (or, if end is set, the end of the current element: then it
// returns "").
func (x *xmlReader) start(path string, end bool, names ...string) (xmlEvent, error) {
	ev, err := x.next()
	if err != nil {
		return ev, err
	}
	if ev.end {
		if end {
			return ev, nil
		}
		return ev, x.errAt(ev.off, path, "</%s> before %v", ev.name, names)
	}
	if !slices.Contains(names, string(ev.name)) {
		return ev, x.errAt(ev.off, path, "unexpected <%s> (expected %v)", ev.name, names)
	}
	return ev, nil
}

// leaf consumes the end of an element that must have no children.
func (x *xmlReader) leaf(path string) error {
	ev, err := x.next()
	if err != nil {
		return err
	}
	if !ev.end {
		return x.errAt(ev.off, path, "unexpected <%s> inside an empty element", ev.name)
	}
	return nil
}

func (x *xmlReader) document() error {
	ev, err := x.start("", false, "grove")
	if err != nil {
		return err
	}
	e := x.elem(ev, "")
	format := e.int("format", 32)
	if e.err == nil && format > FormatVersion {
		v, off, _ := e.get("format", true)
		line, col := lineCol(x.data, off)
		return &TextError{Line: line, Column: col, Msg: fmt.Sprintf("format version %s is newer than this reader's %d: use a newer Grove", v, FormatVersion), Err: ErrVersion}
	}
	if e.err == nil && format < 1 {
		e.fail(e.off, "format version %d", format)
	}
	x.f.Frame = e.uint("frame")
	x.f.Now = time.Duration(e.int("now", 64))
	if err := e.done(); err != nil {
		return err
	}
	ev, err = x.start("", false, "schema")
	if err != nil {
		return err
	}
	if err := x.schema(x.elem(ev, "schema")); err != nil {
		return err
	}
	for {
		ev, err := x.start("", true, "module")
		if err != nil {
			return err
		}
		if ev.end {
			break
		}
		if err := x.module(ev); err != nil {
			return err
		}
	}
	if ev, err := x.next(); err != nil || !ev.eof {
		if err != nil {
			return err
		}
		return x.errAt(ev.off, "", "content after </grove>")
	}
	return x.finish()
}

// finish makes hand edits consistent and checks the file's structure.
func (x *xmlReader) finish() error {
	return finishText(x.f, len(x.data), func(off int, msg string) error { return x.errAt(off, "", "%s", msg) })
}

// finishText makes a text form's hand edits consistent (reconcile) and
// checks the file's structure; errAt places an error at a byte offset.
func finishText(f *File, size int, errAt func(off int, msg string) error) error {
	err := reconcile(f, size, func(t *Table, row int, msg string) error {
		if t == nil || row >= len(t.textOff) {
			return &TextError{Msg: msg}
		}
		return errAt(int(t.textOff[row]), msg)
	})
	for i := range f.Modules {
		for j := range f.Modules[i].Versions {
			v := &f.Modules[i].Versions[j]
			v.World.textOff = nil
			if v.Backup != nil {
				v.Backup.textOff = nil
			}
		}
	}
	if err != nil {
		return err
	}
	if err := f.check(); err != nil {
		return &TextError{Msg: err.Error()}
	}
	return nil
}

func (x *xmlReader) schema(e *elem) error {
	if err := e.done(); err != nil {
		return err
	}
	for {
		ev, err := x.start("schema", true, "component")
		if err != nil {
			return err
		}
		if ev.end {
			return nil
		}
		c := x.elem(ev, "schema")
		s := ecs.Schema{Name: c.str("name", true), Size: int(c.int("size", 32)), Align: int(c.int("align", 32))}
		c.path = "schema component " + s.Name
		if err := c.done(); err != nil {
			return err
		}
		for {
			ev, err := x.start(c.path, true, "field")
			if err != nil {
				return err
			}
			if ev.end {
				break
			}
			fe := x.elem(ev, c.path)
			fd := ecs.Field{Path: fe.str("path", true), Count: 1}
			kv, koff, _ := fe.get("kind", true)
			if k, ok := ecs.ParseKind(str(kv)); ok {
				fd.Kind = k
			} else if fe.err == nil {
				fe.fail(koff, "kind %q (want bool, int8..int64, uint8..uint64, float32 or float64)", kv)
			}
			fd.Offset = int(fe.int("offset", 32))
			if _, _, ok := fe.get("count", false); ok {
				fd.Count = int(fe.int("count", 32))
			}
			if _, _, ok := fe.get("nonfinite", false); ok {
				fd.NonFinite = fe.bool("nonfinite")
			}
			if err := fe.done(); err != nil {
				return err
			}
			if err := x.leaf(c.path); err != nil {
				return err
			}
			s.Fields = append(s.Fields, fd)
		}
		if err := s.Validate(); err != nil {
			return x.errAt(c.off, c.path, "%v", err)
		}
		if !x.mem.take(2 * s.Size) {
			return x.errAt(c.off, c.path, "size %d is more than the document can describe", s.Size)
		}
		x.f.Schemas = append(x.f.Schemas, s)
	}
}

func (x *xmlReader) module(ev xmlEvent) error {
	e := x.elem(ev, "module")
	m := Module{Name: e.str("name", true)}
	e.path = fmt.Sprintf("module %q", m.Name)
	path := e.path
	m.GCAfter = time.Duration(e.int("gc-after", 64))
	m.Fallback = int(e.int("fallback", 64))
	m.Dirty = e.bool("dirty")
	m.Frames, m.Missed, m.Lost = e.uint("frames"), e.uint("missed"), e.uint("lost")
	if err := e.done(); err != nil {
		return err
	}
	var havePolicy, haveKeys bool
	verOff := map[int]int{}
	for {
		ev, err := x.start(path, true, "dep", "policy", "weight", "pin", "keys", "command", "version")
		if err != nil {
			return err
		}
		if ev.end {
			break
		}
		c := x.elem(ev, path)
		switch string(ev.name) {
		case "dep":
			m.Deps = append(m.Deps, c.str("name", true))
		case "policy":
			if havePolicy {
				c.fail(c.off, "a second <policy>")
			}
			havePolicy = true
			m.Policy = versioning.FailurePolicy{MaxRate: c.float("max-rate"), Window: time.Duration(c.int("window", 64)),
				MinSteps: int(c.int("min-steps", 64)), MaxConsecutive: int(c.int("max-consecutive", 64))}
		case "weight":
			m.Weights = append(m.Weights, Weight{Version: int(c.int("version", 64)), Weight: c.float("value")})
		case "pin":
			m.Pins = append(m.Pins, Pin{Key: c.key("key"), Version: int(c.int("version", 64))})
		case "keys":
			if haveKeys {
				c.fail(c.off, "a second <keys>")
			}
			haveKeys = true
			x.keys(c, &m)
		case "command":
			cmd := versioning.CommandSnapshot{Key: c.key("key"), Component: c.str("component", false), Name: c.str("name", false)}
			cmd.Payload = c.base64("payload", true)
			m.Commands = append(m.Commands, cmd)
		case "version":
			v, err := x.version(c, &m)
			if err != nil {
				return err
			}
			if _, dup := verOff[v.Number]; dup {
				return x.errAt(c.off, path, "v%d appears twice", v.Number)
			}
			verOff[v.Number] = c.off
			m.Versions = append(m.Versions, v)
			continue
		}
		if err := c.done(); err != nil {
			return err
		}
		if err := x.leaf(path); err != nil {
			return err
		}
	}
	if !havePolicy || !haveKeys {
		return x.errAt(ev.off, path, "<module> needs a <policy> and a <keys>")
	}
	if msg := sortModule(&m); msg != "" {
		return x.errAt(ev.off, path, "%s", msg)
	}
	x.f.Modules = append(x.f.Modules, m)
	return nil
}

// sortModule orders a module's weights, pins and versions, and reports a
// duplicate.
func sortModule(m *Module) string {
	slices.SortStableFunc(m.Weights, func(a, b Weight) int { return cmp.Compare(a.Version, b.Version) })
	for i := 1; i < len(m.Weights); i++ {
		if m.Weights[i].Version == m.Weights[i-1].Version {
			return fmt.Sprintf("two weights for v%d", m.Weights[i].Version)
		}
	}
	slices.SortStableFunc(m.Pins, func(a, b Pin) int { return cmp.Compare(a.Key, b.Key) })
	for i := 1; i < len(m.Pins); i++ {
		if m.Pins[i].Key == m.Pins[i-1].Key {
			return fmt.Sprintf("key %d:%d pinned twice", m.Pins[i].Key.Index(), m.Pins[i].Key.Gen())
		}
	}
	slices.SortStableFunc(m.Versions, func(a, b Version) int { return cmp.Compare(a.Number, b.Number) })
	return ""
}

func (x *xmlReader) keys(c *elem, m *Module) {
	gv, goff, _ := c.get("gens", true)
	fv, foff, _ := c.get("free", true)
	if c.err != nil {
		return
	}
	// Every slot takes at least two characters of the document.
	limit := len(x.data)/2 + 1
	var msg string
	if m.Gens, msg = parseGens(gv, limit); msg != "" {
		c.fail(goff, "gens: %s", msg)
		return
	}
	if m.Free, msg = parseFree(fv, len(m.Gens)); msg != "" {
		c.fail(foff, "free: %s", msg)
	}
}

func (x *xmlReader) version(e *elem, m *Module) (Version, error) {
	v := Version{Number: int(e.int("number", 64))}
	path := fmt.Sprintf("module %q v%d", m.Name, v.Number)
	e.path = path
	v.Loaded = e.bool("loaded")
	v.Failed = e.str("failed", false)
	v.LoadedAt = time.Duration(e.int("loaded-at", 64))
	v.IdleFrom = time.Duration(e.int("idle-from", 64))
	v.Idle = e.bool("idle")
	v.SinceBackup = int(e.int("since-backup", 64))
	v.Consecutive = int(e.int("consecutive", 64))
	if _, _, ok := e.get("state", false); ok {
		v.HasLogicState = true
		v.LogicState = e.base64("state", true)
	}
	if err := e.done(); err != nil {
		return v, err
	}
	ev, err := x.start(path, false, "steps")
	if err != nil {
		return v, err
	}
	if err := x.steps(x.elem(ev, path), &v); err != nil {
		return v, err
	}
	var rc *rowCodec
	haveWorld := false
	for {
		ev, err := x.start(path, true, "use", "world", "backup")
		if err != nil {
			return v, err
		}
		if ev.end {
			if rc == nil {
				return v, x.errAt(ev.off, path, "<version> needs a <world>")
			}
			return v, nil
		}
		c := x.elem(ev, path)
		switch string(ev.name) {
		case "use":
			if rc != nil {
				return v, x.errAt(c.off, path, "<use> after <world>")
			}
			if err := x.use(c, &v); err != nil {
				return v, err
			}
		case "world", "backup":
			if err := c.done(); err != nil {
				return v, err
			}
			if rc == nil {
				if rc, err = x.layout(c, m, &v); err != nil {
					return v, err
				}
			}
			t := &v.World
			if string(ev.name) == "backup" {
				if v.Backup != nil {
					return v, x.errAt(c.off, path, "a second <backup>")
				}
				v.Backup = &Table{}
				t = v.Backup
			} else if haveWorld {
				return v, x.errAt(c.off, path, "a second <world>")
			} else {
				haveWorld = true
			}
			if err := x.table(t, rc, path+" "+string(ev.name)); err != nil {
				return v, err
			}
		}
	}
}

func (x *xmlReader) steps(e *elem, v *Version) error {
	at, aoff, _ := e.get("at", true)
	fl, foff, _ := e.get("failed", true)
	if err := e.done(); err != nil {
		return err
	}
	for tok := range bytes.FieldsSeq(at) {
		t, err := strconv.ParseInt(str(tok), 10, 64)
		if err != nil {
			return x.errAt(aoff, e.path+" steps", "at: %q is not a time in nanoseconds", tok)
		}
		v.StepTimes = append(v.StepTimes, time.Duration(t))
	}
	for tok := range bytes.FieldsSeq(fl) {
		switch str(tok) {
		case "0":
			v.StepFailed = append(v.StepFailed, false)
		case "1":
			v.StepFailed = append(v.StepFailed, true)
		default:
			return x.errAt(foff, e.path+" steps", "failed: %q is not 0 or 1", tok)
		}
	}
	if len(v.StepTimes) != len(v.StepFailed) {
		return x.errAt(foff, e.path+" steps", "%d times but %d failure flags", len(v.StepTimes), len(v.StepFailed))
	}
	return x.leaf(e.path)
}

func (x *xmlReader) use(e *elem, v *Version) error {
	name := e.str("component", true)
	variant := 0
	if _, _, ok := e.get("variant", false); ok {
		variant = int(e.int("variant", 32))
	}
	dv, doff, _ := e.get("default", true)
	pv, poff, hasPad := e.get("default-pad", false)
	if err := e.done(); err != nil {
		return err
	}
	si := schemaByVariant(x.f, name, variant)
	if si < 0 {
		return x.errAt(e.off, e.path, "component %s (variant %d) is not in the schema", name, variant)
	}
	s := &x.f.Schemas[si]
	if !x.mem.take(s.Size) {
		return x.errAt(e.off, e.path, "more defaults than the document can describe")
	}
	cc := compCodec{name: s.Name, schema: s, pad: paddingMask(s)}
	def := make([]byte, s.Size)
	toks := bytes.Fields(dv)
	want := 0
	for _, fd := range s.Fields {
		want += fd.Count
	}
	if len(toks) != want {
		return x.errAt(doff, e.path+" default of "+name, "%d values, want %d", len(toks), want)
	}
	k := 0
	for _, fd := range s.Fields {
		for i := range fd.Count {
			if msg := parseScalar(fd.Kind, toks[k], def[fd.Offset+i*fd.Kind.Size():]); msg != "" {
				return x.errAt(doff, e.path+" default of "+name+"."+fd.Path, "%s", msg)
			}
			k++
		}
	}
	if hasPad {
		if msg := cc.setPad(pv, def); msg != "" {
			return x.errAt(poff, e.path, "%s", msg)
		}
	}
	v.Components = append(v.Components, Component{Schema: si, Default: def})
	return x.leaf(e.path)
}

// layout sorts a version's components by name, refuses duplicates, and
// builds its row codec.
func (x *xmlReader) layout(e *elem, m *Module, v *Version) (*rowCodec, error) {
	msg := sortComponents(x.f, v)
	if msg != "" {
		return nil, x.errAt(e.off, e.path, "%s", msg)
	}
	rc, err := newRowCodec(x.f, v)
	if err != nil {
		return nil, x.errAt(e.off, e.path, "%v", err)
	}
	return rc, nil
}

// sortComponents orders a version's components by name, and reports a
// duplicate.
func sortComponents(f *File, v *Version) string {
	slices.SortStableFunc(v.Components, func(a, b Component) int {
		return cmp.Compare(f.Schemas[a.Schema].Name, f.Schemas[b.Schema].Name)
	})
	for i := 1; i < len(v.Components); i++ {
		if f.schemaOf(v.Components[i]).Name == f.schemaOf(v.Components[i-1]).Name {
			return fmt.Sprintf("component %s is used twice", f.schemaOf(v.Components[i]).Name)
		}
	}
	return ""
}

// table reads the <e> rows of a world or backup.
func (x *xmlReader) table(t *Table, rc *rowCodec, path string) error {
	t.Columns = make([][]byte, len(rc.comps))
	t.Keys = []ecs.Key{}
	var offs []int32
	for {
		ev, err := x.next()
		if err != nil {
			return err
		}
		if ev.end {
			t.textOff = offs
			return nil
		}
		if string(ev.name) != "e" {
			return x.errAt(ev.off, path, "unexpected <%s> (expected <e>)", ev.name)
		}
		row := len(t.Keys)
		key := newKey
		if !x.mem.take(rc.size) {
			return x.errAt(ev.off, path, "more rows than the document can describe")
		}
		for ci := range rc.comps {
			t.Columns[ci] = append(t.Columns[ci], rc.comps[ci].init...)
		}
		for i, a := range x.s.attrs {
			// Attributes usually come in the writer's order: check the
			// expected one before looking the name up.
			var ref attrRef
			ok := false
			if i < len(rc.order) && string(a.name) == rc.order[i].name {
				ref, ok = rc.order[i].ref, true
			} else {
				ref, ok = rc.attrs[string(a.name)]
			}
			if !ok {
				return x.errAt(a.off, rowPath(path, row, key), "no attribute %s in this version (its components are %s)", a.name, rc.names())
			}
			if ref.comp < 0 {
				k, msg := parseKey(a.value)
				if msg != "" {
					return x.errAt(a.off, rowPath(path, row, key), "%s", msg)
				}
				key = k
				continue
			}
			cc := &rc.comps[ref.comp]
			sz := cc.schema.Size
			dst := t.Columns[ref.comp][row*sz : (row+1)*sz]
			var msg string
			if ref.field < 0 {
				msg = cc.setPad(a.value, dst)
			} else {
				msg = cc.parseXMLValue(ref.field, a.value, dst)
			}
			if msg != "" {
				return x.errAt(a.off, rowPath(path, row, key)+" "+string(a.name), "%s", msg)
			}
		}
		t.Keys = append(t.Keys, key)
		offs = append(offs, int32(min(ev.off, math.MaxInt32)))
		if err := x.leaf(path); err != nil {
			return err
		}
	}
}

// rowPath names a row in errors.
func rowPath(table string, row int, key ecs.Key) string {
	if key == newKey {
		return fmt.Sprintf("%s row %d", table, row)
	}
	return fmt.Sprintf("%s row %d (key %d:%d)", table, row, key.Index(), key.Gen())
}

func (rc *rowCodec) names() string {
	var b []byte
	for i, cc := range rc.comps {
		if i > 0 {
			b = append(b, '|')
		}
		b = append(b, cc.name...)
	}
	if len(b) == 0 {
		return "none"
	}
	return string(b)
}
