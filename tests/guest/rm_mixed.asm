; Real mode with operand-size (66) and address-size (67) prefixes: 32-bit
; registers and arithmetic, 32-bit addressing below 64 KiB, LOOP/JCXZ on CX
; or ECX, near and far CALL/RET in both sizes, ENTER/LEAVE with nesting,
; PUSHA/POPA, XLAT, LDS and friends, 64 KiB wrap-around of 16-bit offsets,
; self-modifying code, SHLD/SHRD, BSWAP, CMPXCHG8B, CPUID and RDTSC.
%include "popek.inc"
ROM_BEGIN

%define SMC_SEG 0x2000          ; self-modifying code runs at SMC_SEG:label

start:
    cli
    cld
    xor ax, ax
    mov ss, ax
    mov esp, 0x7000
    mov ds, ax
    mov es, ax

    ; ---- 32-bit registers and arithmetic ----
    mov eax, 0x12345678
    mov ax, 0
    CHECK16 eax, 0x12340000, "mov ax keeps the upper half of EAX"
    mov al, 0xff
    CHECK16 eax, 0x123400ff, "mov al keeps the rest of EAX"
    mov eax, 0xffffffff
    add eax, 1
    CHECKF16 0x0041, 0x0041, "add eax: carry out of bit 31, ZF"
    CHECK16 eax, 0, "add eax wraps to 0"
    mov eax, 0x0000ffff
    add eax, 1
    CHECKF16 0x0001, 0x0000, "add eax: no carry out of bit 15"
    CHECK16 eax, 0x10000, "add eax carries into bit 16"
    mov eax, 0x7fffffff
    inc eax
    CHECKF16 0x0880, 0x0880, "inc eax: OF SF at 7fffffff"
    ; 64-bit add with adc
    mov eax, 0xffffffff
    mov edx, 1
    add eax, 2
    adc edx, 0
    CHECK16 eax, 1, "64-bit add low"
    CHECK16 edx, 2, "64-bit add high through adc"
    mov eax, 0x10000
    mov ebx, 0x30000
    mul ebx
    CHECK16 edx, 3, "mul r32 high"
    CHECK16 eax, 0, "mul r32 low"
    mov ecx, -7
    imul eax, ecx, 0x10000
    CHECK16 eax, 0xfff90000, "imul r32, r32, imm32"
    mov edx, 0
    mov eax, 1000000
    mov ecx, 7
    div ecx
    CHECK16 eax, 142857, "div r32 quotient"
    CHECK16 edx, 1, "div r32 remainder"
    mov eax, 0x80000000
    sar eax, 4
    CHECK16 eax, 0xf8000000, "sar eax"
    shr eax, 28
    CHECK16 eax, 0xf, "shr eax"
    mov bx, 0x8001
    movsx ecx, bx
    CHECK16 ecx, 0xffff8001, "movsx r32, r16"
    movzx ecx, bx
    CHECK16 ecx, 0x8001, "movzx r32, r16"
    mov ecx, 0x10000
    dec cx
    CHECK16 ecx, 0x1ffff, "dec cx leaves ECX bits 16-31"

    ; 32-bit push/pop in real mode move SP by 4
    mov bx, sp
    push dword 0xcafef00d
    mov dx, bx
    sub dx, sp
    CHECK16 dx, 4, "push dword moves SP by 4"
    CHECK16 dword [0x6ffc], 0xcafef00d, "push dword stored"
    push word 0x1234
    pop ax
    pop ecx
    CHECK16 ecx, 0xcafef00d, "pop ecx"
    CHECK16 sp, bx, "push/pop balance"

    ; ---- 32-bit addressing (67) below 64 KiB ----
    mov eax, 0x1000
    mov ecx, 0x10
    mov dword [eax + ecx * 4 + 8], 0xa1b2c3d4
    CHECK16 dword [0x1048], 0xa1b2c3d4, "store through [eax+ecx*4+8]"
    mov ebx, 0x1048
    mov edx, [ebx]
    CHECK16 edx, 0xa1b2c3d4, "load through [ebx]"
    mov esi, 0x40
    mov ax, [esi * 2 + 0xfc8]
    CHECK16 ax, 0xc3d4, "load through [esi*2+disp32]"
    lea eax, [ebx + ecx * 8 + 0x12340000]
    CHECK16 eax, 0x123410c8, "lea with 32-bit address size is not truncated"
    lea ax, [ebx + ecx * 8 + 0x12340000]
    CHECK16 ax, 0x10c8, "lea r16 with 32-bit address size"
    mov bx, 0xffff
    mov si, 2
    lea eax, [bx + si]
    CHECK16 eax, 1, "lea r32 with 16-bit address size wraps at 64 KiB"
    ; [esp] and [ebp] default to SS
    mov ax, 0x3000
    mov ss, ax
    mov dword [ss:0x6ff0], 0x55aa55aa
    mov esp, 0x6ff0
    mov eax, [esp]
    mov ebp, 0x6fe0
    mov ecx, [ebp + 0x10]
    xor dx, dx
    mov ss, dx
    mov esp, 0x7000
    CHECK16 eax, 0x55aa55aa, "[esp] uses SS"
    CHECK16 ecx, 0x55aa55aa, "[ebp+disp8] uses SS"

    ; ---- LOOP / JCXZ with CX or ECX ----
    mov ecx, 0x00010001
    loop .l16_taken         ; CX: 1 -> 0, not taken
    jmp .l16_ok
