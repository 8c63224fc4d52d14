package sources

import (
	"encoding/binary"
	"encoding/json"
	"iter"
	"slices"
	"sort"
	"strings"
	"sync"
	"unsafe"
)

// Fields are a log record's structured fields, in the order they were read:
// compact and, once built, immutable (a copy shares everything).
//
// A record's keys are nearly always those of the record before it: the
// lines of one logger carry the same keys in the same order. So the keys
// are held once, in a table of key lists every record with the same list
// shares, and a record holds only its values, one string with each value
// after its length. A JSON line with 13 fields costs its values' bytes plus
// about 15, where a map[string]string of 13 entries took 624 bytes before
// its strings (see LogSize). The table is bounded (maxShapes lists,
// maxShapeBytes of keys); past it, a record's key list is its own.
//
// The zero value has no fields. Build Fields with a FieldsBuilder,
// MakeFields or FieldsFromMap.
type Fields struct {
	keys *fieldKeys // nil when empty
	vals string     // per key, uvarint(len(value)) then the value
}

// Field is one key and value.
type Field struct {
	Key, Value string
}

// fieldKeys is one list of keys.
type fieldKeys struct {
	keys   []string
	shared bool // held in the shape table, not counted per record
	bytes  int  // what the list costs: the slice and the keys' bytes
}

// The shape table: key lists by their encoding (each key after its length).
var shapes = struct {
	sync.RWMutex
	m     map[string]*fieldKeys
	bytes int
}{m: map[string]*fieldKeys{}}

const (
	maxShapes     = 4096
	maxShapeBytes = 4 << 20
)

// Len is the number of fields.
func (f Fields) Len() int {
	if f.keys == nil {
		return 0
	}
	return len(f.keys.keys)
}

// Get returns the value of key k and whether the record has it.
func (f Fields) Get(k string) (string, bool) {
	if f.keys == nil {
		return "", false
	}
	p := 0
	for _, key := range f.keys.keys {
		n, w := binary.Uvarint(unsafeBytes(f.vals[p:]))
		p += w
		if key == k {
			return f.vals[p : p+int(n)], true
		}
		p += int(n)
	}
	return "", false
}

// Value is Get without the flag: "" when the record has no field k.
func (f Fields) Value(k string) string {
	v, _ := f.Get(k)
	return v
}

// Has reports whether the record has field k.
func (f Fields) Has(k string) bool {
	_, ok := f.Get(k)
	return ok
}

// All yields the fields in the order they were read.
func (f Fields) All() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		if f.keys == nil {
			return
		}
		p := 0
		for _, key := range f.keys.keys {
			n, w := binary.Uvarint(unsafeBytes(f.vals[p:]))
			p += w
			if !yield(key, f.vals[p:p+int(n)]) {
				return
			}
			p += int(n)
		}
	}
}

// Keys returns the keys in the order read (a new slice).
func (f Fields) Keys() []string {
	if f.keys == nil {
		return nil
	}
	return slices.Clone(f.keys.keys)
}

// SortedKeys returns the keys in sorted order (a new slice).
func (f Fields) SortedKeys() []string {
	k := f.Keys()
	sort.Strings(k)
	return k
}

// Map returns the fields as a map (nil when there are none).
func (f Fields) Map() map[string]string {
	if f.Len() == 0 {
		return nil
	}
	m := make(map[string]string, f.Len())
	for k, v := range f.All() {
		m[k] = v
	}
	return m
}

// Equal reports whether f and g hold the same keys and values, in any order.
func (f Fields) Equal(g Fields) bool {
	if f.Len() != g.Len() {
		return false
	}
	for k, v := range f.All() {
		if w, ok := g.Get(k); !ok || w != v {
			return false
		}
	}
	return true
}

// String prints the fields as fmt prints a map, keys sorted.
func (f Fields) String() string {
	var b strings.Builder
	b.WriteString("map[")
	for i, k := range f.SortedKeys() {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
		b.WriteByte(':')
		b.WriteString(f.Value(k))
	}
	b.WriteByte(']')
	return b.String()
}

// MarshalJSON writes the fields as one JSON object, in the order read.
func (f Fields) MarshalJSON() ([]byte, error) {
	if f.Len() == 0 {
		return []byte("{}"), nil
	}
	b := []byte{'{'}
	for k, v := range f.All() {
		if len(b) > 1 {
			b = append(b, ',')
		}
		kb, _ := json.Marshal(k)
		vb, _ := json.Marshal(v)
		b = append(append(append(b, kb...), ':'), vb...)
	}
	return append(b, '}'), nil
}

