/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reference values: what cvm-measure will record when the output image
 * boots, computed by the measurer's own code (cvm_measure_compute, the
 * --dry-run path) over the output's file system, which libguestfs exposes on
 * the host through FUSE (mount-local) while the session is open.  The kernel
 * command line event uses the line the boot loader configuration will pass.
 */

#include <errno.h>
#include <limits.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cvmbase/base.h"
#include "cvm/cvm.h"
#include "reference.h"

#define POLICY "/etc/cvm/policy.yaml"

extern char **environ;

/* umount(2) as root, else fusermount -u, retried while the kernel still says busy. */
static int unmount(const char *mnt) {
        for (int i = 0; i < 50; i++) {
                char *argv[] = { "fusermount", "-u", "-q", (char *) mnt, NULL };
                int status;
                pid_t pid;
                if (umount2(mnt, 0) == 0)
                        return 0;
                if (errno == EPERM && posix_spawnp(&pid, "fusermount", NULL, NULL, argv, environ) == 0 &&
                    waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0)
                        return 0;
                usleep(100 * 1000);
        }
        return -EBUSY;
}

/*
 * The FUSE thread serves the walk's lookups.  The measurer lstat()s every
 * path the policy lists, and a guest may lack some: libguestfs's error for
 * each is expected, not one to print (its error handlers are per thread, so
 * the main thread's choice does not reach this one).
 */
static void *run_fuse(void *g) {
        guestfs_set_error_handler(g, NULL, NULL);
        return (void *) (intptr_t) guestfs_mount_local_run(g);
}

/*
 * An event's data as the measurer records it at boot: what it read from the
 * host's stand-in for /proc (proc) named as /proc.  The digests cover the
 * content, not the data, so only the description changes.
 */
static struct json_object *data_in_guest(const char *data, const char *proc) {
        struct json_object *j = json_tokener_parse(data), *path, *out;
        const char *p;
        size_t n = strlen(proc);

        if (!j || !json_object_object_get_ex(j, "path", &path) || !(p = json_object_get_string(path)) ||
            strncmp(p, proc, n) != 0 || p[n] != '/') {
                json_object_put(j);
                return json_object_new_string(data);
        }
        {
                char guest[PATH_MAX];
                snprintf(guest, sizeof(guest), "/proc%s", p + n);
                json_object_object_add(j, "path", json_object_new_string(guest));
        }
        out = json_object_new_string(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(j);
        return out;
}

/* One space's measurement (o says which): its events and the register values their replay gives from zero. */
static struct json_object *space_json(const struct cvm_measurement *m, const struct cvm_measure_options *o, cvm_error *err) {
        const enum cvm_reg_space space = o->space;
        const char *proc = o->proc;
        cvm_eventlog *log = NULL;
        cvm_replay *rp = NULL;
        struct json_object *out = NULL, *events, *regs;

        if (cvm_measurement_to_log(m, o, &log, err) < 0 || cvm_replay_new(o->banks, o->nbanks, &rp, err) < 0 ||
            cvm_replay_add_log(rp, log, err) < 0)
                goto done;
        out = json_object_new_object();
        events = json_object_new_array();
        for (size_t i = 0; i < m->nevents; i++) {
                const struct cvm_measure_event *e = &m->events[i];
                struct json_object *ev = json_object_new_object();
                char name[CVM_REG_NAME_MAX], d[2 * CVM_DIGEST_MAX + 1];
                cvm_register_name(space, e->index, name);
                json_object_object_add(ev, "index", json_object_new_int64(e->index));
                json_object_object_add(ev, "name", json_object_new_string(name));
                json_object_object_add(ev, "kind", json_object_new_string(e->kind ? e->kind : ""));
                json_object_object_add(ev, "item", json_object_new_string(e->item ? e->item : ""));
                for (size_t k = 0; k < e->ndigests; k++) {
                        cvm_hex(e->digests[k].bytes, e->digests[k].size, d);
                        json_object_object_add(ev, cvm_alg_name(e->digests[k].alg), json_object_new_string(d));
                }
                json_object_object_add(ev, "data", data_in_guest(e->data, proc));
                json_object_array_add(events, ev);
        }
        json_object_object_add(out, "events", events);
        regs = cvm_replay_registers_to_json(rp);
        json_object_object_add(out, "registers", regs);
done:
        cvm_replay_free(rp);
        cvm_eventlog_free(log);
        return out;
}

/* What the manifest says of an image without the measurer. */
static struct json_object *no_measurer(void) {
        struct json_object *top = json_object_new_object();

