/*
 * The gdb stub at the protocol level: popek runs a small real-mode program
 * (harness.h) with `--gdb -S`, and each test speaks the GDB Remote Serial
 * Protocol to it over a plain socket — packets, acknowledgements,
 * registers, memory, breakpoints, watchpoints, stepping, Ctrl-C, monitor
 * commands — and feeds it malformed input it must survive.
 */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

struct client {
    struct popek_proc proc;
    int fd;
};

/* --- the protocol, as gdb speaks it ----------------------------------- */

static void send_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n <= 0)
            g_error("send to the gdb stub failed: %s", g_strerror(errno));
        p += n;
        len -= (size_t)n;
    }
}

static int recv_byte(int fd)
{
    unsigned char c;
    ssize_t n = recv(fd, &c, 1, 0);
    return n == 1 ? c : -1;
}

static int next_byte(struct client *c)
{
    int b = recv_byte(c->fd);
    if (b < 0)
        g_error("the gdb stub sent nothing (timeout or closed)");
    return b;
}

/* Send $data#checksum and expect the stub's '+'. */
static void send_packet(struct client *c, const char *data)
{
    unsigned sum = 0;
    for (const char *p = data; *p; p++)
        sum += (unsigned char)*p;
    char *frame = g_strdup_printf("$%s#%02x", data, sum & 0xff);
    send_all(c->fd, frame, strlen(frame));
    g_free(frame);
    int ack = next_byte(c);
    if (ack != '+')
        g_error("the stub answered '%c' to a good packet '%s'", ack, data);
}

/* Receive one packet (checksum checked, escapes undone) and acknowledge it. */
static char *recv_packet(struct client *c)
{
    int b;
    while ((b = next_byte(c)) != '$')
        g_assert_true(b == '+'); /* nothing else may come between packets */
    GString *data = g_string_new(NULL);
    unsigned sum = 0;
    while ((b = next_byte(c)) != '#') {
        sum += (unsigned)b;
        if (b == '}') {
            int e = next_byte(c);
            sum += (unsigned)e;
            b = e ^ 0x20;
        }
        g_string_append_c(data, (char)b);
    }
    char hex[3] = {(char)next_byte(c), (char)next_byte(c), 0};
    g_assert_cmpuint(strtoul(hex, NULL, 16), ==, sum & 0xff);
    send_all(c->fd, "+", 1);
    return g_string_free(data, FALSE);
}

static char *command(struct client *c, const char *pkt)
{
    send_packet(c, pkt);
    return recv_packet(c);
}

static void expect(struct client *c, const char *pkt, const char *reply)
{
    char *r = command(c, pkt);
    if (strcmp(r, reply))
        g_error("'%s': expected '%s', got '%s'", pkt, reply, r);
    g_free(r);
}

static char *hex_of(const void *buf, size_t len)
{
    GString *s = g_string_new(NULL);
    for (size_t i = 0; i < len; i++)
        g_string_append_printf(s, "%02x", ((const uint8_t *)buf)[i]);
    return g_string_free(s, FALSE);
}

static uint32_t reg(struct client *c, unsigned n)
{
    char pkt[16];
    g_snprintf(pkt, sizeof(pkt), "p%x", n);
    char *r = command(c, pkt);
    g_assert_cmpuint(strlen(r), ==, 8);
    uint32_t v = (uint32_t)strtoul(r, NULL, 16);
    g_free(r);
    return GUINT32_FROM_BE(v); /* the hex is little-endian */
}

static void set_reg(struct client *c, unsigned n, uint32_t v)
{
    char pkt[32];
    g_snprintf(pkt, sizeof(pkt), "P%x=%08x", n, GUINT32_TO_BE(v));
    expect(c, pkt, "OK");
}

/* An X packet: binary, escaped as gdb escapes it. */
static void write_binary(struct client *c, uint32_t addr, const uint8_t *buf, size_t len)
{
    GString *p = g_string_new(NULL);
    g_string_printf(p, "X%x,%zx:", addr, len);
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '$' || buf[i] == '#' || buf[i] == '}' || buf[i] == '*') {
            g_string_append_c(p, '}');
            g_string_append_c(p, (char)(buf[i] ^ 0x20));
        } else {
            g_string_append_c(p, (char)buf[i]);
        }
    }
    unsigned sum = 0;
    for (size_t i = 0; i < p->len; i++)
        sum += (unsigned char)p->str[i];
    g_string_prepend_c(p, '$');
    g_string_append_printf(p, "#%02x", sum & 0xff);
    send_all(c->fd, p->str, p->len);
    g_string_free(p, TRUE);
    g_assert_cmpint(next_byte(c), ==, '+');
    char *r = recv_packet(c);
    g_assert_cmpstr(r, ==, "OK");
    g_free(r);
}

