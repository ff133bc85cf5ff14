; Virtual-8086 mode (SDM Vol. 3A ch. 20) under a ring-0 monitor: IRETD
; into V86 with IOPL 0; INT n, CLI, STI, PUSHF and POPF trap with #GP(0)
; and are emulated by the monitor; OUT to a port the TSS I/O bitmap allows
; (0xE9) runs, to a denied one (0x80) traps; the #GP frame from V86 (error
; code, CS:EIP, EFLAGS with VM, SS:ESP, ES DS FS GS) and the nulled data
; segments in the handler; INT3 is not IOPL-sensitive (it goes through a
; DPL-3 gate to its handler); finally INT 0x20 makes the monitor return to
; 32-bit protected mode. Word accesses check two bits of the bitmap (port
; 0x7f with 0x80; port 0xff with the bit of 0x100, in the terminating 0xff
; byte). Then again with IOPL 3: CLI/STI/PUSHF/POPF run without trapping
; (POPF keeps IOPL), INT 0x40 goes through a DPL-3 gate straight to its
; ring-0 handler with the V86 frame, INT 0x41 through a DPL-0 gate raises
; #GP(0x41 * 8 + 2).
%include "sys.inc"
ROM_BEGIN
SYS_CODE

%define V86_SEG    0x0800       ; code copied to 0x8000, CS = 0x0800
%define V86_LIN    0x8000
%define V86_SS     0x0600
%define V86_SP     0x0800
%define V86_ES     0x0900
%define V86_FS     0x0a00
%define V86_GS     0x0b00

%define LOG        0x9000       ; one 64-byte entry per trap
%define LOG_MAX    16
%define LOG_CNT    V_TMP + 0x00
%define VIF        V_TMP + 0x04 ; the monitor's virtual IF
%define PORT_LAST  V_TMP + 0x08 ; port of the last trapped OUT
%define OUT_VAL    V_TMP + 0x0c ; AL of that OUT
%define R40        V_TMP + 0x40 ; INT 0x40 handler: 9-dword frame, then
                                ; its DS ES FS GS, EFLAGS, ESP, count
%define R40_HDS    R40 + 36
%define R40_HEFL   R40 + 52
%define R40_HESP   R40 + 56
%define R40_CNT    R40 + 60
%define R3_EIP     V_TMP + 0x10 ; INT3 handler: saved EIP, CS, EFLAGS, count
%define R3_CS      V_TMP + 0x14
%define R3_EFL     V_TMP + 0x18
%define R3_CNT     V_TMP + 0x1c

; log entry: frame (10 dwords: ERR EIP CS EFLAGS ESP SS ES DS FS GS), then
; the handler's DS ES FS GS, its ESP, CS, SS, and the opcode
%define L_ERR   0
%define L_EIP   4
%define L_CS    8
%define L_EFL   12
%define L_ESP   16
%define L_SS    20
%define L_ES    24
%define L_DS    28
%define L_FS    32
%define L_GS    36
%define L_HDS   40
%define L_HES   44
%define L_HFS   48
%define L_HGS   52
%define L_HESP  56
%define L_OP    60

; IP of a label of the V86 block
%define VIP(l) ((l) - v86_block)

    align 8
gdt_template:
    GDT_COMMON
gdt_template_end:

; CHECK_LOG n, field, value, "message"
%macro CHECK_LOG 4
    CHECK32 dword [LOG + (%1) * 64 + (%2)], %3, %4
%endmacro

; CHECK_TRAP n, opcode, label: entry n is #GP(0) from V86 at label
%macro CHECK_TRAP 3
    CHECK_LOG %1, L_OP, %2, %strcat("trap ", %str(%1), ": wrong instruction trapped")
    CHECK_LOG %1, L_EIP, VIP(%3), %strcat("trap ", %str(%1), ": wrong saved EIP")
    CHECK_LOG %1, L_ERR, 0, %strcat("trap ", %str(%1), ": error code is not 0")
    CHECK_LOG %1, L_CS, V86_SEG, %strcat("trap ", %str(%1), ": saved CS")
    mov eax, [LOG + (%1) * 64 + L_EFL]
    and eax, EFL_VM | 0x3000
    CHECK32 eax, EFL_VM, %strcat("trap ", %str(%1), ": saved EFLAGS: VM 1, IOPL 0 expected")
    CHECK_LOG %1, L_HDS, 0, %strcat("trap ", %str(%1), ": DS not null in the handler")
%endmacro

    bits 32
