; Privilege levels and gates in flat 32-bit protected mode: IRET to ring 3,
; INT n through a DPL-3 interrupt gate (the frame on the TSS ring-0 stack,
; IF cleared), a far CALL through a call gate with 2 parameters and RETF 8
; back, the same call gate at CPL 0 (no stack switch), segment registers
; nulled by a return to an outer level, a trap gate (IF kept), an
; trap gate to conforming code (no privilege change), INT3 through
; a DPL-3 gate, #GP for INT n/INTO and a far CALL through DPL-0 gates and
; for privileged instructions at ring 3, POPF at CPL 3, LAR/LSL/VERR/VERW
; and ARPL; I/O at CPL 3 (the TSS bitmap with IOPL 0, none with IOPL 3),
; CLI/STI/POPF with IOPL 3; #GP for IRET from CPL 3 to CPL 0, for RETF to
; CPL 3 with an SS of RPL 0, and for INT n beyond the IDT limit.
%include "sys.inc"
ROM_BEGIN
SYS_CODE

%define SEL_CGATE  0x33     ; call gate, DPL 3 (RPL 3)
%define SEL_SMALL  0x38     ; data DPL 0, base 0x12345, limit 0x1234 bytes
%define SEL_XCODE  0x40     ; execute-only code DPL 0
%define SEL_CONF   0x48     ; conforming readable code DPL 0
%define SEL_RODATA 0x53     ; read-only data DPL 3
%define SEL_IGATE  0x58     ; an interrupt gate in the GDT (not valid for LAR)
%define SEL_NPDATA 0x63     ; not-present data DPL 3
%define SEL_CGATE0 0x68     ; call gate, DPL 0
%define SEL_BEYOND 0x7f8    ; beyond the GDT limit

; records of the INT 0x80 handler
%define R80_ESP   V_TMP + 0x00  ; its ESP
%define R80_EFL   V_TMP + 0x04  ; its EFLAGS
%define R80_SS    V_TMP + 0x08
%define R80_DS    V_TMP + 0x0c
%define R80_FRAME V_TMP + 0x10  ; 5 dwords: EIP CS EFLAGS ESP SS
%define R80_CNT   V_TMP + 0x24
; records of the call-gate target
%define RCG_ESP   V_TMP + 0x40
%define RCG_FRAME V_TMP + 0x44  ; 6 dwords: EIP CS P2 P1 ESP SS
%define RCG_CPL   V_TMP + 0x5c
%define RCG_EFL   V_TMP + 0x60
%define RCG_CNT   V_TMP + 0x64
%define R3_ESP    V_TMP + 0x68  ; ring-3 ESP before a transfer
; records of the INT 0x82 (trap gate) and INT3 handlers
%define R82_EFL   V_TMP + 0x70
%define R82_CNT   V_TMP + 0x74
%define RBP_EIP   V_TMP + 0x78
%define RBP_CNT   V_TMP + 0x7c
; records of the INT 0x84 handler (conforming code)
%define RC_CS     V_TMP + 0x90
%define RC_SS     V_TMP + 0x94
%define RC_ESP    V_TMP + 0x98
%define RC_CNT    V_TMP + 0x9c

; 32-bit call gate: target label, selector, DPL, parameter count
%macro CALLGATE 4
    dw (ROMBASE + (%1 - $$)) & 0xffff
    dw %2
    db %4
    db 0x8c | ((%3) << 5)
    dw (ROMBASE + (%1 - $$)) >> 16
%endmacro

    align 8
gdt_template:
    GDT_COMMON
    CALLGATE cg_target, SEL_KCODE, 3, 2                 ; 0x30
    DESC 0x12345, 0x1234, 0x93, 0x4                     ; 0x38
    DESC 0, 0xfffff, 0x99, 0xc                          ; 0x40
    DESC 0, 0xfffff, 0x9f, 0xc                          ; 0x48
    DESC 0, 0xfffff, 0xf1, 0xc                          ; 0x50
    dw 0, SEL_KCODE, 0xee00, 0                          ; 0x58
    DESC 0, 0xfffff, 0x73, 0xc                          ; 0x60
    CALLGATE cg_target, SEL_KCODE, 0, 2                 ; 0x68
