; 32-bit paging (SDM Vol. 3A ch. 4): 4 KiB pages and a 4 MiB page
; (CR4.PSE); #PF error codes and CR2 for user/supervisor, read/write and
; not-present accesses; CR0.WP; accessed and dirty bits; INVLPG and a CR3
; reload after a PTE change; an instruction fetch crossing into a
; not-present page; REP MOVSD running into a not-present page (the
; registers at the fault, then the restart); PDE and PTE permissions
; combined; a user PUSH into a not-present page; the PS bit of a PDE
; ignored while CR4.PSE = 0; INVLPG of an address inside a 4 MiB page
; invalidates all of it; a write straddling a 4 KiB and a 4 MiB page.
%include "sys.inc"
ROM_BEGIN
SYS_CODE

%define PD      0x10000         ; page directory
%define PT0     0x11000         ; page table for 0..4 MiB

%define P_SUP   0x200000        ; supervisor read/write
%define P_NP    0x201000        ; not present
%define P_RO    0x202000        ; supervisor read-only
%define P_URO   0x203000        ; user read-only
%define P_AD    0x204000        ; A/D bits watched
%define P_INV   0x205000        ; remapped to 0x206000, then INVLPG
%define P_CR3   0x207000        ; remapped to 0x208000, then CR3 reload
%define P_CODE  0x20a000        ; code at its end runs into P_CODE2
%define P_CODE2 0x20b000        ; not present at first
%define P_SRC   0x210000        ; REP MOVSD source
%define P_DST   0x211000        ; destination page, then P_DST2
%define P_DST2  0x212000        ; not present at first
%define PT1     0x12000         ; page table of PDE 4 and PDE 5
%define LIN_URO 0x1000000       ; PDE 4: user read-only, PTEs user r/w
%define LIN_SUP 0x1400000       ; PDE 5: supervisor, PTEs user r/w
%define BIG     0x400000        ; 4 MiB page -> physical 0x800000
%define BIGID   0x800000        ; 4 MiB page, identity

%define PTE(a)  (PT0 + ((a) >> 12) * 4)

%define PF 14

    align 8
gdt_template:
    GDT_COMMON
gdt_template_end:

; EXPECT_PF error code, CR2, saved EIP (an address), "message"
%macro EXPECT_PF 4
%strcat %%m1 %4, " [no #PF or more than one exception]"
    CHECK32 dword [ss:V_CNT], 1, %%m1
%strcat %%m2 %4, " [not #PF]"
    CHECK32 dword [ss:V_VEC], PF, %%m2
%strcat %%m3 %4, " [wrong error code]"
    CHECK32 dword [ss:V_ERR], %1, %%m3
%strcat %%m4 %4, " [wrong CR2]"
    CHECK32 dword [ss:V_CR2], %2, %%m4
%strcat %%m5 %4, " [wrong saved EIP]"
    CHECK32 dword [ss:V_EIP], %3, %%m5
%endmacro

    bits 32
main:
    ; markers in the frames, written before paging
    mov dword [0x205000], 0xaaaa0001
    mov dword [0x206000], 0xbbbb0002
    mov dword [0x207000], 0xcccc0003
    mov dword [0x208000], 0xdddd0004
    mov dword [0x800010], 0
    mov dword [0xc00010], 0xc0c00010
    mov dword [0xfff000], 0xc0fff000
    ; code at the end of P_CODE: mov eax, 0x12345678 (5 bytes) from
    ; 0x20affe, so its last 3 bytes are on P_CODE2; then jmp edx
    mov byte [P_CODE + 0xffe], 0xb8
    mov byte [P_CODE + 0xfff], 0x78
    mov byte [P_CODE2 + 0], 0x56
    mov byte [P_CODE2 + 1], 0x34
    mov byte [P_CODE2 + 2], 0x12
    mov byte [P_CODE2 + 3], 0xff    ; jmp edx
    mov byte [P_CODE2 + 4], 0xe2
    mov dword [P_SUP - 4], 0
    mov dword [P_SUP], 0
    ; a RET in the supervisor page (never reached from ring 3)
    mov byte [P_SUP + 0x100], 0xc3

    ; page directory: PT0, then two 4 MiB pages; the rest not present
    mov edi, PD
    mov ecx, 1024
    xor eax, eax
    rep stosd
    mov dword [PD + 0], PT0 | 7
    mov dword [PD + 4], 0x800000 | 0x80 | 7
    mov dword [PD + 8], 0x800000 | 0x80 | 7
    ; PT0: identity, user read/write, A and D clear
    mov edi, PT0
    mov eax, 7
    mov ecx, 1024
