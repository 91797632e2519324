// SPDX-License-Identifier: GPL-2.0
/*
 * soft_tdx_guest: a software TDX guest device for tests (simulated), the
 * kernel's own TDX guest ABI on a machine without TDX, as swtpm is a TPM:
 *  - the misc device tdx_guest (/dev/tdx_guest) with TDX_CMD_GET_REPORT0
 *    (include/uapi/linux/tdx-guest.h);
 *  - the TSM measurement files of 6.16+ (Documentation/ABI/testing/
 *    sysfs-devices-virtual-misc-tdx_guest): measurements/mrtd:sha384 (read
 *    only) and rtmr0:sha384..rtmr3:sha384 (a write of exactly 48 bytes at
 *    offset 0 extends, as TDG.MR.RTMR.EXTEND does: new = SHA-384(old ||
 *    data); other sizes fail with EINVAL, as tsm-mr.c's tm_digest_write);
 *  - configfs-tsm reports (softtdx_tsm.c);
 *  - built with SOFTTDX_LEGACY (soft_tdx_guest_legacy.ko): no measurement
 *    files, and instead the out-of-tree TDX_CMD_EXTEND_RTMR ioctl of Intel's
 *    tdx tree (_IOW('T', 3, 49 bytes), RTMR0/1 refused with EPERM).
 * The registers live in this module's memory; nothing is rooted in hardware.
 * It is hand-written because no Debian package simulates TDX.
 */
#include <crypto/hash.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>

#include "softtdx.h"

#define TDX_CMD_GET_REPORT0 _IOWR('T', 1, struct softtdx_report_req)
#define TDX_CMD_EXTEND_RTMR _IOW('T', 3, struct softtdx_extend_req)

struct softtdx_report_req {
	u8 reportdata[SOFTTDX_REPORTDATA];
	u8 tdreport[SOFTTDX_TDREPORT];
};

struct softtdx_extend_req {
	u8 data[SOFTTDX_MR];
	u8 index;
};

static DEFINE_MUTEX(regs_lock);
static struct softtdx_regs regs;

static char *mrtd;
module_param(mrtd, charp, 0444);
MODULE_PARM_DESC(mrtd, "MRTD, 96 hex digits (default: zeros)");
static char *rtmr0;
module_param(rtmr0, charp, 0444);
MODULE_PARM_DESC(rtmr0, "initial RTMR0 (as firmware would leave it), 96 hex digits (default: zeros)");
static char *rtmr1;
module_param(rtmr1, charp, 0444);
MODULE_PARM_DESC(rtmr1, "initial RTMR1 (as firmware and the kernel would leave it), 96 hex digits (default: zeros)");

int softtdx_digest(const char *alg, const u8 *a, size_t alen, const u8 *b, size_t blen, u8 *out)
{
	struct crypto_shash *tfm = crypto_alloc_shash(alg, 0, 0);
	int r;

	if (IS_ERR(tfm))
		return PTR_ERR(tfm);
	{
		SHASH_DESC_ON_STACK(desc, tfm);

		desc->tfm = tfm;
		r = crypto_shash_init(desc);
		if (!r)
			r = crypto_shash_update(desc, a, alen);
		if (!r && blen)
			r = crypto_shash_update(desc, b, blen);
		if (!r)
			r = crypto_shash_final(desc, out);
		shash_desc_zero(desc);
	}
	crypto_free_shash(tfm);
	return r;
}

void softtdx_snapshot(struct softtdx_regs *r)
{
	mutex_lock(&regs_lock);
	*r = regs;
	mutex_unlock(&regs_lock);
}

/* RTMR index := SHA-384(RTMR index || data). */
static int extend(unsigned int index, const u8 data[SOFTTDX_MR])
{
	u8 next[SOFTTDX_MR];
	int r;

	if (mutex_lock_interruptible(&regs_lock))
		return -EINTR;
	r = softtdx_digest("sha384", regs.rtmr[index], SOFTTDX_MR, data, SOFTTDX_MR, next);
	if (!r)
		memcpy(regs.rtmr[index], next, SOFTTDX_MR);
	mutex_unlock(&regs_lock);
	return r;
}

static long get_report0(struct softtdx_report_req __user *req)
{
	u8 reportdata[SOFTTDX_REPORTDATA];
	struct softtdx_regs snap;
	u8 *tdreport;
	long r;

	if (copy_from_user(reportdata, req->reportdata, sizeof(reportdata)))
		return -EFAULT;
	tdreport = kzalloc(SOFTTDX_TDREPORT, GFP_KERNEL);
	if (!tdreport)
		return -ENOMEM;
	softtdx_snapshot(&snap);
	r = softtdx_tdreport(&snap, reportdata, tdreport);
	if (!r && copy_to_user(req->tdreport, tdreport, SOFTTDX_TDREPORT))
		r = -EFAULT;
	kfree(tdreport);
	return r;
}

