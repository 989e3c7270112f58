#include "textflag.h"

// func AxpyInt8AVX2(v *float32, q *int8, f float32, n int)
// v[j] += f * float32(q[j]) for j < n&^7, eight lanes at a time: each lane does the same
// multiply and add, rounded to float32, as the scalar loop (no FMA), so the result is identical.
TEXT ·AxpyInt8AVX2(SB), NOSPLIT, $0-32
	MOVQ v+0(FP), DI
	MOVQ q+8(FP), SI
	VBROADCASTSS f+16(FP), Y0
	MOVQ n+24(FP), CX
loop:
	CMPQ CX, $8
	JL done
	VPMOVSXBD (SI), Y1
	VCVTDQ2PS Y1, Y1
	VMULPS Y0, Y1, Y1
	VADDPS (DI), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ $8, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP loop
done:
	VZEROUPPER
	RET

// func DotColsAVX2(v *float32, pt *float32, d int, stride int, out *float32)
// out[l] = sum over j < d, in order, of v[j]*pt[j*stride+l], for l < stride (a multiple of 8).
// Lanes are labels: every label's sum adds the same float32 products in the same order as
// a scalar dot product (no FMA), so the sums are identical. Four groups of 8 labels share
// each pass over v while at least four remain.
TEXT ·DotColsAVX2(SB), NOSPLIT, $0-40
	MOVQ v+0(FP), SI
	MOVQ pt+8(FP), DI
	MOVQ d+16(FP), CX
	MOVQ stride+24(FP), DX
	MOVQ out+32(FP), R8
	SHLQ $2, DX          // row stride in bytes
	XORQ R10, R10        // byte offset of the current group
quad:
	MOVQ DX, R9
	SUBQ R10, R9
	CMPQ R9, $128
	JL single
	VXORPS Y0, Y0, Y0
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	MOVQ SI, R11
	LEAQ (DI)(R10*1), R12
	MOVQ CX, R13
quadloop:
	TESTQ R13, R13
	JZ quadstore
	VBROADCASTSS (R11), Y1
	VMULPS (R12), Y1, Y5
	VADDPS Y5, Y0, Y0
	VMULPS 32(R12), Y1, Y6
	VADDPS Y6, Y2, Y2
	VMULPS 64(R12), Y1, Y7
	VADDPS Y7, Y3, Y3
	VMULPS 96(R12), Y1, Y8
	VADDPS Y8, Y4, Y4
	ADDQ $4, R11
	ADDQ DX, R12
	DECQ R13
	JMP quadloop
quadstore:
	VMOVUPS Y0, (R8)(R10*1)
	VMOVUPS Y2, 32(R8)(R10*1)
	VMOVUPS Y3, 64(R8)(R10*1)
	VMOVUPS Y4, 96(R8)(R10*1)
	ADDQ $128, R10
	JMP quad
single:
	CMPQ R10, DX
	JGE end
	VXORPS Y0, Y0, Y0
	MOVQ SI, R11
	LEAQ (DI)(R10*1), R12
	MOVQ CX, R13
singleloop:
	TESTQ R13, R13
	JZ singlestore
	VBROADCASTSS (R11), Y1
	VMULPS (R12), Y1, Y5
	VADDPS Y5, Y0, Y0
	ADDQ $4, R11
	ADDQ DX, R12
	DECQ R13
	JMP singleloop
singlestore:
	VMOVUPS Y0, (R8)(R10*1)
	ADDQ $32, R10
	JMP single
end:
	VZEROUPPER
	RET

