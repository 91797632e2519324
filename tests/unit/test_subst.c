/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ${name} substitution (rewriter/subst.c): scopes searched in order, text
 * around and between references kept, unknown and unclosed references
 * refused naming where, the 1 MiB bound; and what secrecy hides: which
 * names are secret, how an argument is shown, and a step's secrets redacted
 * from an error message without overrunning it.
 */

#include "unit.h"

#include "../../rewriter/rewrite.h"

static struct param plugin_scope[] = { { .name = (char *) "who", .value = (char *) "plugin" },
                                       { .name = (char *) "n", .value = (char *) "42" } };
static struct param recipe_scope[] = { { .name = (char *) "who", .value = (char *) "recipe" },
                                       { .name = (char *) "only", .value = (char *) "global" } };

/* in substituted over the plugin's scope, then the recipe's. */
static int sub(const char *in, char **out, cvm_error *err) {
        const struct param *const scopes[] = { plugin_scope, recipe_scope };
        const size_t n[] = { 2, 2 };
        return subst(in, scopes, n, 2, "p.yaml:4:7", out, err);
}

static void expect(const char *in, const char *want) {
        cvm_error err = { 0 };
        char *out = NULL;

        if (sub(in, &out, &err) < 0)
                fail_msg("%s: %s", in, err.msg);
        assert_string_equal(out, want);
        free(out);
}

static void test_substitution(void **state) {
        (void) state;
        expect("", "");
        expect("plain text", "plain text");
        expect("${who}", "plugin");
        expect("${only}", "global");
        expect("a ${who}-${n}${n} b", "a plugin-4242 b");
        /* Not a reference: kept as written. */
        expect("$who $ {who} $", "$who $ {who} $");
        expect("cost: $5, ${n}%", "cost: $5, 42%");
}

static void test_refused(void **state) {
        cvm_error err = { 0 };
        char *out = NULL, *big;

        (void) state;
        assert_int_equal(sub("x ${nope} y", &out, &err), -EINVAL);
        assert_null(out);
        assert_string_equal(err.msg, "p.yaml:4:7: unknown parameter '${nope}'");
        assert_int_equal(sub("x ${who", &out, &err), -EINVAL);
        assert_string_equal(err.msg, "p.yaml:4:7: '${' without a closing '}' in 'x ${who'");
        assert_int_equal(sub("${}", &out, &err), -EINVAL);
        /* 30 000 references to a 42-byte value: past 1 MiB. */
        plugin_scope[1].value = (char *) "012345678901234567890123456789012345678901";
        assert_non_null(big = malloc(30000 * 4 + 1));
        for (size_t i = 0; i < 30000; i++)
                memcpy(big + i * 4, "${n}", 4);
        big[30000 * 4] = '\0';
        assert_int_equal(sub(big, &out, &err), -E2BIG);
        assert_non_null(strstr(err.msg, "grows past 1 MiB"));
        free(big);
        plugin_scope[1].value = (char *) "42";
}

static void test_secret_names(void **state) {
        struct arg shown = { .key = (char *) "content", .value = (char *) "v" }, hidden = shown;

        (void) state;
        assert_true(param_is_secret("password"));
        assert_true(param_is_secret("root_password"));
        assert_true(param_is_secret("api_secret"));
        assert_false(param_is_secret("hostname"));
        assert_false(param_is_secret("pass"));
        hidden.secret = true;
        assert_string_equal(arg_shown(&shown), "v");
        assert_string_equal(arg_shown(&hidden), SECRET_SHOWN);
}

static void test_redact(void **state) {
        char *secrets[] = { (char *) "hunter2", (char *) "pw", NULL };
        struct step s = { .kind = (char *) "password", .secrets = secrets };
        cvm_error err = { 0 };

        (void) state;
        cvm_error_set(&err, EIO, "user: hunter2 rejected, hunter2 again; pw");
        assert_int_equal(step_redact(&s, &err), -EIO);
        assert_string_equal(err.msg, "user: " SECRET_SHOWN " rejected, " SECRET_SHOWN " again; " SECRET_SHOWN);
        /* A placeholder longer than the value at the very end of a full message: cut, never overrun. */
        memset(err.msg, 'x', sizeof(err.msg) - 1);
        memcpy(err.msg + sizeof(err.msg) - 3, "pw", 3);
        assert_int_equal(step_redact(&s, &err), -EIO);
        assert_true(strlen(err.msg) < sizeof(err.msg));
        assert_null(strstr(err.msg, "pw"));
        assert_int_equal(step_redact(&s, NULL), -EIO);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_substitution), cmocka_unit_test(test_refused),
                cmocka_unit_test(test_secret_names), cmocka_unit_test(test_redact),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