main:
    SET_GATE 13, ROMBASE + monitor_gp, SEL_KCODE, GATE_INT0
    SET_GATE 3, ROMBASE + int3_handler, SEL_KCODE, GATE_INT3
    mov dword [R3_CNT], 0
    mov esi, ROMBASE + v86_block
    mov edi, V86_LIN
    mov ecx, v86_end - v86_block
    rep movsb
    mov dword [LOG_CNT], 0
    mov dword [VIF], 1
    mov dword [PORT_LAST], 0xffffffff

    ; IRETD into V86 mode
    PUTS32 "entering V86 mode"
    mov [V_KESP], esp
    push dword V86_GS
    push dword V86_FS
    push dword V86_SEG              ; DS
    push dword V86_ES
    push dword V86_SS
    push dword V86_SP
    push dword EFL_VM | 0x202       ; VM, IF, IOPL 0
    push dword V86_SEG
    push dword VIP(v86_start)
    iretd

v86_exited:
    ; back in 32-bit protected mode at ring 0
    mov eax, cs
    CHECK32 eax, SEL_KCODE, "monitor exit: CS"
    pushfd
    pop eax
    and eax, EFL_VM
    CHECK32 eax, 0, "monitor exit: VM still set"
    PUTS32 "back from V86 mode"
    CHECK32 dword [LOG_CNT], 13, "V86: wrong number of traps"

    CHECK32 dword [R3_CNT], 1, "INT3 in V86 with IOPL 0: its handler did not run once"
    CHECK32 dword [R3_EIP], VIP(v_int3_ret), "INT3 in V86: saved EIP"
    CHECK32 dword [R3_CS], V86_SEG, "INT3 in V86: saved CS"
    mov eax, [R3_EFL]
    and eax, EFL_VM
    CHECK32 eax, EFL_VM, "INT3 in V86: VM not set in the saved EFLAGS"

    ; the first trap in detail: INT 0x21
    CHECK_TRAP 0, 0xcd, v_int21
    CHECK_LOG 0, L_ESP, V86_SP, "INT 0x21 trap: saved ESP"
    CHECK_LOG 0, L_SS, V86_SS, "INT 0x21 trap: saved SS"
    CHECK_LOG 0, L_ES, V86_ES, "INT 0x21 trap: saved ES"
    CHECK_LOG 0, L_DS, V86_SEG, "INT 0x21 trap: saved DS"
    CHECK_LOG 0, L_FS, V86_FS, "INT 0x21 trap: saved FS"
    CHECK_LOG 0, L_GS, V86_GS, "INT 0x21 trap: saved GS"
    CHECK_LOG 0, L_HES, 0, "INT 0x21 trap: ES not null in the handler"
    CHECK_LOG 0, L_HFS, 0, "INT 0x21 trap: FS not null in the handler"
    CHECK_LOG 0, L_HGS, 0, "INT 0x21 trap: GS not null in the handler"
    CHECK_LOG 0, L_HESP, STACK0_TSS - 40, "INT 0x21 trap: handler ESP is not ESP0 - 40"
    mov eax, [LOG + L_EFL]
    and eax, 0x200
    CHECK32 eax, 0x200, "INT 0x21 trap: saved EFLAGS.IF"
    CHECK_TRAP 1, 0xfa, v_cli1
    CHECK_TRAP 2, 0xfb, v_sti
    CHECK_TRAP 3, 0xfa, v_cli2
    CHECK_TRAP 4, 0x9c, v_pushf1
    CHECK_LOG 4, L_ESP, V86_SP, "PUSHF trap: saved ESP"
    CHECK_TRAP 5, 0x9d, v_popf
    CHECK_LOG 5, L_ESP, V86_SP - 2, "POPF trap: saved ESP"
    CHECK_TRAP 6, 0x9c, v_pushf2
    CHECK_TRAP 7, 0xe6, v_out80
    CHECK_TRAP 8, 0xe4, v_in80
    CHECK_TRAP 9, 0xee, v_outdx80
    CHECK32 dword [OUT_VAL], 0x22, "the last trapped OUT (word to 0x7f): AL"
    CHECK32 dword [PORT_LAST], 0x7f, "the last trapped OUT is not to port 0x7f"
    CHECK_TRAP 10, 0xe7, v_outw7f
    CHECK_TRAP 11, 0xe5, v_inwff
    CHECK_TRAP 12, 0xcd, v_exit

    ; ---------------- again with IOPL 3 ----------------
    SET_GATE 0x40, ROMBASE + int40_handler, SEL_KCODE, GATE_INT3
    SET_GATE 0x41, ROMBASE + int41_handler, SEL_KCODE, GATE_INT0
    SET_GATE 0x42, ROMBASE + int42_handler, SEL_KCODE, GATE_INT3
    SET_GATE 0x43, ROMBASE + int43_handler, SEL_KCODE, GATE_INT3
    mov dword [R40_CNT], 0
    PUTS32 "entering V86 mode with IOPL 3"
    mov [V_KESP], esp
    push dword V86_GS
    push dword V86_FS
    push dword V86_SEG
    push dword V86_ES
    push dword V86_SS
    push dword V86_SP
    push dword EFL_VM | 0x3202      ; VM, IOPL 3, IF
    push dword V86_SEG
    push dword VIP(v86_iopl3)
    iretd

