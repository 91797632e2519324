/* SPDX-License-Identifier: Apache-2.0 */
/* The measure walk (cvm/measure.h): event order, digests, sorting, missing and failed items, determinism. */
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "unit.h"

static char root[256], proc[300];

static void put(const char *rel, const char *content) {
        char path[512];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", root, rel);
        f = fopen(path, "w");
        assert_non_null(f);
        assert_int_equal(fputs(content, f) >= 0, 1);
        assert_int_equal(fclose(f), 0);
}

static void dir(const char *rel) {
        char path[512];

        snprintf(path, sizeof(path), "%s/%s", root, rel);
        assert_int_equal(mkdir(path, 0755), 0);
}

/* root/{etc/app.conf, opt/app/{b.txt, a.txt, sub/c, link -> a.txt}, proc/cmdline} */
static int make_tree(void **state) {
        char path[512];
        (void) state;

        snprintf(root, sizeof(root), "/tmp/cvm-test-measure-XXXXXX");
        if (!mkdtemp(root))
                return -1;
        snprintf(proc, sizeof(proc), "%s/proc", root);
        dir("etc");
        dir("opt");
        dir("opt/app");
        dir("opt/app/sub");
        dir("proc");
        put("etc/app.conf", "hello\n");
        put("opt/app/b.txt", "b");
        put("opt/app/a.txt", "a");
        put("opt/app/sub/c", "c");
        put("proc/cmdline", "console=ttyS0 quiet\n");
        snprintf(path, sizeof(path), "%s/opt/app/link", root);
        return symlink("a.txt", path);
}

static int remove_tree(void **state) {
        char cmd[300];
        (void) state;

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        return system(cmd);
}

#define POLICY                                          \
        "version: 1\n"                                  \
        "groups:\n"                                     \
        "  - name: boot\n"                              \
        "    class: os\n"                               \
        "    items:\n"                                  \
        "      - cmdline: true\n"                       \
        "      - file: /etc/app.conf\n"                 \
        "      - file: /etc/none\n"                     \
        "  - name: apps\n"                              \
        "    class: cloud-native\n"                     \
        "    on_error: continue\n"                      \
        "    items:\n"                                  \
        "      - tree: /opt/app\n"                      \
        "      - string: release-7\n"

/* The walk resolves paths with openat2(2); valgrind does not know that call (ENOSYS), so there the walk is skipped. */
static void need_openat2(void) {
        struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
        long fd = syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof(how));

        if (fd < 0 && errno == ENOSYS)
                skip();
        if (fd >= 0)
                close((int) fd);
}

static const uint16_t banks[] = { CVM_ALG_SHA256, CVM_ALG_SHA384 };

static int measure(const char *policy, unsigned threads, struct cvm_measurement **m, cvm_error *err) {
        struct cvm_measure_options o = { .root = root, .proc = proc, .space = CVM_SPACE_CCMR, .banks = banks,
                                         .nbanks = 2, .threads = threads };
        struct cvm_policy *p = NULL;
        int r;

        assert_int_equal(cvm_policy_parse((const uint8_t *) policy, strlen(policy), "p.yaml", &p, err), 0);
        r = cvm_measure_compute(p, &o, m, err);
        cvm_policy_free(p);
        return r;
}

/* The position of the event whose item is item, or fails the test. */
static size_t find(const struct cvm_measurement *m, const char *item) {
        for (size_t i = 0; i < m->nevents; i++)
                if (strcmp(m->events[i].item, item) == 0)
                        return i;
        fail_msg("no event for %s", item);
        return SIZE_MAX;
}

/* The event's SHA-256 digest is that of data. */
static void digest_of(const struct cvm_measure_event *ev, const char *data) {
        uint8_t want[32];

        assert_int_equal(ev->ndigests, 2);
        assert_int_equal(ev->digests[0].alg, CVM_ALG_SHA256);
        assert_int_equal(cvm_digest(CVM_ALG_SHA256, (const uint8_t *) data, strlen(data), want, NULL), 0);
        assert_memory_equal(ev->digests[0].bytes, want, 32);
}

