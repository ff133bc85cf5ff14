/*
 * popek's option table (options_entries) as a person reads it: --help,
 * within 80 columns, and the manual page popek(1), which the build makes
 * with popek-man (man.c) and `meson install` puts in man1. Both come from
 * the one table, so neither can miss an option.
 */
#include <glib.h>
#include <string.h>

#include "frontend/options.h"

#define HELP_WIDTH 79 /* columns of --help's text */
#define HELP_DESC  24 /* where an option's description starts */

/* "-m, --memory=MB", "    --stats[=FILE]": an option as it is typed. */
static char *option_usage(const GOptionEntry *e)
{
    GString *s = g_string_new(NULL);
    if (e->short_name)
        g_string_append_printf(s, "-%c, ", e->short_name);
    else
        g_string_append(s, "    ");
    g_string_append_printf(s, "--%s", e->long_name);
    if (e->arg_description)
        g_string_append_printf(s, (e->flags & G_OPTION_FLAG_OPTIONAL_ARG) ? "[=%s]" : "=%s",
                               e->arg_description);
    return g_string_free(s, FALSE);
}

/* Append `text` wrapped at HELP_WIDTH, every line indented to `indent` (the first one too). */
static void append_wrapped(GString *out, const char *text, unsigned indent, unsigned column)
{
    char **words = g_strsplit(text, " ", -1);
    for (char **w = words; *w; w++) {
        unsigned len = (unsigned)strlen(*w);
        if (column > indent && column + 1 + len > HELP_WIDTH) {
            g_string_append_c(out, '\n');
            column = 0;
        }
        if (column < indent) {
            g_string_append_printf(out, "%*s", (int)(indent - column), "");
            column = indent;
        } else {
            g_string_append_c(out, ' ');
            column++;
        }
        g_string_append(out, *w);
        column += len;
    }
    g_string_append_c(out, '\n');
    g_strfreev(words);
}

void options_print_help(FILE *out)
{
    struct popek_options dummy = {0};
    GOptionEntry *entries = options_entries(&dummy);
    GString *s = g_string_new("Usage: popek [OPTION...] [IMAGE]\n\n");
    g_string_append_printf(s, "%s\n\nOptions:\n", options_summary);
    for (GOptionEntry *e = entries; e->long_name; e++) {
        char *usage = option_usage(e);
        g_string_append_printf(s, "  %s", usage);
        unsigned column = 2 + (unsigned)strlen(usage);
        if (column + 2 > HELP_DESC) {
            g_string_append_c(s, '\n');
            column = 0;
        }
        append_wrapped(s, e->description, HELP_DESC, column);
        g_free(usage);
    }
    g_string_append(
        s, "\nOn the serial console in a terminal, Ctrl+A h lists the escape keys; in the\n"
           "monitor, 'help' lists its commands. The manual: man popek.\n");
    fputs(s->str, out);
    g_string_free(s, TRUE);
    g_free(entries);
}

/* Text for man(7): backslashes and hyphens escaped, no line starting with a control character. */
static void man_text(GString *out, const char *text)
{
    for (const char *p = text; *p; p++) {
        if ((p == text || p[-1] == '\n') && (*p == '.' || *p == '\''))
            g_string_append(out, "\\&");
        if (*p == '\\')
            g_string_append(out, "\\e");
        else if (*p == '-')
            g_string_append(out, "\\-");
        else
            g_string_append_c(out, *p);
    }
}

static void man_option(GString *m, const GOptionEntry *e)
{
    g_string_append(m, ".TP\n");
    if (e->short_name)
        g_string_append_printf(m, "\\fB\\-%c\\fR, ", e->short_name);
    g_string_append(m, "\\fB\\-\\-");
    man_text(m, e->long_name);
    g_string_append(m, "\\fR");
    if (e->arg_description) {
        bool optional = e->flags & G_OPTION_FLAG_OPTIONAL_ARG;
        g_string_append(m, optional ? "[=\\fI" : "=\\fI");
        man_text(m, e->arg_description);
        g_string_append(m, optional ? "\\fR]" : "\\fR");
    }
    g_string_append_c(m, '\n');
    man_text(m, e->description);
    g_string_append_c(m, '\n');
}

void options_print_man(FILE *out, const char *version)
{
    struct popek_options dummy = {0};
    GOptionEntry *entries = options_entries(&dummy);
    GString *m = g_string_new(NULL);
    g_string_append_printf(m, ".TH POPEK 1 \"\" \"popek %s\" \"User Commands\"\n", version);
    g_string_append(m, ".SH NAME\npopek \\- a virtual machine monitor for legacy x86 PCs\n"
                       ".SH SYNOPSIS\n.B popek\n[\\fIOPTION\\fR...] [\\fIIMAGE\\fR]\n"
                       ".SH DESCRIPTION\n");
    char *summary = g_strdelimit(g_strdup(options_summary), "\n", ' ');
    man_text(m, summary);
    g_free(summary);
    g_string_append(m, "\n.SH OPTIONS\n");
    for (GOptionEntry *e = entries; e->long_name; e++)
        man_option(m, e);
    g_string_append(
        m, ".SH \"SERIAL CONSOLE\"\n"
           "With the serial port on a terminal, popek puts the terminal in raw mode while the "
           "guest runs and restores it on exit. Ctrl+A is the escape prefix:\n"
           ".TP\n.B Ctrl+A x\nquit popek\n"
           ".TP\n.B Ctrl+A c\nswitch between the guest and the monitor\n"
           ".TP\n.B Ctrl+A h\nlist these keys\n"
           ".TP\n.B Ctrl+A Ctrl+A\nsend Ctrl+A to the guest\n"
           ".SH MONITOR\n"
           "The monitor answers on the serial console (Ctrl+A c), on \\fB\\-\\-monitor\\fR and "
           "through gdb's \\fBmonitor\\fR command; \\fBhelp\\fR lists its commands (statistics, "
           "registers, \\fBchange\\fR and \\fBeject\\fR for floppies and CDs, "
           "\\fBscreendump\\fR, \\fBstop\\fR, \\fBcont\\fR, \\fBsystem_reset\\fR, "
           "\\fBquit\\fR).\n"
           ".SH \"EXIT STATUS\"\n"
           "0 when the user quits or the guest resets with \\fB\\-\\-no\\-reboot\\fR; 1 for a bad "
           "option or nothing to boot; 124 at \\fB\\-\\-timeout\\fR; (V<<1)|1 when the guest "
           "writes V to isa\\-debug\\-exit.\n"
           ".SH \"SEE ALSO\"\n\\fBgdb\\fR(1), \\fBqemu\\-system\\-i386\\fR(1)\n");
    fputs(m->str, out);
    g_string_free(m, TRUE);
    g_free(entries);
}
