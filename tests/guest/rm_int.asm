; Real mode: software interrupts and exceptions through the IVT — the saved
; CS:IP (fault: the faulting instruction; trap: the next one), the flags
; pushed and cleared, and IRET.
%include "popek.inc"
ROM_BEGIN

%define SEEN_VEC  0x500 ; vector the handler saw
%define SEEN_IP   0x502 ; IP it found on the stack
%define SKIP      0x504 ; bytes to add to the saved IP before returning
%define SEEN_FL   0x506 ; FLAGS it found on the stack
%define SEEN_IF   0x508 ; its own IF

; A handler for vector N: record, then return past SKIP bytes.
%macro HANDLER 1
handler_%1:
    push bp
    mov bp, sp
    push ax
    mov word [SEEN_VEC], %1
    mov ax, [bp + 2]
    mov [SEEN_IP], ax
    mov ax, [bp + 6]
    mov [SEEN_FL], ax
    pushf
    pop ax
    and ax, 0x0200
    mov [SEEN_IF], ax
    mov ax, [SKIP]
    add [bp + 2], ax
    pop ax
    pop bp
    iret
%endmacro

%macro SET_VECTOR 1
    mov word [%1 * 4], handler_%1
    mov word [%1 * 4 + 2], cs
%endmacro

start:
    cli
    xor ax, ax
    mov ss, ax
    mov sp, 0x7000
    mov ds, ax
    SET_VECTOR 0
    SET_VECTOR 3
    SET_VECTOR 4
    SET_VECTOR 5
    SET_VECTOR 6
    SET_VECTOR 0x80

    ; INT n: a trap, IP after the instruction, IF cleared in the handler
    mov word [SKIP], 0
    sti
    int 0x80
after_int:
    CHECK16 word [SEEN_VEC], 0x80, "int 80h vector"
    CHECK16 word [SEEN_IP], after_int, "int 80h saved IP is the next instruction"
    CHECK16 word [SEEN_IF], 0, "IF cleared in the handler"
    CHECKF16 0x0200, 0x0200, "IF restored by IRET"
    mov ax, [SEEN_FL]
    and ax, 0x0200
    CHECK16 ax, 0x0200, "pushed FLAGS had IF"
    cli

    ; INT3 (one-byte CC) is a trap too
    int3
after_int3:
    CHECK16 word [SEEN_VEC], 3, "int3 vector"
    CHECK16 word [SEEN_IP], after_int3, "int3 saved IP"

    ; INTO traps only with OF set
    mov word [SEEN_VEC], 0xffff
    mov al, 0x7f
    add al, 1              ; OF=1
    into
after_into:
    CHECK16 word [SEEN_VEC], 4, "into with OF"
    CHECK16 word [SEEN_IP], after_into, "into saved IP"
    mov word [SEEN_VEC], 0xffff
    xor al, al             ; OF=0
    into
    CHECK16 word [SEEN_VEC], 0xffff, "into without OF does nothing"

    ; #DE is a fault: saved IP is the DIV itself
    mov word [SKIP], 2
    xor bl, bl
    mov ax, 100
div_insn:
    div bl                 ; 2 bytes
    CHECK16 word [SEEN_VEC], 0, "div by zero raises #DE"
    CHECK16 word [SEEN_IP], div_insn, "#DE saved IP is the div"
    ; quotient overflow is #DE too
    mov word [SEEN_VEC], 0xffff
    mov ax, 0x1000
    mov bl, 2
    div bl
    CHECK16 word [SEEN_VEC], 0, "div overflow raises #DE"
    mov word [SEEN_VEC], 0xffff
    mov al, 0
    aam 0                  ; 2 bytes: D4 00
    CHECK16 word [SEEN_VEC], 0, "aam 0 raises #DE"

    ; BOUND: #BR fault when out of range
    mov word [0x600], 10
    mov word [0x602], 20
    mov word [SEEN_VEC], 0xffff
    mov ax, 15
    bound ax, [0x600]
    CHECK16 word [SEEN_VEC], 0xffff, "bound in range"
    mov word [SKIP], 4
    mov ax, 21
bound_insn:
    bound ax, [0x600]      ; 62 06 00 06: 4 bytes
    CHECK16 word [SEEN_VEC], 5, "bound out of range raises #BR"
    CHECK16 word [SEEN_IP], bound_insn, "#BR saved IP is the bound"

    ; UD2: #UD fault
    mov word [SKIP], 2
ud_insn:
    ud2
    CHECK16 word [SEEN_VEC], 6, "ud2 raises #UD"
    CHECK16 word [SEEN_IP], ud_insn, "#UD saved IP is the ud2"

    PASS

    HANDLER 0
    HANDLER 3
    HANDLER 4
    HANDLER 5
    HANDLER 6
    HANDLER 0x80

ROM_END