static void test_order_and_digests(void **state) {
        struct cvm_measurement *m = NULL;
        cvm_error err = { 0 };
        size_t conf, none, a, b, c, link, str;
        (void) state;

        need_openat2();

        assert_int_equal(measure(POLICY, 2, &m, &err), 0);
        /* The policy first, on the first os group's register (RTMR2 = CC MR 3). */
        assert_string_equal(m->events[0].kind, "policy");
        assert_int_equal(m->events[0].index, cvm_rtmr_to_ccmr(2));
        digest_of(&m->events[0], POLICY);
        assert_string_equal(m->events[1].kind, "cmdline");
        digest_of(&m->events[1], "console=ttyS0 quiet\n");
        conf = find(m, "/etc/app.conf");
        none = find(m, "/etc/none");
        a = find(m, "/opt/app/a.txt");
        b = find(m, "/opt/app/b.txt");
        link = find(m, "/opt/app/link");
        c = find(m, "/opt/app/sub/c");
        str = find(m, "release-7");
        /* Items as written; a tree's entries sorted byte-wise by path. */
        assert_true(conf == 2 && conf < none && none < a && a < b && b < link && link < c && c < str);
        assert_string_equal(m->events[conf].kind, "file");
        digest_of(&m->events[conf], "hello\n");
        assert_string_equal(m->events[none].kind, "missing");
        assert_string_equal(m->events[link].kind, "symlink");
        digest_of(&m->events[link], "a.txt");
        assert_non_null(strstr(m->events[link].data, "\"target\":\"a.txt\""));
        assert_string_equal(m->events[str].kind, "string");
        digest_of(&m->events[str], "release-7");
        assert_int_equal(m->events[a].index, cvm_rtmr_to_ccmr(3));
        /* (the events' group pointers point into the policy, freed by measure(): the data names the group) */
        assert_non_null(strstr(m->events[a].data, "\"group\":\"apps\""));
        assert_non_null(strstr(m->events[conf].data, "\"group\":\"boot\""));
        /* One separator per register used, in order of first use, last. */
        assert_int_equal(m->nevents, str + 3);
        assert_string_equal(m->events[str + 1].kind, "separator");
        assert_int_equal(m->events[str + 1].index, cvm_rtmr_to_ccmr(2));
        assert_int_equal(m->events[str + 1].type, CVM_EV_SEPARATOR);
        assert_int_equal(m->events[str + 2].index, cvm_rtmr_to_ccmr(3));
        assert_int_equal(m->files, 4);
        assert_int_equal(m->bytes, 6 + 3);
        assert_int_equal(m->nerrors, 0);
        cvm_measurement_free(m);
}

static void test_same_events_with_any_thread_count(void **state) {
        struct cvm_measurement *one = NULL, *many = NULL;
        (void) state;

        need_openat2();

        assert_int_equal(measure(POLICY, 1, &one, NULL), 0);
        assert_int_equal(measure(POLICY, 8, &many, NULL), 0);
        assert_int_equal(one->nevents, many->nevents);
        for (size_t i = 0; i < one->nevents; i++) {
                assert_string_equal(one->events[i].data, many->events[i].data);
                for (size_t k = 0; k < 2; k++)
                        assert_memory_equal(one->events[i].digests[k].bytes, many->events[i].digests[k].bytes,
                                            one->events[i].digests[k].size);
        }
        cvm_measurement_free(one);
        cvm_measurement_free(many);
}

#define MISSING_IS_ERROR(on_error)                      \
        "version: 1\n"                                  \
        "groups:\n"                                     \
        "  - name: strict\n"                            \
        "    class: os\n"                               \
        "    on_error: " on_error "\n"                  \
        "    on_missing: error\n"                       \
        "    items:\n"                                  \
        "      - file: /etc/app.conf\n"                 \
        "      - file: /etc/none\n"

static void test_failed_items(void **state) {
        struct cvm_measurement *m = NULL;
        cvm_error err = { 0 };
        size_t e;
        (void) state;

        need_openat2();

        /* halt: the whole measurement stops, naming the group and the item. */
        assert_int_equal(measure(MISSING_IS_ERROR("halt"), 0, &m, &err), -ECANCELED);
        assert_null(m);
        assert_non_null(strstr(err.msg, "group 'strict' (on_error: halt): /etc/none: missing"));
        /* continue: an error event, noted, and the rest goes on. */
        assert_int_equal(measure(MISSING_IS_ERROR("continue"), 0, &m, &err), 0);
        e = find(m, "/etc/none");
        assert_string_equal(m->events[e].kind, "error");
        assert_non_null(strstr(m->events[e].data, "\"reason\":\"missing\""));
        assert_int_equal(m->nerrors, 1);
        assert_non_null(strstr(m->errors[0], "/etc/none"));
        cvm_measurement_free(m);
}

/* Three groups: boot and extra share PCR 23 but not an RTMR, so the spaces differ in their separators too. */
#define SPACES_POLICY                                   \
        POLICY                                          \
        "  - name: extra\n"                             \
        "    class: os\n"                               \
        "    rtmr: 1\n"                                 \
        "    on_error: continue\n"                      \
        "    on_missing: error\n"                       \
        "    items:\n"                                  \
        "      - file: /etc/none\n"                     \
        "      - string: extra\n"

static void compute_in(const struct cvm_policy *p, enum cvm_reg_space space, const uint16_t *b, size_t nb,
                       struct cvm_measurement **m) {
        struct cvm_measure_options o = { .root = root, .proc = proc, .space = space, .banks = b, .nbanks = nb };
        cvm_error err = { 0 };

        if (cvm_measure_compute(p, &o, m, &err) < 0)
                fail_msg("%s", err.msg);
}