/* `monitor CMD`: the 'O' packets' text, then the final OK. */
static char *monitor(struct client *c, const char *cmd)
{
    char *hex = hex_of(cmd, strlen(cmd));
    char *pkt = g_strconcat("qRcmd,", hex, NULL);
    send_packet(c, pkt);
    GString *out = g_string_new(NULL);
    for (;;) {
        char *r = recv_packet(c);
        if (r[0] != 'O' || !strcmp(r, "OK")) {
            g_assert_cmpstr(r, ==, "OK");
            g_free(r);
            break;
        }
        for (size_t i = 1; r[i] && r[i + 1]; i += 2) {
            char byte[3] = {r[i], r[i + 1], 0};
            g_string_append_c(out, (char)strtoul(byte, NULL, 16));
        }
        g_free(r);
    }
    g_free(pkt);
    g_free(hex);
    return g_string_free(out, FALSE);
}

/* gdb's register numbers in popek's target description. */
enum {
    REG_ESP = 4,
    REG_EIP = 8,
    REG_EFLAGS = 9,
    REG_CS = 10,
    REG_CR0 = 32,
    REG_CR3 = 34,
    NREGS = 40
};
enum { REG_ST0 = 16, REG_ST1 = 17, REG_FCTRL = 24, REG_FSTAT = 25, REG_FTAG = 26, REG_FOP = 31 };

/* --- sessions --------------------------------------------------------- */

/* popek held by -S, gdb connected, and (with `program`) the test program in RAM. */
static void start(struct client *c, bool program, const char *const *extra)
{
    const char *args[8] = {"-S"};
    for (unsigned i = 0; extra && extra[i]; i++)
        args[i + 1] = extra[i];
    popek_start(&c->proc, false, args);
    c->fd = popek_connect(&c->proc);
    if (program)
        write_binary(c, PROG_BASE, test_program, test_program_len);
}

/* Stop with k: popek must exit with status 0. */
static void finish(struct client *c)
{
    send_packet(c, "k");
    g_assert_cmpint(popek_wait(&c->proc, 10), ==, 0);
    close(c->fd);
    popek_cleanup(&c->proc);
}

/* Put CS:EIP at 0000:eip, the program's own segment. */
static void go_to(struct client *c, uint32_t eip)
{
    set_reg(c, REG_CS, 0);
    set_reg(c, REG_EIP, eip);
}

/* Continue, let the guest run a moment, and stop it with Ctrl-C: gdb's SIGINT stop reply. */
static void run_then_interrupt(struct client *c)
{
    send_packet(c, "c");
    g_usleep(100000);
    send_all(c->fd, "\x03", 1);
    char *r = recv_packet(c);
    g_assert_cmpstr(r, ==, "T02thread:1;");
    g_free(r);
}

/* Point IVT entry `vector` at 0000:handler. */
static void set_vector(struct client *c, unsigned vector, uint16_t handler)
{
    char pkt[32];
    g_snprintf(pkt, sizeof(pkt), "M%x,4:%02x%02x0000", vector * 4, handler & 0xff, handler >> 8);
    expect(c, pkt, "OK");
}

/* --- tests ------------------------------------------------------------ */

static void test_handshake(void)
{
    struct client c;
    start(&c, false, NULL);
    char *r = command(&c, "qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386");
    static const char *const features[] = {"PacketSize=", "qXfer:features:read+", "vContSupported+",
                                           "swbreak+", "hwbreak+"};
    for (size_t i = 0; i < G_N_ELEMENTS(features); i++)
        g_assert_nonnull(strstr(r, features[i]));
    g_free(r);
    r = command(&c, "?");
    g_assert_true(g_str_has_prefix(r, "T05"));
    g_free(r);
    expect(&c, "vCont?", "vCont;c;C;s;S");
    expect(&c, "qAttached", "1");
    expect(&c, "qNoSuchQuery", "");
    expect(&c, "Hg0", "OK");
    /* Held before the first instruction: the reset vector. */
    r = command(&c, "g");
    g_assert_cmpuint(strlen(r), ==, 2 * (16 * 4 + 8 * 10 + 8 * 4 + 8 * 4));
    g_assert_cmpmem(r + 8 * 8, 8, "f0ff0000", 8);  /* eip */
    g_assert_cmpmem(r + 10 * 8, 8, "00f00000", 8); /* cs */
    g_free(r);
    g_assert_cmphex(reg(&c, REG_CR0), ==, 0x60000010);
    expect(&c, "mfffffff0,5", "ea000100f0");
    finish(&c);
}

