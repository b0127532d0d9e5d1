//! The libraries in the comparison, one adapter file each, and the list that
//! registers them.

mod automerge;
mod diamond_types;
mod loro;
mod rope;
mod weft;
mod yrs;

use crate::subject::TextSubject;

/// Something done once per registered library, with the library as a type so that
/// the work is monomorphised for it (no dynamic dispatch inside a measure).
pub trait Visitor {
    /// Called once per library, in the order of [`for_each`].
    fn visit<S: TextSubject>(&mut self);
}

/// Visits every library in the comparison, in table column order.
///
/// This is the one list of libraries: adding one (weft included) is an adapter file
/// in this folder, its `mod` line above, and one line here.
pub fn for_each(visitor: &mut impl Visitor) {
    visitor.visit::<self::weft::Weft>();
    visitor.visit::<self::rope::Rope>();
    visitor.visit::<self::diamond_types::DiamondTypes>();
    visitor.visit::<self::yrs::Yrs>();
    visitor.visit::<self::loro::Loro>();
    visitor.visit::<self::automerge::Automerge>();
}
