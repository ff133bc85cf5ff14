/*
 * The x86-64 backend's run time: the code buffer (from translator/jit_mem.h,
 * made writable around every write to it; flushed whole when full), the stubs every block
 * uses to enter and leave host code and to call an instruction's cpu/
 * handler, and the patching of chain exits.
 */
#include "translator/x86_64/backend.h"

#include <cpuid.h>
#include <errno.h>
#include <glib.h>
#include <inttypes.h>

#include "cpu/exec.h"
#include "translator/jit_mem.h"

bool tier1_host_supported(void)
{
    return true;
}

/*
 * call sync_out: guest registers and arithmetic flags into struct cpu, the
 * budget into the translator (clobbers R10, R11).
 */
static void gen_sync_out(struct tier1 *b, struct emit *e)
{
    for (unsigned g = 0; g < 8; g++)
        emit_store32(e, H_CPU, OFF_REG(g), host_reg(g));
    static const uint8_t save_flags[] = {
        0x9c,                                     /* pushfq */
        0x41, 0x5b,                               /* pop r11 */
        0x41, 0x81, 0xe3, 0xd5, 0x08, 0x00, 0x00, /* and r11d, FL_ARITH */
    };
    emit_bytes(e, save_flags, sizeof(save_flags));
    emit_load32(e, R10, H_CPU, OFF_EFLAGS);
    static const uint8_t merge[] = {
        0x41, 0x81, 0xe2, 0x2a, 0xf7, 0xff, 0xff, /* and r10d, ~FL_ARITH */
        0x45, 0x09, 0xda,                         /* or r10d, r11d */
    };
    emit_bytes(e, merge, sizeof(merge));
    emit_store32(e, H_CPU, OFF_EFLAGS, R10);
    emit_mov_imm64(e, R11, (uint64_t)(uintptr_t)&b->t->t1_budget);
    emit_store64(e, R11, 0, H_BUDGET);
    emit_u8(e, 0xc3); /* ret */
}

/* call sync_in: the budget, the arithmetic flags and guest registers (clobbers R11). */
static void gen_sync_in(struct tier1 *b, struct emit *e)
{
    emit_mov_imm64(e, R11, (uint64_t)(uintptr_t)&b->t->t1_budget);
    emit_load64(e, H_BUDGET, R11, 0);
    emit_load32(e, R11, H_CPU, OFF_EFLAGS);
    static const uint8_t load_flags[] = {
        0x41, 0x81, 0xe3, 0xd5, 0x08, 0x00, 0x00, /* and r11d, FL_ARITH */
        0x41, 0x53,                               /* push r11 */
        0x9d,                                     /* popfq */
    };
    emit_bytes(e, load_flags, sizeof(load_flags));
    for (unsigned g = 0; g < 8; g++)
        emit_load32(e, host_reg(g), H_CPU, OFF_REG(g));
    emit_u8(e, 0xc3);
}

/*
 * enter(cpu, translator, code): save the C callee-saved registers, set up
 * the fixed registers, load the guest state and jump to the block.
 * exit_common / exit_synced: the way back, returning R9; R9 with
 * EXIT_GO_ON (a helper's answer): load the guest state, jump there.
 */
static void gen_enter_exit(struct tier1 *b, struct emit *e)
{
    static const uint8_t prologue[] = {
        0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57, /* push rbx..r15 */
        0x48, 0x83, 0xec, 0x48,                                     /* sub rsp, 72 */
        0x49, 0x89, 0xff,                                           /* mov r15, rdi */
        0x49, 0x89, 0xd2,                                           /* mov r10, rdx */
    };
    b->enter = (void *)e->p;
    emit_bytes(e, prologue, sizeof(prologue));
    emit_mov_imm64(e, H_TLB, (uint64_t)(uintptr_t)b->t->c->tlb->e);
    emit_call(e, b->sync_in);
    static const uint8_t jmp_r10[] = {0x41, 0xff, 0xe2};
    emit_bytes(e, jmp_r10, sizeof(jmp_r10));

    b->exit_common = e->p;
    emit_call(e, b->sync_out);
    b->exit_synced = e->p;
    static const uint8_t go_on[] = {
        0x49, 0x0f, 0xba, 0xe1, EXIT_GO_ON_BIT, /* bt r9, 62 */
        0x73, 0x00,                             /* jnc epilogue (patched below) */
        0x49, 0x0f, 0xba, 0xf1, EXIT_GO_ON_BIT, /* btr r9, 62 */
    };
    emit_bytes(e, go_on, sizeof(go_on));
    uint8_t *jnc_end = e->p - 5;
    emit_call(e, b->sync_in); /* the flags are in struct cpu: BT may clobber them */
    static const uint8_t jmp_r9[] = {0x41, 0xff, 0xe1};
    emit_bytes(e, jmp_r9, sizeof(jmp_r9));
    jnc_end[-1] = (uint8_t)(e->p - jnc_end);
    static const uint8_t epilogue[] = {
        0x4c, 0x89, 0xc8,                                           /* mov rax, r9 */
        0x48, 0x83, 0xc4, 0x48,                                     /* add rsp, 72 */
        0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b, /* pop r15..rbx */
        0xc3,                                                       /* ret */
    };
    emit_bytes(e, epilogue, sizeof(epilogue));
}

