; An El Torito "no emulation" boot image (tests/system/make-iso puts it on an
; ISO) that checks the BIOS's CD-ROM boot: the boot drive in DL is the CD
; (0xE0 and up under SeaBIOS, or any drive whose INT 13h AH=48h parameters
; give 2048-byte sectors), INT 13h AH=41h/42h extended read of LBA 16, the
; primary volume descriptor ("CD001" at bytes 1-5), and INT 10h teletype
; output.
; The BIOS loads it (4 virtual 512-byte sectors = one 2048-byte CD sector) at
; 0000:7C00 or 07C0:0000; the far jump below makes CS 0.
; It reports on the debug console (port 0xE9) and through isa-debug-exit
; (port 0xF4): 1 = pass (exit status 3), 2 = fail (exit status 5).
    bits 16
    org 0x7c00

%define DEBUGCON  0xe9
%define DEBUGEXIT 0xf4

start:
    jmp 0:.cs0
.cs0:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7c00
    sti
    cld
    mov [drive], dl

    mov si, msg_hello
    call print

    ; INT 13h AH=41h: the LBA extensions are there
    mov ah, 0x41
    mov bx, 0x55aa
    mov dl, [drive]
    int 0x13
    jc fail_41
    cmp bx, 0xaa55
    jne fail_41

    ; The boot drive is a CD: 0xE0 and up (SeaBIOS), or else INT 13h AH=48h
    ; reports 2048 bytes a sector.
    cmp byte [drive], 0xe0
    jae .is_cd
    mov word [params], 0x1a
    mov si, params
    mov ah, 0x48
    mov dl, [drive]
    int 0x13
    jc fail_drive
    cmp word [params + 0x18], 2048
    jne fail_drive
.is_cd:

    ; INT 13h AH=42h: read LBA 16 (the primary volume descriptor) to 0x8000
    mov si, dap
    mov ah, 0x42
    mov dl, [drive]
    int 0x13
    jc fail_read
    cmp byte [0x8000], 1            ; type 1: primary volume descriptor
    jne fail_pvd
    cmp dword [0x8001], 'CD00'
    jne fail_pvd
    cmp byte [0x8005], '1'
    jne fail_pvd

    mov si, msg_pass
    call print
    mov al, 1
    out DEBUGEXIT, al
    jmp halt

fail_41:
    mov si, msg_41
    jmp fail
fail_drive:
    mov si, msg_drive
    jmp fail
fail_read:
    mov si, msg_read
    jmp fail
fail_pvd:
    mov si, msg_pvd
fail:
    call print
    mov al, [drive]                 ; the boot drive, in hex
    call print_hex
    mov si, msg_crlf
    call print
    mov al, 2
    out DEBUGEXIT, al
halt:
    cli
    hlt
    jmp halt

; Print the string at DS:SI on the screen (INT 10h) and the debug console.
print:
    lodsb
    test al, al
    jz .done
    call putc
    jmp print
.done:
    ret

; Print AL as two hex digits.
print_hex:
    push ax
    shr al, 4
    call .digit
    pop ax
    and al, 0x0f
.digit:
    add al, '0'
    cmp al, '9'
    jbe putc
    add al, 'a' - '9' - 1
putc:
    out DEBUGCON, al
    push si
    mov ah, 0x0e
    mov bx, 0x0007
    int 0x10
    pop si
    ret

dap:
    db 0x10, 0
    dw 1            ; sectors (2048 bytes each)
    dw 0x8000, 0    ; buffer
    dq 16           ; LBA: the primary volume descriptor

drive: db 0
msg_hello: db "popek boot cdrom: hello from the El Torito boot image", 13, 10, 0
msg_pass:  db "popek boot cdrom: BIOS CD-ROM services work", 13, 10, 0
msg_41:    db "FAIL: INT 13h AH=41h extensions check, drive ", 0
msg_drive: db "FAIL: the boot drive is not a CD, drive ", 0
msg_read:  db "FAIL: INT 13h AH=42h read of LBA 16, drive ", 0
msg_pvd:   db "FAIL: LBA 16 is not the primary volume descriptor, drive ", 0
msg_crlf:  db 13, 10, 0

    align 2
params: times 0x1a db 0             ; INT 13h AH=48h result buffer

    times 2048 - ($ - $$) db 0      ; one CD sector
