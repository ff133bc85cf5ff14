; Real mode: exception delivery through the IVT. Every handler records the
; vector, the CS:IP and FLAGS it finds on the stack, its own FLAGS and SP,
; then adds SKIP to the saved IP (to step over a faulting instruction),
; edits the saved FLAGS and IRETs. Faults must report the faulting
; instruction (prefixes included) with its registers untouched; traps the
; next instruction.
%include "popek.inc"
ROM_BEGIN

%define V_VEC   0x500   ; vector the handler ran for
%define V_IP    0x502   ; saved IP (before SKIP is added)
%define V_CS    0x504   ; saved CS
%define V_FL    0x506   ; saved FLAGS (before they are edited)
%define V_FLIN  0x508   ; FLAGS inside the handler
%define V_SP    0x50a   ; SP at the handler's first instruction
%define V_CNT   0x50c   ; number of handler runs
%define V_SKIP  0x50e   ; bytes to add to the saved IP
%define V_FOR   0x510   ; OR into the saved FLAGS
%define V_FAND  0x512   ; AND into the saved FLAGS
%define V_ABORT 0x514   ; nonzero: handler jumps here instead of IRET
%define IS_QEMU 0x516   ; 1: QEMU (fw_cfg says so), which has no segment limits
%define MARK    0x5f0   ; dword: PUSH with SP=1 is running (survives a reset)
%define MAGIC   0x31505350

%define ALT_IVT 0x1000  ; a second vector table for LIDT
%define STUB_SIZE 8     ; bytes per handler stub

; Reset the records; %1 = SKIP.
%macro ARM 1
    mov word [V_VEC], 0xffff
    mov word [V_IP], 0xffff
    mov word [V_CS], 0xffff
    mov word [V_CNT], 0
    mov word [V_SKIP], %1
%endmacro

; Only QEMU may skip a limit check (its TCG implements no segment limits):
; anywhere else a missing fault fails with message %1.
%macro ONLY_QEMU_SKIPS 1
    cmp word [IS_QEMU], 1
    je %%ok
    FAIL16 %1
%%ok:
%endmacro

; One handler was run, for vector %1, with saved IP %2 (a label).
%macro EXPECT 3
%strcat EXP_MSG %3, " [not exactly one exception]"
    CHECK16 word [V_CNT], 1, EXP_MSG
%strcat EXP_MSG %3, " [wrong vector]"
    CHECK16 word [V_VEC], %1, EXP_MSG
%strcat EXP_MSG %3, " [wrong saved IP]"
    CHECK16 word [V_IP], %2, EXP_MSG
%strcat EXP_MSG %3, " [wrong saved CS]"
    CHECK16 word [V_CS], 0xf000, EXP_MSG
%endmacro

start:
    cli
    cld
    xor ax, ax
    mov ss, ax
    mov sp, 0x7000
    mov ds, ax
    mov es, ax
    ; vectors 0..31 to the stubs, 0x30 to stub 0x30
    xor bx, bx
    mov ax, stubs
.ivt:
    mov [bx], ax
    mov word [bx + 2], cs
    add ax, STUB_SIZE
    add bx, 4
    cmp bx, 32 * 4
    jne .ivt
    mov word [0x30 * 4], stub_30
    mov word [0x30 * 4 + 2], cs
    mov word [ALT_IVT + 0x30 * 4], stub_alt30
    mov word [ALT_IVT + 0x30 * 4 + 2], cs
    mov word [V_FOR], 0
    mov word [V_FAND], 0xffff
    mov word [V_ABORT], 0
    DETECT_QEMU16 IS_QEMU
    ; did PUSH with SP=1 shut the processor down and reset it?
    cmp dword [MARK], MAGIC
    jne .fresh
    mov dword [MARK], 0
    PUTS16 "note: PUSH with SP=1 shut the processor down (reset), as the SDM describes"
    jmp after_push_sp1
.fresh:

    ; ---- #DE: divide by zero, 8/16/32-bit, register and memory ----
    ARM 2
    xor bl, bl
    mov ax, 1234
    stc
    std
de_div8:
    div bl
    cld
    EXPECT 0, de_div8, "div r8 by zero: #DE at the div"
    CHECK16 ax, 1234, "div r8 by zero left AX"
    mov ax, [V_FL]
    and ax, 0x0401
    CHECK16 ax, 0x0401, "#DE pushed FLAGS (CF DF)"
    CHECK16 word [V_SP], 0x7000 - 6, "#DE pushed exactly FLAGS CS IP"
    CHECK16 sp, 0x7000, "IRET popped the frame"

    ARM 2
    xor cx, cx
    mov dx, 5
    mov ax, 6