v86_exited2:
    PUTS32 "back from V86 mode (IOPL 3)"
    CHECK32 dword [LOG_CNT], 14, "V86 IOPL 3: wrong number of #GP traps"
    CHECK_LOG 13, L_OP, 0xcd, "INT 0x41 (DPL-0 gate): wrong instruction trapped"
    CHECK_LOG 13, L_EIP, VIP(v3_int41), "INT 0x41 (DPL-0 gate): saved EIP"
    CHECK_LOG 13, L_ERR, 0x41 * 8 + 2, "INT 0x41 (DPL-0 gate): error code"
    mov eax, [LOG + 13 * 64 + L_EFL]
    and eax, EFL_VM | 0x3000
    CHECK32 eax, EFL_VM | 0x3000, "INT 0x41 #GP: saved EFLAGS: VM 1, IOPL 3 expected"
    CHECK32 dword [R40_CNT], 1, "INT 0x40: handler not run once"
    CHECK32 dword [R40], VIP(v3_int40_ret), "INT 0x40: saved EIP is not the next instruction"
    CHECK32 dword [R40 + 4], V86_SEG, "INT 0x40: saved CS"
    mov eax, [R40 + 8]
    and eax, EFL_VM | 0x3200
    CHECK32 eax, EFL_VM | 0x3200, "INT 0x40: saved EFLAGS: VM, IOPL 3, IF expected"
    CHECK32 dword [R40 + 12], V86_SP, "INT 0x40: saved ESP"
    CHECK32 dword [R40 + 16], V86_SS, "INT 0x40: saved SS"
    CHECK32 dword [R40 + 20], V86_ES, "INT 0x40: saved ES"
    CHECK32 dword [R40 + 24], V86_SEG, "INT 0x40: saved DS"
    CHECK32 dword [R40 + 28], V86_FS, "INT 0x40: saved FS"
    CHECK32 dword [R40 + 32], V86_GS, "INT 0x40: saved GS"
    CHECK32 dword [R40_HDS], 0, "INT 0x40: DS not null in the handler"
    CHECK32 dword [R40_HDS + 4], 0, "INT 0x40: ES not null in the handler"
    CHECK32 dword [R40_HDS + 8], 0, "INT 0x40: FS not null in the handler"
    CHECK32 dword [R40_HDS + 12], 0, "INT 0x40: GS not null in the handler"
    mov eax, [R40_HEFL]
    and eax, EFL_VM | 0x200
    CHECK32 eax, 0, "INT 0x40: VM or IF still set in the handler"
    CHECK32 dword [R40_HESP], STACK0_TSS - 36, "INT 0x40: handler ESP is not ESP0 - 36"
    PUTS32 "sys_v86: all checks passed"
    PASS

; INT 0x40 from V86 with IOPL 3: record the frame and the handler's state
int40_handler:
    push eax
    mov eax, ds
    mov [ss:R40_HDS], eax
    mov eax, es
    mov [ss:R40_HDS + 4], eax
    mov eax, fs
    mov [ss:R40_HDS + 8], eax
    mov eax, gs
    mov [ss:R40_HDS + 12], eax
    pushfd
    pop eax
    mov [ss:R40_HEFL], eax
    lea eax, [esp + 4]
    mov [ss:R40_HESP], eax
    push ecx
    xor ecx, ecx
.copy:
    mov eax, [esp + 8 + ecx * 4]
    mov [ss:R40 + ecx * 4], eax
    inc ecx
    cmp ecx, 9
    jne .copy
    pop ecx
    inc dword [ss:R40_CNT]
    pop eax
    iretd

