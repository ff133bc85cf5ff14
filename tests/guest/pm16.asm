; 16-bit protected mode: a GDT of 16-bit segments with small limits, a
; read-only, two expand-down and a few deliberately wrong descriptors; an
; IDT of 16-bit interrupt gates whose handler records vector, error code and
; CS:IP and steps over the faulting instruction. Checks segment-register
; loads (#GP/#NP/#SS with the selector as error code), data accesses against
; limits and types (#GP(0)), far jumps against the CS limit, gates past the
; IDT limit or not present; then returns to real mode.
;
; QEMU (TCG) implements no limit or type checks on data accesses; where it
; is identified by its fw_cfg signature, a missing #GP on such an access is
; accepted. Everything else, and every check anywhere but QEMU, is strict.
%include "popek.inc"
ROM_BEGIN

%define V_VEC   0x500   ; vector seen by the handler
%define V_ERR   0x502   ; error code (EEEEh: the vector has none)
%define V_IP    0x504   ; saved IP
%define V_CS    0x506   ; saved CS
%define V_SP    0x508   ; SP at the handler's first instruction + 2 (the error code)
%define V_CNT   0x50a   ; handler runs
%define V_SKIP  0x50c   ; bytes added to the saved IP
%define V_SP0   0x50e   ; SP before the tested instruction
%define IS_QEMU 0x510
%define GDT_AT  0x800   ; linear (and SS-relative: SS has base 0)
%define IDT_AT  0x1000
%define NO_ERR  0xeeee
%define STUB_SIZE 16    ; bytes per handler stub

; selectors
%define CODE    0x08    ; code, base F0000, limit FFFF
%define DATA    0x10    ; data, base 10000, limit 0FFF
%define DATA2   0x18    ; data, base 20000, limit FFFF
%define RODATA  0x20    ; read-only data, base 10000, limit 0FFF
%define EXPDN   0x28    ; expand-down data, base 30000, limit 0FFF, B=0
%define FLAT    0x30    ; data, base 0, limit FFFF: stack and variables
%define TINY    0x38    ; data, base 10000, limit 0 (one byte)
%define GRAN    0x40    ; data, base 10000, limit 0 with G=1 (0FFF)
%define XONLY   0x48    ; execute-only code
%define NOTP    0x50    ; writable data, not present
%define RCODE   0x58    ; readable code, base F0000
%define EXPDNB  0x60    ; expand-down data, base 30000, limit 0FFF, B=1
%define DPL3    0x68    ; writable data, DPL 3
%define SCODE   0x70    ; code, base F0000, limit 0FFF
%define ALIAS3  0x78    ; data, base 30000, limit FFFF (to look at EXPDN)
%define LDTD    0x80    ; an LDT descriptor (system)
%define PASTGDT 0x88    ; first selector past the GDT limit

%macro DESC 4           ; base, limit, access byte, flags nibble (G D/B 0 AVL)
    dw (%2) & 0xffff
    dw (%1) & 0xffff
    db ((%1) >> 16) & 0xff
    db %3
    db (((%2) >> 16) & 0x0f) | ((%4) << 4)
    db ((%1) >> 24) & 0xff
%endmacro

%macro ARM_PM 1         ; %1: length of the instruction under test
    mov word [ss:V_VEC], 0xffff
    mov word [ss:V_ERR], 0xffff
    mov word [ss:V_IP], 0xffff
    mov word [ss:V_CS], 0xffff
    mov word [ss:V_CNT], 0
    mov word [ss:V_SKIP], %1
    mov [ss:V_SP0], sp
%endmacro

; One fault: vector %1, error code %2, at the instruction labelled %3.
%macro EXPECT_PM 4
%strcat EXP_MSG %4, " [not exactly one exception]"
    CHECK16 word [ss:V_CNT], 1, EXP_MSG
%strcat EXP_MSG %4, " [wrong vector]"
    CHECK16 word [ss:V_VEC], %1, EXP_MSG
%strcat EXP_MSG %4, " [wrong error code]"
    CHECK16 word [ss:V_ERR], %2, EXP_MSG
%strcat EXP_MSG %4, " [wrong saved IP]"
    CHECK16 word [ss:V_IP], %3, EXP_MSG
%strcat EXP_MSG %4, " [wrong saved CS]"
    CHECK16 word [ss:V_CS], CODE, EXP_MSG
    push ax
    mov ax, [ss:V_SP0]
    sub ax, 8
%strcat EXP_MSG %4, " [not a 16-bit frame of FLAGS CS IP error]"
    CHECK16 word [ss:V_SP], ax, EXP_MSG
    pop ax
%endmacro

; FAULT {instruction}, vector, error code, "message": strict everywhere.
%macro FAULT 4
    ARM_PM %%e - %%s
%%s: %1
%%e:
    EXPECT_PM %2, %3, %%s, %4
%endmacro

; DFAULT: like FAULT, for a data-access check QEMU does not implement.
%macro DFAULT 4
    ARM_PM %%e - %%s
%%s: %1
%%e:
    cmp word [ss:V_CNT], 0
    jne %%faulted
    cmp word [ss:IS_QEMU], 1
    je %%done
%strcat EXP_MSG %4, " [no fault]"
    FAIL16 EXP_MSG
%%faulted:
    EXPECT_PM %2, %3, %%s, %4
%%done:
%endmacro

; Run %1 only if the last DFAULT did fault.
%macro IF_FAULTED 1
    cmp word [ss:V_CNT], 0
    je %%skip
    %1
%%skip:
%endmacro

; NOFAULT {instruction}, "message"
%macro NOFAULT 2
    ARM_PM %%e - %%s        ; a wrong fault then steps over, not loops
%%s: %1
%%e:
    CHECK16 word [ss:V_CNT], 0, %2
%endmacro

start:
    cli
    cld
    xor ax, ax
    mov ss, ax
    mov sp, 0x7000
    mov ds, ax
    mov es, ax
    DETECT_QEMU16 IS_QEMU
    cmp word [IS_QEMU], 1
    jne .not_qemu
    PUTS16 "note: QEMU: data-access limit and type checks are not required"
.not_qemu:
    ; the GDT to RAM
    push cs
    pop ds
    mov si, gdt
    mov di, GDT_AT
    mov cx, gdt_end - gdt
    rep movsb
    xor ax, ax
    mov ds, ax
    ; the IDT: vectors 0..20h, 16-bit interrupt gates to the stubs
    mov di, IDT_AT
    mov ax, pm_stubs
    mov cx, 0x21
.gate:
    mov [di], ax
    mov word [di + 2], CODE
    mov word [di + 4], 0x8600   ; P, DPL 0, 16-bit interrupt gate
    mov word [di + 6], 0
    add ax, STUB_SIZE
    add di, 8
    loop .gate
    mov byte [IDT_AT + 0x1f * 8 + 5], 0x06  ; vector 1Fh: gate not present
    ; scratch memory the segments look at
    mov ax, 0x1000
    mov es, ax
    mov word [es:0x0ffe], 0x1357
    mov word [es:0], 0x2468
    mov ax, 0x3000
    mov es, ax
    mov word [es:0x1000], 0xaaaa
    mov word [es:0xfffe], 0xbbbb
    xor ax, ax
    mov es, ax

    lgdt [cs:gdt_desc]
    lidt [cs:idt_desc]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp CODE:pm_entry

pm_entry:
    mov ax, FLAT
    mov ss, ax
    mov sp, 0x7000
    mov ds, ax
    mov ax, DATA
    mov es, ax
    smsw ax
    CHECK16 ax, 0x0011, "smsw in protected mode: PE (and ET)"
    mov ax, cs
    CHECK16 ax, CODE, "CS is the code selector"

    ; ---- a software interrupt through a 16-bit gate ----
    ARM_PM 0
    int 0x20
int20_next:
    CHECK16 word [V_CNT], 1, "int 20h through a 16-bit gate ran once"
    CHECK16 word [V_VEC], 0x20, "int 20h vector"
    CHECK16 word [V_IP], int20_next, "int 20h saved IP is the next instruction"
    CHECK16 word [V_ERR], NO_ERR, "int 20h: no error code"

    ; ---- accesses within the limits ----
    NOFAULT {mov ax, [es:0x0ffe]}, "word read at the limit (DATA 0FFE)"
    CHECK16 ax, 0x1357, "word read at DATA:0FFE reads base 10000"
    NOFAULT {mov byte [es:0x0fff], 0x5a}, "byte write at the limit (DATA 0FFF)"
    mov ax, RODATA
    mov fs, ax
    NOFAULT {mov al, [fs:0x0fff]}, "byte read of the read-only segment"
    CHECK16 al, 0x5a, "read-only alias sees the write"
    mov ax, TINY
    mov gs, ax
    NOFAULT {mov al, [gs:0]}, "byte read at TINY:0 (limit 0)"
    CHECK16 al, 0x68, "TINY:0 reads base 10000"
    mov ax, GRAN
    mov gs, ax
    NOFAULT {mov ax, [gs:0x0ffe]}, "word read at GRAN:0FFE (limit 0, G=1)"
    mov ax, RCODE
    mov gs, ax
    NOFAULT {mov al, [gs:code_byte]}, "byte read of a readable code segment"
    CHECK16 al, 0xc3, "read through a readable code segment"
    mov ax, CODE
    mov gs, ax
    NOFAULT {mov al, [cs:code_byte]}, "read through CS"

    ; ---- data accesses past a limit: #GP(0) ----
    mov ax, 0x1111
    DFAULT {mov ax, [es:0x1000]}, 13, 0, "word read at DATA:1000 (limit 0FFF)"
    IF_FAULTED {CHECK16 ax, 0x1111, "faulting read left AX"}
    DFAULT {mov ax, [es:0x0fff]}, 13, 0, "word read at DATA:0FFF straddles the limit"
    DFAULT {mov word [es:0xfffe], 0}, 13, 0, "word write at DATA:FFFE"
    mov bx, 0x0ff0
    mov si, 0x0010
    DFAULT {mov al, [es:bx + si]}, 13, 0, "byte read at DATA:[bx+si]=1000"
    DFAULT {mov eax, [es:0x0ffd]}, 13, 0, "dword read at DATA:0FFD"
    mov ax, TINY
    mov gs, ax
    DFAULT {mov ax, [gs:0]}, 13, 0, "word read at TINY:0 (limit 0)"
    DFAULT {mov byte [gs:1], 0}, 13, 0, "byte write at TINY:1"
    mov ax, GRAN
    mov gs, ax
    DFAULT {mov al, [gs:0x1000]}, 13, 0, "byte read at GRAN:1000 (limit 0FFF)"
    ; string instructions check too
    mov di, 0x1000
    mov al, 0
    DFAULT {stosb}, 13, 0, "stosb at DATA:1000"
    IF_FAULTED {CHECK16 di, 0x1000, "faulting stosb left DI"}

    ; ---- writes to non-writable segments: #GP(0) ----
    DFAULT {mov [fs:0x10], ax}, 13, 0, "write to the read-only segment"
    DFAULT {inc byte [fs:0x10]}, 13, 0, "read-modify-write of the read-only segment"
    push es
    push fs
    pop es
    mov di, 0x20
    DFAULT {stosw}, 13, 0, "stosw to the read-only segment in ES"
    pop es
    mov ax, RCODE
    mov gs, ax
    DFAULT {mov [gs:0x100], al}, 13, 0, "write to a readable code segment"
    DFAULT {mov [cs:0x100], al}, 13, 0, "write through CS"

    ; ---- expand-down segments ----
    mov ax, EXPDN
    mov gs, ax
    mov ax, ALIAS3
    mov fs, ax
    NOFAULT {mov ax, [gs:0x1000]}, "expand-down B=0: word read at 1000 (limit+1)"
    CHECK16 ax, 0xaaaa, "expand-down: offset 1000 is base+1000"
    NOFAULT {mov word [gs:0xfffe], 0x4321}, "expand-down B=0: word write at FFFE"
    CHECK16 word [fs:0xfffe], 0x4321, "expand-down: offset FFFE is base+FFFE"
    NOFAULT {mov byte [gs:0x8000], 1}, "expand-down B=0: byte write at 8000"
    DFAULT {mov al, [gs:0x0fff]}, 13, 0, "expand-down B=0: byte read at 0FFF (the limit)"
    DFAULT {mov al, [gs:0]}, 13, 0, "expand-down B=0: byte read at 0"
    DFAULT {mov ax, [gs:0x0fff]}, 13, 0, "expand-down B=0: word read at 0FFF"
    DFAULT {mov ax, [gs:0xffff]}, 13, 0, "expand-down B=0: word read at FFFF (past FFFF)"
    mov ax, EXPDNB
    mov gs, ax
    mov byte [fs:0xffff], 0x76
    NOFAULT {mov ax, [gs:0xffff]}, "expand-down B=1: word read at FFFF is in range"
    CHECK16 al, 0x76, "expand-down B=1: offset FFFF is base+FFFF"
    DFAULT {mov byte [gs:0x0800], 0}, 13, 0, "expand-down B=1: byte write at 0800"

    ; ---- the null selector: loads fine, faults on use ----
    push ds
    xor ax, ax
    NOFAULT {mov ds, ax}, "loading the null selector into DS"
    DFAULT {mov ax, [0x10]}, 13, 0, "read through a null DS"
    DFAULT {mov word [0x10], 0}, 13, 0, "write through a null DS"
    mov ax, ds
    CHECK16 ax, 0, "DS holds the null selector"
    mov ax, 3                   ; null with RPL 3 is null too
    NOFAULT {mov es, ax}, "loading selector 3 (null, RPL 3) into ES"
    mov di, 0
    DFAULT {stosb}, 13, 0, "stosb through a null ES"
    pop ds
    mov ax, DATA
    mov es, ax

    ; ---- segment-register loads: errors name the selector ----
    mov ax, PASTGDT
    FAULT {mov ds, ax}, 13, PASTGDT, "mov ds past the GDT limit: #GP(sel)"
    mov ax, ds
    CHECK16 ax, FLAT, "failed load left DS"
    mov ax, PASTGDT | 3
    FAULT {mov es, ax}, 13, PASTGDT, "mov es past the GDT limit, RPL 3: #GP(sel without RPL)"
    mov ax, 0x7ff8
    FAULT {mov fs, ax}, 13, 0x7ff8, "mov fs with index FFFh: #GP(sel)"
    mov ax, XONLY
    FAULT {mov ds, ax}, 13, XONLY, "mov ds, execute-only code: #GP(sel)"
    mov ax, LDTD
    FAULT {mov gs, ax}, 13, LDTD, "mov gs, an LDT (system) descriptor: #GP(sel)"
    mov ax, NOTP
    FAULT {mov ds, ax}, 11, NOTP, "mov ds, not-present segment: #NP(sel)"
    mov word [0x600], PASTGDT
    FAULT {mov es, word [0x600]}, 13, PASTGDT, "mov es, m16 past the GDT limit"
    push word XONLY
    FAULT {pop ds}, 13, XONLY, "pop ds, execute-only code: #GP(sel)"
    pop ax
    mov word [0x610], 0x1234
    mov word [0x612], PASTGDT
    FAULT {les bx, [0x610]}, 13, PASTGDT, "les with a selector past the GDT limit"
    mov ax, es
    CHECK16 ax, DATA, "failed les left ES"
    mov ax, DPL3
    NOFAULT {mov ds, ax}, "mov ds, a DPL 3 data segment at CPL 0"
    mov ax, RCODE
    NOFAULT {mov ds, ax}, "mov ds, a readable code segment"
    mov ax, FLAT
    mov ds, ax

    ; ---- MOV SS ----
    mov ax, RODATA
    FAULT {mov ss, ax}, 13, RODATA, "mov ss, read-only data: #GP(sel)"
    mov ax, ss
    CHECK16 ax, FLAT, "failed mov ss left SS"
    mov ax, RCODE
    FAULT {mov ss, ax}, 13, RCODE, "mov ss, code: #GP(sel)"
    xor ax, ax
    FAULT {mov ss, ax}, 13, 0, "mov ss, null: #GP(0)"
    mov ax, DPL3
    FAULT {mov ss, ax}, 13, DPL3, "mov ss, DPL 3 data at CPL 0: #GP(sel)"
    mov ax, FLAT | 3
    FAULT {mov ss, ax}, 13, FLAT, "mov ss with RPL 3 at CPL 0: #GP(sel)"
    mov ax, NOTP
    FAULT {mov ss, ax}, 12, NOTP, "mov ss, not present: #SS(sel)"
    mov ax, PASTGDT
    FAULT {mov ss, ax}, 13, PASTGDT, "mov ss past the GDT limit: #GP(sel)"
    push word RODATA
    FAULT {pop ss}, 13, RODATA, "pop ss, read-only data: #GP(sel)"
    pop ax
    mov ax, DATA2
    mov ss, ax
    mov word [ss:0x10], 0x7777  ; base 20000
    mov ax, FLAT
    mov ss, ax
    mov ax, DATA2
    mov gs, ax
    CHECK16 word [gs:0x10], 0x7777, "mov ss, writable data loaded its base"

    ; ---- far transfers: CS limit and type ----
    FAULT {jmp SCODE:0x1000}, 13, 0, "far jmp past the CS limit (0FFF): #GP(0)"
    FAULT {jmp DATA:0}, 13, DATA, "far jmp to a data segment: #GP(sel)"
    FAULT {jmp PASTGDT:0}, 13, PASTGDT, "far jmp past the GDT limit: #GP(sel)"
    FAULT {call DATA2:0}, 13, DATA2, "far call to a data segment: #GP(sel)"
    mov bx, sp
    call CODE:far_sub
    CHECK16 sp, bx, "far call/retf in protected mode balance"
    CHECK16 ax, CODE, "far call reached the callee with CS=CODE"

    ; ---- gates ----
    FAULT {int 0x1f}, 11, 0x1f * 8 + 2, "int 1Fh, gate not present: #NP(vector*8+2)"
    FAULT {int 0x30}, 13, 0x30 * 8 + 2, "int 30h past the IDT limit: #GP(vector*8+2)"

    ; ---- back to real mode ----
    mov ax, FLAT                ; 64 KiB writable caches for real mode
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov eax, cr0
    and al, ~1
    mov cr0, eax
    jmp 0xf000:rm_back
rm_back:
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7000
    lidt [cs:ivt_desc]
    smsw ax
    CHECK16 ax, 0x0010, "back in real mode: PE clear"
    mov ax, cs
    CHECK16 ax, 0xf000, "real-mode CS"
    mov ax, 0x1000              ; a real-mode segment: base = 16 * value
    mov es, ax
    CHECK16 word [es:0x0ffe], 0x5a57, "real-mode ES:0FFE is linear 10FFE"
    mov ax, 0x3000
    mov es, ax
    CHECK16 word [es:0xfffe], 0x7621, "real-mode ES:FFFE is linear 3FFFE"
    mov word [0x80 * 4], int80
    mov word [0x80 * 4 + 2], cs
    xor bx, bx
    int 0x80
    CHECK16 bx, 0x8080, "int 80h through the IVT after returning"

    PASS

int80:
    mov bx, 0x8080
    iret

far_sub:
    mov ax, cs
    retf

code_byte:
    db 0xc3

gdt_desc:
    dw gdt_end - gdt - 1
    dd GDT_AT
idt_desc:
    dw 0x21 * 8 - 1
    dd IDT_AT
ivt_desc:
    dw 0x3ff
    dd 0

gdt:
    dq 0
    DESC 0xf0000, 0xffff, 0x9b, 0   ; CODE
    DESC 0x10000, 0x0fff, 0x93, 0   ; DATA
    DESC 0x20000, 0xffff, 0x93, 0   ; DATA2
    DESC 0x10000, 0x0fff, 0x91, 0   ; RODATA
    DESC 0x30000, 0x0fff, 0x97, 0   ; EXPDN
    DESC 0x00000, 0xffff, 0x93, 0   ; FLAT
    DESC 0x10000, 0x0000, 0x93, 0   ; TINY
    DESC 0x10000, 0x0000, 0x93, 8   ; GRAN
    DESC 0xf0000, 0xffff, 0x99, 0   ; XONLY
    DESC 0x40000, 0xffff, 0x13, 0   ; NOTP
    DESC 0xf0000, 0xffff, 0x9b, 0   ; RCODE
    DESC 0x30000, 0x0fff, 0x97, 4   ; EXPDNB
    DESC 0x00000, 0xffff, 0xf3, 0   ; DPL3
    DESC 0xf0000, 0x0fff, 0x9b, 0   ; SCODE
    DESC 0x30000, 0xffff, 0x93, 0   ; ALIAS3
    DESC 0x00000, 0x0000, 0x82, 0   ; LDTD
gdt_end:

; Handlers: vectors with an error code push it themselves; the others get
; NO_ERR so that every frame looks alike.
    align 16, db 0x90
pm_stubs:
%assign v 0
%rep 0x21
%if v == 8 || (v >= 10 && v <= 14) || v == 17
    push ax
    mov ax, v
    jmp pm_common
%else
    push word NO_ERR
    push ax
    mov ax, v
    jmp pm_common
%endif
    align 16, db 0x90
%assign v v + 1
%endrep

pm_common:                  ; [sp] AX, error, IP, CS, FLAGS
    push bp
    mov bp, sp              ; bp+2 AX, bp+4 error, bp+6 IP, bp+8 CS, bp+10 FLAGS
    push ds
    push bx
    mov bx, FLAT
    mov ds, bx
    mov [V_VEC], ax
    mov ax, [bp + 4]
    mov [V_ERR], ax
    mov ax, [bp + 6]
    mov [V_IP], ax
    mov ax, [bp + 8]
    mov [V_CS], ax
    lea ax, [bp + 4]
    mov [V_SP], ax
    inc word [V_CNT]
    mov ax, [V_SKIP]
    add [bp + 6], ax
    pop bx
    pop ds
    pop bp
    pop ax
    add sp, 2
    iret

ROM_END
