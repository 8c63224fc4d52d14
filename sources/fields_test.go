package sources

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unsafe"
)

func TestFieldsGetSetAndOrder(t *testing.T) {
	var b FieldsBuilder
	b.Set("status", "200")
	b.Set("latency_ms", "")
	b.Set("route", "/v1")
	b.Set("status", "500") // keeps its place, takes the new value
	f := b.Fields()
	if f.Len() != 3 || f.Value("status") != "500" || f.Value("route") != "/v1" {
		t.Fatalf("fields %v", f)
	}
	if v, ok := f.Get("latency_ms"); !ok || v != "" {
		t.Errorf("an empty value is a value: %q %v", v, ok)
	}
	if _, ok := f.Get("missing"); ok || f.Has("missing") || !f.Has("route") {
		t.Error("Get/Has of a missing key")
	}
	var keys []string
	for k, v := range f.All() {
		keys = append(keys, k+"="+v)
	}
	if strings.Join(keys, ",") != "status=500,latency_ms=,route=/v1" {
		t.Errorf("order: %v", keys)
	}
	if got := fmt.Sprint(f); got != "map[latency_ms: route:/v1 status:500]" {
		t.Errorf("String: %s", got)
	}
	if j, _ := json.Marshal(f); string(j) != `{"status":"500","latency_ms":"","route":"/v1"}` {
		t.Errorf("JSON: %s", j)
	}
	var zero Fields
	if zero.Len() != 0 || zero.Has("x") || zero.Map() != nil || zero.Size() != 0 {
		t.Error("the zero value is not empty")
	}
	for range zero.All() {
		t.Error("the zero value yields")
	}
	// Values of any length, bytes of any kind.
	long := strings.Repeat("v", 70_000)
	g := MakeFields(Field{"a", long}, Field{"b\x00", "\xff"}, Field{"", "empty key"})
	if g.Value("a") != long || g.Value("b\x00") != "\xff" || g.Value("") != "empty key" {
		t.Errorf("long and odd values: %d %q %q", len(g.Value("a")), g.Value("b\x00"), g.Value(""))
	}
	if !FieldsFromMap(map[string]string{"route": "/v1", "status": "500", "latency_ms": ""}).Equal(f) || f.Equal(g) {
		t.Error("Equal")
	}
}

// Records with the same keys in the same order share one key list; the
// values are copied, so no record keeps a line alive.
func TestFieldsShareKeysAndKeepNoLine(t *testing.T) {
	line := `{"route":"/v1/recommend","model":"ranker-v7"}`
	mk := func(l string) Fields {
		var b FieldsBuilder
		b.Add(l[2:7], l[10:23])
		b.Add(l[26:31], l[34:43])
		return b.Fields()
	}
	f, g := mk(line), mk(strings.Clone(line))
	if f.keys != g.keys || !f.keys.shared {
		t.Fatal("same keys, two key lists")
	}
	if f.Value("route") != "/v1/recommend" || g.Value("model") != "ranker-v7" {
		t.Fatalf("values: %v %v", f, g)
	}
	lo, hi := uintptr(unsafe.Pointer(unsafe.StringData(line))), uintptr(unsafe.Pointer(unsafe.StringData(line)))+uintptr(len(line))
	for k, v := range f.All() {
		for _, s := range []string{k, v} {
			if p := uintptr(unsafe.Pointer(unsafe.StringData(s))); p >= lo && p < hi {
				t.Errorf("%q points into the line", s)
			}
		}
	}
	// A shared list costs the records nothing; their values, rounded.
	if f.Size() != allocSize(len("/v1/recommend")+len("ranker-v7")+2) {
		t.Errorf("size %d", f.Size())
	}
	// Another order is another list.
	if h := MakeFields(Field{"model", "m"}, Field{"route", "r"}); h.keys == f.keys {
		t.Error("another order, the same list")
	}
}

// The shape table is bounded: past it, a record's key list is its own
// and counted in its size.
func TestFieldsShapeTableBounded(t *testing.T) {
	for i := 0; i < maxShapes+10; i++ {
		MakeFields(Field{fmt.Sprintf("unique-key-%d", i), "v"})
	}
	shapes.RLock()
	n, bytes := len(shapes.m), shapes.bytes
	shapes.RUnlock()
	if n > maxShapes || bytes > maxShapeBytes || ShapeTableBytes() != bytes {
		t.Fatalf("%d lists, %d bytes", n, bytes)
	}
	f := MakeFields(Field{"one-more-unique-key", "v"})
	if f.keys.shared || f.Size() <= allocSize(2) || f.Value("one-more-unique-key") != "v" {
		t.Errorf("past the bound: shared %v, size %d", f.keys.shared, f.Size())
	}
}

func BenchmarkFieldsBuild13(b *testing.B) {
	keys := []string{"latency_ms", "status", "route", "model", "model_version", "prediction.confidence", "prediction.score",
		"predicted_class", "features.price", "features.age", "features.session_len", "features.category", "features.device"}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var fb FieldsBuilder
		for _, k := range keys {
			fb.Set(k, "value")
		}
		f := fb.Fields()
		if f.Value("features.device") != "value" {
			b.Fatal(f)
		}
	}
}