; INT3 from V86 (IOPL 0) through its DPL-3 gate
int3_handler:
    push eax
    mov eax, [esp + 4]
    mov [ss:R3_EIP], eax
    mov eax, [esp + 8]
    mov [ss:R3_CS], eax
    mov eax, [esp + 12]
    mov [ss:R3_EFL], eax
    inc dword [ss:R3_CNT]
    pop eax
    iretd

int41_handler:
    FAIL32 "INT 0x41 from V86 reached its DPL-0 gate"

; INT 0x42: leave V86 mode (IOPL 3)
int42_handler:
    mov ax, SEL_KDATA
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov esp, [V_KESP]
    jmp v86_exited2

; INT 0x43: the V86 code found an error (code in AL)
int43_handler:
    push eax
    mov ax, SEL_KDATA
    mov ds, ax
    mov es, ax
    PUTSN32 "V86 code (IOPL 3) reported failure "
    pop eax
    and eax, 0xff
    call sys_hex32
    FAIL32 ""

; ---------------- the monitor's #GP handler ----------------
monitor_gp:
    push eax
    ; the data segment registers as the handler finds them
    mov eax, ds
    mov [ss:V_TMP + 0x20], eax
    mov eax, es
    mov [ss:V_TMP + 0x24], eax
    mov eax, fs
    mov [ss:V_TMP + 0x28], eax
    mov eax, gs
    mov [ss:V_TMP + 0x2c], eax
    mov ax, SEL_KDATA
    mov ds, ax
    mov es, ax
    push ecx
    push esi
    push edi
    ; [esp + 16] = error code, then EIP CS EFLAGS ESP SS ES DS FS GS
    test dword [esp + 28], EFL_VM
    jnz .from_v86
    FAIL32 "#GP not from V86 mode"
.from_v86:
    mov eax, [LOG_CNT]
    cmp eax, LOG_MAX
    jb .room
    FAIL32 "too many V86 traps"
.room:
    shl eax, 6
    lea edi, [LOG + eax]
    lea esi, [esp + 16]
    mov ecx, 10
    rep movsd
    mov esi, V_TMP + 0x20
    mov ecx, 4
    rep movsd
    lea eax, [esp + 16]             ; ESP at the first instruction
    stosd
    inc dword [LOG_CNT]
    ; the trapping opcode at CS * 16 + IP
    movzx esi, word [esp + 24]
    shl esi, 4
    movzx eax, word [esp + 20]
    add esi, eax
    movzx eax, byte [esi]
    mov [edi], eax                  ; L_OP
    cmp al, 0xcd
    je .int
    cmp al, 0xfa
    je .cli
    cmp al, 0xfb
    je .sti
    cmp al, 0x9c
    je .pushf
    cmp al, 0x9d
    je .popf
    cmp al, 0xe6
    je .out_imm
    cmp al, 0xe4
    je .in_imm
    cmp al, 0xee
    je .out_dx
    cmp al, 0xe7
    je .out_imm
    cmp al, 0xe5
    je .in_imm
    FAIL32 "V86 trap on an instruction the monitor does not know"
.int:
    movzx eax, byte [esi + 1]
    cmp al, 0x20
    je .exit
    cmp al, 0x22
    je .v86_failed
    add dword [esp + 20], 2         ; emulated as a no-op
    jmp .back
.cli:
    mov dword [VIF], 0
    inc dword [esp + 20]
    jmp .back
.sti:
    mov dword [VIF], 1
    inc dword [esp + 20]
    jmp .back
.pushf:
    mov eax, [esp + 28]             ; FLAGS with IF replaced by VIF
    and eax, ~0x200
    cmp dword [VIF], 0
    je .pf1
    or eax, 0x200
.pf1:
    sub word [esp + 32], 2
    movzx esi, word [esp + 36]
    shl esi, 4
    movzx ecx, word [esp + 32]
    mov [esi + ecx], ax
    inc dword [esp + 20]
    jmp .back
.popf:
    movzx esi, word [esp + 36]
    shl esi, 4
    movzx ecx, word [esp + 32]
    movzx eax, word [esi + ecx]
    add word [esp + 32], 2
    and eax, 0x200
    shr eax, 9
    mov [VIF], eax
    inc dword [esp + 20]
    jmp .back
.out_imm:
    movzx eax, byte [esi + 1]
    mov [PORT_LAST], eax
    movzx eax, byte [esp + 12]      ; the V86 AL
    mov [OUT_VAL], eax
    add dword [esp + 20], 2
    jmp .back
