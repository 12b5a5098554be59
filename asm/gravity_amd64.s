//go:build !purego

#include "textflag.h"

// Gravity: per entity v += (gx, gy), then p += float32(v*dt), with
// gx = float32(ax*dt), gy = float32(ay*dt). Products and sums are rounded
// separately (VMULPS, then VADDPS), never fused, to match the reference.
//
// Registers: DI = p, SI = v, CX = len(p) (even), AX = index in floats,
// DX = end of the current loop, Y0/Z0 = dt in every lane,
// Y1/Z1 = gx, gy, gx, gy, ...
//
// As in integrate_amd64.s, the unrolled loop prefetches 1 KiB ahead only
// when prefetchMinFloats <= len(p) <= prefetchMaxFloats.

// GRAVITY_YMM4 does the 32 floats at AX.
#define GRAVITY_YMM4 \
	VADDPS  (SI)(AX*4), Y1, Y2; \
	VADDPS  32(SI)(AX*4), Y1, Y3; \
	VADDPS  64(SI)(AX*4), Y1, Y4; \
	VADDPS  96(SI)(AX*4), Y1, Y5; \
	VMOVUPS Y2, (SI)(AX*4); \
	VMOVUPS Y3, 32(SI)(AX*4); \
	VMOVUPS Y4, 64(SI)(AX*4); \
	VMOVUPS Y5, 96(SI)(AX*4); \
	VMULPS  Y0, Y2, Y2; \
	VMULPS  Y0, Y3, Y3; \
	VMULPS  Y0, Y4, Y4; \
	VMULPS  Y0, Y5, Y5; \
	VADDPS  (DI)(AX*4), Y2, Y2; \
	VADDPS  32(DI)(AX*4), Y3, Y3; \
	VADDPS  64(DI)(AX*4), Y4, Y4; \
	VADDPS  96(DI)(AX*4), Y5, Y5; \
	VMOVUPS Y2, (DI)(AX*4); \
	VMOVUPS Y3, 32(DI)(AX*4); \
	VMOVUPS Y4, 64(DI)(AX*4); \
	VMOVUPS Y5, 96(DI)(AX*4)

// func gravityAVX2(p, v []float32, ax, ay, dt float32)
TEXT ·gravityAVX2(SB), NOSPLIT, $0-60
	MOVQ         p_base+0(FP), DI
	MOVQ         p_len+8(FP), CX
	MOVQ         v_base+24(FP), SI
	VBROADCASTSS dt+56(FP), Y0
	VMOVSS       ax+48(FP), X1
	VMOVSS       ay+52(FP), X2
	VMULSS       X0, X1, X1
	VMULSS       X0, X2, X2
	VUNPCKLPS    X2, X1, X1
	VBROADCASTSD X1, Y1
	XORQ         AX, AX

	// 32 floats (16 entities, 4 YMM of p and of v) per iteration.
	MOVQ CX, DX
	ANDQ $-32, DX
	JZ   loop8

	CMPQ CX, ·prefetchMinFloats(SB)
	JB   loop32
	CMPQ CX, ·prefetchMaxFloats(SB)
	JA   loop32

loop32pf:
	PREFETCHT0 1024(SI)(AX*4)
	PREFETCHT0 1088(SI)(AX*4)
	PREFETCHT0 1024(DI)(AX*4)
	PREFETCHT0 1088(DI)(AX*4)
	GRAVITY_YMM4
	ADDQ $32, AX
	CMPQ AX, DX
	JB   loop32pf
	JMP  loop8

loop32:
	GRAVITY_YMM4
	ADDQ    $32, AX
	CMPQ    AX, DX
	JB      loop32

	// 8 floats (1 YMM) per iteration.
loop8:
	MOVQ CX, DX
	ANDQ $-8, DX

loop8body:
	CMPQ    AX, DX
	JAE     tail
	VADDPS  (SI)(AX*4), Y1, Y2
	VMOVUPS Y2, (SI)(AX*4)
	VMULPS  Y0, Y2, Y2
	VADDPS  (DI)(AX*4), Y2, Y2
	VMOVUPS Y2, (DI)(AX*4)
	ADDQ    $8, AX
	JMP     loop8body

	// The last 0..3 entities one by one, x and y in the low 64 bits of X2.
tail:
	CMPQ   AX, CX
	JAE    done
	VMOVSD (SI)(AX*4), X2
	VADDPS X1, X2, X2
	VMOVSD X2, (SI)(AX*4)
	VMULPS X0, X2, X2
	VMOVSD (DI)(AX*4), X3
	VADDPS X3, X2, X2
	VMOVSD X2, (DI)(AX*4)
	ADDQ   $2, AX
	JMP    tail

