package wordvec

import "testing"

// TestWordTable: every vocabulary word finds its own row, and near misses (a byte more,
// a byte less, a changed byte, a NUL pad) find nothing unless they are words themselves.
func TestWordTable(t *testing.T) {
	b := testBuiltin(t)
	rows := make(map[string]int32, len(b.index))
	for r, w := range b.index {
		rows[w] = int32(r)
	}
	for w, r := range rows {
		if got := b.table.get([]byte(w)); got != r {
			t.Fatalf("%q: row %d, want %d", w, got, r)
		}
		for _, v := range []string{w + "x", w[:len(w)-1], "x" + w[1:], w + "\x00"} {
			want, ok := rows[v]
			if !ok {
				want = -1
			}
			if got := b.table.get([]byte(v)); got != want {
				t.Fatalf("%q: row %d, want %d", v, got, want)
			}
		}
	}
}

// TestWordTableCollisions: a word with another's length, first 8 bytes, hash tag and slot
// (found by search, checked here) is not taken for it, at 15, 16 and 23 bytes (compared by
// their last 8 bytes, or in full).
func TestWordTableCollisions(t *testing.T) {
	for _, c := range [][2]string{
		{"collisionstring", "collisioaadeifb"},
		{"collisionstrings", "collisioaaasbxmr"},
		{"collisionsbeyondsixteen", "collisioaaaaaaaaadteucg"},
	} {
		tab := newWordTable(1) // two slots: any two words of equal tag and slot collide
		tab.put(c[0], 0)
		h0, tag0, key0 := wordKey([]byte(c[0]))
		h1, tag1, key1 := wordKey([]byte(c[1]))
		if tag0 != tag1 || key0 != key1 || h0&tab.mask != h1&tab.mask {
			t.Fatalf("%q and %q do not collide", c[0], c[1])
		}
		if got := tab.get([]byte(c[0])); got != 0 {
			t.Errorf("%q: row %d, want 0", c[0], got)
		}
		if got := tab.get([]byte(c[1])); got != -1 {
			t.Errorf("%q: row %d, want -1 (it collides with %q)", c[1], got, c[0])
		}
	}
}