.in_imm:
    mov byte [esp + 12], 0x77       ; AL = 0x77
    add dword [esp + 20], 2
    jmp .back
.out_dx:
    mov eax, edx                    ; EDX is still the V86 one
    and eax, 0xffff
    mov [PORT_LAST], eax
    movzx eax, byte [esp + 12]
    mov [OUT_VAL], eax
    inc dword [esp + 20]
.back:
    pop edi
    pop esi
    pop ecx
    pop eax
    add esp, 4                      ; the error code
    iretd
.exit:
    mov ax, SEL_KDATA
    mov fs, ax
    mov gs, ax
    mov esp, [V_KESP]
    jmp v86_exited
.v86_failed:
    PUTSN32 "V86 code reported failure "
    movzx eax, byte [esp + 12]
    call sys_hex32
    FAIL32 ""

; ---------------- V86 code (copied to 0800:0000) ----------------
    bits 16
v86_block:
v86_start:
    mov ax, 0x1234
    mov bx, 0x5678
v_int21:
    int 0x21
    cmp ax, 0x1234
    je .a
    mov al, 1
    int 0x22
.a: cmp bx, 0x5678
    je .b
    mov al, 2
    int 0x22
.b: mov ax, ds
    cmp ax, V86_SEG
    je .c
    mov al, 3
    int 0x22
.c: mov ax, es
    cmp ax, V86_ES
    je .d
    mov al, 4
    int 0x22
.d: mov ax, ss
    cmp ax, V86_SS
    je .e
    mov al, 5
    int 0x22
.e: cmp sp, V86_SP
    je .f
    mov al, 6
    int 0x22
.f:
v_cli1:
    cli
v_sti:
    sti
v_cli2:
    cli
v_pushf1:
    pushf                           ; the monitor pushes VIF = 0
    pop bx
    test bx, 0x200
    jz .g
    mov al, 7
    int 0x22
.g: push word 0x0200
v_popf:
    popf                            ; VIF = 1
v_pushf2:
    pushf
    pop bx
    test bx, 0x200
    jnz .h
    mov al, 8
    int 0x22
.h: ; allowed by the I/O bitmap: no trap, the bytes reach the console
    mov al, 'V'
    out 0xe9, al
    mov dx, 0xe9
    mov al, '8'
    out dx, al
    mov al, '6'
    out dx, al
    mov al, 10
    out 0xe9, al
    int3                            ; not IOPL-sensitive: no #GP
v_int3_ret:
    mov al, 0x11
v_out80:
    out 0x80, al                    ; denied: trap
v_in80:
    in al, 0x80                     ; denied: trap, the monitor gives 0x77
    cmp al, 0x77
    je .i
    mov al, 9
    int 0x22
.i: mov dx, 0x80
v_outdx80:
    out dx, al                      ; denied: trap
    mov al, 0x22
    out 0x7f, al                    ; byte to 0x7f: allowed
v_outw7f:
    out 0x7f, ax                    ; word: 0x7f and 0x80: trap
    in al, 0xff                     ; byte from 0xff: allowed
v_inwff:
    in ax, 0xff                     ; word: 0xff and 0x100: trap
v_exit:
    int 0x20
    mov al, 10
    int 0x22

; with IOPL 3; failures: INT 0x43 with a code in AL
v86_iopl3:
    cli                             ; no trap
    pushf
    pop bx
    test bx, 0x200
    jz .a
    mov al, 0x20
    int 0x43
.a: mov ax, bx
    and ax, 0x3000
    cmp ax, 0x3000
    je .b
    mov al, 0x21                    ; PUSHF must show IOPL 3
    int 0x43
.b: sti
    pushf
    pop bx
    test bx, 0x200
    jnz .c
    mov al, 0x22
    int 0x43
.c: push word 0x0002                ; IF 0, IOPL 0
    popf
    pushf
    pop bx
    test bx, 0x200
    jz .d
    mov al, 0x23                    ; POPF must change IF
    int 0x43
.d: mov ax, bx
    and ax, 0x3000
    cmp ax, 0x3000
    je .e
    mov al, 0x24                    ; ... but not IOPL
    int 0x43
.e: sti
    mov ax, 0x4444
    int 0x40
v3_int40_ret:
    cmp ax, 0x4444
    je .f
    mov al, 0x25
    int 0x43
.f:
v3_int41:
    int 0x41                        ; DPL-0 gate: #GP to the monitor
    int 0x42
    mov al, 0x26
    int 0x43
v86_end:

ROM_END
