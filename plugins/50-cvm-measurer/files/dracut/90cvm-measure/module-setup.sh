#!/bin/bash
# dracut module: cvm-measure, its policy and the TDX guest driver in the
# initramfs, run as a pre-pivot hook on $NEWROOT (see cvm-measure-hook.sh).

check() {
        [ -x /usr/sbin/cvm-measure ] || [ -d /usr/lib/cvm/bundle ] || return 1
        [ -f /etc/cvm/policy.yaml ] || return 1
        return 0
}

depends() {
        return 0
}

# The TDX guest driver with the TSM report and configfs modules, where this
# kernel has them as modules (instmods without -c skips the missing ones).
installkernel() {
        instmods tdx_guest tsm_report tsm configfs
}

install() {
        if [ -d /usr/lib/cvm/bundle ]; then
                inst_dir /usr/lib/cvm
                cp -a /usr/lib/cvm/bundle "${initdir:?}/usr/lib/cvm/"
                inst_dir /usr/sbin
                ln -sf /usr/lib/cvm/bundle/bin/cvm-measure "${initdir}/usr/sbin/cvm-measure"
        else
                inst_binary /usr/sbin/cvm-measure
                # libcrypto, which cvm-measure dlopen()s to hash files, libtss2, which it
                # dlopen()s for a TPM, and the TCTI libtss2 dlopen()s in turn (inst_binary
                # follows only linked libraries).
                inst_libdir_file "libcrypto.so.3*" "libtss2-esys.so.0*" "libtss2-sys.so.1*" "libtss2-mu.so.0*" "libtss2-rc.so.0*" \
                        "libtss2-tctildr.so.0*" "libtss2-tcti-device.so.0*"
        fi
        inst_simple /etc/cvm/policy.yaml
        # shellcheck disable=SC2154
        inst_hook pre-pivot 90 "$moddir/cvm-measure-hook.sh"
}
