/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One rewrite: a qcow2 overlay over the input (which qemu opens read-only as
 * its backing file), one appliance launch that inspects the guest and runs
 * every step, the reference values, then qemu-img converts the overlay into a
 * temporary file beside the output, which is fsynced and renamed.  Every
 * temporary is named .OUT.cvm-rewrite.PID.*: an error or SIGINT/SIGTERM
 * removes them; after SIGKILL the next run removes those of dead PIDs.  The
 * launch is bounded, and no child process outlives the session (the watchdog).
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cvmbase/base.h"
#include "cvm/digest.h"
#include "cvm/encoding.h"
#include "manifest.h"
#include "reference.h"
#include "session.h"

extern char **environ;

/* Read by the watchdog thread too: an atomic int (lock-free, so also safe to store from the handler). */
static atomic_int stop_signal;

/* The first signal ends the appliance (the watchdog) and the run cleans up; a second one exits at once (the next run cleans up). */
static void on_signal(int sig) {
        if (stop_signal)
                _exit(128 + sig);
        stop_signal = sig;
}

/*
 * The appliance watchdog.  guestfs_launch cannot be interrupted (it retries
 * on EINTR, and the handle's lock keeps guestfs_get_pid and
 * guestfs_kill_subprocess waiting until it returns), and where /dev/kvm
 * exists but does not work it never returns.  So a thread watches while the
 * handle has processes: past the launch deadline, or at the first
 * SIGINT/SIGTERM/SIGHUP, it kills every child of ours (qemu, libguestfs's
 * recovery process, supermin) and its process group; the call in progress
 * then fails, and the session ends as for any error.
 */
struct watchdog {
        pthread_t thread;
        bool started;
        atomic_bool launching, done, timed_out;
        double deadline;
};

/* SIGKILL to each child of this process, and to its process group when it leads one (qemu does: set_pgroup). */
static void kill_children(void) {
        struct dirent *de;
        DIR *d = opendir("/proc");

        if (!d)
                return;
        while ((de = readdir(d))) {
                char path[64], buf[512], *p;
                long ppid, pgrp;
                ssize_t n;
                int fd;
                if (de->d_name[0] < '1' || de->d_name[0] > '9' ||
                    (size_t) snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name) >= sizeof(path) ||
                    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
                        continue;
                n = read(fd, buf, sizeof(buf) - 1);
                close(fd);
                /* pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so parse after the last ')'. */
                if (n <= 0)
                        continue;
                buf[n] = '\0';
                if (!(p = strrchr(buf, ')')) || sscanf(p + 1, " %*c %ld %ld", &ppid, &pgrp) != 2 || ppid != (long) getpid())
                        continue;
                long pid = strtol(de->d_name, NULL, 10);
                if (pgrp == pid)
                        kill((pid_t) -pid, SIGKILL);
                kill((pid_t) pid, SIGKILL);
        }
        closedir(d);
}

static void *watch(void *arg) {
        struct watchdog *w = arg;
        const struct timespec tick = { 0, 100 * 1000 * 1000 };

        while (!w->done) {
                bool late = w->launching && now_monotonic() > w->deadline;
                if (stop_signal || late) {
                        w->timed_out = late && !stop_signal;
                        kill_children();
                        return NULL;
                }
                nanosleep(&tick, NULL);
        }
        return NULL;
}

/* Start watching the launch, which has seconds to succeed. */
static int watchdog_start(struct watchdog *w, unsigned seconds, cvm_error *err) {
        sigset_t all, old;
        int r;

        w->launching = true;
        w->deadline = now_monotonic() + seconds;
        /* The signals go to the main thread, where they interrupt the call in progress. */
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        r = pthread_create(&w->thread, NULL, watch, w);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (r != 0)
                return cvm_error_set(err, r, "cannot start the appliance watchdog: %s", strerror(r));
        w->started = true;
        return 0;
}