        json_object_object_add(top, "measurer", json_object_new_boolean(0));
        json_object_object_add(top, "note", json_object_new_string(POLICY " is not in the image: the measurer "
                                                                          "is not installed, nothing to predict"));
        return top;
}

/* tmpdir/guest (the mountpoint) and tmpdir/proc/cmdline (the command line the measurer will read) made. */
static int scratch(const char *tmpdir, const char *cmdline, char mnt[PATH_MAX], char proc[PATH_MAX], cvm_error *err) {
        char path[PATH_MAX];
        FILE *f;

        if ((size_t) snprintf(mnt, PATH_MAX, "%s/guest", tmpdir) >= PATH_MAX ||
            (size_t) snprintf(proc, PATH_MAX, "%s/proc", tmpdir) >= PATH_MAX ||
            (size_t) snprintf(path, sizeof(path), "%s/cmdline", proc) >= sizeof(path))
                return cvm_error_set(err, ENAMETOOLONG, "%s: path too long", tmpdir);
        if (mkdir(mnt, 0700) < 0 || mkdir(proc, 0700) < 0)
                return cvm_error_set(err, errno, "%s: %s", tmpdir, strerror(errno));
        if (!(f = fopen(path, "w")) || fprintf(f, "%s\n", cmdline ? cmdline : "") < 0 || fclose(f) != 0)
                return cvm_error_set(err, EIO, "%s: cannot write", path);
        return 0;
}

/* The guest's policy (read through the mount at mnt) replayed into both register spaces. */
static int predict(const char *mnt, const char *proc, struct json_object **tdx, struct json_object **tpm, cvm_error *err) {
        static const uint16_t tpm_banks[] = { CVM_ALG_SHA256, CVM_ALG_SHA384 }, tdx_banks[] = { CVM_ALG_SHA384 };
        const struct cvm_measure_options tpm_o = { .root = mnt, .proc = proc, .space = CVM_SPACE_PCR, .banks = tpm_banks, .nbanks = 2 },
                                         tdx_o = { .root = mnt, .proc = proc, .space = CVM_SPACE_CCMR, .banks = tdx_banks, .nbanks = 1 };
        struct cvm_measurement *tpm_m = NULL, *tdx_m = NULL;
        char path[PATH_MAX], *in_guest;
        struct cvm_policy *p = NULL;
        int r;

        if ((size_t) snprintf(path, sizeof(path), "%s" POLICY, mnt) >= sizeof(path))
                return cvm_error_set(err, ENAMETOOLONG, "%s: path too long", mnt);
        if ((r = cvm_policy_load(path, &p, err)) < 0)
                return r;
        /* The policy event names the policy where the measurer reads it at boot, not the build host's mount. */
        if (!(in_guest = strdup(POLICY))) {
                cvm_policy_free(p);
                return cvm_error_set(err, ENOMEM, "out of memory");
        }
        free(p->path);
        p->path = in_guest;
        /* One walk of the guest's files (each read through FUSE costs a round trip into the appliance) serves both spaces. */
        if ((r = cvm_measure_compute(p, &tpm_o, &tpm_m, err)) == 0 &&
            (r = cvm_measurement_in_space(tpm_m, p, CVM_SPACE_CCMR, tdx_banks, 1, &tdx_m, err)) == 0) {
                *tdx = space_json(tdx_m, &tdx_o, err);
                *tpm = *tdx ? space_json(tpm_m, &tpm_o, err) : NULL;
                r = *tdx && *tpm ? 0 : -err->code;
        }
        cvm_measurement_free(tdx_m);
        cvm_measurement_free(tpm_m);
        cvm_policy_free(p);
        return r;
}

static struct json_object *result(const char *cmdline, struct json_object *tdx, struct json_object *tpm) {
        struct json_object *top = json_object_new_object();

        json_object_object_add(top, "measurer", json_object_new_boolean(1));
        json_object_object_add(top, "policy", json_object_new_string(POLICY));
        json_object_object_add(top, "cmdline", cmdline ? json_object_new_string(cmdline) : NULL);
        json_object_object_add(top, "tdx", tdx);
        json_object_object_add(top, "tpm", tpm);
        json_object_object_add(top, "note", json_object_new_string(
                "registers are the replay of these events from zero: exact for the TPM PCRs the measurer owns; "
                "on TDX, RTMR2 also holds what the boot loader measured, so compare events there"));
        return top;
}

int reference_values(guestfs_h *g, const char *tmpdir, const char *cmdline, struct json_object **ret, cvm_error *err) {
        char mnt[PATH_MAX], proc[PATH_MAX];
        struct json_object *tdx = NULL, *tpm = NULL;
        pthread_t th;
        void *fr;
        int r;

        if (guestfs_is_file(g, POLICY) <= 0) {
                *ret = no_measurer();
                return 0;
        }
        if ((r = scratch(tmpdir, cmdline, mnt, proc, err)) < 0)
                return r;
        if (guestfs_mount_local(g, mnt, GUESTFS_MOUNT_LOCAL_READONLY, 1, -1) < 0)
                return cvm_error_set(err, EIO, "mount-local (FUSE) of the guest failed: %s", guestfs_last_error(g));
        if (pthread_create(&th, NULL, run_fuse, g) != 0) {
                guestfs_umount_local(g, -1);
                return cvm_error_set(err, EAGAIN, "cannot start the FUSE thread");
        }
        r = predict(mnt, proc, &tdx, &tpm, err);
        /*
         * Unmounting ends mount_local_run in the other thread.  Not with
         * guestfs_umount_local: that call waits for the handle, which the
         * running mount_local_run holds.
         */
        if (unmount(mnt) < 0) {
                json_object_put(tdx);
                json_object_put(tpm);
                return r < 0 ? r : cvm_error_set(err, EIO, "cannot unmount %s (FUSE): the mount stays", mnt);
        }
        pthread_join(th, &fr);
        rmdir(mnt);
        if (r < 0) {
                json_object_put(tdx);
                json_object_put(tpm);
                return r;
        }
        *ret = result(cmdline, tdx, tpm);
        return 0;
}
