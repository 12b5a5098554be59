package journal

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sync"
)

// ConfigCodec encodes and decodes one type of configuration, the value a
// game hands to [versioning.Engine.Configure], for the journal.
type ConfigCodec struct {
	// Name identifies the type in the journal. It must stay the same across
	// builds (a Go type's name may not).
	Name string
	// Type is the dynamic type of the configuration values.
	Type reflect.Type
	// Encode and Decode convert a value to bytes and back; Decode must
	// return a value of Type. Nil funcs default to encoding/json.
	Encode func(cfg any) ([]byte, error)
	Decode func(data []byte) (any, error)
}

// RawConfig is a configuration as the journal stores it: the codec's name
// and the encoded bytes.
type RawConfig struct {
	Codec string
	Data  []byte
}

// Configs is a registry of configuration codecs. The zero value is not
// usable; use [NewConfigs]. It is safe for concurrent use.
//
// A configuration of a registered type is stored under its codec's name. One
// of a type nobody registered is stored as JSON under its Go type's name
// (reflect.Type.String), so the journal still holds it, but a replay cannot
// rebuild it and fails with [ErrConfig]: register every type a game
// configures its versions with, in the process that writes and in the one
// that replays.
type Configs struct {
	mu     sync.RWMutex
	byName map[string]*ConfigCodec
	byType map[reflect.Type]*ConfigCodec
}

// DefaultConfigs is the registry writers and replays use unless given
// another ([WithConfigs], [ReplayConfigs]).
var DefaultConfigs = NewConfigs()

// nilCodec is the name a nil configuration is stored under; failedCodec
// marks one the writer could not encode (Data holds the error).
const (
	nilCodec    = "nil"
	failedCodec = "!"
)

// NewConfigs returns an empty registry.
func NewConfigs() *Configs {
	return &Configs{byName: map[string]*ConfigCodec{}, byType: map[reflect.Type]*ConfigCodec{}}
}

// Register adds a codec. Registering the same name for the same type again
// replaces the codec; a name or type already registered to another type or
// name is an error wrapping [ErrConfig].
func (c *Configs) Register(codec ConfigCodec) error {
	if codec.Name == "" || codec.Name == nilCodec || codec.Name == failedCodec || codec.Type == nil {
		return fmt.Errorf("%w: codec needs a name (not %q or %q) and a type", ErrConfig, nilCodec, failedCodec)
	}
	if codec.Encode == nil {
		codec.Encode = json.Marshal
	}
	if codec.Decode == nil {
		t := codec.Type
		codec.Decode = func(data []byte) (any, error) {
			p := reflect.New(t)
			if err := json.Unmarshal(data, p.Interface()); err != nil {
				return nil, err
			}
			return p.Elem().Interface(), nil
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if o := c.byName[codec.Name]; o != nil && o.Type != codec.Type {
		return fmt.Errorf("%w: name %q is registered for %v", ErrConfig, codec.Name, o.Type)
	}
	if o := c.byType[codec.Type]; o != nil && o.Name != codec.Name {
		return fmt.Errorf("%w: %v is registered as %q", ErrConfig, codec.Type, o.Name)
	}
	cc := codec
	c.byName[codec.Name] = &cc
	c.byType[codec.Type] = &cc
	return nil
}

// RegisterJSON registers T under name with the default JSON codec.
func RegisterJSON[T any](c *Configs, name string) error {
	return c.Register(ConfigCodec{Name: name, Type: reflect.TypeFor[T]()})
}

// Encode returns cfg as the journal stores it. A codec that fails or
// panics gives an error wrapping [ErrConfig].
func (c *Configs) Encode(cfg any) (raw RawConfig, err error) {
	if cfg == nil {
		return RawConfig{Codec: nilCodec}, nil
	}
	t := reflect.TypeOf(cfg)
	c.mu.RLock()
	codec := c.byType[t]
	c.mu.RUnlock()
	name, enc := t.String(), json.Marshal
	if codec != nil {
		name, enc = codec.Name, codec.Encode
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: encoding %v: panic: %v", ErrConfig, t, p)
		}
	}()
	data, err := enc(cfg)
	if err != nil {
		return RawConfig{}, fmt.Errorf("%w: encoding %v: %w", ErrConfig, t, err)
	}
	return RawConfig{Codec: name, Data: data}, nil
}

// Decode rebuilds a stored configuration. An unknown codec name, or a
// codec that fails or panics, gives an error wrapping [ErrConfig].
func (c *Configs) Decode(raw RawConfig) (cfg any, err error) {
	switch raw.Codec {
	case nilCodec:
		return nil, nil
	case failedCodec:
		return nil, fmt.Errorf("%w: the writer could not encode the config: %s", ErrConfig, raw.Data)
	}
	c.mu.RLock()
	codec := c.byName[raw.Codec]
	c.mu.RUnlock()
	if codec == nil {
		return nil, fmt.Errorf("%w: no codec registered for %q", ErrConfig, raw.Codec)
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: decoding %q: panic: %v", ErrConfig, raw.Codec, p)
		}
	}()
	v, err := codec.Decode(raw.Data)
	if err != nil {
		return nil, fmt.Errorf("%w: decoding %q: %w", ErrConfig, raw.Codec, err)
	}
	if v != nil && reflect.TypeOf(v) != codec.Type {
		return nil, fmt.Errorf("%w: codec %q returned %T, want %v", ErrConfig, raw.Codec, v, codec.Type)
	}
	return v, nil
}