done:
	VZEROUPPER
	RET

// GRAVITY_ZMM4 does the 64 floats at AX.
#define GRAVITY_ZMM4 \
	VADDPS  (SI)(AX*4), Z1, Z2; \
	VADDPS  64(SI)(AX*4), Z1, Z3; \
	VADDPS  128(SI)(AX*4), Z1, Z4; \
	VADDPS  192(SI)(AX*4), Z1, Z5; \
	VMOVUPS Z2, (SI)(AX*4); \
	VMOVUPS Z3, 64(SI)(AX*4); \
	VMOVUPS Z4, 128(SI)(AX*4); \
	VMOVUPS Z5, 192(SI)(AX*4); \
	VMULPS  Z0, Z2, Z2; \
	VMULPS  Z0, Z3, Z3; \
	VMULPS  Z0, Z4, Z4; \
	VMULPS  Z0, Z5, Z5; \
	VADDPS  (DI)(AX*4), Z2, Z2; \
	VADDPS  64(DI)(AX*4), Z3, Z3; \
	VADDPS  128(DI)(AX*4), Z4, Z4; \
	VADDPS  192(DI)(AX*4), Z5, Z5; \
	VMOVUPS Z2, (DI)(AX*4); \
	VMOVUPS Z3, 64(DI)(AX*4); \
	VMOVUPS Z4, 128(DI)(AX*4); \
	VMOVUPS Z5, 192(DI)(AX*4)

// func gravityAVX512(p, v []float32, ax, ay, dt float32)
TEXT ·gravityAVX512(SB), NOSPLIT, $0-60
	MOVQ         p_base+0(FP), DI
	MOVQ         p_len+8(FP), CX
	MOVQ         v_base+24(FP), SI
	VBROADCASTSS dt+56(FP), Z0
	VMOVSS       ax+48(FP), X1
	VMOVSS       ay+52(FP), X2
	VMULSS       X0, X1, X1
	VMULSS       X0, X2, X2
	VUNPCKLPS    X2, X1, X1
	VBROADCASTSD X1, Z1
	XORQ         AX, AX

	// 64 floats (32 entities, 4 ZMM of p and of v) per iteration.
	MOVQ CX, DX
	ANDQ $-64, DX
	JZ   loop16

	CMPQ CX, ·prefetchMinFloats(SB)
	JB   loop64
	CMPQ CX, ·prefetchMaxFloats(SB)
	JA   loop64

loop64pf:
	PREFETCHT0 1024(SI)(AX*4)
	PREFETCHT0 1088(SI)(AX*4)
	PREFETCHT0 1152(SI)(AX*4)
	PREFETCHT0 1216(SI)(AX*4)
	PREFETCHT0 1024(DI)(AX*4)
	PREFETCHT0 1088(DI)(AX*4)
	PREFETCHT0 1152(DI)(AX*4)
	PREFETCHT0 1216(DI)(AX*4)
	GRAVITY_ZMM4
	ADDQ $64, AX
	CMPQ AX, DX
	JB   loop64pf
	JMP  loop16

loop64:
	GRAVITY_ZMM4
	ADDQ    $64, AX
	CMPQ    AX, DX
	JB      loop64

	// 16 floats (1 ZMM) per iteration.
loop16:
	MOVQ CX, DX
	ANDQ $-16, DX

loop16body:
	CMPQ    AX, DX
	JAE     tail
	VADDPS  (SI)(AX*4), Z1, Z2
	VMOVUPS Z2, (SI)(AX*4)
	VMULPS  Z0, Z2, Z2
	VADDPS  (DI)(AX*4), Z2, Z2
	VMOVUPS Z2, (DI)(AX*4)
	ADDQ    $16, AX
	JMP     loop16body

	// The last 0..14 floats under the mask K1 = (1<<rest)-1: masked-off
	// lanes are neither loaded (no fault) nor stored. rest is even, so the
	// lanes keep their x, y parity.
tail:
	SUBQ      AX, CX
	JZ        done
	MOVL      $1, BX
	SHLL      CX, BX
	DECL      BX
	KMOVW     BX, K1
	VMOVUPS.Z (SI)(AX*4), K1, Z2
	VMOVUPS.Z (DI)(AX*4), K1, Z3
	VADDPS    Z1, Z2, Z2
	VMOVUPS   Z2, K1, (SI)(AX*4)
	VMULPS    Z0, Z2, Z2
	VADDPS    Z3, Z2, Z2
	VMOVUPS   Z2, K1, (DI)(AX*4)

done:
	VZEROUPPER
	RET
