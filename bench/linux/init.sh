#!/bin/sh
# Runs inside the Linux bench guest, exec'd by /init (bench_init).
# Kernel cmdline: bench.iters=N (default 10000), bench.mode=full|boot.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
iters=10000
mode=full
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    bench.iters=*) iters="${arg#bench.iters=}" ;;
    bench.mode=*) mode="${arg#bench.mode=}" ;;
  esac
done
echo "BENCH kernel=$(uname -r) mode=$mode iters=$iters"
if [ "$mode" = boot ]; then
  /bin/bench_linux --iters 1 --only boot_to_init --init-mark /run/init_mark
else
  /bin/bench_linux --iters "$iters" --true /bin/bench_true --init-mark /run/init_mark
fi
echo "BENCH exit=$?"
poweroff -f
