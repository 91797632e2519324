/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The boot chain prediction (boot_chain.h): the image's GPT, boot
 * application, grub.cfg, grubenv and the files GRUB loads, read through
 * libguestfs, turned into a synthetic TCG2 log (cvm/bootchain.h) and written
 * as JSON, per register, with its events and where each comes from.
 */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot_chain.h"
#include "cvm/cvm.h"
#include "cvmbase/base.h"
#include "grub_predict.h"
#include "guest_digest.h"
#include "guest_read.h"

#define ESP_BOOT "/boot/efi/EFI/BOOT/BOOTX64.EFI"
#define ESP_SHIM_NEXT "/boot/efi/EFI/BOOT/grubx64.efi"
#define PE_MAX ((size_t) 256 << 20)

static const uint32_t predicted_regs[] = { 4, 5, 8, 9 };

struct chain {
        struct session *ss;
        cvm_eventlog *log;
        struct json_object *sources;    /* per event of log, where it comes from */
        char *why[10];                  /* per register: why it is not predicted, NULL if it is */
        cvm_error *err;
};

/* The first reason a register is not predicted is kept. */
static void unpredicted(struct chain *c, uint32_t reg, const char *why) {
        if (!c->why[reg])
                c->why[reg] = strdup(why);
}

/* Tag the events appended since `before` with their source. */
static void tag(struct chain *c, size_t before, const char *source) {
        for (size_t i = before; i < cvm_eventlog_count(c->log); i++)
                json_object_array_add(c->sources, json_object_new_string(source));
}

static int firmware_start(struct chain *c) {
        uint8_t *gpt = NULL;
        size_t gpt_len = 0, n = 0;
        char *head = guestfs_pread_device(c->ss->g, "/dev/sda", CVM_GPT_EVENT_DISK_BYTES, 0, &n);
        cvm_error e = { 0 };
        int r;

        if (!head || cvm_gpt_event((const uint8_t *) head, n, &gpt, &gpt_len, &e) < 0) {
                char why[600];
                snprintf(why, sizeof(why), "the boot disk's GPT: %s", head ? e.msg : guestfs_last_error(c->ss->g));
                unpredicted(c, 5, why);
        }
        free(head);
        r = cvm_bootchain_firmware_start(c->log, gpt, gpt_len, c->err);
        free(gpt);
        tag(c, 0, "firmware");
        return r;
}

/* A guest file fetched to the host scratch folder as `name`; the host path in host. */
static int fetch(struct chain *c, const char *path, const char *name, char *host, size_t size) {
        if ((size_t) snprintf(host, size, "%s/%s", c->ss->tmpdir, name) >= size)
                return cvm_error_set(c->err, ENAMETOOLONG, "%s: path too long", c->ss->tmpdir);
        if (guest_download(c->ss->g, path, host) < 0)
                return cvm_error_set(c->err, EIO, "%s: %s", path, guestfs_last_error(c->ss->g));
        return 0;
}

static bool guest_is_file(struct chain *c, const char *path) {
        return guestfs_is_file_opts(c->ss->g, path, GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS, 1, -1) > 0;
}

/* PCR4: the boot application's Authenticode digest, as the firmware measures it when it loads it. */
static int boot_app(struct chain *c, const char *path) {
        char host[PATH_MAX];
        _cleanup_free_ uint8_t *pe = NULL;
        size_t n = 0, before = cvm_eventlog_count(c->log);
        cvm_error e = { 0 };
        int r;

        if ((r = fetch(c, path, "boot-app.efi", host, sizeof(host))) < 0)
                return r;
        r = read_file(host, PE_MAX, &pe, &n, c->err);
        unlink(host);
        if (r < 0)
                return r;
        if (cvm_bootchain_append_pe(c->log, pe, n, NULL, 0, &e) < 0) {
                char why[700];
                snprintf(why, sizeof(why), "%s: %s", path, e.msg);
                unpredicted(c, 4, why);
        }
        tag(c, before, path);
        return 0;
}

static int pcr4(struct chain *c) {
        int r;

        if (!guest_is_file(c, ESP_BOOT)) {
                unpredicted(c, 4, "no " ESP_BOOT " (the firmware's fallback boot path, with the ESP mounted at /boot/efi)");
                return 0;
        }
        if ((r = boot_app(c, ESP_BOOT)) < 0)
                return r;
        /* shim loads grubx64.efi beside it through the firmware, which measures it too. */
        return guest_is_file(c, ESP_SHIM_NEXT) ? boot_app(c, ESP_SHIM_NEXT) : 0;
}


static long long image_size(void *userdata, const char *path) {
        struct chain *c = userdata;

        if (!guest_is_file(c, path))
                return -1;
        return guestfs_filesize(c->ss->g, path);
}