de_div16:
    div cx
    EXPECT 0, de_div16, "div r16 by zero: #DE at the div"
    CHECK16 dx, 5, "div r16 by zero left DX"
    CHECK16 ax, 6, "div r16 by zero left AX"

    ARM 3
    xor ecx, ecx
    mov eax, 0x12345678
de_div32:
    div ecx
    EXPECT 0, de_div32, "div r32 by zero: #DE at the 66-prefixed div"
    CHECK16 eax, 0x12345678, "div r32 by zero left EAX"

    ARM 5
    mov word [0x600], 0
    mov ax, 9
de_divmem:
    es div word [0x600]     ; 26 F7 36 00 06
    EXPECT 0, de_divmem, "div m16 by zero: #DE saved IP is the ES prefix"

    ; ---- #DE: quotient overflow ----
    ARM 2
    mov ax, 0x1000
    mov bl, 2
de_ovf8:
    div bl
    EXPECT 0, de_ovf8, "div r8 quotient overflow: #DE"
    CHECK16 ax, 0x1000, "div overflow left AX"

    ARM 2
    mov dx, 3
    mov ax, 0
    mov cx, 3
de_ovf16:
    div cx
    EXPECT 0, de_ovf16, "div r16 quotient overflow (DX == divisor): #DE"

    ARM 2
    mov ax, 0x8000          ; -32768 / -1 = 32768 does not fit in AL
    mov bl, 0xff
de_idiv8:
    idiv bl
    EXPECT 0, de_idiv8, "idiv r8 -32768/-1: #DE"

    ARM 2
    xor dx, dx
    mov ax, 0x8000
    mov cx, 1
de_idiv16:
    idiv cx                 ; +32768 does not fit in AX
    EXPECT 0, de_idiv16, "idiv r16 00008000h/1: #DE"
    ARM 2
    mov dx, 0xffff
    mov ax, 0x8000
    idiv cx                 ; -32768 fits
    CHECK16 word [V_CNT], 0, "idiv r16 FFFF8000h/1 does not fault"
    CHECK16 ax, 0x8000, "idiv r16 FFFF8000h/1 quotient"

    ARM 2
    mov ax, 0xff00          ; -256 / 2 = -128 just fits
    mov bl, 2
    idiv bl
    CHECK16 word [V_CNT], 0, "idiv -256/2 = -128 does not fault"
    CHECK16 al, 0x80, "idiv -256/2 quotient"

    ARM 2
    mov ax, 0x00ff          ; 255 / -2 = -127 r 1 fits
    mov bl, 0xfe
    idiv bl
    CHECK16 word [V_CNT], 0, "idiv 255/-2 does not fault"
    CHECK16 ax, 0x0181, "idiv 255/-2 remainder and quotient"

    ARM 3
    mov edx, 7
    xor eax, eax
    mov ecx, 7
de_ovf32:
    div ecx
    EXPECT 0, de_ovf32, "div r32 quotient overflow: #DE"

    ; ---- #DE: AAM 0 ----
    ARM 2
    mov ax, 0x0055
de_aam:
    aam 0
    EXPECT 0, de_aam, "aam 0: #DE at the aam"
    CHECK16 ax, 0x0055, "aam 0 left AX"
    aam 16
    CHECK16 word [V_CNT], 1, "aam 16 does not fault"
    CHECK16 ax, 0x0505, "aam 16 splits the nibbles"

    ; ---- INT 0 is a trap: saved IP after it, unlike #DE ----
    ARM 0
    int 0
int0_next:
    EXPECT 0, int0_next, "int 0: saved IP after the instruction"

    ; ---- #DE with another CS: the code runs at EF00:xxxx (same bytes) ----
    ARM 2
    call 0xef00:(alias_sub + 0x1000)
    CHECK16 word [V_CNT], 1, "#DE in CS=EF00 delivered once"
    CHECK16 word [V_CS], 0xef00, "#DE saved CS is EF00"
    CHECK16 word [V_IP], alias_div + 0x1000, "#DE saved IP in CS=EF00"
    CHECK16 ax, 7, "code after the fault in CS=EF00 ran"

    ; ---- #UD ----
    ARM 2
ud_ud2:
    ud2
    EXPECT 6, ud_ud2, "ud2: #UD at the ud2"
    ARM 3
    mov ax, 1
ud_lock:
    db 0xf0, 0x01, 0xd8     ; lock add ax, bx: LOCK with a register destination
    EXPECT 6, ud_lock, "lock add r16, r16: #UD at the lock prefix"
    CHECK16 ax, 1, "#UD lock add left AX"
    ARM 2
