; Real mode: string instructions with and without REP, both directions,
; 16-bit offset wrap-around, and 32-bit address size.
%include "popek.inc"
ROM_BEGIN

start:
    cli
    xor ax, ax
    mov ss, ax
    mov sp, 0x7000
    mov ds, ax
    mov es, ax
    cld

    ; REP STOSW fills, CX counts down to 0, DI advances
    mov di, 0x1000
    mov cx, 8
    mov ax, 0xa5a5
    rep stosw
    CHECK16 cx, 0, "rep stosw leaves CX 0"
    CHECK16 di, 0x1010, "rep stosw advances DI"
    CHECK16 word [0x100e], 0xa5a5, "rep stosw stored"
    CHECK16 word [0x1010], 0, "rep stosw stops"

    ; REP MOVSB copies forward
    mov si, src
    mov di, 0x2000
    mov cx, src_len
    push ds
    push cs
    pop ds
    rep movsb
    pop ds
    CHECK16 byte [0x2000], 'p', "movsb first byte"
    CHECK16 byte [0x2000 + src_len - 1], 'k', "movsb last byte"

    ; REPE CMPSB stops at the first difference
    mov byte [0x2003], 'X'
    mov si, 0x2000
    mov di, 0x3000
    mov cx, src_len
    push cx
    push si
    mov di, 0x3000
    ; copy the original text to 0x3000 from 0x2000 then restore one byte
    rep movsb
    pop si
    pop cx
    mov byte [0x3003], 'e'
    mov di, 0x3000
    repe cmpsb
    CHECKF16 0x0040, 0x0000, "repe cmpsb ends on a difference (ZF=0)"
    CHECK16 si, 0x2004, "repe cmpsb SI past the difference"
    CHECK16 cx, src_len - 4, "repe cmpsb count"

    ; REPNE SCASB finds a byte
    mov di, 0x2000
    mov cx, 100
    mov al, 'k'
    repne scasb
    CHECKF16 0x0040, 0x0040, "repne scasb found (ZF=1)"
    CHECK16 di, 0x2000 + src_len, "repne scasb DI after the match"

    ; LODSB backwards with DF=1
    std
    mov si, 0x2002
    lodsb
    CHECK16 al, 'p', "lodsb"
    CHECK16 si, 0x2001, "lodsb with DF=1 decrements"
    cld

    ; REP with CX=0 does nothing
    mov cx, 0
    mov di, 0x4000
    mov byte [0x4000], 0x11
    mov al, 0x22
    rep stosb
    CHECK16 byte [0x4000], 0x11, "rep with cx=0 stores nothing"
    CHECK16 di, 0x4000, "rep with cx=0 leaves DI"

    ; 16-bit SI wraps within the segment
    mov ax, 0x1000
    mov ds, ax
    mov byte [0xffff], 0x77
    mov byte [0x0000], 0x88
    xor ax, ax
    mov es, ax
    mov si, 0xffff
    mov di, 0x5000
    mov cx, 2
    rep movsb
    xor ax, ax
    mov ds, ax
    CHECK16 word [0x5000], 0x8877, "16-bit SI wraps to 0"
    CHECK16 si, 1, "SI after wrap"

    ; 16-bit address size counts with CX only: ECX's upper half stays
    mov ecx, 0x00010003
    mov edi, 0x6000
    mov al, 0x5a
    rep stosb
    CHECK16 ecx, 0x00010000, "a16 rep counts CX only"
    CHECK16 di, 0x6003, "a16 rep advances DI"
    ; 32-bit address size counts with ECX and advances EDI
    mov ecx, 3
    mov edi, 0x6100
    a32 rep stosb
    CHECK16 ecx, 0, "a32 rep counts ECX"
    CHECK16 edi, 0x6103, "a32 rep advances EDI"
    CHECK16 byte [0x6102], 0x5a, "a32 rep stored"

    PASS

src: db "popek"
src_len equ $ - src
    db 0

ROM_END
