#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what it needs (Rust targets, the
# wasm-bindgen CLI pinned by Cargo.lock, the npm packages, Debian's etcd and
# chromium), then runs formatting, lints, docs, every test, the no_std builds, the
# npm package's tests and the fuzzers. Tools are cached in .tools/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
source scripts/tools.sh

step() { printf '\n== %s\n' "$*"; }

step "toolchain"
rustup component add rustfmt clippy >/dev/null
rustup target add thumbv7m-none-eabi >/dev/null
rustup toolchain install nightly --profile minimal >/dev/null 2>&1 || rustup toolchain install nightly --profile minimal
install_wasm_tools
wasm-bindgen --version
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz into $tools (under a minute, once)"
    cargo install cargo-fuzz --root "$tools"
fi

if ! command -v etcd >/dev/null; then
    echo "installing Debian's etcd-server for the lock tests (a few seconds, once)"
    sudo=$([ "$(id -u)" = 0 ] || echo sudo)
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq etcd-server >/dev/null
fi

step "format"
cargo fmt --all -- --check

step "lints"
cargo clippy --workspace --all-targets -- -D warnings

step "docs"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps

step "no_std builds of weft-core"
for target in wasm32-unknown-unknown thumbv7m-none-eabi; do
    cargo build -p weft-core --no-default-features --target "$target"
done

step "tests"
cargo test --workspace 2>&1 | tee "$root/target/cargo-test.log"

step "npm package: build, then its tests in Node and in headless Chromium"
if [ ! -x /usr/bin/chromium ]; then
    echo "installing Debian's chromium for the browser tests (about a minute, once)"
    sudo=$([ "$(id -u)" = 0 ] || echo sudo)
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
(cd wasm/npm && npm ci --no-audit --no-fund --loglevel=error)
build_web_demo
# The change-stream tests and the demo's run against the real relay.
cargo build -p weft-relay
node --test --test-reporter=tap wasm/npm/test/ | tee "$root/target/node-test.log"

step "web demo end to end (the relay and two Chromium pages)"
node --test --test-reporter=tap web-demo/test/ | tee -a "$root/target/node-test.log"

step "fuzzing (${FUZZ_SECONDS:-60} s per target)"
for target in $(cargo +nightly fuzz list --fuzz-dir fuzz); do
    log="$root/target/fuzz-$target.log"
    if ! cargo +nightly fuzz run --fuzz-dir fuzz "$target" -- -max_total_time="${FUZZ_SECONDS:-60}" >"$log" 2>&1; then
        tail -n 60 "$log"
        echo "fuzz target $target failed: commit the input in fuzz/artifacts/$target as a regression test"
        exit 1
    fi
    echo "$target: $(grep -E '^Done' "$log")"
done

step "summary"
awk '/^test result:/ { passed += $4; failed += $6 }
     /^# pass /      { passed += $3 }
     /^# fail /      { failed += $3 }
     END { printf "%d passed, %d failed\n", passed, failed }' \
    "$root/target/cargo-test.log" "$root/target/node-test.log"
