/* SPDX-License-Identifier: Apache-2.0 */
/* Policy parsing (cvm/policy.h): the schema's fields and defaults, and errors that name file:line:column. */
#include "unit.h"

#define GOOD                                            \
        "version: 1\n"                                  \
        "require_device: true\n"                        \
        "groups:\n"                                     \
        "  - name: boot\n"                              \
        "    class: os\n"                               \
        "    on_error: halt\n"                          \
        "    items:\n"                                  \
        "      - cmdline: true\n"                       \
        "      - glob: /boot/vmlinuz-*\n"               \
        "  - name: apps\n"                              \
        "    class: cloud-native\n"                     \
        "    rtmr: 1\n"                                 \
        "    pcr: 14\n"                                 \
        "    on_error: continue\n"                      \
        "    on_missing: ignore\n"                      \
        "    items:\n"                                  \
        "      - file: /etc/app.conf\n"                 \
        "      - tree: /opt/app\n"                      \
        "      - string: release-7\n"

static int parse(const char *text, struct cvm_policy **p, cvm_error *err) {
        return cvm_policy_parse((const uint8_t *) text, strlen(text), "p.yaml", p, err);
}

static void test_fields_and_defaults(void **state) {
        struct cvm_policy *p = NULL;
        cvm_error err = { 0 };
        const struct cvm_policy_group *boot, *apps;
        (void) state;

        assert_int_equal(parse(GOOD, &p, &err), 0);
        assert_true(p->require_device);
        assert_int_equal(p->ngroups, 2);
        boot = &p->groups[0];
        apps = &p->groups[1];
        assert_string_equal(boot->name, "boot");
        assert_int_equal(boot->class, CVM_CLASS_OS);
        assert_int_equal(boot->on_error, CVM_ON_ERROR_HALT);
        assert_int_equal(boot->on_missing, CVM_ON_MISSING_EVENT);
        assert_int_equal(boot->nitems, 2);
        assert_int_equal(boot->items[0].kind, CVM_ITEM_CMDLINE);
        assert_null(boot->items[0].value);
        assert_int_equal(boot->items[0].line, 8);
        assert_int_equal(boot->items[1].kind, CVM_ITEM_GLOB);
        assert_string_equal(boot->items[1].value, "/boot/vmlinuz-*");
        assert_int_equal(apps->class, CVM_CLASS_CLOUD_NATIVE);
        assert_int_equal(apps->on_error, CVM_ON_ERROR_CONTINUE);
        assert_int_equal(apps->on_missing, CVM_ON_MISSING_IGNORE);
        assert_int_equal(apps->items[0].kind, CVM_ITEM_FILE);
        assert_int_equal(apps->items[1].kind, CVM_ITEM_TREE);
        assert_int_equal(apps->items[2].kind, CVM_ITEM_STRING);
        assert_string_equal(apps->items[2].value, "release-7");
        /* The register: the class default (os: RTMR2 / PCR23) unless the group names one. */
        assert_int_equal(cvm_policy_group_register(boot, CVM_SPACE_CCMR), cvm_rtmr_to_ccmr(2));
        assert_int_equal(cvm_policy_group_register(boot, CVM_SPACE_PCR), 23);
        assert_int_equal(cvm_policy_group_register(apps, CVM_SPACE_CCMR), cvm_rtmr_to_ccmr(1));
        assert_int_equal(cvm_policy_group_register(apps, CVM_SPACE_PCR), 14);
        assert_string_equal(cvm_measure_class_name(apps->class), "cloud-native");
        /* The policy's own bytes are kept: they are measured first. */
        assert_int_equal(p->raw_len, strlen(GOOD));
        assert_memory_equal(p->raw, GOOD, p->raw_len);
        cvm_policy_free(p);
}

static void test_cloud_native_default_registers(void **state) {
        static const char text[] = "version: 1\ngroups:\n  - name: c\n    class: cloud-native\n    items:\n      - file: /x\n";
        struct cvm_policy *p = NULL;
        (void) state;

        assert_int_equal(parse(text, &p, NULL), 0);
        assert_false(p->require_device);
        assert_int_equal(cvm_policy_group_register(&p->groups[0], CVM_SPACE_CCMR), cvm_rtmr_to_ccmr(3));
        assert_int_equal(cvm_policy_group_register(&p->groups[0], CVM_SPACE_PCR), 16);
        cvm_policy_free(p);
}

