//! One string form per enum: [`string_enum!`] declares a unit-variant enum together with its
//! string for each variant, and derives from that one table `as_str`, `FromStr`, `Display`
//! and serde (so the stored JSON, the views and the read filters cannot disagree).

use std::fmt;

/// A string that names no variant of the enum it was parsed as.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?}")]
pub struct UnknownVariant {
    /// The enum's name, e.g. `Method`.
    pub what: &'static str,
    pub value: String,
}

/// The serde visitor of a [`string_enum!`] type: accepts borrowed and owned strings.
pub(crate) struct StrVisitor<T>(pub std::marker::PhantomData<T>);

/// What [`StrVisitor`] needs of the enum.
pub(crate) trait StringEnum: Sized + 'static {
    const NAME: &'static str;
    const STRINGS: &'static [&'static str];
    fn from_name(s: &str) -> Option<Self>;
}

impl<T: StringEnum> serde::de::Visitor<'_> for StrVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} (one of {:?})", T::NAME, T::STRINGS)
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
        T::from_name(v).ok_or_else(|| E::unknown_variant(v, T::STRINGS))
    }
}

/// Declare a unit-variant enum with one string per variant:
///
/// ```ignore
/// string_enum! {
///     /// Doc.
///     #[derive(Debug, Clone, Copy, PartialEq, Eq)]
///     pub enum Scheme { Http = "http", Https = "https" }
/// }
/// ```
///
/// gives `Scheme::ALL`, `as_str`, `FromStr` (exact match), `Display`, `Serialize` and
/// `Deserialize` all from that table.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: [$name; [$($text),+].len()] = [$($name::$variant),+];

            /// The one string form of the variant (stored, shown and parsed).
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )+
                }
            }
        }

        impl $crate::model::strings::StringEnum for $name {
            const NAME: &'static str = stringify!($name);
            const STRINGS: &'static [&'static str] = &[$($text),+];
            fn from_name(s: &str) -> Option<Self> {
                match s {
                    $( $text => Some($name::$variant), )+
                    _ => None,
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::model::strings::UnknownVariant;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <$name as $crate::model::strings::StringEnum>::from_name(s).ok_or_else(|| {
                    $crate::model::strings::UnknownVariant {
                        what: stringify!($name),
                        value: s.to_string(),
                    }
                })
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_str($crate::model::strings::StrVisitor(::std::marker::PhantomData))
            }
        }
    };
}

pub(crate) use string_enum;
