/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One rewrite as a pipeline of phases, each with one job: check the input
 * and the output, prepare (temporary names, the input's digest, signals),
 * launch the appliance over a qcow2 overlay of the input (which qemu opens
 * read-only as its backing file), inspect the guest, check its kernel and
 * that every plugin supports it, apply the plan, collect the boot files and
 * predict the reference values, close the appliance, make the overlay into
 * a temporary beside the output (output_image.h), write the manifest, commit
 * (rename both into place).  Every temporary is named .OUT.cvm-rewrite.PID.*: an
 * error or SIGINT/SIGTERM removes them; after SIGKILL the next run removes
 * those of dead PIDs.  The launch is bounded, and no child process outlives
 * the session (the watchdog).  A phase returns a negative errno; the table
 * says what kind of failure that is, and cvm-rewrite maps it to an exit code.
 */

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cvmbase/base.h"
#include "boot_chain.h"
#include "grub_boot.h"
#include "grub_hints.h"
#include "guest_digest.h"
#include "guest_read.h"
#include "host_disk.h"
#include "input_digest.h"
#include "manifest.h"
#include "output_image.h"
#include "pipeline.h"
#include "reference.h"
#include "session.h"
#include "watchdog.h"

struct rewrite {
        const struct recipe *r;
        const struct rw_options *o;
        struct rw_summary *sum;
        cvm_error *err;
        struct session ss;
        struct watchdog wd;
        struct input_digest digest;     /* the input's sha256, taken while the appliance starts */
        struct sigaction old_signals[3];
        bool caught;                    /* the signals are ours: the temporaries exist and are cleaned up */
        char dir[PATH_MAX], base[PATH_MAX], overlay[PATH_MAX], part[PATH_MAX], in256[65];
        char *absin;
        struct stat in_st;
        struct manifest *mf;
        char *grub_before;              /* grub.cfg's sha256 before the steps, "" if absent */
        char in_format[8];              /* the input's format as qemu detects it: "raw" or "qcow2" */
        double t0;
};

static int phase_input(struct rewrite *rw) {
        return host_check_input(rw->o->input, &rw->in_st, rw->err);
}

/* The output's folder made absolute: qemu-img records the output's temporary as the overlay's backing file (output_image.h). */
static int phase_output(struct rewrite *rw) {
        char d[PATH_MAX], b[PATH_MAX];
        int r;

        snprintf(d, sizeof(d), "%s", rw->o->output);
        snprintf(b, sizeof(b), "%s", rw->o->output);
        snprintf(rw->dir, sizeof(rw->dir), "%s", dirname(d));
        snprintf(rw->base, sizeof(rw->base), "%s", basename(b));
        if ((r = host_check_output(rw->o->output, rw->dir, rw->o->input, &rw->in_st, rw->err)) < 0)
                return r;
        if (!realpath(rw->dir, d))
                return cvm_error_set(rw->err, errno, "--output %s: its directory %s: %s", rw->o->output, rw->dir, strerror(errno));
        snprintf(rw->dir, sizeof(rw->dir), "%s", d);
        return 0;
}

/* .BASE.cvm-rewrite.PID.SUFFIX beside the output into out (PATH_MAX); -ENAMETOOLONG when it does not fit. */
static int temp_name(const struct rewrite *rw, const char *suffix, char *out) {
        if ((size_t) snprintf(out, PATH_MAX, "%s/.%s.cvm-rewrite.%ld.%s", rw->dir, rw->base, (long) getpid(), suffix) >= PATH_MAX)
                return -ENAMETOOLONG;
        return 0;
}

/* Stale temporaries removed, this run's named, the input's digest started, the signals ours, the scratch folder made. */
static int phase_prepare(struct rewrite *rw) {
        const struct rw_options *o = rw->o;
        int r;

        temp_sweep_stale(o->output, "cvm-rewrite", &rw->in_st);
        if (!(rw->absin = realpath(o->input, NULL)))
                return cvm_error_set(rw->err, errno, "--input %s: %s", o->input, strerror(errno));
        if (temp_name(rw, "overlay.qcow2", rw->overlay) < 0 || temp_name(rw, "part", rw->part) < 0 ||
            temp_name(rw, "d", rw->ss.tmpdir) < 0)
                return cvm_error_set(rw->err, ENAMETOOLONG, "--output %s: path too long", o->output);
        if ((r = input_digest_start(&rw->digest, rw->absin, rw->err)) < 0)
                return r;
        rw_signals_catch(rw->old_signals);
        rw->caught = true;
        if (mkdir(rw->ss.tmpdir, 0700) < 0)
                return cvm_error_set(rw->err, errno, "%s: %s", rw->ss.tmpdir, strerror(errno));
        return 0;
}

/* The input's digest, hashed while the appliance started, into the new manifest. */
static int phase_input_digest(struct rewrite *rw) {
        int r = input_digest_finish(&rw->digest, rw->in256, rw->err);

        if (r < 0)
                return r;
        rw->mf = manifest_new(rw->r, rw->absin, rw->in256);
        return 0;
}

/* The libguestfs handle, quiet (errors are reported once, by us, with their context) unless --verbose. */
static int open_handle(struct rewrite *rw) {
        guestfs_h *g = guestfs_create();

        if (!g)
                return cvm_error_set(rw->err, ENOMEM, "cannot create a libguestfs handle");
        rw->ss.g = g;
        guestfs_set_error_handler(g, NULL, NULL);
        guestfs_set_verbose(g, rw->o->verbose);
        guestfs_set_trace(g, rw->o->verbose);
        /* Its own process group: a terminal's Ctrl-C reaches us, and we shut the appliance down. */
        guestfs_set_pgroup(g, 1);
        guestfs_set_network(g, rw->r->network);
        return 0;
}

/* The qcow2 overlay over the input (a disk qemu can read), grown to the recipe's size, as the appliance's disk. */
static int add_overlay(struct rewrite *rw) {
        const char *input = rw->o->input;
        _cleanup_free_ char *fmt = guestfs_disk_format(rw->ss.g, rw->absin);
        int r;

        if (!fmt || strcmp(fmt, "unknown") == 0)
                return cvm_error_set(rw->err, EINVAL, "--input %s: not a disk image qemu can read", input);
        /* qemu takes any file for raw data; a disk is whole sectors (a text file, say, is not). */
        if (strcmp(fmt, "raw") == 0 && rw->in_st.st_size % 512 != 0)
                return cvm_error_set(rw->err, EINVAL, "--input %s: not a disk image: raw data of %lld bytes, not whole 512-byte sectors",
                                     input, (long long) rw->in_st.st_size);
        if ((r = host_check_self_contained(input, rw->absin, fmt, rw->err)) < 0)
                return r;
        snprintf(rw->in_format, sizeof(rw->in_format), "%s", fmt);
        if (guestfs_disk_create(rw->ss.g, rw->overlay, "qcow2", -1, GUESTFS_DISK_CREATE_BACKINGFILE, rw->absin,
                                GUESTFS_DISK_CREATE_BACKINGFORMAT, fmt, -1) < 0)
                return cvm_error_set(rw->err, EIO, "--input %s: %s", input, guestfs_last_error(rw->ss.g));
        if (rw->r->size > 0 && (r = host_grow(rw->overlay, rw->r->size, rw->err)) < 0)
                return r;
        if (guestfs_add_drive_opts(rw->ss.g, rw->overlay, GUESTFS_ADD_DRIVE_OPTS_FORMAT, "qcow2", -1) < 0)
                return cvm_error_set(rw->err, EIO, "--input %s: %s", input, guestfs_last_error(rw->ss.g));
        /*
         * QEMU pauses the appliance when a write to the overlay fails with
         * ENOSPC (werror=enospc), and every later call then waits forever: a
         * full output file system must be an error instead.  libguestfs names
         * its first drive hd0 and has no option for this, hence -set.
         */
        if (guestfs_config(rw->ss.g, "-set", "drive.hd0.werror=report") < 0 ||
            guestfs_config(rw->ss.g, "-set", "drive.hd0.rerror=report") < 0)
                return cvm_error_set(rw->err, EIO, "the appliance's disk options: %s", guestfs_last_error(rw->ss.g));
        return 0;
}

static int phase_launch(struct rewrite *rw) {
        _cleanup_free_ char *backend = NULL;
        int r;

        if ((r = open_handle(rw)) < 0 || (r = add_overlay(rw)) < 0)
                return r;
        backend = guestfs_get_backend(rw->ss.g);
        log_info("launching the appliance (%s) ...", backend ? backend : "?");
        if ((r = watchdog_start(&rw->wd, rw->o->launch_timeout, rw->err)) < 0)
                return r;
        r = guestfs_launch(rw->ss.g);
        rw->wd.launching = false;
        if (r < 0 && rw->wd.timed_out)
                return cvm_error_set(rw->err, ETIMEDOUT, "the appliance did not start in %u s; set "
                                     "LIBGUESTFS_BACKEND_SETTINGS=force_tcg where KVM is not usable", rw->o->launch_timeout);
        if (r < 0)
                return cvm_error_set(rw->err, EIO, "appliance launch failed: %s", guestfs_last_error(rw->ss.g));
        rw->sum->launches = 1;
        log_info("appliance up in %.1f s", now_monotonic() - rw->t0);
        return 0;
}

/* Exactly one operating system, its file systems mounted: none is an image error, several unsupported (-EOPNOTSUPP). */
static int phase_inspect(struct rewrite *rw) {
        struct session *ss = &rw->ss;
        struct guest_os *os = &ss->os;
        double t0 = now_monotonic();
        int r;

        if ((r = inspect_guest(ss->g, os, rw->err)) < 0)
                return r;
        /* A file system that does not mount is a warning (session_mount says which), as libguestfs's tools treat it. */
        session_mount(ss);
        log_info("guest: %s %s %d.%d %s, root %s (%s inspection, %.1f s)", os->type, os->distro, os->major, os->minor,
                 os->arch, os->root, os->by, now_monotonic() - t0);
        manifest_guest(rw->mf, os->type, os->distro, os->major, os->minor, os->arch, os->root);
        return 0;
}

/* Before the long steps, so an image its TD could not measure fails in seconds (again after them: a step may change the kernel). */
static int phase_kernel_before(struct rewrite *rw) {
        return session_kernel_check(&rw->ss, "after inspection", false);
}

static int phase_support(struct rewrite *rw) {
        const struct session *ss = &rw->ss;

        for (size_t i = 0; i < rw->r->nplugins; i++)
                if (!plugin_supports(&rw->r->plugins[i], ss))
                        return cvm_error_set(rw->err, EOPNOTSUPP, "plugin %s does not support this guest (%s %s %d.%d)",
                                             rw->r->plugins[i].name, ss->os.type, ss->os.distro, ss->os.major, ss->os.minor);
        return 0;
}

/* A step's progress label: its first argument's first line (or first word of a list), cut at a word boundary when longer than fits. */
static void step_label(const struct step *s, char *buf, size_t size) {
        const struct arg *a = s->nargs ? &s->args[0] : NULL;
        /* A secret parameter substituted into the argument hides all of it. */
        const char *v = !a ? "" : a->secret ? SECRET_SHOWN : a->value ? a->value : a->list && a->list[0] ? a->list[0] : "";
        size_t n = strcspn(v, "\n"), cut = n;

        assert(size > 4);
        if (n >= size) {
                cut = size - 4;
                while (cut > 0 && v[cut] != ' ')
                        cut--;
                if (cut == 0)
                        cut = size - 4;
        }
        snprintf(buf, size, "%.*s%s", (int) cut, v, cut < strlen(v) ? "..." : "");
}

/* The steps of plugin p, numbered from *k of total. */
static int apply_plugin(struct rewrite *rw, const struct plugin *p, size_t *k, size_t total) {
        double t0 = now_monotonic();

        assert(p->steps || p->nsteps == 0);
        log_info("plugin %s (%zu steps)", p->name, p->nsteps);
        for (size_t j = 0; j < p->nsteps; j++) {
                const struct step *s = &p->steps[j];
                double ts = now_monotonic();
                char label[64];
                int r;
                if (rw_stop_signal())
                        return cvm_error_set(rw->err, EINTR, "interrupted by signal %d", rw_stop_signal());
                if ((r = step_run(&rw->ss, s)) < 0)
                        return r;
                step_label(s, label, sizeof(label));
                log_info("  [%zu/%zu] %s %s %.2f s", ++*k, total, s->kind, label, now_monotonic() - ts);
                manifest_step(rw->mf, p, s, now_monotonic() - ts);
                rw->sum->steps = *k;
        }
        log_info("plugin %s done in %.2f s", p->name, now_monotonic() - t0);
        return 0;
}

/* grub.cfg's sha256, "" when there is none, NULL on error. */
static char *grub_cfg_digest(guestfs_h *g) {
        return guestfs_is_file(g, GRUB_CFG) > 0 ? guestfs_checksum(g, "sha256", GRUB_CFG) : strdup("");
}

static int phase_grub_before(struct rewrite *rw) {
        if (!(rw->grub_before = grub_cfg_digest(rw->ss.g)))
                return cvm_error_set(rw->err, EIO, GRUB_CFG ": %s", guestfs_last_error(rw->ss.g));
        return 0;
}

/* A grub.cfg the steps regenerated has hints guessed from the appliance's name for the disk: rebased (grub_hints.h). */
static int phase_grub_hints(struct rewrite *rw) {
        guestfs_h *g = rw->ss.g;
        _cleanup_free_ char *after = grub_cfg_digest(g), *mountinfo = NULL, *cfg = NULL, *fixed = NULL;
        int index;

        if (!after)
                return cvm_error_set(rw->err, EIO, GRUB_CFG ": %s", guestfs_last_error(g));
        if (!*after || strcmp(after, rw->grub_before) == 0)
                return 0;
        if (!(cfg = guest_read_text(g, GRUB_CFG)))
                return cvm_error_set(rw->err, EIO, GRUB_CFG ": unreadable after the steps");
        /* No hint to rebase (a step edited the file, no grub-mkconfig ran): spare the shell, 0.5 s under TCG. */
        if (!grub_hints_any(cfg))
                return 0;
        /* cat runs in the guest, whose mounts the appliance's kernel names; a guest without a shell ran no update-grub. */
        if (!(mountinfo = guestfs_sh(g, "cat /proc/self/mountinfo")) || (index = grub_hints_disk_index(mountinfo)) <= 0)
                return 0;
        if (!(fixed = grub_hints_rebase(cfg, index)))
                return cvm_error_set(rw->err, ENOMEM, "out of memory");
        if (strcmp(fixed, cfg) == 0)
                return 0;
        if (guestfs_write(g, GRUB_CFG, fixed, strlen(fixed)) < 0)
                return cvm_error_set(rw->err, EIO, GRUB_CFG ": %s", guestfs_last_error(g));
        log_info("grub.cfg: search hints rebased from the appliance's disk %d onto the VM's first disk", index);
        return 0;
}

static int phase_apply(struct rewrite *rw) {
        size_t total = 0, k = 0;
        int r;

        for (size_t i = 0; i < rw->r->nplugins; i++)
                total += rw->r->plugins[i].nsteps;
        for (size_t i = 0; i < rw->r->nplugins; i++)
                if ((r = apply_plugin(rw, &rw->r->plugins[i], &k, total)) < 0)
                        return r;
        return 0;
}

static int phase_kernel_after(struct rewrite *rw) {
        int r = session_kernel_check(&rw->ss, "after the steps", true);

        if (r == 0)
                manifest_kernel(rw->mf, &rw->ss.kernel.facts, &rw->ss.kernel.caps);
        return r;
}

/* Each kernel and initramfs in /boot with its sha256 and sha384 (fetched to the host). */
static void boot_files(struct session *ss, struct manifest *mf) {
        static const char *const globs[] = { "/boot/vmlinuz-*", "/boot/initrd.img-*", "/boot/initramfs-*.img" };

        for (size_t gi = 0; gi < 3; gi++) {
                char **paths = guestfs_glob_expand(ss->g, globs[gi]);
                for (size_t i = 0; paths && paths[i]; i++) {
                        uint8_t md[GUEST_DIGEST_NALGS][CVM_DIGEST_MAX];
                        char d256[65], d384[97];
                        if (guest_file_digests(ss, paths[i], md, ss->err) == 0) {
                                cvm_hex(md[1], 32, d256);
                                cvm_hex(md[2], 48, d384);
                                manifest_boot_file(mf, paths[i], gi == 0 ? "kernel" : "initramfs", d256, d384);
                        }
                        free(paths[i]);
                }
                free(paths);
        }
}

/* The boot files' digests, the command line GRUB will pass and the reference values the guest will measure. */
static int phase_reference(struct rewrite *rw) {
        struct session *ss = &rw->ss;
        struct json_object *ref = NULL;
        struct grub_boot boot;
        double t0 = now_monotonic();
        int r;

        log_info("computing the reference values ...");
        boot_files(ss, rw->mf);
        grub_boot_read(ss->g, &boot);
        free(boot.kernel);
        ss->cmdline = boot.cmdline;
        manifest_cmdline(rw->mf, ss->cmdline);
        if ((r = reference_values(ss->g, ss->tmpdir, ss->cmdline, &ref, rw->err)) < 0) {
                json_object_put(ref);
                return r;
        }
        manifest_reference(rw->mf, ref);
        json_object_put(ref);
        if ((r = boot_chain_predict(ss, &(struct boot_chain_options) { rw->o->grub_device, rw->o->platform_values }, &ref,
                                    rw->err)) < 0)
                return r;
        manifest_boot_chain(rw->mf, ref);
        if ((r = manifest_firmware(rw->mf, rw->o->firmware, rw->o->firmware_vars, rw->err)) < 0)
                return r;
        log_info("reference values done in %.1f s", now_monotonic() - t0);
        return 0;
}

/* The guest's file systems closed and the appliance shut down: the overlay holds the result. */
static int phase_close(struct rewrite *rw) {
        if (guestfs_umount_all(rw->ss.g) < 0 || guestfs_shutdown(rw->ss.g) < 0)
                return cvm_error_set(rw->err, EIO, "closing the guest file systems: %s", guestfs_last_error(rw->ss.g));
        guestfs_close(rw->ss.g);
        rw->ss.g = NULL;
        watchdog_stop(&rw->wd);
        if (rw_stop_signal())
                return cvm_error_set(rw->err, EINTR, "interrupted by signal %d", rw_stop_signal());
        return 0;
}

static int sync_file(const char *path, cvm_error *err) {
        int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;

        if (fd < 0 || fsync(fd) < 0)
                r = cvm_error_set(err, errno, "%s: %s", path, strerror(errno));
        if (fd >= 0)
                close(fd);
        return r;
}

/* The overlay made into the output's temporary, on disk; the input checked unchanged. */
static int phase_write_output(struct rewrite *rw) {
        const struct output_image q = { .overlay = rw->overlay, .input = rw->absin, .input_format = rw->in_format,
                                        .part = rw->part, .format = rw->r->format, .compression = rw->r->compression };
        char out256[65];
        struct stat st;
        double t0;
        int r;

        if ((r = output_image_write(&q, &rw->sum->output_method, rw->err)) < 0 || (r = sync_file(rw->part, rw->err)) < 0)
                return r;
        /* The one cost left that follows the image's size, not the change: the manifest names the output by it. */
        t0 = now_monotonic();
        if ((r = file_digests(rw->part, out256, NULL, rw->err)) < 0 || (r = host_input_unchanged(rw->absin, &rw->in_st, rw->err)) < 0)
                return r;
        if (stat(rw->part, &st) == 0)
                rw->sum->output_size = st.st_size;
        log_info("output: its sha256 (%lld MiB) in %.1f s", rw->sum->output_size >> 20, now_monotonic() - t0);
        manifest_output(rw->mf, rw->o->output, out256, rw->r->format, rw->ss.warnings, rw->ss.nwarnings);
        return 0;
}

static int phase_manifest(struct rewrite *rw) {
        return manifest_write(rw->mf, rw->o->output, rw->err);
}

/* The output renamed into place, then its manifest: both or neither. */
static int phase_commit(struct rewrite *rw) {
        int r;

        if ((r = rename_durable(rw->part, rw->o->output, rw->err)) < 0)
                return r;
        if ((r = manifest_commit(rw->mf, rw->err)) < 0)
                unlink(rw->o->output);
        return r;
}

/* What a failing phase's error means; unsupported: what -EOPNOTSUPP from it means (RW_FAULT_NONE: as any error). */
static const struct phase {
        int (*run)(struct rewrite *rw);
        enum rw_fault fault, unsupported;
        enum rw_stage stage;
} phases[] = {
        { phase_input, RW_FAULT_IMAGE, RW_FAULT_NONE, RW_STAGE_PREPARE },
        { phase_output, RW_FAULT_OUTPUT, RW_FAULT_NONE, RW_STAGE_PREPARE },
        { phase_prepare, RW_FAULT_IMAGE, RW_FAULT_NONE, RW_STAGE_PREPARE },
        { phase_launch, RW_FAULT_IMAGE, RW_FAULT_NONE, RW_STAGE_LAUNCH },
        { phase_input_digest, RW_FAULT_IMAGE, RW_FAULT_NONE, RW_STAGE_PREPARE },
        { phase_inspect, RW_FAULT_IMAGE, RW_FAULT_UNSUPPORTED, RW_STAGE_STEPS },
        { phase_kernel_before, RW_FAULT_IMAGE, RW_FAULT_NONE, RW_STAGE_STEPS },
        { phase_support, RW_FAULT_UNSUPPORTED, RW_FAULT_NONE, RW_STAGE_STEPS },
        { phase_grub_before, RW_FAULT_IMAGE, RW_FAULT_NONE, RW_STAGE_STEPS },
        { phase_apply, RW_FAULT_IMAGE, RW_FAULT_NONE, RW_STAGE_STEPS },
        { phase_grub_hints, RW_FAULT_IMAGE, RW_FAULT_NONE, RW_STAGE_STEPS },
        { phase_kernel_after, RW_FAULT_IMAGE, RW_FAULT_NONE, RW_STAGE_STEPS },
        { phase_reference, RW_FAULT_IMAGE, RW_FAULT_NONE, RW_STAGE_REFERENCE },
        { phase_close, RW_FAULT_IMAGE, RW_FAULT_NONE, RW_STAGE_OUTPUT },
        { phase_write_output, RW_FAULT_IMAGE, RW_FAULT_NONE, RW_STAGE_OUTPUT },
        { phase_manifest, RW_FAULT_IMAGE, RW_FAULT_NONE, RW_STAGE_OUTPUT },
        { phase_commit, RW_FAULT_IMAGE, RW_FAULT_NONE, RW_STAGE_OUTPUT },
};

const char *rw_stage_name(enum rw_stage s) {
        static const char *const names[RW_STAGE_N] = {
                [RW_STAGE_PREPARE] = "prepare", [RW_STAGE_LAUNCH] = "launch", [RW_STAGE_STEPS] = "steps",
                [RW_STAGE_REFERENCE] = "reference values", [RW_STAGE_OUTPUT] = "output",
        };

        return s < RW_STAGE_N ? names[s] : "?";
}

/* The appliance ended, the temporaries removed (or kept with --keep-temp after a failure), the signals given back. */
static void finish(struct rewrite *rw, int r) {
        const struct rw_options *o = rw->o;

        if (rw->ss.g) {
                guestfs_shutdown(rw->ss.g);
                guestfs_close(rw->ss.g);
        }
        watchdog_stop(&rw->wd);
        input_digest_cancel(&rw->digest);
        /* Whatever failed after a signal failed because of it (the watchdog ended the appliance). */
        if (r < 0 && rw_stop_signal()) {
                rw->sum->fault = RW_FAULT_SIGNAL;
                rw->sum->signal = rw_stop_signal();
                cvm_error_set(rw->err, EINTR, "interrupted by signal %d", rw_stop_signal());
        }
        if (r < 0)
                manifest_abort(rw->mf);
        manifest_free(rw->mf);
        if (rw->caught && (!o->keep_temp || r == 0)) {
                unlink(rw->overlay);
                unlink(rw->part);
                remove_tree(rw->ss.tmpdir);
        } else if (rw->caught) {
                log_info("kept %s and %s (--keep-temp)", rw->overlay, rw->ss.tmpdir);
        }
        if (rw->caught)
                rw_signals_restore(rw->old_signals);
        session_clear(&rw->ss);
        free(rw->grub_before);
        free(rw->absin);
        rw->sum->wall = now_monotonic() - rw->t0;
}

int rewrite_run(const struct recipe *r, const struct rw_options *o, struct rw_summary *sum, cvm_error *err) {
        struct rewrite rw = { .r = r, .o = o, .sum = sum, .err = err, .ss = { .err = err, .recipe = r }, .digest = { .fd = -1 },
                              .t0 = now_monotonic() };
        int rr = 0;

        assert(r && o && o->input && o->output && sum && err);
        sum->fault = RW_FAULT_NONE;
        for (size_t i = 0; rr == 0 && i < sizeof(phases) / sizeof(phases[0]); i++) {
                double t0 = now_monotonic();
                if ((rr = phases[i].run(&rw)) < 0)
                        sum->fault = rr == -EOPNOTSUPP && phases[i].unsupported ? phases[i].unsupported : phases[i].fault;
                sum->stage[phases[i].stage] += now_monotonic() - t0;
        }
        finish(&rw, rr);
        return rr;
}
