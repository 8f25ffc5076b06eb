"""Linux guest for `make bench`: Debian kernel (fetched once, cached), the
uncompressed vmlinux for a PVH boot, and the busybox initramfs."""

import glob
import gzip
import io
import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile

from common import ROOT, log, run

# --------------------------------------------------------------------- build

def ensure_built(build):
    if not os.path.exists(os.path.join(build, "build.ninja")):
        run(["cmake", "-S", ROOT, "-B", build, "-G", "Ninja",
             "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
             "-DCMAKE_C_COMPILER=clang", "-DCMAKE_CXX_COMPILER=clang++"])
    run(["cmake", "--build", build, "--target", "bench_linux_all"])
    bins = {n: os.path.join(build, "bench", n)
            for n in ("bench_linux", "bench_true", "bench_init", "blk_bench", "net_bench", "fs_bench")}
    for n, p in bins.items():
        if not os.path.exists(p):
            sys.exit(f"bench: {p} was not built (is liburing-dev installed? run `make deps`)")
    return bins


def try_build_capos(build, kernel):
    """Builds a kernel image if the build graph has a rule for it. Never fatal."""
    rel = os.path.relpath(kernel, build)
    q = subprocess.run(["ninja", "-C", build, "-t", "query", rel],
                       capture_output=True, text=True)
    if q.returncode != 0:
        return "no build rule for " + rel
    r = subprocess.run(["ninja", "-C", build, rel, "bench.bin"], capture_output=True, text=True)
    if r.returncode != 0:
        sys.stdout.write(r.stdout[-3000:])
        return "capOS kernel build failed"
    return None


# -------------------------------------------------------------- Linux kernel

def resolve_kernel_package():
    out = subprocess.run(["apt-cache", "depends", "linux-image-amd64"],
                         capture_output=True, text=True).stdout
    m = re.search(r"Depends:\s*(linux-image-6\.\d+\.\d+-\d+-amd64)\b", out)
    if m:
        return m.group(1)
    out = subprocess.run(["apt-cache", "search", "--names-only", r"^linux-image-[0-9.]+-[0-9]+-amd64$"],
                         capture_output=True, text=True).stdout
    names = sorted({l.split()[0] for l in out.splitlines() if l.strip()},
                   key=lambda n: [int(x) if x.isdigit() else x for x in re.split(r"[.-]", n)])
    if not names:
        sys.exit("bench: cannot resolve linux-image-amd64 (run `apt-get update`)")
    return names[-1]


def has_pvh_note(elf):
    """True if `elf` is an ELF64 image with a Xen PHYS32_ENTRY (PVH) note."""
    import struct
    if elf[:5] != b"\x7fELF\x02":
        return False
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    for i in range(phnum):
        ptype, = struct.unpack_from("<I", elf, phoff + i * phentsize)
        if ptype != 4:  # PT_NOTE
            continue
        off, = struct.unpack_from("<Q", elf, phoff + i * phentsize + 8)
        size, = struct.unpack_from("<Q", elf, phoff + i * phentsize + 32)
        pos, end = off, off + size
        while pos + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", elf, pos)
            name = elf[pos + 12:pos + 12 + namesz]
            if name == b"Xen\0" and ntype == 18:  # XEN_ELFNOTE_PHYS32_ENTRY
                return True
            pos += 12 + (namesz + 3) // 4 * 4 + (descsz + 3) // 4 * 4
    return False


def extract_vmlinux(vmlinuz):
    """The uncompressed ELF inside a bzImage (like scripts/extract-vmlinux).

    QEMU boots an ELF `-kernel` through its PVH entry note, the same way it
    boots capOS, so both guests skip real-mode setup and the decompressor.
    Returns the cached path, or None if no supported payload is found."""
    out = vmlinuz.replace("vmlinuz-", "vmlinux-")
    if os.path.exists(out):
        return out
    data = open(vmlinuz, "rb").read()
    import lzma
    candidates = [(b"\xfd7zXZ\x00", lambda b: lzma.LZMADecompressor(lzma.FORMAT_XZ).decompress(b)),
                  (b"\x1f\x8b\x08", lambda b: gzip.GzipFile(fileobj=io.BytesIO(b)).read())]
    for magic, dec in candidates:
        off = data.find(magic)
        while off >= 0:
            try:
                elf = dec(data[off:])
            except Exception:
                elf = b""
            if has_pvh_note(elf):
                with open(out + ".tmp", "wb") as f:
                    f.write(elf)
                os.replace(out + ".tmp", out)
                return out
            off = data.find(magic, off + 1)
    return None


