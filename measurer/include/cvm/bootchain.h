/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* libcvm exports what its public headers declare, and nothing else (libcvm.sym). */
#pragma GCC visibility push(default)

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cvm/error.h"
#include "cvm/eventlog.h"

/*
 * Predicting the image-dependent boot chain (PCR4, 5, 8, 9) without a boot.
 *
 * The prediction is a synthetic TCG2 event log (cvm/eventlog.h) in the PCR
 * space with the banks of cvm_bootchain_new(): replay, event-by-event
 * comparison with a real log and the UEFI CC (RTMR) mapping all read it like
 * any other log.  Event data is what the firmware or GRUB records; digests
 * are computed from the image's bytes.
 */

/* PC Client event types the boot chain uses beyond those of cvm/eventlog.h. */
#define CVM_EV_EFI_BOOT_SERVICES_APPLICATION UINT32_C(0x80000003)
#define CVM_EV_EFI_GPT_EVENT                 UINT32_C(0x80000006)

/* The firmware's EV_EFI_ACTION strings around the boot application (EDK2/OVMF). */
#define CVM_BOOT_ACTION_CALLING_EFI_APP  "Calling EFI Application from Boot Option"
#define CVM_BOOT_ACTION_EXIT_BS          "Exit Boot Services Invocation"
#define CVM_BOOT_ACTION_EXIT_BS_SUCCESS  "Exit Boot Services Returned with Success"

/* The banks of a prediction: sha1, sha256, sha384 (what OVMF and the TDX mapping extend). */
size_t cvm_bootchain_algs(const struct cvm_log_alg **ret);

/* A new, empty prediction: a TCG2 log in the PCR space with cvm_bootchain_algs' banks. */
int cvm_bootchain_new(cvm_eventlog **ret, cvm_error *err);

/* Append an event whose digest in every bank is H(hashed[0..hashed_len)) and whose data is data[0..data_len). */
int cvm_bootchain_append_hashed(cvm_eventlog *log, uint32_t index, uint32_t type,
                                const void *hashed, size_t hashed_len,
                                const void *data, size_t data_len, cvm_error *err);

/* Append an event whose digest is H(data) (EV_EFI_ACTION, EV_SEPARATOR, the GPT event). */
int cvm_bootchain_append_data(cvm_eventlog *log, uint32_t index, uint32_t type,
                              const void *data, size_t data_len, cvm_error *err);

/* Append EV_SEPARATOR (data 00000000) to PCR `index`, as the firmware does before booting. */
int cvm_bootchain_append_separator(cvm_eventlog *log, uint32_t index, cvm_error *err);

/*
 * Append an EV_EFI_BOOT_SERVICES_APPLICATION for the PE/COFF image pe[0..pe_len)
 * to PCR4: digests are its Authenticode digests; data is the
 * UEFI_IMAGE_LOAD_EVENT with image_length pe_len, location 0 (the firmware's
 * load address is not predictable; the digest does not cover it) and the
 * device path dp[0..dp_len) (may be empty).
 */
int cvm_bootchain_append_pe(cvm_eventlog *log, const uint8_t *pe, size_t pe_len,
                            const uint8_t *dp, size_t dp_len, cvm_error *err);

/*
 * The Authenticode digest (PE/COFF specification, "Calculating the PE Image
 * Hash"; EDK2's Tcg2MeasurePeImage) of pe[0..len) in bank alg; out holds
 * cvm_alg_size(alg) bytes.  -EBADMSG names the offset of a bad field.
 */
int cvm_pe_authenticode(const uint8_t *pe, size_t len, uint16_t alg, uint8_t *out, cvm_error *err);

/*
 * The UEFI_GPT_DATA event data the firmware measures into PCR5, built from
 * the disk's first bytes disk[0..len) (LBA 0 onwards, sector size 512; they
 * must cover the primary header at LBA 1 and its entry array): the 92-byte
 * header, then the number of used entries (UINT64), then the used entries
 * (type GUID not zero) in table order.  *ret is malloc'ed.
 */
int cvm_gpt_event(const uint8_t *disk, size_t len, uint8_t **ret, size_t *ret_len, cvm_error *err);

/* Bytes of the disk's start cvm_gpt_event needs at most for a standard layout (LBA 0-33). */
#define CVM_GPT_EVENT_DISK_BYTES (34u * 512u)

/*
 * The firmware's fixed events of a boot application launch, in OVMF's order:
 * PCR4 "Calling EFI Application from Boot Option", separators in PCR4 and 5,
 * then the GPT event gpt[0..gpt_len) in PCR5 (skipped when gpt_len is 0).
 */
int cvm_bootchain_firmware_start(cvm_eventlog *log, const uint8_t *gpt, size_t gpt_len, cvm_error *err);

/* The firmware's ExitBootServices actions in PCR5, the last events of the boot chain. */
int cvm_bootchain_firmware_exit(cvm_eventlog *log, cvm_error *err);

/* How a register of a real log compares with a prediction. */
struct cvm_bootchain_diff {
        uint32_t index;         /* the register */
        bool match;             /* every extended event equal (type, digests of the common banks), same count */
        size_t predicted;       /* extended events the prediction has for index */
        size_t actual;          /* extended events the real log has for index */
        size_t first;           /* when !match: position (from 0, among index's events) of the first difference */
        const struct cvm_event *want;  /* the prediction's event there, NULL if it had fewer */
        const struct cvm_event *got;   /* the real log's event there, NULL if it had fewer */
};

/*
 * Compare the extended events of register `index` in `actual` against
 * `predicted`, in order; fills *ret (its event pointers live as long as the
 * logs).  Banks present in only one log are not compared.
 */
int cvm_bootchain_compare(const cvm_eventlog *predicted, const cvm_eventlog *actual, uint32_t index,
                          struct cvm_bootchain_diff *ret, cvm_error *err);

#pragma GCC visibility pop
