/*
 * QEMU's firmware configuration interface (fw_cfg), which SeaBIOS reads to
 * learn the machine: RAM size and e820 map, boot order, option ROMs and
 * settings as named files. I/O ports: 0x510 selector (16-bit), 0x511 data
 * (8-bit, sequential reads of the selected item), 0x514/0x518 DMA address
 * (big-endian, the low half starts the transfer).
 */
#ifndef POPEK_DEVICES_FW_CFG_H
#define POPEK_DEVICES_FW_CFG_H

#include <stddef.h>
#include <stdint.h>

struct machine;

/* Fixed items (keys below FW_CFG_FILE_FIRST). */
#define FW_CFG_SIGNATURE  0x00
#define FW_CFG_ID         0x01
#define FW_CFG_RAM_SIZE   0x03
#define FW_CFG_NB_CPUS    0x05
#define FW_CFG_BOOT_MENU  0x0e
#define FW_CFG_MAX_CPUS   0x0f
#define FW_CFG_FILE_DIR   0x19
#define FW_CFG_FILE_FIRST 0x20
#define FW_CFG_MAX_FILES  64

#define FW_CFG_PORT_SEL  0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_PORT_DMA  0x514

struct fw_cfg;

struct fw_cfg *fw_cfg_create(struct machine *m);
void fw_cfg_destroy(struct fw_cfg *fw);

/* Set a fixed item (copied). */
void fw_cfg_add_bytes(struct fw_cfg *fw, uint16_t key, const void *data, size_t len);
void fw_cfg_add_u16(struct fw_cfg *fw, uint16_t key, uint16_t v);
void fw_cfg_add_u32(struct fw_cfg *fw, uint16_t key, uint32_t v);
void fw_cfg_add_u64(struct fw_cfg *fw, uint16_t key, uint64_t v);

/* Add a named file (copied); returns its key, or -1 when the directory is full. */
int fw_cfg_add_file(struct fw_cfg *fw, const char *name, const void *data, size_t len);

#endif
