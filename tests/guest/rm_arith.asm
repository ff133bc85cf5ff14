; Real mode: integer arithmetic, logic, shifts, multiply/divide and BCD,
; with the flags the SDM defines for each.
%include "popek.inc"
ROM_BEGIN

%define ARITH_FLAGS 0x08d5 ; OF SF ZF AF PF CF

start:
    cli
    xor ax, ax
    mov ss, ax
    mov sp, 0x7000
    mov ds, ax

    ; ADD with carry out of bit 15 and signed overflow
    mov ax, 0x8000
    add ax, 0x8000
    CHECKF16 ARITH_FLAGS, 0x0845, "add 8000+8000 flags"   ; OF ZF PF CF
    CHECK16 ax, 0, "add 8000+8000 result"

    mov al, 0x0f
    add al, 0x01
    CHECKF16 ARITH_FLAGS, 0x0010, "add 0f+01 flags"       ; AF
    CHECK16 al, 0x10, "add 0f+01 result"

    ; ADC / SBB chains through CF
    stc
    mov ax, 0xffff
    adc ax, 0
    CHECKF16 0x0041, 0x0041, "adc carry and zero"
    CHECK16 ax, 0, "adc ffff+0+1"
    stc
    mov ax, 0
    sbb ax, 0
    CHECKF16 0x0081, 0x0081, "sbb carry and sign"
    CHECK16 ax, 0xffff, "sbb 0-0-1"

    ; SUB / CMP signed overflow
    mov al, 0x80
    sub al, 1
    CHECKF16 0x0801, 0x0800, "sub 80-1 OF set, CF clear"
    CHECK16 al, 0x7f, "sub 80-1"

    ; INC/DEC leave CF alone
    stc
    mov bl, 0xff
    inc bl
    CHECKF16 0x0041, 0x0041, "inc keeps CF, sets ZF"
    clc
    dec bl
    CHECKF16 0x0081, 0x0080, "dec keeps CF clear, sets SF"
    CHECK16 bl, 0xff, "dec 0"

    ; NEG
    mov ax, 5
    neg ax
    CHECKF16 0x0001, 0x0001, "neg nonzero sets CF"
    CHECK16 ax, 0xfffb, "neg 5"

    ; logic clears CF and OF
    stc
    mov ax, 0xf0f0
    and ax, 0x0ff0
    CHECKF16 0x0885, 0x0004, "and flags (PF of f0 is even)"
    CHECK16 ax, 0x00f0, "and"
    xor cx, cx
    CHECKF16 0x00c5, 0x0044, "xor self: ZF PF"

    ; MUL / IMUL
    mov ax, 0x1234
    mov bx, 0x0100
    mul bx
    CHECKF16 0x0801, 0x0801, "mul high nonzero: CF OF"
    CHECK16 ax, 0x3400, "mul low"
    CHECK16 dx, 0x0012, "mul high"
    mov al, -3
    mov bl, 7
    imul bl
    CHECKF16 0x0801, 0x0000, "imul fits: CF OF clear"
    CHECK16 ax, 0xffeb, "imul -3*7"
    mov ax, 300
    imul ax, ax, 300
    CHECKF16 0x0801, 0x0801, "imul 3-operand overflow"
    CHECK16 ax, 0x5f90, "imul 3-operand truncated"

    ; DIV / IDIV
    mov dx, 0x0001
    mov ax, 0x0005
    mov bx, 0x0010
    div bx
    CHECK16 ax, 0x1000, "div quotient"
    CHECK16 dx, 0x0005, "div remainder"
    mov ax, -7
    cwd
    mov bx, 2
    idiv bx
    CHECK16 ax, -3, "idiv truncates toward zero"
    CHECK16 dx, -1, "idiv remainder has dividend's sign"

    ; shifts and rotates
    mov ax, 0x8001
    shl ax, 1
    CHECKF16 0x0801, 0x0801, "shl 1: CF=1 OF=CF^MSB=1"
    CHECK16 ax, 0x0002, "shl 1"
    mov ax, 0x8000
    sar ax, 15
    CHECK16 ax, 0xffff, "sar 15"
    mov cl, 0
    stc
    shr ax, cl
    CHECKF16 0x0001, 0x0001, "shift by 0 keeps flags"
    mov al, 0x81
    rol al, 1
    CHECK16 al, 0x03, "rol"
    clc
    mov al, 0x80
    rcl al, 1
    CHECKF16 0x0001, 0x0001, "rcl carry"
    CHECK16 al, 0x00, "rcl out"
    mov cl, 33
    mov ax, 1
    shl ax, cl             ; count masked to 1
    CHECK16 ax, 2, "shift count masked to 5 bits"
    mov ax, 0x1234
    mov dx, 0xabcd
    shld ax, dx, 4
    CHECK16 ax, 0x234a, "shld"

    ; BCD
    mov al, 0x19
    add al, 0x28
    daa
    CHECK16 al, 0x47, "daa 19+28"
    mov al, 0x47
    sub al, 0x19
    das
    CHECK16 al, 0x28, "das 47-19"
    mov ax, 0x0009
    add al, 3
    aaa
    CHECK16 ax, 0x0102, "aaa"
    mov al, 63
    aam
    CHECK16 ax, 0x0603, "aam"
    mov ax, 0x0603
    aad
    CHECK16 ax, 63, "aad"

    ; bit operations
    mov ax, 0x0100
    bsf cx, ax
    CHECK16 cx, 8, "bsf"
    bsr cx, ax
    CHECK16 cx, 8, "bsr"
    mov word [0x600], 0
    mov word [0x602], 0
    mov ax, 17
    bts [0x600], ax        ; bit offset reaches the next word
    CHECK16 word [0x602], 2, "bts with register offset beyond the word"
    mov ax, 0x0f0f
    btc ax, 0
    CHECKF16 0x0001, 0x0001, "btc old bit"
    CHECK16 ax, 0x0f0e, "btc result"

    ; CMOV / SETcc / XCHG / XADD / CMPXCHG / BSWAP (386+ and P6 forms)
    mov ax, 1
    mov bx, 2
    cmp ax, bx
    setz cl
    cmovb ax, bx
    CHECK16 ax, 2, "cmovb"
    CHECK16 cl, 0, "setz"
    mov ax, 5
    mov bx, 7
    xadd ax, bx
    CHECK16 ax, 12, "xadd sum"
    CHECK16 bx, 5, "xadd old"
    mov ax, 12
    mov cx, 99
    cmpxchg bx, cx         ; ax != bx: ax = bx
    CHECK16 ax, 5, "cmpxchg fail loads accumulator"
    cmpxchg bx, cx         ; ax == bx: bx = cx
    CHECK16 bx, 99, "cmpxchg success stores"
    mov eax, 0x11223344
    bswap eax
    CHECK16 eax, 0x44332211, "bswap"

    PASS

ROM_END