static void test_target_description(void)
{
    struct client c;
    start(&c, false, NULL);
    GString *xml = g_string_new(NULL);
    for (;;) {
        char pkt[64];
        g_snprintf(pkt, sizeof(pkt), "qXfer:features:read:target.xml:%zx,200", xml->len);
        char *r = command(&c, pkt);
        g_assert_true(r[0] == 'm' || r[0] == 'l');
        g_string_append(xml, r + 1);
        bool last = r[0] == 'l';
        g_free(r);
        if (last)
            break;
    }
    /* No <architecture>: gdb then lets `set architecture i8086` decode 16-bit code. */
    g_assert_null(strstr(xml->str, "<architecture>"));
    static const char *const needed[] = {
        "<osabi>none</osabi>", "org.gnu.gdb.i386.core",
        "name=\"eax\"",        "name=\"eflags\"",
        "name=\"gs\"",         "name=\"st7\" bitsize=\"80\" type=\"i387_ext\"",
        "name=\"fop\"",        "name=\"cr0\"",
        "name=\"cr4\"",        "name=\"gdtr_base\"",
        "name=\"idtr_limit\"", "</target>"};
    for (size_t i = 0; i < G_N_ELEMENTS(needed); i++) {
        if (!strstr(xml->str, needed[i]))
            g_error("target.xml lacks %s:\n%s", needed[i], xml->str);
    }
    unsigned regs = 0;
    for (const char *p = xml->str; (p = strstr(p, "<reg ")); p++)
        regs++;
    g_assert_cmpuint(regs, ==, NREGS);
    g_string_free(xml, TRUE);
    expect(&c, "qXfer:features:read:other.xml:0,100", "E00");
    finish(&c);
}

static void test_breakpoint_and_step(void)
{
    struct client c;
    start(&c, true, NULL);
    /* In the ROM, CS has a base: a breakpoint there is a plain SIGTRAP for gdb. */
    g_autofree char *hop = g_strdup_printf("Z1,%x,1", ROM_HOP_LINEAR);
    expect(&c, hop, "OK");
    expect(&c, "c", "T05thread:1;");
    g_assert_cmphex(reg(&c, REG_EIP), ==, 0x100);
    g_assert_cmphex(reg(&c, REG_CS), ==, 0xf000);
    hop[0] = 'z';
    expect(&c, hop, "OK");
    /* Guest memory is never patched for a software breakpoint. */
    g_autofree char *bp = g_strdup_printf("Z0,%x,1", PROG_BP);
    expect(&c, bp, "OK");
    g_autofree char *mem = g_strdup_printf("m%x,1", PROG_BP);
    expect(&c, mem, "b8");
    expect(&c, "c", "T05thread:1;swbreak:;");
    g_assert_cmphex(reg(&c, REG_EIP), ==, PROG_BP);
    /* A step from a breakpoint runs exactly the instruction under it. */
    expect(&c, "s", "T05thread:1;");
    g_assert_cmphex(reg(&c, REG_EIP), ==, PROG_STORE);
    g_assert_cmphex(reg(&c, 0) & 0xffff, ==, 0x1234);
    bp[0] = 'z';
    expect(&c, bp, "OK");
    /* A hardware breakpoint on a jmp $: each continue steps over it and stops there again. */
    g_autofree char *hw = g_strdup_printf("Z1,%x,1", PROG_SPIN);
    expect(&c, hw, "OK");
    expect(&c, "vCont;c", "T05thread:1;hwbreak:;");
    g_assert_cmphex(reg(&c, REG_EIP), ==, PROG_SPIN);
    expect(&c, "c", "T05thread:1;hwbreak:;");
    g_assert_cmphex(reg(&c, REG_EIP), ==, PROG_SPIN);
    expect(&c, "vCont;s:1", "T05thread:1;");
    g_assert_cmphex(reg(&c, REG_EIP), ==, PROG_SPIN);
    finish(&c);
}

