#!/usr/bin/env bash
# SaeWorkbench machine setup: installs from Debian what the tests and the benchmarks need. Idempotent and
# quick when nothing is missing; run it as root (or with sudo) on Debian 12.
#
# The tensor engine itself is TorchSharp with its libtorch 2.10 (CPU, MKL), restored from NuGet by `dotnet build`
# (environment/torchsharp/TorchSharp.targets): nothing to install here, no C++ toolchain.
#
#   python3-torch          Debian's PyTorch (libtorch 1.13, a different build from TorchSharp's): the independent
#                          reference in tests and the side-by-side baseline in benchmarks (/usr/bin/python3)
#   libopenblas0-pthread   a fast BLAS for that Python reference; without it its GEMMs are ~45x slower
#   chromium, fonts-liberation
#                          headless browser for the figure and notebook-page tests (/usr/bin/chromium),
#                          with fonts for chart text in screenshots
#   python3-plotly         Python's plotly, which re-reads our figure JSON in a test (plotly.io.from_json)
#   jupyter-nbconvert, python3-nbclient, libjs-requirejs
#                          (issue 12) run a notebook the way a Jupyter user does: `jupyter nbconvert --execute`
#                          through the stock .NET kernel, and `--to html` with Debian's template (which loads
#                          /usr/share/javascript/requirejs, hence libjs-requirejs)
#
# and from npm (into environment/node_modules, git-ignored; versions pinned by environment/package-lock.json):
#   plotly.js-dist-min     the chart engine; SaeWorkbench.Plotting.dll embeds its plotly.min.js at build time, so
#                          figures render offline. Needs npm (Debian's npm package is installed if missing).
#   mathjax                MathJax 3 (not 4, whose fonts load at run time); SaeWorkbench.Notebooks.dll embeds its
#                          self-contained es5/tex-svg-full.js, so the math in notebook pages renders offline.
#
# and from NuGet, as a dotnet tool (issue 12):
#   Microsoft.dotnet-interactive 1.0.712001   the stock .NET Interactive kernel, registered as Jupyter kernelspecs
#
# The .NET 10 SDK must already be on PATH (it is not a Debian package).
set -euo pipefail

packages=(libopenblas0-pthread python3-torch chromium fonts-liberation python3-plotly
          jupyter-nbconvert python3-nbclient libjs-requirejs)
command -v npm >/dev/null || packages+=(npm)

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

# OpenBLAS must serve libblas.so.3, which Debian's libtorch (the Python reference) links against; the reference BLAS is ~45x slower.
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

# plotly.js and MathJax from npm, at the versions in package-lock.json: one `npm ci` installs both, skipped when both are
# already installed at those versions (each package, its version, the file a DLL embeds).
env_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
npm_files=("plotly.js-dist-min plotly.min.js" "mathjax es5/tex-svg-full.js")
npm_stale=()
npm_versions=()
for entry in "${npm_files[@]}"; do
  read -r pkg file <<<"$entry"
  want=$(sed -n '/"node_modules\/'"$pkg"'"/,/}/s/.*"version": *"\([^"]*\)".*/\1/p' "$env_dir/package-lock.json")
  [ -n "$want" ] || die "environment/package-lock.json does not pin $pkg"
  have=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$env_dir/node_modules/$pkg/package.json" 2>/dev/null | head -1 || true)
  npm_versions+=("$pkg $want")
  if [ "$have" != "$want" ] || [ ! -s "$env_dir/node_modules/$pkg/$file" ]; then npm_stale+=("$pkg $want"); fi
