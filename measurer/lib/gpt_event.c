/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The UEFI_GPT_DATA event (EV_EFI_GPT_EVENT, PCR5) built from a disk's first
 * sectors, as EDK2's Tcg2MeasureGptTable builds it: the primary header
 * (sizeof(EFI_PARTITION_TABLE_HEADER) = 92 bytes), the number of entries
 * whose type GUID is not zero (UINT64), then those entries in table order.
 * The disk is hostile: every field is checked against the buffer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cvm/bootchain.h"
#include "internal.h"

#define SECTOR 512u
#define GPT_HEADER_SIZE 92u
#define GPT_MAX_ENTRIES 1024u   /* far above the 128 every partitioner writes; bounds the event */

static bool entry_used(const uint8_t *e) {
        static const uint8_t zero[16];
        return memcmp(e, zero, sizeof(zero)) != 0;
}

static int gpt_bad(cvm_error *err, size_t off, const char *what) {
        return cvm_error_set(err, EBADMSG, "GPT: offset %zu: %s", off, what);
}

/* Where the entry array is and how its entries are sized, checked against len. */
static int gpt_entries(const uint8_t *disk, size_t len, size_t *off, uint32_t *n, uint32_t *esize, cvm_error *err) {
        const uint8_t *h = disk + SECTOR;
        uint64_t lba;

        if (len < 2 * SECTOR || memcmp(h, "EFI PART", 8) != 0)
                return gpt_bad(err, SECTOR, "no \"EFI PART\" signature at LBA 1");
        if (le32(h + 12) < GPT_HEADER_SIZE || le32(h + 12) > SECTOR)
                return gpt_bad(err, SECTOR + 12, "HeaderSize is not between 92 and 512");
        lba = le64(h + 72);
        *n = le32(h + 80);
        *esize = le32(h + 84);
        if (*esize < 128 || *esize % 8 != 0 || *esize > 4096)
                return gpt_bad(err, SECTOR + 84, "SizeOfPartitionEntry is not a multiple of 8 from 128 to 4096");
        if (*n > GPT_MAX_ENTRIES)
                return gpt_bad(err, SECTOR + 80, "NumberOfPartitionEntries above 1024");
        if (lba < 2 || lba > len / SECTOR || (uint64_t) *n * *esize > len - lba * SECTOR)
                return gpt_bad(err, SECTOR + 72, "partition entry array outside the bytes given");
        *off = (size_t) lba * SECTOR;
        return 0;
}

int cvm_gpt_event(const uint8_t *disk, size_t len, uint8_t **ret, size_t *ret_len, cvm_error *err) {
        uint32_t n = 0, esize = 0;
        uint64_t used = 0;
        size_t off = 0, k;
        uint8_t *ev;
        int r;

        r = gpt_entries(disk, len, &off, &n, &esize, err);
        if (r < 0)
                return r;
        for (uint32_t i = 0; i < n; i++)
                used += entry_used(disk + off + (size_t) i * esize);
        ev = malloc(GPT_HEADER_SIZE + 8 + used * esize);
        if (!ev)
                return cvm_error_set(err, ENOMEM, "out of memory");
        memcpy(ev, disk + SECTOR, GPT_HEADER_SIZE);
        put_le32(ev + GPT_HEADER_SIZE, (uint32_t) used);
        put_le32(ev + GPT_HEADER_SIZE + 4, 0);
        k = GPT_HEADER_SIZE + 8;
        for (uint32_t i = 0; i < n; i++) {
                const uint8_t *e = disk + off + (size_t) i * esize;
                if (!entry_used(e))
                        continue;
                memcpy(ev + k, e, esize);
                k += esize;
        }
        *ret = ev;
        *ret_len = k;
        return 0;
}
