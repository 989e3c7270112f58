package vec

import "golang.org/x/sys/cpu"

// UseAVX2 selects the AVX2 kernels in simd_amd64.s. They compute exactly what the scalar
// loops compute (lane-wise float32 multiply, then add; no FMA; sums in the same order).
var UseAVX2 = cpu.X86.HasAVX2

//go:noescape
func AxpyInt8AVX2(v *float32, q *int8, f float32, n int)

//go:noescape
func DotColsAVX2(v *float32, pt *float32, d int, stride int, out *float32)

//go:noescape
func SumRows96Int8AVX2(v *float32, q *int8, stride int, rows *int32, f *float32, n int)

// PrefetchIndexed hints the processor to fetch base[idx[i]] for i < n (a table read at a
// text's word rows), so that the misses overlap with the work before the reads.
//
//go:noescape
func PrefetchIndexed(base *int32, idx *int32, n int)

//go:noescape
func SumSquaresAVX2(v *float32, n int) float64

//go:noescape
func ScaleAVX2(v *float32, a float32, n int)

// UseExpAVX2 selects ExpShiftedAVX2, which repeats math.Exp's FMA path; math.Exp takes that
// path exactly when the processor has AVX and FMA, so without FMA the kernel would differ.
var UseExpAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func ExpShiftedAVX2(out *float64, x *float64, m float64, t float64, n int) bool

// UseAVX512 selects SumRows96Int8AVX512 over SumRows96Int8AVX2 (the same sums, to the bit).
var UseAVX512 = cpu.X86.HasAVX512F

//go:noescape
func SumRows96Int8AVX512(v *float32, q *int8, stride int, rows *int32, f *float32, n int)

//go:noescape
func SumSlotRowsInt8AVX2(nb *float32, w *int8, nl int, slot *int32, rows *int32, n int, ng int)

//go:noescape
func DotColsAVX512(v *float32, pt *float32, d int, stride int, out *float32)
