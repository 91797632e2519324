/* SPDX-License-Identifier: Apache-2.0 */
/* Guest files' digests, kept per session by guest path. */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest_digest.h"
#include "guest_read.h"
#include "session.h"

const uint16_t GUEST_DIGEST_ALGS[GUEST_DIGEST_NALGS] = { CVM_ALG_SHA1, CVM_ALG_SHA256, CVM_ALG_SHA384 };

struct guest_digest {
        char *path;
        uint8_t md[GUEST_DIGEST_NALGS][CVM_DIGEST_MAX];
};

static const struct guest_digest *find(const struct session *ss, const char *path) {
        for (size_t i = 0; i < ss->ndigests; i++)
                if (strcmp(ss->digests[i].path, path) == 0)
                        return &ss->digests[i];
        return NULL;
}

/* Download path to the scratch folder (guest_read.h) and hash it; kept in ss (not kept on ENOMEM, which is not an error here). */
static int compute(struct session *ss, const char *path, uint8_t out[GUEST_DIGEST_NALGS][CVM_DIGEST_MAX], cvm_error *err) {
        struct guest_digest *v;
        char host[PATH_MAX];
        int r;

        if ((size_t) snprintf(host, sizeof(host), "%s/digest-file", ss->tmpdir) >= sizeof(host))
                return cvm_error_set(err, ENAMETOOLONG, "%s: path too long", ss->tmpdir);
        if (guest_download(ss->g, path, host) < 0) {
                unlink(host);
                return cvm_error_set(err, EIO, "%s: %s", path, guestfs_last_error(ss->g));
        }
        r = cvm_digest_file(host, GUEST_DIGEST_ALGS, GUEST_DIGEST_NALGS, out, err);
        unlink(host);
        if (r < 0)
                return r;
        if ((v = realloc(ss->digests, (ss->ndigests + 1) * sizeof(*v)))) {
                ss->digests = v;
                if ((v[ss->ndigests].path = strdup(path))) {
                        memcpy(v[ss->ndigests].md, out, sizeof(v[ss->ndigests].md));
                        ss->ndigests++;
                }
        }
        return 0;
}

int guest_file_digests(struct session *ss, const char *path, uint8_t out[GUEST_DIGEST_NALGS][CVM_DIGEST_MAX],
                       cvm_error *err) {
        const struct guest_digest *d = find(ss, path);

        if (!d)
                return compute(ss, path, out, err);
        memcpy(out, d->md, sizeof(d->md));
        return 0;
}

void guest_digests_clear(struct session *ss) {
        for (size_t i = 0; i < ss->ndigests; i++)
                free(ss->digests[i].path);
        free(ss->digests);
        ss->digests = NULL;
        ss->ndigests = 0;
}
