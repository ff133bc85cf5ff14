/* `popek --version`: popek's version and its libraries'. */
#ifndef POPEK_FRONTEND_VERSION_H
#define POPEK_FRONTEND_VERSION_H

#include <stdio.h>

void version_print(FILE *out);

#endif
