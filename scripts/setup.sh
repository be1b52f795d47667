#!/usr/bin/env bash
# Installs what building and testing need, skipping what is already present.
# Idempotent: on a machine that has everything it finishes in about a second.
set -euo pipefail
export PATH="$HOME/.cargo/bin:$PATH"

WASM_BINDGEN_VERSION=0.2.130
GECKODRIVER_VERSION=0.37.1

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
command -v clang >/dev/null 2>&1 || need_apt+=(clang)
# Firefox and WebKitGTK (WebKitWebDriver drives MiniBrowser, which needs an X server: Xvfb).
command -v firefox-esr >/dev/null 2>&1 || need_apt+=(firefox-esr)
command -v WebKitWebDriver >/dev/null 2>&1 || need_apt+=(webkit2gtk-driver)
command -v xvfb-run >/dev/null 2>&1 || need_apt+=(xvfb)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: apt-get install ${need_apt[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "setup: rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
for component in rustfmt clippy; do
  if ! rustup component list --installed | grep -q "^${component}"; then
    rustup component add "$component"
  fi
done

if ! command -v wasm-pack >/dev/null 2>&1; then
  echo "setup: cargo install wasm-pack"
  cargo install --locked wasm-pack --version 0.15.1
fi

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  echo "setup: cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # Not --locked: one of its locked dependencies is missing from the index.
  cargo install wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION" --force
fi

if [ "$(geckodriver --version 2>/dev/null | awk 'NR==1{print $2}')" != "$GECKODRIVER_VERSION" ]; then
  echo "setup: cargo install geckodriver $GECKODRIVER_VERSION"
  cargo install --locked geckodriver --version "=$GECKODRIVER_VERSION" --force
fi

echo "setup: ok (chromium $(chromium --version 2>/dev/null | awk '{print $2}'), wasm-pack $(wasm-pack --version | awk '{print $2}'), wasm-bindgen $WASM_BINDGEN_VERSION, firefox $(firefox-esr --version 2>/dev/null | awk '{print $3}'), geckodriver $GECKODRIVER_VERSION, WebKitWebDriver $(dpkg-query -W -f='${Version}' webkit2gtk-driver 2>/dev/null))"
