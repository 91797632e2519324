/* SPDX-License-Identifier: Apache-2.0 */
/* The option core (base/options.c): tables to getopt_long, nested tables, parse callbacks, --help, -V. */
#include <unistd.h>

#include "cvmbase/base.h"
#include "unit.h"

struct inner {
        const char *state;
        bool quiet;
};

struct args {
        const char *out, *name;
        bool json, flag;
        unsigned count;
        struct inner in;
};

static int parse_count(const struct opt *o, const char *arg, void *field) {
        if (strcmp(arg, "bad") == 0) {
                fprintf(stderr, "--%s: bad\n", o->name);
                return -1;
        }
        *(unsigned *) field = (unsigned) atoi(arg);
        return 0;
}

static const struct opt inner_options[] = {
        OPT_STR(0, "state", struct inner, state, "FILE", "a long-only option of the nested table"),
        OPT_FLAG('q', "quiet", struct inner, quiet, "a flag of the nested table"),
        OPT_END,
};

static const struct opt options[] = {
        OPT_OUTPUT_OUT(struct args, out, "FILE", "where to write\nsecond line of help"),
        OPT_STR('n', "name", struct args, name, "NAME", "a name"),
        OPT_JSON(struct args, json, "JSON"),
        OPT_FLAG(0, "flag", struct args, flag, "a long-only flag"),
        OPT_FN('c', "count", struct args, count, "N", parse_count, "a number"),
        OPT_SUB(struct args, in, inner_options),
        OPT_END,
};

static const struct opt_exit exits[] = {
        { 0, "ok", "fine" },
        { 1, "usage", "bad command line" },
        { 3, "odd", "something odd" },
        {},
};

static const struct opt_tool tool = { .name = "tool", .version = "tool 9.9", .exits = exits };

static const struct opt_command command = {
        .tool = &tool,
        .name = "cmd",
        .usage = "[OPTIONS] FILE\n--flag FILE",
        .about = "About the command.",
        .options = options,
        .notes = "Some notes.",
        .exits = 1u << 0 | 1u << 3,
};

/* Parse a NULL-terminated argv into a. */
static int parse(struct args *a, int *ind, char **argv) {
        int argc = 0;

        while (argv[argc])
                argc++;
        memset(a, 0, sizeof(*a));
        return opt_parse(&command, argc, argv, a, ind);
}

static void test_parse_fields(void **state) {
        char *argv[] = { "cmd", "-o", "o.bin", "--name=x", "-j", "--flag", "-c", "7", "--state", "s", "-q", "file", NULL };
        struct args a;
        int ind = -1;
        (void) state;

        assert_int_equal(parse(&a, &ind, argv), 0);
        assert_string_equal(a.out, "o.bin");
        assert_string_equal(a.name, "x");
        assert_true(a.json && a.flag && a.in.quiet);
        assert_int_equal(a.count, 7);
        assert_string_equal(a.in.state, "s");
        assert_int_equal(ind, 11);
        assert_string_equal(argv[ind], "file");
}

static void test_alias_and_long_forms(void **state) {
        char *argv1[] = { "cmd", "--out", "a", NULL };
        char *argv2[] = { "cmd", "--output", "b", "--json", "--quiet", NULL };
        char *argv3[] = { "cmd", "-qjc7", "-ofile", "--", "-n", NULL };
        struct args a;
        int ind;
        (void) state;

        assert_int_equal(parse(&a, &ind, argv1), 0);
        assert_string_equal(a.out, "a");
        assert_int_equal(parse(&a, &ind, argv2), 0);
        assert_string_equal(a.out, "b");
        assert_true(a.json && a.in.quiet);
        assert_int_equal(ind, 5);
        /* Short options bundle and take attached arguments; "--" ends them. */
        assert_int_equal(parse(&a, &ind, argv3), 0);
        assert_true(a.in.quiet && a.json);
        assert_int_equal(a.count, 7);
        assert_string_equal(a.out, "file");
        assert_null(a.name);
        assert_string_equal(argv3[ind], "-n");
}

static void test_usage_errors(void **state) {
        char *unknown[] = { "cmd", "--nope", NULL };
        char *missing[] = { "cmd", "--name", NULL };
        char *refused[] = { "cmd", "--count", "bad", NULL };
        char *letter[] = { "cmd", "-x", NULL };
        struct args a;
        int ind;
        (void) state;

        assert_int_equal(parse(&a, &ind, unknown), -1);
        assert_int_equal(parse(&a, &ind, missing), -1);
        assert_int_equal(parse(&a, &ind, refused), -1);
        assert_int_equal(parse(&a, &ind, letter), -1);
}

/* Run f with stdout in a temporary file; its output, NUL-terminated. */
static char *capture(int (*f)(void)) {
        static char buf[8192];
        FILE *tmp = tmpfile();
        int saved = dup(STDOUT_FILENO);
        size_t n;

        assert_non_null(tmp);
        fflush(stdout);
        assert_int_equal(dup2(fileno(tmp), STDOUT_FILENO), STDOUT_FILENO);
        assert_int_equal(f(), OPT_DONE);
        fflush(stdout);
        assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
        close(saved);
        rewind(tmp);
        n = fread(buf, 1, sizeof(buf) - 1, tmp);
        buf[n] = '\0';
        fclose(tmp);
        return buf;
}

static int run_help(void) {
        char *argv[] = { "cmd", "--name", "x", "-h", "--nope", NULL };
        struct args a;
        int ind;
        return parse(&a, &ind, argv);
}

static int run_version(void) {
        char *argv[] = { "cmd", "-V", NULL };
        struct args a;
        int ind;
        return parse(&a, &ind, argv);
}

static void test_help_and_version(void **state) {
        const char *h = capture(run_help);
        (void) state;

        assert_non_null(strstr(h, "Usage: tool cmd [OPTIONS] FILE\n       tool cmd --flag FILE\n\nAbout the command.\n"));
        assert_non_null(strstr(h, "  -o, --output FILE (or --out)\n                        where to write\n"
                                  "                        second line of help\n"));
        assert_non_null(strstr(h, "  -n, --name NAME       a name\n"));
        assert_non_null(strstr(h, "      --state FILE      a long-only option of the nested table\n"));
        assert_non_null(strstr(h, "  -h, --help            this help\n  -V, --version         the version\n"));
        assert_non_null(strstr(h, "Some notes.\n\nExit codes:\n  0 ok           fine\n  3 odd          something odd\n"));
        assert_null(strstr(h, "1 usage"));
        assert_string_equal(capture(run_version), "tool 9.9\n");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_fields),
                cmocka_unit_test(test_alias_and_long_forms),
                cmocka_unit_test(test_usage_errors),
                cmocka_unit_test(test_help_and_version),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
