/*
 * The instruction handlers, one per instruction family; cpu/table.c maps
 * mnemonics to them. Each takes the CPU and its decoded record.
 */
#ifndef POPEK_CPU_HANDLERS_H
#define POPEK_CPU_HANDLERS_H

#include "cpu/fpu.h"
#include "cpu/internal.h"

#define P_FAR 0x0100u /* far form of JMP/CALL (set by the decoder) */

#define CR0_PE 0x00000001u
#define CR0_MP 0x00000002u
#define CR0_EM 0x00000004u
#define CR0_TS 0x00000008u
#define CR0_ET 0x00000010u
#define CR0_NE 0x00000020u
#define CR0_WP 0x00010000u
#define CR0_AM 0x00040000u
#define CR0_NW 0x20000000u
#define CR0_CD 0x40000000u
#define CR0_PG 0x80000000u

#define CR4_VME 0x001u
#define CR4_PVI 0x002u
#define CR4_TSD 0x004u
#define CR4_DE  0x008u
#define CR4_PSE 0x010u
#define CR4_PAE 0x020u
#define CR4_MCE 0x040u
#define CR4_PGE 0x080u
#define CR4_PCE 0x100u

/* System descriptor types (S = 0). */
enum {
    SYS_TSS16 = 0x1,
    SYS_LDT = 0x2,
    SYS_TSS16_BUSY = 0x3,
    SYS_CALL16 = 0x4,
    SYS_TASK = 0x5,
    SYS_INT16 = 0x6,
    SYS_TRAP16 = 0x7,
    SYS_TSS32 = 0x9,
    SYS_TSS32_BUSY = 0xb,
    SYS_CALL32 = 0xc,
    SYS_INT32 = 0xe,
    SYS_TRAP32 = 0xf,
};

/* Code/data type bits (S = 1). */
#define TYPE_CODE     0x8u
#define TYPE_CONFORM  0x4u /* code: conforming */
#define TYPE_EXPDOWN  0x4u /* data: expand-down */
#define TYPE_READABLE 0x2u /* code */
#define TYPE_WRITABLE 0x2u /* data */
#define TYPE_ACCESSED 0x1u

/* The attribute word of an 8-byte descriptor, as kept in descriptor caches. */
static inline uint16_t desc_attr(uint64_t d)
{
    return (uint16_t)((d >> 40) & 0xf0ff);
}

/* exec_alu.c */
void h_alu(struct cpu *cpu, const struct insn *in);
void h_test(struct cpu *cpu, const struct insn *in);
void h_incdec(struct cpu *cpu, const struct insn *in);
void h_neg(struct cpu *cpu, const struct insn *in);
void h_not(struct cpu *cpu, const struct insn *in);
void h_mul(struct cpu *cpu, const struct insn *in);
void h_imul(struct cpu *cpu, const struct insn *in);
void h_div(struct cpu *cpu, const struct insn *in);
void h_shift(struct cpu *cpu, const struct insn *in);
void h_shd(struct cpu *cpu, const struct insn *in);
void h_bt(struct cpu *cpu, const struct insn *in);
void h_bsf(struct cpu *cpu, const struct insn *in);
void h_daa(struct cpu *cpu, const struct insn *in);
void h_aaa(struct cpu *cpu, const struct insn *in);
void h_aam(struct cpu *cpu, const struct insn *in);
void h_aad(struct cpu *cpu, const struct insn *in);