/* A PCR9 event: the file's content digests, GRUB's name for it as data. */
static int grub_file(struct chain *c, const struct grub_event *ev) {
        uint8_t out[GUEST_DIGEST_NALGS][CVM_DIGEST_MAX];
        struct cvm_event_digest d[GUEST_DIGEST_NALGS];
        int r;

        if ((r = guest_file_digests(c->ss, ev->path, out, c->err)) < 0)
                return r;
        for (size_t i = 0; i < GUEST_DIGEST_NALGS; i++)
                d[i] = (struct cvm_event_digest) { GUEST_DIGEST_ALGS[i], (uint16_t) cvm_alg_size(GUEST_DIGEST_ALGS[i]), out[i] };
        return cvm_eventlog_append(c->log, 9, CVM_EV_IPL, d, GUEST_DIGEST_NALGS, ev->text, strlen(ev->text) + 1, c->err);
}

/* A PCR8 event: the digest of the string, the prefixed string with its NUL as data. */
static int grub_string(struct chain *c, const struct grub_event *ev) {
        const char *prefix = ev->kind == GRUB_EV_COMMAND ? "grub_cmd: " : "kernel_cmdline: ";
        _cleanup_free_ char *data = NULL;
        int n = asprintf(&data, "%s%s", prefix, ev->text);

        if (n < 0)
                return cvm_error_set(c->err, ENOMEM, "out of memory");
        return cvm_bootchain_append_hashed(c->log, 8, CVM_EV_IPL, ev->text, strlen(ev->text), data, (size_t) n + 1,
                                           c->err);
}

static int grub_events(struct chain *c, const struct grub_prediction *p) {
        int r = 0;

        for (size_t i = 0; i < p->n && r == 0; i++) {
                size_t before = cvm_eventlog_count(c->log);
                r = p->v[i].kind == GRUB_EV_FILE ? grub_file(c, &p->v[i]) : grub_string(c, &p->v[i]);
                tag(c, before, p->v[i].kind == GRUB_EV_FILE ? p->v[i].path : "/boot/grub/grub.cfg");
        }
        return r;
}

/* A grub.cfg on the ESP runs before /boot/grub/grub.cfg (Debian's and Ubuntu's signed GRUB read one). */
static bool esp_grub_cfg(struct chain *c) {
        static const char *const stubs[] = { "/boot/efi/EFI/BOOT/grub.cfg", "/boot/efi/EFI/debian/grub.cfg",
                                             "/boot/efi/EFI/ubuntu/grub.cfg", NULL };

        for (size_t i = 0; stubs[i]; i++)
                if (guest_is_file(c, stubs[i]))
                        return true;
        return false;
}

static int pcr89(struct chain *c, const char *device) {
        _cleanup_free_ char *cfg = guest_read_text(c->ss->g, "/boot/grub/grub.cfg");
        _cleanup_free_ char *env = guest_read_text(c->ss->g, "/boot/grub/grubenv");
        struct grub_prediction p;
        int r;

        if (c->why[8])
                return 0;
        if (!cfg || esp_grub_cfg(c)) {
                const char *why = cfg ? "a grub.cfg on the ESP (not evaluated) runs before /boot/grub/grub.cfg"
                                      : "no /boot/grub/grub.cfg";
                unpredicted(c, 8, why);
                unpredicted(c, 9, why);
                return 0;
        }
        if ((r = grub_predict(cfg, env, device, image_size, c, &p)) < 0)
                return cvm_error_set(c->err, -r, "predicting GRUB's measurements: %s", strerror(-r));
        if (p.unpredicted) {
                unpredicted(c, 8, p.unpredicted);
                unpredicted(c, 9, p.unpredicted);
        } else
                r = grub_events(c, &p);
        grub_prediction_clear(&p);
        return r;
}

/* What a reader sees of an event's data: the string for strings, a summary otherwise. */
static struct json_object *describe(const struct cvm_event *ev) {
        char buf[96];

        if (ev->type == CVM_EV_IPL || ev->type == CVM_EV_EFI_ACTION)
                return json_object_new_string_len((const char *) ev->data,
                                                  (int) strnlen((const char *) ev->data, ev->data_len));
        if (ev->type == CVM_EV_SEPARATOR)
                return json_object_new_string("separator 00000000");
        if (ev->type == CVM_EV_EFI_GPT_EVENT) {
                snprintf(buf, sizeof(buf), "UEFI_GPT_DATA, %zu partitions", (ev->data_len - 100) / 128);
                return json_object_new_string(buf);
        }
        return json_object_new_string("Authenticode digest of the PE image");
}

