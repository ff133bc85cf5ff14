/*
 * What the gdb stub's packets do: registers, memory, breakpoints and
 * watchpoints, stepping and continuing, queries and monitor commands.
 *
 * The guest runs only while gdb has resumed it. Breakpoints are linear
 * addresses the CPU stops in front of (cpu_set_breakpoints), so guest
 * memory is never patched; write, read and access watchpoints are linear
 * ranges the CPU checks on every data access to their pages
 * (cpu_set_watchpoints) and stops right after the instruction that
 * touched one. A single step runs exactly one
 * instruction through translator_run while the machine is paused.
 */
#include <glib.h>
#include <string.h>

#include "frontend/gdbstub_internal.h"
#include "pc/pc.h"
#include "shadowmmu/shadowmmu.h"
#include "translator/translator.h"

/* Parse a hex number at *p (at most 16 digits) and move past it; false if there is none. */
static bool parse_hex(const char **p, uint64_t *v)
{
    const char *q = *p;
    *v = 0;
    while (gdb_hex_digit(*q) >= 0 && q - *p < 16)
        *v = *v << 4 | (uint64_t)gdb_hex_digit(*q++);
    bool ok = q != *p;
    *p = q;
    return ok;
}

/* --- breakpoints and watchpoints -------------------------------------- */

static uint32_t cs_eip_linear(const struct cpu *cpu)
{
    return cpu->seg[S_CS].base + cpu->eip;
}

static int find_bp(const struct gdbstub *s, int kind, uint32_t lin)
{
    for (unsigned i = 0; i < s->nbp[kind]; i++) {
        if (s->bp[kind][i] == lin)
            return (int)i;
    }
    return -1;
}

/* The kind of breakpoint at `lin` (software first), or -1. */
static int bp_kind_at(const struct gdbstub *s, uint32_t lin)
{
    for (int k = 0; k < BP_KINDS; k++) {
        if (find_bp(s, k, lin) >= 0)
            return k;
    }
    return -1;
}

/* Give the CPU the union of both kinds. */
static void sync_breakpoints(struct gdbstub *s)
{
    uint32_t all[CPU_MAX_BREAKPOINTS] = {0};
    unsigned n = 0;
    for (unsigned i = 0; i < s->nbp[BP_SW]; i++)
        all[n++] = s->bp[BP_SW][i];
    for (unsigned i = 0; i < s->nbp[BP_HW]; i++) {
        if (find_bp(s, BP_SW, s->bp[BP_HW][i]) < 0)
            all[n++] = s->bp[BP_HW][i];
    }
    cpu_set_breakpoints(s->pc->cpu, all, n);
}

static const char *set_breakpoint(struct gdbstub *s, int kind, uint32_t lin, bool insert)
{
    int i = find_bp(s, kind, lin);
    if (insert && i < 0) {
        if (s->nbp[BP_SW] + s->nbp[BP_HW] >= CPU_MAX_BREAKPOINTS)
            return "E28"; /* ENOSPC */
        s->bp[kind][s->nbp[kind]++] = lin;
    } else if (!insert && i >= 0) {
        s->bp[kind][i] = s->bp[kind][--s->nbp[kind]];
    }
    sync_breakpoints(s);
    return "OK";
}

static const char *insert_watch(struct gdbstub *s, enum cpu_watch_kind kind, uint32_t lin,
                                uint64_t len)
{
    if (len < 1 || len > SMMU_PAGE_SIZE)
        return "E22";
    if (s->nwatch >= CPU_MAX_WATCHPOINTS)
        return "E28"; /* ENOSPC */
    s->watch[s->nwatch++] = (struct cpu_watchpoint){lin, (uint32_t)len, kind};
    if (cpu_set_watchpoints(s->pc->cpu, s->watch, s->nwatch) < 0) {
        s->nwatch--;
        return "E22";
    }
    return "OK";
}