.pt:
    stosd
    add eax, 0x1000
    loop .pt
    mov dword [PTE(P_SUP)], P_SUP | 3
    mov dword [PTE(P_NP)], P_NP | 6
    mov dword [PTE(P_RO)], P_RO | 1
    mov dword [PTE(P_URO)], P_URO | 5
    mov dword [PTE(P_CODE2)], P_CODE2 | 6
    mov dword [PTE(P_DST2)], P_DST2 | 6
    ; PT1: user read/write PTEs to 0x220000.., under a user read-only PDE
    ; and a supervisor PDE
    mov edi, PT1
    mov eax, 0x220000 | 7
    mov ecx, 1024
.pt1:
    stosd
    add eax, 0x1000
    loop .pt1
    mov dword [PD + 16], PT1 | 5
    mov dword [PD + 20], PT1 | 3
    mov dword [0x220010], 0x70de0010

    mov eax, cr4
    or eax, 0x10                    ; PSE
    mov cr4, eax
    mov eax, PD
    mov cr3, eax
    mov eax, cr0
    and eax, ~0x10000               ; WP = 0
    or eax, 0x80000000              ; PG
    mov cr0, eax
    jmp .paged
.paged:
    PUTS32 "paging on"
    mov eax, cr3
    CHECK32 eax, PD, "CR3 read back"
    mov eax, cr0
    test eax, 0x80000000
    jnz .pg_ok
    FAIL32 "CR0.PG reads as 0"
.pg_ok:
    mov eax, [PD]
    test eax, 0x20
    jnz .pde_a
    FAIL32 "accessed bit not set in the PDE used for the first accesses"
.pde_a:
    test eax, 0x40
    jz .pde_d
    FAIL32 "dirty bit set in a PDE that points to a page table"
.pde_d:

    ; ---------------- ring 3: user/supervisor and not-present ----------
    TO_RING3 ring3, 0x002
ring3:
    ARM r3_1
r3_1i:
    mov dword [P_SUP + 0x10], 1
    FAIL32 "user write to a supervisor page did not fault"
r3_1:
    EXPECT_PF 7, P_SUP + 0x10, ROMBASE + r3_1i, "user write to a supervisor page"
    ARM r3_2
r3_2i:
    mov eax, [P_SUP + 0x20]
    FAIL32 "user read of a supervisor page did not fault"
r3_2:
    EXPECT_PF 5, P_SUP + 0x20, ROMBASE + r3_2i, "user read of a supervisor page"
    ARM r3_3
r3_3i:
    mov eax, [P_NP + 0x30]
    FAIL32 "user read of a not-present page did not fault"
r3_3:
    EXPECT_PF 4, P_NP + 0x30, ROMBASE + r3_3i, "user read of a not-present page"
    ARM r3_4
r3_4i:
    mov word [P_NP + 0xffe], 1
    FAIL32 "user write to a not-present page did not fault"
r3_4:
    EXPECT_PF 6, P_NP + 0xffe, ROMBASE + r3_4i, "user write to a not-present page"
    ARM r3_5
r3_5i:
    add [P_URO + 4], eax
    FAIL32 "user write to a user read-only page did not fault"
r3_5:
    EXPECT_PF 7, P_URO + 4, ROMBASE + r3_5i, "user read-modify-write of a read-only page"
    ARM r3_fail
    mov eax, [P_URO + 4]
    NOEXC "user read of a user read-only page faulted"
    jmp r3_6
r3_fail:
    FAIL32 "user read of a user read-only page faulted"
r3_6:
    ; a write that straddles into the supervisor page: CR2 is the first
    ; byte on the supervisor page, and no byte is written
    ARM r3_7
r3_6i:
    mov dword [P_SUP - 2], 0x55667788
    FAIL32 "user write straddling into a supervisor page did not fault"