gdt_template_end:

    bits 32
main:
    SET_GATE 0x80, ROMBASE + int80_handler, SEL_KCODE, GATE_INT3
    SET_GATE 0x81, ROMBASE + int81_handler, SEL_KCODE, GATE_INT0
    SET_GATE 0x82, ROMBASE + int82_handler, SEL_KCODE, GATE_TRAP3
    SET_GATE 3, ROMBASE + int3_handler, SEL_KCODE, GATE_INT3
    SET_GATE 0x84, ROMBASE + int84_handler, SEL_CONF, GATE_TRAP3

    ; ---------------- LAR / LSL / VERR / VERW at ring 0 ----------------
    mov ecx, SEL_KCODE
    lar eax, ecx
    CHECKF32 0x40, 0x40, "LAR kernel code: ZF"
    and eax, 0x00f0ff00
    CHECK32 eax, 0x00c09b00, "LAR kernel code: access rights"
    lsl eax, ecx
    CHECKF32 0x40, 0x40, "LSL kernel code: ZF"
    CHECK32 eax, 0xffffffff, "LSL kernel code: page-granular limit"
    mov ecx, SEL_SMALL
    lar eax, ecx
    CHECKF32 0x40, 0x40, "LAR small data: ZF"
    and eax, 0x00f0ff00
    CHECK32 eax, 0x00409300, "LAR small data: access rights"
    lsl eax, ecx
    CHECKF32 0x40, 0x40, "LSL small data: ZF"
    CHECK32 eax, 0x1234, "LSL small data: byte-granular limit"
    mov ecx, SEL_TSS0
    lar eax, ecx
    CHECKF32 0x40, 0x40, "LAR TSS: ZF"
    and eax, 0x00f0ff00
    CHECK32 eax, 0x00008b00, "LAR TSS: busy 32-bit TSS after LTR"
    lsl eax, ecx
    CHECKF32 0x40, 0x40, "LSL TSS: ZF"
    CHECK32 eax, TSS0_LIMIT, "LSL TSS: limit"
    mov ecx, SEL_CGATE
    lar eax, ecx
    CHECKF32 0x40, 0x40, "LAR call gate: ZF"
    and eax, 0x00f0ff00
    CHECK32 eax, 0x0000ec00, "LAR call gate: access rights"
    mov eax, 0x5a5a5a5a
    lsl eax, ecx
    CHECKF32 0x40, 0, "LSL call gate: ZF must be clear (gates have no limit)"
    CHECK32 eax, 0x5a5a5a5a, "LSL call gate: destination must be unchanged"
    mov ecx, SEL_IGATE
    mov eax, 0x5a5a5a5a
    lar eax, ecx
    CHECKF32 0x40, 0, "LAR interrupt gate in the GDT: ZF must be clear"
    CHECK32 eax, 0x5a5a5a5a, "LAR interrupt gate: destination must be unchanged"
    xor ecx, ecx
    lar eax, ecx
    CHECKF32 0x40, 0, "LAR null selector: ZF must be clear"
    mov ecx, SEL_BEYOND
    lsl eax, ecx
    CHECKF32 0x40, 0, "LSL beyond the GDT limit: ZF must be clear"
    CHECK32 eax, 0x5a5a5a5a, "LSL beyond the GDT limit: destination unchanged"
    mov ecx, SEL_NPDATA
    lar eax, ecx
    CHECKF32 0x40, 0x40, "LAR not-present data: ZF (P is not checked)"
    and eax, 0x00f0ff00
    CHECK32 eax, 0x00c07300, "LAR not-present data: access rights"
    mov ecx, SEL_XCODE
    lar eax, ecx
    CHECKF32 0x40, 0x40, "LAR execute-only code: ZF"
    verr cx
    CHECKF32 0x40, 0, "VERR execute-only code: ZF must be clear"
    mov cx, SEL_KCODE
    verr cx
    CHECKF32 0x40, 0x40, "VERR readable code: ZF"
    verw cx
    CHECKF32 0x40, 0, "VERW code: ZF must be clear"
    mov cx, SEL_KDATA
    verr cx
    CHECKF32 0x40, 0x40, "VERR kernel data: ZF"
    verw cx
    CHECKF32 0x40, 0x40, "VERW kernel data: ZF"
    mov cx, SEL_KDATA | 3
    verr cx
    CHECKF32 0x40, 0, "VERR DPL-0 data with RPL 3: ZF must be clear"
    mov cx, SEL_RODATA
    verr cx
    CHECKF32 0x40, 0x40, "VERR read-only data: ZF"
    verw cx
    CHECKF32 0x40, 0, "VERW read-only data: ZF must be clear"
    mov cx, SEL_TSS0
    verr cx
    CHECKF32 0x40, 0, "VERR TSS: ZF must be clear"

    ; ---------------- ARPL ----------------
    mov eax, 0x12340010
    mov ebx, 0x00000023
    arpl ax, bx
    CHECKF32 0x40, 0x40, "ARPL raising the RPL: ZF"
    CHECK32 eax, 0x12340013, "ARPL raising the RPL: value"
    mov eax, 0x00000023
    mov ebx, 0x00000010
    arpl ax, bx
    CHECKF32 0x40, 0, "ARPL with a higher RPL already: ZF must be clear"
    CHECK32 eax, 0x23, "ARPL with a higher RPL already: unchanged"

    ; ---------------- call gate at the same privilege ----------------
    ; CPL 0 through the DPL-3 gate to DPL-0 code: no stack switch, the
    ; parameters stay where they are, RETF 8 releases them
    mov dword [RCG_CNT], 0
    mov [R3_ESP], esp
    push dword 0x33333333
    push dword 0x44444444
    call (SEL_CGATE & ~3):0
