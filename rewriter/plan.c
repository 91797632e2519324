/* SPDX-License-Identifier: Apache-2.0 */
/* --plan: the resolved recipe, plugins and substituted steps, without touching any image. */

#include <stdio.h>
#include <string.h>

#include "manifest.h"

/* A value on one line: newlines, tabs and quotes escaped; quoted when it has blanks. */
static void put_value(const char *v) {
        bool quote = strpbrk(v, " \t\n\"") != NULL;
        if (quote)
                putchar('"');
        for (; *v; v++)
                if (*v == '\n')
                        fputs("\\n", stdout);
                else if (*v == '\t')
                        fputs("\\t", stdout);
                else if (*v == '"')
                        fputs("\\\"", stdout);
                else
                        putchar(*v);
        if (quote)
                putchar('"');
}

static void put_param(const struct param *p) {
        printf("  param %s = ", p->name);
        put_value(param_is_secret(p->name) ? SECRET_SHOWN : p->value);
        putchar('\n');
}

void plan_print(const struct recipe *r, bool json) {
        size_t k = 0, total = 0;

        if (json) {
                struct json_object *o = plan_to_json(r);
                puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(o);
                return;
        }
        for (size_t i = 0; i < r->nplugins; i++)
                total += r->plugins[i].nsteps;
        printf("recipe %s (%s), output %s%s%s, %zu plugins, %zu steps\n", r->name, r->path, r->format,
               strcmp(r->compression, "zlib") == 0 ? " compressed" : "", r->network ? ", network on" : "", r->nplugins,
               total);
        if (r->target == TARGET_NONE)
                printf("target none: the boot kernel's capabilities are recorded in the manifest, not checked\n");
        else
                printf("target %s: %s, the boot kernel must %s%s%s\n", cvm_target_name(r->target),
                       recipe_kernel_changer(r) ? "after the steps (a plugin changes the boot kernel; after inspection the image's own is only reported)"
                                                : "after inspection and again after the steps",
                       r->target == TARGET_TDX ? "" : "have a TPM driver (CONFIG_TCG_TPM)",
                       r->target == TARGET_BOTH ? " and " : "",
                       r->target == TARGET_TPM ? "" :
                       r->tdx_extend == TDX_EXTEND_IOCTL
                       ? "run as a TD with the tdx_guest driver (CONFIG_INTEL_TDX_GUEST=y, CONFIG_TDX_GUEST_DRIVER=y or =m with "
                         "tdx-guest.ko* in /lib/modules/VERSION) and produce quotes (CONFIG_TSM_REPORTS); RTMR extend through "
                         "the out-of-tree TDX_CMD_EXTEND_RTMR ioctl is the recipe's assertion (tdx_extend: ioctl), not checked"
                       : "run as a TD with the tdx_guest driver (CONFIG_INTEL_TDX_GUEST=y, CONFIG_TDX_GUEST_DRIVER=y or =m with "
                         "tdx-guest.ko* in /lib/modules/VERSION), extend RTMRs (CONFIG_TSM_MEASUREMENTS=y, Linux 6.16+) and "
                         "produce quotes (CONFIG_TSM_REPORTS); else exit 5");
        for (size_t i = 0; i < r->nparams; i++)
                put_param(&r->params[i]);
        for (size_t i = 0; i < r->nplugins; i++) {
                const struct plugin *p = &r->plugins[i];
                printf("plugin %s (%s)\n", p->name, p->dir);
                for (size_t j = 0; j < p->nparams; j++)
                        put_param(&p->params[j]);
                for (size_t j = 0; j < p->nsteps; j++) {
                        const struct step *s = &p->steps[j];
                        printf("  %zu. %s", ++k, s->kind);
                        for (size_t a = 0; a < s->nargs; a++) {
                                if (s->args[a].list && s->args[a].secret) {
                                        printf(" %s=[%s]", s->args[a].key, SECRET_SHOWN);
                                } else if (s->args[a].list) {
                                        printf(" %s=[", s->args[a].key);
                                        for (char **w = s->args[a].list; *w; w++)
                                                printf("%s%s", w == s->args[a].list ? "" : ",", *w);
                                        printf("]");
                                } else {
                                        printf(" %s=", s->args[a].key);
                                        put_value(arg_shown(&s->args[a]));
                                }
                        }
                        putchar('\n');
                }
        }
}