static void test_step_into_exception_handler(void)
{
    struct client c;
    start(&c, true, NULL);
    set_vector(&c, 6, PROG_HANDLER); /* #UD */
    go_to(&c, PROG_UD2);
    set_reg(&c, REG_ESP, 0x1000);
    expect(&c, "s", "T05thread:1;");
    /* Stopped at the handler's first instruction, before it ran: FLAGS, CS, IP pushed. */
    g_assert_cmphex(reg(&c, REG_EIP), ==, PROG_HANDLER);
    g_assert_cmphex(reg(&c, REG_ESP), ==, 0x1000 - 6);
    g_autofree char *frame = g_strdup_printf("m%x,4", 0x1000 - 6);
    g_autofree char *want = g_strdup_printf("%02x%02x0000", PROG_UD2 & 0xff, PROG_UD2 >> 8);
    expect(&c, frame, want); /* #UD is a fault: the return address is the ud2 */
    finish(&c);
}

static void test_write_watchpoint(void)
{
    struct client c;
    start(&c, true, NULL);
    g_autofree char *w = g_strdup_printf("Z2,%x,2", PROG_DATA);
    expect(&c, w, "OK");
    g_autofree char *reply = g_strdup_printf("T05thread:1;watch:%x;", PROG_DATA);
    expect(&c, "c", reply);
    /* Stopped right after the writing instruction, with the write done. */
    g_assert_cmphex(reg(&c, REG_EIP), ==, PROG_AFTER);
    g_autofree char *m = g_strdup_printf("m%x,2", PROG_DATA);
    expect(&c, m, "3412");
    w[0] = 'z';
    expect(&c, w, "OK");
    /* Lengths gdb may ask for: any from 1 to a page. */
    expect(&c, "Z2,500,0", "E22");
    expect(&c, "Z2,500,1001", "E22");
    expect(&c, "Z2,500,3", "OK");
    expect(&c, "z2,500,3", "OK");
    finish(&c);
}

/* Read and access watchpoints: the CPU reading the IVT for #UD, the program writing its data. */
/* The x87 registers: what the guest's FLD1 and FLDPI left, and ST(0) written by gdb. */
static void test_x87_registers(void)
{
    struct client c;
    start(&c, false, NULL);
    /* fninit; fld1; fldpi; jmp $ -- and at 0x7d10: fstp dword [0x600]; jmp $ */
    static const uint8_t loads[] = {0xdb, 0xe3, 0xd9, 0xe8, 0xd9, 0xeb, 0xeb, 0xfe};
    static const uint8_t store[] = {0xd9, 0x1e, 0x00, 0x06, 0xeb, 0xfe};
    write_binary(&c, 0x7d00, loads, sizeof(loads));
    write_binary(&c, 0x7d10, store, sizeof(store));
    go_to(&c, 0x7d00);
    for (int i = 0; i < 3; i++)
        expect(&c, "s", "T05thread:1;");
    char pkt[32];
    g_snprintf(pkt, sizeof(pkt), "p%x", REG_ST0);
    expect(&c, pkt, "35c26821a2da0fc90040"); /* pi */
    g_snprintf(pkt, sizeof(pkt), "p%x", REG_ST1);
    expect(&c, pkt, "0000000000000080ff3f"); /* 1.0 */
    g_assert_cmphex(reg(&c, REG_FCTRL), ==, 0x037f);
    g_assert_cmphex(reg(&c, REG_FSTAT), ==, 0x3000); /* TOP = 6 */
    g_assert_cmphex(reg(&c, REG_FTAG), ==, 0x0fff);  /* R6, R7 valid, the rest empty */
    g_assert_cmphex(reg(&c, REG_FOP), ==, 0x1eb);    /* FLDPI: D9 EB */
    /* gdb writes ST(0) = 2.0 and the guest stores it. */
    g_snprintf(pkt, sizeof(pkt), "P%x=00000000000000800040", REG_ST0);
    expect(&c, pkt, "OK");
    go_to(&c, 0x7d10);
    expect(&c, "s", "T05thread:1;");
    expect(&c, "m600,4", "00000040");
    g_assert_cmphex(reg(&c, REG_FSTAT), ==, 0x3800); /* popped: TOP = 7 */
    g_assert_cmphex(reg(&c, REG_FTAG), ==, 0x3fff);
    /* A whole 'g'/'G' round trip changes nothing. */
    char *all = command(&c, "g");
    char *G = g_strconcat("G", all, NULL);
    expect(&c, G, "OK");
    char *again = command(&c, "g");
    g_assert_cmpstr(again, ==, all);
    g_free(again);
    g_free(G);
    g_free(all);
    finish(&c);
}

