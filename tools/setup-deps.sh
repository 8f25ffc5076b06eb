#!/usr/bin/env bash
# Installs the Debian packages capOS needs, only those missing, so
# `make run` / `make test` work on a fresh Debian 12 machine. Idempotent.
set -euo pipefail

PACKAGES=(
  clang lld llvm cmake ninja-build make python3
  libgtest-dev libgmock-dev libbenchmark-dev libclang-rt-14-dev
  qemu-system-x86 grub-pc-bin grub-common xorriso mtools
  grub-efi-amd64-bin ovmf
  capnproto libcapnp-dev
  busybox-static liburing-dev cpio
  qemu-utils
  qemu-system-data  # qboot.rom: the boot_to_init_qboot bench row (tools/bench/guest_boot.py)
  newlib-source liblua5.4-dev libsqlite3-dev
  libbearssl-dev openssl  # tlsd links BearSSL; openssl makes the test certificates
  libargon2-dev argon2  # host tests cross-check lib/crypto/argon2; the argon2 tool makes verifiers
)

# Tools that may already come from outside Debian (e.g. a preinstalled
# Node.js): install the Debian package only when the command is absent.
COMMAND_PACKAGES=(
  node:nodejs
  npm:npm
)

missing=()
for entry in "${COMMAND_PACKAGES[@]}"; do
  cmd="${entry%%:*}"
  pkg="${entry#*:}"
  command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
done
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-deps: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Optional project-local npm tools (CUE evaluator) once package.json exists.
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ -f "$root/package-lock.json" ] && [ ! -d "$root/node_modules" ]; then
  (cd "$root" && npm ci --no-audit --no-fund --loglevel=error)
fi