static const char *remove_watch(struct gdbstub *s, enum cpu_watch_kind kind, uint32_t lin,
                                uint64_t len)
{
    for (unsigned i = 0; i < s->nwatch; i++) {
        const struct cpu_watchpoint *w = &s->watch[i];
        if (w->addr == lin && w->len == len && w->kind == kind) {
            s->watch[i] = s->watch[--s->nwatch];
            cpu_set_watchpoints(s->pc->cpu, s->watch, s->nwatch);
            break;
        }
    }
    return "OK";
}

/* The stop reason of the watchpoint the CPU stopped on, or "" when it did not. */
static void watch_reason(struct gdbstub *s, char *reason, size_t size)
{
    static const char *const names[] = {
        [CPU_WATCH_WRITE] = "watch", [CPU_WATCH_READ] = "rwatch", [CPU_WATCH_ACCESS] = "awatch"};
    int k = cpu_watch_hit(s->pc->cpu);
    reason[0] = 0;
    if (k >= 0 && (unsigned)k < s->nwatch)
        g_snprintf(reason, size, "%s:%x;", names[s->watch[k].kind], s->watch[k].addr);
}

void gdb_clear_debug_state(struct gdbstub *s)
{
    s->nbp[BP_SW] = s->nbp[BP_HW] = 0;
    sync_breakpoints(s);
    s->nwatch = 0;
    cpu_set_watchpoints(s->pc->cpu, NULL, 0);
}

/* --- run control ------------------------------------------------------ */

/* Pause the guest and send gdb a T stop reply: the signal, then `reason` ("" or "NAME:VALUE;"). */
static void report_stop(struct gdbstub *s, int signal, const char *reason)
{
    gdb_hold(s, true);
    s->running = false;
    g_snprintf(s->stop_reply, sizeof(s->stop_reply), "T%02xthread:1;%s", signal, reason);
    gdb_send_str(s, s->stop_reply);
}

static void report_step(struct gdbstub *s)
{
    char reason[32];
    watch_reason(s, reason, sizeof(reason));
    report_stop(s, 5, reason);
}

/*
 * Run exactly one instruction with the machine paused: external interrupts
 * wait (unless `monitor step-irq on`) and breakpoints are out of the way.
 * With `into_handler`, an exception it raises or an interrupt that comes
 * in ends the step at the handler's first instruction.
 */
static void step_one(struct gdbstub *s, bool into_handler)
{
    struct cpu *cpu = s->pc->cpu;
    struct cpu_irq_source irq = cpu->irq;
    uint64_t before = cpu->instructions;
    enum cpu_exit why = CPU_EXIT_BUDGET;
    if (!s->step_irq || !into_handler)
        cpu->irq.pending = NULL;
    cpu_set_breakpoints(cpu, NULL, 0);
    cpu->stop_after_delivery = into_handler;
    /* An exit request left over (the pause itself) ends the first try at once. */
    for (int tries = 0; tries < 3; tries++) {
        why = translator_run(s->pc->tr, 1);
        if (why != CPU_EXIT_REQUEST || cpu->instructions != before)
            break;
    }
    cpu->stop_after_delivery = false;
    cpu->irq = irq;
    sync_breakpoints(s);
    if (why == CPU_EXIT_SHUTDOWN) { /* a triple fault: what the run loop would do */
        if (s->pc->cfg.no_reboot)
            pc_stop(s->pc, PC_STOP_RESET);
        else
            pc_reset(s->pc);
    }
}

/* Continue: step off a breakpoint the guest stands on, then let the run loop go. */
static void resume(struct gdbstub *s)
{
    if (bp_kind_at(s, cs_eip_linear(s->pc->cpu)) >= 0) {
        step_one(s, false);
        if (cpu_watch_hit(s->pc->cpu) >= 0) {
            report_step(s);
            return;
        }
    }
    s->running = true;
    gdb_hold(s, false);
}

static void single_step(struct gdbstub *s)
{
    step_one(s, true);
    report_step(s);
}

