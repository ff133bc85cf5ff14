; Time: the TSC measured against the other clocks the way a kernel
; calibrates it, and the answers compared. Three measurements:
;
; - "quick PIT": PIT counter 2 in mode 0 from FFFFh, gate on through port
;   61h, reading the counter's MSB until it changes and taking the TSC at
;   each change; it succeeds once the TSC's uncertainty at both ends of the
;   interval (one loop iteration each) is under 1/2048 of the interval,
;   within 50 ms (Linux's quick_pit_calibrate, arch/x86/kernel/tsc.c);
; - "PIT loop": counter 2 in mode 0 counting 10 ms, the TSC read in a loop
;   until OUT2 (port 61h bit 5) rises; the slowest iteration must take at
;   most 10 times the fastest, and the loop must run at least 1000 times
;   (Linux's pit_calibrate_tsc);
; - "RTC": the TSC over one second of the MC146818 (from one change of its
;   seconds register to the next).
;
; The quick PIT is tried up to ten times, the PIT loop three (under QEMU,
; whose clocks are the host's, a PIT loop disturbed three times is only
; noted and its answer not used). The RTC's and the PIT loop's frequencies
; must agree with the quick PIT's (which bounds its own error) within 1%.
; The guest then prints the virtual time it took in all ("virtual ms: N",
; from the TSC and the quick PIT's frequency); run-time checks that against
; the host's wall clock. Interrupts stay off throughout.
%include "sys.inc"
ROM_BEGIN
SYS_CODE

    align 8
gdt_template:
    GDT_COMMON
gdt_template_end:

%define PIT_HZ     1193182
%define CAL_LATCH  11932        ; 10 ms of PIT_HZ
%define CAL_MS     10
%define CAL_LOOPS  1000         ; the PIT loop's fewest iterations
%define QUICK_MAX  233          ; 50 ms of MSB changes (256 PIT ticks each)

; Variables (RAM).
%define T_START  0x6000         ; TSC (qword) at the start
%define R_T0     0x6008         ; RTC: TSC (qword) at the first fall of UIP
%define F_QUICK  0x6010         ; kHz by each method (0: failed)
%define F_PIT    0x6014
%define F_RTC    0x6018
%define Q_TSC0   0x601c         ; quick PIT: TSC at the end of MSB FFh
%define Q_D1     0x6020         ; its uncertainty
%define Q_I      0x6024         ; MSB changes counted
%define Q_DELTA  0x6028
%define P_T1     0x602c         ; PIT loop: TSC before the loop
%define P_MIN    0x6030
%define P_MAX    0x6034
%define P_CNT    0x6038
%define P_STEADY 0x603c         ; PIT loop: 1 when it passed its checks
%define TRIES    0x6040

    bits 32
main:
    rdtsc
    mov [T_START], eax
    mov [T_START + 4], edx

    ; ---------------- quick PIT ----------------
    mov dword [TRIES], 10
.quick:
    call quick_pit
    mov [F_QUICK], eax
    test eax, eax
    jnz .quick_ok
    PUTS32 "quick PIT calibration failed, trying again"
    dec dword [TRIES]
    jnz .quick
    FAIL32 "quick PIT calibration failed ten times"
.quick_ok:
    PUTSN32 "quick PIT: "
    mov eax, [F_QUICK]
    call print_dec
    PUTS32 " kHz"

    ; ---------------- PIT loop ----------------
    mov dword [TRIES], 3
.pit:
    call pit_loop
    mov [F_PIT], eax
    PUTSN32 "PIT loop: "
    mov eax, [P_CNT]
    call print_dec
    PUTSN32 " iterations of "
    mov eax, [P_MIN]
    call print_dec
    PUTSN32 " to "
    mov eax, [P_MAX]
    call print_dec
    PUTSN32 " TSC ticks: "
    mov eax, [F_PIT]
    call print_dec
    PUTS32 " kHz"
    cmp dword [P_STEADY], 1
    je .pit_ok
    dec dword [TRIES]
    jnz .pit
    ; QEMU's clocks are the host's: a host that preempts it inside the loop
    ; makes one iteration long, so there the check is noted, not required.
    QEMU_SKIP .pit_ok, "the PIT loop was disturbed three times (a busy host)"
    FAIL32 "PIT loop calibration disturbed three times (too few iterations, or the slowest over 10 times the fastest)"
.pit_ok:

    ; ---------------- RTC ----------------
    call rtc_second
    mov [F_RTC], eax
    PUTSN32 "RTC: "
    mov eax, [F_RTC]
    call print_dec
    PUTS32 " kHz"

    ; ---------------- agreement (with the quick PIT's, which bounds its own error) ----------------
    mov eax, [F_RTC]
    call off_by_1pct
    jnc .r_agrees
    FAIL32 "RTC and quick PIT disagree by 1% or more"
.r_agrees:
    cmp dword [P_STEADY], 1
    jne .p_skip                     ; QEMU's disturbed loop (noted above)
    mov eax, [F_PIT]
    call off_by_1pct
    jnc .p_agrees
    FAIL32 "PIT loop and quick PIT disagree by 1% or more"
.p_skip:
.p_agrees:

    ; ---------------- virtual time taken ----------------
    PUTSN32 "virtual ms: "
    rdtsc
    sub eax, [T_START]
    sbb edx, [T_START + 4]
    div dword [F_QUICK]             ; TSC ticks / kHz = ms
    call print_dec
    PUTS32 ""
    PASS

; CF set when EAX differs from [F_QUICK] by 1% of [F_QUICK] or more.
off_by_1pct:
    sub eax, [F_QUICK]
    jns .abs
    neg eax
.abs:
    mov ecx, 100
    mul ecx                         ; |diff| * 100 (edx:eax)
    test edx, edx
    jnz .off
    cmp eax, [F_QUICK]
    jae .off
    clc
    ret
.off:
    stc
    ret

; Counter 2, mode 0, binary, LSB then MSB; gate on, speaker off.
%macro PIT2_MODE0 1
    in al, 0x61
    and al, ~0x02
    or al, 0x01
    out 0x61, al
    mov al, 0xb0
    out 0x43, al
    mov al, (%1) & 0xff
    out 0x42, al
    mov al, (%1) >> 8
    out 0x42, al
%endmacro

; Read counter 2 while its MSB is BL (at most 50000 times). Returns ECX =
; the reads that matched, ESI = the TSC after the last of them, EDI = the
; TSC now minus the TSC after the one before it (the uncertainty of ESI).
expect_msb:
    xor ecx, ecx
    xor esi, esi
    xor ebp, ebp
.loop:
    in al, 0x42                     ; LSB
    in al, 0x42                     ; MSB
    cmp al, bl
    jne .done
    mov ebp, esi
    rdtsc
    mov esi, eax
    inc ecx
    cmp ecx, 50000
    jb .loop
.done:
    rdtsc
    sub eax, ebp
    mov edi, eax
    ret

; The quick PIT calibration: EAX = TSC kHz, or 0 when it failed.
quick_pit:
    PIT2_MODE0 0xffff
    in al, 0x42                     ; one read: the count loads at the next CLK pulse
    in al, 0x42
    mov bl, 0xff
    call expect_msb
    cmp ecx, 5
    jbe .fail
    mov [Q_TSC0], esi
    mov [Q_D1], edi
    mov dword [Q_I], 1
.next_msb:
    mov bl, 0xff
    sub bl, [Q_I]
    call expect_msb
    cmp ecx, 5
    jbe .fail
    sub esi, [Q_TSC0]
    mov [Q_DELTA], esi
    add edi, [Q_D1]                 ; the uncertainty at both ends
    cmp dword [Q_I], 1
    jne .precise
    mov eax, esi                    ; after one change: give up unless the error
    mov ecx, QUICK_MAX              ; can get under 1/2048 within QUICK_MAX changes
    mul ecx
    shrd eax, edx, 11
    cmp edi, eax
    jae .fail
.precise:
    mov eax, [Q_DELTA]
    shr eax, 11
    cmp edi, eax
    jae .again
    in al, 0x42                     ; the counter has not moved on meanwhile
    in al, 0x42
    mov bl, 0xfe
    sub bl, [Q_I]
    cmp al, bl
    jne .fail
    mov eax, [Q_DELTA]              ; kHz = delta * PIT_HZ / (changes * 256 * 1000)
    mov ecx, PIT_HZ
    mul ecx
    mov ecx, [Q_I]
    imul ecx, ecx, 256000
    div ecx
    ret
.again:
    inc dword [Q_I]
    cmp dword [Q_I], QUICK_MAX
    jbe .next_msb
.fail:
    xor eax, eax
    ret

; The PIT loop calibration: EAX = TSC kHz; [P_STEADY] = 1 unless it was
; disturbed (too few iterations, the slowest over 10 times the fastest).
pit_loop:
    PIT2_MODE0 CAL_LATCH
    rdtsc
    mov [P_T1], eax
    mov esi, eax                    ; the TSC at the last read
    xor ecx, ecx                    ; iterations
    mov ebx, 0xffffffff             ; the fastest
    xor ebp, ebp                    ; the slowest
.loop:
    in al, 0x61
    test al, 0x20
    jnz .done
    rdtsc
    mov edi, eax
    sub edi, esi
    mov esi, eax
    cmp edi, ebx
    jae .not_min
    mov ebx, edi
.not_min:
    cmp edi, ebp
    jbe .not_max
    mov ebp, edi
.not_max:
    inc ecx
    cmp ecx, 100000000
    jb .loop
.done:
    mov [P_CNT], ecx
    mov [P_MIN], ebx
    mov [P_MAX], ebp
    mov dword [P_STEADY], 0
    cmp ecx, CAL_LOOPS
    jb .khz
    mov eax, ebx
    mov edx, 10
    mul edx
    test edx, edx
    jnz .khz
    cmp ebp, eax
    ja .khz
    mov dword [P_STEADY], 1
.khz:
    mov eax, esi
    sub eax, [P_T1]
    xor edx, edx
    mov ecx, CAL_MS
    div ecx
    ret

; The RTC: EAX = TSC ticks over one RTC second / 1000, from one change of
; the seconds register to the next (a change stays seen: a guest that is
; held up a while, as QEMU on a busy host, measures late, not a second off).
rtc_second:
    mov al, 0x0a                    ; register A: 32.768 kHz time base
    out 0x70, al
    mov al, 0x26
    out 0x71, al
    mov al, 0x0b                    ; register B: 24-hour, updates on
    out 0x70, al
    mov al, 0x02
    out 0x71, al
    call seconds_change
    rdtsc
    mov [R_T0], eax
    mov [R_T0 + 4], edx
    call seconds_change
    rdtsc
    sub eax, [R_T0]
    sbb edx, [R_T0 + 4]
    mov ecx, 1000
    div ecx
    ret

; Wait for the seconds register (index 0) to change.
seconds_change:
    mov al, 0x00
    out 0x70, al
    in al, 0x71
    mov bl, al
    mov ecx, 0x40000000
.wait:
    in al, 0x71
    cmp al, bl
    jne .changed
    loop .wait
    FAIL32 "RTC: the seconds register does not change"
.changed:
    ret

; Print EAX in decimal on the debug console.
print_dec:
    pushad
    mov ebx, 10
    xor ecx, ecx
.digits:
    xor edx, edx
    div ebx
    push edx
    inc ecx
    test eax, eax
    jnz .digits
    mov dx, DEBUGCON
.out:
    pop eax
    add al, '0'
    out dx, al
    loop .out
    popad
    ret

ROM_END
