/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The boot kernel's capabilities (rewriter/kernel_caps.c): the kernel config
 * parser on good and hostile text, and the decision for every kernel
 * situation a TDX recipe meets: 6.16+ with TSM_MEASUREMENTS, Ubuntu 24.04's
 * 6.8 (the driver a module, no measurements), Debian 12's 6.1 (no driver),
 * the driver built in, the module missing, no config at all, the recipe's
 * ioctl assertion.
 */

#include "unit.h"

#include "../../rewriter/kernel_caps.h"

/* Linux 6.16+: the driver a module that selects both TSM interfaces. */
static const char k616[] = "#\n# Automatically generated file; DO NOT EDIT.\n# Linux/x86 6.17.0 Kernel Configuration\n#\n"
                           "CONFIG_CC_VERSION_TEXT=\"gcc (Ubuntu 13.3.0) 13.3.0\"\n\n"
                           "CONFIG_INTEL_TDX_GUEST=y\nCONFIG_TSM_GUEST=y\nCONFIG_TSM_REPORTS=m\nCONFIG_TSM_MEASUREMENTS=y\n"
                           "CONFIG_TDX_GUEST_DRIVER=m\nCONFIG_TCG_TPM=y\n";
/* Ubuntu 24.04's 6.8: the driver a module, quotes, no RTMR extend. */
static const char k68[] = "CONFIG_INTEL_TDX_GUEST=y\nCONFIG_TSM_REPORTS=m\nCONFIG_TDX_GUEST_DRIVER=m\nCONFIG_TCG_TPM=y\n";
/* Debian 12's 6.1 (this host's /boot/config-6.1.0-*). */
static const char k61[] = "# CONFIG_INTEL_TDX_GUEST is not set\nCONFIG_AMD_MEM_ENCRYPT=y\nCONFIG_TCG_TPM=y\n";
/* A kernel with everything built in. */
static const char kbuiltin[] = "CONFIG_INTEL_TDX_GUEST=y\nCONFIG_TSM_REPORTS=y\nCONFIG_TSM_MEASUREMENTS=y\nCONFIG_TDX_GUEST_DRIVER=y\n";

static struct kernel_facts facts(const char *version, const char *cfg, const char *module) {
        struct kernel_facts f = { .version = version, .tdx_module = module };
        cvm_error err = { 0 };
        if (cfg) {
                if (kernel_config_parse(cfg, strlen(cfg), "config", &f.config, &err) < 0)
                        fail_msg("%s", err.msg);
                f.has_config = true;
        }
        return f;
}

static int check(const struct kernel_facts *f, enum cvm_target t, enum tdx_extend how, char *msg, size_t size) {
        struct kernel_caps c;
        kernel_caps_decide(f, how, &c);
        msg[0] = '\0';
        return kernel_caps_check(f, &c, t, how, msg, size);
}

static void test_parse(void **state) {
        struct kernel_config c;
        cvm_error err = { 0 };
        (void) state;

        assert_int_equal(kernel_config_parse(k616, strlen(k616), "c", &c, &err), 0);
        assert_int_equal(c.value[KSYM_INTEL_TDX_GUEST], KCONFIG_BUILTIN);
        assert_int_equal(c.value[KSYM_TDX_GUEST_DRIVER], KCONFIG_MODULE);
        assert_int_equal(c.value[KSYM_TSM_REPORTS], KCONFIG_MODULE);
        assert_int_equal(c.value[KSYM_TSM_MEASUREMENTS], KCONFIG_BUILTIN);
        assert_int_equal(kernel_config_parse(k61, strlen(k61), "c", &c, &err), 0);
        assert_int_equal(c.value[KSYM_INTEL_TDX_GUEST], KCONFIG_UNSET);
        assert_int_equal(c.value[KSYM_TCG_TPM], KCONFIG_BUILTIN);
        /* The last line wins, as in Kconfig; no trailing newline; CRLF; n. */
        assert_int_equal(kernel_config_parse("CONFIG_TSM_REPORTS=y\r\nCONFIG_TSM_REPORTS=n", 42, "c", &c, &err), 0);
        assert_int_equal(c.value[KSYM_TSM_REPORTS], KCONFIG_UNSET);
        assert_int_equal(kernel_config_parse("", 0, "c", &c, &err), 0);
        /* A symbol that only starts like ours is another one. */
        assert_int_equal(kernel_config_parse("CONFIG_TSM_REPORTS_X=\"s\"\n", 25, "c", &c, &err), 0);
        assert_int_equal(c.value[KSYM_TSM_REPORTS], KCONFIG_UNSET);
}

static void bad(const char *text, size_t len, const char *want) {
        struct kernel_config c;
        cvm_error err = { 0 };
        assert_true(kernel_config_parse(text, len, "/boot/config-x", &c, &err) < 0);
        if (!strstr(err.msg, want))
                fail_msg("'%s' does not hold '%s'", err.msg, want);
}