/* While the guest runs: did it reach a breakpoint or touch a watched range? */
void gdb_check_stop(struct gdbstub *s)
{
    if (cpu_watch_hit(s->pc->cpu) >= 0) {
        report_step(s);
        return;
    }
    const struct cpu *cpu = s->pc->cpu;
    int kind = bp_kind_at(s, cs_eip_linear(cpu));
    if (kind < 0)
        return;
    /*
     * gdb knows where it stopped by EIP alone. Where CS has a base (real
     * mode, mostly) it finds no breakpoint of its own there, and a
     * swbreak/hwbreak reason would make it resume as if the breakpoint had
     * been removed: report a plain SIGTRAP instead.
     */
    if (cpu->seg[S_CS].base != 0)
        report_stop(s, 5, "");
    else
        report_stop(s, 5, kind == BP_SW ? "swbreak:;" : "hwbreak:;");
}

/* c, s, C, S with an optional address to resume at. */
static void resume_packet(struct gdbstub *s, const char *p, bool step)
{
    uint64_t v;
    if (p[0] == 'C' || p[0] == 'S') { /* the signal is ignored: there is no process to give it */
        p = strchr(p, ';');
        p = p ? p + 1 : "";
    } else {
        p++;
    }
    if (parse_hex(&p, &v))
        s->pc->cpu->eip = (uint32_t)v;
    if (step)
        single_step(s);
    else
        resume(s);
}

/* vCont;ACTION[:thread]...: the first action is ours (there is one thread). */
static void vcont(struct gdbstub *s, const char *p)
{
    if (!strcmp(p, "vCont?")) {
        gdb_send_str(s, "vCont;c;C;s;S");
        return;
    }
    char a = p[6];
    if (a == 'c' || a == 'C')
        resume(s);
    else if (a == 's' || a == 'S')
        single_step(s);
    else
        gdb_send_str(s, "E22");
}

/* --- memory ----------------------------------------------------------- */

/* "ADDR,LEN" followed by `sep` (or the end when sep is 0). */
static bool parse_addr_len(const char **p, char sep, uint32_t *addr, uint64_t *len)
{
    uint64_t a;
    if (!parse_hex(p, &a) || **p != ',')
        return false;
    (*p)++;
    if (!parse_hex(p, len) || **p != sep)
        return false;
    if (sep)
        (*p)++;
    *addr = (uint32_t)a;
    return true;
}

static void read_memory(struct gdbstub *s, const char *p)
{
    uint32_t addr;
    uint64_t len;
    if (!parse_addr_len(&p, 0, &addr, &len) || len == 0) {
        gdb_send_str(s, "E22");
        return;
    }
    uint8_t buf[GDB_MEM_MAX];
    size_t want = MIN(len, sizeof(buf));
    size_t got = s->phys_mem ? smmu_probe_phys_read(s->pc->mmu, addr, buf, want)
                             : smmu_probe_read(s->pc->mmu, addr, buf, want);
    if (got == 0) {
        gdb_send_str(s, "E14"); /* not mapped: the guest sees no fault */
        return;
    }
    GString *hex = g_string_sized_new(2 * got);
    gdb_hex_append(hex, buf, got);
    gdb_send(s, hex->str, hex->len);
    g_string_free(hex, TRUE);
}

/* M (hex) and X (binary, '}'-escaped) writes. */
static void write_memory(struct gdbstub *s, const char *p, size_t plen)
{
    const char *end = p + plen, *q = p + 1;
    uint32_t addr;
    uint64_t len;
    if (!parse_addr_len(&q, ':', &addr, &len) || len > GDB_PACKET_MAX) {
        gdb_send_str(s, "E22");
        return;
    }
    uint8_t *buf = g_malloc(len + 1);
    bool ok;
    if (p[0] == 'M') {
        ok = (size_t)(end - q) == 2 * len && gdb_hex_decode(q, buf, len) == 0;
    } else {
        size_t n = 0;
        while (q < end && n < len) {
            if (*q == '}' && q + 1 < end) {
                buf[n++] = (uint8_t)(q[1] ^ 0x20);
                q += 2;
            } else {
                buf[n++] = (uint8_t)*q++;
            }
        }
        ok = n == len && q == end;
    }
    if (!ok)
        gdb_send_str(s, "E22");
    else if ((s->phys_mem ? smmu_probe_phys_write(s->pc->mmu, addr, buf, len)
                          : smmu_probe_write(s->pc->mmu, addr, buf, len)) != len)
        gdb_send_str(s, "E14");
    else
        gdb_send_str(s, "OK");
    g_free(buf);
}

