//! The codec seam between Rust values and SQLite's storage classes: `ToSql` for parameters, `FromSql` for
//! columns. Conversions never panic: an out-of-range integer or invalid UTF-8 is a [`ColumnError`].

use super::error::ColumnError;

/// A value borrowed from Rust for binding, or from SQLite for reading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'a> {
    Null,
    Integer(i64),
    Real(f64),
    Text(&'a [u8]),
    Blob(&'a [u8]),
}

impl ValueRef<'_> {
    /// SQLite's name for the storage class, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            ValueRef::Null => "NULL",
            ValueRef::Integer(_) => "INTEGER",
            ValueRef::Real(_) => "REAL",
            ValueRef::Text(_) => "TEXT",
            ValueRef::Blob(_) => "BLOB",
        }
    }
}

/// A Rust value that can be bound as a statement parameter.
pub trait ToSql {
    fn to_sql(&self) -> ValueRef<'_>;
}

/// A Rust value that can be read from a column.
pub trait FromSql: Sized {
    fn from_sql(value: ValueRef<'_>) -> Result<Self, ColumnError>;
}

fn type_error<T>(expected: &'static str, found: ValueRef<'_>) -> Result<T, ColumnError> {
    Err(ColumnError::Type {
        expected,
        found: found.type_name(),
    })
}

impl<T: ToSql + ?Sized> ToSql for &T {
    fn to_sql(&self) -> ValueRef<'_> {
        (**self).to_sql()
    }
}

impl<T: ToSql> ToSql for Option<T> {
    fn to_sql(&self) -> ValueRef<'_> {
        match self {
            Some(value) => value.to_sql(),
            None => ValueRef::Null,
        }
    }
}

impl ToSql for i64 {
    fn to_sql(&self) -> ValueRef<'_> {
        ValueRef::Integer(*self)
    }
}

macro_rules! lossless_integer_to_sql {
    ($($t:ty),*) => {$(
        impl ToSql for $t {
            fn to_sql(&self) -> ValueRef<'_> {
                ValueRef::Integer(i64::from(*self))
            }
        }
    )*};
}
lossless_integer_to_sql!(i32, u32, u16, u8, bool);

impl ToSql for f64 {
    fn to_sql(&self) -> ValueRef<'_> {
        ValueRef::Real(*self)
    }
}

impl ToSql for str {
    fn to_sql(&self) -> ValueRef<'_> {
        ValueRef::Text(self.as_bytes())
    }
}

impl ToSql for String {
    fn to_sql(&self) -> ValueRef<'_> {
        ValueRef::Text(self.as_bytes())
    }
}

impl ToSql for [u8] {
    fn to_sql(&self) -> ValueRef<'_> {
        ValueRef::Blob(self)
    }
}

impl ToSql for Vec<u8> {
    fn to_sql(&self) -> ValueRef<'_> {
        ValueRef::Blob(self)
    }
}

impl<const N: usize> ToSql for [u8; N] {
    fn to_sql(&self) -> ValueRef<'_> {
        ValueRef::Blob(self)
    }
}

impl<T: FromSql> FromSql for Option<T> {
    fn from_sql(value: ValueRef<'_>) -> Result<Self, ColumnError> {
        match value {
            ValueRef::Null => Ok(None),
            other => T::from_sql(other).map(Some),
        }
    }
}

impl FromSql for i64 {
    fn from_sql(value: ValueRef<'_>) -> Result<Self, ColumnError> {
        match value {
            ValueRef::Integer(v) => Ok(v),
            other => type_error("INTEGER", other),
        }
    }
}

macro_rules! checked_integer_from_sql {
    ($($t:ty),*) => {$(
        impl FromSql for $t {
            fn from_sql(value: ValueRef<'_>) -> Result<Self, ColumnError> {
                let wide = i64::from_sql(value)?;
                <$t>::try_from(wide).map_err(|_| ColumnError::OutOfRange {
                    value: wide,
                    target: stringify!($t),
                })
            }
        }
    )*};
}
checked_integer_from_sql!(i32, u32, u16, u8, u64, usize);

impl FromSql for bool {
    fn from_sql(value: ValueRef<'_>) -> Result<Self, ColumnError> {
        match i64::from_sql(value)? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(ColumnError::OutOfRange {
                value: other,
                target: "bool",
            }),
        }
    }
}

impl FromSql for f64 {
    fn from_sql(value: ValueRef<'_>) -> Result<Self, ColumnError> {
        match value {
            ValueRef::Real(v) => Ok(v),
            // SQLite stores whole REAL values as INTEGER when the column affinity allows it.
            ValueRef::Integer(v) => Ok(v as f64),
            other => type_error("REAL", other),
        }
    }
}

impl FromSql for String {
    fn from_sql(value: ValueRef<'_>) -> Result<Self, ColumnError> {
        match value {
            ValueRef::Text(bytes) => std::str::from_utf8(bytes)
                .map(str::to_owned)
                .map_err(|_| ColumnError::InvalidUtf8),
            other => type_error("TEXT", other),
        }
    }
}

impl FromSql for Vec<u8> {
    fn from_sql(value: ValueRef<'_>) -> Result<Self, ColumnError> {
        match value {
            ValueRef::Blob(bytes) => Ok(bytes.to_vec()),
            other => type_error("BLOB", other),
        }
    }
}
