/* SPDX-License-Identifier: Apache-2.0 */
/* TCG 1.2 / legacy SHA-1 log: TCG_PCClientPCREvent records (index, type, SHA-1 digest, size, data). */
#include <errno.h>

#include "cvm/digest.h"
#include "internal.h"

#define RECORD_FIXED 32

int tcg12_parse(cvm_eventlog *log, cvm_error *err) {
        struct reader r = { log->raw, log->raw_len, 0 };

        log->algs[0].alg = CVM_ALG_SHA1;
        log->algs[0].size = 20;
        log->nalgs = 1;
        if (r.len == 0)
                return cvm_error_set(err, EBADMSG, "offset 0: empty log, expected a TCG_PCClientPCREvent");
        while (rd_left(&r) > 0) {
                size_t start = r.off;
                struct cvm_event_digest *d;
                struct cvm_event *ev;
                uint32_t index, type, size;

                if (!rd_has(&r, RECORD_FIXED)) {
                        log->truncated = true;
                        evlog_warn(log, "offset %zu: truncated record: %zu bytes left, expected at least %d",
                                 start, rd_left(&r), RECORD_FIXED);
                        break;
                }
                index = rd_u32(&r);
                type = rd_u32(&r);
                if (index == UINT32_MAX && type == UINT32_MAX)
                        break;
                d = evlog_alloc(log, sizeof(*d));
                if (!d)
                        return cvm_error_set(err, ENOMEM, "out of memory");
                d->alg = CVM_ALG_SHA1;
                d->size = 20;
                d->bytes = rd_bytes(&r, 20);
                size = rd_u32(&r);
                if (!rd_has(&r, size)) {
                        log->truncated = true;
                        evlog_warn(log, "offset %zu: event %zu declares %u bytes of event data, only %zu remain",
                                 r.off - 4, log->nevents, size, rd_left(&r));
                        break;
                }
                ev = evlog_add_event(log);
                if (!ev)
                        return cvm_error_set(err, ENOMEM, "out of memory");
                ev->offset = start;
                ev->index = index;
                ev->type = type;
                ev->digests = d;
                ev->ndigests = 1;
                ev->data = rd_bytes(&r, size);
                ev->data_len = size;
                if (index >= CVM_PCR_MAX)
                        evlog_warn(log, "event %zu (offset %zu): PCR index %u is out of range", log->nevents - 1, start, index);
        }
        return 0;
}
