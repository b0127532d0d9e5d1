# Installs what building the WebAssembly package needs, into .tools/ (git-ignored):
# the wasm32 target and the wasm-bindgen CLI at the version Cargo.lock pins. Sourced
# by the test and demo commands, from the repository root.
tools="$PWD/.tools"
export PATH="$tools/bin:$PATH"

install_wasm_tools() {
    rustup target add wasm32-unknown-unknown >/dev/null
    local version
    version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print }' Cargo.lock)
    if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $version" ]; then
        echo "installing wasm-bindgen-cli $version into $tools (a few minutes, once)"
        cargo install wasm-bindgen-cli --version "$version" --root "$tools" --force
    fi
}

# Builds the npm package and the web demo on top of it, into web-demo/dist.
build_web_demo() {
    ./scripts/build-npm.sh
    (cd web-demo && npm ci --no-audit --no-fund --loglevel=error && npx vite build --logLevel warn)
}
