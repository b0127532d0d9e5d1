#!/usr/bin/env bash
# Builds the npm package into wasm/npm/dist: the WebAssembly module (wasm-bindgen
# glue for the web target, shrunk by wasm-opt from npm's binaryen), the module
# inlined as base64 for the zero-configuration entry, and the hand-written entry
# points. Prints the module's gzipped size. Needs the wasm-bindgen CLI on PATH
# (scripts/test.sh installs it into .tools/).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
package="$root/wasm/npm"
dist="$package/dist"
work="$root/target/npm"
export PATH="$root/.tools/bin:$PATH"

if [ ! -x "$package/node_modules/.bin/wasm-opt" ]; then
    (cd "$package" && npm ci --no-audit --no-fund --loglevel=error)
fi

cargo build -p weft-wasm --profile wasm --target wasm32-unknown-unknown
rm -rf "$work" "$dist"
mkdir -p "$work" "$dist"
cp "$root/target/wasm32-unknown-unknown/wasm/weft_wasm.wasm" "$work/weft.wasm"
wasm-bindgen --target web --no-typescript --out-dir "$work" "$work/weft.wasm"

# The features Rust enables for wasm32-unknown-unknown, which wasm-opt must keep.
"$package/node_modules/.bin/wasm-opt" -Oz --strip-debug --strip-producers \
    --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
    --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue \
    "$work/weft_bg.wasm" -o "$dist/weft_bg.wasm"
cp "$work/weft.js" "$dist/weft.js"
node "$package/scripts/inline-wasm.js" "$dist/weft_bg.wasm" "$dist/wasm-inline.js"
cp "$package"/src/*.js "$dist/"

raw=$(wc -c <"$dist/weft_bg.wasm")
gzipped=$(gzip -9 -c "$dist/weft_bg.wasm" | wc -c)
echo "weft.wasm: $raw bytes, $gzipped bytes gzipped"