static void assert_same_measurement(const struct cvm_measurement *a, const struct cvm_measurement *b) {
        assert_int_equal(a->nevents, b->nevents);
        for (size_t i = 0; i < a->nevents; i++) {
                const struct cvm_measure_event *x = &a->events[i], *y = &b->events[i];
                assert_int_equal(x->index, y->index);
                assert_int_equal(x->type, y->type);
                assert_string_equal(x->data, y->data);
                assert_string_equal(x->item, y->item);
                assert_string_equal(x->kind, y->kind);
                assert_ptr_equal(x->group, y->group);
                assert_int_equal(x->ndigests, y->ndigests);
                for (size_t k = 0; k < x->ndigests; k++) {
                        assert_int_equal(x->digests[k].alg, y->digests[k].alg);
                        assert_int_equal(x->digests[k].size, y->digests[k].size);
                        assert_memory_equal(x->digests[k].bytes, y->digests[k].bytes, x->digests[k].size);
                        assert_ptr_equal(x->digests[k].bytes, x->bytes[k]);
                }
        }
        assert_int_equal(a->nerrors, b->nerrors);
        for (size_t i = 0; i < a->nerrors; i++)
                assert_string_equal(a->errors[i], b->errors[i]);
        assert_int_equal(a->files, b->files);
        assert_int_equal(a->bytes, b->bytes);
}

/* One walk serves both spaces: the measurement moved to the other space equals a second walk there. */
static void test_in_space(void **state) {
        static const uint16_t both[] = { CVM_ALG_SHA256, CVM_ALG_SHA384 }, s384[] = { CVM_ALG_SHA384 },
                              s256[] = { CVM_ALG_SHA256 };
        struct cvm_measurement *pcr = NULL, *ccmr = NULL, *moved = NULL, *want = NULL;
        struct cvm_policy *p = NULL;
        cvm_error err = { 0 };
        (void) state;

        need_openat2();

        assert_int_equal(cvm_policy_parse((const uint8_t *) SPACES_POLICY, strlen(SPACES_POLICY), "p.yaml", &p, NULL), 0);
        compute_in(p, CVM_SPACE_PCR, both, 2, &pcr);
        compute_in(p, CVM_SPACE_CCMR, s384, 1, &want);
        assert_int_equal(cvm_measurement_in_space(pcr, p, CVM_SPACE_CCMR, s384, 1, &moved, &err), 0);
        assert_same_measurement(moved, want);
        assert_int_equal(moved->nerrors, 1);
        cvm_measurement_free(moved);
        cvm_measurement_free(want);
        /* And back, to SHA-256 alone: PCR 23 is shared, so one separator fewer. */
        compute_in(p, CVM_SPACE_CCMR, both, 2, &ccmr);
        compute_in(p, CVM_SPACE_PCR, s256, 1, &want);
        assert_int_equal(cvm_measurement_in_space(ccmr, p, CVM_SPACE_PCR, s256, 1, &moved, &err), 0);
        assert_same_measurement(moved, want);
        assert_int_equal(moved->events[moved->nevents - 1].type, CVM_EV_SEPARATOR);
        assert_int_equal(ccmr->nevents, moved->nevents + 1);
        cvm_measurement_free(moved);
        cvm_measurement_free(want);
        /* No bank, or one the walk did not hash (it cannot be made up), is refused. */
        assert_int_equal(cvm_measurement_in_space(ccmr, p, CVM_SPACE_PCR, s256, 0, &moved, &err), -EINVAL);
        cvm_measurement_free(pcr);
        compute_in(p, CVM_SPACE_PCR, s384, 1, &pcr);
        assert_int_equal(cvm_measurement_in_space(pcr, p, CVM_SPACE_CCMR, s256, 1, &moved, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "bank sha256 is not among the measurement's"));
        cvm_measurement_free(pcr);
        cvm_measurement_free(ccmr);
        cvm_policy_free(p);
}

static void test_bad_options(void **state) {
        struct cvm_measure_options o = { .root = root, .space = CVM_SPACE_CCMR, .banks = banks, .nbanks = 0 };
        struct cvm_measurement *m = NULL;
        struct cvm_policy *p = NULL;
        cvm_error err = { 0 };
        (void) state;

        assert_int_equal(cvm_policy_parse((const uint8_t *) POLICY, strlen(POLICY), "p.yaml", &p, NULL), 0);
        assert_int_equal(cvm_measure_compute(p, &o, &m, &err), -EINVAL);
        o.nbanks = 1;
        o.root = "/nonexistent/cvm-root";
        assert_true(cvm_measure_compute(p, &o, &m, &err) < 0);
        assert_non_null(strstr(err.msg, "cannot open the root"));
        assert_null(m);
        cvm_policy_free(p);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_order_and_digests),
                cmocka_unit_test(test_same_events_with_any_thread_count),
                cmocka_unit_test(test_failed_items),
                cmocka_unit_test(test_in_space),
                cmocka_unit_test(test_bad_options),
        };
        return cmocka_run_group_tests(tests, make_tree, remove_tree);
}
