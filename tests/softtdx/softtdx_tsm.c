// SPDX-License-Identifier: GPL-2.0
/*
 * configfs-tsm reports for the simulated device: the layout and semantics of
 * Documentation/ABI/testing/configfs-tsm-report as a TDX provider shows them
 * (tsm/report/NAME/{inblob,outblob,provider,generation}).  Debian's 6.1 has
 * no TSM core (6.7+), so this module registers the configfs subsystem "tsm"
 * with its "report" group itself; on such a kernel nothing else can.
 *  - inblob: up to 64 bytes (more: EFBIG from configfs); each write bumps
 *    generation;
 *  - outblob: made on read from the inblob and the live registers, kept
 *    until the next inblob write; a TDX report needs exactly 64 bytes of
 *    report data, else EINVAL (tdx_report_new);
 *  - provider: "tdx_guest"; generation: the write count.
 */
#include <linux/configfs.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "softtdx.h"

#define INBLOB_MAX 64

struct softtdx_report {
	struct config_item item;
	unsigned long generation;
	u8 inblob[INBLOB_MAX];
	size_t inblob_len;
	u8 *outblob;                  /* SOFTTDX_QUOTE_SIZE bytes, or NULL */
	unsigned long outblob_generation;
};

static DEFINE_MUTEX(tsm_lock);

static struct softtdx_report *to_report(struct config_item *item)
{
	return container_of(item, struct softtdx_report, item);
}

static ssize_t softtdx_report_provider_show(struct config_item *item, char *buf)
{
	return sysfs_emit(buf, "tdx_guest\n");
}
CONFIGFS_ATTR_RO(softtdx_report_, provider);

static ssize_t softtdx_report_generation_show(struct config_item *item, char *buf)
{
	unsigned long g;

	mutex_lock(&tsm_lock);
	g = to_report(item)->generation;
	mutex_unlock(&tsm_lock);
	return sysfs_emit(buf, "%lu\n", g);
}
CONFIGFS_ATTR_RO(softtdx_report_, generation);

static ssize_t softtdx_report_inblob_write(struct config_item *item, const void *buf, size_t count)
{
	struct softtdx_report *rep = to_report(item);

	if (count > INBLOB_MAX)
		return -EINVAL;
	mutex_lock(&tsm_lock);
	rep->generation++;
	memcpy(rep->inblob, buf, count);
	rep->inblob_len = count;
	mutex_unlock(&tsm_lock);
	return count;
}
CONFIGFS_BIN_ATTR_WO(softtdx_report_, inblob, NULL, INBLOB_MAX);

/* The quote for the current generation, made if it is not there yet; called under tsm_lock. */
static int make_outblob(struct softtdx_report *rep)
{
	struct softtdx_regs snap;
	int r;

	if (rep->outblob && rep->outblob_generation == rep->generation)
		return 0;
	if (rep->inblob_len != SOFTTDX_REPORTDATA)
		return -EINVAL;
	if (!rep->outblob) {
		rep->outblob = kzalloc(SOFTTDX_QUOTE_SIZE, GFP_KERNEL);
		if (!rep->outblob)
			return -ENOMEM;
	}
	softtdx_snapshot(&snap);
	r = softtdx_quote(&snap, rep->inblob, rep->outblob);
	if (r)
		return r;
	rep->outblob_generation = rep->generation;
	return 0;
}

/* configfs asks with buf NULL for the size, then again with a buffer of that size. */
static ssize_t softtdx_report_outblob_read(struct config_item *item, void *buf, size_t count)
{
	struct softtdx_report *rep = to_report(item);
	ssize_t r;

	mutex_lock(&tsm_lock);
	r = make_outblob(rep);
	if (!r) {
		r = SOFTTDX_QUOTE_SIZE;
		if (buf)
			memcpy(buf, rep->outblob, min_t(size_t, count, SOFTTDX_QUOTE_SIZE));
	}
	mutex_unlock(&tsm_lock);
	return r;
}
CONFIGFS_BIN_ATTR_RO(softtdx_report_, outblob, NULL, SZ_32K);

static struct configfs_attribute *report_attrs[] = {
	&softtdx_report_attr_provider,
	&softtdx_report_attr_generation,
	NULL,
};

static struct configfs_bin_attribute *report_bin_attrs[] = {
	&softtdx_report_attr_inblob,
	&softtdx_report_attr_outblob,
	NULL,
};

static void report_release(struct config_item *item)
{
	struct softtdx_report *rep = to_report(item);

	kfree(rep->outblob);
	kfree(rep);
}

static struct configfs_item_operations report_item_ops = { .release = report_release };

static const struct config_item_type report_type = {
	.ct_item_ops = &report_item_ops,
	.ct_attrs = report_attrs,
	.ct_bin_attrs = report_bin_attrs,
	.ct_owner = THIS_MODULE,
};

static struct config_item *make_report(struct config_group *group, const char *name)
{
	struct softtdx_report *rep = kzalloc(sizeof(*rep), GFP_KERNEL);

	if (!rep)
		return ERR_PTR(-ENOMEM);
	config_item_init_type_name(&rep->item, name, &report_type);
	return &rep->item;
}

static struct configfs_group_operations report_group_ops = { .make_item = make_report };

static const struct config_item_type report_group_type = {
	.ct_group_ops = &report_group_ops,
	.ct_owner = THIS_MODULE,
};

static const struct config_item_type tsm_root_type = { .ct_owner = THIS_MODULE };

static struct config_group report_group;

static struct configfs_subsystem tsm_subsys = {
	.su_group = {
		.cg_item = {
			.ci_namebuf = "tsm",
			.ci_type = &tsm_root_type,
		},
	},
	.su_mutex = __MUTEX_INITIALIZER(tsm_subsys.su_mutex),
};

int softtdx_tsm_register(void)
{
	config_group_init(&tsm_subsys.su_group);
	config_group_init_type_name(&report_group, "report", &report_group_type);
	configfs_add_default_group(&report_group, &tsm_subsys.su_group);
	return configfs_register_subsystem(&tsm_subsys);
}

void softtdx_tsm_unregister(void)
{
	configfs_unregister_subsystem(&tsm_subsys);
}
