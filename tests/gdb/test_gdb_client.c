/*
 * Debian's gdb against popek: `gdb -batch` attaches to a guest held by -S,
 * reads registers and memory, stops at a breakpoint, steps, catches a
 * write, a read (the CPU fetching an IVT entry) and an access through
 * hardware watchpoints, disassembles 16-bit code (gdb's i8086 and the
 * monitor's disas, on bytes that decode differently as 32-bit code), shows the x87 as RESET
 * left it, asks the monitor and kills the guest. The gdb binary comes from
 * GDB_BIN.
 */
#include <glib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/* Run gdb with one -ex per command against the stub; returns what it printed. */
static char *run_gdb(const struct popek_proc *p, const char *const *cmds)
{
    const char *gdb = g_getenv("GDB_BIN");
    if (!gdb)
        g_error("GDB_BIN is not set: run this test through meson test");
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(argv, g_strdup(gdb));
    g_ptr_array_add(argv, g_strdup("-nx"));
    g_ptr_array_add(argv, g_strdup("-batch"));
    g_ptr_array_add(argv, g_strdup("-ex"));
    g_ptr_array_add(argv, g_strdup_printf("target remote 127.0.0.1:%u", p->port));
    for (unsigned i = 0; cmds[i]; i++) {
        g_ptr_array_add(argv, g_strdup("-ex"));
        g_ptr_array_add(argv, g_strdup(cmds[i]));
    }
    g_ptr_array_add(argv, NULL);
    char *out = NULL, *err = NULL;
    int status;
    GError *error = NULL;
    if (!g_spawn_sync(NULL, (char **)argv->pdata, NULL, 0, NULL, NULL, &out, &err, &status, &error))
        g_error("cannot run %s: %s", gdb, error->message);
    char *all = g_strconcat(out, err, NULL);
    g_test_message("gdb printed:\n%s", all);
    g_free(out);
    g_free(err);
    g_ptr_array_free(argv, TRUE);
    return all;
}

static void expect_in(const char *text, const char *what)
{
    if (!strstr(text, what))
        g_error("gdb's output lacks '%s':\n%s", what, text);
}

static void test_gdb_session(void)
{
    struct popek_proc p;
    const char *const extra[] = {"-S", NULL};
    popek_start(&p, true, extra);
    static const char *const cmds[] = {
        "info registers",
        "x/5xb 0xfffffff0",
        "break *0x7c04",
        "continue",
        "stepi",
        "info registers eip",
        "watch *(short *)0x500",
        "continue",
        "delete 2",
        "set {int}0x18 = 0x7c20",
        "set $eip = 0x7c0d",
        "rwatch *(short *)0x1a",
        "continue",
        "info registers eip",
        "delete 3",
        "awatch *(short *)0x500",
        "set $eip = 0x7c07",
        "continue",
        "set architecture i8086",
        "x/2i 0x7c04",
        "monitor disas 7c04 2",
        "monitor stats",
        "p/x $cr0",
        "info float",
        "kill",
        NULL,
    };
    char *out = run_gdb(&p, cmds);
    expect_in(out, "eip            0xfff0");
    expect_in(out, "cs             0xf000");
    expect_in(out, "0xfffffff0:\t0xea\t0x00\t0x01\t0x00\t0xf0");
    expect_in(out, "Breakpoint 1, 0x00007c04 in ?? ()");
    expect_in(out, "eip            0x7c07");
    expect_in(out, "Hardware watchpoint 2: *(short *)0x500");
    expect_in(out, "Old value = 0");
    expect_in(out, "New value = 4660");
    /* The #UD at 0x7c0d reads IVT entry 6; gdb stops at the handler it points to. */
    expect_in(out, "Hardware read watchpoint 3: *(short *)0x1a\n\nValue = 0");
    expect_in(out, "eip            0x7c20");
    expect_in(out, "Hardware access (read/write) watchpoint 4: *(short *)0x500\n\nValue = 4660");
    /* B8 34 12 A3 00 05: two 16-bit instructions, one 32-bit one (mov eax, 0x0a31234...). */
    expect_in(out, "0x7c04:\tmov    $0x1234,%ax");
    expect_in(out, "0x7c07:\tmov    %ax,0x500");
    expect_in(out, "00007c04  b8 34 12                 mov ax, 0x1234");
    expect_in(out, "00007c07  a3 00 05                 mov word ptr [0x500], ax");
    expect_in(out, "cpu.instructions");
    expect_in(out, "0x60000010");
    /* The x87 after RESET (SDM Vol. 3A Table 9-1): CW 0040H, tags 5555H (every register zero). */
    expect_in(out, "R7: Zero    0x00000000000000000000");
    expect_in(out, "Control Word:        0x0040");
    expect_in(out, "Tag Word:            0x5555");
    g_free(out);
    g_assert_cmpint(popek_wait(&p, 10), ==, 0);
    popek_cleanup(&p);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/gdb-client/session", test_gdb_session);
    return g_test_run();
}
