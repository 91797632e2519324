/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GRUB's test expression (grub_test.h), evaluated left to right as GRUB's
 * commands/test.c does for the forms grub-mkconfig writes: -a binds tighter
 * than -o, ! negates the next primary.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "grub_test.h"

struct texpr {
        char *const *a;
        size_t n, i;
        grub_test_size_fn size;
        void *userdata;
};

static bool is(const char *s, const char *w) {
        return s && strcmp(s, w) == 0;
}

static int file_test(struct texpr *t, const char *op, const char *name) {
        long long sz = t->size(t->userdata, name);

        if (sz < -1)
                return -EINVAL;
        if (is(op, "-s"))
                return sz > 0;
        return sz >= 0;
}

static int int_test(const char *x, const char *op, const char *y) {
        char *ex, *ey;
        long long a = strtoll(x, &ex, 10), b = strtoll(y, &ey, 10);

        if (*x == '\0' || *ex || *y == '\0' || *ey)
                return -EINVAL;
        if (is(op, "-eq"))
                return a == b;
        if (is(op, "-ne"))
                return a != b;
        if (is(op, "-lt"))
                return a < b;
        if (is(op, "-le"))
                return a <= b;
        if (is(op, "-gt"))
                return a > b;
        return a >= b;
}

static bool binary_op(const char *s) {
        static const char *const ops[] = { "=", "==", "!=", "-eq", "-ne", "-lt", "-le", "-gt", "-ge", NULL };

        for (size_t i = 0; ops[i]; i++)
                if (is(s, ops[i]))
                        return true;
        return false;
}

static int primary(struct texpr *t) {
        const char *w = t->i < t->n ? t->a[t->i] : NULL, *op;

        if (!w)
                return -EINVAL;
        if (is(w, "!")) {
                t->i++;
                int r = primary(t);
                return r < 0 ? r : !r;
        }
        if (t->i + 2 < t->n && binary_op(t->a[t->i + 1])) {
                op = t->a[t->i + 1];
                t->i += 3;
                if (is(op, "=") || is(op, "=="))
                        return strcmp(w, t->a[t->i - 1]) == 0;
                if (is(op, "!="))
                        return strcmp(w, t->a[t->i - 1]) != 0;
                return int_test(w, op, t->a[t->i - 1]);
        }
        if ((is(w, "-z") || is(w, "-n") || is(w, "-e") || is(w, "-f") || is(w, "-s")) && t->i + 1 < t->n) {
                t->i += 2;
                if (is(w, "-z"))
                        return t->a[t->i - 1][0] == '\0';
                if (is(w, "-n"))
                        return t->a[t->i - 1][0] != '\0';
                return file_test(t, w, t->a[t->i - 1]);
        }
        if (w[0] == '-' && w[1] != '\0' && t->i + 1 < t->n)
                return -EINVAL;
        t->i++;
        return w[0] != '\0';
}

/* and-chain: primary (-a primary)* */
static int conjunction(struct texpr *t) {
        int r = primary(t);

        while (r >= 0 && t->i < t->n && is(t->a[t->i], "-a")) {
                t->i++;
                int s = primary(t);
                r = s < 0 ? s : (r && s);
        }
        return r;
}

int grub_test_eval(char *const *args, size_t n, grub_test_size_fn size, void *userdata) {
        struct texpr t = { args, n, 0, size, userdata };
        int r;

        if (n == 0)
                return 0;
        r = conjunction(&t);
        while (r >= 0 && t.i < t.n && is(t.a[t.i], "-o")) {
                t.i++;
                int s = conjunction(&t);
                r = s < 0 ? s : (r || s);
        }
        if (r >= 0 && t.i != t.n)
                return -EINVAL;
        return r;
}