static struct json_object *event_json(const struct cvm_event *ev, struct json_object *source) {
        struct json_object *o = json_object_new_object(), *d = json_object_new_object();
        char hex[2 * CVM_DIGEST_MAX + 1];
        _cleanup_free_ char *data = cvm_hex_alloc(ev->data, ev->data_len);

        json_object_object_add(o, "type", json_object_new_string(cvm_event_type_name(ev->type)));
        /* The position in the whole prediction: the TDX mapping merges registers in this order. */
        json_object_object_add(o, "recnum", json_object_new_uint64(ev->recnum));
        json_object_object_add(o, "description", describe(ev));
        /* The load event's device path and address are the firmware's: only its digest is predicted. */
        if (ev->type != CVM_EV_EFI_BOOT_SERVICES_APPLICATION)
                json_object_object_add(o, "data", data ? json_object_new_string(data) : NULL);
        for (uint32_t i = 0; i < ev->ndigests; i++)
                json_object_object_add(d, cvm_alg_name(ev->digests[i].alg),
                                       json_object_new_string(cvm_hex(ev->digests[i].bytes, ev->digests[i].size, hex)));
        json_object_object_add(o, "digests", d);
        json_object_object_add(o, "source", json_object_get(source));
        return o;
}

static struct json_object *register_json(struct chain *c, const cvm_replay *rp, uint32_t reg) {
        struct json_object *o = json_object_new_object(), *v = json_object_new_object(), *evs = json_object_new_array();
        const struct cvm_log_alg *algs;
        size_t nalgs = cvm_bootchain_algs(&algs);
        char hex[2 * CVM_DIGEST_MAX + 1], name[16];

        snprintf(name, sizeof(name), "PCR%u", reg);
        json_object_object_add(o, "index", json_object_new_int((int) reg));
        json_object_object_add(o, "name", json_object_new_string(name));
        json_object_object_add(o, "status", json_object_new_string(c->why[reg] ? "unpredicted" : "predicted"));
        if (c->why[reg]) {
                json_object_object_add(o, "reason", json_object_new_string(c->why[reg]));
                json_object_put(v);
                json_object_put(evs);
                return o;
        }
        for (size_t i = 0; i < nalgs; i++) {
                const struct cvm_register_value *rv = cvm_replay_find(rp, reg, algs[i].alg);
                if (rv)
                        json_object_object_add(v, cvm_alg_name(algs[i].alg),
                                               json_object_new_string(cvm_hex(rv->digest, rv->size, hex)));
        }
        for (size_t i = 0; i < cvm_eventlog_count(c->log); i++) {
                const struct cvm_event *ev = cvm_eventlog_event(c->log, i);
                if (ev->index == reg)
                        json_object_array_add(evs, event_json(ev, json_object_array_get_idx(c->sources, i)));
        }
        json_object_object_add(o, "values", v);
        json_object_object_add(o, "events", evs);
        return o;
}

/* The platform's register idx in each bank the replay of a previous boot's log computed. */
static struct json_object *platform_values(const cvm_replay *prp, uint32_t idx) {
        struct json_object *v = json_object_new_object();
        const struct cvm_log_alg *algs;
        size_t nalgs = cvm_bootchain_algs(&algs);
        char hex[2 * CVM_DIGEST_MAX + 1];

        for (size_t i = 0; i < nalgs; i++) {
                const struct cvm_register_value *rv = cvm_replay_find(prp, idx, algs[i].alg);
                if (rv)
                        json_object_object_add(v, cvm_alg_name(algs[i].alg),
                                               json_object_new_string(cvm_hex(rv->digest, rv->size, hex)));
        }
        return v;
}

/* The registers this prediction does not cover, and why; with --platform-values, PCR0-3 and 6 from that log. */
static struct json_object *platform_json(const cvm_replay *prp) {
        static const struct { uint32_t index; const char *status; } v[] = {
                { 0, "from the platform" }, { 1, "from the platform" }, { 2, "from the platform" },
                { 3, "from the platform" }, { 6, "from the platform" }, { 7, "firmware-dependent" },
        };
        struct json_object *a = json_object_new_array();

        for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
                struct json_object *o = json_object_new_object();
                json_object_object_add(o, "index", json_object_new_int((int) v[i].index));
                json_object_object_add(o, "status", json_object_new_string(v[i].status));
                if (prp && v[i].index != 7)
                        json_object_object_add(o, "values", platform_values(prp, v[i].index));
                json_object_array_add(a, o);
        }
        return a;
}

static struct json_object *chain_json(struct chain *c, const cvm_replay *rp, const cvm_replay *prp, const char *device) {
        struct json_object *o = json_object_new_object(), *regs = json_object_new_array(), *as = json_object_new_array();
        char buf[256];