r3_7:
    EXPECT_PF 7, P_SUP, ROMBASE + r3_6i, "user write straddling into a supervisor page"
    ; a user instruction fetch from a supervisor page
    mov ecx, P_SUP + 0x100
    ARM r3_8
    call ecx
    FAIL32 "user fetch from a supervisor page did not fault"
r3_8:
    EXPECT_PF 5, P_SUP + 0x100, P_SUP + 0x100, "user fetch from a supervisor page"

    ; PDE and PTE permissions are combined
    ARM r3_pde_bad
    mov eax, [LIN_URO + 0x10]
    NOEXC "user read under a user read-only PDE faulted"
    CHECK32 eax, 0x70de0010, "PDE 4 does not map through PT1"
    jmp r3_pde_1
r3_pde_bad:
    FAIL32 "user read under a user read-only PDE faulted"
r3_pde_1:
    ARM r3_pde_2
r3_pde_1i:
    mov dword [LIN_URO + 0x14], 1
    FAIL32 "user write under a read-only PDE (r/w PTE) did not fault"
r3_pde_2:
    EXPECT_PF 7, LIN_URO + 0x14, ROMBASE + r3_pde_1i, "user write under a read-only PDE"
    ARM r3_pde_3
r3_pde_2i:
    mov eax, [LIN_SUP + 0x10]
    FAIL32 "user read under a supervisor PDE (user PTE) did not fault"
r3_pde_3:
    EXPECT_PF 5, LIN_SUP + 0x10, ROMBASE + r3_pde_2i, "user read under a supervisor PDE"

    ; PUSH into a not-present page: ESP is not changed
    mov esp, P_NP + 0x1000
    mov eax, 0x12121212
    ARM r3_push
r3_pushi:
    push eax
    mov esp, STACK3
    FAIL32 "user PUSH into a not-present page did not fault"
r3_push:
    mov ebx, esp
    mov esp, STACK3
    CHECK32 ebx, P_NP + 0x1000, "PUSH into a not-present page changed ESP"
    CHECK32 dword [V_ESP], P_NP + 0x1000, "PUSH into a not-present page: saved ESP"
    EXPECT_PF 6, P_NP + 0xffc, ROMBASE + r3_pushi, "user PUSH into a not-present page"
    TO_RING0 ring0

ring0:
    mov eax, [P_SUP - 2]
    CHECK32 eax, 0x00000000, "the straddling user write changed memory"

    ; ---------------- CR0.WP ----------------
    ARM wp_fail
    mov dword [P_RO + 8], 0xabcd1234
    NOEXC "supervisor write to a read-only page with WP=0 faulted"
    jmp wp0_ok
wp_fail:
    FAIL32 "supervisor write to a read-only page with WP=0 faulted"
wp0_ok:
    CHECK32 dword [P_RO + 8], 0xabcd1234, "supervisor write with WP=0 not stored"
    mov eax, [PTE(P_RO)]
    and eax, 0x60
    CHECK32 eax, 0x60, "supervisor write with WP=0: A/D not set"
    mov eax, cr0
    or eax, 0x10000
    mov cr0, eax
    ARM wp1
wp1i:
    mov dword [P_RO + 8], 0x5555
    FAIL32 "supervisor write to a read-only page with WP=1 did not fault"
wp1:
    EXPECT_PF 3, P_RO + 8, ROMBASE + wp1i, "supervisor write to a read-only page with WP=1"
    CHECK32 dword [P_RO + 8], 0xabcd1234, "faulting write changed memory"
    ARM wp2
wp2i:
    mov byte [P_URO + 0x40], 1
    FAIL32 "supervisor write to a user read-only page with WP=1 did not fault"
