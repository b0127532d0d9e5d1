//! WebAssembly bindings of weft: thin wrappers over `weft-core` for the npm package.

use wasm_bindgen::prelude::wasm_bindgen;

/// The version of the weft build inside the module, for bug reports.
#[wasm_bindgen(js_name = weftVersion)]
pub fn weft_version() -> String {
    env!("CARGO_PKG_VERSION").into()
}
