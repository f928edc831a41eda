#!/bin/busybox sh
# /init of the HIL guest. The host's own root file system comes in read-only over virtio-9p (tag
# hostroot) and the guest chroots into it, so the host's node, libraries, i2c-tools and the project run
# unchanged. Writable places are the guest's own: tmpfs on /tmp, /run and /dev/shm, devtmpfs on /dev.
# The exchange folder (tag xchg, read-write) sits at the same path as on the host and carries the
# command, the modules to load, and back the command's stdout, stderr and exit code.
# The host reads the console for two markers: HIL-READY (booted) and HIL-DONE (command finished).
/bin/busybox --install -s /bin
export PATH=/bin

fail() {
  echo "HIL-FAIL $*"
  poweroff -f
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

for word in $(cat /proc/cmdline); do
  case "$word" in
    hilxdir=*) xdir=${word#hilxdir=} ;;
    hilroot=*) root=${word#hilroot=} ;;
  esac
done
[ -n "$xdir" ] && [ -n "$root" ] || fail "kernel command line lacks hilxdir= or hilroot="

for m in $(cat /etc/hil/base-modules); do insmod "/lib/modules/$m.ko" || fail "insmod $m"; done
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot /host || fail "mount the host's root over 9p"

# A project under /tmp would vanish under the guest's tmpfs: keep it visible through a bind mount.
case "$root/" in
  /tmp/*) mkdir -p /keep && mount -o bind "/host$root" /keep || fail "bind $root" ;;
esac
mount -t tmpfs -o mode=1777 tmpfs /host/tmp || fail "tmpfs /tmp"
[ -d /host/run ] && mount -t tmpfs -o mode=755 tmpfs /host/run
mount -t proc proc /host/proc
mount -t sysfs sysfs /host/sys
mount -t devtmpfs devtmpfs /host/dev
mkdir -p /host/dev/pts /host/dev/shm
mount -t devpts devpts /host/dev/pts
mount -t tmpfs -o mode=1777 tmpfs /host/dev/shm
if [ -d /keep ]; then
  mkdir -p "/host$root" && mount -o move /keep "/host$root" || fail "move $root"
fi
mkdir -p "/host$xdir"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=none xchg "/host$xdir" || fail "mount the exchange folder"

while read -r module params; do
  [ -n "$module" ] || continue
  # shellcheck disable=SC2086 # parameters are separate words
  insmod "/lib/modules/$module.ko" $params || fail "insmod $module $params"
done < "/host$xdir/modules"
ip link set lo up

echo "HIL-READY $(cut -d' ' -f1 /proc/uptime)"
chroot /host /bin/sh "$xdir/command.sh" > "/host$xdir/stdout" 2> "/host$xdir/stderr"
echo $? > "/host$xdir/exit-code"
sync
echo "HIL-DONE $(cut -d' ' -f1 /proc/uptime)"
poweroff -f
