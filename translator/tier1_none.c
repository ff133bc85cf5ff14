/* Tier 1 on hosts without a backend: never available, every block stays in tier 0. */
#include "translator/tier1.h"

bool tier1_host_supported(void)
{
    return false;
}

struct tier1 *tier1_create(struct translator *t, size_t code_size)
{
    return NULL;
}

void tier1_destroy(struct tier1 *b)
{
}

bool tier1_translate(struct tier1 *b, struct tb *tb)
{
    return false;
}

struct t1_exit tier1_enter(struct tier1 *b, struct tb *tb)
{
    return (struct t1_exit){0};
}

void tier1_patch(struct tier1 *b, const struct t1_link *l, struct tb *to,
                 const uint32_t *generation)
{
}
