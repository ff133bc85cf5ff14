/*
 * fw_cfg (see fw_cfg.h). Items are byte strings; multi-byte numbers in
 * fixed items are little-endian, the file directory and the DMA interface
 * are big-endian, as the interface defines them.
 */
#include "devices/fw_cfg.h"

#include <glib.h>
#include <string.h>

#include "machine/machine.h"

#define NKEYS (FW_CFG_FILE_FIRST + FW_CFG_MAX_FILES)

/* DMA control bits. */
#define DMA_ERROR  0x01u
#define DMA_READ   0x02u
#define DMA_SKIP   0x04u
#define DMA_SELECT 0x08u
#define DMA_WRITE  0x10u

#define FILE_NAME_MAX 56

struct fw_item {
    uint8_t *data;
    uint32_t len;
};

struct fw_cfg {
    struct machine *m;
    struct fw_item item[NKEYS];
    char names[FW_CFG_MAX_FILES][FILE_NAME_MAX];
    unsigned nfiles;
    uint16_t selector; /* the current item */
    uint32_t offset;   /* the next byte of it the data port returns */
    uint32_t dma_high; /* the high half of the DMA address, as written */
};

static const struct fw_item *current(const struct fw_cfg *fw)
{
    return fw->selector < NKEYS ? &fw->item[fw->selector] : NULL;
}

static void select_item(struct fw_cfg *fw, uint16_t key)
{
    fw->selector = key;
    fw->offset = 0;
}

static uint8_t next_byte(struct fw_cfg *fw)
{
    const struct fw_item *it = current(fw);
    if (!it || fw->offset >= it->len)
        return 0;
    return it->data[fw->offset++];
}

static void set_item(struct fw_cfg *fw, uint16_t key, const void *data, size_t len)
{
    g_assert(key < NKEYS && len <= UINT32_MAX);
    g_free(fw->item[key].data);
    fw->item[key].data = g_memdup2(data, len);
    fw->item[key].len = (uint32_t)len;
}

/* The directory item: a big-endian count, then {size, select, reserved, name[56]} each. */
static void rebuild_dir(struct fw_cfg *fw)
{
    size_t len = 4 + (size_t)fw->nfiles * 64;
    uint8_t *d = g_malloc0(len);
    uint32_t n = GUINT32_TO_BE(fw->nfiles);
    memcpy(d, &n, 4);
    for (unsigned i = 0; i < fw->nfiles; i++) {
        uint8_t *e = d + 4 + 64 * i;
        uint32_t size = GUINT32_TO_BE(fw->item[FW_CFG_FILE_FIRST + i].len);
        uint16_t sel = GUINT16_TO_BE((uint16_t)(FW_CFG_FILE_FIRST + i));
        memcpy(e, &size, 4);
        memcpy(e + 4, &sel, 2);
        memcpy(e + 8, fw->names[i], FILE_NAME_MAX);
    }
    set_item(fw, FW_CFG_FILE_DIR, d, len);
    g_free(d);
}

/* Run one DMA request whose descriptor is at guest-physical `addr`. */
static void dma_transfer(struct fw_cfg *fw, uint64_t addr)
{
    struct memmap *mem = &fw->m->mem;
    uint8_t desc[16];
    memmap_read_buf(mem, addr, desc, sizeof(desc));
    uint32_t control, length;
    uint64_t where;
    memcpy(&control, desc, 4);
    memcpy(&length, desc + 4, 4);
    memcpy(&where, desc + 8, 8);
    control = GUINT32_FROM_BE(control);
    length = GUINT32_FROM_BE(length);
    where = GUINT64_FROM_BE(where);

    if (control & DMA_SELECT)
        select_item(fw, (uint16_t)(control >> 16));
    uint32_t result = 0;
    if (control & DMA_WRITE) {
        result = DMA_ERROR; /* every item is read-only */
    } else if (control & (DMA_READ | DMA_SKIP)) {
        /* The item's bytes, then zeros past its end, as the interface says. */
        const struct fw_item *it = current(fw);
        uint32_t left = it && fw->offset < it->len ? it->len - fw->offset : 0;
        uint32_t data = MIN(length, left);
        if (control & DMA_READ) {
            memmap_write_buf(mem, where, it ? it->data + fw->offset : NULL, data);
            memmap_fill_zero(mem, where + data, length - data);
        }
        fw->offset += data;
    }
    uint32_t done = GUINT32_TO_BE(result);
    memmap_write_buf(mem, addr, &done, 4);
}

