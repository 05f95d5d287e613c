//! Typed indices into a compiled flow's tables, so a prompt can never be
//! passed where a step belongs. Each is a `u16` on the wire and in
//! snapshots (`serde(transparent)`), exactly as the bare numbers were.

macro_rules! index {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(u16);

        impl $name {
            /// The most a flow may number; `compile` refuses a larger flow
            /// with an error before it could be served.
            pub const MAX: u16 = u16::MAX;

            /// The index of the `i`th entry. Only the compiler numbers
            /// entries, and it refuses a flow with more than `MAX` of them,
            /// so the truncation never reaches a served flow.
            pub(crate) const fn new(i: usize) -> Self {
                Self(i as u16)
            }

            /// Every index of a table of `len` entries.
            pub fn all(len: usize) -> impl Iterator<Item = Self> {
                (0..len).map(Self::new)
            }
        }

        impl From<$name> for usize {
            fn from(ix: $name) -> usize {
                usize::from(ix.0)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

index!(
    /// Index of a prompt within its flow.
    PromptIx
);
index!(
    /// Index of a step within its flow.
    StepIx
);
index!(
    /// Index of an intent within its flow.
    IntentIx
);