/* Stop watching (the appliance has shut down, or never started). */
static void watchdog_stop(struct watchdog *w) {
        if (!w->started)
                return;
        w->done = true;
        pthread_join(w->thread, NULL);
        w->started = false;
}

char *session_read_text(struct session *ss, const char *path) {
        size_t n;
        char *t;

        if (guestfs_is_file_opts(ss->g, path, GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS, 1, -1) <= 0 ||
            !(t = guestfs_read_file(ss->g, path, &n)))
                return NULL;
        if (strlen(t) != n) {
                free(t);
                return NULL;
        }
        return t;
}

int session_programs_dir(char *dir, size_t size, cvm_error *err) {
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

        if (n < 0)
                return cvm_error_set(err, errno, "/proc/self/exe: %s", strerror(errno));
        exe[n] = '\0';
        if ((size_t) snprintf(dir, size, "%s", dirname(exe)) >= size)
                return cvm_error_set(err, ENAMETOOLONG, "%s: path too long", exe);
        return 0;
}

void session_warn(struct session *ss, const char *fmt, ...) {
        char *msg = NULL, **w;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        if (!msg)
                return;
        log_warning("%s", msg);
        w = realloc(ss->warnings, (ss->nwarnings + 1) * sizeof(char *));
        if (!w) {
                free(msg);
                return;
        }
        ss->warnings = w;
        ss->warnings[ss->nwarnings++] = msg;
}

bool plugin_supports(const struct plugin *p, const struct session *ss) {
        if (!p->families)
                return true;
        for (char **f = p->families; *f; f++)
                if ((ss->distro && strcmp(*f, ss->distro) == 0) || (ss->type && strcmp(*f, ss->type) == 0))
                        return true;
        return false;
}

/* sha256 (and sha384 when out384) of a host file as hex, streamed by libcvm; never blocks on a FIFO or device put in its place. */
int file_digests(const char *path, char out256[65], char *out384, cvm_error *err) {
        static const uint16_t algs[] = { CVM_ALG_SHA256, CVM_ALG_SHA384 };
        uint8_t md[2][CVM_DIGEST_MAX];
        int r = cvm_digest_file(path, algs, out384 ? 2 : 1, md, err);

        if (r < 0)
                return r;
        cvm_hex(md[0], 32, out256);
        if (out384)
                cvm_hex(md[1], 48, out384);
        return 0;
}

/* The input: a non-empty regular file (never waiting on a FIFO or a device); exit 5 otherwise. */
static int check_input(const char *input, struct stat *st, cvm_error *err) {
        int fd = open(input, O_RDONLY | O_NONBLOCK | O_CLOEXEC), r = 0;

        if (fd < 0)
                return cvm_error_set(err, errno, "--input %s: %s", input, strerror(errno));
        if (fstat(fd, st) < 0)
                r = cvm_error_set(err, errno, "--input %s: %s", input, strerror(errno));
        else if (!S_ISREG(st->st_mode))
                r = cvm_error_set(err, EINVAL, "--input %s is %s, not a disk image file", input, file_type_name(st->st_mode));
        else if (st->st_size == 0)
                r = cvm_error_set(err, EINVAL, "--input %s is empty (0 bytes), not a disk image", input);
        close(fd);
        return r;
}

/* Whether path names the file in (same device and inode, whatever the path's form). */
static bool same_file(const char *path, const struct stat *in) {
        struct stat st;
        return stat(path, &st) == 0 && st.st_dev == in->st_dev && st.st_ino == in->st_ino;
}

/*
 * What the end of a rewrite replaces (the output and its manifest) must not be
 * the input, by any path (symlink, hard link, ./), and must be a regular file
 * or absent; its directory must exist and be writable.  Exit 1 otherwise.
 */
