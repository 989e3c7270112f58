#include "textflag.h"

// func classes32AVX2(p *byte, n int, k *[12][32]byte, out *chunkClasses)
// For each of n chunks of 32 bytes at p, the bit masks of chunkClasses (byte i of the
// chunk is bit i), written to out[0..n). k holds the byte constants of classConsts.
// Signed byte compares: bytes of 0x80 and above are negative, so no range test takes them.
TEXT ·classes32AVX2(SB), NOSPLIT, $0-32
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ k+16(FP), DX
	MOVQ out+24(FP), DI
	TESTQ CX, CX
	JZ done
loop:
	VMOVDQU (SI), Y0
	VPMOVMSKB Y0, AX
	MOVL AX, 28(DI)          // hi: 0x80 and above

	// word: (x|0x20) in 'a'..'z', or x in '0'..'9'
	VPOR 0(DX), Y0, Y1
	VPCMPGTB 32(DX), Y1, Y2  // y > 0x60
	VMOVDQU 64(DX), Y3
	VPCMPGTB Y1, Y3, Y3      // 0x7b > y
	VPAND Y2, Y3, Y2
	VPCMPGTB 96(DX), Y0, Y1  // x > 0x2f
	VMOVDQU 128(DX), Y3
	VPCMPGTB Y0, Y3, Y3      // 0x3a > x
	VPAND Y1, Y3, Y1
	VPMOVMSKB Y1, AX
	MOVL AX, 4(DI)           // digit
	VPOR Y1, Y2, Y2
	VPMOVMSKB Y2, AX
	MOVL AX, 0(DI)           // word

	// space: ' ' or '\t'..'\r'
	VPCMPEQB 0(DX), Y0, Y1
	VPCMPGTB 160(DX), Y0, Y2 // x > 0x08
	VMOVDQU 192(DX), Y3
	VPCMPGTB Y0, Y3, Y3      // 0x0e > x
	VPAND Y2, Y3, Y2
	VPOR Y1, Y2, Y1
	VPMOVMSKB Y1, AX
	MOVL AX, 8(DI)

	VPCMPEQB 320(DX), Y0, Y1 // '.'
	VPMOVMSKB Y1, AX
	MOVL AX, 12(DI)
	VPCMPEQB 352(DX), Y0, Y1 // '-'
	VPMOVMSKB Y1, AX
	MOVL AX, 16(DI)

	// ',' ':' '/'
	VPCMPEQB 224(DX), Y0, Y1 // ','
	VPCMPEQB 128(DX), Y0, Y2 // ':'
	VPOR Y2, Y1, Y1
	VPCMPEQB 256(DX), Y0, Y2 // '/'
	VPOR Y2, Y1, Y1
	VPMOVMSKB Y1, AX
	MOVL AX, 20(DI)
	VPCMPEQB 288(DX), Y0, Y1 // '\''
	VPMOVMSKB Y1, AX
	MOVL AX, 24(DI)

	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ loop
	VZEROUPPER
done:
	RET