/* --- queries ---------------------------------------------------------- */

static void send_supported(struct gdbstub *s)
{
    char reply[128];
    g_snprintf(reply, sizeof(reply),
               "PacketSize=%x;qXfer:features:read+;vContSupported+;swbreak+;hwbreak+",
               GDB_PACKET_MAX);
    gdb_send_str(s, reply);
}

/* qXfer:features:read:ANNEX:OFFSET,LENGTH */
static void read_features(struct gdbstub *s, const char *p)
{
    static const char annex[] = "target.xml:";
    uint32_t off;
    uint64_t len;
    if (strncmp(p, annex, strlen(annex))) {
        gdb_send_str(s, "E00");
        return;
    }
    p += strlen(annex);
    if (!parse_addr_len(&p, 0, &off, &len)) {
        gdb_send_str(s, "E22");
        return;
    }
    char *xml = gdb_target_xml();
    size_t total = strlen(xml), start = MIN(off, total), n = MIN(len, total - start);
    GString *reply = g_string_new(start + n < total ? "m" : "l");
    g_string_append_len(reply, xml + start, (gssize)n);
    gdb_send(s, reply->str, reply->len);
    g_string_free(reply, TRUE);
    g_free(xml);
}

/* qRcmd,HEX: the output goes out as 'O' packets, then OK. */
static void monitor_packet(struct gdbstub *s, const char *hex)
{
    size_t n = strlen(hex) / 2;
    char *cmd = g_malloc0(n + 1);
    if (strlen(hex) % 2 || gdb_hex_decode(hex, (uint8_t *)cmd, n) < 0) {
        gdb_send_str(s, "E22");
        g_free(cmd);
        return;
    }
    GString *out = g_string_new(NULL);
    gdb_monitor(s, cmd, out);
    for (size_t at = 0; at < out->len; at += 512) {
        GString *o = g_string_new("O");
        gdb_hex_append(o, out->str + at, MIN(512, out->len - at));
        gdb_send(s, o->str, o->len);
        g_string_free(o, TRUE);
    }
    gdb_send_str(s, "OK");
    g_string_free(out, TRUE);
    g_free(cmd);
}

static void query(struct gdbstub *s, const char *p)
{
    if (g_str_has_prefix(p, "qSupported"))
        send_supported(s);
    else if (g_str_has_prefix(p, "qXfer:features:read:"))
        read_features(s, p + strlen("qXfer:features:read:"));
    else if (g_str_has_prefix(p, "qRcmd,"))
        monitor_packet(s, p + strlen("qRcmd,"));
    else if (!strcmp(p, "qAttached"))
        gdb_send_str(s, "1"); /* detaching leaves the guest running */
    else if (!strcmp(p, "qC"))
        gdb_send_str(s, "QC1");
    else if (!strcmp(p, "qfThreadInfo"))
        gdb_send_str(s, "m1");
    else if (!strcmp(p, "qsThreadInfo"))
        gdb_send_str(s, "l");
    else if (g_str_has_prefix(p, "qSymbol"))
        gdb_send_str(s, "OK");
    else
        gdb_send_str(s, ""); /* not supported */
}

/* --- packets ---------------------------------------------------------- */