.l16_taken:
    FAIL16 "loop (16-bit) looked at ECX"
.l16_ok:
    CHECK16 ecx, 0x00010000, "loop (16-bit) decrements CX only"
    loop .l32_taken, ecx    ; ECX: 10000h -> 0FFFFh, taken
    FAIL16 "loop with 67 prefix did not use ECX"
.l32_taken:
    CHECK16 ecx, 0x0000ffff, "loop with 67 decrements ECX"
    mov ecx, 0x00010000
    jcxz .jcxz_ok
    FAIL16 "jcxz not taken with CX=0, ECX=10000h"
.jcxz_ok:
    jecxz .jecxz_bad        ; 67 E3
    jmp .jecxz_ok
.jecxz_bad:
    FAIL16 "jecxz taken with ECX=10000h"
.jecxz_ok:
    xor ecx, ecx
    jecxz .jecxz2_ok
    FAIL16 "jecxz not taken with ECX=0"
.jecxz2_ok:
    mov cx, 3
    xor ax, ax
.loope:
    inc ax
    cmp ax, 2
    loopne .loope           ; stops when AX == 2 (ZF=1)
    CHECK16 ax, 2, "loopne stops on ZF"
    CHECK16 cx, 1, "loopne count"

    ; ---- near CALL/RET with 66 ----
    mov bx, sp
    call dword sub32
ret32:
    CHECK16 sp, bx, "o32 call/ret balance"
    CHECK16 word [0x600], 4, "o32 call pushes 4 bytes"
    CHECK16 dword [0x604], ret32, "o32 call pushed the 32-bit return offset"
    call sub16
    CHECK16 word [0x600], 2, "call (16-bit) pushes 2 bytes"

    ; ---- far CALL/RETF, RETF imm16 ----
    mov bx, sp
    call 0xf000:far_sub
far_ret1:
    CHECK16 sp, bx, "far call/retf balance"
    CHECK16 word [0x610], 0xf000, "far call: CS in the callee"
    CHECK16 word [0x612], far_ret1, "far call pushed IP"
    CHECK16 word [0x614], 0xf000, "far call pushed CS"
    call 0xef00:(far_sub + 0x1000)
    CHECK16 word [0x610], 0xef00, "far call to EF00: CS in the callee"
    CHECK16 sp, bx, "far call EF00 balance"
    push word 0x1111
    push word 0x2222
    call 0xf000:far_sub4
    CHECK16 sp, bx, "retf 4 drops the arguments"
    CHECK16 word [0x616], 0x2222, "retf 4 callee saw its argument"
    call dword 0xf000:far_sub32