// Size is the bytes f holds of its own: its values and, when its key list
// is not shared, the list.
func (f Fields) Size() int {
	if f.keys == nil {
		return 0
	}
	n := allocSize(len(f.vals))
	if !f.keys.shared {
		n += f.keys.bytes
	}
	return n
}

// MakeFields builds Fields from kv, in order; of two fields with the same
// key the later value wins, in the earlier place.
func MakeFields(kv ...Field) Fields {
	var b FieldsBuilder
	for _, f := range kv {
		b.Set(f.Key, f.Value)
	}
	return b.Fields()
}

// FieldsFromMap builds Fields from m, keys sorted.
func FieldsFromMap(m map[string]string) Fields {
	if len(m) == 0 {
		return Fields{}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b FieldsBuilder
	for _, k := range keys {
		b.Set(k, m[k])
	}
	return b.Fields()
}

// FieldsBuilder collects fields and builds Fields. The zero value is
// empty and ready; a builder on the stack holds up to 16 fields without
// allocating.
type FieldsBuilder struct {
	kv  []Field
	arr [16]Field
}

// Reset empties b and starts it from f's fields.
func (b *FieldsBuilder) Reset(f Fields) {
	b.kv = b.arr[:0]
	for k, v := range f.All() {
		b.kv = append(b.kv, Field{k, v})
	}
}

// Len is the number of fields collected.
func (b *FieldsBuilder) Len() int { return len(b.kv) }

// Get returns the value collected for k.
func (b *FieldsBuilder) Get(k string) (string, bool) {
	for i := range b.kv {
		if b.kv[i].Key == k {
			return b.kv[i].Value, true
		}
	}
	return "", false
}

// Set sets k to v: a new key goes last, a known one keeps its place.
func (b *FieldsBuilder) Set(k, v string) {
	for i := range b.kv {
		if b.kv[i].Key == k {
			b.kv[i].Value = v
			return
		}
	}
	b.Add(k, v)
}

// Add appends k and v; the caller knows k is new.
func (b *FieldsBuilder) Add(k, v string) {
	if b.kv == nil {
		b.kv = b.arr[:0]
	}
	b.kv = append(b.kv, Field{k, v})
}

// Fields builds the collected fields. Neither keys nor values refer to the
// strings passed in afterwards (a record's fields never keep its line, or
// a larger buffer, alive). b may be reused after Reset.
func (b *FieldsBuilder) Fields() Fields {
	if len(b.kv) == 0 {
		return Fields{}
	}
	n := 0
	for _, f := range b.kv {
		n += binary.MaxVarintLen64 + len(f.Value)
	}
	vals := make([]byte, 0, n)
	for _, f := range b.kv {
		vals = binary.AppendUvarint(vals, uint64(len(f.Value)))
		vals = append(vals, f.Value...)
	}
	return Fields{keys: shapeOf(b.kv), vals: string(vals)}
}

// shapeOf returns the shared key list of kv, adding it to the table while
// there is room, or a list of kv's own.
func shapeOf(kv []Field) *fieldKeys {
	var scratch [512]byte
	id := scratch[:0]
	for _, f := range kv {
		id = binary.AppendUvarint(id, uint64(len(f.Key)))
		id = append(id, f.Key...)
	}
	shapes.RLock()
	s, ok := shapes.m[string(id)]
	shapes.RUnlock()
	if ok {
		return s
	}
	s = &fieldKeys{keys: make([]string, len(kv))}
	// The keys are copied out of one string: they never keep a line alive.
	all := string(id)
	p := 0
	for i, f := range kv {
		_, w := binary.Uvarint(unsafeBytes(all[p:]))
		p += w
		s.keys[i] = all[p : p+len(f.Key)]
		p += len(f.Key)
	}
	s.bytes = allocSize(len(kv)*int(unsafe.Sizeof(""))) + allocSize(len(all)) + allocSize(int(unsafe.Sizeof(fieldKeys{})))
	shapes.Lock()
	defer shapes.Unlock()
	if t, ok := shapes.m[all]; ok {
		return t
	}
	if len(shapes.m) < maxShapes && shapes.bytes+s.bytes <= maxShapeBytes {
		s.shared = true
		shapes.m[all] = s
		shapes.bytes += s.bytes
	}
	return s
}

// ShapeTableBytes is what the shared key lists hold (bounded by
// maxShapeBytes), for the memory account.
func ShapeTableBytes() int {
	shapes.RLock()
	defer shapes.RUnlock()
	return shapes.bytes
}

// unsafeBytes views s as bytes, for binary.Uvarint; they are never written.
func unsafeBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