static void test_parse_hostile(void **state) {
        static char big[KERNEL_CONFIG_MAX + 1], longline[(64 << 10) + 8];
        (void) state;

        bad("CONFIG_A=y\nX=y\n", 15, "/boot/config-x:2: expected CONFIG_NAME=VALUE");
        bad("CONFIG_A=y\nCONFIG_\0=y\n", 22, ":2: a NUL byte");
        bad("CONFIG_=y\n", 10, ":1: expected CONFIG_NAME=VALUE (a symbol");
        bad("CONFIG_A y\n", 11, ":1: expected CONFIG_NAME=VALUE (a symbol");
        bad("CONFIG_A", 8, ":1: expected CONFIG_NAME=VALUE (a symbol");
        bad("CONFIG_TDX_GUEST_DRIVER=yes\n", 28, ":1: CONFIG_TDX_GUEST_DRIVER is a tristate: expected y, m or n, got 'yes'");
        bad("CONFIG_TSM_REPORTS=\n", 20, "got ''");
        memset(big, '#', sizeof(big));
        bad(big, sizeof(big), "over the 4194304 of a kernel config");
        memset(longline, '#', sizeof(longline));
        bad(longline, sizeof(longline), ":1: a line of 65544 bytes");
}

static void test_616(void **state) {
        struct kernel_facts f = facts("6.17.0-5-generic", k616, "/lib/modules/6.17.0-5-generic/kernel/drivers/virt/coco/tdx-guest/tdx-guest.ko.zst");
        struct kernel_caps c;
        char msg[3072];
        (void) state;

        kernel_caps_decide(&f, TDX_EXTEND_AUTO, &c);
        assert_true(c.read.yes && c.extend.yes && c.quote.yes && c.tpm.yes);
        assert_string_equal(c.read.basis, "config+module");
        assert_string_equal(c.extend.basis, "config");
        assert_non_null(strstr(c.extend.interface, "sysfs"));
        assert_int_equal(check(&f, TARGET_TDX, TDX_EXTEND_AUTO, msg, sizeof(msg)), 0);
        assert_int_equal(check(&f, TARGET_BOTH, TDX_EXTEND_SYSFS, msg, sizeof(msg)), 0);
        /* The module missing from the image: the config alone does not make a device. */
        f.tdx_module = NULL;
        kernel_caps_decide(&f, TDX_EXTEND_AUTO, &c);
        assert_false(c.read.yes || c.extend.yes || c.quote.yes);
        assert_int_equal(check(&f, TARGET_TDX, TDX_EXTEND_AUTO, msg, sizeof(msg)), -ENOTSUP);
        assert_non_null(strstr(msg, "CONFIG_TDX_GUEST_DRIVER=m but no tdx-guest.ko* under /lib/modules/6.17.0-5-generic"));
}

static void test_68(void **state) {
        struct kernel_facts f = facts("6.8.0-45-generic", k68, "/lib/modules/6.8.0-45-generic/kernel/drivers/virt/coco/tdx-guest/tdx-guest.ko.zst");
        struct kernel_caps c;
        char msg[3072];
        (void) state;

        kernel_caps_decide(&f, TDX_EXTEND_AUTO, &c);
        assert_true(c.read.yes && c.quote.yes);
        assert_false(c.extend.yes);
        assert_null(c.extend.basis);
        assert_int_equal(check(&f, TARGET_TDX, TDX_EXTEND_AUTO, msg, sizeof(msg)), -ENOTSUP);
        assert_non_null(strstr(msg, "the boot kernel 6.8.0-45-generic cannot extend RTMRs on a TD"));
        assert_non_null(strstr(msg, "CONFIG_TSM_MEASUREMENTS=y (the RTMR extend sysfs, Linux 6.16+)"));
        assert_non_null(strstr(msg, "linux-generic-hwe-24.04"));
        assert_null(strstr(msg, "CONFIG_TSM_REPORTS ("));
        assert_int_equal(check(&f, TARGET_TDX, TDX_EXTEND_SYSFS, msg, sizeof(msg)), -ENOTSUP);
        /* TPM only: this kernel serves it. */
        assert_int_equal(check(&f, TARGET_TPM, TDX_EXTEND_AUTO, msg, sizeof(msg)), 0);
        assert_int_equal(check(&f, TARGET_NONE, TDX_EXTEND_AUTO, msg, sizeof(msg)), 0);
        /* The recipe asserts the out-of-tree ioctl (an Intel TDX kernel): extend rests on that. */
        kernel_caps_decide(&f, TDX_EXTEND_IOCTL, &c);
        assert_true(c.extend.yes);
        assert_string_equal(c.extend.basis, "recipe");
        assert_int_equal(check(&f, TARGET_TDX, TDX_EXTEND_IOCTL, msg, sizeof(msg)), 0);
}

