#include "textflag.h"

// exp512data: expdata's constants (simd_amd64.s), in the order ExpShiftedAVX512 loads them.
DATA exp512data<>+0(SB)/8, $0.5
DATA exp512data<>+8(SB)/8, $1.0
DATA exp512data<>+16(SB)/8, $2.0
DATA exp512data<>+24(SB)/8, $1.6666666666666666667e-1
DATA exp512data<>+32(SB)/8, $4.1666666666666666667e-2
DATA exp512data<>+40(SB)/8, $8.3333333333333333333e-3
DATA exp512data<>+48(SB)/8, $1.3888888888888888889e-3
DATA exp512data<>+56(SB)/8, $1.9841269841269841270e-4
DATA exp512data<>+64(SB)/8, $2.4801587301587301587e-5
DATA exp512data<>+72(SB)/8, $1.4426950408889634073599246810018920
DATA exp512data<>+80(SB)/8, $0.69314718055966295651160180568695068359375
DATA exp512data<>+88(SB)/8, $0.28235290563031577122588448175013436025525412068e-12
DATA exp512data<>+96(SB)/8, $0.0625
DATA exp512data<>+104(SB)/8, $700.0
DATA exp512data<>+112(SB)/8, $0x7fffffffffffffff
DATA exp512data<>+120(SB)/8, $1023
GLOBL exp512data<>+0(SB), RODATA, $128

// func ExpShiftedAVX512(out *float64, x *float64, m float64, t float64, n int) bool
// ExpShiftedAVX2 eight lanes at a time, for i < n&^7: the same instructions on the same
// operands in each lane (math.Exp's FMA path), so the same float64s; the constants stay in
// Z16-Z31 instead of being loaded on every group.
TEXT ·ExpShiftedAVX512(SB), NOSPLIT, $0-41
	MOVQ out+0(FP), DI
	MOVQ x+8(FP), SI
	VBROADCASTSD m+16(FP), Z14
	VBROADCASTSD t+24(FP), Z15
	MOVQ n+32(FP), CX
	XORQ AX, AX          // lanes out of range, or'ed over all groups
	VBROADCASTSD exp512data<>+0(SB), Z28
	VBROADCASTSD exp512data<>+8(SB), Z29
	VBROADCASTSD exp512data<>+16(SB), Z30
	VBROADCASTSD exp512data<>+24(SB), Z27
	VBROADCASTSD exp512data<>+32(SB), Z26
	VBROADCASTSD exp512data<>+40(SB), Z25
	VBROADCASTSD exp512data<>+48(SB), Z24
	VBROADCASTSD exp512data<>+56(SB), Z23
	VBROADCASTSD exp512data<>+64(SB), Z22
	VBROADCASTSD exp512data<>+72(SB), Z18
	VBROADCASTSD exp512data<>+80(SB), Z19
	VBROADCASTSD exp512data<>+88(SB), Z20
	VBROADCASTSD exp512data<>+96(SB), Z21
	VBROADCASTSD exp512data<>+104(SB), Z16
	VPBROADCASTQ exp512data<>+112(SB), Z17
	VPBROADCASTQ exp512data<>+120(SB), Z31
exp512loop:
	CMPQ CX, $8
	JL exp512done
	VMOVUPD (SI), Z0
	VSUBPD Z14, Z0, Z0
	VMULPD Z15, Z0, Z0   // y = t*(x-m), as the scalar code computes it
	VPANDQ Z17, Z0, Z1
	VCMPPD $6, Z16, Z1, K1 // not |y| <= 700 (NaN included)
	KMOVW K1, BX
	ORQ BX, AX
	VMULPD Z0, Z18, Z1
	VCVTPD2DQ Z1, Y3     // the exponent, rounded to nearest as CVTSD2SL does
	VCVTDQ2PD Y3, Z1
	VFNMADD231PD Z19, Z1, Z0
	VFNMADD231PD Z20, Z1, Z0
	VMULPD Z21, Z0, Z0
	VMOVAPD Z22, Z1
	VFMADD213PD Z23, Z0, Z1
	VFMADD213PD Z24, Z0, Z1
	VFMADD213PD Z25, Z0, Z1
	VFMADD213PD Z26, Z0, Z1
	VFMADD213PD Z27, Z0, Z1
	VFMADD213PD Z28, Z0, Z1
	VFMADD213PD Z29, Z0, Z1
	VMULPD Z1, Z0, Z0
	VADDPD Z30, Z0, Z1
	VMULPD Z1, Z0, Z0
	VADDPD Z30, Z0, Z1
	VMULPD Z1, Z0, Z0
	VADDPD Z30, Z0, Z1
	VMULPD Z1, Z0, Z0
	VADDPD Z30, Z0, Z1
	VFMADD213PD Z29, Z1, Z0
	// times 2**exponent: the exponent's bits, biased, as a float64
	VPMOVSXDQ Y3, Z3
	VPADDQ Z31, Z3, Z3
	VPSLLQ $52, Z3, Z3
	VMULPD Z3, Z0, Z0
	VMOVUPD Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $8, CX
	JMP exp512loop
exp512done:
	VZEROUPPER
	TESTQ AX, AX
	SETEQ ret+40(FP)
	RET