static uint32_t fw_read(void *opaque, uint16_t port, unsigned size)
{
    struct fw_cfg *fw = opaque;
    switch (port) {
    case FW_CFG_PORT_DATA - FW_CFG_PORT_SEL: {
        uint32_t v = 0;
        for (unsigned i = 0; i < size; i++)
            v |= (uint32_t)next_byte(fw) << (8 * i);
        return v;
    }
    case FW_CFG_PORT_DMA - FW_CFG_PORT_SEL: /* "QEMU CFG", big-endian */
        return size == 4 ? GUINT32_TO_BE(0x51454d55u) : 0xffffffffu;
    case FW_CFG_PORT_DMA - FW_CFG_PORT_SEL + 4:
        return size == 4 ? GUINT32_TO_BE(0x20434647u) : 0xffffffffu;
    default:
        return 0xffffffffu;
    }
}

static void fw_write(void *opaque, uint16_t port, uint32_t v, unsigned size)
{
    struct fw_cfg *fw = opaque;
    switch (port) {
    case 0: /* selector */
        if (size >= 2)
            select_item(fw, (uint16_t)v);
        break;
    case FW_CFG_PORT_DMA - FW_CFG_PORT_SEL:
        if (size == 4)
            fw->dma_high = GUINT32_FROM_BE(v);
        break;
    case FW_CFG_PORT_DMA - FW_CFG_PORT_SEL + 4:
        if (size == 4) {
            uint64_t addr = (uint64_t)fw->dma_high << 32 | GUINT32_FROM_BE(v);
            fw->dma_high = 0;
            dma_transfer(fw, addr);
        }
        break;
    default: /* data writes are ignored */
        break;
    }
}

static const struct io_ops fw_ops = {fw_read, fw_write, IO_SIZE_2 | IO_SIZE_4};

struct fw_cfg *fw_cfg_create(struct machine *m)
{
    struct fw_cfg *fw = g_new0(struct fw_cfg, 1);
    fw->m = m;
    set_item(fw, FW_CFG_SIGNATURE, "QEMU", 4);
    fw_cfg_add_u32(fw, FW_CFG_ID, 0x3); /* traditional interface and DMA */
    rebuild_dir(fw);
    if (iobus_register(&m->io, "fw_cfg", FW_CFG_PORT_SEL, 12, &fw_ops, fw) < 0)
        g_error("fw_cfg ports are taken");
    return fw;
}

void fw_cfg_destroy(struct fw_cfg *fw)
{
    if (!fw)
        return;
    iobus_unregister(&fw->m->io, FW_CFG_PORT_SEL);
    for (unsigned k = 0; k < NKEYS; k++)
        g_free(fw->item[k].data);
    g_free(fw);
}

void fw_cfg_add_bytes(struct fw_cfg *fw, uint16_t key, const void *data, size_t len)
{
    g_assert(key < FW_CFG_FILE_FIRST);
    set_item(fw, key, data, len);
}

void fw_cfg_add_u16(struct fw_cfg *fw, uint16_t key, uint16_t v)
{
    uint16_t le = GUINT16_TO_LE(v);
    fw_cfg_add_bytes(fw, key, &le, 2);
}

void fw_cfg_add_u32(struct fw_cfg *fw, uint16_t key, uint32_t v)
{
    uint32_t le = GUINT32_TO_LE(v);
    fw_cfg_add_bytes(fw, key, &le, 4);
}

void fw_cfg_add_u64(struct fw_cfg *fw, uint16_t key, uint64_t v)
{
    uint64_t le = GUINT64_TO_LE(v);
    fw_cfg_add_bytes(fw, key, &le, 8);
}

int fw_cfg_add_file(struct fw_cfg *fw, const char *name, const void *data, size_t len)
{
    if (fw->nfiles >= FW_CFG_MAX_FILES || strlen(name) >= FILE_NAME_MAX)
        return -1;
    unsigned i = fw->nfiles++;
    memset(fw->names[i], 0, FILE_NAME_MAX);
    memcpy(fw->names[i], name, strlen(name));
    set_item(fw, (uint16_t)(FW_CFG_FILE_FIRST + i), data, len);
    rebuild_dir(fw);
    return FW_CFG_FILE_FIRST + (int)i;
}
