package persist

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/versioning"
)

// WriteJSON writes f as JSON. Floats are written so that they read back
// bit for bit (NaN and infinities as strings, since JSON numbers cannot
// hold them); see the package documentation for the form. A delta must be
// applied to its base first (ErrBase).
func WriteJSON(w io.Writer, f *File) error {
	codecs, err := textCodecs(f)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	jw := &jsonWriter{w: bw}
	jw.body(f, codecs)
	if jw.err != nil {
		return jw.err
	}
	return bw.Flush()
}

// appendJSONString appends s as a JSON string, after the text forms'
// string escapes (a backslash doubled, bytes that are not valid UTF-8 or
// are control characters as \xHH), so that any Go string survives.
func appendJSONString(b []byte, s string) []byte {
	return appendJSONQuoted(b, appendEscaped(nil, s))
}

// appendJSONQuoted quotes text that is valid UTF-8.
func appendJSONQuoted(b, s []byte) []byte {
	b = append(b, '"')
	for _, c := range s {
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

type jsonWriter struct {
	w   *bufio.Writer
	b   []byte
	err error
}

func (j *jsonWriter) flush() {
	if j.err == nil {
		_, j.err = j.w.Write(j.b)
	}
	j.b = j.b[:0]
}

// member appends `"name": ` (name is plain ASCII).
func (j *jsonWriter) member(name string) {
	j.b = append(j.b, '"')
	j.b = append(j.b, name...)
	j.b = append(j.b, '"', ':', ' ')
}

func (j *jsonWriter) int(name string, v int64) {
	j.member(name)
	j.b = strconv.AppendInt(j.b, v, 10)
}

func (j *jsonWriter) uint(name string, v uint64) {
	j.member(name)
	j.b = strconv.AppendUint(j.b, v, 10)
}

func (j *jsonWriter) bool(name string, v bool) {
	j.member(name)
	j.b = strconv.AppendBool(j.b, v)
}

func (j *jsonWriter) str(name, v string) {
	j.member(name)
	j.b = appendJSONString(j.b, v)
}

func (j *jsonWriter) float(name string, v float64) {
	j.member(name)
	j.b = appendFloat(j.b, math.Float64bits(v), 64, true)
}

func (j *jsonWriter) body(f *File, codecs [][]*rowCodec) {
	j.b = append(j.b, "{\n"...)
	j.int("format", FormatVersion)
	j.b = append(j.b, ",\n"...)
	j.uint("frame", f.Frame)
	j.b = append(j.b, ",\n"...)
	j.int("now", int64(f.Now))
	j.b = append(j.b, ",\n\"schema\": ["...)
	for i, s := range f.Schemas {
		if i > 0 {
			j.b = append(j.b, ',')
		}
		j.b = append(j.b, "\n  {"...)
		j.str("name", s.Name)
		j.b = append(j.b, ", "...)
		j.int("size", int64(s.Size))
		j.b = append(j.b, ", "...)
		j.int("align", int64(s.Align))
		j.b = append(j.b, ", \"fields\": ["...)
		for k, fd := range s.Fields {
			if k > 0 {
				j.b = append(j.b, ',')
			}
			j.b = append(j.b, "\n    {"...)
			j.str("path", fd.Path)
			j.b = append(j.b, ", "...)
			j.str("kind", fd.Kind.String())
			j.b = append(j.b, ", "...)
			j.int("offset", int64(fd.Offset))
			if fd.Count != 1 {
				j.b = append(j.b, ", "...)
				j.int("count", int64(fd.Count))
			}
			if fd.NonFinite {
				j.b = append(j.b, ", "...)
				j.bool("nonfinite", true)
			}
			j.b = append(j.b, '}')
		}
		j.b = append(j.b, "]}"...)
	}
	j.b = append(j.b, "\n],\n\"modules\": ["...)
	for i := range f.Modules {
		if i > 0 {
			j.b = append(j.b, ',')
		}
		j.module(f, &f.Modules[i], codecs[i])
	}
	j.b = append(j.b, "\n]\n}\n"...)
	j.flush()
}

func (j *jsonWriter) module(f *File, m *Module, codecs []*rowCodec) {
	j.b = append(j.b, "\n{\n  "...)
	j.str("name", m.Name)
	j.b = append(j.b, ",\n  \"deps\": ["...)
	for i, d := range m.Deps {
		if i > 0 {
			j.b = append(j.b, ", "...)
		}
		j.b = appendJSONString(j.b, d)
	}
	j.b = append(j.b, "],\n  "...)
	j.int("gcAfter", int64(m.GCAfter))
	j.b = append(j.b, ", "...)
	j.int("fallback", int64(m.Fallback))
	j.b = append(j.b, ",\n  \"policy\": {"...)
	j.float("maxRate", m.Policy.MaxRate)
	j.b = append(j.b, ", "...)
	j.int("window", int64(m.Policy.Window))
	j.b = append(j.b, ", "...)
	j.int("minSteps", int64(m.Policy.MinSteps))
	j.b = append(j.b, ", "...)
	j.int("maxConsecutive", int64(m.Policy.MaxConsecutive))
	j.b = append(j.b, "},\n  \"weights\": {"...)
	for i, w := range m.Weights {
		if i > 0 {
			j.b = append(j.b, ", "...)
		}
		j.float(strconv.Itoa(w.Version), w.Weight)
	}
	j.b = append(j.b, "},\n  \"pins\": {"...)
	for i, p := range m.Pins {
		if i > 0 {
			j.b = append(j.b, ", "...)
		}
		j.int(string(appendKey(nil, p.Key)), int64(p.Version))
	}
	j.b = append(j.b, "},\n  "...)
	j.bool("dirty", m.Dirty)
	j.b = append(j.b, ", "...)
	j.uint("frames", m.Frames)
	j.b = append(j.b, ", "...)
	j.uint("missed", m.Missed)
	j.b = append(j.b, ", "...)
	j.uint("lost", m.Lost)
	j.b = append(j.b, ",\n  \"keys\": {\"gens\": \""...)
	j.b = appendGens(j.b, m.Gens)
	j.b = append(j.b, "\", \"free\": \""...)
	j.b = appendFree(j.b, m.Free)
	j.b = append(j.b, "\"},\n  \"commands\": ["...)
	for i, c := range m.Commands {
		if i > 0 {
			j.b = append(j.b, ',')
		}
		j.b = append(j.b, "\n    {\"key\": \""...)
		j.b = appendKey(j.b, c.Key)
		j.b = append(j.b, "\", "...)
		j.str("component", c.Component)
		j.b = append(j.b, ", "...)
		j.str("name", c.Name)
		j.b = append(j.b, ", \"payload\": \""...)
		j.b = base64.StdEncoding.AppendEncode(j.b, c.Payload)
		j.b = append(j.b, "\"}"...)
	}
	j.b = append(j.b, "],\n  \"versions\": ["...)
	for k := range m.Versions {
		if k > 0 {
			j.b = append(j.b, ',')
		}
		j.version(f, &m.Versions[k], codecs[k])
	}
	j.b = append(j.b, "]\n}"...)
}

func (j *jsonWriter) version(f *File, v *Version, rc *rowCodec) {
	j.b = append(j.b, "\n  {\n    "...)
	j.int("number", int64(v.Number))
	j.b = append(j.b, ", "...)
	j.bool("loaded", v.Loaded)
	j.b = append(j.b, ", "...)
	j.str("failed", v.Failed)
	j.b = append(j.b, ",\n    "...)
	j.int("loadedAt", int64(v.LoadedAt))
	j.b = append(j.b, ", "...)
	j.int("idleFrom", int64(v.IdleFrom))
	j.b = append(j.b, ", "...)
	j.bool("idle", v.Idle)
	j.b = append(j.b, ", "...)
	j.int("sinceBackup", int64(v.SinceBackup))
	j.b = append(j.b, ", "...)
	j.int("consecutive", int64(v.Consecutive))
	j.b = append(j.b, ",\n    \"state\": "...)
	if v.HasLogicState {
		j.b = append(j.b, '"')
		j.b = base64.StdEncoding.AppendEncode(j.b, v.LogicState)
		j.b = append(j.b, '"')
	} else {
		j.b = append(j.b, "null"...)
	}
	j.b = append(j.b, ",\n    \"steps\": {\"at\": ["...)
	for i, t := range v.StepTimes {
		if i > 0 {
			j.b = append(j.b, ',')
		}
		j.b = strconv.AppendInt(j.b, int64(t), 10)
	}
	j.b = append(j.b, "], \"failed\": ["...)
	for i, fl := range v.StepFailed {
		if i > 0 {
			j.b = append(j.b, ',')
		}
		j.b = strconv.AppendBool(j.b, fl)
	}
	j.b = append(j.b, "]},\n    \"layout\": ["...)
	for ci, c := range v.Components {
		if ci > 0 {
			j.b = append(j.b, ',')
		}
		cc := &rc.comps[ci]
		j.b = append(j.b, "\n      {"...)
		j.str("component", cc.name)
		if vr := variantOf(f, c.Schema); vr > 0 {
			j.b = append(j.b, ", "...)
			j.int("variant", int64(vr))
		}
		j.b = append(j.b, ", \"default\": "...)
		j.b = cc.appendJSON(j.b, c.Default)
		if pad, ok := cc.padHex(nil, c.Default); ok {
			j.b = append(j.b, ", \"defaultPad\": \""...)
			j.b = append(j.b, pad...)
			j.b = append(j.b, '"')
		}
		j.b = append(j.b, '}')
	}
	j.b = append(j.b, "],\n    \"world\": "...)
	j.table(&v.World, rc)
	j.b = append(j.b, ",\n    \"backup\": "...)
	if v.Backup != nil {
		j.table(v.Backup, rc)
	} else {
		j.b = append(j.b, "null"...)
	}
	j.b = append(j.b, "\n  }"...)
}

// appendJSON appends a component value: a bare value for a scalar
// component, else an object of its fields by path.
func (cc *compCodec) appendJSON(b, row []byte) []byte {
	if cc.scalar {
		return cc.appendValue(b, 0, row, true)
	}
	b = append(b, '{')
	for fi := range cc.schema.Fields {
		if fi > 0 {
			b = append(b, ',')
		}
		b = append(b, cc.jsonFld[fi]...)
		b = cc.appendValue(b, fi, row, true)
	}
	return append(b, '}')
}

func (j *jsonWriter) table(t *Table, rc *rowCodec) {
	j.b = append(j.b, '[')
	for r, k := range t.Keys {
		if r > 0 {
			j.b = append(j.b, ',')
		}
		j.b = append(j.b, "\n      [\""...)
		j.b = appendKey(j.b, k)
		j.b = append(j.b, "\", {"...)
		padded := false
		for ci := range rc.comps {
			cc := &rc.comps[ci]
			if ci > 0 {
				j.b = append(j.b, ", "...)
			}
			sz := cc.schema.Size
			row := t.Columns[ci][r*sz : (r+1)*sz]
			j.b = append(j.b, cc.jsonKey...)
			j.b = cc.appendJSON(j.b, row)
			if cc.pad != nil {
				_, nz := cc.padHex(nil, row)
				padded = padded || nz
			}
		}
		j.b = append(j.b, '}')
		if padded {
			j.b = append(j.b, ", {"...)
			first := true
			for ci := range rc.comps {
				cc := &rc.comps[ci]
				sz := cc.schema.Size
				row := t.Columns[ci][r*sz : (r+1)*sz]
				if hx, ok := cc.padHex(nil, row); ok {
					if !first {
						j.b = append(j.b, ", "...)
					}
					first = false
					j.b = append(j.b, cc.jsonKey...)
					j.b = append(j.b, '"')
					j.b = append(j.b, hx...)
					j.b = append(j.b, '"')
				}
			}
			j.b = append(j.b, '}')
		}
		j.b = append(j.b, ']')
		if len(j.b) > 1<<15 {
			j.flush()
		}
	}
	j.b = append(j.b, "\n    ]"...)
}

// ReadJSON reads the JSON form, checks it against the schema it carries,
// and returns the file. Errors wrap [ErrText] as a [*TextError] with the
// line, column and path of the problem (a newer format also wraps
// [ErrVersion]). Hand edits are accepted as for [ReadXML]; an entity added
// by hand may have the key "new" or null.
func ReadJSON(r io.Reader) (*File, error) {
	data, err := readAll(r)
	if err != nil {
		return nil, err
	}
	return readJSON(data)
}

type jsonReader struct {
	data []byte
	s    jsonScanner
	f    *File
	mem  budget
}

func readJSON(data []byte) (*File, error) {
	j := &jsonReader{data: data, s: jsonScanner{data: data}, f: &File{Format: FormatVersion, Kind: KindFull}, mem: newBudget(len(data))}
	if err := j.document(); err != nil {
		if se, ok := err.(*scanError); ok {
			return nil, j.errAt(se.off, "", "%s", se.msg)
		}
		return nil, err
	}
	return j.f, nil
}

func (j *jsonReader) errAt(off int, path, format string, args ...any) error {
	line, col := lineCol(j.data, off)
	return &TextError{Line: line, Column: col, Path: path, Msg: fmt.Sprintf(format, args...)}
}

// members reads an object whose member names must be among the handlers';
// required ones must appear. Each handler consumes its value.
func (j *jsonReader) members(path string, required []string, handlers map[string]func(off int) error) error {
	start := j.s.pos
	seen := map[string]bool{}
	err := j.s.object(func(name []byte, off int) error {
		h, ok := handlers[string(name)]
		if !ok {
			return j.errAt(off, path, "unknown member %q", name)
		}
		if seen[string(name)] {
			return j.errAt(off, path, "member %q appears twice", name)
		}
		seen[string(name)] = true
		return h(off)
	})
	if err != nil {
		return err
	}
	for _, r := range required {
		if !seen[r] {
			return j.errAt(start, path, "missing member %q", r)
		}
	}
	return nil
}

// Typed scalar readers. Each reads one value and stores it.

func (j *jsonReader) intInto(path string, bits int, dst *int64) func(int) error {
	return func(int) error {
		k, tok, off, err := j.s.scalar()
		if err != nil {
			return err
		}
		v, perr := strconv.ParseInt(str(tok), 10, bits)
		if k != tokNumber || perr != nil {
			return j.errAt(off, path, "%q is not an integer of %d bits", tok, bits)
		}
		*dst = v
		return nil
	}
}

func (j *jsonReader) uintInto(path string, dst *uint64) func(int) error {
	return func(int) error {
		k, tok, off, err := j.s.scalar()
		if err != nil {
			return err
		}
		v, perr := strconv.ParseUint(str(tok), 10, 64)
		if k != tokNumber || perr != nil {
			return j.errAt(off, path, "%q is not an unsigned integer", tok)
		}
		*dst = v
		return nil
	}
}

func (j *jsonReader) boolInto(path string, dst *bool) func(int) error {
	return func(int) error {
		k, tok, off, err := j.s.scalar()
		if err != nil {
			return err
		}
		if k != tokTrue && k != tokFalse {
			return j.errAt(off, path, "%q is not true or false", tok)
		}
		*dst = k == tokTrue
		return nil
	}
}

func (j *jsonReader) floatInto(path string, dst *float64) func(int) error {
	return func(int) error {
		k, tok, off, err := j.s.scalar()
		if err != nil {
			return err
		}
		if k != tokNumber && k != tokString {
			return j.errAt(off, path, "%q is not a number", tok)
		}
		bits, msg := parseFloat(tok, 64)
		if msg != "" {
			return j.errAt(off, path, "%s", msg)
		}
		*dst = math.Float64frombits(bits)
		return nil
	}
}

func (j *jsonReader) strInto(path string, dst *string) func(int) error {
	return func(int) error {
		tok, off, err := j.s.str()
		if err != nil {
			return err
		}
		s, msg := unescape(tok)
		if msg != "" {
			return j.errAt(off, path, "%s", msg)
		}
		*dst = s
		return nil
	}
}

func (j *jsonReader) base64Into(path string, dst *[]byte, present *bool) func(int) error {
	return func(int) error {
		k, tok, off, err := j.s.scalar()
		if err != nil {
			return err
		}
		if k == tokNull && present != nil {
			*present = false
			return nil
		}
		b, derr := base64.StdEncoding.AppendDecode([]byte{}, tok)
		if k != tokString || derr != nil {
			return j.errAt(off, path, "not a base64 string")
		}
		*dst = b
		if present != nil {
			*present = true
		}
		return nil
	}
}

func (j *jsonReader) document() error {
	var format, now int64
	var frame uint64
	formatOff := 0
	err := j.members("", []string{"format", "frame", "now", "schema", "modules"}, map[string]func(int) error{
		"format": func(off int) error {
			formatOff = off
			if err := j.intInto("format", 32, &format)(off); err != nil {
				return err
			}
			if format > FormatVersion {
				line, col := lineCol(j.data, off)
				return &TextError{Line: line, Column: col, Msg: fmt.Sprintf("format version %d is newer than this reader's %d: use a newer Grove", format, FormatVersion), Err: ErrVersion}
			}
			return nil
		},
		"frame":   j.uintInto("frame", &frame),
		"now":     j.intInto("now", 64, &now),
		"schema":  func(int) error { return j.s.array(func(_, off int) error { return j.schema(off) }) },
		"modules": func(int) error { return j.s.array(func(_, off int) error { return j.module(off) }) },
	})
	if err != nil {
		return err
	}
	if format < 1 {
		return j.errAt(formatOff, "", "format version %d", format)
	}
	j.f.Frame, j.f.Now = frame, time.Duration(now)
	if j.s.peek() != 0 {
		return j.errAt(j.s.pos, "", "content after the document")
	}
	return finishText(j.f, len(j.data), func(off int, msg string) error { return j.errAt(off, "", "%s", msg) })
}

func (j *jsonReader) schema(off int) error {
	var s ecs.Schema
	var size, align int64
	path := "schema"
	err := j.members(path, []string{"name", "size", "align", "fields"}, map[string]func(int) error{
		"name":  j.strInto(path, &s.Name),
		"size":  j.intInto(path+" size", 32, &size),
		"align": j.intInto(path+" align", 32, &align),
		"fields": func(int) error {
			return j.s.array(func(_, off int) error {
				fd := ecs.Field{Count: 1}
				var kind string
				var offset, count int64 = 0, 1
				fp := path + " " + s.Name
				err := j.members(fp, []string{"path", "kind", "offset"}, map[string]func(int) error{
					"path":      j.strInto(fp, &fd.Path),
					"kind":      j.strInto(fp, &kind),
					"offset":    j.intInto(fp+" offset", 32, &offset),
					"count":     j.intInto(fp+" count", 32, &count),
					"nonfinite": j.boolInto(fp+" nonfinite", &fd.NonFinite),
				})
				if err != nil {
					return err
				}
				k, ok := ecs.ParseKind(kind)
				if !ok {
					return j.errAt(off, fp+"."+fd.Path, "kind %q (want bool, int8..int64, uint8..uint64, float32 or float64)", kind)
				}
				fd.Kind, fd.Offset, fd.Count = k, int(offset), int(count)
				s.Fields = append(s.Fields, fd)
				return nil
			})
		},
	})
	if err != nil {
		return err
	}
	s.Size, s.Align = int(size), int(align)
	if err := s.Validate(); err != nil {
		return j.errAt(off, "schema component "+s.Name, "%v", err)
	}
	if !j.mem.take(2 * s.Size) {
		return j.errAt(off, "schema component "+s.Name, "size %d is more than the document can describe", s.Size)
	}
	j.f.Schemas = append(j.f.Schemas, s)
	return nil
}

func (j *jsonReader) module(off int) error {
	var m Module
	var gc, fallback, window, minSteps, maxCons int64
	path := "module"
	// The name is usually first; paths use it once known.
	p := func(s string) string {
		if m.Name != "" {
			return fmt.Sprintf("module %q %s", m.Name, s)
		}
		return path + " " + s
	}
	err := j.members(path, []string{"name", "policy", "keys", "versions"}, map[string]func(int) error{
		"name": j.strInto(path, &m.Name),
		"deps": func(int) error {
			return j.s.array(func(int, int) error {
				var d string
				if err := j.strInto(p("deps"), &d)(0); err != nil {
					return err
				}
				m.Deps = append(m.Deps, d)
				return nil
			})
		},
		"gcAfter":  j.intInto(p("gcAfter"), 64, &gc),
		"fallback": j.intInto(p("fallback"), 64, &fallback),
		"policy": func(int) error {
			return j.members(p("policy"), []string{"maxRate", "window", "minSteps", "maxConsecutive"}, map[string]func(int) error{
				"maxRate":        j.floatInto(p("policy maxRate"), &m.Policy.MaxRate),
				"window":         j.intInto(p("policy window"), 64, &window),
				"minSteps":       j.intInto(p("policy minSteps"), 64, &minSteps),
				"maxConsecutive": j.intInto(p("policy maxConsecutive"), 64, &maxCons),
			})
		},
		"weights": func(int) error {
			return j.s.object(func(name []byte, off int) error {
				v, err := strconv.Atoi(str(name))
				if err != nil {
					return j.errAt(off, p("weights"), "%q is not a version number", name)
				}
				w := Weight{Version: v}
				if err := j.floatInto(p("weights"), &w.Weight)(off); err != nil {
					return err
				}
				m.Weights = append(m.Weights, w)
				return nil
			})
		},
		"pins": func(int) error {
			return j.s.object(func(name []byte, off int) error {
				k, msg := parseKey(name)
				if msg == "" && k == newKey {
					msg = "new is only for entities"
				}
				if msg != "" {
					return j.errAt(off, p("pins"), "%s", msg)
				}
				var v int64
				if err := j.intInto(p("pins"), 64, &v)(off); err != nil {
					return err
				}
				m.Pins = append(m.Pins, Pin{Key: k, Version: int(v)})
				return nil
			})
		},
		"dirty":  j.boolInto(p("dirty"), &m.Dirty),
		"frames": j.uintInto(p("frames"), &m.Frames),
		"missed": j.uintInto(p("missed"), &m.Missed),
		"lost":   j.uintInto(p("lost"), &m.Lost),
		"keys": func(int) error {
			var gens, free []byte
			var goff, foff int
			err := j.members(p("keys"), []string{"gens", "free"}, map[string]func(int) error{
				"gens": func(int) error { var err error; gens, goff, err = j.s.str(); return err },
				"free": func(int) error { var err error; free, foff, err = j.s.str(); return err },
			})
			if err != nil {
				return err
			}
			var msg string
			if m.Gens, msg = parseGens(gens, len(j.data)/2+1); msg != "" {
				return j.errAt(goff, p("keys gens"), "%s", msg)
			}
			if m.Free, msg = parseFree(free, len(m.Gens)); msg != "" {
				return j.errAt(foff, p("keys free"), "%s", msg)
			}
			return nil
		},
		"commands": func(int) error {
			return j.s.array(func(_, off int) error {
				var c versioning.CommandSnapshot
				var key []byte
				var koff int
				err := j.members(p("command"), []string{"key", "payload"}, map[string]func(int) error{
					"key":       func(int) error { var err error; key, koff, err = j.s.str(); return err },
					"component": j.strInto(p("command component"), &c.Component),
					"name":      j.strInto(p("command name"), &c.Name),
					"payload":   j.base64Into(p("command payload"), &c.Payload, nil),
				})
				if err != nil {
					return err
				}
				k, msg := parseKey(key)
				if msg == "" && k == newKey {
					msg = "new is only for entities"
				}
				if msg != "" {
					return j.errAt(koff, p("command key"), "%s", msg)
				}
				c.Key = k
				m.Commands = append(m.Commands, c)
				return nil
			})
		},
		"versions": func(int) error {
			return j.s.array(func(_, off int) error {
				v, err := j.version(&m, off)
				if err != nil {
					return err
				}
				for _, o := range m.Versions {
					if o.Number == v.Number {
						return j.errAt(off, p(""), "v%d appears twice", v.Number)
					}
				}
				m.Versions = append(m.Versions, v)
				return nil
			})
		},
	})
	if err != nil {
		return err
	}
	m.GCAfter, m.Fallback = time.Duration(gc), int(fallback)
	m.Policy.Window, m.Policy.MinSteps, m.Policy.MaxConsecutive = time.Duration(window), int(minSteps), int(maxCons)
	if msg := sortModule(&m); msg != "" {
		return j.errAt(off, p(""), "%s", msg)
	}
	j.f.Modules = append(j.f.Modules, m)
	return nil
}

func (j *jsonReader) version(m *Module, off int) (Version, error) {
	var v Version
	var num, loadedAt, idleFrom, since, cons int64
	path := func() string { return fmt.Sprintf("module %q v%d", m.Name, num) }
	var rc *rowCodec
	codec := func(off int) (*rowCodec, error) {
		if rc != nil {
			return rc, nil
		}
		if msg := sortComponents(j.f, &v); msg != "" {
			return nil, j.errAt(off, path(), "%s", msg)
		}
		var err error
		if rc, err = newRowCodec(j.f, &v); err != nil {
			return nil, j.errAt(off, path(), "%v", err)
		}
		return rc, nil
	}
	haveLayout := false
	err := j.members("version", []string{"number", "loaded", "layout", "world"}, map[string]func(int) error{
		"number":      j.intInto("version number", 64, &num),
		"loaded":      j.boolInto("version loaded", &v.Loaded),
		"failed":      j.strInto("version failed", &v.Failed),
		"loadedAt":    j.intInto("version loadedAt", 64, &loadedAt),
		"idleFrom":    j.intInto("version idleFrom", 64, &idleFrom),
		"idle":        j.boolInto("version idle", &v.Idle),
		"sinceBackup": j.intInto("version sinceBackup", 64, &since),
		"consecutive": j.intInto("version consecutive", 64, &cons),
		"state":       j.base64Into("version state", &v.LogicState, &v.HasLogicState),
		"steps": func(int) error {
			return j.members(path()+" steps", []string{"at", "failed"}, map[string]func(int) error{
				"at": func(int) error {
					return j.s.array(func(_, off int) error {
						var t int64
						if err := j.intInto(path()+" steps at", 64, &t)(off); err != nil {
							return err
						}
						v.StepTimes = append(v.StepTimes, time.Duration(t))
						return nil
					})
				},
				"failed": func(int) error {
					return j.s.array(func(_, off int) error {
						var b bool
						if err := j.boolInto(path()+" steps failed", &b)(off); err != nil {
							return err
						}
						v.StepFailed = append(v.StepFailed, b)
						return nil
					})
				},
			})
		},
		"layout": func(off int) error {
			if rc != nil {
				return j.errAt(off, path(), "layout after world")
			}
			haveLayout = true
			return j.s.array(func(_, off int) error { return j.use(&v, path(), off) })
		},
		"world": func(off int) error {
			if !haveLayout {
				return j.errAt(off, path(), "world before layout")
			}
			rc, err := codec(off)
			if err != nil {
				return err
			}
			return j.table(&v.World, rc, path()+" world")
		},
		"backup": func(off int) error {
			if j.s.peek() == 'n' {
				_, tok, off, err := j.s.scalar()
				if err == nil && string(tok) != "null" {
					return j.errAt(off, path(), "backup must be a list of entities or null")
				}
				return err
			}
			if !haveLayout {
				return j.errAt(off, path(), "backup before layout")
			}
			rc, err := codec(off)
			if err != nil {
				return err
			}
			v.Backup = &Table{}
			return j.table(v.Backup, rc, path()+" backup")
		},
	})
	v.Number, v.LoadedAt, v.IdleFrom, v.SinceBackup, v.Consecutive = int(num), time.Duration(loadedAt), time.Duration(idleFrom), int(since), int(cons)
	if err == nil && len(v.StepTimes) != len(v.StepFailed) {
		err = j.errAt(off, path()+" steps", "%d times but %d failure flags", len(v.StepTimes), len(v.StepFailed))
	}
	return v, err
}

func (j *jsonReader) use(v *Version, path string, off int) error {
	var name string
	var variant int64
	var defOff, padOff int
	var pad []byte
	hasDef := false
	var def []byte
	var cc compCodec
	err := j.members(path+" layout", []string{"component", "default"}, map[string]func(int) error{
		"component": j.strInto(path+" layout component", &name),
		"variant":   j.intInto(path+" layout variant", 32, &variant),
		"default": func(off int) error {
			// The schema is known only once component and variant are: read
			// the default when both came first (as the writer orders them).
			si := schemaByVariant(j.f, name, int(variant))
			if si < 0 {
				return j.errAt(off, path+" layout", "component %q (variant %d) is not in the schema (component and variant must come before default)", name, variant)
			}
			s := &j.f.Schemas[si]
			if !j.mem.take(s.Size) {
				return j.errAt(off, path+" layout", "more defaults than the document can describe")
			}
			cc = compCodec{name: s.Name, schema: s, pad: paddingMask(s), scalar: len(s.Fields) == 1 && s.Fields[0].Path == ""}
			def = make([]byte, s.Size)
			hasDef, defOff = true, off
			return j.value(&cc, def, where{base: path + " layout " + name + " default", row: -1})
		},
		"defaultPad": func(int) error {
			var err error
			pad, padOff, err = j.s.str()
			return err
		},
	})
	if err != nil {
		return err
	}
	if !hasDef {
		return j.errAt(off, path, "layout entry without default")
	}
	if pad != nil {
		if msg := cc.setPad(pad, def); msg != "" {
			return j.errAt(padOff, path, "%s", msg)
		}
	}
	_ = defOff
	v.Components = append(v.Components, Component{Schema: schemaByVariant(j.f, name, int(variant)), Default: def})
	return nil
}

// where names a value in errors; it is formatted only when one occurs.
type where struct {
	base  string // table or layout path
	row   int    // -1: not a row
	key   ecs.Key
	comp  string
	field string
}

func (w where) String() string {
	s := w.base
	if w.row >= 0 {
		s = rowPath(w.base, w.row, w.key)
	}
	if w.comp != "" {
		s += " " + w.comp
	}
	if w.field != "" {
		s += "." + w.field
	}
	return s
}

// value reads a component value into row: a bare value for a scalar
// component, else an object of fields by path (fields left out keep
// row's bytes).
func (j *jsonReader) value(cc *compCodec, row []byte, w where) error {
	if cc.scalar {
		return j.field(cc, 0, row, w)
	}
	return j.s.object(func(name []byte, off int) error {
		fi := -1
		for k := range cc.schema.Fields {
			if string(name) == cc.schema.Fields[k].Path {
				fi = k
				break
			}
		}
		if fi < 0 {
			return j.errAt(off, w.String(), "no field %q in %s", name, cc.name)
		}
		fw := w
		fw.field = cc.schema.Fields[fi].Path
		return j.field(cc, fi, row, fw)
	})
}

// field reads one field's value (an array if it has several scalars).
func (j *jsonReader) field(cc *compCodec, fi int, row []byte, w where) error {
	fd := &cc.schema.Fields[fi]
	sz := fd.Kind.Size()
	if fd.Count == 1 {
		return j.scalarInto(fd, row[fd.Offset:], w)
	}
	start := j.s.pos
	n := 0
	err := j.s.array(func(i, off int) error {
		if i >= fd.Count {
			return j.errAt(off, w.String(), "more than %d values", fd.Count)
		}
		if err := j.scalarInto(fd, row[fd.Offset+i*sz:], w); err != nil {
			return err
		}
		n++
		return nil
	})
	if err != nil {
		return err
	}
	if n != fd.Count {
		return j.errAt(start, w.String(), "%d values, want %d", n, fd.Count)
	}
	return nil
}

// scalarInto reads one scalar of fd's kind into p.
func (j *jsonReader) scalarInto(fd *ecs.Field, p []byte, w where) error {
	k, tok, off, err := j.s.scalar()
	if err != nil {
		return err
	}
	if k == tokNull {
		return j.errAt(off, w.String(), "null is not a %v", fd.Kind)
	}
	if msg := parseScalar(fd.Kind, tok, p); msg != "" {
		return j.errAt(off, w.String(), "%s", msg)
	}
	return nil
}

// table reads a world or backup: a list of [key, {components}, {padding}?].
func (j *jsonReader) table(t *Table, rc *rowCodec, path string) error {
	t.Columns = make([][]byte, len(rc.comps))
	t.Keys = []ecs.Key{}
	seen := make([]bool, len(rc.comps))
	return j.s.list("a list of entities", func(row, off int) error {
		if !j.mem.take(rc.size) {
			return j.errAt(off, path, "more rows than the document can describe")
		}
		for ci := range rc.comps {
			t.Columns[ci] = append(t.Columns[ci], rc.comps[ci].init...)
		}
		t.textOff = append(t.textOff, int32(min(off, math.MaxInt32)))
		key, err := j.row(t, rc, path, row, seen)
		if err != nil {
			return err
		}
		t.Keys = append(t.Keys, key)
		return nil
	})
}

// row reads one entity, [key, {components}, {padding}?], into the last
// row of t's columns.
func (j *jsonReader) row(t *Table, rc *rowCodec, path string, row int, seen []bool) (ecs.Key, error) {
	s := &j.s
	shape := func(off int, key ecs.Key) error {
		return j.errAt(off, rowPath(path, row, key), "an entity is [key, {components}] or [key, {components}, {padding}]")
	}
	if s.peek() != '[' {
		return newKey, shape(s.pos, newKey)
	}
	s.pos++
	k, tok, off, err := s.scalar()
	if err != nil {
		return newKey, err
	}
	key := newKey
	switch k {
	case tokNull:
	case tokString:
		var msg string
		if key, msg = parseKey(tok); msg != "" {
			return newKey, j.errAt(off, rowPath(path, row, newKey), "%s", msg)
		}
	default:
		return newKey, j.errAt(off, rowPath(path, row, newKey), "the key must be a string index:generation, \"new\" or null")
	}
	for part := 1; ; part++ {
		c := s.peek()
		s.pos++
		if c == ']' && part > 1 {
			return key, nil
		}
		if c != ',' || part > 2 {
			return key, shape(s.pos-1, key)
		}
		clear(seen)
		if err := j.rowPart(t, rc, where{base: path, row: row, key: key}, part, seen); err != nil {
			return key, err
		}
	}
}

// rowPart reads an entity's components (part 1) or padding (part 2), an
// object by component name, into the last row of t's columns; at names
// the entity.
func (j *jsonReader) rowPart(t *Table, rc *rowCodec, at where, part int, seen []bool) error {
	return j.s.object(func(name []byte, off int) error {
		ci := -1
		for x := range rc.comps {
			if rc.comps[x].name == string(name) {
				ci = x
				break
			}
		}
		if ci < 0 {
			return j.errAt(off, at.String(), "no component %q in this version (its components are %s)", name, rc.names())
		}
		if seen[ci] {
			return j.errAt(off, at.String(), "component %q appears twice", name)
		}
		seen[ci] = true
		cc := &rc.comps[ci]
		sz := cc.schema.Size
		dst := t.Columns[ci][at.row*sz : (at.row+1)*sz]
		if part == 2 {
			hx, hoff, err := j.s.str()
			if err != nil {
				return err
			}
			if msg := cc.setPad(hx, dst); msg != "" {
				return j.errAt(hoff, at.String(), "%s", msg)
			}
			return nil
		}
		w := at
		w.comp = cc.name
		return j.value(cc, dst, w)
	})
}