static int check_output(const char *output, const char *dir, const char *input, const struct stat *in, cvm_error *err) {
        char manifest[PATH_MAX + 32];
        const char *const targets[] = { output, manifest };
        struct stat st;

        if (stat(dir, &st) < 0)
                return cvm_error_set(err, errno, "--output %s: its directory %s: %s", output, dir, strerror(errno));
        if (!S_ISDIR(st.st_mode))
                return cvm_error_set(err, ENOTDIR, "--output %s: %s is not a directory", output, dir);
        if (access(dir, W_OK) < 0)
                return cvm_error_set(err, errno, "--output %s: cannot write in %s: %s", output, dir, strerror(errno));
        if ((size_t) snprintf(manifest, sizeof(manifest), "%s.manifest.json", output) >= sizeof(manifest))
                return cvm_error_set(err, ENAMETOOLONG, "--output %s: path too long", output);
        for (size_t i = 0; i < 2; i++) {
                if (same_file(targets[i], in))
                        return cvm_error_set(err, EEXIST, "--output %s: %s is the input %s (the same file): write the output "
                                             "elsewhere, the input is never modified", output, targets[i], input);
                if (stat(targets[i], &st) == 0 && !S_ISREG(st.st_mode))
                        return cvm_error_set(err, EEXIST, "--output %s: %s is %s: the output replaces a regular file or nothing",
                                             output, targets[i], file_type_name(st.st_mode));
        }
        return 0;
}

/* qemu-img with argv, the child killed if a signal asks us to stop; 0 when it exited 0, else its status. */
static int qemu_img(char **argv, int *status, cvm_error *err) {
        pid_t pid;

        if (posix_spawnp(&pid, "qemu-img", NULL, NULL, argv, environ) != 0)
                return cvm_error_set(err, errno, "cannot run qemu-img: %s", strerror(errno));
        while (waitpid(pid, status, 0) < 0) {
                if (errno != EINTR)
                        return cvm_error_set(err, errno, "waitpid: %s", strerror(errno));
                if (stop_signal)
                        kill(pid, SIGTERM);
        }
        if (stop_signal)
                return cvm_error_set(err, EINTR, "interrupted by signal %d", (int) stop_signal);
        return 0;
}

/* The overlay grown to the recipe's size (libguestfs creates overlays at their backing file's size). */
static int grow(const char *overlay, int64_t size, cvm_error *err) {
        char bytes[32], *argv[] = { "qemu-img", "resize", "-q", "-f", "qcow2", (char *) overlay, bytes, NULL };
        int status, r;

        snprintf(bytes, sizeof(bytes), "%lld", (long long) size);
        if ((r = qemu_img(argv, &status, err)) < 0)
                return r;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return cvm_error_set(err, EINVAL, "cannot grow the disk to %lld bytes (smaller than the input?)",
                                     (long long) size);
        return 0;
}

