//! Parts of a call's storage that most calls never fill (the variables
//! StartCall gave none of, the subflow frames, the menu trail, the
//! variables changed this turn): a pointer while empty instead of the whole
//! collection inline. Reading an empty one reads a shared empty value;
//! writing allocates it. With these the `Call` fits mimalloc's 512-byte
//! class instead of the 768-byte one (BENCHMARKS.md section 2).

use std::{
    collections::BTreeMap,
    ops::{Deref, DerefMut},
    sync::LazyLock,
};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{StepIx, Vars};

/// A collection kept only once it holds something.
#[derive(Clone, Default)]
pub(super) struct Rarely<T>(Option<Box<T>>);

/// A collection with a shared empty value to read while there is none.
pub(super) trait Empty: Default + 'static {
    fn empty() -> &'static Self;
    fn holds_nothing(&self) -> bool;
}

impl Empty for Vec<StepIx> {
    fn empty() -> &'static Self {
        static EMPTY: Vec<StepIx> = Vec::new();
        &EMPTY
    }
    fn holds_nothing(&self) -> bool {
        self.is_empty()
    }
}

impl Empty for BTreeMap<String, String> {
    fn empty() -> &'static Self {
        static EMPTY: BTreeMap<String, String> = BTreeMap::new();
        &EMPTY
    }
    fn holds_nothing(&self) -> bool {
        self.is_empty()
    }
}

impl Empty for Vars {
    fn empty() -> &'static Self {
        static EMPTY: LazyLock<Vars> = LazyLock::new(Vars::new);
        &EMPTY
    }
    fn holds_nothing(&self) -> bool {
        self.is_empty()
    }
}

impl<T: Empty> Rarely<T> {
    /// Empties it and gives its memory back; an empty one stays free.
    pub(super) fn clear(&mut self) {
        self.0 = None;
    }
}

impl<T: Empty> From<T> for Rarely<T> {
    fn from(value: T) -> Self {
        Rarely((!value.holds_nothing()).then(|| Box::new(value)))
    }
}

impl<T: Empty> Deref for Rarely<T> {
    type Target = T;
    fn deref(&self) -> &T {
        match &self.0 {
            Some(value) => value,
            None => T::empty(),
        }
    }
}

impl<T: Empty> DerefMut for Rarely<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.0.get_or_insert_with(Box::default)
    }
}

/// Written as the collection itself, so a snapshot reads the same either
/// way.
impl<T: Empty + Serialize> Serialize for Rarely<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(s)
    }
}

impl<'de, T: Empty + Deserialize<'de>> Deserialize<'de> for Rarely<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(Rarely::from)
    }
}
