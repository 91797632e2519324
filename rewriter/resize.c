/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The resize step: the disk already has the recipe's output size (the
 * overlay is created with it); this grows the root file system's partition
 * to the end of the disk and the file system to the partition.  Whatever the
 * layout inspection found, as long as the root partition is the disk's last
 * by position (Debian's cloud images number it 1 yet place it after the ESP,
 * 15): GPT's backup header is moved to the new end first.  The guest's file
 * systems are unmounted around it and mounted again as inspection said.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cvmbase/base.h"
#include "step_kind.h"

static int resize_run(struct session *ss, const struct step *s) {
        _cleanup_free_ char *dev = NULL, *type = NULL, *ptype = NULL;
        struct guestfs_partition_list *parts;
        int num, last = 0, r = 0;
        int64_t sectors;
        uint64_t last_start = 0;

        if (!(dev = guestfs_part_to_dev(ss->g, ss->os.root)) || (num = guestfs_part_to_partnum(ss->g, ss->os.root)) < 0)
                return step_gfail(ss, s, "the root file system is not on a partition this step can grow");
        if (!(parts = guestfs_part_list(ss->g, dev)))
                return step_gfail(ss, s, dev);
        for (size_t i = 0; i < parts->len; i++)
                if (i == 0 || parts->val[i].part_start > last_start) {
                        last_start = parts->val[i].part_start;
                        last = parts->val[i].part_num;
                }
        guestfs_free_partition_list(parts);
        if (num != last)
                return cvm_error_set(ss->err, EINVAL, "%s: step resize (plugin %s): the root partition %s is not the last on the disk (partition %d is); growing it would need moving the others",
                                     s->where, s->plugin->name, ss->os.root, last);
        if (!(type = guestfs_vfs_type(ss->g, ss->os.root)) || !(ptype = guestfs_part_get_parttype(ss->g, dev)))
                return step_gfail(ss, s, ss->os.root);
        if (guestfs_umount_all(ss->g) < 0)
                return step_gfail(ss, s, "umount");
        if (strcmp(ptype, "gpt") == 0 && guestfs_part_expand_gpt(ss->g, dev) < 0)
                r = step_gfail(ss, s, "moving the GPT backup header to the end of the disk");
        /* The last usable sector: the end of the disk less GPT's 33-sector backup table and header. */
        if (r == 0 && (sectors = guestfs_blockdev_getsize64(ss->g, dev) / 512) > 0 &&
            guestfs_part_resize(ss->g, dev, num, sectors - (strcmp(ptype, "gpt") == 0 ? 34 : 1)) < 0)
                r = step_gfail(ss, s, "growing the root partition");
        if (r == 0 && strncmp(type, "ext", 3) == 0) {
                if (guestfs_e2fsck(ss->g, ss->os.root, GUESTFS_E2FSCK_FORCEALL, 1, -1) < 0 || guestfs_resize2fs(ss->g, ss->os.root) < 0)
                        r = step_gfail(ss, s, "growing the ext file system");
        } else if (r == 0 && strcmp(type, "xfs") == 0) {
                /* XFS grows only mounted. */
                if (guestfs_mount(ss->g, ss->os.root, "/") < 0 || guestfs_xfs_growfs(ss->g, "/", -1) < 0 ||
                    guestfs_umount(ss->g, "/") < 0)
                        r = step_gfail(ss, s, "growing the xfs file system");
        } else if (r == 0) {
                r = step_gfail(ss, s, "the root file system is neither ext2/3/4 nor xfs");
        }
        if (session_mount(ss) != 0 && r == 0)
                r = step_gfail(ss, s, "mounting the guest again");
        return r;
}

const struct step_kind kind_resize = { "resize", { { 0 } }, NULL, resize_run };
