package cache

import "testing"

func TestFrontForgetsWhatRistrettoLetGo(t *testing.T) {
	var f front
	c := newChunk("\"v1\"", "", 3, []byte("abc"))
	const key = 42
	f.put(key, c)
	if got := f.get(key, "\"v1\"", 3); got != c {
		t.Fatalf("get after put: %p, want %p", got, c)
	}
	if got := f.get(key, "\"v2\"", 3); got != nil {
		t.Fatal("get answered for another version")
	}
	if got := f.get(key, "\"v1\"", 4); got != nil {
		t.Fatal("get answered for another chunk")
	}
	f.exit(key, c)
	if got := f.get(key, "\"v1\"", 3); got != nil || f.slot(key).Load() != nil {
		t.Fatal("the slot still holds a chunk ristretto let go")
	}
	// Exit before the put that follows ristretto's answer: the put must not
	// leave the chunk in its slot.
	d := newChunk("\"v1\"", "", 5, []byte("def"))
	f.exit(key, d)
	f.put(key, d)
	if f.slot(key).Load() != nil {
		t.Fatal("a put after the exit left the chunk in its slot")
	}
	// An exit for a chunk that lost its slot to another leaves the other.
	e := newChunk("\"v1\"", "", 6, []byte("ghi"))
	f.put(key, e)
	f.exit(key, c)
	if f.slot(key).Load() != e {
		t.Fatal("an exit for another chunk emptied the slot")
	}
}
