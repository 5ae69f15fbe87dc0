//! Configuration files in StarRocks' `key = value` format.
//!
//! `conf/fe.conf` and `conf/be.conf` hold one setting per line; `#` starts a
//! comment. [`ConfFile::parse`] reads the text into ordered entries, and the typed
//! [`FeConfig`] / [`BeConfig`] structs take those entries, converting each value
//! and collecting keys they do not know as warnings (StarRocks ignores unknown
//! keys too, but silently; we say so at start-up).
//!
//! Every key has a default in code, so an empty file — or no file — is a valid
//! configuration. The shipped files list every key with its default and meaning;
//! a test checks that both agree.

#![warn(missing_docs)]

mod be;
mod fe;
mod file;

pub use be::BeConfig;
pub use fe::FeConfig;
pub use file::{ConfError, ConfFile, Entry};

/// One configuration key as `ADMIN SHOW FRONTEND CONFIG` and
/// `information_schema.be_configs` describe it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The key.
    pub key: &'static str,
    /// Its Rust type (`u64`, `String`, ...).
    pub ty: &'static str,
    /// Its meaning, from the declaration.
    pub doc: &'static str,
}

/// Declares a typed configuration struct: fields, defaults and docs in one list.
///
/// Generates `Default`, `set(key, value)` (parse one value into its field) and
/// `KEYS` (every accepted key), so adding a setting is one line here and one line
/// in the shipped `.conf` file.
macro_rules! config_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[doc = $doc:literal])+ $field:ident : $ty:ty = $default:expr, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name {
            $( $(#[doc = $doc])+ pub $field: $ty, )*
        }

        impl Default for $name {
            fn default() -> Self {
                Self { $( $field: $default.into(), )* }
            }
        }

        impl $name {
            /// Every key this configuration accepts.
            pub const KEYS: &'static [&'static str] = &[$( stringify!($field), )*];

            /// Every key with its type and meaning, in declaration order.
            pub const FIELDS: &'static [$crate::Field] = &[$(
                $crate::Field {
                    key: stringify!($field),
                    ty: stringify!($ty),
                    doc: concat!($($doc),+),
                },
            )*];

            /// The value of `key` as text; `None` for an unknown key.
            pub fn get(&self, key: &str) -> Option<String> {
                match key {
                    $( stringify!($field) => Some(self.$field.to_string()), )*
                    _ => None,
                }
            }

            /// Sets one key from its text value. Returns `Ok(false)` for an unknown key.
            pub fn set(&mut self, key: &str, value: &str) -> Result<bool, $crate::ConfError> {
                match key {
                    $( stringify!($field) => {
                        self.$field = $crate::file::parse_value(key, value)?;
                        Ok(true)
                    } )*
                    _ => Ok(false),
                }
            }

            /// Builds a configuration from a parsed file; unknown keys are returned
            /// as warnings, bad values are errors.
            pub fn from_file(file: &$crate::ConfFile) -> Result<(Self, Vec<String>), $crate::ConfError> {
                let mut conf = Self::default();
                let mut warnings = Vec::new();
                for entry in file.entries() {
                    if !conf.set(&entry.key, &entry.value)? {
                        warnings.push(format!(
                            "unknown configuration key '{}' at line {} (ignored)",
                            entry.key, entry.line
                        ));
                    }
                }
                Ok((conf, warnings))
            }

            /// Reads and builds a configuration from a file path.
            pub fn load(path: &std::path::Path) -> Result<(Self, Vec<String>), $crate::ConfError> {
                Self::from_file(&$crate::ConfFile::read(path)?)
            }
        }
    };
}
pub(crate) use config_struct;
