/*
 * The virtual CPU: architectural state of one Pentium Pro/II-class IA-32
 * processor and the entry points that run it. cpu/ is the reference for
 * the meaning of every instruction; every faster path must agree with it.
 *
 * This header is the contract the board, the translator's run loop
 * (translator/translator.h), the differential tests and the gdb stub are
 * written against. The state is public so that
 * tests and debuggers can set and read it between runs.
 */
#ifndef POPEK_CPU_CPU_H
#define POPEK_CPU_CPU_H

#include <stdbool.h>
#include <stdint.h>

struct machine;
struct shadowmmu;

/* General registers in encoding order. */
enum cpu_reg { R_EAX, R_ECX, R_EDX, R_EBX, R_ESP, R_EBP, R_ESI, R_EDI };

/* Segment registers in encoding order. */
enum cpu_seg { S_ES, S_CS, S_SS, S_DS, S_FS, S_GS, S_COUNT };

/* EFLAGS bits, SDM Vol. 1 §3.4.3. */
#define FL_CF   (1u << 0)
#define FL_PF   (1u << 2)
#define FL_AF   (1u << 4)
#define FL_ZF   (1u << 6)
#define FL_SF   (1u << 7)
#define FL_TF   (1u << 8)
#define FL_IF   (1u << 9)
#define FL_DF   (1u << 10)
#define FL_OF   (1u << 11)
#define FL_IOPL (3u << 12)
#define FL_NT   (1u << 14)
#define FL_RF   (1u << 16)
#define FL_VM   (1u << 17)
#define FL_AC   (1u << 18)
#define FL_VIF  (1u << 19)
#define FL_VIP  (1u << 20)
#define FL_ID   (1u << 21)

/*
 * Segment attributes as kept in the descriptor caches: bits 0-7 are
 * descriptor bits 40-47 (type, S, DPL, P), bits 12-15 descriptor bits 52-55
 * (AVL, L, D/B, G). A flat 32-bit ring-0 code segment is 0xc09b, data 0xc093.
 */
#define SEG_ATTR_TYPE   0x000fu
#define SEG_ATTR_S      0x0010u
#define SEG_ATTR_DPL(a) (((a) >> 5) & 3u)
#define SEG_ATTR_P      0x0080u
#define SEG_ATTR_DB     0x4000u
#define SEG_ATTR_G      0x8000u

/* A segment register with its hidden descriptor cache. */
struct cpu_segment {
    uint16_t selector;
    uint32_t base;
    uint32_t limit; /* byte granular, already scaled by G */
    uint16_t attr;  /* descriptor bits 40-47 (type, S, DPL, P) and 52-55 (AVL, L, D/B, G) */
};

/* A descriptor-table register (GDTR, IDTR) or system segment (LDTR, TR). */
struct cpu_dtable {
    uint16_t selector; /* LDTR and TR only */
    uint32_t base;
    uint32_t limit;
    uint16_t attr;
};

/* Why a run of the CPU (translator_run) returned. */
enum cpu_exit {
    CPU_EXIT_BUDGET,     /* ran the instructions it was given */
    CPU_EXIT_HLT,        /* halted with no interrupt to wake it */
    CPU_EXIT_EXCEPTION,  /* stop_on_exception set: an exception was raised, not delivered */
    CPU_EXIT_SHUTDOWN,   /* triple fault */
    CPU_EXIT_REQUEST,    /* cpu_request_exit was called (device, timer, debugger) */
    CPU_EXIT_BREAKPOINT, /* EIP reached cpu->stop_eip or a debugger breakpoint */
    CPU_EXIT_WATCHPOINT, /* an instruction touched a debugger's watchpoint (cpu_watch_hit) */
};

/* Where external interrupts come from (the PIC's INTR and INTA). */
struct cpu_irq_source {
    bool (*pending)(void *opaque);
    uint8_t (*acknowledge)(void *opaque); /* returns the vector */
    void *opaque;
};

/*
 * IA32_APIC_BASE (MSR 1Bh) belongs to the local APIC (SDM Vol. 3A §10.4.4):
 * RDMSR and WRMSR ask it; `write` returns -1 for a value with reserved bits
 * set (WRMSR raises #GP). With `read` set, CPUID.1:EDX reports the APIC
 * while the MSR's global enable (bit 11) is set.
 * NULL: no APIC, the CPU keeps the MSR's value itself.
 */
struct cpu_apic_base {
    uint64_t (*read)(void *opaque);
    int (*write)(void *opaque, uint64_t value);
    void *opaque;
};

struct cpu {
    uint32_t regs[8];
    uint32_t eip;
    uint32_t eflags;
    struct cpu_segment seg[S_COUNT];
    struct cpu_dtable gdtr, idtr, ldtr, tr;
    uint32_t cr[5]; /* CR0, CR1 (unused), CR2, CR3, CR4 */
    uint32_t dr[8];
    uint64_t tsc; /* TSC offset against virtual time (the TSC runs at 1 GHz) */
    /* Current privilege level: 0 in real mode, 3 in virtual-8086 mode; in protected mode what
       the last load of CS set (not derived from CS's selector: see cpu_set_segment). */
    int cpl;
    bool halted; /* after HLT, until an interrupt (a debugger or test may clear it) */

