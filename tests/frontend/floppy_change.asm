; A floppy boot sector for the monitor's `change fda` test, booted by
; SeaBIOS from drive A: it steps the head (a read of cylinder 1 clears the
; disk-change line), says "insert" on the debug console, waits up to 30 s
; for the disk-change line (DIR bit 7, port 0x3F7) the change sets, then
; reads the new disk's boot sector through INT 13h and passes (debug-exit
; 1) when it holds the signature "NEWDISK!" at offset 0x1F0.

%define DEBUGCON  0xe9
%define DEBUGEXIT 0xf4
%define FDC_DIR   0x3f7
%define BUF       0x8000
%define TICKS     0x46c         ; BIOS timer ticks, 18.2 a second

    bits 16
    org 0x7c00

start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7c00
    sti
    mov cx, 0x0101              ; cylinder 1, sector 1
    call read_sector
    mov dx, FDC_DIR
    in al, dx
    test al, 0x80
    jnz fail
    mov si, msg_insert
    call puts
    mov bx, [TICKS]
.wait:
    hlt
    mov dx, FDC_DIR
    in al, dx
    test al, 0x80
    jnz .changed
    mov ax, [TICKS]
    sub ax, bx
    cmp ax, 546                 ; 30 s
    jb .wait
    jmp fail
.changed:
    mov cx, 0x0001              ; cylinder 0, sector 1
    call read_sector
    mov si, BUF + 0x1f0
    mov di, signature
    mov cx, 8
    repe cmpsb
    jne fail
    mov al, 1
    out DEBUGEXIT, al
    jmp halt

; Read the sector CX (INT 13h AH=02h form) of drive A, head 0, to BUF; a few tries
; (the first read after a change may report it).
read_sector:
    mov di, 5
.try:
    push cx
    mov ax, 0x0201
    xor dx, dx
    mov bx, BUF
    int 0x13
    pop cx
    jnc .done
    dec di
    jnz .try
    jmp fail
.done:
    ret

puts:
    lodsb
    test al, al
    jz .done
    out DEBUGCON, al
    jmp puts
.done:
    ret

fail:
    mov si, msg_fail
    call puts
    mov al, 2
    out DEBUGEXIT, al
halt:
    cli
    hlt
    jmp halt

msg_insert: db "insert", 10, 0
msg_fail: db "floppy change test: FAIL", 10, 0
signature: db "NEWDISK!"

    times 510 - ($ - $$) db 0
    dw 0xaa55
