/*
 * popek-man OUTPUT VERSION: write the manual page popek(1) from popek's
 * option table (options_doc.c). Run by the build; `meson install` installs
 * what it writes.
 */
#include <stdio.h>

#include "frontend/options.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: popek-man OUTPUT VERSION\n");
        return 2;
    }
    FILE *out = fopen(argv[1], "w");
    if (!out) {
        perror(argv[1]);
        return 1;
    }
    options_print_man(out, argv[2]);
    return fclose(out) == 0 ? 0 : 1;
}
