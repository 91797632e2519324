#!/bin/bash
# dracut module: cvm-measure and its policy in the initramfs, run as a
# pre-pivot hook on $NEWROOT (see cvm-measure-hook.sh).

check() {
        [ -x /usr/sbin/cvm-measure ] || [ -d /usr/lib/cvm/bundle ] || return 1
        [ -f /etc/cvm/policy.yaml ] || return 1
        return 0
}

depends() {
        return 0
}

install() {
        if [ -d /usr/lib/cvm/bundle ]; then
                inst_dir /usr/lib/cvm
                cp -a /usr/lib/cvm/bundle "${initdir:?}/usr/lib/cvm/"
                inst_dir /usr/sbin
                ln -sf /usr/lib/cvm/bundle/bin/cvm-measure "${initdir}/usr/sbin/cvm-measure"
        else
                inst_binary /usr/sbin/cvm-measure
        fi
        inst_simple /etc/cvm/policy.yaml
        # shellcheck disable=SC2154
        inst_hook pre-pivot 90 "$moddir/cvm-measure-hook.sh"
}