def fetch_kernel(cache):
    """Returns (path to vmlinuz, package description). Cached in `cache`."""
    os.makedirs(cache, exist_ok=True)
    have = sorted(glob.glob(os.path.join(cache, "vmlinuz-*")))
    if have:
        desc_path = os.path.join(cache, "PACKAGE")
        desc = open(desc_path).read().strip() if os.path.exists(desc_path) else os.path.basename(have[-1])
        return have[-1], desc
    pkg = resolve_kernel_package()
    run(["apt-get", "download", pkg], cwd=cache)
    debs = sorted(glob.glob(os.path.join(cache, pkg + "_*.deb")))
    if not debs:
        sys.exit(f"bench: apt-get download {pkg} produced no .deb")
    deb = debs[-1]
    # Extract only boot/vmlinuz-* from the package (dpkg-deb, not installed;
    # the host's /boot and its initramfs/grub hooks are never touched).
    tar_bytes = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], check=True,
                               capture_output=True).stdout
    target = None
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tf:
        for m in tf.getmembers():
            name = os.path.basename(m.name)
            if m.isfile() and name.startswith("vmlinuz-") and "/boot/" in "/" + m.name.lstrip("./"):
                target = os.path.join(cache, name)
                with tf.extractfile(m) as src, open(target + ".tmp", "wb") as dst:
                    shutil.copyfileobj(src, dst)
                os.replace(target + ".tmp", target)
    if not target:
        sys.exit(f"bench: no boot/vmlinuz-* in {deb}")
    ver = os.path.basename(deb)[len(pkg) + 1:].split("_")[0]
    desc = f"{pkg} {ver} (Debian)"
    with open(os.path.join(cache, "PACKAGE"), "w") as f:
        f.write(desc + "\n")
    os.remove(deb)
    return target, desc


# ------------------------------------------------------------ kernel modules

# The block drivers of the I/O rows (tools/bench/io_bench.py): modules in
# Debian's kernel, loaded by init.sh in this order (dependencies first).
BLOCK_MODULES = ["virtio_blk", "virtio_pci", "nvme", "crct10dif_generic", "crc64_rocksoft_generic"]
# The NIC driver of the network rows (tools/bench/net_bench.py); the I/O
# initramfs carries both sets.
NET_MODULES = ["virtio_net"]
IO_MODULES = BLOCK_MODULES + NET_MODULES
# The filesystem rows (tools/bench/fs_bench.py): virtio-blk and ext4 (with
# its dependencies), and crc32c for ext4's metadata checksums where the
# kernel has it as a module rather than built in: crc32c-intel (the CPU's
# CRC32 instruction, which a Debian system loads by CPU feature, and which
# capOS's lib/fs uses too) and the generic one behind it.
FS_MODULES = ["virtio_blk", "virtio_pci", "ext4"]
FS_OPTIONAL_MODULES = ["crc32c_generic", "crc32c_intel"]


def _modinfo(ko, key):
    """A .modinfo field of a module image (`depends`), or ""."""
    tag = key.encode() + b"="
    i = ko.find(b"\0" + tag)
    if i < 0:
        return ""
    j = ko.find(b"\0", i + 1)
    return ko[i + 1 + len(tag):j].decode()


def fetch_modules(cache, wanted=IO_MODULES, subdir="modules", optional=()):
    """Extracts `wanted` and their dependencies from the same Debian kernel
    package as the cached vmlinuz (downloaded again, version pinned; never
    installed), and `optional` ones where the package has them as modules
    (elsewhere they are built in). Returns module names in load order;
    files in cache/<subdir>."""
    mdir = os.path.join(cache, subdir)
    order_path = os.path.join(mdir, "order")
    if os.path.exists(order_path):
        order = open(order_path).read().split()
        if all(w in order for w in wanted):
            return order
        # An older cache made for fewer modules: extract again.
    desc = open(os.path.join(cache, "PACKAGE")).read().split()
    pkg, ver = desc[0], desc[1]
    tmp = os.path.join(cache, "deb")
    os.makedirs(tmp, exist_ok=True)
    run(["apt-get", "download", f"{pkg}={ver}"], cwd=tmp)
    deb = sorted(glob.glob(os.path.join(tmp, pkg + "_*.deb")))[-1]
    tar_bytes = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], check=True, capture_output=True).stdout
    images = {}
    import lzma
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tf:
        for m in tf.getmembers():
            base = os.path.basename(m.name)
            if m.isfile() and (base.endswith(".ko") or base.endswith(".ko.xz")):
                name = base.split(".ko")[0].replace("-", "_")
                images[name] = (m, base.endswith(".xz"))
        order, seen = [], set()

        def load(name):
            if name in seen:
                return
            seen.add(name)
            if name not in images:
                sys.exit(f"bench: module {name} not in {deb}")
            m, xz = images[name]
            ko = tf.extractfile(m).read()
            if xz:
                ko = lzma.decompress(ko)
            for dep in filter(None, _modinfo(ko, "depends").split(",")):
                load(dep.replace("-", "_"))
            os.makedirs(mdir, exist_ok=True)
            with open(os.path.join(mdir, name + ".ko"), "wb") as f:
                f.write(ko)
            order.append(name)

        for w in list(optional) + list(wanted):
            if w in wanted or w in images:
                load(w)
    shutil.rmtree(tmp)
    with open(order_path, "w") as f:
        f.write(" ".join(order) + "\n")
    return order


