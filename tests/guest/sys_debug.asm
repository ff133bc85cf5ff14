; Debug features (SDM Vol. 3A ch. 17): an instruction breakpoint in DR0
; enabled by DR7 (#DB fault before the instruction, DR6.B0, the saved EIP
; at the instruction), RF set by the handler letting the instruction run
; once, TF single-step traps (DR6.BS, one trap per instruction, the saved
; EIP after each instruction), and INT1/ICEBP (a #DB trap after it). Data
; breakpoints (DR7 R/W = 01, 11) are not implemented by popek yet.
%include "sys.inc"
ROM_BEGIN
SYS_CODE

%define C_DB    V_TMP + 0x00    ; #DB deliveries seen by db_handler
%define C_EIP   V_TMP + 0x04    ; the EIPs it saw (up to 8)
%define C_DR6   V_TMP + 0x24    ; DR6 at the last delivery
%define C_MODE  V_TMP + 0x28    ; 1: set RF and return; 2: count steps, clear TF after 3
%define C_VAL   V_TMP + 0x2c

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

    ; ---------------- ICEBP (F1): a #DB trap after it ----------------
    QEMU_SKIP icebp_done, "ICEBP (QEMU 7.2 raises #UD for it)"
    mov dword [C_DB], 0
    mov dword [C_MODE], 0
    db 0xf1
icebp_after:
    CHECK32 dword [C_DB], 1, "ICEBP: no #DB"
    CHECK32 dword [C_EIP], ROMBASE + icebp_after, "ICEBP: the saved EIP is not after it"
icebp_done:

    PASS

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
