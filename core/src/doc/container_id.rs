//! How a document names its containers.

use alloc::string::String;
use alloc::vec::Vec;

use crate::Dot;

/// What a container holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// Plain text ([`Text`](crate::Text)).
    Text,
    /// String keys to values, last writer wins per key.
    Map,
    /// A sequence of values.
    List,
    /// A sequence of values that can also be moved and replaced in place.
    MovableList,
    /// A number that replicas add to.
    Counter,
    /// One value, last writer wins.
    Register,
}

impl Kind {
    pub(crate) const ALL: [Kind; 6] = [
        Kind::Text,
        Kind::Map,
        Kind::List,
        Kind::Counter,
        Kind::Register,
        Kind::MovableList,
    ];

    pub(crate) fn code(self) -> u8 {
        match self {
            Kind::Text => 0,
            Kind::Map => 1,
            Kind::List => 2,
            Kind::Counter => 3,
            Kind::Register => 4,
            Kind::MovableList => 5,
        }
    }

    pub(crate) fn from_code(code: u64) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|kind| u64::from(kind.code()) == code)
    }
}

/// Where a container's name starts: a root of the document, or an element of a list.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Base {
    /// A named root, like `doc.getText("body")`.
    Root(String),
    /// The `index`-th value inserted by the list operation `op`.
    Element {
        /// The operation that inserted the element.
        op: Dot,
        /// Which of its values.
        index: u32,
    },
}

/// The name of a container: a base, then the map keys that lead from it.
///
/// A container inside a map is named by its path, not by the operation that created
/// it. So two replicas that concurrently put a new list under the same key of the same
/// map create the same list, and both sides' items survive the merge; that is the
/// document's answer to concurrent creation (see the module docs). Containers inside
/// lists are named by the element that holds them, which is unique.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContainerId {
    /// Where the name starts.
    pub base: Base,
    /// The map keys from the base to the container; every container on the way is a
    /// map.
    pub path: Vec<String>,
    /// What the container holds.
    pub kind: Kind,
}

impl ContainerId {
    /// The root container `name` of `kind`.
    pub fn root(name: &str, kind: Kind) -> Self {
        Self {
            base: Base::Root(name.into()),
            path: Vec::new(),
            kind,
        }
    }

    /// The root text `name`.
    pub fn text(name: &str) -> Self {
        Self::root(name, Kind::Text)
    }

    /// The root map `name`.
    pub fn map(name: &str) -> Self {
        Self::root(name, Kind::Map)
    }

    /// The root list `name`.
    pub fn list(name: &str) -> Self {
        Self::root(name, Kind::List)
    }

    /// The root movable list `name`.
    pub fn movable_list(name: &str) -> Self {
        Self::root(name, Kind::MovableList)
    }

    /// The root counter `name`.
    pub fn counter(name: &str) -> Self {
        Self::root(name, Kind::Counter)
    }

    /// The root register `name`.
    pub fn register(name: &str) -> Self {
        Self::root(name, Kind::Register)
    }

    /// The container of `kind` under `key` of this map.
    pub fn child(&self, key: &str, kind: Kind) -> Self {
        let mut path = self.path.clone();
        path.push(key.into());
        Self {
            base: self.base.clone(),
            path,
            kind,
        }
    }

    /// The container of `kind` held by a list element.
    pub fn element(op: Dot, index: u32, kind: Kind) -> Self {
        Self {
            base: Base::Element { op, index },
            path: Vec::new(),
            kind,
        }
    }

    /// Whether this is a root container.
    pub fn is_root(&self) -> bool {
        matches!(self.base, Base::Root(_)) && self.path.is_empty()
    }
}