/* A step holds interrupts off unless `monitor step-irq on`; then it stops at the handler. */
static void test_step_irq(void)
{
    struct client c;
    start(&c, false, NULL);
    /* Initialise the PIC (vector 8 base, only IRQ 1 unmasked), let the i8042 interrupt for
       keyboard bytes and hand it one (command D2h): IRQ 1 is pending; then jmp $. */
    static const uint8_t code[] = {
        0xb0, 0x11, 0xe6, 0x20, 0xb0, 0x08, 0xe6, 0x21, 0xb0, 0x04, 0xe6, 0x21, 0xb0,
        0x01, 0xe6, 0x21, 0xb0, 0xfd, 0xe6, 0x21, 0xb0, 0x60, 0xe6, 0x64, 0xb0, 0x01,
        0xe6, 0x60, 0xb0, 0xd2, 0xe6, 0x64, 0xb0, 0x55, 0xe6, 0x60, 0xeb, 0xfe,
    };
    const uint32_t spin = 0x7d00 + sizeof(code) - 2;
    write_binary(&c, 0x7d00, code, sizeof(code));
    set_vector(&c, 9, PROG_HANDLER); /* IRQ 1 */
    go_to(&c, 0x7d00);
    set_reg(&c, REG_ESP, 0x1000);
    g_autofree char *bp = g_strdup_printf("Z0,%x,1", spin);
    expect(&c, bp, "OK");
    expect(&c, "c", "T05thread:1;swbreak:;");
    bp[0] = 'z';
    expect(&c, bp, "OK");
    set_reg(&c, REG_EFLAGS, 0x202); /* IF */
    for (int i = 0; i < 3; i++) {
        expect(&c, "s", "T05thread:1;");
        g_assert_cmphex(reg(&c, REG_EIP), ==, spin);
    }
    char *out = monitor(&c, "step-irq on");
    g_assert_nonnull(strstr(out, "pending interrupt"));
    g_free(out);
    expect(&c, "s", "T05thread:1;");
    g_assert_cmphex(reg(&c, REG_EIP), ==, PROG_HANDLER); /* before its first instruction */
    g_assert_cmphex(reg(&c, REG_ESP), ==, 0x1000 - 6);
    finish(&c);
}

static void test_read_and_access_watchpoints(void)
{
    struct client c;
    start(&c, true, NULL);
    set_vector(&c, 6, PROG_HANDLER); /* #UD */
    /* A read watchpoint on what the program writes does not stop it there. */
    g_autofree char *r500 = g_strdup_printf("Z3,%x,2", PROG_DATA);
    expect(&c, r500, "OK");
    go_to(&c, PROG_STORE);
    run_then_interrupt(&c);
    g_assert_cmphex(reg(&c, REG_EIP), ==, PROG_SPIN);
    expect(&c, "Z3,1a,2", "OK"); /* the segment half of IVT entry 6 */
    go_to(&c, PROG_UD2);
    set_reg(&c, REG_ESP, 0x1000);
    expect(&c, "c", "T05thread:1;rwatch:1a;");
    /* It stops after the instruction that read it: the ud2, now delivered. */
    g_assert_cmphex(reg(&c, REG_EIP), ==, PROG_HANDLER);
    expect(&c, "z3,1a,2", "OK");
    r500[0] = 'z';
    expect(&c, r500, "OK");
    /* An access watchpoint sees the write. */
    g_autofree char *a500 = g_strdup_printf("Z4,%x,1", PROG_DATA + 1);
    expect(&c, a500, "OK");
    go_to(&c, PROG_STORE);
    g_autofree char *reply = g_strdup_printf("T05thread:1;awatch:%x;", PROG_DATA + 1);
    expect(&c, "c", reply);
    g_assert_cmphex(reg(&c, REG_EIP), ==, PROG_AFTER);
    /* And a single step that touches it says so too. */
    go_to(&c, PROG_STORE);
    expect(&c, "s", reply);
    g_assert_cmphex(reg(&c, REG_EIP), ==, PROG_AFTER);
    /* More than the CPU keeps: ENOSPC. */
    for (unsigned i = 1; i < 8; i++) {
        g_autofree char *z = g_strdup_printf("Z4,%x,1", 0x2000 + i);
        expect(&c, z, "OK");
    }
    expect(&c, "Z4,3000,1", "E28");
    finish(&c);
}