done
if ((${#npm_stale[@]})); then
  echo "setup: installing ${npm_stale[*]} with npm into environment/node_modules"
  command -v npm >/dev/null || die "npm is not on PATH (install Debian's npm package)"
  (cd "$env_dir" && npm ci --no-audit --no-fund --loglevel=error) >/tmp/saewb-setup-npm.log 2>&1 ||
    { tail -20 /tmp/saewb-setup-npm.log >&2; die "npm ci in environment/ failed (log: /tmp/saewb-setup-npm.log); the npm registry must be reachable"; }
  for entry in "${npm_files[@]}"; do
    read -r pkg file <<<"$entry"
    [ -s "$env_dir/node_modules/$pkg/$file" ] || die "npm ci finished but $env_dir/node_modules/$pkg/$file is missing"
  done
else
  echo "setup: ${npm_versions[*]} present (environment/node_modules)"
fi

command -v dotnet >/dev/null || die "the .NET SDK (dotnet) is not on PATH: install .NET 10 SDK first"
dotnet --version | grep -q '^10\.' || echo "setup: warning: dotnet $(dotnet --version) found; the projects target .NET 10"
# --- issue 12: the stock .NET Interactive kernel for Jupyter (a test runs a notebook through it with nbconvert) ---
# The dotnet tool Microsoft.dotnet-interactive, pinned, installed globally into ~/.dotnet/tools (the kernelspec runs
# `dotnet interactive`, so that folder must be on PATH where Jupyter runs; the test adds it). Its kernelspecs are
# registered for Jupyter, the C# one with --http-local-only so that executed notebooks carry no machine addresses
# (the kernel's first output otherwise lists every IP of the machine). Playwright (browser tests) must never download
# a browser: the tests drive /usr/bin/chromium and set PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD themselves.
dotnet_interactive_version=1.0.712001
dotnet_tools="$HOME/.dotnet/tools"
if ! dotnet tool list -g 2>/dev/null | grep -qi "^microsoft.dotnet-interactive *$dotnet_interactive_version"; then
  echo "setup: installing the dotnet tool Microsoft.dotnet-interactive $dotnet_interactive_version"
  dotnet tool uninstall -g Microsoft.dotnet-interactive >/dev/null 2>&1 || true
  dotnet tool install -g Microsoft.dotnet-interactive --version "$dotnet_interactive_version" >/tmp/saewb-setup-tool.log 2>&1 ||
    { tail -20 /tmp/saewb-setup-tool.log >&2; die "dotnet tool install Microsoft.dotnet-interactive $dotnet_interactive_version failed (log: /tmp/saewb-setup-tool.log)"; }
fi
kernels_dir="${JUPYTER_DATA_DIR:-$HOME/.local/share/jupyter}/kernels"
csharp_spec="$kernels_dir/.net-csharp/kernel.json"
if ! grep -q -- "--http-local-only" "$csharp_spec" 2>/dev/null; then
  mkdir -p "$kernels_dir"
  PATH="$PATH:$dotnet_tools" dotnet interactive jupyter install --path "$kernels_dir" >/tmp/saewb-setup-kernel.log 2>&1 ||
    { tail -20 /tmp/saewb-setup-kernel.log >&2; die "dotnet interactive jupyter install failed (log: /tmp/saewb-setup-kernel.log)"; }
  [ -s "$csharp_spec" ] || die "dotnet interactive jupyter install did not write $csharp_spec"
  /usr/bin/python3 - "$csharp_spec" <<'PY' || die "could not add --http-local-only to $csharp_spec"
import json, sys
spec = json.load(open(sys.argv[1]))
if "--http-local-only" not in spec["argv"]:
    spec["argv"].append("--http-local-only")
json.dump(spec, open(sys.argv[1], "w"), indent=2)
PY
  echo "setup: registered the .NET Interactive kernels for Jupyter in $kernels_dir"
fi
/usr/bin/jupyter nbconvert --version >/dev/null 2>&1 || die "jupyter-nbconvert is installed but /usr/bin/jupyter nbconvert does not run"
# --- end of issue 12 ---

/usr/bin/python3 -c "import torch" 2>/dev/null || die "/usr/bin/python3 cannot import torch although python3-torch is installed"
[ -x /usr/bin/chromium ] || die "chromium is installed but /usr/bin/chromium is missing"
echo "setup: ready (Python reference torch $(dpkg-query -W -f='${Version}' python3-torch), BLAS $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3), npm ${npm_versions[*]}, $(dpkg-query -W -f='chromium ${Version}' chromium))"
