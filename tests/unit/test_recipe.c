/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Recipe resolution (rewriter/recipe.c over plugin.c): the plugin search
 * path, where each parameter's value comes from (plugin default, recipe
 * global, recipe per-plugin, --set for all or one plugin), required and
 * typed parameters, host-files resolved to absolute paths, substitution
 * into the steps with the builtins, secrecy following the value, and a bad
 * step refused with its plugin.yaml position.
 */

#include "rewriter_fixture.h"

#include "../../rewriter/rewrite.h"

static const char plugin_yaml[] =
        "name: greet\n"
        "description: test plugin\n"
        "params:\n"
        "  greeting: {type: string, default: hello, description: g}\n"
        "  level: {type: int, default: \"3\", min: 1, max: 9, description: l}\n"
        "  who: {type: string, description: required}\n"
        "  password: {type: string, default: pw0, description: p}\n"
        "steps:\n"
        "  - write: {path: /etc/greeting, content: \"${greeting} ${who} ${level}\"}\n"
        "  - password: {user: root, password: \"${password}\"}\n"
        "  - write: {path: /etc/built, content: \"${recipe} ${build_date}\"}\n";

static char dirs_buf[2][PATH_MAX + 16];

static int setup(void **state) {
        if (scratch_setup(state) < 0)
                return -1;
        put("a/10-greet/plugin.yaml", plugin_yaml);
        put("a/10-greet/files", NULL);
        /* Later on the search path: never reached while a/ has greet. */
        put("b/greet/plugin.yaml", "name: greet\ndescription: shadowed\nsteps: []\n");
        put("b/other/plugin.yaml", "name: other\ndescription: other\nsteps:\n  - touch: {path: relative}\n");
        put("b/pkgs/plugin.yaml", "name: pkgs\ndescription: packages\nchanges-kernel: true\nparams:\n"
                                  "  debs: {type: host-files, description: d}\nsteps:\n  - kernel: {packages: [\"${debs}\"]}\n");
        put("pkg.deb", "!<arch>\n");
        snprintf(dirs_buf[0], sizeof(dirs_buf[0]), "%s/a", scratch);
        snprintf(dirs_buf[1], sizeof(dirs_buf[1]), "%s/b", scratch);
        return setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
}

/* The recipe text loaded with sets; 0 or the negative errno, the message in err. */
static int load(const char *text, char *const *sets, size_t nsets, struct recipe **r, cvm_error *err) {
        char path[PATH_MAX * 2];
        char *const dirs[] = { dirs_buf[0], dirs_buf[1] };

        put("recipe.yaml", text);
        *r = NULL;
        return recipe_load(at("recipe.yaml", path, sizeof(path)), dirs, 2, sets, nsets, r, err);
}

static const struct step *step_at(const struct recipe *r, size_t plugin, size_t i) {
        assert_true(plugin < r->nplugins && i < r->plugins[plugin].nsteps);
        return &r->plugins[plugin].steps[i];
}

static void test_values_in_order(void **state) {
        struct recipe *r;
        cvm_error err = { 0 };
        char *sets[] = { (char *) "greet.level=7" };

        (void) state;
        /* Default greeting, the recipe's global who, the per-plugin level overridden by --set greet.level. */
        if (load("name: t\nparams: {who: world}\nplugins:\n  - name: greet\n    params: {level: 5}\n", sets, 1, &r, &err) < 0)
                fail_msg("%s", err.msg);
        assert_int_equal(r->nplugins, 1);
        assert_string_equal(r->plugins[0].name, "greet");
        assert_string_equal(step_arg(step_at(r, 0, 0), "content"), "hello world 7");
        assert_string_equal(step_arg(step_at(r, 0, 2), "content"), "t 2023-11-14T22:13:20Z");
        /* The first folder on the search path that holds greet. */
        assert_non_null(strstr(r->plugins[0].dir, "/a/10-greet"));
        assert_null(recipe_kernel_changer(r));
        recipe_free(r);
}

static void test_set_for_all(void **state) {
        struct recipe *r;
        cvm_error err = { 0 };
        char *sets[] = { (char *) "who=everyone", (char *) "greeting=hi" };

        (void) state;
        if (load("name: t\nplugins:\n  - name: greet\n", sets, 2, &r, &err) < 0)
                fail_msg("%s", err.msg);
        assert_string_equal(step_arg(step_at(r, 0, 0), "content"), "hi everyone 3");
        recipe_free(r);
}

