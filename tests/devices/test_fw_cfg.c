/*
 * fw_cfg as SeaBIOS uses it: the signature, the ID, fixed items, the file
 * directory (big-endian), reads past the end, and the DMA interface.
 */
#include <glib.h>
#include <string.h>

#include "devices/fw_cfg.h"
#include "machine/machine.h"

static void sel(struct machine *m, uint16_t key)
{
    iobus_write(&m->io, FW_CFG_PORT_SEL, key, 2);
}

static void read_data(struct machine *m, void *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        ((uint8_t *)buf)[i] = (uint8_t)iobus_read(&m->io, FW_CFG_PORT_DATA, 1);
}

static void test_signature_and_items(void)
{
    struct machine m;
    g_assert_cmpint(machine_init(&m, &(struct machine_config){.ram_mb = 4}), ==, 0);
    struct fw_cfg *fw = fw_cfg_create(&m);
    fw_cfg_add_u64(fw, FW_CFG_RAM_SIZE, 0x4000000);
    char sig[5] = {0};
    sel(&m, FW_CFG_SIGNATURE);
    read_data(&m, sig, 4);
    g_assert_cmpstr(sig, ==, "QEMU");
    uint32_t id;
    sel(&m, FW_CFG_ID);
    read_data(&m, &id, 4);
    g_assert_cmphex(id, ==, 3);
    uint64_t ram;
    sel(&m, FW_CFG_RAM_SIZE);
    read_data(&m, &ram, 8);
    g_assert_cmphex(ram, ==, 0x4000000);
    /* Past the end, and unknown items, read zeros. */
    g_assert_cmphex(iobus_read(&m.io, FW_CFG_PORT_DATA, 1), ==, 0);
    sel(&m, 0x1234);
    g_assert_cmphex(iobus_read(&m.io, FW_CFG_PORT_DATA, 1), ==, 0);
    /* Selecting again restarts at offset 0. */
    sel(&m, FW_CFG_SIGNATURE);
    g_assert_cmphex(iobus_read(&m.io, FW_CFG_PORT_DATA, 1), ==, 'Q');
    fw_cfg_destroy(fw);
    machine_destroy(&m);
}

static void test_file_directory(void)
{
    struct machine m;
    g_assert_cmpint(machine_init(&m, &(struct machine_config){.ram_mb = 4}), ==, 0);
    struct fw_cfg *fw = fw_cfg_create(&m);
    g_assert_cmpint(fw_cfg_add_file(fw, "etc/one", "abc", 3), ==, FW_CFG_FILE_FIRST);
    g_assert_cmpint(fw_cfg_add_file(fw, "bootorder", "/x\n", 3), ==, FW_CFG_FILE_FIRST + 1);
    char longname[80];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = 0;
    g_assert_cmpint(fw_cfg_add_file(fw, longname, "", 0), ==, -1);
    sel(&m, FW_CFG_FILE_DIR);
    uint32_t count;
    read_data(&m, &count, 4);
    g_assert_cmpuint(GUINT32_FROM_BE(count), ==, 2);
    uint8_t e[64];
    read_data(&m, e, 64);
    read_data(&m, e, 64); /* the second entry */
    uint32_t size;
    uint16_t key;
    memcpy(&size, e, 4);
    memcpy(&key, e + 4, 2);
    g_assert_cmpuint(GUINT32_FROM_BE(size), ==, 3);
    g_assert_cmphex(GUINT16_FROM_BE(key), ==, FW_CFG_FILE_FIRST + 1);
    g_assert_cmpstr((char *)e + 8, ==, "bootorder");
    char buf[4] = {0};
    sel(&m, FW_CFG_FILE_FIRST);
    read_data(&m, buf, 3);
    g_assert_cmpstr(buf, ==, "abc");
    fw_cfg_destroy(fw);
    machine_destroy(&m);
}

