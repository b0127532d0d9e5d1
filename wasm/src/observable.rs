//! `observe` and `unobserve`, the same on every container class.

use js_sys::Function;
use wasm_bindgen::prelude::wasm_bindgen;

use crate::counter::Counter;
use crate::list::{List, MovableList};
use crate::map::Map;
use crate::text::Text;

macro_rules! observable {
    ($($container:ident => $event:literal),*) => {$(
        #[wasm_bindgen]
        impl $container {
            #[doc = concat!("Calls `listener` with a `", $event, "` after each change.")]
            pub fn observe(&self, listener: Function) {
                self.shared.observe(&self.id, listener);
            }

            /// Stops calling `listener`.
            pub fn unobserve(&self, listener: &Function) {
                self.shared.unobserve(&self.id, listener);
            }
        }
    )*};
}

observable!(
    Text => "TextEvent",
    Map => "MapEvent",
    List => "ListEvent",
    MovableList => "ListEvent",
    Counter => "CounterEvent"
);
