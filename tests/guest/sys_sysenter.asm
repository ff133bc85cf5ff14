; SYSENTER/SYSEXIT (SDM Vol. 2B, Vol. 3A §5.8.7): CPUID.1:EDX.SEP, the
; SYSENTER_CS/ESP/EIP MSRs (WRMSR/RDMSR 0x174-0x176), SYSENTER from ring 3
; to the flat ring-0 segments (CS = MSR & ~3, SS = CS + 8) with ESP/EIP from
; the MSRs and IF cleared, SYSEXIT to CS = MSR + 16 | 3, SS = MSR + 24 | 3,
; ESP = ECX, EIP = EDX; #GP(0) for SYSENTER with SYSENTER_CS = 0, SYSEXIT
; at ring 3, RDMSR/WRMSR at ring 3 and RDMSR/WRMSR of an unknown MSR;
; SYSENTER from virtual-8086 mode (it clears VM), SYSEXIT there (#GP(0));
; both in real mode (#GP).
%include "sys.inc"
ROM_BEGIN
%define SYS_REAL_HOOK real_mode_part
SYS_CODE

%define MSR_CS   0x174
%define MSR_ESP  0x175
%define MSR_EIP  0x176
%define SE_STACK 0x50000        ; SYSENTER_ESP
%define SX_STACK 0x6f000        ; ring-3 ESP given to SYSEXIT

; records of the SYSENTER entry point
%define R_ESP  V_TMP + 0x00
%define R_CS   V_TMP + 0x04
%define R_SS   V_TMP + 0x08
%define R_EFL  V_TMP + 0x0c
%define R_DS   V_TMP + 0x10
%define R_CNT  V_TMP + 0x14
%define R_EDX  V_TMP + 0x18
%define R_OLDESP V_TMP + 0x1c
; what the real-mode part saw (outside the variables SYS_CODE clears)
%define RM_SE_VEC 0x700
%define RM_SX_VEC 0x702
%define RM_VEC    0x704

    align 8
gdt_template:
    GDT_COMMON
gdt_template_end:

; WRMSR_ msr, value (ring 0)
%macro WRMSR_ 2
    mov ecx, %1
    mov eax, %2
    xor edx, edx
    wrmsr
%endmacro

    bits 32
main:
    ; ---------------- real mode (see real_mode_part) ----------------
    CHECK32 word [RM_SE_VEC], 13, "SYSENTER in real mode: not #GP"
    CHECK32 word [RM_SX_VEC], 13, "SYSEXIT in real mode: not #GP"

    ; ---------------- CPUID ----------------
    mov eax, 1
    cpuid
    test edx, 1 << 11
    jnz .sep
    FAIL32 "CPUID.1:EDX bit 11 (SEP) is clear"
.sep:
    test edx, 1 << 5
    jnz .msr
    FAIL32 "CPUID.1:EDX bit 5 (MSR) is clear"
.msr:

    ; ---------------- the MSRs ----------------
    WRMSR_ MSR_CS, SEL_KCODE
    WRMSR_ MSR_ESP, SE_STACK
    WRMSR_ MSR_EIP, ROMBASE + se_entry
    mov ecx, MSR_CS
    mov edx, 0xffffffff
    rdmsr
    CHECK32 eax, SEL_KCODE, "RDMSR SYSENTER_CS: EAX"
    CHECK32 edx, 0, "RDMSR SYSENTER_CS: EDX"
    mov ecx, MSR_ESP
    rdmsr
    CHECK32 eax, SE_STACK, "RDMSR SYSENTER_ESP"
    mov ecx, MSR_EIP
    rdmsr
    CHECK32 eax, ROMBASE + se_entry, "RDMSR SYSENTER_EIP"

    ; RDMSR/WRMSR of an MSR that does not exist
    ARM rd_bad
    mov ecx, 0x12345
rd_bad_insn:
    rdmsr
    QEMU_GAP rd_bad_skip, "RDMSR of MSR 0x12345"
rd_bad:
    EXPECT 13, 0, rd_bad_insn, "RDMSR of MSR 0x12345"
rd_bad_skip:
    ARM wr_bad
    mov ecx, 0x12345
    xor eax, eax
    xor edx, edx
wr_bad_insn:
    wrmsr
    QEMU_GAP wr_bad_skip, "WRMSR of MSR 0x12345"
wr_bad:
    EXPECT 13, 0, wr_bad_insn, "WRMSR of MSR 0x12345"
wr_bad_skip:

    ; SYSEXIT with SYSENTER_CS = 0: #GP(0)
    WRMSR_ MSR_CS, 0
    ARM sx0
sx0_insn:
    sysexit
    FAIL32 "SYSEXIT with SYSENTER_CS = 0 did not fault"
sx0:
    EXPECT 13, 0, sx0_insn, "SYSEXIT with SYSENTER_CS = 0"
    WRMSR_ MSR_CS, SEL_KCODE

    ; ---------------- ring 3: SYSENTER / SYSEXIT ----------------
    mov dword [R_CNT], 0
    TO_RING3 ring3, 0x202

ring3:
    mov eax, cs
    CHECK32 eax, SEL_UCODE, "IRET to ring 3: CS"
    mov [R_OLDESP], esp
    mov ebx, 0x0b0b0b0b
    mov esi, 0x51515151
    mov ecx, SX_STACK
    mov edx, ROMBASE + after_sysexit
    sysenter
    FAIL32 "SYSENTER fell through"
after_sysexit:
    CHECK32 dword [R_CNT], 1, "SYSENTER entry point not run once"
    mov eax, cs
    CHECK32 eax, SEL_UCODE, "SYSEXIT: CS is not SYSENTER_CS + 16 | 3"
    mov eax, ss
    CHECK32 eax, SEL_UDATA, "SYSEXIT: SS is not SYSENTER_CS + 24 | 3"
    CHECK32 esp, SX_STACK, "SYSEXIT: ESP is not ECX"
    CHECK32 ebx, 0x0b0b0b0b, "SYSENTER/SYSEXIT changed EBX"
    CHECK32 esi, 0x51515151, "SYSENTER/SYSEXIT changed ESI"
    CHECKF32 0x200, 0, "SYSEXIT changed EFLAGS.IF (it stays as at ring 0)"
    CHECK32 dword [R_CS], SEL_KCODE, "SYSENTER: CS is not SYSENTER_CS"
    CHECK32 dword [R_SS], SEL_KDATA, "SYSENTER: SS is not SYSENTER_CS + 8"
    CHECK32 dword [R_ESP], SE_STACK, "SYSENTER: ESP is not SYSENTER_ESP"
    CHECK32 dword [R_DS], SEL_UDATA, "SYSENTER: DS changed"
    CHECK32 dword [R_EDX], ROMBASE + after_sysexit, "SYSENTER: EDX changed"
    mov eax, [R_EFL]
    and eax, 0x20200
    CHECK32 eax, 0, "SYSENTER: IF (or VM) not cleared"
    mov eax, [R_EFL]
    and eax, 0x3000
    CHECK32 eax, 0, "SYSENTER: IOPL changed"

    ; privileged at ring 3
    ARM r3_sx
r3_sx_insn:
    sysexit
    FAIL32 "SYSEXIT at ring 3 did not fault"
r3_sx:
    EXPECT 13, 0, r3_sx_insn, "SYSEXIT at ring 3"
    ARM r3_rd
    mov ecx, MSR_CS
r3_rd_insn:
    rdmsr
    FAIL32 "RDMSR at ring 3 did not fault"
r3_rd:
    EXPECT 13, 0, r3_rd_insn, "RDMSR at ring 3"
    ARM r3_wr
    mov ecx, MSR_CS
    xor eax, eax
    xor edx, edx
r3_wr_insn:
    wrmsr
    FAIL32 "WRMSR at ring 3 did not fault"
r3_wr:
    EXPECT 13, 0, r3_wr_insn, "WRMSR at ring 3"
    TO_RING0 ring0_b

ring0_b:
    ; SYSENTER_CS with RPL bits: SYSENTER masks them, SYSEXIT ORs 3
    WRMSR_ MSR_CS, SEL_KCODE | 3
    mov dword [R_CNT], 0
    TO_RING3 ring3_b, 0x002
ring3_b:
    mov ecx, SX_STACK - 0x10
    mov edx, ROMBASE + after_sysexit_b
    sysenter
    FAIL32 "SYSENTER fell through (2)"
after_sysexit_b:
    CHECK32 dword [R_CNT], 1, "SYSENTER (RPL 3 in the MSR) entry not run once"
    CHECK32 dword [R_CS], SEL_KCODE, "SYSENTER with SYSENTER_CS RPL 3: CS not masked to RPL 0"
    CHECK32 dword [R_SS], SEL_KDATA, "SYSENTER with SYSENTER_CS RPL 3: SS"
    mov eax, cs
    CHECK32 eax, SEL_UCODE, "SYSEXIT with SYSENTER_CS RPL 3: CS"
    mov eax, ss
    CHECK32 eax, SEL_UDATA, "SYSEXIT with SYSENTER_CS RPL 3: SS"
    CHECK32 esp, SX_STACK - 0x10, "SYSEXIT (2): ESP"

    ; SYSENTER with SYSENTER_CS = 0 from ring 3: #GP(0)
    TO_RING0 ring0_c
ring0_c:
    WRMSR_ MSR_CS, 0
    TO_RING3 ring3_c, 0x002
ring3_c:
    ARM r3_se0
r3_se0_insn:
    sysenter
    FAIL32 "SYSENTER with SYSENTER_CS = 0 did not fault"
r3_se0:
    EXPECT 13, 0, r3_se0_insn, "SYSENTER with SYSENTER_CS = 0"
    mov eax, [ss:V_CS]
    CHECK32 eax, SEL_UCODE, "SYSENTER with SYSENTER_CS = 0: #GP not from ring 3"
    TO_RING0 v86_part

    ; ---------------- SYSENTER from virtual-8086 mode ----------------
v86_part:
    WRMSR_ MSR_CS, SEL_KCODE
    mov dword [R_CNT], 0
    ; SYSEXIT in V86 mode: #GP(0), resumed at the IP v86_sx_done
    mov dword [V_CNT], 0
    mov dword [V_VEC], 0xffffffff
    mov dword [V_RESUME], v86_sx_done
    push dword 0                    ; GS
    push dword 0                    ; FS
    push dword 0x1234               ; DS
    push dword 0                    ; ES
    push dword 0                    ; SS
    push dword 0x7000               ; ESP
    push dword EFL_VM | 0x2         ; VM, IOPL 0, IF 0
    push dword 0xf000               ; CS: the image itself
    push dword v86_code
    iretd
after_v86_se:
    push dword SEL_UDATA
    pop ds
    push dword SEL_UDATA
    pop es
    CHECK32 dword [V_CNT], 1, "SYSEXIT in V86: no exception or more than one"
    CHECK32 dword [V_VEC], 13, "SYSEXIT in V86: not #GP"
    CHECK32 dword [V_ERR], 0, "SYSEXIT in V86: error code"
    CHECK32 dword [V_EIP], v86_sx_insn, "SYSEXIT in V86: saved EIP"
    CHECK32 dword [V_CS], 0xf000, "SYSEXIT in V86: saved CS"
    CHECK32 dword [R_CNT], 1, "SYSENTER from V86: entry point not run once"
    mov eax, [R_EFL]
    and eax, EFL_VM
    CHECK32 eax, 0, "SYSENTER from V86: VM not cleared"
    CHECK32 dword [R_CS], SEL_KCODE, "SYSENTER from V86: CS"
    CHECK32 dword [R_SS], SEL_KDATA, "SYSENTER from V86: SS"
    CHECK32 dword [R_ESP], SE_STACK, "SYSENTER from V86: ESP"
    CHECK32 dword [R_DS], 0x1234, "SYSENTER from V86: DS must keep its selector"
    mov eax, cs
    CHECK32 eax, SEL_UCODE, "SYSEXIT after SYSENTER from V86: CS"
    CHECK32 esp, SX_STACK - 0x20, "SYSEXIT after SYSENTER from V86: ESP"
    pushfd
    pop eax
    and eax, EFL_VM
    CHECK32 eax, 0, "SYSEXIT after SYSENTER from V86: VM set"
    TO_RING0 done

done:
    PUTS32 "sys_sysenter: all checks passed"
    PASS

; ---------------- the SYSENTER entry point (ring 0) ----------------
se_entry:
    mov [ss:R_ESP], esp
    push eax
    mov eax, cs
    mov [ss:R_CS], eax
    mov eax, ss
    mov [ss:R_SS], eax
    mov eax, ds
    mov [ss:R_DS], eax
    pushfd
    pop eax
    mov [ss:R_EFL], eax
    mov [ss:R_EDX], edx
    inc dword [ss:R_CNT]
    pop eax
    sysexit

; V86 code, run from the image at F000:v86_code
    bits 16
v86_code:
v86_sx_insn:
    sysexit                         ; #GP(0) in V86 mode
v86_sx_done:
    mov ecx, SX_STACK - 0x20
    mov edx, ROMBASE + after_v86_se
    sysenter
    mov al, 2                       ; not reached: FAIL
    out DEBUGEXIT, al
    hlt

; real mode: SYSENTER and SYSEXIT raise #GP; vectors 6 and 13 record
; the vector and skip the 2-byte instruction
real_mode_part:
    mov word [6 * 4], rm_ud
    mov word [6 * 4 + 2], cs
    mov word [13 * 4], rm_gp
    mov word [13 * 4 + 2], cs
    mov word [RM_VEC], 0xffff
    sysenter
    mov ax, [RM_VEC]
    mov [RM_SE_VEC], ax
    mov word [RM_VEC], 0xffff
    sysexit
    mov ax, [RM_VEC]
    mov [RM_SX_VEC], ax
    ret
rm_ud:
    mov word [RM_VEC], 6
    jmp rm_skip
rm_gp:
    mov word [RM_VEC], 13
rm_skip:
    push bp
    mov bp, sp
    add word [bp + 2], 2
    pop bp
    iret

ROM_END
