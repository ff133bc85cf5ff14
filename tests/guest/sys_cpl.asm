; The CPL is kept state, not the low bits of CS (SDM Vol. 3A §5.5, §9.9.1):
; 0 in real mode, and still 0 right after MOV CR0 sets PE although CS then
; holds a real-mode selector whose low two bits are 3 (a DOS memory
; manager's `lgdt; mov cr0; jmp far` run at such a CS). Right after PE = 1
; a privileged instruction (MOV from CR0) runs, SS loads a selector with
; RPL = DPL = 0 (which demands CPL 0), CS still reads the real-mode value,
; and the far jump to a ring-0 code segment works. Back in protected mode
; proper, a far jump to a conforming ring-0 segment from ring 3 keeps CPL 3
; (a privileged instruction there faults, SS takes an RPL-3 selector).
%include "sys.inc"
ROM_BEGIN
%define SYS_REAL_HOOK pe_part
SYS_CODE

; The real-mode part's own tables in RAM (SYS_CODE builds its own later).
%define PE_GDT    0x4000
%define PE_IDT    0x4100        ; 32 gates
%define PE_GDTR   0x4800
%define PE_IDTR   0x4808
%define PE_RIDTR  0x4810        ; the real-mode IVT's IDTR
%define PE_STAGE  0x4818        ; what the real-mode part was doing (for the fault handler)
%define PE_CS     0x481a        ; CS as read right after PE = 1
%define PE_DONE   0x481c        ; 1 when the real-mode part ran to its end

%define PSEL_CODE 0x08          ; 16-bit ring-0 code, base F0000
%define PSEL_DATA 0x10          ; 16-bit ring-0 data, base 0
%define PSEL_FAIL 0x18          ; 16-bit conforming ring-0 code, base F0000 (the fault handler)

; Selectors of the protected-mode part (after GDT_COMMON).
%define SEL_CONF  0x30          ; flat 32-bit conforming code, DPL 0

    align 8
pe_gdt:
    dq 0
    DESC 0xf0000, 0xffff, 0x9b, 0
    DESC 0, 0xffff, 0x93, 0
    DESC 0xf0000, 0xffff, 0x9f, 0
pe_gdt_end:

    align 8
gdt_template:
    GDT_COMMON
    DESC 0, 0xfffff, 0x9f, 0xc  ; 0x30: conforming code, DPL 0
gdt_template_end:

    bits 16
; Real mode, DS = ES = SS = 0 (called from SYS_CODE).
pe_part:
    pushf
    mov si, pe_gdt
    mov di, PE_GDT
    mov cx, pe_gdt_end - pe_gdt
    cs rep movsb
    mov di, PE_IDT              ; 16-bit interrupt gates to PSEL_FAIL:pe_fault
    mov cx, 32
.gate:
    mov word [di], pe_fault
    mov word [di + 2], PSEL_FAIL
    mov word [di + 4], 0x8600
    mov word [di + 6], 0
    add di, 8
    loop .gate
    mov word [PE_GDTR], pe_gdt_end - pe_gdt - 1
    mov dword [PE_GDTR + 2], PE_GDT
    mov word [PE_IDTR], 32 * 8 - 1
    mov dword [PE_IDTR + 2], PE_IDT
    mov word [PE_RIDTR], 0x3ff
    mov dword [PE_RIDTR + 2], 0
    mov word [PE_STAGE], 0
    mov word [PE_DONE], 0
    ; IOPL 3: should the CPL wrongly leave 0, the fault handler can still report
    pushf
    pop ax
    or ax, 0x3000
    push ax
    popf
    ; CS = F003 (base F0030): its low two bits are 3. No absolute references
    ; to the image from here to the far jump (they would be 0x30 off).
    jmp 0xf003:(pe_odd - 0x30)
pe_odd:
    o32 lgdt [PE_GDTR]
    o32 lidt [PE_IDTR]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    ; protected mode with the real-mode CS cache: CPL is still 0
    mov word [PE_STAGE], 1
    mov eax, cr0                ; privileged
    mov word [PE_STAGE], 2
    mov ax, PSEL_DATA
    mov ss, ax                  ; RPL = DPL = CPL = 0
    mov word [PE_STAGE], 3
    mov ax, cs
    mov [PE_CS], ax
    jmp PSEL_CODE:pe_ring0      ; to a ring-0 code segment
pe_ring0:
    mov word [PE_STAGE], 4
    mov eax, cr0
    and eax, ~1
    mov cr0, eax
    jmp 0xf000:pe_back
pe_back:
    xor ax, ax
    mov ss, ax
    o32 lidt [PE_RIDTR]
    CHECK16 word [PE_CS], 0xf003, "CS right after PE = 1 is not the real-mode selector"
    mov word [PE_DONE], 1
    popf
    ret

; Any exception of the real-mode part (at whatever CPL a conforming segment gives).
pe_fault:
    cmp word [PE_STAGE], 1
    jne .s2
    FAIL16 "MOV from CR0 right after PE = 1 at CS = F003 faulted (CPL taken from CS)"
.s2:
    cmp word [PE_STAGE], 2
    jne .s3
    FAIL16 "MOV SS (RPL 0) right after PE = 1 at CS = F003 faulted (CPL taken from CS)"
.s3:
    cmp word [PE_STAGE], 3
    jne .s4
    FAIL16 "far JMP to a ring-0 code segment right after PE = 1 at CS = F003 faulted"
.s4:
    FAIL16 "an exception in the protected-mode entry from CS = F003"

    bits 32
main:
    CHECK32 word [PE_DONE], 1, "the real-mode part did not run to its end"

    ; ---------------- a conforming ring-0 segment entered from ring 3 keeps CPL 3 ----------------
    TO_RING3 ring3, 0x3002      ; IOPL 3 for the reports
ring3:
    jmp SEL_CONF:(ROMBASE + conf)
conf:
    mov ax, cs
    CHECK32 ax, SEL_CONF | 3, "far JMP to a conforming segment: CS's RPL is not the CPL (3)"
    mov ax, SEL_UDATA
    mov ss, ax                  ; RPL 3 = DPL 3 = CPL
    ARM conf_gp
conf_priv:
    mov eax, cr0                ; CPL 3: #GP(0)
    FAIL32 "MOV from CR0 in a conforming ring-0 segment at CPL 3 did not fault"
conf_gp:
    EXPECT 13, 0, conf_priv, "MOV from CR0 at CPL 3 in a conforming segment"
    TO_RING0 ring0
ring0:
    PASS

ROM_END