ud_lea:
    db 0x8d, 0xc3           ; lea ax, bx: register operand
    EXPECT 6, ud_lea, "lea with a register operand: #UD"
    ARM 2
ud_movcs:
    db 0x8e, 0xc8           ; mov cs, ax
    EXPECT 6, ud_movcs, "mov cs, r16: #UD"

    ; ---- #BR ----
    mov word [0x600], -10
    mov word [0x602], 20
    ARM 4
    mov ax, -10
    bound ax, [0x600]
    mov ax, 20
    bound ax, [0x600]
    CHECK16 word [V_CNT], 0, "bound at both (signed) bounds does not fault"
    mov ax, 21
br_high:
    bound ax, [0x600]       ; 62 06 00 06
    EXPECT 5, br_high, "bound above the upper bound: #BR at the bound"
    ARM 4
    mov ax, -11
br_low:
    bound ax, [0x600]
    EXPECT 5, br_low, "bound below the (negative) lower bound: #BR"
    mov dword [0x610], 0x10000
    mov dword [0x614], 0x20000
    ARM 5
    mov eax, 0x20001
br_32:
    bound eax, [0x610]      ; 66 62 06 10 06
    EXPECT 5, br_32, "bound r32 above the bound: #BR at the 66 prefix"
    ARM 5
    mov eax, 0x18000
    bound eax, [0x610]
    CHECK16 word [V_CNT], 0, "bound r32 in range does not fault"

    ; ---- INTO ----
    ARM 0
    mov al, 0x7f
    add al, 1               ; OF=1
    into
into_next:
    EXPECT 4, into_next, "into with OF: vector 4, saved IP after it"
    mov ax, [V_FL]
    and ax, 0x0800
    CHECK16 ax, 0x0800, "into pushed FLAGS with OF"
    ARM 0
    add al, 1               ; 0x80 + 1: OF=0
    into
    CHECK16 word [V_CNT], 0, "into without OF does nothing"

    ; ---- INT3 and INT 3 ----
    ARM 0
    int3                    ; CC
int3_next:
    EXPECT 3, int3_next, "int3: vector 3, saved IP after it"
    ARM 0
    db 0xcd, 0x03           ; int 3, two-byte form
int3b_next:
    EXPECT 3, int3b_next, "int 3 (CD 03): saved IP after both bytes"

    ; ---- what the handler sees and what IRET restores ----
    ARM 0
    sti
    int 0x10
