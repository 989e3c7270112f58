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
