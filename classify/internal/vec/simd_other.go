//go:build !amd64

package vec

const UseAVX2 = false

func AxpyInt8AVX2(v *float32, q *int8, f float32, n int) { panic("no AVX2") }
func SumRows96Int8AVX2(v *float32, q *int8, stride int, rows *int32, f *float32, n int) {
	panic("no AVX2")
}
func DotColsAVX2(v *float32, pt *float32, d int, stride int, out *float32) { panic("no AVX2") }

func PrefetchIndexed(base *int32, idx *int32, n int) {}

func SumSquaresAVX2(v *float32, n int) float64 { panic("no AVX2") }
func ScaleAVX2(v *float32, a float32, n int)   { panic("no AVX2") }

const UseExpAVX2 = false

func ExpShiftedAVX2(out *float64, x *float64, m float64, t float64, n int) bool { panic("no AVX2") }

var UseAVX512 = false // a var as on amd64, so that tests can switch it

func SumRows96Int8AVX512(v *float32, q *int8, stride int, rows *int32, f *float32, n int) {
	panic("no AVX-512")
}

func SumSlotRowsInt8AVX2(nb *float32, w *int8, nl int, slot *int32, rows *int32, n int, ng int) {
	panic("no AVX2")
}

func DotColsAVX512(v *float32, pt *float32, d int, stride int, out *float32) { panic("no AVX-512") }
