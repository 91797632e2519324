#!/bin/sh
# Run in the guest root by cvm-rewrite (03-network): DHCP on all ethernet interfaces.
set -e
if [ -d /etc/netplan ]; then
        cat >/etc/netplan/90-cvm-dhcp.yaml <<'YAML'
# cvmkit 03-network: DHCP on every ethernet interface.
network:
  version: 2
  ethernets:
    cvm-all-en:
      match: {name: "e*"}
      dhcp4: true
      dhcp6: true
YAML
        chmod 0600 /etc/netplan/90-cvm-dhcp.yaml
elif [ -e /lib/systemd/systemd-networkd ] || [ -e /usr/lib/systemd/systemd-networkd ]; then
        mkdir -p /etc/systemd/network
        cat >/etc/systemd/network/90-cvm-dhcp.network <<'INI'
# cvmkit 03-network: DHCP on every ethernet interface.
[Match]
Type=ether
Name=e*

[Network]
DHCP=yes
INI
        systemctl enable systemd-networkd.service >/dev/null 2>&1 ||
                ln -sf /lib/systemd/system/systemd-networkd.service /etc/systemd/system/multi-user.target.wants/systemd-networkd.service
else
        mkdir -p /etc/network/interfaces.d
        cat >/etc/network/interfaces.d/90-cvm-dhcp <<'IFUP'
# cvmkit 03-network: DHCP on the usual ethernet interface names.
allow-hotplug eth0 ens3 ens4 enp0s1 enp0s2 enp0s3
iface eth0 inet dhcp
iface ens3 inet dhcp
iface ens4 inet dhcp
iface enp0s1 inet dhcp
iface enp0s2 inet dhcp
iface enp0s3 inet dhcp
IFUP
fi