cg0_ret:
    CHECK32 dword [RCG_CNT], 1, "same-privilege call gate: target not run once"
    CHECK32 esp, [R3_ESP], "same-privilege RETF 8: ESP"
    mov eax, [R3_ESP]
    sub eax, 16
    CHECK32 [RCG_ESP], eax, "same-privilege call gate: stack switched"
    CHECK32 dword [RCG_FRAME], ROMBASE + cg0_ret, "same-privilege call gate: pushed EIP"
    CHECK32 dword [RCG_FRAME + 4], SEL_KCODE, "same-privilege call gate: pushed CS"
    CHECK32 dword [RCG_FRAME + 8], 0x44444444, "same-privilege call gate: parameter 2"
    CHECK32 dword [RCG_FRAME + 12], 0x33333333, "same-privilege call gate: parameter 1"

    ; ---------------- IRET to ring 3 ----------------
    PUTS32 "ring 0 checks done, IRET to ring 3"
    TO_RING3 ring3, 0x202

ring3:
    mov eax, cs
    and eax, 3
    CHECK32 eax, 3, "IRET to ring 3: CPL is not 3"
    mov eax, ss
    CHECK32 eax, SEL_UDATA, "IRET to ring 3: SS"
    CHECK32 esp, STACK3, "IRET to ring 3: ESP"
    CHECKF32 0x3200, 0x200, "IRET to ring 3: IF 1, IOPL 0"

    ; ---------------- INT 0x80 through a DPL-3 interrupt gate -----------
    mov dword [R80_CNT], 0
    mov [R3_ESP], esp
    mov ebx, 0x13572468
    int 0x80
