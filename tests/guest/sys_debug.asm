; Debug features (SDM Vol. 3A ch. 17): an instruction breakpoint in DR0
; enabled by DR7 (#DB fault before the instruction, DR6.B0, the saved EIP
; at the instruction), RF set by the handler letting the instruction run
; once, TF single-step traps (DR6.BS, one trap per instruction, the saved
; EIP after each instruction), INT1/ICEBP (a #DB trap after it), data
; breakpoints (R/W = 01 writes, 11 reads and writes: a #DB trap after the
; access, LEN aligning the address, a REP string instruction trapping after
; the iteration), DR7.GD (a #DB fault on MOV DR, DR6.BD), and a single-step
; trace compared line by line with a P6's: a REP string instruction traps
; after each iteration with EIP at it until the count runs out (once, after
; it, when ECX is 0), and MOV SS and POP SS hold the trap off until after
; the next instruction, as they hold off a data breakpoint's trap (one on
; MOV SS's operand traps after the instruction that follows it).
%include "sys.inc"
ROM_BEGIN
SYS_CODE

%define C_DB    V_TMP + 0x00    ; #DB deliveries seen by db_handler
%define C_EIP   V_TMP + 0x04    ; the EIPs it saw (up to 8)
%define C_DR6   V_TMP + 0x24    ; DR6 at the last delivery
%define C_MODE  V_TMP + 0x28    ; 1: set RF and return; 2: count steps, clear TF after 3
%define C_VAL   V_TMP + 0x2c
%define C_ECX   V_TMP + 0x30    ; ECX at the last delivery
%define C_DATA  V_TMP + 0x40    ; 16 bytes, 16-aligned, watched by the data breakpoints
%define C_BUF   V_TMP + 0x60    ; 32 bytes for REP STOSD
%define C_TRACE V_TMP + 0x80    ; the single-step trace: (EIP, ECX) pairs
%define TRACE_MAX 16

    align 8
gdt_template:
    GDT_COMMON
gdt_template_end:

    bits 32
main:
    ; ---------------- instruction breakpoint: a fault before the instruction ----------------
    mov eax, ROMBASE + bp_target
    mov dr0, eax
    xor eax, eax
    mov dr6, eax
    mov eax, 0x00000001         ; L0, R/W0 = 00 (execution), LEN0 = 00
    mov dr7, eax
    ARM bp_resumed
    mov dword [C_VAL], 0
    jmp bp_target
    nop
bp_target:
    mov dword [C_VAL], 1        ; must not run before the #DB
bp_resumed:
    EXPECT 1, 0, bp_target, "execution breakpoint in DR0"
    CHECK32 dword [C_VAL], 0, "execution breakpoint: the instruction ran before the #DB"
    mov eax, dr6
    and eax, 0x0000400f
    CHECK32 eax, 1, "execution breakpoint: DR6 does not say B0"

    ; ---------------- RF: the handler sets it and the instruction runs once ----------------
    SET_GATE 1, ROMBASE + db_handler, SEL_KCODE, GATE_INT0
    mov eax, ROMBASE + bp_target2
    mov dr0, eax
    mov dword [C_DB], 0
    mov dword [C_MODE], 1
    mov dword [C_VAL], 0
    jmp bp_target2
bp_target2:
    add dword [C_VAL], 1
    CHECK32 dword [C_DB], 1, "breakpoint with RF set by the handler: not exactly one #DB"
    CHECK32 dword [C_VAL], 1, "breakpoint with RF: the instruction did not run exactly once"
    CHECK32 dword [C_EIP], ROMBASE + bp_target2, "breakpoint with RF: wrong saved EIP"
    xor eax, eax
    mov dr7, eax

    ; ---------------- TF single-step: a trap after each instruction ----------------
    mov dword [C_DB], 0
    mov dword [C_MODE], 2
    xor eax, eax
    mov dr6, eax
    pushfd
    or dword [esp], 0x100
    popfd                        ; TF takes effect after POPFD
step1:
    inc eax
step2:
    inc eax
step3:
    inc eax                      ; the handler clears TF after the third trap
step4:
    inc eax
    CHECK32 eax, 4, "single-step: the stepped instructions did not all run"
    CHECK32 dword [C_DB], 3, "single-step: not one trap per instruction"
    CHECK32 dword [C_EIP], ROMBASE + step2, "single-step: first trap's saved EIP"
    CHECK32 dword [C_EIP + 4], ROMBASE + step3, "single-step: second trap's saved EIP"
    CHECK32 dword [C_EIP + 8], ROMBASE + step4, "single-step: third trap's saved EIP"
    mov eax, [C_DR6]
    test eax, 0x4000
    jnz .bs
    FAIL32 "single-step: DR6.BS is clear"
.bs:

    ; ---------------- a single-step trace: REP iterations, MOV SS and POP SS ----------------
    ; Each trap records (EIP, ECX); the trace must match trace_want line by line.
    SET_GATE 1, ROMBASE + trace_handler, SEL_KCODE, GATE_INT0
    mov dword [C_DB], 0
    mov edi, C_TRACE
    mov ecx, TRACE_MAX * 2
    xor eax, eax
    rep stosd
    push es
    mov ax, ds
    mov es, ax
    mov edi, C_BUF
    cld
    pushfd
    or dword [esp], 0x100
    popfd
tr_0:
    mov ecx, 3                  ; a trap after it
tr_rep:
    rep stosb                   ; a trap after each of the three iterations
tr_1:
    xor ecx, ecx
tr_rep0:
    rep stosb                   ; ECX = 0: one trap, after it
tr_2:
    mov ax, ss
tr_movss:
    mov ss, ax                  ; no trap after MOV SS ...
tr_3:
    nop                         ; ... but after the next instruction
tr_4:
    push ss
tr_popss:
    pop ss                      ; no trap after POP SS ...
tr_5:
    mov ecx, 7                  ; ... but after the next instruction
tr_6:
    nop                         ; the handler clears TF at tr_end
tr_end:
    pop es
    mov ebx, [C_DB]
    cmp ebx, TRACE_MAX
    jbe .count_ok
    mov ebx, TRACE_MAX
.count_ok:
    xor esi, esi
.line:
    cmp esi, trace_want_n
    jae .lines_done
    cmp esi, ebx
    jae .short
    mov eax, [C_TRACE + esi * 8]
    cmp eax, [ROMBASE + trace_want + esi * 8]
    jne .differ
    mov eax, [C_TRACE + esi * 8 + 4]
    cmp eax, [ROMBASE + trace_want + esi * 8 + 4]
    jne .differ
    inc esi
    jmp .line
.short:
    FAIL32 "single-step trace: fewer traps than expected"
.differ:
    PUTSN32 "single-step trace: line "
    mov eax, esi
    call put_dec
    FAIL32 " differs (EIP, ECX)"
.lines_done:
    CHECK32 dword [C_DB], trace_want_n, "single-step trace: more traps than expected"
    SET_GATE 1, ROMBASE + db_handler, SEL_KCODE, GATE_INT0

    ; ---------------- ICEBP (F1): a #DB trap after it ----------------
    QEMU_SKIP icebp_done, "ICEBP (QEMU 7.2 raises #UD for it)"
    mov dword [C_DB], 0
    mov dword [C_MODE], 0
    db 0xf1
icebp_after:
    CHECK32 dword [C_DB], 1, "ICEBP: no #DB"
    CHECK32 dword [C_EIP], ROMBASE + icebp_after, "ICEBP: the saved EIP is not after it"
icebp_done:

    ; ---------------- data breakpoint, writes only (R/W = 01), 4 bytes ----------------
    mov dword [C_MODE], 0
    mov dword [C_DB], 0
    xor eax, eax
    mov dr6, eax
    mov eax, C_DATA
    mov dr1, eax
    mov eax, 0x00d00004          ; L1, R/W1 = 01, LEN1 = 11
    mov dr7, eax
    mov eax, [C_DATA]            ; a read: no trap
    mov word [C_DATA + 4], 7     ; next to the range: no trap
    CHECK32 dword [C_DB], 0, "write breakpoint: a read or a write beside it trapped"
    mov byte [C_DATA + 1], 5
w_after:
    CHECK32 dword [C_DB], 1, "write breakpoint: no single #DB for a write into its range"
    CHECK32 dword [C_EIP], ROMBASE + w_after, "write breakpoint: the trap's saved EIP"
    mov eax, [C_DR6]
    and eax, 0xf
    CHECK32 eax, 2, "write breakpoint: DR6 does not say B1 alone"
    ; LEN 4 ignores the low two address bits (QEMU 7.2 watches from the unaligned address).
    QEMU_SKIP align_done, "data breakpoint address alignment"
    mov dword [C_DB], 0
    mov eax, C_DATA + 2
    mov dr1, eax
    mov byte [C_DATA], 9
    CHECK32 dword [C_DB], 1, "write breakpoint: an unaligned DR1 is not aligned down to LEN"
align_done:

    ; ---------------- data breakpoint, reads and writes (R/W = 11), 2 bytes ----------------
    mov dword [C_DB], 0
    mov eax, C_DATA + 8
    mov dr2, eax
    mov eax, 0x07000010          ; L2, R/W2 = 11, LEN2 = 01
    mov dr7, eax
    mov eax, [C_DATA + 4]        ; C_DATA+4..7: beside it
    CHECK32 dword [C_DB], 0, "read/write breakpoint: an access beside it trapped"
    mov ax, [C_DATA + 9]         ; overlaps its second byte
rw_after:
    CHECK32 dword [C_DB], 1, "read/write breakpoint: no single #DB for a read"
    CHECK32 dword [C_EIP], ROMBASE + rw_after, "read/write breakpoint: the trap's saved EIP"
    mov eax, [C_DR6]
    and eax, 0xf
    CHECK32 eax, 4, "read/write breakpoint: DR6 does not say B2 alone"

    ; ---------------- REP STOSD: the trap comes after the iteration ----------------
    mov dword [C_DB], 0
    mov eax, C_BUF + 8
    mov dr3, eax
    mov eax, 0xd0000040          ; L3, R/W3 = 01, LEN3 = 11
    mov dr7, eax
    push es
    mov ax, ds
    mov es, ax
    mov edi, C_BUF
    mov ecx, 8
    mov eax, 0x11111111
    cld
rep_insn:
    rep stosd
    pop es
    CHECK32 dword [C_DB], 1, "REP STOSD over a write breakpoint: not one #DB"
    CHECK32 dword [C_EIP], ROMBASE + rep_insn, "REP STOSD: the trap did not return into the REP"
    CHECK32 dword [C_ECX], 5, "REP STOSD: the trap did not come right after the third store"
    CHECK32 ecx, 0, "REP STOSD: did not finish after the trap"
    CHECK32 dword [C_BUF + 28], 0x11111111, "REP STOSD: the last store is missing"
    xor eax, eax
    mov dr7, eax

    ; ---------------- a data breakpoint on MOV SS's operand: the trap waits one instruction ----------------
    ; (the hardware behaviour behind CVE-2018-8897; QEMU 7.2 traps right after MOV SS)
    QEMU_SKIP ssbp_done, "a data breakpoint on MOV SS held off"
    mov dword [C_DB], 0
    mov dword [C_MODE], 0
    mov word [C_DATA], SEL_KDATA
    xor eax, eax
    mov dr6, eax
    mov eax, C_DATA
    mov dr0, eax
    mov eax, 0x00030001          ; L0, R/W0 = 11, LEN0 = 00
    mov dr7, eax
    mov ss, [C_DATA]             ; hits DR0; no trap after MOV SS ...
ssbp_next:
    nop                          ; ... but after the next instruction
ssbp_after:
    xor eax, eax
    mov dr7, eax
    CHECK32 dword [C_DB], 1, "data breakpoint on MOV SS: not one #DB"
    CHECK32 dword [C_EIP], ROMBASE + ssbp_after, "data breakpoint on MOV SS: the trap did not wait for the next instruction"
    mov eax, [C_DR6]
    and eax, 0xf
    CHECK32 eax, 1, "data breakpoint on MOV SS: DR6 does not say B0 alone"
ssbp_done:

    ; ---------------- DR7.GD: a #DB fault before MOV DR ----------------
    QEMU_SKIP gd_done, "DR7.GD (QEMU 7.2 ignores it)"
    mov dword [C_DB], 0
    xor eax, eax
    mov dr6, eax
    mov eax, 0x2400              ; GD
    mov dr7, eax
gd_insn:
    mov eax, dr0                 ; faults; the handler runs with GD clear, then this runs
    CHECK32 dword [C_DB], 1, "DR7.GD: MOV from DR0 did not fault once"
    CHECK32 dword [C_EIP], ROMBASE + gd_insn, "DR7.GD: the fault's saved EIP"
    mov eax, [C_DR6]
    and eax, 0x2000
    CHECK32 eax, 0x2000, "DR7.GD: DR6.BD is clear"
    mov eax, dr7
    and eax, 0x2000
    CHECK32 eax, 0, "DR7.GD: GD was not cleared"
gd_done:

    PASS

; The #DB handler of the trace: (EIP, ECX) per trap; TF cleared at tr_end.
trace_handler:
    push eax
    push ebx
    mov ebx, [C_DB]
    cmp ebx, TRACE_MAX
    jae .full
    mov eax, [esp + 8]           ; saved EIP
    mov [C_TRACE + ebx * 8], eax
    mov [C_TRACE + ebx * 8 + 4], ecx
.full:
    inc dword [C_DB]
    cmp dword [esp + 8], ROMBASE + tr_end
    jne .out
    and dword [esp + 16], ~0x100
.out:
    pop ebx
    pop eax
    iretd

; The trace a P6 gives: after MOV SS and POP SS no trap, a REP traps per iteration.
    align 4
trace_want:
    dd ROMBASE + tr_rep, 3       ; after MOV ECX, 3
    dd ROMBASE + tr_rep, 2       ; first iteration
    dd ROMBASE + tr_rep, 1       ; second
    dd ROMBASE + tr_1, 0         ; third and last
    dd ROMBASE + tr_rep0, 0      ; after XOR ECX, ECX
    dd ROMBASE + tr_2, 0         ; REP with ECX = 0
    dd ROMBASE + tr_movss, 0     ; after MOV AX, SS
    dd ROMBASE + tr_4, 0         ; after MOV SS and NOP together
    dd ROMBASE + tr_popss, 0     ; after PUSH SS
    dd ROMBASE + tr_6, 7         ; after POP SS and MOV ECX, 7 together
    dd ROMBASE + tr_end, 7       ; after NOP
trace_want_end:
trace_want_n equ (trace_want_end - trace_want) / 8

; Print EAX in decimal (DS flat).
put_dec:
    pushad
    mov ecx, 10
    xor ebx, ebx
.div:
    xor edx, edx
    div ecx
    push edx
    inc ebx
    test eax, eax
    jnz .div
.out:
    pop eax
    add al, '0'
    out DEBUGCON, al
    dec ebx
    jnz .out
    popad
    ret

; The #DB handler for the RF and single-step checks.
db_handler:
    push eax
    push ebx
    mov ebx, [C_DB]
    cmp ebx, 8
    jae .full
    mov eax, [esp + 8]           ; saved EIP
    mov [C_EIP + ebx * 4], eax
.full:
    mov [C_ECX], ecx
    inc dword [C_DB]
    mov eax, dr6
    mov [C_DR6], eax
    cmp dword [C_MODE], 1
    jne .not_rf
    or dword [esp + 16], 0x10000 ; RF in the saved EFLAGS
.not_rf:
    cmp dword [C_MODE], 2
    jne .out
    cmp dword [C_DB], 3
    jb .out
    and dword [esp + 16], ~0x100 ; clear TF after the third trap
.out:
    pop ebx
    pop eax
    iretd

ROM_END
