#!/usr/bin/env bash
# One-command setup on a fresh Debian/Ubuntu machine: npm dependencies (lockfile, no network
# beyond the npm registry) and, when we can (root, or sudo without a password), the system
# packages the app and the tests need. Says plainly what it could not install.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: Chromium (e2e tests), Python + PyTorch stack for trainer/ (and venv/pip/setuptools:
# `pip install ./trainer` into a virtual environment, tested offline), sox/flac (fixtures),
# a C++ toolchain (npm ci compiles naudiodon, the PortAudio binding), ALSA/PulseAudio user-space
# pieces for the live-capture tests (ALSA file plugin, PulseAudio null sink; no sound card needed).
APT_PACKAGES=(
  chromium
  g++ make python3
  libasound2 alsa-utils pulseaudio pulseaudio-utils libasound2-plugins
  python3-torch python3-numpy python3-scipy python3-soundfile python3-pytest python3-h5py python3-yaml
  python3-venv python3-pip python3-setuptools python3-wheel
  sox libsox-fmt-all flac
  fluidsynth timgm6mb-soundfont
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "== system packages: all ${#APT_PACKAGES[@]} present"
else
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO="none"; fi
  fi
  if [ "$SUDO" = "none" ] || ! command -v apt-get >/dev/null; then
    echo "!! could not install system packages (need root or passwordless sudo, and apt-get)."
    echo "!! missing: ${missing[*]}"
    echo "!! install them with: sudo apt-get install -y ${missing[*]}"
  else
    echo "== apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q >/dev/null || echo "!! apt-get update failed; trying the cached package lists"
    if ! $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/s5-setup-apt.log 2>&1; then
      echo "!! apt-get install failed (log: /tmp/s5-setup-apt.log); trying one by one"
      for p in "${missing[@]}"; do
        $SUDO apt-get install -y -q --no-install-recommends "$p" >>/tmp/s5-setup-apt.log 2>&1 \
          || echo "!! could not install $p"
      done
    fi
  fi
fi

# After the system packages: npm ci compiles naudiodon with g++.
echo "== npm ci"
npm ci --no-audit --no-fund

# The `s5` command, the engine process of web mode and the ONNX Runtime worker as plain-Node
# bundles (dist/node/): `npx s5` then starts without transpiling TypeScript (bin/s5.cjs runs the
# sources through tsx when the bundle is missing or older than them).
node scripts/build-node.mjs

# What the tests will find (one line each).
[ -x /usr/bin/chromium ] && echo "ok chromium: $(/usr/bin/chromium --version 2>/dev/null | head -1)" \
  || echo "!! /usr/bin/chromium missing: the end-to-end UI tests will fail"
/usr/bin/python3 -c 'import numpy, scipy, soundfile; print("ok python3: numpy", numpy.__version__, "scipy", scipy.__version__)' 2>/dev/null \
  || echo "!! /usr/bin/python3 lacks numpy/scipy/soundfile: trainer tests will fail"
/usr/bin/python3 -c 'import torch; print("ok torch", torch.__version__)' 2>/dev/null \
  || echo "!! /usr/bin/python3 has no torch: training will not run"
command -v sox >/dev/null && echo "ok sox" || echo "!! sox missing: some audio fixtures cannot be generated"
echo "== setup done"
