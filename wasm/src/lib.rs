//! WebAssembly bindings of weft: thin wrappers over `weft-core` for the npm package.
//!
//! Errors of the core become JavaScript `Error`s with the core's message. A panic is a
//! bug; if one happens, the module starts afresh on the next call (documents created
//! before it are gone) instead of staying dead.

mod counter;
mod cursor;
mod doc;
mod events;
mod json;
mod list;
mod map;
#[cfg(target_arch = "wasm32")]
mod memory;
mod observable;
mod session;
mod shared;
mod text;
mod undo;
mod utf16;
mod value;

use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::{JsError, wasm_bindgen};

pub use counter::Counter;
pub use cursor::Cursor;
pub use doc::Doc;
pub use list::{List, MovableList};
pub use map::Map;
pub use session::SyncSession;
pub use text::Text;
pub use undo::UndoManager;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(message: &str);
}

/// A core error as a JavaScript `Error`.
pub(crate) fn error(error: weft_core::Error) -> JsValue {
    JsError::new(&error.to_string()).into()
}

#[wasm_bindgen(start)]
fn start() {
    std::panic::set_hook(Box::new(|info| {
        console_error(&format!(
            "weft panicked, please report it: {info}; the module restarts on the next call"
        ));
        wasm_bindgen::handler::schedule_reinit();
    }));
}

/// The version of the weft build inside the module, for bug reports.
#[wasm_bindgen(js_name = weftVersion)]
pub fn weft_version() -> String {
    env!("CARGO_PKG_VERSION").into()
}

/// Panics, so that tests can check the module recovers.
#[wasm_bindgen(js_name = __panicForTests)]
pub fn panic_for_tests() {
    panic!("panic requested by a test");
}
