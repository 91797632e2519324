/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

static void test_alg_names(void **state) {
        uint16_t alg;
        (void) state;

        assert_string_equal(cvm_alg_name(CVM_ALG_SHA384), "sha384");
        assert_null(cvm_alg_name(0x1234));
        assert_int_equal(cvm_alg_from_name("SHA-256", &alg), 0);
        assert_int_equal(alg, CVM_ALG_SHA256);
        assert_int_equal(cvm_alg_from_name("0x000d", &alg), 0);
        assert_int_equal(alg, CVM_ALG_SHA512);
        assert_int_equal(cvm_alg_from_name("md5", &alg), -EINVAL);
        assert_int_equal(cvm_alg_from_name("0x10000", &alg), -EINVAL);
        assert_int_equal(cvm_alg_size(CVM_ALG_SHA1), 20);
        assert_int_equal(cvm_alg_size(CVM_ALG_SM3_256), 32);
        assert_int_equal(cvm_alg_size(0x1234), -ENOENT);
}

static void test_digest_vectors(void **state) {
        uint8_t out[CVM_DIGEST_MAX];
        (void) state;

        assert_int_equal(cvm_digest(CVM_ALG_SHA256, "abc", 3, out, NULL), 0);
        assert_hex_equal(out, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_int_equal(cvm_digest(CVM_ALG_SHA384, "abc", 3, out, NULL), 0);
        assert_hex_equal(out, 48, "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
                                  "8086072ba1e7cc2358baeca134c825a7");
}

/* The extend of a zero SHA-256 PCR with the digest of a zero separator: PCR value of a PCR that saw only EV_SEPARATOR 0. */
static void test_extend(void **state) {
        uint8_t reg[32] = { 0 }, sep[32], zero4[4] = { 0 };
        cvm_error err = { 0 };
        (void) state;

        assert_int_equal(cvm_digest(CVM_ALG_SHA256, zero4, 4, sep, NULL), 0);
        assert_int_equal(cvm_extend(CVM_ALG_SHA256, reg, sep, &err), 0);
        assert_hex_equal(reg, 32, "3d458cfe55cc03ea1f443f1562beec8df51c75e14a9fcf9a7234a13f198e7969");
        assert_int_equal(cvm_extend(0x1234, reg, sep, &err), -EOPNOTSUPP);
        assert_non_null(strstr(err.msg, "0x1234"));
}

static void test_hex_base64(void **state) {
        uint8_t buf[4];
        char *s;
        (void) state;

        assert_int_equal(cvm_unhex("0xDEADbeef", buf, sizeof(buf)), 4);
        assert_hex_equal(buf, 4, "deadbeef");
        assert_int_equal(cvm_unhex("abc", buf, sizeof(buf)), -EINVAL);
        assert_int_equal(cvm_unhex("zz", buf, sizeof(buf)), -EINVAL);
        assert_int_equal(cvm_unhex("0011223344", buf, sizeof(buf)), -ENOBUFS);
        s = cvm_base64_alloc((const uint8_t *) "falafel", 7);
        assert_string_equal(s, "ZmFsYWZlbA==");
        free(s);
}

static void test_error_prefix(void **state) {
        cvm_error err = { 0 };
        (void) state;

        assert_int_equal(cvm_error_set(&err, EBADMSG, "offset %d: bad", 12), -EBADMSG);
        assert_int_equal(cvm_error_prefix(&err, "%s: ", "log.bin"), -EBADMSG);
        assert_string_equal(err.msg, "log.bin: offset 12: bad");
        assert_int_equal(cvm_error_set(NULL, EIO, "ignored"), -EIO);
}

#define THREADS 4

struct hasher {
        uint16_t alg;
        int ok;
};

static void *hash_many(void *arg) {
        struct hasher *h = arg;
        uint8_t out[CVM_DIGEST_MAX] = { 0 }, first[CVM_DIGEST_MAX] = { 0 };

        h->ok = cvm_digest(h->alg, "abc", 3, first, NULL) == 0;
        for (int i = 0; i < 200 && h->ok; i++)
                h->ok = cvm_digest(h->alg, "abc", 3, out, NULL) == 0 && memcmp(out, first, sizeof(out)) == 0 &&
                        cvm_alg_supported(CVM_ALG_SHA1);
        return NULL;
}

/* First use from 4 threads at once: the algorithm table is filled once (ThreadSanitizer saw a race). Runs first. */
static void test_digest_threads(void **state) {
        static const uint16_t algs[THREADS] = { CVM_ALG_SHA256, CVM_ALG_SHA384, CVM_ALG_SHA256, CVM_ALG_SHA1 };
        struct hasher h[THREADS];
        pthread_t t[THREADS];
        uint8_t want[CVM_DIGEST_MAX];
        (void) state;

        for (int i = 0; i < THREADS; i++) {
                h[i] = (struct hasher) { algs[i], 0 };
                assert_int_equal(pthread_create(&t[i], NULL, hash_many, &h[i]), 0);
        }
        for (int i = 0; i < THREADS; i++) {
                assert_int_equal(pthread_join(t[i], NULL), 0);
                assert_true(h[i].ok);
        }
        assert_int_equal(cvm_digest(CVM_ALG_SHA256, "abc", 3, want, NULL), 0);
        assert_hex_equal(want, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_parse_uint(void **state) {
        uint64_t v = 7;
        (void) state;

        assert_int_equal(cvm_parse_uint("42", SIZE_MAX, 10, 100, &v), 0);
        assert_int_equal(v, 42);
        assert_int_equal(cvm_parse_uint("0x1F", SIZE_MAX, 0, 100, &v), 0);
        assert_int_equal(v, 31);
        assert_int_equal(cvm_parse_uint("81010002", SIZE_MAX, 16, UINT32_MAX, &v), 0);
        assert_int_equal(v, 0x81010002);
        assert_int_equal(cvm_parse_uint("123", 2, 10, 100, &v), 0);
        assert_int_equal(v, 12);
        assert_int_equal(cvm_parse_uint("18446744073709551615", SIZE_MAX, 10, UINT64_MAX, &v), 0);
        assert_true(v == UINT64_MAX);
        static const char *const bad[] = { "", " 1", "-1", " -1", "+1", "1 ", "1x", "0x", "1e3", "\t5" };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (cvm_parse_uint(bad[i], SIZE_MAX, 0, UINT64_MAX, &v) != -EINVAL)
                        fail_msg("'%s' was accepted", bad[i]);
        assert_int_equal(cvm_parse_uint("18446744073709551616", SIZE_MAX, 10, UINT64_MAX, &v), -ERANGE);
        assert_int_equal(cvm_parse_uint("4294967297", SIZE_MAX, 10, 64, &v), -ERANGE);
        assert_int_equal(cvm_parse_uint("65", SIZE_MAX, 10, 64, &v), -ERANGE);
}

/* cvm_digest_file streams a file in two algorithms at once, each equal to cvm_digest of its bytes; a FIFO is refused. */
static void test_digest_file(void **state) {
        static const uint16_t algs[] = { CVM_ALG_SHA256, CVM_ALG_SHA384 };
        char path[] = "/tmp/cvm-test-digest.XXXXXX";
        uint8_t md[2][CVM_DIGEST_MAX], want[CVM_DIGEST_MAX];
        size_t len = 3u << 20;
        uint8_t *buf = malloc(len);
        cvm_error err = { 0 };
        int fd = mkstemp(path);

        (void) state;
        assert_non_null(buf);
        assert_true(fd >= 0);
        for (size_t i = 0; i < len; i++)
                buf[i] = (uint8_t) (i * 7);
        assert_int_equal(write(fd, buf, len), (ssize_t) len);
        close(fd);
        assert_int_equal(cvm_digest_file(path, algs, 2, md, &err), 0);
        assert_int_equal(cvm_digest(CVM_ALG_SHA256, buf, len, want, &err), 0);
        assert_memory_equal(md[0], want, 32);
        assert_int_equal(cvm_digest(CVM_ALG_SHA384, buf, len, want, &err), 0);
        assert_memory_equal(md[1], want, 48);
        unlink(path);
        assert_int_equal(mkfifo(path, 0600), 0);
        assert_int_equal(cvm_digest_file(path, algs, 1, md, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "a FIFO, expected a regular file"));
        unlink(path);
        free(buf);
}

/*
 * Memory is hashed by nettle and streams by OpenSSL (measurer/lib/digest.c):
 * both must give the same digest in every algorithm, at every length around a
 * block boundary (SHA-1/256/SM3: 64 bytes, SHA-384/512: 128), and for an extend.
 */
static void test_digest_libraries_agree(void **state) {
        static const uint16_t algs[] = { CVM_ALG_SHA1, CVM_ALG_SHA256, CVM_ALG_SHA384, CVM_ALG_SHA512, CVM_ALG_SM3_256 };
        static const size_t lens[] = { 0, 1, 55, 56, 63, 64, 65, 111, 112, 127, 128, 129, 1000, 70001 };
        uint8_t buf[70001], mem[CVM_DIGEST_MAX], stream[1][CVM_DIGEST_MAX];
        cvm_error err = { 0 };
        (void) state;

        for (size_t i = 0; i < sizeof(buf); i++)
                buf[i] = (uint8_t) (i * 131 + (i >> 8));
        for (size_t a = 0; a < sizeof(algs) / sizeof(algs[0]); a++) {
                assert_true(cvm_alg_supported(algs[a]));
                for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
                        int fd = memfd_create("digest", MFD_CLOEXEC);
                        assert_true(fd >= 0);
                        assert_int_equal(write(fd, buf, lens[l]), (ssize_t) lens[l]);
                        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
                        assert_int_equal(cvm_digest_fd(fd, &algs[a], 1, stream, &err), 0);
                        close(fd);
                        assert_int_equal(cvm_digest(algs[a], buf, lens[l], mem, &err), 0);
                        assert_memory_equal(mem, stream[0], (size_t) cvm_alg_size(algs[a]));
                }
        }
        /* Published vectors for the two algorithms test_digest_vectors leaves out. */
        assert_int_equal(cvm_digest(CVM_ALG_SHA1, "abc", 3, mem, NULL), 0);
        assert_hex_equal(mem, 20, "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_int_equal(cvm_digest(CVM_ALG_SM3_256, "abc", 3, mem, NULL), 0);
        assert_hex_equal(mem, 32, "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
        assert_int_equal(cvm_digest(0x1234, "abc", 3, mem, &err), -EOPNOTSUPP);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_digest_threads),
                cmocka_unit_test(test_parse_uint),
                cmocka_unit_test(test_alg_names),
                cmocka_unit_test(test_digest_vectors),
                cmocka_unit_test(test_digest_libraries_agree),
                cmocka_unit_test(test_extend),
                cmocka_unit_test(test_hex_base64),
                cmocka_unit_test(test_error_prefix),
                cmocka_unit_test(test_digest_file),
        };
        return cmocka_run_group_tests_name("digest", tests, NULL, NULL);
}