/* exec_data.c */
void h_mov(struct cpu *cpu, const struct insn *in);
void h_mov_sreg(struct cpu *cpu, const struct insn *in);
void h_movx(struct cpu *cpu, const struct insn *in);
void h_xchg(struct cpu *cpu, const struct insn *in);
void h_xadd(struct cpu *cpu, const struct insn *in);
void h_cmpxchg(struct cpu *cpu, const struct insn *in);
void h_cmpxchg8b(struct cpu *cpu, const struct insn *in);
void h_bswap(struct cpu *cpu, const struct insn *in);
void h_push(struct cpu *cpu, const struct insn *in);
void h_pop(struct cpu *cpu, const struct insn *in);
void h_pusha(struct cpu *cpu, const struct insn *in);
void h_popa(struct cpu *cpu, const struct insn *in);
void h_enter(struct cpu *cpu, const struct insn *in);
void h_leave(struct cpu *cpu, const struct insn *in);
void h_lea(struct cpu *cpu, const struct insn *in);
void h_xlat(struct cpu *cpu, const struct insn *in);
void h_cmov(struct cpu *cpu, const struct insn *in);
void h_setcc(struct cpu *cpu, const struct insn *in);
void h_lahf(struct cpu *cpu, const struct insn *in);
void h_sahf(struct cpu *cpu, const struct insn *in);
void h_salc(struct cpu *cpu, const struct insn *in);
void h_cbw(struct cpu *cpu, const struct insn *in);
void h_lxs(struct cpu *cpu, const struct insn *in);

/* exec_string.c */
void h_movs(struct cpu *cpu, const struct insn *in);
void h_stos(struct cpu *cpu, const struct insn *in);
void h_lods(struct cpu *cpu, const struct insn *in);
void h_cmps(struct cpu *cpu, const struct insn *in);
void h_scas(struct cpu *cpu, const struct insn *in);
void h_ins(struct cpu *cpu, const struct insn *in);
void h_outs(struct cpu *cpu, const struct insn *in);

/* exec_ctrl.c */
void h_jmp(struct cpu *cpu, const struct insn *in);
void h_jcc(struct cpu *cpu, const struct insn *in);
void h_jcxz(struct cpu *cpu, const struct insn *in);
void h_loop(struct cpu *cpu, const struct insn *in);
void h_call(struct cpu *cpu, const struct insn *in);
void h_ret(struct cpu *cpu, const struct insn *in);
void h_retf(struct cpu *cpu, const struct insn *in);
void h_int(struct cpu *cpu, const struct insn *in);
void h_iret(struct cpu *cpu, const struct insn *in);
void h_bound(struct cpu *cpu, const struct insn *in);
void h_flagop(struct cpu *cpu, const struct insn *in);
void h_cli(struct cpu *cpu, const struct insn *in);
void h_sti(struct cpu *cpu, const struct insn *in);
void h_pushf(struct cpu *cpu, const struct insn *in);
void h_popf(struct cpu *cpu, const struct insn *in);
void h_in(struct cpu *cpu, const struct insn *in);
void h_out(struct cpu *cpu, const struct insn *in);
void h_nop(struct cpu *cpu, const struct insn *in);
void h_ud(struct cpu *cpu, const struct insn *in);
void h_gp0(struct cpu *cpu, const struct insn *in); /* #GP(0): privileged or past the CS limit */
void h_fpu(struct cpu *cpu, const struct insn *in);
void h_wait(struct cpu *cpu, const struct insn *in);
void h_hlt(struct cpu *cpu, const struct insn *in);
void h_cpuid(struct cpu *cpu, const struct insn *in);
void h_rdtsc(struct cpu *cpu, const struct insn *in);

/* exec_system.c */
void h_lgdt(struct cpu *cpu, const struct insn *in);
void h_sgdt(struct cpu *cpu, const struct insn *in);
void h_mov_cr(struct cpu *cpu, const struct insn *in);
void h_mov_dr(struct cpu *cpu, const struct insn *in);
void h_lmsw(struct cpu *cpu, const struct insn *in);
void h_smsw(struct cpu *cpu, const struct insn *in);
void h_clts(struct cpu *cpu, const struct insn *in);
void h_invlpg(struct cpu *cpu, const struct insn *in);
void h_rdmsr(struct cpu *cpu, const struct insn *in);
void h_wrmsr(struct cpu *cpu, const struct insn *in);
void h_privnop(struct cpu *cpu, const struct insn *in);
void h_lldt(struct cpu *cpu, const struct insn *in);
void h_ltr(struct cpu *cpu, const struct insn *in);
void h_sldt(struct cpu *cpu, const struct insn *in);
void h_lar(struct cpu *cpu, const struct insn *in);
void h_verr(struct cpu *cpu, const struct insn *in);
void h_arpl(struct cpu *cpu, const struct insn *in);
void h_sysenter(struct cpu *cpu, const struct insn *in);
void h_sysexit(struct cpu *cpu, const struct insn *in);
void h_rdpmc(struct cpu *cpu, const struct insn *in);