static void test_ctrl_c(void)
{
    struct client c;
    start(&c, true, NULL);
    /* A watchpoint nothing writes must not stop the guest. */
    expect(&c, "Z2,600,4", "OK");
    run_then_interrupt(&c);
    g_assert_cmphex(reg(&c, REG_EIP), ==, PROG_SPIN);
    expect(&c, "?", "T02thread:1;");
    finish(&c);
}

static void test_memory(void)
{
    struct client c;
    start(&c, false, NULL);
    expect(&c, "M600,4:deadbeef", "OK");
    expect(&c, "m600,4", "deadbeef");
    /* Binary writes with every byte the protocol escapes. */
    static const uint8_t bin[] = {'$', '#', '}', '*', 0x03, 0x00, 0xff, 'x'};
    write_binary(&c, 0x700, bin, sizeof(bin));
    g_autofree char *hex = hex_of(bin, sizeof(bin));
    expect(&c, "m700,8", hex);
    expect(&c, "X700,0:", "OK"); /* gdb's probe for X */
    expect(&c, "mzz", "E22");
    expect(&c, "M600,4:dead", "E22");
    /* Paging on with an empty page directory at 0x1000: nothing is mapped. */
    GString *zeros = g_string_new("M1000,1000:");
    for (int i = 0; i < 0x1000; i++)
        g_string_append(zeros, "00");
    expect(&c, zeros->str, "OK");
    g_string_free(zeros, TRUE);
    set_reg(&c, REG_CR3, 0x1000);
    set_reg(&c, REG_CR0, 0x80000011u);
    expect(&c, "m0,4", "E14");
    expect(&c, "M0,1:00", "E14");
    /* Watchpoints are on linear addresses: one may wait for its page to be mapped. */
    expect(&c, "Z2,0,4", "OK");
    /* `monitor phys on`: memory packets bypass paging; off again, they do not. */
    char *phys = monitor(&c, "phys on");
    g_assert_nonnull(strstr(phys, "guest-physical"));
    g_free(phys);
    expect(&c, "m600,4", "deadbeef");
    expect(&c, "M604,2:cafe", "OK");
    expect(&c, "m604,2", "cafe");
    expect(&c, "mfffffff0,1", "ea"); /* the BIOS's reset vector, physical */
    char *bad = monitor(&c, "phys maybe");
    g_assert_nonnull(strstr(bad, "usage: monitor phys on|off"));
    g_assert_nonnull(strstr(bad, "guest-physical")); /* unchanged */
    g_free(bad);
    g_free(monitor(&c, "phys off"));
    expect(&c, "m600,4", "E14");
    char *out = monitor(&c, "tlb 2000");
    g_assert_nonnull(strstr(out, "page fault"));
    g_assert_nonnull(strstr(out, "not present"));
    g_free(out);
    set_reg(&c, REG_CR0, 0x60000010u);
    expect(&c, "m600,4", "deadbeef");
    finish(&c);
}

