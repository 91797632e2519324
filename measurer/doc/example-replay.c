/* Replay an event log and print each register it produces (cc $(pkg-config --cflags --libs cvm)). */
#include <cvm/cvm.h>
#include <stdio.h>

int main(int argc, char **argv) {
        cvm_error err = { 0 };
        cvm_eventlog *log = NULL;
        cvm_replay *r = NULL;
        const struct cvm_register_value *regs;
        char name[CVM_REG_NAME_MAX], hex[2 * CVM_DIGEST_MAX + 1];

        if (argc != 2)
                return fprintf(stderr, "usage: %s EVENT-LOG\n", argv[0]), 2;
        if (cvm_eventlog_load(argv[1], CVM_LOG_AUTO, &log, &err) < 0 || cvm_replay_new(NULL, 0, &r, &err) < 0 ||
            cvm_replay_add_log(r, log, &err) < 0)
                return fprintf(stderr, "%s\n", err.msg), 1;
        size_t n = cvm_replay_registers(r, &regs);
        for (size_t i = 0; i < n; i++)
                printf("%s %s %s\n", cvm_register_name(regs[i].space, regs[i].index, name),
                       cvm_alg_name(regs[i].alg), cvm_hex(regs[i].digest, regs[i].size, hex));
        cvm_replay_free(r);
        cvm_eventlog_free(log);
        return 0;
}
