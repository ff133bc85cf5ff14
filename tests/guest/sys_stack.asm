; The stack's size against the operand size (SDM Vol. 1 §6.2.3, Vol. 2
; POP, ENTER, LEAVE, RET, IRET): the stack-address size (SS.B) decides how
; much of ESP a stack operation changes, the operand size how much it moves.
;   - POP SS: the increment follows the stack the value was read from (the
;     old SS.B): o32 POP SS on a 16-bit stack loading a 32-bit SS wraps SP
;     alone, o16 POP SS on a 32-bit stack loading a 16-bit SS moves all of
;     ESP.
;   - ENTER/LEAVE: ENTER's frame pointer is all of ESP after it pushed
;     (E)BP, pushed (nesting levels) and written to (E)BP at the operand
;     size: o32 ENTER on a 16-bit stack sets EBP to ESP, upper half
;     included, o16 ENTER on a 32-bit stack sets BP alone (as KVM and QEMU
;     since its fix for issue 2198 do; the SDM's pseudocode writes it at the
;     stack size). LEAVE sets SP or ESP from (E)BP by the stack size and
;     pops BP or EBP by the operand size.
;   - RETF and IRET to an outer level load the popped stack pointer at the
;     new stack's size: to a 16-bit SS only SP (the upper half of ESP keeps
;     what it held, the "espfix" behaviour), to a 32-bit SS all of ESP
;     (an o16 return's SP zero-extended).
;   - A far CALL at CPL 0 that overruns the current stack raises #SS(0), not
;     #SS(SS selector) (that is for a new stack), taken here through a task
;     gate since the stack has no room for an exception frame.
%include "sys.inc"
ROM_BEGIN
SYS_CODE

%define SEG16_BASE 0x40000

%define SEL_S16    0x30         ; 16-bit ring-0 stack, base SEG16_BASE, limit FFFF
%define SEL_U16    0x3b         ; the same at ring 3
%define SEL_UCODEF 0x43         ; ring-3 32-bit code, base F0000 (o16 returns reach it)
%define SEL_SMALL  0x48         ; 32-bit ring-0 stack, base SEG16_BASE, limit FFF
%define SEL_TSSS   0x50         ; the #SS task
%define TSSS       0x3800
%define STACKS     0x5c000      ; its stack
%define KSTACK     0x88000      ; main's ESP: RETF/IRET below pop nothing across 64 KiB

%define R_ESP      V_TMP + 0x00 ; ESP seen at ring 3
%define SS_CNT     V_TMP + 0x04 ; the #SS task's runs
%define SS_ERR     V_TMP + 0x08 ; and the error code it found

    align 8
gdt_template:
    GDT_COMMON
    DESC SEG16_BASE, 0xffff, 0x93, 0            ; 0x30
    DESC SEG16_BASE, 0xffff, 0xf3, 0            ; 0x38
    DESC 0xf0000, 0xffff, 0xfb, 0x4             ; 0x40
    DESC SEG16_BASE, 0xfff, 0x93, 0x4           ; 0x48
    DESC TSSS, 0x67, ACC_TSS32, 0               ; 0x50
gdt_template_end:

; back to the ring-0 stack of main
%macro KSTACK0 0
    mov ax, SEL_KDATA
    mov ss, ax
    mov esp, KSTACK
%endmacro

    bits 32
main:
    mov esp, KSTACK

    ; ---------------- o32 POP SS: a 16-bit stack to a 32-bit SS ----------------
    mov dword [SEG16_BASE + 0xfffc], SEL_KDATA
    mov ax, SEL_S16
    mov ss, ax
    mov esp, 0x1234fffc
    pop ss                      ; o32: SP wraps to 0, the upper half stays
    mov ebx, esp
    KSTACK0
    CHECK32 ebx, 0x12340000, "o32 POP SS from a 16-bit stack: ESP did not move as SP (old SS.B)"

    ; ---------------- o16 POP SS: a 32-bit stack to a 16-bit SS ----------------
    mov word [0x1fffe], SEL_S16
    mov esp, 0x0001fffe
    o16 pop ss                  ; ESP + 2 across 64 KiB
    mov ebx, esp
    KSTACK0
    CHECK32 ebx, 0x00020000, "o16 POP SS from a 32-bit stack: ESP did not move as ESP (old SS.B)"

    ; ---------------- o32 ENTER / LEAVE on a 16-bit stack ----------------
    mov ax, SEL_S16
    mov ss, ax
    mov esp, 0x55551000
    mov ebp, 0xaaaa2000
    enter 8, 0
    mov [V_TMP + 0x10], ebp
    mov [V_TMP + 0x14], esp
    mov ebp, 0xbbbb0ffc         ; LEAVE takes SP from BP alone
    leave
    mov [V_TMP + 0x18], ebp
    mov [V_TMP + 0x1c], esp
    KSTACK0
    CHECK32 dword [V_TMP + 0x10], 0x55550ffc, "o32 ENTER on a 16-bit stack: EBP is not ESP after the push (upper half zeroed?)"
    CHECK32 dword [V_TMP + 0x14], 0x55550ff4, "o32 ENTER on a 16-bit stack: ESP"
    CHECK32 dword [SEG16_BASE + 0x0ffc], 0xaaaa2000, "o32 ENTER on a 16-bit stack: the pushed EBP"
    CHECK32 dword [V_TMP + 0x18], 0xaaaa2000, "o32 LEAVE on a 16-bit stack: EBP"
    CHECK32 dword [V_TMP + 0x1c], 0x55551000, "o32 LEAVE on a 16-bit stack: ESP is not SP = BP + 4 (upper half kept)"

    ; nesting level 2: one frame pointer copied from [BP - 4], then the new frame
    mov dword [SEG16_BASE + 0x1ffc], 0xdeadbeef
    mov ax, SEL_S16
    mov ss, ax
    mov esp, 0x55551000
    mov ebp, 0xaaaa2000
    enter 8, 2
    mov [V_TMP + 0x10], ebp
    mov [V_TMP + 0x14], esp
    KSTACK0
    CHECK32 dword [V_TMP + 0x10], 0x55550ffc, "o32 ENTER 8, 2 on a 16-bit stack: EBP is not ESP after the push"
    CHECK32 dword [V_TMP + 0x14], 0x55550fec, "o32 ENTER 8, 2 on a 16-bit stack: ESP"
    CHECK32 dword [SEG16_BASE + 0x0ff8], 0xdeadbeef, "o32 ENTER 8, 2 on a 16-bit stack: the copied frame pointer"
    CHECK32 dword [SEG16_BASE + 0x0ff4], 0x55550ffc, "o32 ENTER 8, 2 on a 16-bit stack: the new frame pointer"

    ; ---------------- o16 ENTER / LEAVE on a 32-bit stack ----------------
    mov ebp, 0xaaaa2000
    o16 enter 4, 0
    mov [V_TMP + 0x10], ebp
    mov [V_TMP + 0x14], esp
    mov esp, KSTACK
    CHECK32 dword [V_TMP + 0x10], 0xaaaa0000 | ((KSTACK - 2) & 0xffff), "o16 ENTER on a 32-bit stack: EBP is not BP = SP after the push (upper half kept)"
    CHECK32 dword [V_TMP + 0x14], KSTACK - 6, "o16 ENTER on a 32-bit stack: ESP"
    mov word [KSTACK - 2], 0x2000
    mov esp, 0x12345678
    mov ebp, KSTACK - 2
    o16 leave
    mov [V_TMP + 0x18], ebp
    mov [V_TMP + 0x1c], esp
    mov esp, KSTACK
    CHECK32 dword [V_TMP + 0x18], (KSTACK & 0xffff0000) | 0x2000, "o16 LEAVE on a 32-bit stack: EBP is not BP = the popped word"
    CHECK32 dword [V_TMP + 0x1c], KSTACK, "o16 LEAVE on a 32-bit stack: ESP is not EBP + 2"

    ; ---------------- RETF to ring 3 with a 16-bit SS ----------------
    mov [V_KESP], esp
    push dword SEL_U16
    push dword 0x12340f00
    push dword SEL_UCODE
    push dword ROMBASE + retf16_r3
    retf
retf16_r3:
    mov ax, SEL_UDATA
    mov ds, ax
    mov [R_ESP], esp
    TO_RING0 retf16_r0
retf16_r0:
    CHECK32 dword [R_ESP], (KSTACK & 0xffff0000) | 0x0f00, "RETF to ring 3 with a 16-bit SS: ESP is not the old upper half and the popped SP"

    ; ---------------- IRETD to ring 3 with a 16-bit SS ----------------
    mov [V_KESP], esp
    push dword SEL_U16
    push dword 0x12340f00
    push dword 0x3002
    push dword SEL_UCODE
    push dword ROMBASE + iret16_r3
    iretd
iret16_r3:
    mov ax, SEL_UDATA
    mov ds, ax
    mov [R_ESP], esp
    TO_RING0 iret16_r0
iret16_r0:
    CHECK32 dword [R_ESP], (KSTACK & 0xffff0000) | 0x0f00, "IRETD to ring 3 with a 16-bit SS: ESP is not the old upper half and the popped SP"

    ; ---------------- o16 RETF and IRET to ring 3 with a 32-bit SS ----------------
    mov [V_KESP], esp
    push word SEL_UDATA
    push word 0x0f00
    push word SEL_UCODEF
    push word o16retf_r3
    o16 retf
o16retf_r3:                     ; CS base F0000
    mov ax, SEL_UDATA
    mov ds, ax
    mov [R_ESP], esp
    TO_RING0 o16retf_r0
o16retf_r0:
    CHECK32 dword [R_ESP], 0x0f00, "o16 RETF to ring 3 with a 32-bit SS: ESP is not the zero-extended SP"

    mov [V_KESP], esp
    push word SEL_UDATA
    push word 0x0f00
    push word 0x3002
    push word SEL_UCODEF
    push word o16iret_r3
    o16 iret
o16iret_r3:
    mov ax, SEL_UDATA
    mov ds, ax
    mov [R_ESP], esp
    TO_RING0 o16iret_r0
o16iret_r0:
    CHECK32 dword [R_ESP], 0x0f00, "o16 IRET to ring 3 with a 32-bit SS: ESP is not the zero-extended SP"

    ; ---------------- far CALL overrunning the current stack at CPL 0: #SS(0) ----------------
    mov edi, TSSS
    mov ecx, 0x68
    xor eax, eax
    rep stosb
    mov dword [TSSS + 0x20], ROMBASE + ss_task
    mov dword [TSSS + 0x24], 0x2
    mov dword [TSSS + 0x38], STACKS
    mov dword [TSSS + 0x4c], SEL_KCODE
    mov dword [TSSS + 0x50], SEL_KDATA
    mov dword [TSSS + 0x48], SEL_KDATA
    mov dword [TSSS + 0x54], SEL_KDATA
    mov word [TSSS + 0x66], 0x68
    SET_GATE 12, 0, SEL_TSSS, GATE_TASK
    mov dword [SS_CNT], 0
    mov dword [SS_ERR], 0xffffffff
    mov ax, SEL_SMALL
    mov ss, ax
    mov esp, 0x1004             ; limit 0xfff: the pushes do not fit
    call SEL_KCODE:ROMBASE + ss_called
ss_called:
    KSTACK0
    QEMU_GAP ss_done, "a far CALL past the stack limit"
ss_back:                        ; the #SS task returns here (ESP = KSTACK, SS flat)
    CHECK32 dword [SS_CNT], 1, "far CALL past the stack limit at CPL 0: no single #SS"
    CHECK32 dword [SS_ERR], 0, "far CALL past the stack limit at CPL 0: #SS error code is not 0"
ss_done:
    clts

    PASS

; The #SS task: note the error code, send TSS0 to ss_back on a good stack, IRET back.
ss_task:
    pop eax
    mov [SS_ERR], eax
    inc dword [SS_CNT]
    mov dword [TSS0_BASE + 0x20], ROMBASE + ss_back
    mov dword [TSS0_BASE + 0x38], KSTACK
    mov dword [TSS0_BASE + 0x50], SEL_KDATA
    iretd
    jmp ss_task

ROM_END
