#!/usr/bin/env bash
# SaeWorkbench machine setup: installs from Debian what the build, the tests and the benchmarks
# need. Idempotent and quick when nothing is missing; run it as root (or with sudo) on Debian 12.
#
#   libtorch-dev           libtorch 1.13 (CPU) headers, libraries and TorchConfig.cmake: the engine
#   cmake, g++             build the native bridge (dotnet build runs CMake)
#   libopenblas0-pthread   a fast BLAS; without it libtorch's GEMM is ~45x slower (reference BLAS)
#   python3-torch          Debian's PyTorch on the same libtorch: the independent reference in tests
#                          and the side-by-side baseline in benchmarks (/usr/bin/python3)
#
# The .NET 10 SDK must already be on PATH (it is not a Debian package).
set -euo pipefail

packages=(libtorch-dev cmake g++ libopenblas0-pthread python3-torch)

die() { echo "environment/setup.sh: $*" >&2; exit 1; }

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then missing+=("$p"); fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "need root to install ${missing[*]} (run as root or install sudo)"
    SUDO=sudo
  else
    SUDO=
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq || die "apt-get update failed: check the machine's Debian package sources"
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/saewb-setup-apt.log 2>&1 ||
    { tail -20 /tmp/saewb-setup-apt.log >&2; die "apt-get install ${missing[*]} failed (log: /tmp/saewb-setup-apt.log)"; }
else
  echo "setup: Debian packages present (${packages[*]})"
fi

# OpenBLAS must serve libblas.so.3, which libtorch links against; the reference BLAS is ~45x slower.
blas_target=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || true)
case "$blas_target" in
  *openblas*) ;;
  *)
    alt=$(update-alternatives --list libblas.so.3-x86_64-linux-gnu 2>/dev/null | grep openblas | head -1 || true)
    [ -n "$alt" ] || die "libblas.so.3 resolves to '$blas_target' and no OpenBLAS alternative is registered"
    update-alternatives --set libblas.so.3-x86_64-linux-gnu "$alt" >/dev/null
    echo "setup: libblas.so.3 now served by $alt"
    ;;
esac

command -v dotnet >/dev/null || die "the .NET SDK (dotnet) is not on PATH: install .NET 10 SDK first"
dotnet --version | grep -q '^10\.' || echo "setup: warning: dotnet $(dotnet --version) found; the projects target .NET 10"
/usr/bin/python3 -c "import torch" 2>/dev/null || die "/usr/bin/python3 cannot import torch although python3-torch is installed"
echo "setup: ready (libtorch $(dpkg-query -W -f='${Version}' libtorch-dev), BLAS $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3))"
