; popek's direct-boot option ROM (--kernel). SeaBIOS runs it from fw_cfg
; ("genroms/popek-boot.bin") and boots it through its boot entry vector
; (BEV). It reads the boot descriptor popek prepared in the fw_cfg file
; "opt/org.popek/boot", copies each piece (Linux setup, kernel, initrd,
; command line, or a Multiboot image and its information structure) to its
; guest-physical address with fw_cfg DMA, and starts the kernel: a Linux
; bzImage at its real-mode setup code, a Multiboot kernel at its 32-bit
; entry in flat protected mode with EAX = 0x2BADB002 and EBX = the
; information structure.
;
; Descriptor layout (little-endian, see pc/kernel.c):
;   +0  u32 magic 'PBOO'    +4  u32 type (1 Linux, 2 Multiboot)
;   +8  u32 entry (Multiboot) or setup segment (Linux)
;   +12 u32 Multiboot information address, or the Linux stack pointer
;   +16 u32 number of pieces, then per piece:
;       u16 fw_cfg key, u16 reserved, u32 guest-physical address, u32 size
    bits 16
    org 0

%define FW_CFG_SEL  0x510
%define FW_CFG_DMA  0x514
%define DESC        0x7000      ; where the descriptor is read to
%define DMA_DESC    0x6ff0      ; one 16-byte fw_cfg DMA access structure

rom_start:
    db 0x55, 0xaa
    db (rom_end - rom_start) / 512
    jmp init                      ; the BIOS calls this at +3 with a far call
    times 0x18 - ($ - $$) db 0
    dw 0                          ; PCI data structure: none
    dw pnp                        ; PnP expansion header

pnp:
    db '$PnP'
    db 1                          ; revision
    db 2                          ; length in 16-byte units
    dw 0                          ; next header
    db 0
    db 0                          ; checksum (unused by SeaBIOS)
    dd 0                          ; device id
    dw manufacturer
    dw product
    db 0, 0, 0                    ; device type
    db 0x14                       ; indicators: IPL device, boot entry vector
    dw 0                          ; boot connection vector
    dw 0                          ; disconnect vector
    dw bev                        ; bootstrap entry vector
    dw 0
    dw 0                          ; static resource information

manufacturer: db "popek", 0
product:      db "popek direct kernel boot", 0

init:
    retf

; DMA one fw_cfg item (key in AX) to the 32-bit physical address in EDI,
; ECX bytes. Real mode, DS = 0.
dma_item:
    push eax
    push edx
    ; control: select (key << 16) | SELECT | READ, big-endian
    shl eax, 16
    or eax, 0x0a
    bswap eax
    mov [DMA_DESC], eax
    mov eax, ecx
    bswap eax
    mov [DMA_DESC + 4], eax
    mov dword [DMA_DESC + 8], 0
    mov eax, edi
    bswap eax
    mov [DMA_DESC + 12], eax
    ; the descriptor's address, big-endian: high half, then low half (starts it)
    mov dx, FW_CFG_DMA
    xor eax, eax
    out dx, eax
    mov eax, DMA_DESC
    bswap eax
    add dx, 4
    out dx, eax
    pop edx
    pop eax
    ret

; Find the fw_cfg file named at CS:SI; its key in AX (0 if absent).
find_file:
    push bx
    push cx
    push dx
    push di
    mov dx, FW_CFG_SEL
    mov ax, 0x19
    out dx, ax
    inc dx
    in al, dx
    in al, dx
    in al, dx
    mov ch, al
    in al, dx
    mov cl, al                    ; entry count (low 16 bits of a big-endian u32)
.entry:
    jcxz .absent
    in al, dx
    in al, dx
    in al, dx
    in al, dx                     ; size
    in al, dx
    mov bh, al
    in al, dx
    mov bl, al                    ; key, big-endian
    in al, dx
    in al, dx                     ; reserved
    push si
    mov di, 56
.cmp:
    in al, dx
    dec di
    cmp al, [cs:si]
    jne .drain
    inc si
    test al, al
    jnz .cmp
    pop si
.drain_found:
    test di, di
    jz .found
    in al, dx
    dec di
    jmp .drain_found
.drain:
    pop si
.drain2:
    test di, di
    jz .next
    in al, dx
    dec di
    jmp .drain2
.next:
    dec cx
    jmp .entry
.found:
    mov ax, bx
    jmp .out
.absent:
    xor ax, ax
.out:
    pop di
    pop dx
    pop cx
    pop bx
    ret

desc_name: db "opt/org.popek/boot", 0

bev:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x6f00
    mov si, desc_name
    call find_file
    test ax, ax
    jz fail
    mov edi, DESC
    mov ecx, 16 + 12 * 16
    call dma_item
    cmp dword [DESC], 'PBOO'
    jne fail
    ; each piece
    mov cx, [DESC + 16]
    mov bx, DESC + 20
.piece:
    jcxz .loaded
    push cx
    mov ax, [bx]
    mov edi, [bx + 4]
    mov ecx, [bx + 8]
    call dma_item
    pop cx
    add bx, 12
    dec cx
    jmp .piece
.loaded:
    cmp dword [DESC + 4], 2
    je multiboot

    ; Linux: the real-mode setup code at setup_seg:0, entered at setup_seg+0x20:0.
    mov ax, [DESC + 8]
    mov sp, [DESC + 12]
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    add ax, 0x20
    push ax
    push word 0
    retf

; The ROM runs wherever the BIOS put it and may be read-only: the GDT and
; the far pointer into 32-bit code are built in low RAM.
%define LOW_GDT 0x6e00
multiboot:
    mov si, gdt
    mov di, LOW_GDT
    mov cx, 24
.copy:
    mov al, [cs:si]
    mov [di], al
    inc si
    inc di
    loop .copy
    mov word [LOW_GDT + 0x20], 23
    mov dword [LOW_GDT + 0x22], LOW_GDT
    xor eax, eax
    mov ax, cs
    shl eax, 4
    add eax, pm32
    mov [LOW_GDT + 0x30], eax
    mov word [LOW_GDT + 0x34], 0x08
    lgdt [LOW_GDT + 0x20]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp dword far [LOW_GDT + 0x30]

    bits 32
pm32:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov esp, 0x7000
    mov ebx, [DESC + 12]
    mov ecx, [DESC + 8]
    mov eax, 0x2badb002
    jmp ecx

    bits 16
fail:
    mov si, fail_msg
.print:
    mov al, [cs:si]
    test al, al
    jz .halt
    out 0xe9, al
    inc si
    jmp .print
.halt:
    hlt
    jmp .halt

fail_msg: db "popek boot ROM: no boot descriptor in fw_cfg", 10, 0

gdt:
    dq 0
    dq 0x00cf9b000000ffff         ; flat 32-bit code
    dq 0x00cf93000000ffff         ; flat 32-bit data

    times 1024 - 1 - ($ - $$) db 0
    db 0                          ; checksum byte, set when popek embeds the ROM
rom_end:
