/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one rule for every host file a step reads (see host_source_open in
 * rewrite.h): a path beneath the plugin's files/, or a file the user gave a
 * host-files parameter.  openat2(RESOLVE_BENEATH) keeps a symlink from
 * leading out, whenever it appeared.
 */

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cvmbase/base.h"
#include "cvminitrd/initrd.h"
#include "step_kind.h"

/* Whether path is one of the files the user gave the plugin's host-files parameters (never a plugin's own literal). */
bool user_host_file(const struct plugin *pl, const char *path) {
        for (size_t i = 0; i < pl->nparams; i++) {
                const char *v = pl->params[i].value;
                size_t l = strlen(path);
                if (pl->params[i].type != PARAM_HOST_FILES || !v || l == 0)
                        continue;
                for (const char *m = strstr(v, path); m; m = strstr(m + 1, path))
                        if ((m == v || m[-1] == ' ') && (m[l] == ' ' || !m[l]))
                                return true;
        }
        return false;
}

static const char *type_name(mode_t want) {
        return want == S_IFREG ? "a regular file" : want == S_IFDIR ? "a directory" : "a regular file or a directory";
}

/*
 * Where openat2 is missing (kernels before 5.6, valgrind): the real path must
 * be below the real files/, and its last component is opened without
 * following a link.  A link swapped in between is not caught here.
 */
static int open_beneath_by_name(const char *files, const char *rel, int flags) {
        char top[PATH_MAX], joined[PATH_MAX * 2], real[PATH_MAX];
        size_t tl;

        snprintf(joined, sizeof(joined), "%s/%s", files, rel);
        if (!realpath(files, top) || !realpath(joined, real))
                return -1;
        tl = strlen(top);
        if (strncmp(real, top, tl) != 0 || real[tl] != '/') {
                errno = EXDEV;
                return -1;
        }
        return open(real, flags | O_NOFOLLOW);
}

int host_source_open(const struct step *s, const char *src, mode_t want, int *ret, cvm_error *err) {
        struct open_how how = { .flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY,
                                .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };
        char files[PATH_MAX], norm[PATH_MAX];
        struct stat st;
        int dir, fd, e;

        assert(s->plugin && src && ret);
        if (user_host_file(s->plugin, src)) {
                /* Resolved to a real path when the recipe was loaded: no link to follow now. */
                fd = open(src, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW);
        } else {
                if (!*src || src[0] == '/' || cvm_initrd_path_normalise(src, norm, sizeof(norm)) < 0 || strcmp(norm, ".") == 0)
                        return cvm_error_set(err, EPERM, "%s: step %s: host source '%s' must be a path relative to the plugin's files/, without '..' (or a file given to a host-files parameter)",
                                             s->where, s->kind, src);
                if ((size_t) snprintf(files, sizeof(files), "%s/files", s->plugin->dir) >= sizeof(files))
                        return cvm_error_set(err, ENAMETOOLONG, "%s: step %s: %s/files: path too long", s->where, s->kind, s->plugin->dir);
                if ((dir = open(files, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
                        return cvm_error_set(err, errno, "%s: step %s: host source '%s': %s: %s", s->where, s->kind, src, files,
                                             strerror(errno));
                /* Beneath files/: a ".." or a symlink that leads out fails with EXDEV, whenever it appeared. */
                fd = (int) syscall(SYS_openat2, dir, norm, &how, sizeof(how));
                e = errno;
                close(dir);
                errno = e;
                if (fd < 0 && errno == ENOSYS)
                        fd = open_beneath_by_name(files, norm, how.flags);
        }
        if (fd < 0)
                return cvm_error_set(err, errno == EXDEV ? EPERM : errno, "%s: step %s: host source '%s': %s", s->where, s->kind, src,
                                     errno == EXDEV || errno == ELOOP ? "a symlink leads out of the plugin's files/"
                                                                      : strerror(errno));
        if (fstat(fd, &st) < 0 || !((want ? (st.st_mode & S_IFMT) == want : S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))) {
                close(fd);
                return cvm_error_set(err, EINVAL, "%s: step %s: host source '%s' is %s, expected %s", s->where, s->kind, src,
                                     S_ISREG(st.st_mode) ? "a regular file" : file_type_name(st.st_mode), type_name(want));
        }
        *ret = fd;
        return 0;
}