wp2:
    EXPECT_PF 3, P_URO + 0x40, ROMBASE + wp2i, "supervisor write to a user read-only page with WP=1"
    mov eax, [P_SUP + 0x10]        ; supervisor read of the supervisor page
    CHECK32 eax, 0, "the faulting user write changed memory"

    ; ---------------- accessed and dirty bits ----------------
    mov eax, [PTE(P_AD)]
    CHECK32 eax, P_AD | 7, "PTE of the A/D page: A or D set before any access"
    mov eax, [P_AD + 0x80]
    mov eax, [PTE(P_AD)]
    CHECK32 eax, P_AD | 0x27, "after a read: A set, D clear expected"
    mov dword [P_AD + 0x84], 1
    mov eax, [PTE(P_AD)]
    CHECK32 eax, P_AD | 0x67, "after a write: A and D set expected"
    ; clear them again (INVLPG) and write first: both set at once
    mov dword [PTE(P_AD)], P_AD | 7
    invlpg [P_AD]
    mov byte [P_AD + 0x90], 1
    mov eax, [PTE(P_AD)]
    CHECK32 eax, P_AD | 0x67, "first access a write: A and D set expected"
    mov eax, [PTE(P_CODE)]
    and eax, 0x60
    CHECK32 eax, 0x00, "A/D set on a page never accessed"

    ; ---------------- INVLPG ----------------
    mov eax, [P_INV]
    CHECK32 eax, 0xaaaa0001, "INVLPG page: first frame"
    mov dword [PTE(P_INV)], 0x206000 | 7
    invlpg [P_INV + 0x123]
    mov eax, [P_INV]
    CHECK32 eax, 0xbbbb0002, "INVLPG did not make the new PTE take effect"
    mov dword [PTE(P_INV)], 0x206000 | 6
    invlpg [P_INV]
    ARM inv_np
inv_npi:
    mov eax, [P_INV + 4]
    FAIL32 "PTE made not present + INVLPG: read did not fault"
inv_np:
    EXPECT_PF 0, P_INV + 4, ROMBASE + inv_npi, "read after P cleared + INVLPG"

    ; ---------------- CR3 reload ----------------
    mov eax, [P_CR3]
    CHECK32 eax, 0xcccc0003, "CR3 page: first frame"
    mov dword [PTE(P_CR3)], 0x208000 | 7
    mov eax, cr3
    mov cr3, eax
    mov eax, [P_CR3]
    CHECK32 eax, 0xdddd0004, "CR3 reload did not make the new PTE take effect"

    ; ---------------- 4 MiB pages ----------------
    mov eax, [PD + 4]
    and eax, 0x60
    CHECK32 eax, 0, "4 MiB PDE: A/D set before any access"
    mov eax, [BIG + 0x10]
    mov eax, [PD + 4]
    and eax, 0x60
    CHECK32 eax, 0x20, "4 MiB PDE after a read: A set, D clear expected"
    mov dword [BIG + 0x10], 0x4d4d4d4d
    mov eax, [PD + 4]
    and eax, 0x60
    CHECK32 eax, 0x60, "4 MiB PDE after a write: A and D set expected"
    mov eax, [BIGID + 0x10]
    CHECK32 eax, 0x4d4d4d4d, "4 MiB page does not map 0x400000 to 0x800000"
    mov dword [BIG + 0x3ffffc], 0x5e5e5e5e
    mov eax, [BIGID + 0x3ffffc]
    CHECK32 eax, 0x5e5e5e5e, "4 MiB page: the last dword"
    ARM big_np
big_npi:
    mov eax, [BIG + 0x800000]      ; PDE 3: not present
    FAIL32 "read through a not-present PDE did not fault"
big_np:
    EXPECT_PF 0, BIG + 0x800000, ROMBASE + big_npi, "read through a not-present PDE"

    ; a write straddling the last 4 KiB page of PT0 and the 4 MiB page
    mov dword [BIG - 2], 0x99887766
    CHECK32 word [0x3ffffe], 0x7766, "write straddling a 4 KiB and a 4 MiB page: low half"
    CHECK32 word [BIGID], 0x9988, "write straddling a 4 KiB and a 4 MiB page: high half"

    ; INVLPG of an address inside a 4 MiB page drops all of its mapping
    mov eax, [BIG + 0x10]
    mov eax, [BIG + 0x3ff000]
    mov dword [PD + 4], 0xc00000 | 0x80 | 7
    invlpg [BIG + 0x234567]
    mov eax, [BIG + 0x10]
    CHECK32 eax, 0xc0c00010, "INVLPG inside a 4 MiB page: its first 4 KiB still mapped the old way"
    mov eax, [BIG + 0x3ff000]
    CHECK32 eax, 0xc0fff000, "INVLPG inside a 4 MiB page: its last 4 KiB still mapped the old way"
    mov dword [PD + 4], 0x800000 | 0x80 | 7
    invlpg [BIG]
    mov eax, [BIG + 0x10]
    CHECK32 eax, 0x4d4d4d4d, "4 MiB page mapped back"

    ; ---------------- CR4.PSE = 0: PS is ignored ----------------
    ; PDE 1 then points to a page table at 0x800000: PTE 0 not present,
    ; PTE 1 -> 0x230000
    mov dword [BIGID], 0
    mov dword [BIGID + 4], 0x230000 | 7
    mov dword [0x230008], 0x0e5e0e5e
    mov eax, cr4
    and eax, ~0x10
    mov cr4, eax
    mov eax, [BIG + 0x1008]
    CHECK32 eax, 0x0e5e0e5e, "CR4.PSE=0: a PDE with PS is not used as a page table"
    ARM nopse_r