int80_ret:
    CHECK32 dword [R80_CNT], 1, "INT 0x80: handler not run once"
    CHECK32 ebx, 0x13572468, "INT 0x80: EBX changed"
    CHECK32 esp, [R3_ESP], "INT 0x80/IRET: ring-3 ESP not restored"
    mov eax, cs
    CHECK32 eax, SEL_UCODE, "IRET from INT 0x80: CS"
    CHECKF32 0x200, 0x200, "IRET from INT 0x80: IF not restored"
    CHECK32 dword [R80_ESP], STACK0_TSS - 20, "INT 0x80: handler ESP is not ESP0 - 20"
    CHECK32 dword [R80_SS], SEL_KDATA, "INT 0x80: handler SS is not SS0"
    CHECK32 dword [R80_DS], SEL_UDATA, "INT 0x80: DS changed by the gate"
    mov eax, [R80_EFL]
    and eax, 0x4300
    CHECK32 eax, 0, "INT 0x80: interrupt gate did not clear IF (or TF/NT)"
    CHECK32 dword [R80_FRAME], ROMBASE + int80_ret, "INT 0x80: pushed EIP"
    CHECK32 dword [R80_FRAME + 4], SEL_UCODE, "INT 0x80: pushed CS"
    mov eax, [R80_FRAME + 8]
    and eax, 0x3200
    CHECK32 eax, 0x200, "INT 0x80: pushed EFLAGS (IF 1, IOPL 0)"
    mov eax, [R3_ESP]
    CHECK32 [R80_FRAME + 12], eax, "INT 0x80: pushed ESP is not the ring-3 ESP"
    CHECK32 dword [R80_FRAME + 16], SEL_UDATA, "INT 0x80: pushed SS"

    ; ---------------- far CALL through a call gate, RETF 8 --------------
    mov dword [RCG_CNT], 0
    mov [R3_ESP], esp
    push dword 0x11111111           ; parameter 1
    push dword 0x22222222           ; parameter 2
    call SEL_CGATE:0xdeadbeef       ; the offset is ignored
cg_ret:
    CHECK32 dword [RCG_CNT], 1, "call gate: target not run once"
    CHECK32 esp, [R3_ESP], "RETF 8: ring-3 ESP is not back above the parameters"
    mov eax, cs
    CHECK32 eax, SEL_UCODE, "RETF 8: CS"
    mov eax, ss
    CHECK32 eax, SEL_UDATA, "RETF 8: SS"
    CHECK32 dword [RCG_CPL], 0, "call gate: target CPL is not 0"
    CHECK32 dword [RCG_ESP], STACK0_TSS - 24, "call gate: target ESP is not ESP0 - 24"
    CHECK32 dword [RCG_FRAME], ROMBASE + cg_ret, "call gate: pushed EIP"
    CHECK32 dword [RCG_FRAME + 4], SEL_UCODE, "call gate: pushed CS"
    CHECK32 dword [RCG_FRAME + 8], 0x22222222, "call gate: parameter 2 not copied"
    CHECK32 dword [RCG_FRAME + 12], 0x11111111, "call gate: parameter 1 not copied"
    mov eax, [R3_ESP]
    sub eax, 8
    CHECK32 [RCG_FRAME + 16], eax, "call gate: pushed ESP is not the caller's ESP"
    CHECK32 dword [RCG_FRAME + 20], SEL_UDATA, "call gate: pushed SS"
    mov eax, [RCG_EFL]
    and eax, 0x200
    CHECK32 eax, 0x200, "call gate: IF must not change"

    ; ---------------- INT 0x82 through a DPL-3 trap gate ----------------
    mov dword [R82_CNT], 0
    int 0x82
    CHECK32 dword [R82_CNT], 1, "INT 0x82: handler not run once"
    mov eax, [R82_EFL]
    and eax, 0x200
    CHECK32 eax, 0x200, "INT 0x82: a trap gate must not clear IF"

    ; ---------------- INT 0x84: trap gate to conforming code -------
    mov dword [RC_CNT], 0
    mov [R3_ESP], esp
    int 0x84
    CHECK32 dword [RC_CNT], 1, "INT 0x84: handler not run once"
    CHECK32 dword [RC_CS], SEL_CONF | 3, "INT 0x84 to conforming code: CS is not the gate's with RPL = CPL 3"
    CHECK32 dword [RC_SS], SEL_UDATA, "INT 0x84 to conforming code: SS changed"
    mov eax, [R3_ESP]
    sub eax, 12
    CHECK32 [RC_ESP], eax, "INT 0x84 to conforming code: not 3 dwords on the same stack"
    CHECK32 esp, [R3_ESP], "INT 0x84: ESP after IRET"
    mov eax, cs
    CHECK32 eax, SEL_UCODE, "INT 0x84: CS after IRET"
    CHECKF32 0x200, 0x200, "INT 0x84 (trap gate) and IRET: IF lost"

    ; ---------------- INT3 through a DPL-3 gate ----------------
    mov dword [RBP_CNT], 0
    int3
int3_ret:
    CHECK32 dword [RBP_CNT], 1, "INT3: handler not run once"
    CHECK32 dword [RBP_EIP], ROMBASE + int3_ret, "INT3: saved EIP is not the next instruction"

    ; ---------------- a far CALL through a DPL-0 call gate ----------------
    ARM cgdpl_done