static void gen_stubs(struct tier1 *b)
{
    struct emit e = {b->buf, b->buf + b->size, false};
    b->sync_out = e.p;
    gen_sync_out(b, &e);
    b->sync_in = e.p;
    gen_sync_in(b, &e);
    gen_enter_exit(b, &e);
    b->code = b->free = (uint8_t *)(((uintptr_t)e.p + 63) & ~(uintptr_t)63);
}

struct tier1 *tier1_create(struct translator *t, size_t code_size)
{
    if (code_size < (64u << 10))
        code_size = 64u << 10;
    void *buf = jit_mem_alloc(code_size);
    if (!buf)
        return NULL;
    struct tier1 *b = g_new0(struct tier1, 1);
    b->t = t;
    b->buf = buf;
    b->size = code_size;
    unsigned a, bx, c, d;
    b->lahf_ok = __get_cpuid(0x80000001u, &a, &bx, &c, &d) && (c & 1);
    b->bmi2 = !t->cfg.baseline_host && __get_cpuid_count(7, 0, &a, &bx, &c, &d) && (bx & (1u << 8));
    if (ZYAN_FAILED(ZydisDecoderInit(&b->dec, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32)))
        g_error("Zydis decoder initialisation failed");
    jit_mem_writable(true);
    gen_stubs(b);
    jit_mem_writable(false);
    if (t->cfg.perf_map) {
        b->perf_map = fopen(t->cfg.perf_map, "w");
        if (!b->perf_map)
            g_warning("perf map: cannot write %s: %s", t->cfg.perf_map, g_strerror(errno));
    }
    return b;
}

void tier1_destroy(struct tier1 *b)
{
    if (!b)
        return;
    jit_mem_free(b->buf, b->size);
    if (b->perf_map)
        fclose(b->perf_map);
    g_free(b);
}

/* Drop every block and start the buffer afresh. */
static void flush(struct tier1 *b)
{
    tcache_flush(b->t->tc);
    b->t->need_collect = true;
    b->free = b->code;
    b->t->stats.flushes++;
    b->t->stats.code_bytes = 0;
}

bool tier1_translate(struct tier1 *b, struct tb *tb)
{
    struct translator *t = b->t;
    gint64 t0 = g_get_monotonic_time();
    struct emit e = {b->free, b->buf + b->size, false};
    jit_mem_writable(true);
    bool ok = tier1_gen_block(b, tb, &e);
    jit_mem_writable(false);
    if (e.full) {
        flush(b); /* the block went with the rest: it runs in tier 0 this time */
        return false;
    }
    if (ok) {
        t->stats.code_bytes += (uint64_t)(e.p - b->free);
        if (b->perf_map) /* perf's JIT map: the block by its CS:EIP and linear address */
            fprintf(b->perf_map, "%" PRIxPTR " %tx guest_%04x:%08x_lin_%08x\n", (uintptr_t)b->free,
                    e.p - b->free, t->cpu->seg[S_CS].selector, tb->eip,
                    ((const struct block *)tb->payload)->lin);
        b->free = (uint8_t *)(((uintptr_t)e.p + 15) & ~(uintptr_t)15);
    }
    t->stats.translate_ns += (uint64_t)(g_get_monotonic_time() - t0) * 1000;
    return ok;
}

