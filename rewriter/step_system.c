/* SPDX-License-Identifier: Apache-2.0 */
/* The system step kinds: run, firstboot, hostname, timezone, install (packages), enable-service. */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cvmbase/base.h"
#include "guest_read.h"
#include "step_kind.h"

static int run_run(struct session *ss, const struct step *s) {
        const char *cmd = step_arg(s, "command");
        _cleanup_free_ char *out = guestfs_sh(ss->g, cmd);

        if (!out)
                return step_gfail(ss, s, cmd);
        return 0;
}

#define FIRSTBOOT_DIR "/usr/local/lib/cvm-firstboot"
#define FIRSTBOOT_UNIT "/etc/systemd/system/cvm-firstboot.service"

static int run_firstboot(struct session *ss, const struct step *s) {
        static const char unit[] =
                "[Unit]\nDescription=cvm-rewrite first-boot commands\nConditionDirectoryNotEmpty=" FIRSTBOOT_DIR
                "\nAfter=network-online.target\n\n[Service]\nType=oneshot\n"
                "ExecStart=/bin/sh -c 'for f in " FIRSTBOOT_DIR "/*.sh; do \"$f\" && rm -f \"$f\"; done'\n\n"
                "[Install]\nWantedBy=multi-user.target\n";
        char path[PATH_MAX];
        _cleanup_free_ char *script = NULL;
        char **ls;
        size_t n = 0;

        if (guestfs_mkdir_p(ss->g, FIRSTBOOT_DIR) < 0 || !(ls = guestfs_ls(ss->g, FIRSTBOOT_DIR)))
                return step_gfail(ss, s, FIRSTBOOT_DIR);
        while (ls[n])
                free(ls[n++]);
        free(ls);
        snprintf(path, sizeof(path), FIRSTBOOT_DIR "/%02zu-%s.sh", n, s->plugin->name);
        if (asprintf(&script, "#!/bin/sh\n%s\n", step_arg(s, "command")) < 0)
                return step_fail(ss, s, "out of memory");
        if (guestfs_write(ss->g, path, script, strlen(script)) < 0 || guestfs_chmod(ss->g, 0755, path) < 0 ||
            guestfs_write(ss->g, FIRSTBOOT_UNIT, unit, sizeof(unit) - 1) < 0 ||
            guestfs_mkdir_p(ss->g, "/etc/systemd/system/multi-user.target.wants") < 0 ||
            guestfs_ln_sf(ss->g, FIRSTBOOT_UNIT, "/etc/systemd/system/multi-user.target.wants/cvm-firstboot.service") < 0)
                return step_gfail(ss, s, path);
        return 0;
}

static int run_hostname(struct session *ss, const struct step *s) {
        const char *name = step_arg(s, "name");
        _cleanup_free_ char *text = NULL, *hosts = NULL, *out = NULL;
        size_t n = 0;

        if (asprintf(&text, "%s\n", name) < 0)
                return step_fail(ss, s, "out of memory");
        if (guestfs_write(ss->g, "/etc/hostname", text, strlen(text)) < 0)
                return step_gfail(ss, s, "/etc/hostname");
        if (guestfs_exists(ss->g, "/etc/hosts") > 0 && !(hosts = guest_read_file(ss->g, "/etc/hosts", &n)))
                return step_gfail(ss, s, "/etc/hosts");
        if (!(out = malloc(n + strlen(name) + 32)))
                return step_fail(ss, s, "out of memory");
        out[0] = '\0';
        for (char *save, *line = hosts ? strtok_r(hosts, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save))
                if (strncmp(line, "127.0.1.1", 9) != 0)
                        strcat(strcat(out, line), "\n");
        strcat(strcat(strcat(out, "127.0.1.1\t"), name), "\n");
        if (guestfs_write(ss->g, "/etc/hosts", out, strlen(out)) < 0)
                return step_gfail(ss, s, "/etc/hosts");
        return 0;
}

static int run_timezone(struct session *ss, const struct step *s) {
        const char *zone = step_arg(s, "zone");
        char zp[PATH_MAX], text[PATH_MAX];

        snprintf(zp, sizeof(zp), "/usr/share/zoneinfo/%s", zone);
        /* tzdata ships UTC and many zones as symlinks (UTC -> Etc/UTC). */
        if (guestfs_is_file_opts(ss->g, zp, GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS, 1, -1) <= 0)
                return step_fail(ss, s, "%s is not in the guest (no such time zone, or tzdata missing)", zp);
        snprintf(text, sizeof(text), "%s\n", zone);
        if (guestfs_ln_sf(ss->g, zp, "/etc/localtime") < 0 || guestfs_write(ss->g, "/etc/timezone", text, strlen(text)) < 0)
                return step_gfail(ss, s, "/etc/localtime");
        return 0;
}

