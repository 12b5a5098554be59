//go:build !purego

#include "textflag.h"

// Bounds: flags[i] = !(x >= min && x <= max && y >= min && y <= max) for
// x, y = p[2i], p[2i+1]. The comparisons use the ordered predicates GE_OQ
// (0x1D) and LE_OQ (0x12), false when either side is NaN, so NaN is outside.
//
// Registers: DI = flags, SI = p, CX = len(flags), AX = entity index,
// DX = end of the current loop, BX = &p[2*AX].

// Per 128-bit lane, the byte order that turns the packed words
// w0 w1 w2 w3 w8 w9 w10 w11 back into w0 w8 w1 w9 w2 w10 w3 w11.
DATA boundsShuf<>+0(SB)/8, $0x0b0a030209080100
DATA boundsShuf<>+8(SB)/8, $0x0f0e07060d0c0504
DATA boundsShuf<>+16(SB)/8, $0x0b0a030209080100
DATA boundsShuf<>+24(SB)/8, $0x0f0e07060d0c0504
GLOBL boundsShuf<>(SB), RODATA|NOPTR, $32

// 32 bytes of 1.
DATA boundsOnes<>+0(SB)/8, $0x0101010101010101
DATA boundsOnes<>+8(SB)/8, $0x0101010101010101
DATA boundsOnes<>+16(SB)/8, $0x0101010101010101
DATA boundsOnes<>+24(SB)/8, $0x0101010101010101
GLOBL boundsOnes<>(SB), RODATA|NOPTR, $32

// VPERMT2PS indices picking the even (x) and the odd (y) floats of two ZMM.
DATA boundsEven<>+0(SB)/8, $0x0000000200000000
DATA boundsEven<>+8(SB)/8, $0x0000000600000004
DATA boundsEven<>+16(SB)/8, $0x0000000a00000008
DATA boundsEven<>+24(SB)/8, $0x0000000e0000000c
DATA boundsEven<>+32(SB)/8, $0x0000001200000010
DATA boundsEven<>+40(SB)/8, $0x0000001600000014
DATA boundsEven<>+48(SB)/8, $0x0000001a00000018
DATA boundsEven<>+56(SB)/8, $0x0000001e0000001c
GLOBL boundsEven<>(SB), RODATA|NOPTR, $64

DATA boundsOdd<>+0(SB)/8, $0x0000000300000001
DATA boundsOdd<>+8(SB)/8, $0x0000000700000005
DATA boundsOdd<>+16(SB)/8, $0x0000000b00000009
DATA boundsOdd<>+24(SB)/8, $0x0000000f0000000d
DATA boundsOdd<>+32(SB)/8, $0x0000001300000011
DATA boundsOdd<>+40(SB)/8, $0x0000001700000015
DATA boundsOdd<>+48(SB)/8, $0x0000001b00000019
DATA boundsOdd<>+56(SB)/8, $0x0000001f0000001d
GLOBL boundsOdd<>(SB), RODATA|NOPTR, $64

// INSIDE8 leaves in dst the inside masks (all ones or zero per dword) of the
// 8 entities at off(BX), in the order e0 e1 e4 e5 | e2 e3 e6 e7.
// Y14 = min, Y15 = max; clobbers Y0..Y3.
#define INSIDE8(off, dst) \
	VMOVUPS off(BX), Y0; \
	VMOVUPS off+32(BX), Y1; \
	VCMPPS  $0x1D, Y14, Y0, Y2; \
	VCMPPS  $0x12, Y15, Y0, Y0; \
	VCMPPS  $0x1D, Y14, Y1, Y3; \
	VCMPPS  $0x12, Y15, Y1, Y1; \
	VANDPS  Y2, Y0, Y0; \
	VANDPS  Y3, Y1, Y1; \
	VSHUFPS $0x88, Y1, Y0, Y2; \
	VSHUFPS $0xDD, Y1, Y0, Y3; \
	VANDPS  Y3, Y2, dst

// func boundsAVX2(flags []bool, p []float32, min, max float32)
TEXT ·boundsAVX2(SB), NOSPLIT, $0-56
	MOVQ         flags_base+0(FP), DI
	MOVQ         flags_len+8(FP), CX
	MOVQ         p_base+24(FP), SI
	VBROADCASTSS min+48(FP), Y14
	VBROADCASTSS max+52(FP), Y15
	VMOVDQU      boundsShuf<>(SB), Y13
	VMOVDQU      boundsOnes<>(SB), Y12
	XORQ         AX, AX

	// 32 entities (8 YMM of p, 32 bytes of flags) per iteration.
	MOVQ CX, DX
	ANDQ $-32, DX
	JZ   tail

