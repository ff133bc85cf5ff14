/*
 * The `popek` command line: parsing with GOption and validation of every
 * value, so that a bad option is one clear line and exit status 1 before
 * any machine is built.
 */
#ifndef POPEK_FRONTEND_OPTIONS_H
#define POPEK_FRONTEND_OPTIONS_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum display_kind { DISPLAY_SDL, DISPLAY_NONE };

struct popek_options {
    uint32_t memory_mb;
    char *fda, *fdb;
    char *hd[4]; /* --hda .. --hdd */
    char *cdrom;
    char *image; /* the bare FILE argument, put into fda, hda or cdrom by its kind */
    char *boot;
    char *kernel, *initrd, *append;
    char *bios;
    enum display_kind display;
    char *serial;   /* stdio, none, file:PATH, tcp:HOST:PORT */
    char *debugcon; /* stdio, file:PATH, or NULL */
    bool debug_exit;
    bool no_reboot;
    char *perf_map; /* --perf-map: the file (NULL: none) */
    char *net;      /* --net spec, user[,...]; NULL: none */
    char *gdb;      /* tcp:HOST:PORT or NULL */
    bool wait_gdb;
    char *monitor; /* stdio, tcp:HOST:PORT, unix:PATH or NULL */
    bool stats;
    char *stats_file; /* NULL: stderr */
    bool snapshot;
    char *screenshot;
    double timeout;        /* seconds, 0 = none */
    unsigned tier;         /* --tier: 0 the interpreter tier only, 1 hot blocks become host code */
    unsigned tc_threshold; /* --tc-threshold: runs of a block before it becomes host code */
    uint32_t tc_size_mb;   /* --tc-size: the host code buffer in MiB */
    bool version;
    bool help;
};

enum options_result {
    OPTIONS_OK,    /* run the machine */
    OPTIONS_EXIT,  /* done (e.g. --version printed): exit 0 */
    OPTIONS_ERROR, /* *err holds one line: exit 1 */
};

/*
 * Parse argv into `o` (filled with defaults first) and validate it. On
 * OPTIONS_ERROR, *err is a newly allocated one-line message (no "popek:"
 * prefix, no newline). `display_available` says whether a window can be
 * opened, for the --display default.
 */
enum options_result options_parse(int argc, char **argv, struct popek_options *o,
                                  bool display_available, char **err);
void options_free(struct popek_options *o);

/* The option table (see options.c) and what popek is, for --help and the man page. */
GOptionEntry *options_entries(struct popek_options *o);
extern const char options_summary[];

/* --help, within 80 columns (options_doc.c). */
void options_print_help(FILE *out);

/* The manual page, popek(1), in man(7) markup (options_doc.c). */
void options_print_man(FILE *out, const char *version);

#endif
