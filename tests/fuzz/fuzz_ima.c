/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: the ima event-log parser, everything that consumes its result, and the cgroup templates' accessors. */
#include <string.h>

#include "fuzz_eventlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Each event's cgroup field (ima-cgpath, ima-dep-cgn) must lie inside its data; its digest in a computed bank. */
static void cgroup_fields(const uint8_t *data, size_t size) {
        cvm_eventlog *log = NULL;
        uint8_t dg[CVM_DIGEST_MAX];

        if (cvm_eventlog_parse(data, size, CVM_LOG_IMA, &log, NULL) < 0)
                return;
        for (size_t i = 0; i < cvm_eventlog_count(log); i++) {
                const struct cvm_event *ev = cvm_eventlog_event(log, i);
                const char *cg;
                size_t len;
                if (cvm_ima_event_cgroup(ev, &cg, &len) == 0 &&
                    ((const uint8_t *) cg < ev->data || (const uint8_t *) cg + len > ev->data + ev->data_len || memchr(cg, 0, len)))
                        abort();
                cvm_ima_event_digest(ev, CVM_ALG_SHA256, dg, NULL);
        }
        cvm_eventlog_free(log);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        cgroup_fields(data, size);
        return fuzz_eventlog(data, size, CVM_LOG_IMA);
}