far_ret32:
    CHECK16 sp, bx, "o32 far call/retf balance"
    CHECK16 word [0x618], 8, "o32 far call pushes 8 bytes"
    CHECK16 dword [0x61c], far_ret32, "o32 far call pushed EIP"
    CHECK16 word [0x620], 0xf000, "o32 far call pushed CS"
    mov word [0x630], far_sub
    mov word [0x632], 0xf000
    call far [0x630]
far_ret_ind:
    CHECK16 word [0x612], far_ret_ind, "indirect far call pushed IP"
    CHECK16 sp, bx, "indirect far call balance"

    ; ---- ENTER / LEAVE ----
    mov word [0x5ffe], 0x1111    ; the outer frames' display
    mov word [0x5ffc], 0x2222
    mov bp, 0x6000
    enter 0x10, 0
    CHECK16 bp, 0x6ffe, "enter n,0: BP"
    CHECK16 sp, 0x6fee, "enter n,0: SP"
    CHECK16 word [0x6ffe], 0x6000, "enter n,0 pushed BP"
    leave
    CHECK16 sp, 0x7000, "leave after enter n,0: SP"
    CHECK16 bp, 0x6000, "leave after enter n,0: BP"
    enter 0x10, 1
    CHECK16 bp, 0x6ffe, "enter n,1: BP"
    CHECK16 sp, 0x6fec, "enter n,1: SP"
    CHECK16 word [0x6ffc], 0x6ffe, "enter n,1 pushed the frame pointer"
    leave
    CHECK16 sp, 0x7000, "leave after enter n,1"
    enter 0x10, 3
    CHECK16 bp, 0x6ffe, "enter n,3: BP"
    CHECK16 sp, 0x6fe8, "enter n,3: SP"
    CHECK16 word [0x6ffe], 0x6000, "enter n,3 pushed BP"
    CHECK16 word [0x6ffc], 0x1111, "enter n,3 copied [BP-2]"
    CHECK16 word [0x6ffa], 0x2222, "enter n,3 copied [BP-4]"
    CHECK16 word [0x6ff8], 0x6ffe, "enter n,3 pushed the frame pointer"
    leave
    CHECK16 sp, 0x7000, "leave after enter n,3: SP"
    CHECK16 bp, 0x6000, "leave after enter n,3: BP"
    mov ebp, 0x12345678
    o32 enter 8, 0
    CHECK16 ebp, 0x6ffc, "o32 enter: EBP"
    CHECK16 esp, 0x6ff4, "o32 enter: ESP"
    CHECK16 dword [0x6ffc], 0x12345678, "o32 enter pushed EBP"
    o32 leave
    CHECK16 ebp, 0x12345678, "o32 leave: EBP"
    CHECK16 esp, 0x7000, "o32 leave: ESP"

    ; ---- PUSHA / POPA ----
    mov eax, 0xaaaa0001
    mov ecx, 0xcccc0002
    mov dx, 3
    mov bx, 4
    mov bp, 6
    mov si, 7
    mov di, 8
    pusha
    CHECK16 sp, 0x6ff0, "pusha moves SP by 16"
    CHECK16 word [0x6ffe], 1, "pusha: AX at the top"
    CHECK16 word [0x6ff6], 0x7000, "pusha: the original SP"
    CHECK16 word [0x6ff0], 8, "pusha: DI at the bottom"
    mov word [0x6ff6], 0x1234    ; POPA skips the saved SP
    xor ax, ax
    xor cx, cx
    xor di, di
    mov bp, 0
    popa
    CHECK16 sp, 0x7000, "popa ignores the saved SP"
    CHECK16 eax, 0xaaaa0001, "popa AX keeps the upper half of EAX"
    CHECK16 ecx, 0xcccc0002, "popa CX"
    CHECK16 di, 8, "popa DI"
    CHECK16 bp, 6, "popa BP"
    mov eax, 0x11111111
    mov edi, 0x88888888
    pushad
    CHECK16 sp, 0x6fe0, "pushad moves SP by 32"
    CHECK16 dword [0x6ffc], 0x11111111, "pushad: EAX"
    CHECK16 dword [0x6fec], 0x7000, "pushad: the original ESP"
    xor eax, eax
    xor edi, edi
    popad
    CHECK16 eax, 0x11111111, "popad EAX"
    CHECK16 edi, 0x88888888, "popad EDI"
    CHECK16 sp, 0x7000, "popad SP"

    ; ---- XLAT ----
    mov ebx, 0x10000 + xlat_table   ; 16-bit XLAT ignores bits 16-31
    mov al, 5
    cs xlatb
    CHECK16 al, 0x50, "xlat cs:[bx+al]"
    mov al, 0xff
    mov bx, 0x700
    mov byte [0x7ff], 0x99
    xlatb
    CHECK16 al, 0x99, "xlat with AL=ff (unsigned index)"
    mov ebx, xlat_table
    mov al, 3
    a32 cs xlatb
    CHECK16 al, 0x30, "xlat with 67: [ebx+al]"

    ; ---- LDS / LES / LSS / LFS / LGS ----
    mov word [0x640], 0x1234
    mov word [0x642], 0x5678
    mov dword [0x650], 0x9abcdef0
    mov word [0x654], 0x4321
    les di, [0x640]
    mov ax, es
    CHECK16 ax, 0x5678, "les: ES"
    CHECK16 di, 0x1234, "les: offset"
    lfs si, [0x640]
    mov ax, fs
    CHECK16 ax, 0x5678, "lfs: FS"
    o32 lgs edx, [0x650]
    mov ax, gs
    CHECK16 ax, 0x4321, "o32 lgs: GS after a 32-bit offset"
    CHECK16 edx, 0x9abcdef0, "o32 lgs: 32-bit offset"
    mov bx, 0x640
    lds cx, [bx]
    mov ax, ds
    xor dx, dx
    mov ds, dx
    CHECK16 ax, 0x5678, "lds: DS"
    CHECK16 cx, 0x1234, "lds: offset"
    mov word [0x660], 0x6800
    mov word [0x662], 0x0000
    lss sp, [0x660]
    CHECK16 sp, 0x6800, "lss: SP"
    mov sp, 0x7000
    xor ax, ax
    mov es, ax

    ; ---- 16-bit offsets wrap at 64 KiB ----
    mov ax, 0x1000
    mov ds, ax
    mov ax, 0x2000
    mov fs, ax
    mov byte [fs:0x0005], 0xee     ; linear 20005: must stay
    mov bx, 0xfff0
    mov si, 0x0015
    mov byte [bx + si], 0x77        ; DS:0005
    mov al, [0x0005]
    mov ah, [fs:0x0005]
    mov bx, 0xfff8
    mov word [bx + 0x10], 0x4455    ; DS:0008
    mov cx, [0x0008]
    mov bp, 0xffff
    mov di, 0x0003
    mov byte [ds:bp + di + 1], 0x66 ; DS:0003
    mov dl, [0x0003]
    xor bx, bx
    mov ds, bx
    CHECK16 al, 0x77, "[bx+si] wraps at 64 KiB"
    CHECK16 ah, 0xee, "[bx+si] did not reach the next 64 KiB"
    CHECK16 cx, 0x4455, "[bx+disp] wraps at 64 KiB"
    CHECK16 dl, 0x66, "[bp+di+disp] wraps at 64 KiB"

    ; REP MOVSB with SI running through FFFF to 0
    mov ax, 0x1000
    mov ds, ax
    mov ax, 0x3000
    mov es, ax
    mov dword [0xfffc], 0x44332211  ; DS:FFFC..FFFF
    mov dword [0x0000], 0x88776655  ; DS:0000..0003
    mov byte [fs:0x0000], 0xdd      ; linear 20000: must not be read
    mov byte [fs:0x0001], 0xdd
    mov si, 0xfffe
    xor di, di
    mov cx, 4
    rep movsb
    mov eax, [es:0]
    xor bx, bx
    mov ds, bx
    CHECK16 eax, 0x66554433, "rep movsb: SI wrapped from FFFF to 0"
    CHECK16 si, 2, "rep movsb: SI after the wrap"
    CHECK16 di, 4, "rep movsb: DI"
    ; REP STOSB with DI running through FFFF
    mov di, 0xffff
    mov al, 0xab
    mov cx, 2
    rep stosb
    CHECK16 di, 1, "rep stosb: DI wrapped"
    CHECK16 byte [es:0xffff], 0xab, "rep stosb wrote ES:FFFF"
    CHECK16 byte [es:0x0000], 0xab, "rep stosb wrapped to ES:0000"
    ; backwards through 0
    mov ax, 0x1000
    mov ds, ax
    std
    mov si, 0x0001
    mov di, 0x0103
    mov cx, 4
    rep movsb
    cld
    mov eax, [es:0x100]
    xor bx, bx
    mov ds, bx
    CHECK16 eax, 0x66554433, "rep movsb backwards: SI wrapped from 0 to FFFF"
    CHECK16 si, 0xfffd, "rep movsb backwards: SI"
    xor ax, ax
    mov es, ax

    ; ---- self-modifying code, run from RAM ----
    push ds
    push cs
    pop ds
    mov ax, SMC_SEG
    mov es, ax
    mov si, smc_begin
    mov di, smc_begin
    mov cx, smc_end - smc_begin
    rep movsb
    pop ds
    xor ax, ax
    mov es, ax
    call SMC_SEG:smc_begin
    CHECK16 al, 0x42, "smc: patched immediate of the next instruction"
    CHECK16 bx, 9, "smc: patched opcode (inc -> dec) of the next instruction"
    CHECK16 dx, 0x11, "smc: patched immediate seen on the second loop pass"
    CHECK16 esi, 0xcafebabe, "smc: patched imm32 of the next instruction"
    CHECK16 di, 0x0302, "smc: a routine run twice, patched in between"

    ; ---- SHLD / SHRD ----
    mov ax, 0x1234
    mov bx, 0xabcd
    shld ax, bx, 4
    CHECKF16 0x0001, 0x0001, "shld r16 imm: CF is the last bit out"
    CHECK16 ax, 0x234a, "shld r16, r16, 4"
    mov eax, 0x12345678
    mov ebx, 0xaabbccdd
    mov cl, 8
    shrd eax, ebx, cl
    CHECKF16 0x0001, 0x0000, "shrd r32 cl: CF is bit 7"
    CHECK16 eax, 0xdd123456, "shrd r32, r32, cl"
    CHECK16 ebx, 0xaabbccdd, "shrd leaves the source"
    mov eax, 0x80000001
    mov edx, 0x40000000
    mov cl, 33               ; count is taken mod 32
    shld eax, edx, cl
    CHECK16 eax, 0x00000002, "shld r32 count 33 acts as 1"
    mov dword [0x670], 0x000000f0
    mov ebx, 0x0000000f
    shrd dword [0x670], ebx, 4
    CHECK16 dword [0x670], 0xf000000f, "shrd m32, r32, 4"
    stc
    mov ax, 0x8000
    shld ax, bx, 0
    CHECKF16 0x0001, 0x0001, "shld count 0 keeps the flags"
    CHECK16 ax, 0x8000, "shld count 0 keeps the operand"

    ; ---- BSWAP ----
    mov eax, 0x11223344
    bswap eax
    CHECK16 eax, 0x44332211, "bswap eax"
    mov edi, 0x80000001
    bswap edi
    CHECK16 edi, 0x01000080, "bswap edi"

    ; ---- CMPXCHG8B ----
    mov dword [0x680], 0x11111111
    mov dword [0x684], 0x22222222
    mov eax, 0x11111111
    mov edx, 0x22222222
    mov ebx, 0x33333333
    mov ecx, 0x44444444
    cmpxchg8b [0x680]
    CHECKF16 0x0040, 0x0040, "cmpxchg8b equal: ZF"
    CHECK16 dword [0x680], 0x33333333, "cmpxchg8b equal stored EBX"
    CHECK16 dword [0x684], 0x44444444, "cmpxchg8b equal stored ECX"
    mov eax, 0x11111111
    mov edx, 0x22222222
    mov esi, 0x180
    cmpxchg8b [esi * 4 + 0x80]      ; 67: [0x680]
    CHECKF16 0x0040, 0x0000, "cmpxchg8b not equal: ZF clear"
    CHECK16 eax, 0x33333333, "cmpxchg8b not equal loaded EAX"
    CHECK16 edx, 0x44444444, "cmpxchg8b not equal loaded EDX"
    CHECK16 dword [0x680], 0x33333333, "cmpxchg8b not equal left memory"

    ; ---- CPUID ----
    xor eax, eax
    cpuid
    cmp eax, 1
    jae .leaf_ok
    FAIL16 "cpuid: highest leaf below 1"