cgdpl_insn:
    call SEL_CGATE0:0
    FAIL32 "CALL through a DPL-0 call gate at CPL 3 did not fault"
cgdpl_done:
    EXPECT 13, SEL_CGATE0, cgdpl_insn, "CALL through a DPL-0 call gate at CPL 3"
    ARM cgrpl_done
cgrpl_insn:
    call (SEL_CGATE0 | 3):0
    FAIL32 "CALL through a DPL-0 call gate (RPL 3) did not fault"
cgrpl_done:
    EXPECT 13, SEL_CGATE0, cgrpl_insn, "CALL through a DPL-0 call gate (RPL 3)"

    ; ---------------- INTO through a DPL-0 gate ----------------
    mov al, 0x7f
    add al, 1                       ; OF = 1
    ARM into_done
into_insn:
    into
    FAIL32 "INTO (OF=1) through a DPL-0 gate at CPL 3 did not fault"
into_done:
    EXPECT 13, 4 * 8 + 2, into_insn, "INTO through a DPL-0 gate at CPL 3"

    ; ---------------- INT 0x81 through a DPL-0 gate ----------------
    ARM int81_done
int81_insn:
    int 0x81
    FAIL32 "INT 0x81 through a DPL-0 gate did not fault"
int81_done:
    EXPECT 13, 0x81 * 8 + 2, int81_insn, "INT 0x81 at CPL 3"
    mov eax, [ss:V_CS]
    CHECK32 eax, SEL_UCODE, "INT 0x81 #GP: saved CS"
    mov eax, [R3_ESP]
    CHECK32 [ss:V_ESP], eax, "INT 0x81 #GP: saved ring-3 ESP"

    ; ---------------- privileged instructions at ring 3 ----------------
    ARM cli_done
cli_insn:
    cli
    FAIL32 "CLI at CPL 3 with IOPL 0 did not fault"
cli_done:
    EXPECT 13, 0, cli_insn, "CLI at CPL 3"
    CHECKF32 0x200, 0x200, "CLI fault: IF changed"
    ARM hlt_done
hlt_insn:
    hlt
    FAIL32 "HLT at CPL 3 did not fault"
hlt_done:
    EXPECT 13, 0, hlt_insn, "HLT at CPL 3"
    ARM movcr_done
movcr_insn:
    mov eax, cr0
    FAIL32 "MOV EAX, CR0 at CPL 3 did not fault"
movcr_done:
    EXPECT 13, 0, movcr_insn, "MOV EAX, CR0 at CPL 3"
    ARM movcr2_done
    xor eax, eax
movcr2_insn:
    mov cr0, eax
    FAIL32 "MOV CR0, EAX at CPL 3 did not fault"
movcr2_done:
    EXPECT 13, 0, movcr2_insn, "MOV CR0, EAX at CPL 3"
    ARM lidt_done
lidt_insn:
    lidt [V_TMP + 0x80]
    FAIL32 "LIDT at CPL 3 did not fault"
lidt_done:
    EXPECT 13, 0, lidt_insn, "LIDT at CPL 3"

    ; POPFD at CPL 3, IOPL 0: IF and IOPL are kept, no fault
    ARM popf_fault
    pushfd
    and dword [esp], ~0x200
    or dword [esp], 0x3000
    popfd
    NOEXC "POPFD at CPL 3 faulted"
    CHECKF32 0x3200, 0x200, "POPFD at CPL 3 changed IF or IOPL"
    jmp popf_ok
popf_fault:
    FAIL32 "POPFD at CPL 3 faulted"