# ----------------------------------------------------------------- initramfs

class Cpio:
    """Minimal cpio "newc" writer: lets us create /dev nodes without root."""

    def __init__(self):
        self.buf = io.BytesIO()
        self.ino = 1

    @staticmethod
    def _pad(n):
        return b"\0" * ((4 - n % 4) % 4)

    def add(self, name, mode, data=b"", rmajor=0, rminor=0):
        name_b = name.encode() + b"\0"
        nlink = 2 if stat.S_ISDIR(mode) else 1
        fields = [self.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rmajor, rminor, len(name_b), 0]
        hdr = b"070701" + b"".join(b"%08X" % f for f in fields)
        self.buf.write(hdr + name_b + self._pad(len(hdr) + len(name_b)))
        self.buf.write(data + self._pad(len(data)))
        self.ino += 1

    def dir(self, name):
        self.add(name, stat.S_IFDIR | 0o755)

    def file(self, name, data, perm=0o755):
        self.add(name, stat.S_IFREG | perm, data)

    def symlink(self, name, target):
        self.add(name, stat.S_IFLNK | 0o777, target.encode())

    def chardev(self, name, major, minor):
        self.add(name, stat.S_IFCHR | 0o600, b"", major, minor)

    def finish(self):
        self.add("TRAILER!!!", 0)
        return self.buf.getvalue()


def build_initramfs(bins, out_path, modules_dir=None, modules=()):
    busybox = shutil.which("busybox") or "/bin/busybox"
    if not os.path.exists(busybox):
        sys.exit("bench: busybox not found (apt-get install busybox-static)")
    # A dynamically linked busybox would not run in the initramfs.
    if b"ld-linux" in open(busybox, "rb").read(1 << 16):
        sys.exit(f"bench: {busybox} is not static (apt-get install busybox-static)")
    c = Cpio()
    for d in ("bin", "dev", "proc", "sys", "run", "tmp"):
        c.dir(d)
    c.chardev("dev/console", 5, 1)
    c.chardev("dev/ttyS0", 4, 64)
    c.chardev("dev/null", 1, 3)
    c.file("bin/busybox", open(busybox, "rb").read())
    for applet in ("sh", "mount", "umount", "mkdir", "cat", "uname", "poweroff", "echo", "insmod", "sleep", "["):
        c.symlink("bin/" + applet, "busybox")
    c.file("init", open(bins["bench_init"], "rb").read())
    c.file("init.sh", open(os.path.join(ROOT, "bench", "linux", "init.sh"), "rb").read())
    c.file("bin/bench_linux", open(bins["bench_linux"], "rb").read())
    c.file("bin/bench_true", open(bins["bench_true"], "rb").read())
    if modules:
        c.file("bin/blk_bench", open(bins["blk_bench"], "rb").read())
        c.file("bin/net_bench", open(bins["net_bench"], "rb").read())
        c.file("bin/fs_bench", open(bins["fs_bench"], "rb").read())
        c.dir("mnt")
        c.dir("modules")
        for m in modules:
            c.file(f"modules/{m}.ko", open(os.path.join(modules_dir, m + ".ko"), "rb").read(), perm=0o644)
        c.file("modules/order", (" ".join(modules) + "\n").encode(), perm=0o644)
    with open(out_path, "wb") as f:
        f.write(gzip.compress(c.finish(), compresslevel=6, mtime=0))
    return out_path


