package vec

// Sub sets dst[j] = a[j] - b[j] for j < len(dst); a and b are at least as long.
func Sub(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	j := 0
	if UseAVX2 {
		j = len(dst) &^ 7
		if j > 0 {
			SubAVX2(&dst[0], &a[0], &b[0], j)
		}
	}
	for ; j < len(dst); j++ {
		dst[j] = a[j] - b[j]
	}
}