/* Helpers the handlers share (cpu/cpu.c, cpu/exception.c, cpu/segment.c, cpu/protect.c). */
uint32_t cpu_read_lin(struct cpu *cpu, uint32_t lin, unsigned size, int user);
void cpu_write_lin(struct cpu *cpu, uint32_t lin, uint32_t v, unsigned size, int user);
bool cpu_seg_within(const struct cpu_segment *s, uint32_t off, unsigned size);
/* The descriptor for `sel`; false when it lies past its table's limit (or no LDT). */
bool cpu_fetch_descriptor(struct cpu *cpu, uint16_t sel, uint64_t *desc, uint32_t *addr);
void cpu_set_accessed(struct cpu *cpu, uint32_t addr, uint64_t desc);
void cpu_far_jmp(struct cpu *cpu, uint16_t sel, uint32_t off, unsigned opsize);
void cpu_far_call(struct cpu *cpu, uint16_t sel, uint32_t off, unsigned opsize);
void cpu_far_ret(struct cpu *cpu, unsigned opsize, uint16_t release);
void cpu_iret(struct cpu *cpu, unsigned opsize);
void cpu_deliver_protected(struct cpu *cpu, int vector, uint32_t error_code, bool software,
                           uint32_t return_eip);
/* Task switches (cpu/task.c). */
enum task_reason { TASK_JMP, TASK_CALL, TASK_IRET, TASK_INT };
void cpu_task_switch(struct cpu *cpu, uint16_t sel, uint64_t desc, enum task_reason why,
                     uint32_t error_code);
/* The time-stamp counter: 1 GHz of virtual time, strictly increasing between reads. */
uint64_t cpu_read_tsc(struct cpu *cpu);
void cpu_write_tsc(struct cpu *cpu, uint64_t value);

/* Debug features (cpu/debug.c; the run loop's part is in cpu/exec.h). */
/* Trap the pages of the armed data breakpoints and watchpoints in the MMU (after DR0-3/DR7 change).
 */
void cpu_debug_sync(struct cpu *cpu);
/* At the start of a run: forget the last watchpoint hit, and sync if DR0-3/DR7 were
   changed from outside (a debugger, a test) since. */
void cpu_debug_refresh(struct cpu *cpu);
/* Forget the data breakpoint hits of an instruction that faulted. */
void cpu_debug_cancel(struct cpu *cpu);
/* MOV to or from a debug register: the #DB fault of DR7.GD. */
void cpu_debug_general_detect(struct cpu *cpu);

/* CR4.VME and CR4.PVI (cpu/vme.c): the virtual interrupt flag. */
bool cpu_vif_mode(const struct cpu *cpu);
void cpu_vif_cli(struct cpu *cpu);
void cpu_vif_sti(struct cpu *cpu);
void cpu_vme_pushf(struct cpu *cpu, unsigned size);
void cpu_vme_popf(struct cpu *cpu, unsigned size);
void cpu_vme_iret(struct cpu *cpu, unsigned size);
bool cpu_vme_int(struct cpu *cpu, uint8_t vector, uint32_t return_ip);

/* The I/O permission bitmap allows ports [port, port + size). */
bool cpu_io_allowed(struct cpu *cpu, uint16_t port, unsigned size);
void cpu_write_control(struct cpu *cpu, unsigned n, uint32_t value);
void cpu_cpuid(struct cpu *cpu, uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d);

#endif
