; A boot sector that uses the firmware's ACPI tables as an OS would: it
; finds the RSDP in the BIOS area, follows the RSDT to the FADT, resets the
; machine through the FADT's reset register (first boot, noted in CMOS
; byte 0x7E; a FADT without a reset register skips this step, saying so),
; then, booted again, reads SLP_TYP from the DSDT's \_S5 package and powers
; off through PM1a_CNT (SLP_EN). The run passes when the
; emulator exits with status 0 after "acpi: powering off" on the debug
; console (tests/system/run-poweroff); anything else reports FAIL through
; isa-debug-exit.
    bits 16
    org 0x7c00

%define DEBUGCON  0xe9
%define DEBUGEXIT 0xf4
%define MARK      0x7e          ; CMOS byte: 0xA5 once the reset was asked for

start:
    cli
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7c00
    lgdt [gdt_ptr]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp 0x08:pm

    bits 32
pm:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    ; the RSDP: "RSD PTR " on a 16-byte boundary in 0xE0000-0xFFFFF
    mov esi, 0xe0000
.scan:
    cmp dword [esi], 'RSD '
    jne .next
    cmp dword [esi + 4], 'PTR '
    je .rsdp
.next:
    add esi, 16
    cmp esi, 0x100000
    jb .scan
    mov esi, msg_no_rsdp
    jmp fail
.rsdp:
    mov ebx, [esi + 16]         ; RSDT
    cmp dword [ebx], 'RSDT'
    mov esi, msg_no_rsdt
    jne fail
    mov ecx, [ebx + 4]
    sub ecx, 36
    shr ecx, 2
    lea edi, [ebx + 36]
.entries:
    mov ebx, [edi]
    cmp dword [ebx], 'FACP'
    je .fadt
    add edi, 4
    loop .entries
    mov esi, msg_no_fadt
    jmp fail
.fadt:                          ; EBX = FADT
    mov al, MARK
    out 0x70, al
    in al, 0x71
    cmp al, 0xa5
    je poweroff
    ; first boot: the reset register (FADT offset 116, a GAS; value at 128);
    ; a FADT without one (QEMU's revision 1 FADT) goes on to the power-off
    test byte [ebx + 113], 0x04 ; flags bit 10: RESET_REG_SUP
    mov esi, msg_no_reset
    jz .no_reset
    cmp byte [ebx + 116], 1     ; system I/O
    jne fail
    mov al, MARK
    out 0x70, al
    mov al, 0xa5
    out 0x71, al
    mov esi, msg_reset
    call puts
    mov dx, [ebx + 120]
    mov al, [ebx + 128]
    out dx, al
    mov ecx, 10000000           ; the reset takes effect at once
.wait:
    loop .wait
    mov esi, msg_reset_failed
    jmp fail
.no_reset:
    call puts

poweroff:
    mov al, MARK
    out 0x70, al
    xor al, al
    out 0x71, al
    mov esi, msg_again
    call puts
    ; SLP_TYPa from the DSDT: Name (\_S5, Package () { SLP_TYPa, ... })
    mov edi, [ebx + 40]         ; DSDT
    mov ecx, [edi + 4]
.find:
    cmp dword [edi], '_S5_'
    je .s5
    inc edi
    loop .find
    mov esi, msg_no_s5
    jmp fail
.s5:
    cmp byte [edi + 4], 0x12    ; PackageOp
    mov esi, msg_no_s5
    jne fail
    movzx eax, byte [edi + 7]   ; first element (PkgLength one byte, then NumElements)
    cmp al, 0x0a                ; BytePrefix
    jne .typ
    movzx eax, byte [edi + 8]
.typ:
    shl eax, 10
    or ax, 1 << 13              ; SLP_EN
    mov edx, [ebx + 64]         ; PM1a_CNT_BLK
    mov esi, msg_off
    call puts
    out dx, ax
    mov ecx, 10000000
.wait:
    loop .wait
    mov esi, msg_still_on
fail:
    call puts
    mov al, 2
    out DEBUGEXIT, al
    hlt

; print "acpi: " and the zero-terminated string at ESI
puts:
    push eax
    push edx
    push esi
    mov esi, msg_prefix
    call .str
    pop esi
    call .str
    pop edx
    pop eax
    ret
.str:
    mov dx, DEBUGCON
.l: lodsb
    test al, al
    jz .d
    out dx, al
    jmp .l
.d: ret

msg_prefix:       db "acpi: ", 0
msg_no_rsdp:      db "no RSDP", 10, 0
msg_no_rsdt:      db "no RSDT", 10, 0
msg_no_fadt:      db "no FADT", 10, 0
msg_no_reset:     db "no RESET_REG", 10, 0
msg_reset:        db "reset", 10, 0
msg_reset_failed: db "no reset", 10, 0
msg_again:        db "rebooted", 10, 0
msg_no_s5:        db "no _S5", 10, 0
msg_off:          db "powering off", 10, 0
msg_still_on:     db "still on", 10, 0

    align 8
gdt:
    dq 0
    dq 0x00cf9a000000ffff       ; flat 32-bit code
    dq 0x00cf92000000ffff       ; flat data
gdt_ptr:
    dw gdt_ptr - gdt - 1
    dd gdt

    times 510 - ($ - $$) db 0
    dw 0xaa55
    times 1024 * 1024 - ($ - $$) db 0