.leaf_ok:
    cmp ebx, 'Genu'
    jne .amd
    CHECK16 edx, 'ineI', "cpuid vendor GenuineIntel (edx)"
    CHECK16 ecx, 'ntel', "cpuid vendor GenuineIntel (ecx)"
    jmp .vendor_ok
.amd:
    CHECK16 ebx, 'Auth', "cpuid vendor neither GenuineIntel nor AuthenticAMD"
    CHECK16 edx, 'enti', "cpuid vendor AuthenticAMD (edx)"
    CHECK16 ecx, 'cAMD', "cpuid vendor AuthenticAMD (ecx)"
.vendor_ok:
    mov eax, 1
    cpuid
    mov ebx, eax
    shr ebx, 8
    and bx, 0xf
    cmp bx, 6
    jae .family_ok
    FAIL16 "cpuid family below 6"
.family_ok:
    test edx, 1 << 4
    jnz .tsc_ok
    FAIL16 "cpuid: no TSC"
.tsc_ok:
    test edx, 1 << 8
    jnz .cx8_ok
    FAIL16 "cpuid: no CMPXCHG8B"
.cx8_ok:

    ; ---- RDTSC counts up ----
    rdtsc
    mov esi, eax
    mov edi, edx
    mov cx, 1000
.spin:
    loop .spin
    rdtsc
    cmp edx, edi
    ja .tsc_up
    jb .tsc_back
    cmp eax, esi
    ja .tsc_up
