; The x87 in 32-bit protected mode, in loops hot enough for tier 1 to run
; them on the host's x87: a sum of 2000 terms 1/k^2 in extended precision
; (round to nearest) and again in double precision rounding toward zero,
; checked to the last bit; comparisons counted through FCOMIP and through
; FNSTSW AX + SAHF. The expected sums are the same operations in the same
; order on a host x87 (C long double under the same control words).
%include "popek.inc"
ROM_BEGIN

PM_FLAT_ENTRY pm_entry

    align 8
billion:  dq 1.0e9
small:    dq 1.0e-5
cw_near64: dw 0x037f   ; every exception masked, 64-bit precision, to nearest
cw_trunc53: dw 0x0e7f  ; 53-bit precision, toward zero

; ST0 = the sum for k = 1..2000 of 1 / (k * k), in the control word's precision and rounding.
%macro BASEL 0
    fldz
    mov ecx, 1
%%k:
    mov [0x100000], ecx
    fild dword [0x100000]
    fmul st0, st0
    fld1
    fdivrp st1, st0
    faddp st1, st0
    inc ecx
    cmp ecx, 2001
    jne %%k
%endmacro

    bits 32
pm_entry:
    fninit
    fldcw [ROMBASE + cw_near64]
    BASEL
    fld st0
    fstp tword [0x100010]
    fmul qword [ROMBASE + billion]
    fistp qword [0x100020]
    CHECK32 dword [0x100010], 0x2952f29d, "extended sum: significand low"
    CHECK32 dword [0x100014], 0xd27cd1d1, "extended sum: significand high"
    CHECK32 word [0x100018], 0x3fff, "extended sum: exponent"
    CHECK32 dword [0x100020], 1644434192, "extended sum * 1e9 rounded"
    CHECK32 dword [0x100024], 0, "extended sum * 1e9: high half"

    fldcw [ROMBASE + cw_trunc53]
    BASEL
    fld st0
    fstp tword [0x100010]
    fmul qword [ROMBASE + billion]
    fistp qword [0x100020]
    CHECK32 dword [0x100010], 0x29344800, "double sum: significand low"
    CHECK32 dword [0x100014], 0xd27cd1d1, "double sum: significand high"
    CHECK32 dword [0x100020], 1644434191, "double sum * 1e9 truncated"
    fnstsw ax
    movzx eax, ax
    and eax, 0x20
    CHECK32 eax, 0x20, "precision exception flagged"
    fnstcw [0x100030]
    CHECK32 word [0x100030], 0x0e7f, "control word kept"

    ; 1/k^2 > 1e-5 for k = 1..316: through FCOMIP
    fninit
    fld qword [ROMBASE + small]
    xor edx, edx
    mov ecx, 1
.c:
    mov [0x100000], ecx
    fild dword [0x100000]
    fmul st0, st0
    fld1
    fdivrp st1, st0
    fcomip st0, st1
    jbe .c_no
    inc edx
.c_no:
    inc ecx
    cmp ecx, 2001
    jne .c
    CHECK32 edx, 316, "FCOMIP count"

    ; and through FCOMP, FNSTSW AX, SAHF
    xor edx, edx
    mov ecx, 1
.s:
    mov [0x100000], ecx
    fild dword [0x100000]
    fmul st0, st0
    fld1
    fdivrp st1, st0
    fcomp st1
    fnstsw ax
    sahf
    jbe .s_no
    inc edx
.s_no:
    inc ecx
    cmp ecx, 2001
    jne .s
    CHECK32 edx, 316, "FNSTSW/SAHF count"
    fstp st0
    fnstsw ax
    and eax, 0x3800
    CHECK32 eax, 0, "stack empty again (TOP 0)"

    PASS

    bits 16
ROM_END