#ifdef SOFTTDX_LEGACY
static long extend_ioctl(struct softtdx_extend_req __user *req)
{
	struct softtdx_extend_req k;

	if (copy_from_user(&k, req, sizeof(k)))
		return -EFAULT;
	/* Intel's tdx tree: RTMR0 and 1 belong to firmware and the kernel. */
	if (k.index < 2)
		return -EPERM;
	if (k.index > 3)
		return -EINVAL;
	return extend(k.index, k.data);
}
#endif

static long softtdx_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case TDX_CMD_GET_REPORT0:
		return get_report0((void __user *)arg);
#ifdef SOFTTDX_LEGACY
	case TDX_CMD_EXTEND_RTMR:
		return extend_ioctl((void __user *)arg);
#endif
	default:
		return -ENOTTY;
	}
}

#ifndef SOFTTDX_LEGACY
static ssize_t mr_read(struct file *f, struct kobject *kobj, struct bin_attribute *attr, char *buf, loff_t off,
		       size_t count)
{
	long index = (long)attr->private;
	struct softtdx_regs snap;

	if (off >= SOFTTDX_MR)
		return 0;
	count = min_t(size_t, count, SOFTTDX_MR - off);
	softtdx_snapshot(&snap);
	memcpy(buf, (index < 0 ? snap.mrtd : snap.rtmr[index]) + off, count);
	return count;
}

/* As tsm-mr.c: all of the register at once, or EINVAL. */
static ssize_t mr_write(struct file *f, struct kobject *kobj, struct bin_attribute *attr, char *buf, loff_t off,
			size_t count)
{
	int r;

	if (off != 0 || count != SOFTTDX_MR)
		return -EINVAL;
	r = extend((long)attr->private, buf);
	return r ? r : count;
}

#define MR_RO(n, i) { .attr = { .name = n, .mode = 0444 }, .size = SOFTTDX_MR, .read = mr_read, .private = (void *)(i) }
#define MR_RW(n, i) { .attr = { .name = n, .mode = 0644 }, .size = SOFTTDX_MR, .read = mr_read, .write = mr_write, \
		      .private = (void *)(i) }

static struct bin_attribute mr_attrs[] = {
	MR_RO("mrtd:sha384", -1L), MR_RW("rtmr0:sha384", 0L), MR_RW("rtmr1:sha384", 1L),
	MR_RW("rtmr2:sha384", 2L), MR_RW("rtmr3:sha384", 3L),
};
static struct bin_attribute *mr_attr_list[] = { &mr_attrs[0], &mr_attrs[1], &mr_attrs[2], &mr_attrs[3], &mr_attrs[4],
						NULL };
static const struct attribute_group mr_group = { .name = "measurements", .bin_attrs = mr_attr_list };
static const struct attribute_group *mr_groups[] = { &mr_group, NULL };
#endif

static const struct file_operations softtdx_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = softtdx_ioctl,
	.llseek = no_llseek,
};

static struct miscdevice softtdx_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "tdx_guest",
	.fops = &softtdx_fops,
#ifndef SOFTTDX_LEGACY
	.groups = mr_groups,
#endif
};

static int load_param(const char *name, const char *hex, u8 *out)
{
	if (!hex || !*hex)
		return 0;
	if (strlen(hex) != 2 * SOFTTDX_MR || hex2bin(out, hex, SOFTTDX_MR)) {
		pr_err("soft_tdx_guest: %s must be %d hex digits\n", name, 2 * SOFTTDX_MR);
		return -EINVAL;
	}
	return 0;
}

static int __init softtdx_init(void)
{
	int r;

	r = load_param("mrtd", mrtd, regs.mrtd);
	if (!r)
		r = load_param("rtmr0", rtmr0, regs.rtmr[0]);
	if (!r)
		r = load_param("rtmr1", rtmr1, regs.rtmr[1]);
	if (r)
		return r;
	r = misc_register(&softtdx_misc);
	if (r)
		return r;
	r = softtdx_tsm_register();
	if (r) {
		misc_deregister(&softtdx_misc);
		return r;
	}
	pr_info("soft_tdx_guest: SIMULATED TDX guest device (test double, no TDX hardware), extend by %s\n",
		IS_ENABLED(SOFTTDX_LEGACY) ? "TDX_CMD_EXTEND_RTMR ioctl" : "measurements sysfs");
	return 0;
}

static void __exit softtdx_exit(void)
{
	softtdx_tsm_unregister();
	misc_deregister(&softtdx_misc);
}

module_init(softtdx_init);
module_exit(softtdx_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("software TDX device for tests (simulated)");
MODULE_SOFTDEP("pre: sha512_generic");
