package vec

//go:noescape
func SubAVX2(dst *float32, a *float32, b *float32, n int)