loop32:
	LEAQ (SI)(AX*8), BX
	INSIDE8(0, Y4)
	INSIDE8(64, Y5)
	INSIDE8(128, Y6)
	INSIDE8(192, Y7)

	// Pack the 32 dword masks to bytes: e0 e1 e4 e5 e8 e9 ... per lane,
	// then restore the entity order and turn inside (0xFF) into flag 0,
	// outside (0x00) into flag 1.
	VPACKSSDW Y5, Y4, Y4
	VPACKSSDW Y7, Y6, Y6
	VPACKSSWB Y6, Y4, Y4
	VPERMQ    $0xD8, Y4, Y4
	VPSHUFB   Y13, Y4, Y4
	VPANDN    Y12, Y4, Y4
	VMOVDQU   Y4, (DI)(AX*1)
	ADDQ      $32, AX
	CMPQ      AX, DX
	JB        loop32

	// The last 0..31 entities one by one, x and y in the low 64 bits of X0.
tail:
	CMPQ      AX, CX
	JAE       done
	VMOVSD    (SI)(AX*8), X0
	VCMPPS    $0x1D, X14, X0, X1
	VCMPPS    $0x12, X15, X0, X0
	VANDPS    X1, X0, X0
	VMOVMSKPS X0, BX
	ANDL      $3, BX
	CMPL      BX, $3
	SETNE     (DI)(AX*1)
	INCQ      AX
	JMP       tail

done:
	VZEROUPPER
	RET

// INSIDE16 leaves in K1 the inside bits of the 16 entities at off(BX), in
// order. Z28/Z29 = even/odd indices, Z30 = min, Z31 = max; clobbers Z0, Z2.
#define INSIDE16(off) \
	VMOVUPS   off(BX), Z0; \
	VMOVAPS   Z0, Z2; \
	VPERMT2PS off+64(BX), Z28, Z0; \
	VPERMT2PS off+64(BX), Z29, Z2; \
	VCMPPS    $0x1D, Z30, Z0, K1; \
	VCMPPS    $0x12, Z31, Z0, K1, K1; \
	VCMPPS    $0x1D, Z30, Z2, K1, K1; \
	VCMPPS    $0x12, Z31, Z2, K1, K1

// FLAGS16 stores the 16 flags of K1 at off(DI)(AX*1): NOT K1 selects the
// dwords of Z27 (all 1), VPMOVDB narrows them to bytes. Clobbers Z3.
#define FLAGS16(off) \
	KNOTW         K1, K1; \
	VMOVDQA32.Z   Z27, K1, Z3; \
	VPMOVDB       Z3, off(DI)(AX*1)

// func boundsAVX512(flags []bool, p []float32, min, max float32)
TEXT ·boundsAVX512(SB), NOSPLIT, $0-56
	MOVQ         flags_base+0(FP), DI
	MOVQ         flags_len+8(FP), CX
	MOVQ         p_base+24(FP), SI
	VBROADCASTSS min+48(FP), Z30
	VBROADCASTSS max+52(FP), Z31
	VMOVDQU32    boundsEven<>(SB), Z28
	VMOVDQU32    boundsOdd<>(SB), Z29
	MOVL         $1, BX
	VPBROADCASTD BX, Z27
	XORQ         AX, AX

	// 32 entities (4 ZMM of p, 32 bytes of flags) per iteration.
	MOVQ CX, DX
	ANDQ $-32, DX
	JZ   loop16

loop32:
	LEAQ (SI)(AX*8), BX
	INSIDE16(0)
	FLAGS16(0)
	INSIDE16(128)
	FLAGS16(16)
	ADDQ $32, AX
	CMPQ AX, DX
	JB   loop32

	// 16 entities (2 ZMM) per iteration.
loop16:
	MOVQ CX, DX
	ANDQ $-16, DX

loop16body:
	CMPQ AX, DX
	JAE  tail
	LEAQ (SI)(AX*8), BX
	INSIDE16(0)
	FLAGS16(0)
	ADDQ $16, AX
	JMP  loop16body

	// The last 0..15 entities: their 2*rest floats load under K2 (low 16)
	// and K3 (high 16), their flags store under K4 = (1<<rest)-1.
tail:
	SUBQ      AX, CX
	JZ        done
	LEAQ      (SI)(AX*8), BX
	MOVL      $1, R8
	SHLL      CX, R8
	DECL      R8
	KMOVW     R8, K4
	SHLL      $1, CX
	MOVL      $1, R8
	SHLL      CX, R8
	DECL      R8
	KMOVW     R8, K2
	SHRL      $16, R8
	KMOVW     R8, K3
	VMOVUPS.Z (BX), K2, Z0
	VMOVUPS.Z 64(BX), K3, Z1
	VMOVAPS   Z0, Z2
	VPERMT2PS Z1, Z28, Z0
	VPERMT2PS Z1, Z29, Z2
	VCMPPS    $0x1D, Z30, Z0, K1
	VCMPPS    $0x12, Z31, Z0, K1, K1
	VCMPPS    $0x1D, Z30, Z2, K1, K1
	VCMPPS    $0x12, Z31, Z2, K1, K1
	KNOTW     K1, K1
	VMOVDQA32.Z Z27, K1, Z3
	VPMOVDB   Z3, K4, (DI)(AX*1)

done:
	VZEROUPPER
	RET