static void test_required_and_typed(void **state) {
        struct recipe *r;
        cvm_error err = { 0 };
        char *bad_int[] = { (char *) "who=x", (char *) "greet.level=12" };
        char *typo[] = { (char *) "who=x", (char *) "greting=hi" };
        char *no_plugin[] = { (char *) "nope.who=x" };

        (void) state;
        assert_int_equal(load("name: t\nplugins:\n  - name: greet\n", NULL, 0, &r, &err), -EINVAL);
        assert_null(r);
        assert_non_null(strstr(err.msg, "plugin 'greet': required parameter 'who' is not set"));
        assert_true(load("name: t\nplugins:\n  - name: greet\n", bad_int, 2, &r, &err) < 0);
        assert_non_null(strstr(err.msg, "--set greet.level"));
        assert_true(load("name: t\nplugins:\n  - name: greet\n", typo, 2, &r, &err) < 0);
        assert_non_null(strstr(err.msg, "did you mean 'greeting'?"));
        assert_true(load("name: t\nplugins:\n  - name: greet\n", no_plugin, 1, &r, &err) < 0);
        assert_non_null(strstr(err.msg, "--set: the recipe has no plugin 'nope'"));
}

static void test_missing_plugin_and_bad_step(void **state) {
        struct recipe *r;
        cvm_error err = { 0 };

        (void) state;
        assert_true(load("name: t\nplugins:\n  - name: absent\n", NULL, 0, &r, &err) < 0);
        assert_non_null(strstr(err.msg, "plugin 'absent' is not in the search path"));
        /* Step validation at load names the step's plugin.yaml position. */
        assert_true(load("name: t\nplugins:\n  - name: other\n", NULL, 0, &r, &err) < 0);
        assert_non_null(strstr(err.msg, "/b/other/plugin.yaml:4:"));
        assert_non_null(strstr(err.msg, "step touch: guest path 'relative' must be absolute"));
}

static void test_host_files(void **state) {
        struct recipe *r;
        cvm_error err = { 0 };
        char want[PATH_MAX * 2], real[PATH_MAX];

        (void) state;
        /* Relative to the recipe's folder when the recipe gives it. */
        if (load("name: t\nplugins:\n  - name: pkgs\n    params: {debs: pkg.deb}\n", NULL, 0, &r, &err) < 0)
                fail_msg("%s", err.msg);
        assert_non_null(realpath(at("pkg.deb", want, sizeof(want)), real));
        assert_string_equal(r->plugins[0].params[0].value, real);
        /* Substituted into the kernel step, whose packages type accepts only such files. */
        assert_string_equal(step_at(r, 0, 0)->args[0].list[0], real);
        assert_ptr_equal(recipe_kernel_changer(r), &r->plugins[0]);
        recipe_free(r);
        assert_true(load("name: t\nplugins:\n  - name: pkgs\n", NULL, 0, &r, &err) < 0);
        assert_non_null(strstr(err.msg, "plugin 'pkgs': required parameter 'debs' is not set"));
        assert_true(load("name: t\nplugins:\n  - name: pkgs\n    params: {debs: none.deb}\n", NULL, 0, &r, &err) < 0);
        assert_non_null(strstr(err.msg, "parameter 'debs': host file"));
        assert_true(load("name: t\nplugins:\n  - name: pkgs\n    params: {debs: a}\n", NULL, 0, &r, &err) < 0);
        assert_non_null(strstr(err.msg, "is not a regular file"));
}

static void test_secrets(void **state) {
        struct recipe *r;
        cvm_error err = { 0 };
        char *sets[] = { (char *) "who=x", (char *) "password=s3cret" };
        const struct step *pw, *w;

        (void) state;
        if (load("name: t\nplugins:\n  - name: greet\n", sets, 2, &r, &err) < 0)
                fail_msg("%s", err.msg);
        pw = step_at(r, 0, 1);
        w = step_at(r, 0, 0);
        assert_true(step_arg_full(pw, "password")->secret);
        assert_string_equal(arg_shown(step_arg_full(pw, "password")), SECRET_SHOWN);
        assert_non_null(pw->secrets);
        assert_string_equal(pw->secrets[0], "s3cret");
        assert_false(step_arg_full(w, "content")->secret);
        assert_null(w->secrets);
        recipe_free(r);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_values_in_order),  cmocka_unit_test(test_set_for_all),
                cmocka_unit_test(test_required_and_typed), cmocka_unit_test(test_missing_plugin_and_bad_step),
                cmocka_unit_test(test_host_files),       cmocka_unit_test(test_secrets),
        };
        return cmocka_run_group_tests(tests, setup, scratch_teardown);
}