.tsc_back:
    FAIL16 "rdtsc did not count up"
.tsc_up:

    PASS

sub32:
    mov ax, bx
    sub ax, sp
    mov [0x600], ax
    mov eax, [esp]
    mov [0x604], eax
    o32 ret

sub16:
    mov ax, bx
    sub ax, sp
    mov [0x600], ax
    ret

far_sub:                    ; also run as EF00:far_sub+1000h
    mov ax, cs
    mov [0x610], ax
    mov bp, sp
    mov ax, [bp]
    mov [0x612], ax
    mov ax, [bp + 2]
    mov [0x614], ax
    retf

far_sub4:
    mov bp, sp
    mov ax, [bp + 4]
    mov [0x616], ax
    retf 4

far_sub32:
    mov ax, bx
    sub ax, sp
    mov [0x618], ax
    mov bp, sp
    mov eax, [bp]
    mov [0x61c], eax
    mov ax, [bp + 4]
    mov [0x620], ax
    o32 retf

xlat_table:
    db 0x00, 0x10, 0x20, 0x30, 0x40, 0x50

; Copied to SMC_SEG:smc_begin and called there; writes through CS.
smc_begin:
    mov byte [cs:smc_imm8 + 1], 0x42
smc_imm8:
    mov al, 0x00
    mov bx, 10
    mov byte [cs:smc_op], 0x4b      ; dec bx
smc_op:
    inc bx
    xor dx, dx
    mov cx, 2
smc_loop:
smc_imm16:
    add dx, 1                       ; 83 C2 01
    mov byte [cs:smc_imm16 + 2], 0x10
    loop smc_loop
    mov dword [cs:smc_imm32 + 2], 0xcafebabe
smc_imm32:
    mov esi, 0                      ; 66 BE imm32
    xor di, di
    mov cx, 2
smc_twice:
    call smc_inc
    mov byte [cs:smc_inc + 3], 0x02 ; add di, 0x101 -> add di, 0x201
    loop smc_twice
    retf
smc_inc:
    add di, 0x0101                  ; 81 C7 01 01
    ret
smc_end:

ROM_END
