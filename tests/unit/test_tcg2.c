/* SPDX-License-Identifier: Apache-2.0 */
/* TCG2 crypto-agile and TCG 1.2 logs: real fixtures, hostile input, building and writing. */
#include "unit.h"

/* One "pcrs:" entry of a tpm2_eventlog YAML file. */
struct yaml_pcr {
        char bank[16];
        unsigned index;
        char hex[2 * CVM_DIGEST_MAX + 1];
};

/* The final "pcrs:" section of tpm2_eventlog's YAML: "  BANK:" then "    N  : 0xHEX". */
static size_t yaml_pcrs(const char *path, struct yaml_pcr *out, size_t max) {
        size_t len, n = 0;
        char *text = (char *) slurp(path, &len), *p, *save = NULL, bank[16] = "";

        text[len] = '\0';
        p = strstr(text, "\npcrs:\n");
        assert_non_null(p);
        for (char *line = strtok_r(p + 7, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                unsigned idx;
                char hex[2 * CVM_DIGEST_MAX + 1], word[16];
                if (line[2] != ' ' && sscanf(line, "  %15[a-z0-9_]:", word) == 1) {
                        memcpy(bank, word, sizeof(bank));
                        continue;
                }
                if (sscanf(line, " %u : 0x%128s", &idx, hex) == 2) {
                        assert_true(n < max);
                        snprintf(out[n].bank, sizeof(out[n].bank), "%s", bank);
                        out[n].index = idx;
                        memcpy(out[n].hex, hex, sizeof(hex));
                        n++;
                }
        }
        free(text);
        return n;
}

static void check_fixture_against_yaml(const char *name) {
        char yaml[4200];
        struct yaml_pcr want[128];
        const struct cvm_register_value *regs;
        cvm_eventlog *log = NULL;
        cvm_error err = { 0 };
        cvm_replay *r;
        size_t nwant, nregs;

        snprintf(yaml, sizeof(yaml), "%s.tpm2_eventlog.yaml", fixture(name));
        nwant = yaml_pcrs(yaml, want, 128);
        assert_true(nwant >= 10);
        if (cvm_eventlog_load(fixture(name), CVM_LOG_AUTO, &log, &err) < 0)
                fail_msg("%s", err.msg);
        assert_int_equal(cvm_eventlog_format(log), CVM_LOG_TCG2);
        assert_false(cvm_eventlog_truncated(log));
        r = replay_of(log);
        /* Same set of registers, same values, on every bank. */
        nregs = cvm_replay_registers(r, &regs);
        assert_int_equal(nregs, nwant);
        for (size_t i = 0; i < nwant; i++) {
                uint16_t alg;
                const struct cvm_register_value *v;
                assert_int_equal(cvm_alg_from_name(want[i].bank, &alg), 0);
                v = cvm_replay_find(r, want[i].index, alg);
                assert_non_null(v);
                assert_hex_equal(v->digest, v->size, want[i].hex);
        }
        cvm_replay_free(r);
        cvm_eventlog_free(log);
}

static void test_fixture_ubuntu(void **state) {
        (void) state;
        check_fixture_against_yaml("tcg2-goeventlog-ubuntu-2104-no-secure-boot.bin");
}

static void test_fixture_keylime(void **state) {
        (void) state;
        check_fixture_against_yaml("tcg2-keylime-binary_bios_measurements-secureboot.bin");
}

static void test_fixture_fedora(void **state) {
        (void) state;
        check_fixture_against_yaml("tcg2-tpm2tools-event-sd-boot-fedora37.bin");
}

static void test_header_and_types(void **state) {
        const struct cvm_log_alg *algs;
        const struct cvm_event *ev;
        cvm_eventlog *log = NULL;
        (void) state;

        assert_int_equal(cvm_eventlog_load(fixture("tcg2-goeventlog-ubuntu-2104-no-secure-boot.bin"), CVM_LOG_AUTO, &log, NULL), 0);
        assert_int_equal(cvm_eventlog_algs(log, &algs), 3);
        assert_int_equal(algs[0].alg, CVM_ALG_SHA1);
        assert_int_equal(algs[2].alg, CVM_ALG_SHA384);
        ev = cvm_eventlog_event(log, 0);
        assert_true(ev->header);
        assert_false(cvm_event_is_extended(ev));
        ev = cvm_eventlog_event(log, 1);
        assert_string_equal(cvm_event_type_name(ev->type), "EV_S_CRTM_VERSION");
        assert_int_equal(ev->ndigests, 3);
        assert_non_null(cvm_event_digest(ev, CVM_ALG_SHA384));
        assert_null(cvm_event_digest(ev, CVM_ALG_SHA512));
        assert_int_equal(cvm_eventlog_startup_locality(log), -ENOENT);
        assert_null(cvm_eventlog_event(log, cvm_eventlog_count(log)));
        cvm_eventlog_free(log);
}

/* Parsing the written form of a parsed log gives back the same bytes (the Fedora log has no vendor info). */
static void test_roundtrip(void **state) {
        const struct cvm_log_alg *algs;
        cvm_eventlog *log = NULL, *copy = NULL;
        uint8_t *orig, *out;
        size_t olen, len, nalgs;
        (void) state;

        orig = slurp(fixture("tcg2-tpm2tools-event-sd-boot-fedora37.bin"), &olen);
        assert_int_equal(cvm_eventlog_parse(orig, olen, CVM_LOG_AUTO, &log, NULL), 0);
        nalgs = cvm_eventlog_algs(log, &algs);
        assert_int_equal(cvm_eventlog_new_tcg2(CVM_SPACE_PCR, algs, nalgs, &copy, NULL), 0);
        for (size_t i = 1; i < cvm_eventlog_count(log); i++) {
                const struct cvm_event *ev = cvm_eventlog_event(log, i);
                assert_int_equal(cvm_eventlog_append(copy, ev->index, ev->type, ev->digests, ev->ndigests,
                                                     ev->data, ev->data_len, NULL), 0);
        }
        assert_int_equal(cvm_eventlog_write_tcg2(copy, &out, &len, NULL), 0);
        assert_int_equal(len, olen);
        assert_memory_equal(out, orig, olen);
        free(out);
        free(orig);
        cvm_eventlog_free(copy);
        cvm_eventlog_free(log);
}

/* Cut the log at every byte: never a crash; at a record boundary exactly the events before it, no warning. */
static void test_truncate_everywhere(void **state) {
        uint8_t *buf;
        size_t len, nev;
        cvm_eventlog *full = NULL;
        (void) state;

        buf = slurp(fixture("tcg2-tpm2tools-event-sd-boot-fedora37.bin"), &len);
        assert_int_equal(cvm_eventlog_parse(buf, len, CVM_LOG_TCG2, &full, NULL), 0);
        nev = cvm_eventlog_count(full);
        for (size_t cut = 0; cut < len; cut++) {
                cvm_eventlog *log = NULL;
                cvm_error err = { 0 };
                size_t boundary = SIZE_MAX;
                int r = cvm_eventlog_parse(buf, cut, CVM_LOG_TCG2, &log, &err);

                for (size_t i = 1; i < nev; i++)
                        if (cvm_eventlog_event(full, i)->offset == cut)
                                boundary = i;
                if (r < 0) {
                        /* Only a cut inside the Spec ID header may fail outright, with an offset. */
                        assert_true(cut < cvm_eventlog_event(full, 1)->offset);
                        assert_non_null(strstr(err.msg, "offset"));
                        continue;
                }
                if (boundary != SIZE_MAX) {
                        assert_int_equal(cvm_eventlog_count(log), boundary);
                        assert_false(cvm_eventlog_truncated(log));
                } else {
                        const char *const *w;
                        assert_true(cvm_eventlog_truncated(log));
                        assert_true(cvm_eventlog_warnings(log, &w) >= 1);
                        assert_non_null(strstr(w[0], "offset"));
                }
                cvm_eventlog_free(log);
        }
        cvm_eventlog_free(full);
        free(buf);
}

static void put32(uint8_t *p, uint32_t v) {
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}

/* Parse a mutated copy of the Fedora log (one sha256 bank; event 1 at the first record). */
static int parse_mutated(void (*mutate)(uint8_t *buf, size_t first), cvm_eventlog **log, cvm_error *err) {
        size_t len, first;
        uint8_t *buf = slurp(fixture("tcg2-tpm2tools-event-sd-boot-fedora37.bin"), &len);
        int r;

        first = 32 + (size_t) (buf[28] | buf[29] << 8);
        mutate(buf, first);
        r = cvm_eventlog_parse(buf, len, CVM_LOG_TCG2, log, err);
        free(buf);
        return r;
}

static void count_too_large(uint8_t *b, size_t first) {
        put32(b + first + 8, 2);
}
static void undeclared_alg(uint8_t *b, size_t first) {
        b[first + 12] = 0x0c;  /* sha384, not in this log's Spec ID */
}
static void wrong_spec_size(uint8_t *b, size_t first) {
        (void) first;
        b[32 + 30] = 20;       /* sha256 declared with 20-byte digests */
}
static void too_many_algs(uint8_t *b, size_t first) {
        (void) first;
        put32(b + 32 + 24, 100000);
}
static void huge_event_size(uint8_t *b, size_t first) {
        put32(b + first + 12 + 2 + 32, UINT32_MAX);
}

static void test_hostile_fields(void **state) {
        cvm_eventlog *log = NULL;
        cvm_error err = { 0 };
        const char *const *w;
        (void) state;

        assert_int_equal(parse_mutated(count_too_large, &log, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "digest count 2"));
        assert_int_equal(parse_mutated(undeclared_alg, &log, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "does not declare"));
        assert_int_equal(parse_mutated(wrong_spec_size, &log, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "digest size 20, expected 32"));
        assert_int_equal(parse_mutated(too_many_algs, &log, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "100000 algorithms"));

        /* An event size beyond the input is a truncated log: what came before is kept. */
        assert_int_equal(parse_mutated(huge_event_size, &log, &err), 0);
        assert_true(cvm_eventlog_truncated(log));
        assert_int_equal(cvm_eventlog_count(log), 1);
        assert_int_equal(cvm_eventlog_warnings(log, &w), 1);
        assert_non_null(strstr(w[0], "declares 4294967295 bytes"));
        cvm_eventlog_free(log);
}

static void test_padding_and_garbage(void **state) {
        size_t len;
        uint8_t *buf = slurp(fixture("tcg2-tpm2tools-event-sd-boot-fedora37.bin"), &len), *padded;
        cvm_eventlog *log = NULL, *log2 = NULL;
        cvm_error err = { 0 };
        const char *const *w;
        uint8_t garbage[256];
        (void) state;

        padded = malloc(len + 4096);
        assert_non_null(padded);
        memcpy(padded, buf, len);
        memset(padded + len, 0xff, 4096);
        assert_int_equal(cvm_eventlog_parse(buf, len, CVM_LOG_AUTO, &log, NULL), 0);
        assert_int_equal(cvm_eventlog_parse(padded, len + 4096, CVM_LOG_AUTO, &log2, NULL), 0);
        assert_int_equal(cvm_eventlog_count(log), cvm_eventlog_count(log2));
        assert_int_equal(cvm_eventlog_warnings(log2, &w), 0);
        cvm_eventlog_free(log2);
        memset(padded + len, 0, 4096);
        assert_int_equal(cvm_eventlog_parse(padded, len + 4096, CVM_LOG_AUTO, &log2, NULL), 0);
        assert_int_equal(cvm_eventlog_count(log), cvm_eventlog_count(log2));
        cvm_eventlog_free(log2);

        assert_int_equal(cvm_eventlog_parse(buf, 0, CVM_LOG_AUTO, &log2, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "empty"));
        for (size_t i = 0; i < sizeof(garbage); i++)
                garbage[i] = (uint8_t) (i * 131 + 7);
        assert_int_equal(cvm_eventlog_parse(garbage, sizeof(garbage), CVM_LOG_AUTO, &log2, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "not a recognised event log"));
        assert_int_equal(cvm_eventlog_parse(garbage, sizeof(garbage), CVM_LOG_TCG2, &log2, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "Spec ID Event03"));
        cvm_eventlog_free(log);
        free(padded);
        free(buf);
}

static cvm_eventlog *new_sha256_log(void) {
        const struct cvm_log_alg algs[] = { { CVM_ALG_SHA256, 32 } };
        cvm_eventlog *log = NULL;
        assert_int_equal(cvm_eventlog_new_tcg2(CVM_SPACE_PCR, algs, 1, &log, NULL), 0);
        return log;
}

static void append_sha256(cvm_eventlog *log, uint32_t index, uint32_t type, const void *data, size_t len) {
        uint8_t d[32];
        struct cvm_event_digest dig = { CVM_ALG_SHA256, 32, d };
        cvm_error err = { 0 };

        assert_int_equal(cvm_digest(CVM_ALG_SHA256, data, len, d, NULL), 0);
        if (type == CVM_EV_NO_ACTION)
                memset(d, 0, sizeof(d));
        if (cvm_eventlog_append(log, index, type, &dig, 1, data, len, &err) < 0)
                fail_msg("%s", err.msg);
}

/* PFP 10.4.5.3: StartupLocality 3 -> PCR0 starts at 00..03; with an H-CRTM, locality 4 -> 00..04. */
static void check_locality(uint8_t locality) {
        static const char sig[] = "StartupLocality";
        uint8_t data[17], reg[32] = { 0 }, d[32], *buf;
        cvm_eventlog *log = new_sha256_log(), *parsed = NULL;
        const struct cvm_register_value *v;
        cvm_replay *r;
        size_t len;

        memcpy(data, sig, 16);
        data[16] = locality;
        append_sha256(log, 0, CVM_EV_NO_ACTION, data, sizeof(data));
        append_sha256(log, 0, 0x8, "crtm", 4);
        assert_int_equal(cvm_eventlog_write_tcg2(log, &buf, &len, NULL), 0);
        assert_int_equal(cvm_eventlog_parse(buf, len, CVM_LOG_AUTO, &parsed, NULL), 0);
        assert_int_equal(cvm_eventlog_startup_locality(parsed), locality);

        reg[31] = locality;
        assert_int_equal(cvm_digest(CVM_ALG_SHA256, "crtm", 4, d, NULL), 0);
        assert_int_equal(cvm_extend(CVM_ALG_SHA256, reg, d, NULL), 0);
        for (int i = 0; i < 2; i++) {
                r = replay_of(i ? parsed : log);
                v = cvm_replay_find(r, 0, CVM_ALG_SHA256);
                assert_non_null(v);
                assert_memory_equal(v->digest, reg, 32);
                assert_int_equal(v->nextends, 1);
                cvm_replay_free(r);
        }
        free(buf);
        cvm_eventlog_free(parsed);
        cvm_eventlog_free(log);
}

static void test_startup_locality(void **state) {
        (void) state;
        check_locality(3);
        check_locality(4);
}

static void test_drtm_pcrs_start_at_ones(void **state) {
        cvm_eventlog *log = new_sha256_log();
        uint8_t reg[32], d[32];
        cvm_replay *r;
        (void) state;

        append_sha256(log, 17, CVM_EV_EVENT_TAG, "drtm", 4);
        append_sha256(log, 16, CVM_EV_EVENT_TAG, "debug", 5);
        r = replay_of(log);
        memset(reg, 0xff, 32);
        assert_int_equal(cvm_digest(CVM_ALG_SHA256, "drtm", 4, d, NULL), 0);
        assert_int_equal(cvm_extend(CVM_ALG_SHA256, reg, d, NULL), 0);
        assert_memory_equal(cvm_replay_find(r, 17, CVM_ALG_SHA256)->digest, reg, 32);
        memset(reg, 0, 32);
        assert_int_equal(cvm_digest(CVM_ALG_SHA256, "debug", 5, d, NULL), 0);
        assert_int_equal(cvm_extend(CVM_ALG_SHA256, reg, d, NULL), 0);
        assert_memory_equal(cvm_replay_find(r, 16, CVM_ALG_SHA256)->digest, reg, 32);
        cvm_replay_free(r);
        cvm_eventlog_free(log);
}

static void test_append_rejects(void **state) {
        const struct cvm_log_alg dup[] = { { CVM_ALG_SHA256, 32 }, { CVM_ALG_SHA256, 32 } };
        const struct cvm_log_alg bad[] = { { CVM_ALG_SHA384, 32 } };
        cvm_eventlog *log = new_sha256_log(), *other = NULL;
        uint8_t d[48] = { 0 };
        struct cvm_event_digest wrong = { CVM_ALG_SHA384, 48, d }, twice[2] = { { CVM_ALG_SHA256, 32, d }, { CVM_ALG_SHA256, 32, d } };
        cvm_error err = { 0 };
        (void) state;

        assert_int_equal(cvm_eventlog_append(log, 8, 13, &wrong, 1, "x", 1, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "not one of the log's"));
        assert_int_equal(cvm_eventlog_append(log, 8, 13, twice, 2, "x", 1, &err), -EINVAL);
        assert_int_equal(cvm_eventlog_count(log), 0);
        assert_int_equal(cvm_eventlog_new_tcg2(CVM_SPACE_PCR, dup, 2, &other, &err), -EINVAL);
        assert_int_equal(cvm_eventlog_new_tcg2(CVM_SPACE_PCR, bad, 1, &other, &err), -EINVAL);
        assert_int_equal(cvm_eventlog_new_tcg2(CVM_SPACE_PCR, bad, 0, &other, &err), -EINVAL);
        cvm_eventlog_free(log);
}

/* A TCG 1.2 log: SHA-1 TCG_PCClientPCREvent records, no Spec ID event. */
static void test_tcg12(void **state) {
        uint8_t buf[2 * 32 + 8], d[20], reg[20] = { 0 };
        cvm_eventlog *log = NULL;
        cvm_error err = { 0 };
        cvm_replay *r;
        (void) state;

        memset(buf, 0, sizeof(buf));
        assert_int_equal(cvm_digest(CVM_ALG_SHA1, "v1.2", 4, d, NULL), 0);
        put32(buf, 0);
        put32(buf + 4, 0x8);
        memcpy(buf + 8, d, 20);
        put32(buf + 28, 4);
        memcpy(buf + 32, "v1.2", 4);
        put32(buf + 36, 4);
        put32(buf + 40, CVM_EV_SEPARATOR);
        assert_int_equal(cvm_digest(CVM_ALG_SHA1, "\0\0\0\0", 4, buf + 44, NULL), 0);
        put32(buf + 64, 4);
        assert_int_equal(cvm_eventlog_parse(buf, 72, CVM_LOG_AUTO, &log, &err), 0);
        assert_int_equal(cvm_eventlog_format(log), CVM_LOG_TCG12);
        assert_int_equal(cvm_eventlog_count(log), 2);
        r = replay_of(log);
        assert_int_equal(cvm_extend(CVM_ALG_SHA1, reg, d, NULL), 0);
        assert_memory_equal(cvm_replay_find(r, 0, CVM_ALG_SHA1)->digest, reg, 20);
        assert_non_null(cvm_replay_find(r, 4, CVM_ALG_SHA1));
        cvm_replay_free(r);
        cvm_eventlog_free(log);

        /* Cut inside the second record: the first is kept and the cut reported. */
        assert_int_equal(cvm_eventlog_parse(buf, 60, CVM_LOG_TCG12, &log, &err), 0);
        assert_true(cvm_eventlog_truncated(log));
        assert_int_equal(cvm_eventlog_count(log), 1);
        cvm_eventlog_free(log);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fixture_ubuntu),
                cmocka_unit_test(test_fixture_keylime),
                cmocka_unit_test(test_fixture_fedora),
                cmocka_unit_test(test_header_and_types),
                cmocka_unit_test(test_roundtrip),
                cmocka_unit_test(test_truncate_everywhere),
                cmocka_unit_test(test_hostile_fields),
                cmocka_unit_test(test_padding_and_garbage),
                cmocka_unit_test(test_startup_locality),
                cmocka_unit_test(test_drtm_pcrs_start_at_ones),
                cmocka_unit_test(test_append_rejects),
                cmocka_unit_test(test_tcg12),
        };
        return cmocka_run_group_tests_name("tcg2", tests, NULL, NULL);
}