/* qemu-img convert of the overlay into the output's temporary. */
static int convert(const char *overlay, const char *tmp, const struct recipe *r, cvm_error *err) {
        char *argv[] = { "qemu-img", "convert", "-q", "-O", r->format, "-f", "qcow2", NULL, NULL, NULL, NULL };
        int n = 7, status, rr;

        if (strcmp(r->compression, "zlib") == 0)
                argv[n++] = "-c";
        argv[n++] = (char *) overlay;
        argv[n++] = (char *) tmp;
        if ((rr = qemu_img(argv, &status, err)) < 0)
                return rr;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return cvm_error_set(err, EIO, "qemu-img convert to %s failed (exit %d): no space, or a bad image?",
                                     tmp, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return 0;
}

int session_mount(struct session *ss) {
        char **mps = guestfs_inspect_get_mountpoints(ss->g, ss->root);
        int failed = 0;

        if (!mps)
                return -EIO;
        /* Pairs of mountpoint, device. */
        for (size_t len = 1; len < PATH_MAX; len++)
                for (size_t i = 0; mps[i]; i += 2)
                        if (strlen(mps[i]) == len && guestfs_mount(ss->g, mps[i + 1], mps[i]) < 0) {
                                session_warn(ss, "cannot mount %s on %s: %s", mps[i + 1], mps[i], guestfs_last_error(ss->g));
                                failed++;
                        }
        for (size_t i = 0; mps[i]; i++)
                free(mps[i]);
        free(mps);
        return failed;
}

static int inspect(struct session *ss, int *exit_code) {
        char **roots = guestfs_inspect_os(ss->g);
        size_t n = 0;

        while (roots && roots[n])
                n++;
        if (n != 1) {
                for (size_t i = 0; i < n; i++)
                        free(roots[i]);
                free(roots);
                /* None: not a system image at all (an image error); several: one this tool does not handle. */
                *exit_code = n ? RW_EXIT_UNSUPPORTED : RW_EXIT_IMAGE;
                return cvm_error_set(ss->err, ENOENT, "the image holds %zu operating systems; cvm-rewrite needs exactly one", n);
        }
        ss->root = roots[0];
        free(roots);
        ss->type = guestfs_inspect_get_type(ss->g, ss->root);
        ss->distro = guestfs_inspect_get_distro(ss->g, ss->root);
        ss->arch = guestfs_inspect_get_arch(ss->g, ss->root);
        ss->major = guestfs_inspect_get_major_version(ss->g, ss->root);
        ss->minor = guestfs_inspect_get_minor_version(ss->g, ss->root);
        if (session_mount(ss) < 0)
                return cvm_error_set(ss->err, EIO, "inspection: %s", guestfs_last_error(ss->g));
        return 0;
}

/* A step's progress label: its first argument's first line (or first word of a list), cut at a word boundary when longer than fits. */
static void step_label(const struct step *s, char *buf, size_t size) {
        const struct arg *a = s->nargs ? &s->args[0] : NULL;
        /* A secret parameter substituted into the argument hides all of it. */
        const char *v = !a ? "" : a->secret ? SECRET_SHOWN : a->value ? a->value : a->list && a->list[0] ? a->list[0] : "";
        size_t n = strcspn(v, "\n"), cut = n;

        if (n >= size) {
                cut = size - 4;
                while (cut > 0 && v[cut] != ' ')
                        cut--;
                if (cut == 0)
                        cut = size - 4;
        }
        snprintf(buf, size, "%.*s%s", (int) cut, v, cut < strlen(v) ? "..." : "");
}

static int run_steps(struct session *ss, const struct recipe *r, struct manifest *mf, struct rw_summary *sum,
                     int *exit_code) {
        size_t total = 0, k = 0;

        for (size_t i = 0; i < r->nplugins; i++) {
                total += r->plugins[i].nsteps;
                if (!plugin_supports(&r->plugins[i], ss)) {
                        *exit_code = RW_EXIT_UNSUPPORTED;
                        return cvm_error_set(ss->err, EOPNOTSUPP, "plugin %s does not support this guest (%s %s %d.%d)",
                                             r->plugins[i].name, ss->type, ss->distro, ss->major, ss->minor);
                }
        }
        for (size_t i = 0; i < r->nplugins; i++) {
                const struct plugin *p = &r->plugins[i];
                double t0 = now_monotonic();
                log_info("plugin %s (%zu steps)", p->name, p->nsteps);
                for (size_t j = 0; j < p->nsteps; j++) {
                        const struct step *s = &p->steps[j];
                        double ts = now_monotonic();
                        char label[64];
                        int rr;
                        if (stop_signal)
                                return cvm_error_set(ss->err, EINTR, "interrupted by signal %d", (int) stop_signal);
                        rr = step_run(ss, s);
                        if (rr < 0) {
                                *exit_code = RW_EXIT_IMAGE;
                                return rr;
                        }
                        step_label(s, label, sizeof(label));
                        log_info("  [%zu/%zu] %s %s %.2f s", ++k, total, s->kind, label, now_monotonic() - ts);
                        manifest_step(mf, p, s, now_monotonic() - ts);
                        sum->steps = k;
                }
                log_info("plugin %s done in %.2f s", p->name, now_monotonic() - t0);
        }
        return 0;
}

/* Each kernel and initramfs in /boot with its sha256 and sha384 (fetched to the host). */
static int boot_files(struct session *ss, struct manifest *mf) {
        static const char *const globs[] = { "/boot/vmlinuz-*", "/boot/initrd.img-*", "/boot/initramfs-*.img" };
        for (size_t gi = 0; gi < 3; gi++) {
                char **paths = guestfs_glob_expand(ss->g, globs[gi]);
                for (size_t i = 0; paths && paths[i]; i++) {
                        char host[PATH_MAX], d256[65], d384[97];
                        if ((size_t) snprintf(host, sizeof(host), "%s/boot-file", ss->tmpdir) < sizeof(host) &&
                            guestfs_download(ss->g, paths[i], host) == 0 && file_digests(host, d256, d384, ss->err) == 0)
                                manifest_boot_file(mf, paths[i], gi == 0 ? "kernel" : "initramfs", d256, d384);
                        unlink(host);
                        free(paths[i]);
                }
                free(paths);
        }
        return 0;
}

int rewrite_run(const struct recipe *r, const struct rw_options *o, struct rw_summary *sum, int *exit_code,
                cvm_error *err) {
        struct session ss = { .err = err, .recipe = r };
        struct watchdog wd = { 0 };
        char dir[PATH_MAX], base[PATH_MAX], overlay[PATH_MAX], part[PATH_MAX], in256[65], after256[65], out256[65];
        _cleanup_free_ char *fmt = NULL, *absin = NULL;
        struct manifest *mf = NULL;
        struct json_object *ref = NULL;
        struct sigaction sa = { .sa_handler = on_signal }, old[3];
        static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
        struct stat in_st, st;
        double t0 = now_monotonic(), tphase;
        int64_t disk;
        int rr;

        *exit_code = RW_EXIT_IMAGE;
        {
                char d[PATH_MAX], b[PATH_MAX];
                snprintf(d, sizeof(d), "%s", o->output);
                snprintf(b, sizeof(b), "%s", o->output);
                snprintf(dir, sizeof(dir), "%s", dirname(d));
                snprintf(base, sizeof(base), "%s", basename(b));
        }
        if ((rr = check_input(o->input, &in_st, err)) < 0)
                return rr;
        if ((rr = check_output(o->output, dir, o->input, &in_st, err)) < 0) {
                *exit_code = RW_EXIT_USAGE;
                return rr;
        }
        temp_sweep_stale(o->output, "cvm-rewrite", &in_st);
        if (!(absin = realpath(o->input, NULL)))
                return cvm_error_set(err, errno, "--input %s: %s", o->input, strerror(errno));
        if ((size_t) snprintf(overlay, sizeof(overlay), "%s/.%s.cvm-rewrite.%ld.overlay.qcow2", dir, base, (long) getpid()) >= sizeof(overlay) ||
            (size_t) snprintf(part, sizeof(part), "%s/.%s.cvm-rewrite.%ld.part", dir, base, (long) getpid()) >= sizeof(part) ||
            (size_t) snprintf(ss.tmpdir, sizeof(ss.tmpdir), "%s/.%s.cvm-rewrite.%ld.d", dir, base, (long) getpid()) >= sizeof(ss.tmpdir))
                return cvm_error_set(err, ENAMETOOLONG, "--output %s: path too long", o->output);
        if ((rr = file_digests(absin, in256, NULL, err)) < 0)
                return rr;
        for (int i = 0; i < 3; i++)
                sigaction(sigs[i], &sa, &old[i]);
        stop_signal = 0;
        if (mkdir(ss.tmpdir, 0700) < 0) {
                rr = cvm_error_set(err, errno, "%s: %s", ss.tmpdir, strerror(errno));
                goto out;
        }
        if (!(ss.g = guestfs_create())) {
                rr = cvm_error_set(err, ENOMEM, "cannot create a libguestfs handle");
                goto out;
        }
        /* Errors are reported once, by us, with their context; not also by libguestfs's default handler. */
        guestfs_set_error_handler(ss.g, NULL, NULL);
        guestfs_set_verbose(ss.g, o->verbose);
        guestfs_set_trace(ss.g, o->verbose);
        /* Its own process group: a terminal's Ctrl-C reaches us, and we shut the appliance down. */
        guestfs_set_pgroup(ss.g, 1);
        guestfs_set_network(ss.g, r->network);
        mf = manifest_new(r, absin, in256);
        if (!(fmt = guestfs_disk_format(ss.g, absin)) || strcmp(fmt, "unknown") == 0) {
                rr = cvm_error_set(err, EINVAL, "--input %s: not a disk image qemu can read", o->input);
                goto out;
        }
        /* qemu takes any file for raw data; a disk is whole sectors (a text file, say, is not). */
        if (strcmp(fmt, "raw") == 0 && in_st.st_size % 512 != 0) {
                rr = cvm_error_set(err, EINVAL, "--input %s: not a disk image: raw data of %lld bytes, not whole 512-byte sectors",
                                   o->input, (long long) in_st.st_size);
                goto out;
        }
        if (guestfs_disk_create(ss.g, overlay, "qcow2", -1, GUESTFS_DISK_CREATE_BACKINGFILE, absin,
                                GUESTFS_DISK_CREATE_BACKINGFORMAT, fmt, -1) < 0) {
                rr = cvm_error_set(err, EIO, "--input %s: %s", o->input, guestfs_last_error(ss.g));
                goto out;
        }
        if (r->size > 0 && (rr = grow(overlay, r->size, err)) < 0)
                goto out;
        if (guestfs_add_drive_opts(ss.g, overlay, GUESTFS_ADD_DRIVE_OPTS_FORMAT, "qcow2", -1) < 0) {
                rr = cvm_error_set(err, EIO, "--input %s: %s", o->input, guestfs_last_error(ss.g));
                goto out;
        }
        {
                _cleanup_free_ char *backend = guestfs_get_backend(ss.g);
                log_info("launching the appliance (%s) ...", backend ? backend : "?");
        }
        if ((rr = watchdog_start(&wd, o->launch_timeout, err)) < 0)
                goto out;
        rr = guestfs_launch(ss.g);
        wd.launching = false;
        if (rr < 0 && wd.timed_out) {
                rr = cvm_error_set(err, ETIMEDOUT, "the appliance did not start in %u s; set "
                                   "LIBGUESTFS_BACKEND_SETTINGS=force_tcg where KVM is not usable", o->launch_timeout);
                goto out;
        }
        if (rr < 0) {
                rr = cvm_error_set(err, EIO, "appliance launch failed: %s", guestfs_last_error(ss.g));
                goto out;
        }
        sum->launches = 1;
        log_info("appliance up in %.1f s", now_monotonic() - t0);
        if ((rr = inspect(&ss, exit_code)) < 0)
                goto out;
        log_info("guest: %s %s %d.%d %s, root %s", ss.type, ss.distro, ss.major, ss.minor, ss.arch,
                ss.root);
        manifest_guest(mf, ss.type, ss.distro, ss.major, ss.minor, ss.arch, ss.root);
        /* Before the long steps, so an image its TD could not measure fails in seconds; again after them (a step may change the kernel). */
        if ((rr = session_kernel_check(&ss, "after inspection", false)) < 0)
                goto out;
        if ((rr = run_steps(&ss, r, mf, sum, exit_code)) < 0)
                goto out;
        if ((rr = session_kernel_check(&ss, "after the steps", true)) < 0) {
                *exit_code = RW_EXIT_IMAGE;
                goto out;
        }
        manifest_kernel(mf, &ss.kernel.facts, &ss.kernel.caps);
        log_info("computing the reference values ...");
        tphase = now_monotonic();
        boot_files(&ss, mf);
        ss.cmdline = session_boot_cmdline(&ss);
        manifest_cmdline(mf, ss.cmdline);
        if ((rr = reference_values(ss.g, ss.tmpdir, ss.cmdline, &ref, err)) < 0)
                goto out;
        manifest_reference(mf, ref);
        disk = guestfs_blockdev_getsize64(ss.g, "/dev/sda");
        log_info("reference values done in %.1f s", now_monotonic() - tphase);
        if (guestfs_umount_all(ss.g) < 0 || guestfs_shutdown(ss.g) < 0) {
                rr = cvm_error_set(err, EIO, "closing the guest file systems: %s", guestfs_last_error(ss.g));
                goto out;
        }
        guestfs_close(ss.g);
        ss.g = NULL;
        watchdog_stop(&wd);
        if (stop_signal) {
                rr = cvm_error_set(err, EINTR, "interrupted by signal %d", (int) stop_signal);
                goto out;
        }
        /* qemu-img reads the whole disk here: say so, the phase takes a while for a large one. */
        log_info("converting the output (%s%s, %lld MiB disk) into %s ...", r->format,
                strcmp(r->compression, "zlib") == 0 ? ", compressed" : "", (long long) (disk >> 20), o->output);
        tphase = now_monotonic();
        if ((rr = convert(overlay, part, r, err)) < 0)
                goto out;
        log_info("converted in %.1f s", now_monotonic() - tphase);
        {
                int fd = open(part, O_RDONLY | O_CLOEXEC);
                if (fd < 0 || fsync(fd) < 0) {
                        rr = cvm_error_set(err, errno, "%s: %s", part, strerror(errno));
                        if (fd >= 0)
                                close(fd);
                        goto out;
                }
                close(fd);
        }
        if ((rr = file_digests(part, out256, NULL, err)) < 0 || (rr = file_digests(absin, after256, NULL, err)) < 0)
                goto out;
        if (strcmp(in256, after256) != 0) {
                rr = cvm_error_set(err, EIO, "the input's sha256 changed during the rewrite (%s -> %s): something else wrote it",
                                   in256, after256);
                goto out;
        }
        stat(part, &st);
        sum->output_size = st.st_size;
        manifest_output(mf, o->output, out256, r->format, ss.warnings, ss.nwarnings);
        if ((rr = manifest_write(mf, o->output, err)) < 0)
                goto out;
        if ((rr = rename_durable(part, o->output, err)) < 0)
                goto out;
        if ((rr = manifest_commit(mf, err)) < 0) {
                unlink(o->output);
                goto out;
        }
        rr = 0;
        *exit_code = RW_EXIT_OK;
out:
        if (ss.g) {
                guestfs_shutdown(ss.g);
                guestfs_close(ss.g);
        }
        watchdog_stop(&wd);
        /* Whatever failed after a signal failed because of it (the watchdog ended the appliance). */
        if (rr < 0 && stop_signal) {
                *exit_code = 128 + stop_signal;
                cvm_error_set(err, EINTR, "interrupted by signal %d", (int) stop_signal);
        }
        if (rr < 0)
                manifest_abort(mf);
        manifest_free(mf);
        json_object_put(ref);
        if (!o->keep_temp || rr == 0) {
                unlink(overlay);
                unlink(part);
                remove_tree(ss.tmpdir);
        } else {
                log_info("kept %s and %s (--keep-temp)", overlay, ss.tmpdir);
        }
        for (int i = 0; i < 3; i++)
                sigaction(sigs[i], &old[i], NULL);
        free(ss.root);
        free(ss.type);
        free(ss.distro);
        free(ss.arch);
        free(ss.cmdline);
        boot_kernel_clear(&ss.kernel);
        for (size_t i = 0; i < ss.nwarnings; i++)
                free(ss.warnings[i]);
        free(ss.warnings);
        sum->wall = now_monotonic() - t0;
        return rr;
}
