/*
 * --stats: execution, translation-cache and shadow-MMU counters printed
 * when popek exits, as text or (for a FILE ending in .json) as JSON.
 */
#ifndef POPEK_FRONTEND_STATS_H
#define POPEK_FRONTEND_STATS_H

#include <stdio.h>

struct pc;

/* Write the statistics of `pc` to `out`, as JSON when `json`. */
void stats_write(FILE *out, struct pc *pc, double seconds, int json);

/* Write them to `path` (NULL: standard error). Returns 0, or -1 with *err. */
int stats_save(const char *path, struct pc *pc, double seconds, char **err);

#endif
