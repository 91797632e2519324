/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The start-up floor of any replayer built on OpenSSL's EVP: read a file and
 * digest it once in each bank's algorithm (sha1, sha256, sha384), nothing
 * else.  OpenSSL 3 builds its algorithm name map and reads openssl.cnf on
 * the first digest; that cost, not cvm-evidence's, is what separates
 * `cvm-evidence replay` from /bin/true, and this program measures it.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
        static unsigned char buf[1 << 20];
        const EVP_MD *mds[] = { EVP_sha1(), EVP_sha256(), EVP_sha384() };
        unsigned char out[EVP_MAX_MD_SIZE];
        unsigned int n;
        size_t len;
        FILE *f;

        if (argc != 2 || !(f = fopen(argv[1], "rb"))) {
                fprintf(stderr, "usage: evpfloor FILE\n");
                return 2;
        }
        len = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        for (size_t i = 0; i < sizeof(mds) / sizeof(mds[0]); i++)
                if (!EVP_Digest(buf, len, out, &n, mds[i], NULL))
                        return 1;
        return 0;
}