static void dma(struct machine *m, uint32_t desc_addr)
{
    iobus_write(&m->io, FW_CFG_PORT_DMA, GUINT32_TO_BE(0), 4);
    iobus_write(&m->io, FW_CFG_PORT_DMA + 4, GUINT32_TO_BE(desc_addr), 4);
}

static void put_desc(struct machine *m, uint32_t at, uint32_t control, uint32_t len, uint64_t addr)
{
    uint32_t c = GUINT32_TO_BE(control), l = GUINT32_TO_BE(len);
    uint64_t a = GUINT64_TO_BE(addr);
    memcpy(m->ram + at, &c, 4);
    memcpy(m->ram + at + 4, &l, 4);
    memcpy(m->ram + at + 8, &a, 8);
}

static void test_dma(void)
{
    struct machine m;
    g_assert_cmpint(machine_init(&m, &(struct machine_config){.ram_mb = 4}), ==, 0);
    struct fw_cfg *fw = fw_cfg_create(&m);
    uint8_t data[300];
    for (unsigned i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)i;
    int key = fw_cfg_add_file(fw, "etc/data", data, sizeof(data));
    /* The DMA port's signature. */
    g_assert_cmphex(iobus_read(&m.io, FW_CFG_PORT_DMA, 4), ==, GUINT32_TO_BE(0x51454d55u));
    /* select + read 10 bytes, then skip 5, then read 300 (runs past the end: zeros). */
    put_desc(&m, 0x1000, (uint32_t)key << 16 | 0x08 | 0x02, 10, 0x2000);
    dma(&m, 0x1000);
    g_assert_cmpmem(m.ram + 0x2000, 10, data, 10);
    uint32_t control;
    memcpy(&control, m.ram + 0x1000, 4);
    g_assert_cmphex(control, ==, 0);
    put_desc(&m, 0x1000, 0x04, 5, 0);
    dma(&m, 0x1000);
    memset(m.ram + 0x3000, 0xee, 400);
    put_desc(&m, 0x1000, 0x02, 300, 0x3000);
    dma(&m, 0x1000);
    g_assert_cmpmem(m.ram + 0x3000, 285, data + 15, 285);
    g_assert_cmphex(m.ram[0x3000 + 285], ==, 0);
    g_assert_cmphex(m.ram[0x3000 + 299], ==, 0);
    g_assert_cmphex(m.ram[0x3000 + 300], ==, 0xee);
    /* Writes are refused with the error bit. */
    put_desc(&m, 0x1000, 0x10, 4, 0x3000);
    dma(&m, 0x1000);
    memcpy(&control, m.ram + 0x1000, 4);
    g_assert_cmphex(GUINT32_FROM_BE(control), ==, 0x01);
    /* A descriptor or buffer outside RAM is harmless. */
    put_desc(&m, 0x1000, 0x02, 0x100000, 0xfffff000u);
    dma(&m, 0x1000);
    dma(&m, 0xfffffff8u);
    /* The longest transfer there is, from low RAM across every hole: the item, then zeros
       over the rest of RAM, done at once (not byte by byte through 4 GiB). */
    memset(m.ram + 0x5000, 0xee, 0x1000);
    put_desc(&m, 0x1000, (uint32_t)key << 16 | 0x08 | 0x02, 0xffffffffu, 0x5000);
    gint64 t0 = g_get_monotonic_time();
    dma(&m, 0x1000);
    g_test_message("a 4 GiB fw_cfg DMA took %.3f s", (g_get_monotonic_time() - t0) / 1e6);
    g_assert_cmpmem(m.ram + 0x5000, sizeof(data), data, sizeof(data));
    g_assert_cmphex(m.ram[0x5000 + sizeof(data)], ==, 0);
    g_assert_cmphex(m.ram[(4 << 20) - 1], ==, 0);
    fw_cfg_destroy(fw);
    machine_destroy(&m);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/fw_cfg/signature-and-items", test_signature_and_items);
    g_test_add_func("/fw_cfg/file-directory", test_file_directory);
    g_test_add_func("/fw_cfg/dma", test_dma);
    return g_test_run();
}