static void test_monitor(void)
{
    struct client c;
    start(&c, true, NULL);
    char *out = monitor(&c, "help");
    static const char *const cmds[] = {"help", "regs", "ioapic", "stats", "tlb", "reset"};
    for (size_t i = 0; i < G_N_ELEMENTS(cmds); i++)
        g_assert_nonnull(strstr(out, cmds[i]));
    g_free(out);
    g_autofree char *bp = g_strdup_printf("Z0,%x,1", PROG_SPIN);
    expect(&c, bp, "OK");
    expect(&c, "c", "T05thread:1;swbreak:;");
    out = monitor(&c, "stats");
    static const char *const counters[] = {
        "cpu.instructions", "cpu.interrupts", "tcache.blocks_decoded", "translator.tier",
        "mmu.page_walks",   "apic.enabled",   "apic.timer_current"};
    for (size_t i = 0; i < G_N_ELEMENTS(counters); i++)
        g_assert_nonnull(strstr(out, counters[i]));
    g_free(out);
    out = monitor(&c, "regs");
    g_assert_nonnull(strstr(out, "mode: real"));
    g_assert_nonnull(strstr(out, "cr0=60000010"));
    g_assert_nonnull(strstr(out, "cs   0000 base=00000000"));
    g_assert_nonnull(strstr(out, "dr7=00000400"));
    /* the local APIC after reset: software disabled, LINT0 ExtINT (virtual wire) */
    g_assert_nonnull(strstr(out, "apic: base=fee00000 id=0 software-disabled"));
    g_assert_nonnull(strstr(out, "lint0=00000700(ExtINT 00)"));
    g_assert_nonnull(strstr(out, "timer=00010000(fixed 00 masked) one-shot initial=0"));
    g_free(out);
    out = monitor(&c, "ioapic");
    g_assert_nonnull(strstr(out, "I/O APIC (82093AA) at fec00000: id=0 entries=24"));
    g_assert_nonnull(strstr(out, "pin  0: 0000000000010000 vector=00 fixed  physical dest=00"));
    g_assert_nonnull(strstr(out, "pin 23: 0000000000010000"));
    g_assert_null(strstr(out, "pin 24"));
    g_free(out);
    out = monitor(&c, "tlb 12345");
    g_assert_nonnull(strstr(out, "physical 000012345"));
    g_free(out);
    out = monitor(&c, "tlb nonsense");
    g_assert_nonnull(strstr(out, "usage"));
    g_free(out);
    out = monitor(&c, "frobnicate");
    g_assert_nonnull(strstr(out, "unknown monitor command"));
    g_free(out);
    /* The commands every monitor door shares (tests/frontend/test_monitor.c has them all). */
    out = monitor(&c, "eject fda");
    g_assert_nonnull(strstr(out, "there is no floppy drive A:"));
    g_free(out);
    out = monitor(&c, "screendump x.bmp");
    g_assert_nonnull(strstr(out, "usage: screendump FILE.png"));
    g_free(out);
    out = monitor(&c, "cont");
    g_assert_nonnull(strstr(out, "gdb holds the guest"));
    g_free(out);
    out = monitor(&c, "reset");
    g_free(out);
    g_assert_cmphex(reg(&c, REG_EIP), ==, 0xfff0);
    g_assert_cmphex(reg(&c, REG_CS), ==, 0xf000);
    finish(&c);
}

static void test_malformed_input(void)
{
    struct client c;
    start(&c, false, NULL);
    /* A bad checksum is refused with '-'. */
    send_all(c.fd, "$g#00", 5);
    g_assert_cmpint(next_byte(&c), ==, '-');
    send_all(c.fd, "$?#zz", 5);
    g_assert_cmpint(next_byte(&c), ==, '-');
    /* Bytes between packets are ignored. */
    send_all(c.fd, "garbage\r\n+", 10);
    expect(&c, "?", "T05thread:1;");
    /* A packet longer than PacketSize is refused whole. */
    GString *big = g_string_new("$");
    for (int i = 0; i < 20000; i++)
        g_string_append_c(big, 'a');
    g_string_append(big, "#00");
    send_all(c.fd, big->str, big->len);
    g_string_free(big, TRUE);
    g_assert_cmpint(next_byte(&c), ==, '-');
    /* Broken packets get errors or empty replies, never a crash. */
    expect(&c, "m", "E22");
    expect(&c, "p", "E22");
    expect(&c, "pffff", "E22");
    expect(&c, "P8=zz", "E22");
    expect(&c, "Z0", "E22");
    expect(&c, "qRcmd,6", "E22");
    expect(&c, "vCont;x", "E22");
    expect(&c, "", "");
    expect(&c, "mfffffff0,5", "ea000100f0");
    /* A '-' from gdb gets the last packet again. */
    send_all(c.fd, "-", 1);
    char *r = recv_packet(&c);
    g_assert_cmpstr(r, ==, "ea000100f0");
    g_free(r);
    finish(&c);
}

static void test_one_client_at_a_time(void)
{
    struct client c;
    start(&c, false, NULL);
    int second = popek_connect(&c.proc);
    char byte;
    g_assert_cmpint(recv(second, &byte, 1, 0), ==, 0); /* closed at once */
    close(second);
    expect(&c, "?", "T05thread:1;");
    finish(&c);
}

static void test_attach_to_running_guest(void)
{
    struct client c;
    popek_start(&c.proc, true, NULL);
    g_usleep(200000);
    c.fd = popek_connect(&c.proc);
    /* Attaching stops the guest where it is: the jmp $. */
    expect(&c, "?", "T05thread:1;");
    g_assert_cmphex(reg(&c, REG_EIP), ==, PROG_SPIN);
    g_assert_cmphex(reg(&c, REG_CS), ==, 0);
    finish(&c);
}

