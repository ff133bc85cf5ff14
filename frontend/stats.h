/*
 * --stats: execution, translation-cache and shadow-MMU counters printed
 * when popek exits, as text or (for a FILE ending in .json) as JSON; the
 * same text in the window's statistics overlay.
 */
#ifndef POPEK_FRONTEND_STATS_H
#define POPEK_FRONTEND_STATS_H

#include <glib.h>
#include <stdio.h>

struct pc;

enum stats_style {
    STATS_TEXT,           /* what --stats prints: counters, the stack, the text screen */
    STATS_TEXT_NO_SCREEN, /* the same without the text screen (the window shows it) */
    STATS_JSON,           /* --stats=FILE.json */
};

/* Append the statistics of `pc`, `seconds` into the run, to `out`. */
void stats_format(GString *out, struct pc *pc, double seconds, enum stats_style style);

/* Write the statistics of `pc` to `out`, as JSON when `json`. */
void stats_write(FILE *out, struct pc *pc, double seconds, int json);

/* Write them to `path` (NULL: standard error). Returns 0, or -1 with *err. */
int stats_save(const char *path, struct pc *pc, double seconds, char **err);

#endif
