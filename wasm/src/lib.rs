//! WebAssembly bindings of weft: thin wrappers over `weft-core` for the npm package.
//!
//! Errors of the core become JavaScript `Error`s with the core's message.

mod counter;
mod doc;
mod map;
mod text;
mod utf16;
mod value;

use wasm_bindgen::prelude::wasm_bindgen;

pub use counter::Counter;
pub use doc::Doc;
pub use map::Map;
pub use text::Text;

/// The version of the weft build inside the module, for bug reports.
#[wasm_bindgen(js_name = weftVersion)]
pub fn weft_version() -> String {
    env!("CARGO_PKG_VERSION").into()
}
