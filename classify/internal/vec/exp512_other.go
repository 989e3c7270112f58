//go:build !amd64

package vec

var UseExpAVX512 = false // a var as on amd64, so that tests can switch it

func ExpShiftedAVX512(out *float64, x *float64, m float64, t float64, n int) bool {
	panic("no AVX-512")
}