static int run_install(struct session *ss, const struct step *s) {
        const struct arg *files = step_arg_full(s, "files");
        const char *cache = "/var/cache/cvm-install";
        char cmd[8192] = "", host[64], guest[PATH_MAX];
        bool deb = false, rpm = false;
        _cleanup_free_ char *out = NULL;

        if (guestfs_mkdir_p(ss->g, cache) < 0)
                return step_gfail(ss, s, cache);
        for (char **f = files->list; *f; f++) {
                const char *base = strrchr(*f, '/') ? strrchr(*f, '/') + 1 : *f;
                _cleanup_close_ int fd = -1;
                if (host_source_open(s, *f, S_IFREG, &fd, ss->err) < 0)
                        return -ss->err->code;
                step_fd_path(fd, "", host, sizeof(host));
                snprintf(guest, sizeof(guest), "%s/%s", cache, base);
                if (guestfs_upload(ss->g, host, guest) < 0)
                        return step_gfail(ss, s, *f);
                deb |= strstr(base, ".deb") != NULL;
                rpm |= strstr(base, ".rpm") != NULL;
        }
        if (deb)
                snprintf(cmd, sizeof(cmd), "DEBIAN_FRONTEND=noninteractive dpkg -i --force-confold %s/*.deb", cache);
        else if (rpm)
                snprintf(cmd, sizeof(cmd), "rpm -Uvh --replacepkgs %s/*.rpm", cache);
        if (!(out = guestfs_sh(ss->g, cmd)))
                return step_gfail(ss, s, cmd);
        if (guestfs_rm_rf(ss->g, cache) < 0)
                return step_gfail(ss, s, cache);
        return 0;
}

static int run_enable_service(struct session *ss, const struct step *s) {
        static const char *const dirs[] = { "/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system" };
        const char *name = step_arg(s, "name");
        _cleanup_free_ char *text = NULL;
        char unit[PATH_MAX] = "", *save, *line;
        size_t n, targets = 0;

        for (size_t i = 0; i < 3 && !*unit; i++) {
                snprintf(unit, sizeof(unit), "%s/%s", dirs[i], name);
                if (guestfs_is_file_opts(ss->g, unit, GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS, 1, -1) <= 0)
                        unit[0] = '\0';
        }
        if (!*unit)
                return step_fail(ss, s, "unit %s is not in the guest's systemd unit directories", name);
        if (!(text = guest_read_file(ss->g, unit, &n)))
                return step_gfail(ss, s, unit);
        for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *v, *tsave;
                if (strncmp(line, "WantedBy=", 9) != 0 && strncmp(line, "RequiredBy=", 11) != 0)
                        continue;
                v = strchr(line, '=') + 1;
                for (char *t = strtok_r(v, " \t", &tsave); t; t = strtok_r(NULL, " \t", &tsave)) {
                        char wants[PATH_MAX], link[PATH_MAX + 64];
                        snprintf(wants, sizeof(wants), "/etc/systemd/system/%s.%s", t, line[0] == 'W' ? "wants" : "requires");
                        snprintf(link, sizeof(link), "%s/%s", wants, name);
                        if (guestfs_mkdir_p(ss->g, wants) < 0 || guestfs_ln_sf(ss->g, unit, link) < 0)
                                return step_gfail(ss, s, link);
                        targets++;
                }
        }
        if (targets == 0)
                return step_fail(ss, s, "%s has no WantedBy= or RequiredBy= in [Install]; nothing to enable it from", unit);
        return 0;
}


const struct step_kind kind_run = { "run", { { "command", &arg_text, true } }, NULL, run_run };
const struct step_kind kind_firstboot = { "firstboot", { { "command", &arg_text, true } }, NULL, run_firstboot };
const struct step_kind kind_hostname = { "hostname", { { "name", &arg_text, true } }, NULL, run_hostname };
const struct step_kind kind_timezone = { "timezone", { { "zone", &arg_text, true } }, NULL, run_timezone };
const struct step_kind kind_install = { "install", { { "files", &arg_host_files, true } }, NULL, run_install };
const struct step_kind kind_enable_service = { "enable-service", { { "name", &arg_text, true } }, NULL, run_enable_service };