struct t1_exit tier1_enter(struct tier1 *b, struct tb *tb)
{
    const struct block *blk = tb->payload;
    uint64_t r = b->enter(b->t->cpu, b->t, blk->host);
    tier1_x87_spill(b->t);
    if (r > TR_EXIT_CAUSES)
        return (struct t1_exit){(const struct t1_link *)(uintptr_t)r, TR_EXIT_CHAIN};
    return (struct t1_exit){NULL, (int)r - 1};
}

void tier1_patch(struct tier1 *b, const struct t1_link *l, struct tb *to,
                 const uint32_t *generation)
{
    const struct block *target = to ? to->payload : NULL;
    jit_mem_writable(true);
    if (!target) { /* unlinked, the jump goes to the exit code right after it */
        patch_rel32(l->jump + 1, l->jump + 5);
    } else if (generation) {
        uint32_t minus = 0u - *generation;
        memcpy(l->guard_gen, &minus, 4);
        patch_rel32(l->guard_jump, target->host);
        patch_rel32(l->jump + 1, l->guard);
    } else {
        patch_rel32(l->jump + 1, target->host);
    }
    jit_mem_writable(false);
    if (target)
        b->t->stats.chain_patches++;
}

/*
 * After an instruction's handler: whatever host code assumed or the loop
 * must see. Host code may go on when none of it changed, also after an
 * instruction that ends its block (POPF, a segment load, I/O...: the
 * block's fall-through exit is linked like any other); an interrupt it
 * made deliverable (STI, POPF, IRET, an EOI or unmask through I/O or MMIO)
 * sends it back to the loop, which takes the interrupt. When only the
 * mode, segments or TLB changed, tier1_helper may go on in the next
 * block's host code instead (translator_t1_next).
 */
static bool must_leave(struct translator *t, uint32_t mode, uint32_t limit)
{
    struct cpu *cpu = t->cpu;
    struct cpu_internal *c = t->c;
    if (c->stop_run || c->exit_request || cpu->halted || c->inhibit_irq || c->dr_hits ||
        cpu_debug_active(cpu))
        return true;
    if (c->mode != mode || cpu->seg[S_CS].limit != limit ||
        translator_flat_segments(cpu) != t->t1_flat || c->tlb->generation != t->t1_generation)
        return true; /* what host code was made for, or the return targets hold for */
    return cpu_interrupt_waiting(cpu);
}

uint64_t tier1_helper(struct translator *t, const struct insn *in, uint32_t eip, uint32_t next,
                      uint32_t refund)
{
    struct cpu *cpu = t->cpu;
    struct cpu_internal *c = t->c;
    uint32_t mode = c->mode, limit = cpu->seg[S_CS].limit;
    tier1_x87_spill(t);     /* C code runs: the host's x87 is its own again */
    t->t1_budget += refund; /* the instructions from this one on have not run */
    cpu->instructions = translator_t1_retired(t);
    c->insn_eip = eip;
    cpu->eip = next;
    in->fn(cpu, in);
    t->t1_budget--;
    cpu->instructions++;
    cpu_get_eflags(cpu); /* host code keeps the arithmetic flags eagerly */
    if (c->block_dirty)
        return EXIT_CODE(TR_EXIT_SMC);
    bool moved = cpu->eip != next;
    /*
     * STI or a load of SS: the interrupt shadow covers the next instruction (SDM Vol. 2B STI;
     * Vol. 3A §6.8.3), and in host code nothing looks at interrupts before that is done (a
     * helper after it, or leaving). With none waiting now and nothing else for the loop, host
     * code goes on; should it leave before the next instruction retires, run_tier1 puts the
     * shadow back for the loop.
     */
    if (!moved && c->inhibit_irq && !cpu_interrupt_waiting(cpu)) {
        c->inhibit_irq = false;
        if (!must_leave(t, mode, limit)) {
            t->t1_shadow = true;
            t->t1_shadow_at = cpu->instructions;
            t->t1_budget -= refund - 1;
            return 0;
        }
        c->inhibit_irq = true;
    }
    if (!moved && !must_leave(t, mode, limit)) {
        t->t1_budget -= refund - 1; /* the rest of the block runs after all */
        return 0;
    }
    /* A jump, or a change of what host code was entered under (a segment load, SYSENTER,
       a CR3 load...): straight on to the next block's host code where the loop would go. */
    const void *host = translator_t1_next(t);
    if (host)
        return (uint64_t)(uintptr_t)host | EXIT_GO_ON;
    return EXIT_CODE(moved ? TR_EXIT_INDIRECT : TR_EXIT_HELPER);
}