int10_next:
    cli
    EXPECT 0x10, int10_next, "int 10h"
    mov ax, [V_FL]
    and ax, ~0x0300
    CHECK16 word [V_FLIN], ax, "handler runs with the pushed FLAGS minus IF TF"
    mov ax, [V_FL]
    and ax, 0x0200
    CHECK16 ax, 0x0200, "int pushed FLAGS with IF"
    ARM 0
    mov word [V_FOR], 0x0001
    clc
    int 0x11
    CHECKF16 0x0001, 0x0001, "IRET loads FLAGS edited on the stack (CF)"
    mov word [V_FOR], 0

    ; ---- single-step trap (#DB) ----
    ARM 0
    mov word [V_FAND], ~0x0100
    pushf
    pop ax
    or ax, 0x0100
    push ax
    popf                    ; TF=1 from the next instruction on
    nop
db_next:
    nop
    mov word [V_FAND], 0xffff
    EXPECT 1, db_next, "single step: #DB after the first instruction with TF"
    mov ax, [V_FL]
    and ax, 0x0100
    CHECK16 ax, 0x0100, "#DB pushed FLAGS with TF"
    CHECKF16 0x0100, 0x0000, "TF cleared by the edited FLAGS"
    mov ax, [V_FLIN]
    and ax, 0x0100
    CHECK16 ax, 0, "#DB handler runs with TF clear"

    ; ---- #NM: CR0.TS / EM / MP ----
    mov eax, cr0
    mov [0x620], eax
    and al, ~0x0e
    or al, 0x08             ; TS
    mov cr0, eax
    ARM 2
nm_ts:
    fninit
    EXPECT 7, nm_ts, "fninit with CR0.TS: #NM"
    ARM 1
    fwait
    CHECK16 word [V_CNT], 0, "fwait with TS but not MP does not fault"
    or al, 0x02             ; TS MP
    mov cr0, eax
    ARM 1
nm_wait:
    fwait
    EXPECT 7, nm_wait, "fwait with CR0.TS and MP: #NM"
    and al, ~0x0a
    or al, 0x04             ; EM
    mov cr0, eax
    ARM 2
nm_em:
    fninit
    EXPECT 7, nm_em, "fninit with CR0.EM: #NM"
    mov eax, [0x620]
    mov cr0, eax
    ; (FNINIT running with TS and EM clear needs the x87: checked by the x87 tests.)

    ; ---- LIDT moves the real-mode vector table ----
    ARM 0
    lidt [cs:idt_alt]
    int 0x30
    lidt [cs:idt_ivt]
    CHECK16 word [V_VEC], 0x130, "int 30h went through the IVT at 1000h"
    ARM 0
    int 0x30
    CHECK16 word [V_VEC], 0x30, "int 30h back through the IVT at 0"
    sidt [0x630]
    CHECK16 word [0x630], 0x3ff, "sidt limit"
    CHECK16 word [0x632], 0, "sidt base"

    ; a vector past the IDT limit: #GP, saved IP is the INT
    ARM 2
    lidt [cs:idt_small]
gp_int:
    int 0x20
    lidt [cs:idt_ivt]
    EXPECT 13, gp_int, "int 20h past the IDT limit: #GP at the int"
    CHECK16 word [V_SP], 0x7000 - 6, "real-mode #GP pushes no error code"

    ; ---- segment limit 0xFFFF in real mode ----
    ; Real x86 raises #GP (vector 13) for a word at DS:FFFF and #SS (12)
    ; for one at SS:FFFF. QEMU checks no segment limits and reads on into
    ; the next linear byte: that is accepted only when fw_cfg says QEMU.
    ; Wrapping to offset 0 (8086 behaviour) fails everywhere.
    mov ax, 0x1000
    mov es, ax
    mov byte [es:0xffff], 0x11
    mov byte [es:0], 0x33
    mov byte [0xffff], 0x55      ; linear 0FFFF and 10000 for SS:FFFF
    mov byte [es:0xfff0], 0x66   ; clobbered by nothing
    mov ax, 0x2000
    mov es, ax
    mov byte [es:0], 0x22

    ARM 3
    mov ax, 0x1000
    mov ds, ax
    mov ax, 0xaaaa
gp_read:
    mov ax, [0xffff]        ; A1 FF FF
    xor bx, bx
    mov ds, bx
    cmp word [V_CNT], 0
    je .nofault_r
    EXPECT 13, gp_read, "word read at DS:FFFF: #GP at the mov"
    CHECK16 ax, 0xaaaa, "#GP word read left AX"
    CHECK16 word [V_SP], 0x7000 - 6, "#GP (real mode): no error code"
    PUTS16 "note: word read at DS:FFFF raised #GP"
    jmp .done_r
.nofault_r:
    ONLY_QEMU_SKIPS "word read at DS:FFFF did not raise #GP"
    CHECK16 ax, 0x2211, "word read at DS:FFFF neither faulted nor read 1FFFF,20000"
    PUTS16 "note: word read at DS:FFFF read on past the limit (no #GP)"
.done_r:

    ARM 3
    mov ax, 0x1000
    mov ds, ax
    mov ax, 0xbeef
gp_write:
    mov [0xffff], ax        ; A3 FF FF
    xor bx, bx
    mov ds, bx
    mov ax, 0x1000
    mov es, ax
    mov ax, 0x2000
    mov fs, ax
    CHECK16 byte [es:0], 0x33, "word write at DS:FFFF wrapped to offset 0"
    cmp word [V_CNT], 0
    je .nofault_w
    EXPECT 13, gp_write, "word write at DS:FFFF: #GP at the mov"
    CHECK16 byte [es:0xffff], 0x11, "faulting write at DS:FFFF stored its low byte"
    CHECK16 byte [fs:0], 0x22, "faulting write at DS:FFFF stored its high byte"
    jmp .done_w
.nofault_w:
    ONLY_QEMU_SKIPS "word write at DS:FFFF did not raise #GP"
    CHECK16 byte [es:0xffff], 0xef, "word write at DS:FFFF low byte"
    CHECK16 byte [fs:0], 0xbe, "word write at DS:FFFF high byte at 20000"
.done_w:

    ARM 3
    mov byte [0xffff], 0x55
    mov ax, 0x1000
    mov es, ax
    mov byte [es:0], 0x33   ; linear 10000
    mov bp, 0xffff
    mov ax, 0xaaaa
ss_read:
    mov ax, [bp]            ; 8B 46 00, segment SS
    cmp word [V_CNT], 0
    je .nofault_s
    EXPECT 12, ss_read, "word read at SS:FFFF via BP: #SS at the mov"
    CHECK16 ax, 0xaaaa, "#SS word read left AX"
    CHECK16 word [V_SP], 0x7000 - 6, "#SS (real mode): no error code"
    jmp .done_s
.nofault_s:
    ONLY_QEMU_SKIPS "word read at SS:FFFF did not raise #SS"
    CHECK16 ax, 0x3355, "word read at SS:FFFF neither faulted nor read FFFF,10000"
.done_s:

    ARM 1
    mov sp, 0xffff
    mov ax, 0xaaaa
ss_pop:
    pop ax                  ; word at SS:FFFF
    mov bx, sp
    mov sp, 0x7000
    cmp word [V_CNT], 0
    je .nofault_p
    EXPECT 12, ss_pop, "pop with SP=FFFF: #SS at the pop"
    CHECK16 bx, 0xffff, "#SS pop left SP"
    CHECK16 ax, 0xaaaa, "#SS pop left AX"
    jmp .done_p
.nofault_p:
    ONLY_QEMU_SKIPS "pop with SP=FFFF did not raise #SS"
    CHECK16 ax, 0x3355, "pop with SP=FFFF neither faulted nor read FFFF,10000"
    CHECK16 bx, 1, "pop with SP=FFFF: SP wraps to 1"
.done_p:

    ; ---- PUSH with SP=1 ----
    ; SDM (PUSH): #SS, whose delivery faults again, then #DF, whose delivery
    ; faults a third time: shutdown. On a PC that resets the processor, so a
    ; marker in RAM tells `start` to carry on. QEMU writes 2 bytes across.
    mov word [V_ABORT], push_aborted
    ARM 0
    mov dword [MARK], MAGIC
    mov ax, 0x3000
    mov ss, ax
    mov sp, 1
    mov ax, 0xabcd
    push ax
    mov bx, sp
    xor ax, ax
    mov ss, ax
    mov sp, 0x7000
    mov dword [MARK], 0
    mov word [V_ABORT], 0
    PUTS16 "note: PUSH with SP=1 completed (no limit check)"
    ONLY_QEMU_SKIPS "push with SP=1 completed instead of shutting down"
    CHECK16 bx, 0xffff, "push with SP=1: SP is FFFF"
    mov ax, 0x3000
    mov es, ax
    CHECK16 byte [es:0xffff], 0xcd, "push with SP=1: low byte at 3FFFF"
    mov ax, 0x4000
    mov es, ax
    CHECK16 byte [es:0], 0xab, "push with SP=1: high byte at 40000"
    jmp after_push_sp1
push_aborted:
    xor ax, ax
    mov ss, ax
    mov sp, 0x7000
    mov ds, ax
    mov dword [MARK], 0
    FAIL16 "push with SP=1 delivered an exception (real x86: triple fault, shutdown)"
after_push_sp1:
    CHECK16 dword [MARK], 0, "shutdown marker cleared"

    PASS

alias_sub:                  ; runs as EF00:alias_sub+1000h
    xor bl, bl
    mov ax, 7
alias_div:
    div bl
    retf

idt_ivt:   dw 0x3ff
           dd 0
idt_alt:   dw 0x3ff
           dd ALT_IVT
idt_small: dw 13 * 4 + 3    ; vectors 0..13 only
           dd 0

; The handlers: a stub per vector loads AX with the vector number.
    align 8, db 0x90
stubs:
%assign v 0
%rep 32
    push ax
    mov ax, v
    jmp exc_common
    align 8, db 0x90
%assign v v + 1
%endrep
stub_30:
    push ax
    mov ax, 0x30
    jmp exc_common
stub_alt30:
    push ax
    mov ax, 0x130
    jmp exc_common

exc_common:                     ; [sp] = AX, then IP CS FLAGS
    pushf                   ; the handler's FLAGS, before anything changes them
    push bp
    mov bp, sp              ; bp+2 own FLAGS, bp+4 AX, bp+6 IP, bp+8 CS, bp+10 FLAGS
    push ds
    push bx
    xor bx, bx
    mov ds, bx
    mov [V_VEC], ax
    mov ax, [bp + 2]
    mov [V_FLIN], ax
    inc word [V_CNT]
    lea ax, [bp + 6]
    mov [V_SP], ax
    mov ax, [bp + 6]
    mov [V_IP], ax
    mov ax, [bp + 8]
    mov [V_CS], ax
    mov ax, [bp + 10]
    mov [V_FL], ax
    cmp word [V_ABORT], 0
    jne .abort
    mov ax, [V_SKIP]
    add [bp + 6], ax
    mov ax, [V_FOR]
    or [bp + 10], ax
    mov ax, [V_FAND]
    and [bp + 10], ax
    pop bx
    pop ds
    pop bp
    popf
    pop ax
    iret
.abort:
    jmp [V_ABORT]

ROM_END
