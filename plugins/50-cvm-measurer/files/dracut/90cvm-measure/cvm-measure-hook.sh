#!/bin/sh
# dracut pre-pivot hook: measure the real root ($NEWROOT) before switch_root;
# a failure dracut's die() turns into an explained emergency stop.
# shellcheck source=/dev/null
command -v die >/dev/null || . /lib/dracut-lib.sh

# On a TD, the TDX guest driver first (module-setup.sh installed it where the kernel has it as a module).
if grep -qw tdx_guest /proc/cpuinfo 2>/dev/null; then
        modprobe -q -a tdx_guest tsm_report tsm configfs 2>/dev/null || true
fi
# shellcheck disable=SC2086
/usr/sbin/cvm-measure --root "${NEWROOT:?}" --policy /etc/cvm/policy.yaml ${CVM_MEASURE_ARGS}
case $? in
0) ;;
3) die "cvm-measure: an item of a policy group marked 'on_error: halt' could not be measured; the OS TCB is not recorded, so this boot stops here" ;;
4) die "cvm-measure: no TDX or TPM device, and the policy requires one; this boot stops here" ;;
*) die "cvm-measure: measuring failed (see the journal: a TDX kernel that cannot extend RTMRs is named there, with the kernels that can); the boot does not go on unmeasured or with a log the registers may not match, so it stops here" ;;
esac