    /* Test and debugger controls. */
    bool stop_on_exception;   /* return CPU_EXIT_EXCEPTION instead of delivering */
    uint8_t exception_vector; /* last exception raised (valid after CPU_EXIT_EXCEPTION) */
    uint32_t exception_error; /* its error code, when it has one */
    bool stop_eip_enabled;
    uint32_t stop_eip; /* with stop_eip_enabled: return before executing this EIP */
    /* Return CPU_EXIT_BREAKPOINT once an exception or interrupt is delivered (a debugger's
       step ends at the handler's first instruction). */
    bool stop_after_delivery;

    uint64_t instructions; /* retired so far */
    uint64_t interrupts;   /* external interrupts taken */

    struct machine *machine;
    struct shadowmmu *mmu;
    struct cpu_irq_source irq;
    struct cpu_apic_base apic_base;
    /*
     * The x87's MS-DOS compatible error reporting (CR0.NE = 0, SDM Vol. 1
     * App. D): ferr(opaque, 1) when an unmasked x87 exception becomes
     * pending (FERR# asserted), ferr(opaque, 0) when it is cleared; the
     * board latches FERR# into IRQ 13. A waiting x87 instruction then
     * freezes the CPU (the run returns CPU_EXIT_HLT and waits for an
     * interrupt) unless the board holds IGNNE# (`ignne`), as it does after
     * a write to port F0h until FERR# drops. NULL: not wired.
     */
    void (*ferr)(void *opaque, int level);
    void *ferr_opaque;
    bool ignne;
    struct cpu_internal *internal; /* decoder and run-time state (cpu/exec.h) */
};

/* Create a CPU bound to a machine's port bus and a shadow MMU; it starts reset. */
struct cpu *cpu_create(struct machine *m, struct shadowmmu *mmu);
void cpu_destroy(struct cpu *cpu);

/* The power-on/RESET state, SDM Vol. 3A §9.1.1. */
void cpu_reset(struct cpu *cpu);

/* Raise the NMI line: delivered at the next instruction boundary, then blocked until IRET. */
void cpu_nmi(struct cpu *cpu);

/* Ask a running translator_run to return at the next instruction boundary. */
void cpu_request_exit(struct cpu *cpu);

/*
 * Load a segment register as real mode or virtual-8086 mode would
 * (base = selector << 4), or with an explicit descriptor cache, for tests
 * and loaders that set up state without running guest code. CS set with
 * cpu_set_segment in protected mode also sets the CPL to its selector's
 * RPL, as a far transfer would; set CR0 first.
 */
void cpu_set_segment_real(struct cpu *cpu, enum cpu_seg s, uint16_t selector);
void cpu_set_segment(struct cpu *cpu, enum cpu_seg s, uint16_t selector, uint32_t base,
                     uint32_t limit, uint16_t attr);

/* Apply CR0/CR3/CR4 values set directly in cpu->cr to the MMU and mode. */
void cpu_sync_control(struct cpu *cpu);

/*
 * A debugger's breakpoints: the run returns CPU_EXIT_BREAKPOINT before
 * executing an instruction whose linear address (CS base + EIP) is one of
 * these (a copy is kept; n = 0 removes them). To go on from a breakpoint,
 * step over it with the set cleared.
 */
#define CPU_MAX_BREAKPOINTS 64
void cpu_set_breakpoints(struct cpu *cpu, const uint32_t *linear, unsigned n);

/*
 * A debugger's watchpoints on guest-linear ranges: the run returns
 * CPU_EXIT_WATCHPOINT right after an instruction whose data access (not an
 * instruction fetch, not a debugger's probe) overlapped one of the kind
 * asked for; a REP string instruction stops after that iteration, ready to
 * go on. A copy is kept; n = 0 removes them. Returns -1 (nothing changed)
 * for more than CPU_MAX_WATCHPOINTS or a length outside 1..4096.
 */
enum cpu_watch_kind { CPU_WATCH_WRITE = 1, CPU_WATCH_READ = 2, CPU_WATCH_ACCESS = 3 };
struct cpu_watchpoint {
    uint32_t addr, len;
    enum cpu_watch_kind kind;
};
#define CPU_MAX_WATCHPOINTS 8
int cpu_set_watchpoints(struct cpu *cpu, const struct cpu_watchpoint *w, unsigned n);
/* After CPU_EXIT_WATCHPOINT: the watchpoint that was hit (its index in the set given). */
int cpu_watch_hit(const struct cpu *cpu);

/*
 * The x87 state for debuggers, as gdb's i386 registers show it: ST(0)-ST(7)
 * (80-bit, little-endian, relative to TOP), the control and status words
 * (TOP in the status word), the full tag word (two bits a physical
 * register, as FSAVE stores it), the last instruction's pointers and
 * opcode. cpu_x87_set loads all of it back; tags only say which registers
 * are empty (the others follow their contents, as FRSTOR does).
 */
struct cpu_x87_state {
    uint8_t st[8][10];
    uint16_t fctrl, fstat, ftag, fop;
    uint16_t fiseg, foseg;
    uint32_t fioff, fooff;
};
void cpu_x87_get(struct cpu *cpu, struct cpu_x87_state *s);
void cpu_x87_set(struct cpu *cpu, const struct cpu_x87_state *s);

#endif