        snprintf(buf, sizeof(buf), "GRUB names the /boot partition (%s): the boot disk is the VMM's first disk", device);
        json_object_array_add(as, json_object_new_string(buf));
        json_object_array_add(as, json_object_new_string(
                "the firmware is EDK2/OVMF booting " ESP_BOOT " from its boot option (one 'Calling EFI Application' action)"));
        json_object_array_add(as, json_object_new_string(
                "the modules grub.cfg loads are built into the GRUB image; its prefix is (DEVICE)/boot/grub"));
        json_object_array_add(as, json_object_new_string("GRUB boots its default entry unattended"));
        json_object_array_add(as, json_object_new_string(
                "GRUB starts the kernel through its linux/linuxefi handover (GRUB 2.06): the kernel's EFI stub adds no PCR9 event"));
        json_object_object_add(o, "assumptions", as);
        for (size_t i = 0; i < sizeof(predicted_regs) / sizeof(predicted_regs[0]); i++)
                json_object_array_add(regs, register_json(c, rp, predicted_regs[i]));
        json_object_object_add(o, "registers", regs);
        if (prp)
                json_object_array_add(as, json_object_new_string(
                        "PCR0-3 and 6 are those of the previous boot's firmware log given (--platform-values): the same firmware, VMM and machine type"));
        json_object_object_add(o, "platform", platform_json(prp));
        return o;
}

/* GRUB's name of the root file system's partition on the first disk. */
static int default_device(struct chain *c, char *buf, size_t size) {
        int n = guestfs_part_to_partnum(c->ss->g, c->ss->os.root);

        if (n <= 0)
                return -ENOENT;
        snprintf(buf, size, "hd0,gpt%d", n);
        return 0;
}

static int build(struct chain *c, const char *device) {
        int r;

        if ((r = firmware_start(c)) < 0 || (r = pcr4(c)) < 0 || (r = pcr89(c, device)) < 0)
                return r;
        size_t before = cvm_eventlog_count(c->log);
        r = cvm_bootchain_firmware_exit(c->log, c->err);
        tag(c, before, "firmware");
        return r;
}

/* --platform-values: the replay of a previous boot's firmware log on the same platform, or NULL without one. */
static int platform_replay(const char *path, const uint16_t *banks, size_t nbanks, cvm_eventlog **log, cvm_replay **ret,
                           cvm_error *err) {
        int r;

        if (!path)
                return 0;
        if ((r = cvm_eventlog_load(path, CVM_LOG_AUTO, log, err)) < 0)
                return r;
        if (cvm_eventlog_space(*log) != CVM_SPACE_PCR)
                return cvm_error_set(err, EINVAL, "%s: not a TPM (PCR) firmware event log", path);
        if ((r = cvm_replay_new(banks, nbanks, ret, err)) < 0 || (r = cvm_replay_add_log(*ret, *log, err)) < 0)
                return cvm_error_prefix(err, "%s: ", path);
        return 0;
}

int boot_chain_predict(struct session *ss, const struct boot_chain_options *o, struct json_object **ret, cvm_error *err) {
        struct chain c = { .ss = ss, .err = err };
        const struct cvm_log_alg *algs;
        size_t nalgs = cvm_bootchain_algs(&algs);
        uint16_t banks[8];
        cvm_replay *rp = NULL, *prp = NULL;
        cvm_eventlog *plog = NULL;
        const char *device = o->grub_device;
        char dev[64];
        int r;

        for (size_t i = 0; i < nalgs; i++)
                banks[i] = algs[i].alg;
        if (!device && default_device(&c, dev, sizeof(dev)) < 0) {
                unpredicted(&c, 8, "the root file system is not on a GPT partition of the boot disk");
                unpredicted(&c, 9, "the root file system is not on a GPT partition of the boot disk");
                snprintf(dev, sizeof(dev), "hd0");
        }
        c.sources = json_object_new_array();
        r = platform_replay(o->platform_values, banks, nalgs, &plog, &prp, err);
        if (r == 0)
                r = cvm_bootchain_new(&c.log, err);
        if (r == 0)
                r = build(&c, device ? device : dev);
        if (r == 0 && (r = cvm_replay_new(banks, nalgs, &rp, err)) == 0 && (r = cvm_replay_add_log(rp, c.log, err)) == 0)
                *ret = chain_json(&c, rp, prp, device ? device : dev);
        cvm_replay_free(rp);
        cvm_replay_free(prp);
        cvm_eventlog_free(plog);
        cvm_eventlog_free(c.log);
        json_object_put(c.sources);
        for (size_t i = 0; i < 10; i++)
                free(c.why[i]);
        return r;
}
