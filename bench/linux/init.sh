#!/bin/sh
# Runs inside the Linux bench guest, exec'd by /init (bench_init).
# Kernel cmdline: bench.iters=N (default 10000), bench.spawn_iters=N
# (default min(iters, 2000)), bench.mode=full|boot|io|net|fs|scale, bench.dev=NAME (io:
# the block device blk_bench reads, e.g. vda or nvme0n1; fs: the ext4 disk).
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
iters=10000
mode=full
spawn=
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    bench.iters=*) iters="${arg#bench.iters=}" ;;
    bench.mode=*) mode="${arg#bench.mode=}" ;;
    bench.spawn_iters=*) spawn="--spawn-iters ${arg#bench.spawn_iters=}" ;;
    bench.dev=*) dev="${arg#bench.dev=}" ;;
  esac
done
echo "BENCH kernel=$(uname -r) mode=$mode iters=$iters"
if [ "$mode" = io ]; then
  # I/O rows (tools/bench/io_bench.py): the block drivers are modules.
  mount -t devtmpfs devtmpfs /dev
  for m in $(cat /modules/order); do insmod "/modules/$m.ko" || echo "BENCH insmod_failed=$m"; done
  /bin/blk_bench "/dev/$dev"
elif [ "$mode" = net ]; then
  # Network rows (tools/bench/net_bench.py): virtio-net is a module too.
  mount -t devtmpfs devtmpfs /dev
  for m in $(cat /modules/order); do insmod "/modules/$m.ko" || echo "BENCH insmod_failed=$m"; done
  /bin/net_bench eth0
elif [ "$mode" = fs ]; then
  # Filesystem rows (tools/bench/fs_bench.py): ext4 on the virtio-blk disk,
  # made by mkfs.ext4 on the host; virtio_blk and ext4 are modules.
  mount -t devtmpfs devtmpfs /dev
  for m in $(cat /modules/order); do insmod "/modules/$m.ko" || echo "BENCH insmod_failed=$m"; done
  i=0
  while [ ! -b "/dev/$dev" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  if mount -t ext4 "/dev/$dev" /mnt; then
    mkdir /mnt/bench && /bin/fs_bench /mnt/bench
    umount /mnt
  else
    echo "BENCH mount_failed=$dev"
  fi
elif [ "$mode" = scale ]; then
  # SMP scaling rows only (tools/bench/scale_bench.py boots this at -smp 2).
  /bin/bench_linux --iters 1 --only scale
elif [ "$mode" = boot ]; then
  /bin/bench_linux --iters 1 --only boot_to_init --init-mark /run/init_mark
else
  /bin/bench_linux --iters "$iters" --true /bin/bench_true $spawn --init-mark /run/init_mark
fi
echo "BENCH exit=$?"
poweroff -f