/* After D, or when gdb just goes away, the guest runs on. */
static void detach_and_exit(bool say_detach)
{
    struct client c;
    const char *const extra[] = {"--debug-exit", NULL};
    start(&c, true, extra);
    g_autofree char *bp = g_strdup_printf("Z0,%x,1", PROG_EXIT);
    expect(&c, bp, "OK"); /* removed by the detach */
    go_to(&c, PROG_EXIT);
    if (say_detach)
        expect(&c, "D", "OK");
    close(c.fd);
    g_assert_cmpint(popek_wait(&c.proc, 10), ==, (0x21 << 1) | 1);
    popek_cleanup(&c.proc);
}

static void test_detach_resumes(void)
{
    detach_and_exit(true);
}

static void test_disconnect_resumes(void)
{
    detach_and_exit(false);
}

/* The guest exits while gdb waits for it: gdb gets a W packet with the exit status. */
static void test_guest_exit_reported(void)
{
    struct client c;
    const char *const extra[] = {"--debug-exit", NULL};
    start(&c, true, extra);
    go_to(&c, PROG_EXIT);
    expect(&c, "c", "W43");
    g_assert_cmpint(popek_wait(&c.proc, 10), ==, 0x43);
    close(c.fd);
    popek_cleanup(&c.proc);
}

/* Run popek briefly with `gdb_spec`; returns its standard error and sets *status. */
static char *run_with_gdb_spec(const char *gdb_spec, int *status)
{
    g_autofree char *rom = popek_write_rom(false);
    g_autofree char *bios = g_strconcat("--bios=", rom, NULL);
    g_autofree char *gdb = g_strconcat("--gdb=", gdb_spec, NULL);
    const char *argv[] = {g_getenv("POPEK_BIN"), bios, "--display=none", gdb,
                          "--timeout=0.1",       NULL};
    char *err = NULL;
    int ws;
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                               NULL, &err, &ws, NULL));
    g_assert_true(WIFEXITED(ws));
    *status = WEXITSTATUS(ws);
    g_unlink(rom);
    return err;
}

static void test_listen_errors_and_warnings(void)
{
    int status;
    /* Every interface: allowed when asked for, with a warning. */
    char *err = run_with_gdb_spec("tcp:0.0.0.0:0", &status);
    g_assert_cmpint(status, ==, 124);
    g_assert_nonnull(strstr(err, "popek: warning: the gdb stub listens on 0.0.0.0:0"));
    g_free(err);
    /* A port in use: one line, status 1. */
    struct popek_proc p;
    popek_start(&p, false, NULL);
    g_autofree char *busy = g_strdup_printf("tcp:127.0.0.1:%u", p.port);
    err = run_with_gdb_spec(busy, &status);
    g_assert_cmpint(status, ==, 1);
    g_assert_true(g_str_has_prefix(err, "popek: --gdb: cannot listen on 127.0.0.1:"));
    g_assert_cmpuint(strlen(err), ==, strcspn(err, "\n") + 1);
    g_free(err);
    popek_cleanup(&p);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/gdb/handshake", test_handshake);
    g_test_add_func("/gdb/target-description", test_target_description);
    g_test_add_func("/gdb/breakpoint-and-step", test_breakpoint_and_step);
    g_test_add_func("/gdb/step-into-exception-handler", test_step_into_exception_handler);
    g_test_add_func("/gdb/write-watchpoint", test_write_watchpoint);
    g_test_add_func("/gdb/read-and-access-watchpoints", test_read_and_access_watchpoints);
    g_test_add_func("/gdb/x87-registers", test_x87_registers);
    g_test_add_func("/gdb/step-irq", test_step_irq);
    g_test_add_func("/gdb/ctrl-c", test_ctrl_c);
    g_test_add_func("/gdb/memory", test_memory);
    g_test_add_func("/gdb/monitor", test_monitor);
    g_test_add_func("/gdb/malformed-input", test_malformed_input);
    g_test_add_func("/gdb/one-client-at-a-time", test_one_client_at_a_time);
    g_test_add_func("/gdb/attach-to-running-guest", test_attach_to_running_guest);
    g_test_add_func("/gdb/detach-resumes", test_detach_resumes);
    g_test_add_func("/gdb/disconnect-resumes", test_disconnect_resumes);
    g_test_add_func("/gdb/guest-exit-reported", test_guest_exit_reported);
    g_test_add_func("/gdb/listen-errors-and-warnings", test_listen_errors_and_warnings);
    return g_test_run();
}