/* text is refused with a message holding want. */
static void refused(const char *text, const char *want) {
        struct cvm_policy *p = NULL;
        cvm_error err = { 0 };

        assert_int_equal(parse(text, &p, &err), -EINVAL);
        assert_null(p);
        if (!strstr(err.msg, want))
                fail_msg("'%s' does not hold '%s'", err.msg, want);
}

#define HEAD "version: 1\ngroups:\n  - name: g\n    class: os\n    items:\n"

static void test_errors_name_the_place(void **state) {
        (void) state;

        refused("", "p.yaml: empty policy");
        refused("- a\n", "p.yaml:1:1: the policy is a mapping");
        refused("groups:\n  - name: g\n    class: os\n    items:\n      - file: /x\n", "the policy needs 'version: 1'");
        refused("version: 2\n", "p.yaml:1:10");
        refused("version: 1\ncolour: red\n", "p.yaml:2:1: unknown policy key 'colour'");
        refused("version: 1\ngroups: []\n", "'groups' must be a non-empty list");
        refused(HEAD "      - file: etc/passwd\n", "p.yaml:6:15");
        refused(HEAD "      - file: /etc/../shadow\n", "p.yaml:6:15");
        refused(HEAD "      - socket: /run/x\n", "p.yaml:6:9: unknown item kind 'socket'");
        refused(HEAD "      - cmdline: false\n", "cmdline: false is not an item");
        refused(HEAD "      - {file: /a, tree: /b}\n", "an item is a mapping with one key");
        refused("version: 1\ngroups:\n  - name: g\n    class: kernel\n    items:\n      - file: /x\n", "p.yaml:4:12");
        refused("version: 1\ngroups:\n  - name: g\n    class: os\n    rtmr: 4\n    items:\n      - file: /x\n", "p.yaml:5:11");
        refused("version: 1\ngroups:\n  - name: g\n    class: os\n    pcr: 24\n    items:\n      - file: /x\n", "p.yaml:5:10");
        refused("version: 1\ngroups:\n  - class: os\n    items:\n      - file: /x\n", "a group needs a name");
        refused("version: 1\ngroups:\n  - name: g\n    items:\n      - file: /x\n", "group 'g' needs a class");
        refused("version: 1\ngroups:\n  - name: g\n    class: os\n", "group 'g' needs a non-empty items list");
        refused(HEAD "      - file: /x\n  - name: g\n    class: os\n    items:\n      - file: /y\n", "a second group named 'g'");
        refused(HEAD "      - file: /x\n    colour: red\n", "unknown group key 'colour'");
}

/* The instance class: the OS register by default, its flags, and must_not_change refused elsewhere. */
static void test_instance_class(void **state) {
        static const char text[] = "version: 1\ngroups:\n  - name: i\n    class: instance\n    must_not_change: true\n"
                                   "    items:\n      - file: /etc/hostname\n  - name: s\n    class: instance\n"
                                   "    secret: true\n    items:\n      - file: /etc/shadow\n";
        struct cvm_policy *p = NULL;
        cvm_error err = { 0 };
        (void) state;

        assert_int_equal(parse(text, &p, &err), 0);
        assert_int_equal(p->groups[0].class, CVM_CLASS_INSTANCE);
        assert_string_equal(cvm_measure_class_name(p->groups[0].class), "instance");
        assert_true(p->groups[0].must_not_change);
        assert_false(p->groups[0].secret);
        assert_false(p->groups[1].must_not_change);
        assert_true(p->groups[1].secret);
        assert_int_equal(cvm_policy_group_register(&p->groups[0], CVM_SPACE_PCR), 23);
        assert_int_equal(cvm_policy_group_register(&p->groups[0], CVM_SPACE_CCMR), cvm_rtmr_to_ccmr(2));
        cvm_policy_free(p);
        assert_int_equal(parse("version: 1\ngroups:\n  - name: o\n    class: os\n    must_not_change: true\n"
                               "    items:\n      - file: /x\n", &p, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "p.yaml:5:22: must_not_change: only an instance group"));
        assert_int_equal(parse("version: 1\ngroups:\n  - name: o\n    class: instance\n    secret: maybe\n"
                               "    items:\n      - file: /x\n", &p, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "p.yaml:5:13"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fields_and_defaults),
                cmocka_unit_test(test_instance_class),
                cmocka_unit_test(test_cloud_native_default_registers),
                cmocka_unit_test(test_errors_name_the_place),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
