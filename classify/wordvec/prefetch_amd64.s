#include "textflag.h"

// Prefetch hints (PREFETCHT0): they change no result, only when a cache line arrives.

// func prefetchSlots(slots *wordSlot, mask uint64, h *uint64, stride uintptr, n int)
// For i < n: the 16-byte slot slots[x&mask], x the uint64 at h + i*stride.
TEXT ·prefetchSlots(SB), NOSPLIT, $0-40
	MOVQ slots+0(FP), DI
	MOVQ mask+8(FP), DX
	MOVQ h+16(FP), SI
	MOVQ stride+24(FP), R8
	MOVQ n+32(FP), CX
	TESTQ CX, CX
	JZ done
loop:
	MOVQ (SI), AX
	ANDQ DX, AX
	SHLQ $4, AX
	PREFETCHT0 (DI)(AX*1)
	ADDQ R8, SI
	DECQ CX
	JNZ loop
done:
	RET
