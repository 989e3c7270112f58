//go:build !amd64

package vec

func SubAVX2(dst *float32, a *float32, b *float32, n int) { panic("no AVX2") }