// func SumRows96Int8AVX2(v *float32, q *int8, stride int, rows *int32, f *float32, n int)
// For i < n in order: v[j] += f[i] * float32(q[rows[i]*stride+j]) for j < 96, with v[0:96]
// held in twelve registers across all n rows instead of loaded and stored per row. Each
// lane does the same multiply, then add, rounded to float32, in the same row order as the
// scalar loop (no FMA), so the result is identical.
TEXT ·SumRows96Int8AVX2(SB), NOSPLIT, $0-48
	MOVQ v+0(FP), DI
	MOVQ q+8(FP), SI
	MOVQ stride+16(FP), DX
	MOVQ rows+24(FP), R8
	MOVQ f+32(FP), R9
	MOVQ n+40(FP), CX
	VMOVUPS 0(DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VMOVUPS 128(DI), Y4
	VMOVUPS 160(DI), Y5
	VMOVUPS 192(DI), Y6
	VMOVUPS 224(DI), Y7
	VMOVUPS 256(DI), Y8
	VMOVUPS 288(DI), Y9
	VMOVUPS 320(DI), Y10
	VMOVUPS 352(DI), Y11
	TESTQ CX, CX
	JZ store
rowloop:
	MOVLQSX (R8), AX
	IMULQ DX, AX
	ADDQ SI, AX
	VBROADCASTSS (R9), Y12
	VPMOVSXBD 0(AX), Y13
	VCVTDQ2PS Y13, Y13
	VMULPS Y12, Y13, Y13
	VADDPS Y13, Y0, Y0
	VPMOVSXBD 8(AX), Y14
	VCVTDQ2PS Y14, Y14
	VMULPS Y12, Y14, Y14
	VADDPS Y14, Y1, Y1
	VPMOVSXBD 16(AX), Y15
	VCVTDQ2PS Y15, Y15
	VMULPS Y12, Y15, Y15
	VADDPS Y15, Y2, Y2
	VPMOVSXBD 24(AX), Y13
	VCVTDQ2PS Y13, Y13
	VMULPS Y12, Y13, Y13
	VADDPS Y13, Y3, Y3
	VPMOVSXBD 32(AX), Y14
	VCVTDQ2PS Y14, Y14
	VMULPS Y12, Y14, Y14
	VADDPS Y14, Y4, Y4
	VPMOVSXBD 40(AX), Y15
	VCVTDQ2PS Y15, Y15
	VMULPS Y12, Y15, Y15
	VADDPS Y15, Y5, Y5
	VPMOVSXBD 48(AX), Y13
	VCVTDQ2PS Y13, Y13
	VMULPS Y12, Y13, Y13
	VADDPS Y13, Y6, Y6
	VPMOVSXBD 56(AX), Y14
	VCVTDQ2PS Y14, Y14
	VMULPS Y12, Y14, Y14
	VADDPS Y14, Y7, Y7
	VPMOVSXBD 64(AX), Y15
	VCVTDQ2PS Y15, Y15
	VMULPS Y12, Y15, Y15
	VADDPS Y15, Y8, Y8
	VPMOVSXBD 72(AX), Y13
	VCVTDQ2PS Y13, Y13
	VMULPS Y12, Y13, Y13
	VADDPS Y13, Y9, Y9
	VPMOVSXBD 80(AX), Y14
	VCVTDQ2PS Y14, Y14
	VMULPS Y12, Y14, Y14
	VADDPS Y14, Y10, Y10
	VPMOVSXBD 88(AX), Y15
	VCVTDQ2PS Y15, Y15
	VMULPS Y12, Y15, Y15
	VADDPS Y15, Y11, Y11
	ADDQ $4, R8
	ADDQ $4, R9
	DECQ CX
	JNZ rowloop
store:
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	VMOVUPS Y8, 256(DI)
	VMOVUPS Y9, 288(DI)
	VMOVUPS Y10, 320(DI)
	VMOVUPS Y11, 352(DI)
	VZEROUPPER
	RET

// func PrefetchIndexed(base *int32, idx *int32, n int)
// PREFETCHT0 of base[idx[i]] for i < n: a hint, it changes no result.
TEXT ·PrefetchIndexed(SB), NOSPLIT, $0-24
	MOVQ base+0(FP), DI
	MOVQ idx+8(FP), SI
	MOVQ n+16(FP), CX
	TESTQ CX, CX
	JZ pdone
ploop:
	MOVLQSX (SI), AX
	PREFETCHT0 (DI)(AX*4)
	ADDQ $4, SI
	DECQ CX
	JNZ ploop
pdone:
	RET

// func SumSquaresAVX2(v *float32, n int) float64
// The sum of float64(v[j])² for j < n&^15, in four accumulators of four lanes (not in
// order: Normalize bounds the difference that makes). Each square is exact in float64.
TEXT ·SumSquaresAVX2(SB), NOSPLIT, $0-24
	MOVQ v+0(FP), SI
	MOVQ n+8(FP), CX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
sqloop:
	CMPQ CX, $16
	JL sqdone
	VCVTPS2PD 0(SI), Y4
	VCVTPS2PD 16(SI), Y5
	VCVTPS2PD 32(SI), Y6
	VCVTPS2PD 48(SI), Y7
	VMULPD Y4, Y4, Y4
	VMULPD Y5, Y5, Y5
	VMULPD Y6, Y6, Y6
	VMULPD Y7, Y7, Y7
	VADDPD Y4, Y0, Y0
	VADDPD Y5, Y1, Y1
	VADDPD Y6, Y2, Y2
	VADDPD Y7, Y3, Y3
	ADDQ $64, SI
	SUBQ $16, CX
	JMP sqloop
sqdone:
	VADDPD Y1, Y0, Y0
	VADDPD Y3, Y2, Y2
	VADDPD Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD X1, X0, X0
	VHADDPD X0, X0, X0
	VZEROUPPER
	MOVSD X0, ret+16(FP)
	RET

// func ScaleAVX2(v *float32, a float32, n int)
// v[j] *= a for j < n&^7: the scalar loop's float32 multiply, eight lanes at a time.
TEXT ·ScaleAVX2(SB), NOSPLIT, $0-24
	MOVQ v+0(FP), DI
	VBROADCASTSS a+8(FP), Y0
	MOVQ n+16(FP), CX
scloop:
	CMPQ CX, $8
	JL scdone
	VMULPS (DI), Y0, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, DI
	SUBQ $8, CX
	JMP scloop
scdone:
	VZEROUPPER
	RET

// The constants of math.Exp's amd64 kernel (GOROOT/src/math/exp_amd64.s), in the same order.
DATA expdata<>+0(SB)/8, $0.5
DATA expdata<>+8(SB)/8, $1.0
DATA expdata<>+16(SB)/8, $2.0
DATA expdata<>+24(SB)/8, $1.6666666666666666667e-1
DATA expdata<>+32(SB)/8, $4.1666666666666666667e-2
DATA expdata<>+40(SB)/8, $8.3333333333333333333e-3
DATA expdata<>+48(SB)/8, $1.3888888888888888889e-3
DATA expdata<>+56(SB)/8, $1.9841269841269841270e-4
DATA expdata<>+64(SB)/8, $2.4801587301587301587e-5
DATA expdata<>+72(SB)/8, $1.4426950408889634073599246810018920
DATA expdata<>+80(SB)/8, $0.69314718055966295651160180568695068359375
DATA expdata<>+88(SB)/8, $0.28235290563031577122588448175013436025525412068e-12
DATA expdata<>+96(SB)/8, $0.0625
DATA expdata<>+104(SB)/8, $700.0
DATA expdata<>+112(SB)/8, $0x7fffffffffffffff
DATA expdata<>+120(SB)/8, $1023
GLOBL expdata<>+0(SB), RODATA, $128

// func ExpShiftedAVX2(out *float64, x *float64, m float64, t float64, n int) bool
// out[i] = math.Exp(t*(x[i]-m)) for i < n&^3, four lanes at a time: each lane runs math.Exp's
// own FMA path (exp_amd64.s, label avxfma) instruction for instruction, so the result is the
// same float64. It returns false, leaving out undefined, when some t*(x[i]-m) is outside
// [-700, 700] or NaN, where math.Exp's special cases (overflow, denormal results) apply.
TEXT ·ExpShiftedAVX2(SB), NOSPLIT, $0-41
	MOVQ out+0(FP), DI
	MOVQ x+8(FP), SI
	VBROADCASTSD m+16(FP), Y14
	VBROADCASTSD t+24(FP), Y15
	MOVQ n+32(FP), CX
	XORQ AX, AX          // lanes out of range, or'ed over all groups
	VBROADCASTSD expdata<>+104(SB), Y12
	VBROADCASTSD expdata<>+112(SB), Y13
exploop:
	CMPQ CX, $4
	JL expdone
	VMOVUPD (SI), Y0
	VSUBPD Y14, Y0, Y0
	VMULPD Y15, Y0, Y0   // y = t*(x-m), as the scalar code computes it
	VANDPD Y13, Y0, Y1
	VCMPPD $6, Y12, Y1, Y1 // not |y| <= 700 (NaN included)
	VMOVMSKPD Y1, BX
	ORQ BX, AX
	VBROADCASTSD expdata<>+72(SB), Y1
	VMULPD Y0, Y1, Y1
	VCVTPD2DQY Y1, X3    // the exponent, rounded to nearest as CVTSD2SL does
	VCVTDQ2PD X3, Y1
	VBROADCASTSD expdata<>+80(SB), Y2
	VFNMADD231PD Y2, Y1, Y0
	VBROADCASTSD expdata<>+88(SB), Y2
	VFNMADD231PD Y2, Y1, Y0
	VBROADCASTSD expdata<>+96(SB), Y2
	VMULPD Y2, Y0, Y0
	VBROADCASTSD expdata<>+64(SB), Y1
	VBROADCASTSD expdata<>+56(SB), Y2
	VFMADD213PD Y2, Y0, Y1
	VBROADCASTSD expdata<>+48(SB), Y2
	VFMADD213PD Y2, Y0, Y1
	VBROADCASTSD expdata<>+40(SB), Y2
	VFMADD213PD Y2, Y0, Y1
	VBROADCASTSD expdata<>+32(SB), Y2
	VFMADD213PD Y2, Y0, Y1
	VBROADCASTSD expdata<>+24(SB), Y2
	VFMADD213PD Y2, Y0, Y1
	VBROADCASTSD expdata<>+0(SB), Y2
	VFMADD213PD Y2, Y0, Y1
	VBROADCASTSD expdata<>+8(SB), Y4 // 1.0
	VFMADD213PD Y4, Y0, Y1
	VMULPD Y1, Y0, Y0
	VBROADCASTSD expdata<>+16(SB), Y2 // 2.0
	VADDPD Y2, Y0, Y1
	VMULPD Y1, Y0, Y0
	VADDPD Y2, Y0, Y1
	VMULPD Y1, Y0, Y0
	VADDPD Y2, Y0, Y1
	VMULPD Y1, Y0, Y0
	VADDPD Y2, Y0, Y1
	VFMADD213PD Y4, Y1, Y0
	// times 2**exponent: the exponent's bits, biased, as a float64
	VPMOVSXDQ X3, Y3
	VPBROADCASTQ expdata<>+120(SB), Y2
	VPADDQ Y2, Y3, Y3
	VPSLLQ $52, Y3, Y3
	VMULPD Y3, Y0, Y0
	VMOVUPD Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $4, CX
	JMP exploop
expdone:
	VZEROUPPER
	TESTQ AX, AX
	SETEQ ret+40(FP)
	RET

// func SumRows96Int8AVX512(v *float32, q *int8, stride int, rows *int32, f *float32, n int)
// SumRows96Int8AVX2 in six 16-lane registers: per row, half the instructions. Each lane still
// does the same float32 multiply, then add (no FMA), in the same row order.
TEXT ·SumRows96Int8AVX512(SB), NOSPLIT, $0-48
	MOVQ v+0(FP), DI
	MOVQ q+8(FP), SI
	MOVQ stride+16(FP), DX
	MOVQ rows+24(FP), R8
	MOVQ f+32(FP), R9
	MOVQ n+40(FP), CX
	VMOVUPS 0(DI), Z0
	VMOVUPS 64(DI), Z1
	VMOVUPS 128(DI), Z2
	VMOVUPS 192(DI), Z3
	VMOVUPS 256(DI), Z4
	VMOVUPS 320(DI), Z5
	TESTQ CX, CX
	JZ store512
rowloop512:
	MOVLQSX (R8), AX
	IMULQ DX, AX
	ADDQ SI, AX
	VBROADCASTSS (R9), Z12
	VPMOVSXBD 0(AX), Z13
	VCVTDQ2PS Z13, Z13
	VMULPS Z12, Z13, Z13
	VADDPS Z13, Z0, Z0
	VPMOVSXBD 16(AX), Z14
	VCVTDQ2PS Z14, Z14
	VMULPS Z12, Z14, Z14
	VADDPS Z14, Z1, Z1
	VPMOVSXBD 32(AX), Z15
	VCVTDQ2PS Z15, Z15
	VMULPS Z12, Z15, Z15
	VADDPS Z15, Z2, Z2
	VPMOVSXBD 48(AX), Z16
	VCVTDQ2PS Z16, Z16
	VMULPS Z12, Z16, Z16
	VADDPS Z16, Z3, Z3
	VPMOVSXBD 64(AX), Z17
	VCVTDQ2PS Z17, Z17
	VMULPS Z12, Z17, Z17
	VADDPS Z17, Z4, Z4
	VPMOVSXBD 80(AX), Z18
	VCVTDQ2PS Z18, Z18
	VMULPS Z12, Z18, Z18
	VADDPS Z18, Z5, Z5
	ADDQ $4, R8
	ADDQ $4, R9
	DECQ CX
	JNZ rowloop512
store512:
	VMOVUPS Z0, 0(DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, 128(DI)
	VMOVUPS Z3, 192(DI)
	VMOVUPS Z4, 256(DI)
	VMOVUPS Z5, 320(DI)
	VZEROUPPER
	RET

// func SumSlotRowsInt8AVX2(nb *float32, w *int8, nl int, slot *int32, rows *int32, n int, ng int)
// nb[l] = the sum, over i < n with k = slot[rows[i]] >= 0, of w[k*nl+l], for l < ng (a
// multiple of 8): the student's per-label sums of int8 weights. The sums are of small
// integers, exact in int32 and in float32 alike, so the int32 accumulators (four groups of
// eight labels per pass over the rows, then the last one to three groups in one more pass,
// in registers) give the scalar float32 loop's values.
// With ng > nl the last group reads ng-nl bytes past each row (the next row's, or past w's
// end: the caller pads w) and its lanes from nl on are not the label sums.
TEXT ·SumSlotRowsInt8AVX2(SB), NOSPLIT, $0-56
	MOVQ nb+0(FP), DI
	MOVQ w+8(FP), SI
	MOVQ nl+16(FP), DX
	MOVQ slot+24(FP), R8
	MOVQ rows+32(FP), R9
	MOVQ n+40(FP), CX
	MOVQ ng+48(FP), R14  // labels to do
	XORQ R10, R10        // first label of the current group
ssgroup:
	MOVQ R14, AX
	SUBQ R10, AX
	CMPQ AX, $32
	JL ssone
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	XORQ R11, R11
ssquad:
	CMPQ R11, CX
	JGE ssquadstore
	MOVLQSX (R9)(R11*4), AX
	MOVLQSX (R8)(AX*4), AX
	INCQ R11
	TESTQ AX, AX
	JS ssquad
	IMULQ DX, AX
	ADDQ SI, AX
	ADDQ R10, AX
	VPMOVSXBD 0(AX), Y4
	VPADDD Y4, Y0, Y0
	VPMOVSXBD 8(AX), Y5
	VPADDD Y5, Y1, Y1
	VPMOVSXBD 16(AX), Y6
	VPADDD Y6, Y2, Y2
	VPMOVSXBD 24(AX), Y7
	VPADDD Y7, Y3, Y3
	JMP ssquad
ssquadstore:
	VCVTDQ2PS Y0, Y0
	VCVTDQ2PS Y1, Y1
	VCVTDQ2PS Y2, Y2
	VCVTDQ2PS Y3, Y3
	VMOVUPS Y0, 0(DI)(R10*4)
	VMOVUPS Y1, 32(DI)(R10*4)
	VMOVUPS Y2, 64(DI)(R10*4)
	VMOVUPS Y3, 96(DI)(R10*4)
	ADDQ $32, R10
	JMP ssgroup
ssone:
	// The last 8, 16 or 24 labels (R12), in one pass over the rows.
	CMPQ AX, $8
	JL ssdone
	MOVQ AX, R12
	VPXOR Y8, Y8, Y8
	VPXOR Y9, Y9, Y9
	VPXOR Y10, Y10, Y10
	XORQ R11, R11
ssoneloop:
	CMPQ R11, CX
	JGE ssonestore
	MOVLQSX (R9)(R11*4), AX
	MOVLQSX (R8)(AX*4), AX
	INCQ R11
	TESTQ AX, AX
	JS ssoneloop
	IMULQ DX, AX
	ADDQ SI, AX
	ADDQ R10, AX
	VPMOVSXBD 0(AX), Y11
	VPADDD Y11, Y8, Y8
	CMPQ R12, $16
	JL ssoneloop
	VPMOVSXBD 8(AX), Y12
	VPADDD Y12, Y9, Y9
	CMPQ R12, $24
	JL ssoneloop
	VPMOVSXBD 16(AX), Y13
	VPADDD Y13, Y10, Y10
	JMP ssoneloop
ssonestore:
	VCVTDQ2PS Y8, Y8
	VMOVUPS Y8, 0(DI)(R10*4)
	CMPQ R12, $16
	JL ssdone
	VCVTDQ2PS Y9, Y9
	VMOVUPS Y9, 32(DI)(R10*4)
	CMPQ R12, $24
	JL ssdone
	VCVTDQ2PS Y10, Y10
	VMOVUPS Y10, 64(DI)(R10*4)
ssdone:
	VZEROUPPER
	RET

// func DotColsAVX512(v *float32, pt *float32, d int, stride int, out *float32)
// DotColsAVX2 in 16-lane registers, for stride a multiple of 16: out[l] = sum over j < d, in
// order, of v[j]*pt[j*stride+l]. Each lane is one label's sum, the same float32 multiply,
// then add (no FMA), in the same order as a scalar dot product. Four groups of 16 labels
// share each pass over v while at least four remain.
TEXT ·DotColsAVX512(SB), NOSPLIT, $0-40
	MOVQ v+0(FP), SI
	MOVQ pt+8(FP), DI
	MOVQ d+16(FP), CX
	MOVQ stride+24(FP), DX
	MOVQ out+32(FP), R8
	SHLQ $2, DX          // row stride in bytes
	XORQ R10, R10        // byte offset of the current group
zquad:
	MOVQ DX, R9
	SUBQ R10, R9
	CMPQ R9, $256
	JL zsingle
	VXORPS Z0, Z0, Z0
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4
	MOVQ SI, R11
	LEAQ (DI)(R10*1), R12
	MOVQ CX, R13
zquadloop:
	TESTQ R13, R13
	JZ zquadstore
	VBROADCASTSS (R11), Z1
	VMULPS (R12), Z1, Z5
	VADDPS Z5, Z0, Z0
	VMULPS 64(R12), Z1, Z6
	VADDPS Z6, Z2, Z2
	VMULPS 128(R12), Z1, Z7
	VADDPS Z7, Z3, Z3
	VMULPS 192(R12), Z1, Z8
	VADDPS Z8, Z4, Z4
	ADDQ $4, R11
	ADDQ DX, R12
	DECQ R13
	JMP zquadloop
zquadstore:
	VMOVUPS Z0, (R8)(R10*1)
	VMOVUPS Z2, 64(R8)(R10*1)
	VMOVUPS Z3, 128(R8)(R10*1)
	VMOVUPS Z4, 192(R8)(R10*1)
	ADDQ $256, R10
	JMP zquad
zsingle:
	CMPQ R10, DX
	JGE zend
	VXORPS Z0, Z0, Z0
	MOVQ SI, R11
	LEAQ (DI)(R10*1), R12
	MOVQ CX, R13
zsingleloop:
	TESTQ R13, R13
	JZ zsinglestore
	VBROADCASTSS (R11), Z1
	VMULPS (R12), Z1, Z5
	VADDPS Z5, Z0, Z0
	ADDQ $4, R11
	ADDQ DX, R12
	DECQ R13
	JMP zsingleloop
zsinglestore:
	VMOVUPS Z0, (R8)(R10*1)
	ADDQ $64, R10
	JMP zsingle
zend:
	VZEROUPPER
	RET
