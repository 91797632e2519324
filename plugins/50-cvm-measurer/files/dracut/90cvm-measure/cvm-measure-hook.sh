#!/bin/sh
# dracut pre-pivot hook: measure the real root ($NEWROOT) before switch_root;
# a failure dracut's die() turns into an explained emergency stop.
# shellcheck source=/dev/null
command -v die >/dev/null || . /lib/dracut-lib.sh

# shellcheck disable=SC2086
/usr/sbin/cvm-measure --root "${NEWROOT:?}" --policy /etc/cvm/policy.yaml ${CVM_MEASURE_ARGS}
case $? in
0) ;;
3) die "cvm-measure: an item of a policy group marked 'on_error: halt' could not be measured; the OS TCB is not recorded, so this boot stops here" ;;
4) die "cvm-measure: no TDX or TPM device, and the policy requires one; this boot stops here" ;;
*) die "cvm-measure: measuring failed (see the journal); the log and the registers may disagree, so this boot stops here" ;;
esac