static void registers_packet(struct gdbstub *s, const char *p, size_t len)
{
    struct cpu *cpu = s->pc->cpu;
    GString *out = g_string_new(NULL);
    uint64_t n = 0;
    const char *q = p + 1;
    if (p[0] == 'g') {
        gdb_regs_read(cpu, out);
    } else if (p[0] == 'G') {
        g_string_assign(out, gdb_regs_write(cpu, p + 1, len - 1) < 0 ? "E22" : "OK");
    } else if (!parse_hex(&q, &n) || n >= gdb_reg_count()) {
        g_string_assign(out, "E22");
    } else if (p[0] == 'p') {
        gdb_reg_read(cpu, (unsigned)n, out);
    } else {
        bool ok =
            *q == '=' && gdb_reg_write(cpu, (unsigned)n, q + 1, len - (size_t)(q + 1 - p)) == 0;
        g_string_assign(out, ok ? "OK" : "E22");
    }
    gdb_send(s, out->str, out->len);
    g_string_free(out, TRUE);
}

/* Z/z TYPE,ADDR,KIND */
static void breakpoint_packet(struct gdbstub *s, const char *p)
{
    bool insert = p[0] == 'Z';
    const char *q = p + 1;
    uint64_t type, kind;
    uint32_t addr;
    if (!parse_hex(&q, &type) || *q++ != ',' || !parse_addr_len(&q, 0, &addr, &kind)) {
        gdb_send_str(s, "E22");
        return;
    }
    switch (type) {
    case 0: /* software breakpoint: guest memory is not patched */
    case 1: /* hardware breakpoint: the same mechanism */
        gdb_send_str(s, set_breakpoint(s, type == 0 ? BP_SW : BP_HW, addr, insert));
        break;
    case 2: /* write, read and access watchpoints */
    case 3:
    case 4: {
        static const enum cpu_watch_kind kinds[] = {CPU_WATCH_WRITE, CPU_WATCH_READ,
                                                    CPU_WATCH_ACCESS};
        enum cpu_watch_kind k = kinds[type - 2];
        gdb_send_str(s, insert ? insert_watch(s, k, addr, kind) : remove_watch(s, k, addr, kind));
        break;
    }
    default:
        gdb_send_str(s, ""); /* not supported */
        break;
    }
}

/* k, vKill: popek exits (status 0) once the run loop sees it. */
static void kill_guest(struct gdbstub *s, bool reply)
{
    if (reply)
        gdb_send_str(s, "OK"); /* vKill has a reply, k has none */
    pc_stop(s->pc, PC_STOP_QUIT);
    s->drop = true;
}

void gdb_handle_packet(struct gdbstub *s, char *p, size_t len)
{
    switch (p[0]) {
    case '?':
        gdb_send_str(s, s->stop_reply);
        break;
    case 'g':
    case 'G':
    case 'p':
    case 'P':
        registers_packet(s, p, len);
        break;
    case 'm':
        read_memory(s, p + 1);
        break;
    case 'M':
    case 'X':
        write_memory(s, p, len);
        break;
    case 'c':
    case 'C':
        resume_packet(s, p, false);
        break;
    case 's':
    case 'S':
        resume_packet(s, p, true);
        break;
    case 'v':
        if (g_str_has_prefix(p, "vCont"))
            vcont(s, p);
        else if (g_str_has_prefix(p, "vKill"))
            kill_guest(s, true);
        else
            gdb_send_str(s, "");
        break;
    case 'Z':
    case 'z':
        breakpoint_packet(s, p);
        break;
    case 'q':
        query(s, p);
        break;
    case 'H':
    case 'T':
        gdb_send_str(s, "OK"); /* there is one thread */
        break;
    case 'D':
        gdb_send_str(s, "OK");
        s->drop = true; /* the guest resumes when the client is dropped */
        break;
    case 'k':
        kill_guest(s, false);
        break;
    default:
        gdb_send_str(s, "");
        break;
    }
}

/* Ctrl-C: stop a running guest. */
void gdb_interrupt(struct gdbstub *s)
{
    if (s->running)
        report_stop(s, 2, "");
}
