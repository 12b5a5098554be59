package ecs

// Key is an entity's stable identity. Unlike arche's Entity it survives moving
// between worlds: the engine assigns it once and every world stores it in a
// column. Its low 32 bits are an index that may be recycled after the entity
// is despawned; the high 32 bits are a generation that tells the reuses apart.
type Key uint64

// NewKey packs an index and a generation into a Key.
func NewKey(index, gen uint32) Key { return Key(uint64(gen)<<32 | uint64(index)) }

// Index is the recyclable slot of the key.
func (k Key) Index() uint32 { return uint32(k) }

// Gen is the generation of the key's slot.
func (k Key) Gen() uint32 { return uint32(k >> 32) }