static void test_61(void **state) {
        struct kernel_facts f = facts("6.1.0-57-amd64", k61, NULL);
        struct kernel_caps c;
        char msg[3072];
        (void) state;

        kernel_caps_decide(&f, TDX_EXTEND_IOCTL, &c);
        assert_false(c.read.yes || c.extend.yes || c.quote.yes);
        assert_true(c.tpm.yes);
        assert_int_equal(check(&f, TARGET_TDX, TDX_EXTEND_AUTO, msg, sizeof(msg)), -ENOTSUP);
        assert_non_null(strstr(msg, "target tdx: the boot kernel 6.1.0-57-amd64 cannot extend RTMRs or produce quotes on a TD"));
        assert_non_null(strstr(msg, "CONFIG_INTEL_TDX_GUEST=y"));
        assert_non_null(strstr(msg, "CONFIG_TDX_GUEST_DRIVER"));
        assert_non_null(strstr(msg, "CONFIG_TSM_REPORTS"));
        assert_non_null(strstr(msg, "a 6.16+ kernel, e.g. from trixie-backports"));
        assert_non_null(strstr(msg, "06-guest-kernel"));
        /* Even with the ioctl assertion: no driver, nothing to call it on. */
        assert_int_equal(check(&f, TARGET_BOTH, TDX_EXTEND_IOCTL, msg, sizeof(msg)), -ENOTSUP);
        assert_int_equal(check(&f, TARGET_TPM, TDX_EXTEND_AUTO, msg, sizeof(msg)), 0);
}

/* 6.1 with the soft TDX device declared by a test harness: target tdx served, every basis says so. */
static void test_61_soft_tdx(void **state) {
        struct kernel_facts f = facts("6.1.0-57-cloud-amd64", k61, NULL);
        struct kernel_caps c;
        char msg[3072];
        (void) state;

        f.soft_tdx = true;
        kernel_caps_decide(&f, TDX_EXTEND_AUTO, &c);
        assert_true(c.read.yes && c.extend.yes && c.quote.yes && c.tpm.yes);
        assert_string_equal(c.read.basis, "soft-device");
        assert_string_equal(c.extend.basis, "soft-device");
        assert_string_equal(c.quote.basis, "soft-device");
        assert_non_null(strstr(c.quote.interface, "simulated"));
        assert_int_equal(check(&f, TARGET_TDX, TDX_EXTEND_AUTO, msg, sizeof(msg)), 0);
        f.soft_tdx = false;
        assert_int_equal(check(&f, TARGET_TDX, TDX_EXTEND_AUTO, msg, sizeof(msg)), -ENOTSUP);
}

static void test_builtin(void **state) {
        struct kernel_facts f = facts("6.16.0-cvm", kbuiltin, NULL);
        struct kernel_caps c;
        char msg[3072];
        (void) state;

        kernel_caps_decide(&f, TDX_EXTEND_AUTO, &c);
        assert_true(c.read.yes && c.extend.yes && c.quote.yes);
        assert_string_equal(c.read.basis, "config");
        assert_false(c.tpm.yes);
        assert_int_equal(check(&f, TARGET_TDX, TDX_EXTEND_AUTO, msg, sizeof(msg)), 0);
        /* No TPM driver: both refuses, naming it. */
        assert_int_equal(check(&f, TARGET_BOTH, TDX_EXTEND_AUTO, msg, sizeof(msg)), -ENOTSUP);
        assert_non_null(strstr(msg, "lacks CONFIG_TCG_TPM"));
}

static void test_no_config(void **state) {
        struct kernel_facts f = facts("6.17.0-5-generic", NULL, "/lib/modules/x/tdx-guest.ko");
        struct kernel_caps c;
        char msg[3072];
        (void) state;

        kernel_caps_decide(&f, TDX_EXTEND_IOCTL, &c);
        assert_false(c.read.yes || c.extend.yes || c.quote.yes || c.tpm.yes);
        assert_int_equal(check(&f, TARGET_TDX, TDX_EXTEND_AUTO, msg, sizeof(msg)), -ENOTSUP);
        assert_non_null(strstr(msg, "no /boot/config-6.17.0-5-generic"));
        assert_int_equal(check(&f, TARGET_NONE, TDX_EXTEND_AUTO, msg, sizeof(msg)), 0);
        /* No boot kernel known at all. */
        f.version = NULL;
        assert_int_equal(check(&f, TARGET_TDX, TDX_EXTEND_AUTO, msg, sizeof(msg)), -ENOTSUP);
        assert_non_null(strstr(msg, "cannot tell which kernel the image boots"));
}

static void test_names(void **state) {
        enum cvm_target t;
        enum tdx_extend e;
        (void) state;

        assert_int_equal(cvm_target_from_name("both", &t), 0);
        assert_int_equal(t, TARGET_BOTH);
        assert_string_equal(cvm_target_name(t), "both");
        assert_int_equal(cvm_target_from_name("TDX", &t), -EINVAL);
        assert_int_equal(tdx_extend_from_name("ioctl", &e), 0);
        assert_string_equal(tdx_extend_name(e), "ioctl");
        assert_int_equal(tdx_extend_from_name("", &e), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse), cmocka_unit_test(test_parse_hostile), cmocka_unit_test(test_616),
                cmocka_unit_test(test_68),    cmocka_unit_test(test_61),            cmocka_unit_test(test_builtin),
                cmocka_unit_test(test_61_soft_tdx),
                cmocka_unit_test(test_no_config), cmocka_unit_test(test_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