popf_ok:

    ; ---------------- LAR/VERR at ring 3 ----------------
    mov ecx, SEL_KDATA
    mov eax, 0x5a5a5a5a
    lar eax, ecx
    CHECKF32 0x40, 0, "LAR DPL-0 data at CPL 3: ZF must be clear"
    verr cx
    CHECKF32 0x40, 0, "VERR DPL-0 data at CPL 3: ZF must be clear"
    mov ecx, SEL_CONF
    lar eax, ecx
    CHECKF32 0x40, 0x40, "LAR conforming code at CPL 3: ZF"
    and eax, 0x00f0ff00
    CHECK32 eax, 0x00c09f00, "LAR conforming code: access rights"
    verr cx
    CHECKF32 0x40, 0x40, "VERR conforming readable code at CPL 3: ZF"
    mov ecx, SEL_UCODE
    lar eax, ecx
    CHECKF32 0x40, 0x40, "LAR ring-3 code at CPL 3: ZF"
    and eax, 0x00f0ff00
    CHECK32 eax, 0x00c0fb00, "LAR ring-3 code: access rights"
    mov cx, SEL_UDATA
    verw cx
    CHECKF32 0x40, 0x40, "VERW ring-3 data at CPL 3: ZF"

    ; ---------------- I/O at CPL 3 with IOPL 0: the bitmap ----------------
    mov al, 0x5a
    ARM io1_done
io1_insn:
    out 0x80, al
    FAIL32 "OUT to port 0x80 (denied in the I/O bitmap) at CPL 3 did not fault"
io1_done:
    EXPECT 13, 0, io1_insn, "OUT to a port the I/O bitmap denies"
    mov dx, 0x80
    ARM io2_done
io2_insn:
    in al, dx
    FAIL32 "IN from port 0x80 (denied in the I/O bitmap) at CPL 3 did not fault"
io2_done:
    EXPECT 13, 0, io2_insn, "IN from a port the I/O bitmap denies"

    ; ---------------- IRET from CPL 3 to CPL 0: #GP(CS) ----------------
    mov ebx, esp
    push dword 0x202
    push dword SEL_KCODE
    push dword ROMBASE + iret0_insn
    ARM iret0_done
iret0_insn:
    iretd
    FAIL32 "IRET from CPL 3 to CPL 0 did not fault"
iret0_done:
    EXPECT 13, SEL_KCODE, iret0_insn, "IRET from CPL 3 to CPL 0"
    lea eax, [ebx - 12]
    CHECK32 esp, eax, "faulting IRET changed ESP"
    mov esp, ebx

    PUTS32 "ring 3 checks done"
    TO_RING0 ring0_again

    ; ---------------- RETF to ring 3 nulls DPL-0 data segments ---------
ring0_again:
    mov eax, cs
    CHECK32 eax, SEL_KCODE, "INT 0x30 back to ring 0"

    ; ---------------- INT n beyond the IDT limit ----------------
    mov word [IDTR_PTR], 0x31 * 8 - 1          ; vectors 0..0x30
    lidt [IDTR_PTR]
    ARM idtlim_done
idtlim_insn:
    int 0x31
    FAIL32 "INT 0x31 beyond the IDT limit did not fault"
idtlim_done:
    EXPECT 13, 0x31 * 8 + 2, idtlim_insn, "INT 0x31 beyond the IDT limit"
    mov word [IDTR_PTR], 256 * 8 - 1
    lidt [IDTR_PTR]

    ; ---------------- RETF to CPL 3 with an SS of RPL 0 ----------------
    mov ebx, esp
    push dword SEL_UDATA & ~3
    push dword STACK3
    push dword SEL_UCODE
    push dword ROMBASE + all_done
    ARM retfss_done
retfss_insn:
    retf
    FAIL32 "RETF to CPL 3 with SS RPL 0 did not fault"
retfss_done:
    EXPECT 13, SEL_UDATA & ~3, retfss_insn, "RETF to CPL 3 with SS RPL 0"
    mov esp, ebx

    ; ---------------- CPL 3 with IOPL 3 ----------------
    TO_RING3 ring3_iopl3, 0x3202
ring3_iopl3:
    ARM iopl3_fault
    cli
    CHECKF32 0x200, 0, "CLI at CPL 3 with IOPL 3 did not clear IF"
    sti
    CHECKF32 0x200, 0x200, "STI at CPL 3 with IOPL 3 did not set IF"
    mov al, 0x5a
    out 0x80, al                    ; IOPL 3: the bitmap is not consulted
    pushfd
    and dword [esp], ~0x3200        ; IF 0, IOPL 0
    popfd
    NOEXC "CLI/STI/OUT/POPF at CPL 3 with IOPL 3 faulted"
    CHECKF32 0x3200, 0x3000, "POPFD at CPL 3 with IOPL 3: IF must change, IOPL must not"
    jmp iopl3_ok
