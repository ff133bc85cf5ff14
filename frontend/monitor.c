/*
 * The monitor's command table and the commands that steer the machine:
 * statistics, media, screen dumps, pause, reset, quit. Every door (gdb's
 * `monitor`, the serial console's Ctrl+A c, --monitor) runs the same
 * table through monitor_run; the CPU and MMU views are in monitor_cpu.c.
 * Commands run between CPU slices, so they may change the machine.
 */
#include "frontend/monitor.h"

#include <string.h>

#include "frontend/screenshot.h"
#include "frontend/stats.h"
#include "pc/pc.h"

/* Where a command may run. */
enum monitor_door {
    DOOR_ANY,
    DOOR_GDB, /* it changes how the gdb stub behaves */
};

struct monitor_cmd {
    const char *name;
    void (*run)(struct monitor *mon, const char *args, GString *out);
    enum monitor_door door;
    const char *usage; /* NAME and its arguments */
    const char *help;
};

static const char *skip_spaces(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

static void cmd_stats(struct monitor *mon, const char *args, GString *out)
{
    stats_format(out, mon->pc, (double)(g_get_monotonic_time() - mon->start_us) / 1e6, STATS_TEXT);
}

/* `change DRIVE FILE` and `eject DRIVE`: the drive name, and after it what is left of the line. */
static int parse_drive(const char *args, const char **rest, GString *out, const char *usage)
{
    args = skip_spaces(args);
    size_t n = strcspn(args, " \t");
    char *name = g_strndup(args, n);
    int drive = pc_drive_by_name(name);
    g_free(name);
    if (drive < 0)
        g_string_append_printf(out, "usage: %s (drives: fda, fdb, cdrom)\n", usage);
    *rest = skip_spaces(args + n);
    return drive;
}

static void cmd_change(struct monitor *mon, const char *args, GString *out)
{
    const char *path;
    int drive = parse_drive(args, &path, out, "change fda|fdb|cdrom FILE");
    if (drive < 0)
        return;
    char *file = g_strchomp(g_strdup(path));
    char *err = NULL;
    if (!*file)
        g_string_append(out, "usage: change fda|fdb|cdrom FILE\n");
    else if (pc_change_media(mon->pc, drive, file, &err) < 0)
        g_string_append_printf(out, "change %s: %s\n", pc_drive_name(drive), err);
    else
        g_string_append_printf(out, "%s: %s\n", pc_drive_name(drive), file);
    g_free(err);
    g_free(file);
}

static void cmd_eject(struct monitor *mon, const char *args, GString *out)
{
    const char *rest;
    int drive = parse_drive(args, &rest, out, "eject fda|fdb|cdrom");
    char *err = NULL;
    if (drive < 0)
        return;
    if (*rest)
        g_string_append(out, "usage: eject fda|fdb|cdrom\n");
    else if (pc_change_media(mon->pc, drive, NULL, &err) < 0)
        g_string_append_printf(out, "eject %s: %s\n", pc_drive_name(drive), err);
    else
        g_string_append_printf(out, "%s: empty\n", pc_drive_name(drive));
    g_free(err);
}

static void cmd_screendump(struct monitor *mon, const char *args, GString *out)
{
    char *file = g_strchomp(g_strdup(skip_spaces(args)));
    char *err = NULL;
    if (!g_str_has_suffix(file, ".png") && !g_str_has_suffix(file, ".PNG"))
        g_string_append(out, "usage: screendump FILE.png\n");
    else if (screenshot_save(mon->pc->vga, file, &err) < 0)
        g_string_append_printf(out, "screendump: %s\n", err);
    else
        g_string_append_printf(out, "screen saved to %s\n", file);
    g_free(err);
    g_free(file);
}

static void cmd_stop(struct monitor *mon, const char *args, GString *out)
{
    pc_set_paused(mon->pc, true);
    g_string_append(out, "paused\n");
}

static void cmd_cont(struct monitor *mon, const char *args, GString *out)
{
    if (mon->pc->debugger_hold) {
        g_string_append(out, "gdb holds the guest: continue it from gdb\n");
        return;
    }
    pc_set_paused(mon->pc, false);
    g_string_append(out, "running\n");
}

static void cmd_system_reset(struct monitor *mon, const char *args, GString *out)
{
    pc_reset(mon->pc);
    g_string_append(out, "machine reset: CS:EIP f000:fff0\n");
    if (mon->phys_mem) /* gdb's door */
        g_string_append(out, "(gdb caches registers: 'maintenance flush register-cache' shows "
                             "the new ones)\n");
}

static void cmd_quit(struct monitor *mon, const char *args, GString *out)
{
    pc_stop(mon->pc, PC_STOP_QUIT);
    g_string_append(out, "quitting\n");
}

/* `NAME on|off`: set *flag from "on" or "off" (anything else: the usage); say what it is now. */
static void switch_cmd(bool *flag, const char *args, GString *out, const char *name, const char *on,
                       const char *off)
{
    args = skip_spaces(args);
    if (!strcmp(args, "on") || !strcmp(args, "off"))
        *flag = !strcmp(args, "on");
    else if (*args)
        g_string_append_printf(out, "usage: monitor %s on|off\n", name);
    g_string_append_printf(out, "%s\n", *flag ? on : off);
}

static void cmd_phys(struct monitor *mon, const char *args, GString *out)
{
    switch_cmd(mon->phys_mem, args, out, "phys", "memory packets address guest-physical memory",
               "memory packets address guest-linear memory");
}

static void cmd_step_irq(struct monitor *mon, const char *args, GString *out)
{
    switch_cmd(mon->step_irq, args, out, "step-irq",
               "a step may take a pending interrupt (and stop at its handler)",
               "interrupts are held off while stepping");
}

static void cmd_help(struct monitor *mon, const char *args, GString *out);

/* Room for the translation cache's `tc` and the patch manager's `patches`, when they come. */
static const struct monitor_cmd commands[] = {
    {"help", cmd_help, DOOR_ANY, "help", "this list"},
    {"stats", cmd_stats, DOOR_ANY, "stats",
     "instructions, interrupts, translation cache and shadow MMU counters"},
    {"regs", monitor_cmd_regs, DOOR_ANY, "regs",
     "mode, descriptor caches, GDTR/IDTR/LDTR/TR, CR0-CR4, DR0-DR7, EFLAGS, local APIC"},
    {"ioapic", monitor_cmd_ioapic, DOOR_ANY, "ioapic",
     "the I/O APIC's redirection table and pin levels"},
    {"tlb", monitor_cmd_tlb, DOOR_ANY, "tlb ADDR",
     "what a linear address (hex) translates to, without side effects"},
    {"disas", monitor_cmd_disas, DOOR_ANY, "disas [ADDR [N]]",
     "N instructions at ADDR (linear, hex; default CS:EIP), decoded in the CPU's mode"},
    {"change", cmd_change, DOOR_ANY, "change DRIVE FILE",
     "put an image into fda, fdb or cdrom (the guest sees a disk change)"},
    {"eject", cmd_eject, DOOR_ANY, "eject DRIVE", "take the medium out of fda, fdb or cdrom"},
    {"screendump", cmd_screendump, DOOR_ANY, "screendump FILE.png", "save the guest screen"},
    {"stop", cmd_stop, DOOR_ANY, "stop", "pause the guest"},
    {"cont", cmd_cont, DOOR_ANY, "cont", "resume the guest"},
    {"system_reset", cmd_system_reset, DOOR_ANY, "system_reset",
     "reset the machine (CPU and devices)"},
    {"reset", cmd_system_reset, DOOR_ANY, "reset", "the same as system_reset"},
    {"quit", cmd_quit, DOOR_ANY, "quit", "stop the guest and exit popek"},
    {"phys", cmd_phys, DOOR_GDB, "phys on|off",
     "gdb's memory packets read and write guest-physical memory"},
    {"step-irq", cmd_step_irq, DOOR_GDB, "step-irq on|off",
     "let a gdb step take a pending interrupt"},
};

/* Whether a command can run at this door. */
static bool available(const struct monitor *mon, const struct monitor_cmd *c)
{
    return c->door == DOOR_ANY || (mon->phys_mem && mon->step_irq);
}

static void cmd_help(struct monitor *mon, const char *args, GString *out)
{
    g_string_append(out, "popek monitor commands:\n");
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (available(mon, &commands[i]))
            g_string_append_printf(out, "  %-20s %s\n", commands[i].usage, commands[i].help);
    }
}

void monitor_run(struct monitor *mon, const char *line, GString *out)
{
    line = skip_spaces(line);
    size_t n = strcspn(line, " \t\r\n");
    if (n == 0)
        return;
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
        const struct monitor_cmd *c = &commands[i];
        if (n != strlen(c->name) || strncmp(line, c->name, n))
            continue;
        if (available(mon, c))
            c->run(mon, line + n, out);
        else
            g_string_append_printf(out, "'%s' works only through gdb's monitor command\n", c->name);
        return;
    }
    g_string_append_printf(out, "unknown monitor command '%.*s': try 'help'\n", (int)n, line);
}