nopse_i:
    mov eax, [BIG + 0x10]
    FAIL32 "CR4.PSE=0: read through a not-present PTE did not fault"
nopse_r:
    EXPECT_PF 0, BIG + 0x10, ROMBASE + nopse_i, "CR4.PSE=0: read through a not-present PTE"
    mov eax, cr4
    or eax, 0x10
    mov cr4, eax
    mov eax, [BIG + 0x10]
    CHECK32 eax, 0x4d4d4d4d, "CR4.PSE=1 again: the 4 MiB page"

    ; ---------------- REP MOVSD into a not-present page ----------------
    mov edi, P_SRC
    mov eax, 0x5eed0000
    mov ecx, 8
.src:
    stosd
    inc eax
    loop .src
    mov esi, P_SRC
    mov edi, P_DST + 0xff0
    mov ecx, 8                      ; 4 dwords fit, the 5th faults
    cld
    ARM rep_fault
rep_insn:
    rep movsd
    cmp dword [V_TMP], 1            ; set once the page is mapped
    je rep_done
    FAIL32 "REP MOVSD into a not-present page did not fault"
rep_fault:
    EXPECT_PF 2, P_DST2, ROMBASE + rep_insn, "REP MOVSD into a not-present page"
    CHECK32 ecx, 4, "REP MOVSD fault: ECX does not count the 4 dwords done"
    CHECK32 esi, P_SRC + 16, "REP MOVSD fault: ESI"
    CHECK32 edi, P_DST2, "REP MOVSD fault: EDI"
    CHECK32 dword [P_DST + 0xffc], 0x5eed0003, "REP MOVSD fault: 4th dword not stored"
    mov dword [PTE(P_DST2)], P_DST2 | 7
    mov dword [V_TMP], 1
    ARM rep_again
    jmp rep_insn                    ; restart with the registers as left
rep_again:
    FAIL32 "REP MOVSD restarted after mapping the page faulted"
rep_done:
    NOEXC "REP MOVSD restarted after mapping the page faulted"
    CHECK32 ecx, 0, "REP MOVSD restart: ECX"
    CHECK32 edi, P_DST2 + 16, "REP MOVSD restart: EDI"
    CHECK32 dword [P_DST2 + 12], 0x5eed0007, "REP MOVSD restart: last dword"
    CHECK32 dword [P_DST2], 0x5eed0004, "REP MOVSD restart: 5th dword"

    ; ---------------- fetch crossing into a not-present page ----------
    mov edx, ROMBASE + fetch_back
    mov ecx, P_CODE + 0xffe
    xor eax, eax
    ARM fetch_fault
    jmp ecx
fetch_fault:
    EXPECT_PF 0, P_CODE2, P_CODE + 0xffe, "fetch crossing into a not-present page"
    CHECK32 eax, 0, "the faulting instruction changed EAX"
    ; make the page present (no invalidation needed for P 0 -> 1), rerun
    mov dword [PTE(P_CODE2)], P_CODE2 | 7
    ARM fetch_again
    jmp ecx
fetch_again:
    FAIL32 "the instruction crossing pages faulted after the page was mapped"
fetch_back:
    NOEXC "the instruction crossing pages faulted after the page was mapped"
    CHECK32 eax, 0x12345678, "the instruction crossing pages: wrong result"

    ; ---------------- paging off ----------------
    mov eax, cr0
    and eax, ~0x80010000
    mov cr0, eax
    jmp .off
.off:
    mov eax, [0x206000]
    CHECK32 eax, 0xbbbb0002, "physical frame after paging off"
    PUTS32 "sys_paging: all checks passed"
    PASS

    bits 16
ROM_END