iopl3_fault:
    FAIL32 "CLI/STI/OUT/POPF at CPL 3 with IOPL 3 faulted"
iopl3_ok:
    TO_RING0 ring0_nulling

ring0_nulling:
    mov [ss:V_KESP], esp
    mov ax, SEL_KDATA
    mov ds, ax
    mov fs, ax
    mov ax, SEL_UDATA
    mov es, ax
    mov gs, ax
    push dword SEL_UDATA
    push dword STACK3 - 0x100
    push dword SEL_UCODE
    push dword ROMBASE + ring3_nulled
    retf

ring3_nulled:
    mov eax, cs
    CHECK32 eax, SEL_UCODE, "RETF to ring 3: CS"
    CHECK32 esp, STACK3 - 0x100, "RETF to ring 3: ESP"
    mov eax, ss
    CHECK32 eax, SEL_UDATA, "RETF to ring 3: SS"
    mov eax, fs
    CHECK32 eax, 0, "RETF to ring 3: FS (DPL 0) was not nulled"
    mov eax, es
    CHECK32 eax, SEL_UDATA, "RETF to ring 3: ES (DPL 3) must be kept"
    mov eax, gs
    CHECK32 eax, SEL_UDATA, "RETF to ring 3: GS (DPL 3) must be kept"
    mov eax, ds
    test eax, eax
    jz .ds_null
    push es
    pop ds
    FAIL32 "RETF to ring 3: DS (DPL 0) was not nulled"
.ds_null:
    ARM ds_done
ds_insn:
    mov eax, [ds:0x600]
    push es
    pop ds
    QEMU_GAP ds_skip, "a read through the nulled DS"
ds_done:
    push es
    pop ds
    EXPECT 13, 0, ds_insn, "access through the nulled DS"
ds_skip:
    TO_RING0 all_done

all_done:
    PUTS32 "sys_gates: all checks passed"
    PASS

; ---------------- handlers ----------------
int80_handler:
    mov [ss:R80_ESP], esp
    push eax
    pushfd
    pop eax
    mov [ss:R80_EFL], eax
    mov eax, ss
    mov [ss:R80_SS], eax
    mov eax, ds
    mov [ss:R80_DS], eax
    mov eax, [esp + 4]
    mov [ss:R80_FRAME], eax
    mov eax, [esp + 8]
    mov [ss:R80_FRAME + 4], eax
    mov eax, [esp + 12]
    mov [ss:R80_FRAME + 8], eax
    mov eax, [esp + 16]
    mov [ss:R80_FRAME + 12], eax
    mov eax, [esp + 20]
    mov [ss:R80_FRAME + 16], eax
    inc dword [ss:R80_CNT]
    pop eax
    iretd

int82_handler:
    push eax
    pushfd
    pop eax
    mov [ss:R82_EFL], eax
    inc dword [ss:R82_CNT]
    pop eax
    iretd

int84_handler:
    mov [ss:RC_ESP], esp
    push eax
    mov eax, cs
    mov [ss:RC_CS], eax
    mov eax, ss
    mov [ss:RC_SS], eax
    inc dword [ss:RC_CNT]
    pop eax
    iretd

int3_handler:
    push eax
    mov eax, [esp + 4]
    mov [ss:RBP_EIP], eax
    inc dword [ss:RBP_CNT]
    pop eax
    iretd

int81_handler:
    FAIL32 "INT 0x81 reached its DPL-0 gate from CPL 3"

cg_target:
    mov [ss:RCG_ESP], esp
    push eax
    push ecx
    pushfd
    pop eax
    mov [ss:RCG_EFL], eax
    mov eax, cs
    and eax, 3
    mov [ss:RCG_CPL], eax
    xor ecx, ecx
.copy:
    mov eax, [esp + 8 + ecx * 4]
    mov [ss:RCG_FRAME + ecx * 4], eax
    inc ecx
    cmp ecx, 6
    jne .copy
    inc dword [ss:RCG_CNT]
    pop ecx
    pop eax
    retf 8

    bits 16
ROM_END
