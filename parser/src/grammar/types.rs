//! Column types, with StarRocks' aliases folded into [`DataType`].

use nom::Parser;
use nom::branch::alt;
use nom::combinator::{map, opt};
use nom::sequence::{delimited, preceded};

use super::common::{PResult, fatal, integer_u32, kw, punct};
use crate::ast::{DataType, STRING_LENGTH};

/// `(n)` after a type name.
fn length(i: &str) -> PResult<'_, u32> {
    delimited(punct("("), integer_u32, punct(")")).parse(i)
}

/// An integer type; a display width such as `INT(11)` is accepted and
/// ignored.
fn int_type(i: &str) -> PResult<'_, DataType> {
    let (i, ty) = alt((
        map(kw("TINYINT"), |_| DataType::TinyInt),
        map(kw("SMALLINT"), |_| DataType::SmallInt),
        map(alt((kw("INT"), kw("INTEGER"))), |_| DataType::Int),
        map(kw("BIGINT"), |_| DataType::BigInt),
        map(kw("LARGEINT"), |_| DataType::LargeInt),
    ))
    .parse(i)?;
    let (i, _) = opt(length).parse(i)?;
    Ok((i, ty))
}

/// `DECIMAL[(p[, s])]` and its spellings `DECIMALV2`, `DECIMALV3`,
/// `DECIMAL32`, `DECIMAL64`, `DECIMAL128`, `NUMERIC`.
fn decimal_type(i: &str) -> PResult<'_, DataType> {
    let (i, name) = alt((
        kw("DECIMAL"),
        kw("DECIMALV2"),
        kw("DECIMALV3"),
        kw("DECIMAL32"),
        kw("DECIMAL64"),
        kw("DECIMAL128"),
        kw("NUMERIC"),
    ))
    .parse(i)?;
    let name = name.to_ascii_uppercase();
    let (max, default_precision) = match name.as_str() {
        "DECIMAL32" => (9, 9),
        "DECIMAL64" => (18, 18),
        "DECIMAL128" => (38, 38),
        _ => (38, 10),
    };
    let (i, args) = opt(delimited(
        punct("("),
        (integer_u32, opt(preceded(punct(","), integer_u32))),
        punct(")"),
    ))
    .parse(i)?;
    let (precision, scale) = match args {
        Some((p, s)) => (p, s.unwrap_or(0)),
        None => (default_precision, 0),
    };
    if precision == 0 || precision > max {
        return fatal(format!(
            "Invalid {name} precision {precision}: it must be between 1 and {max}"
        ));
    }
    if scale > precision {
        return fatal(format!(
            "Invalid {name} scale {scale}: it must be between 0 and the precision {precision}"
        ));
    }
    // Both values are at most 38 here, so the conversions cannot fail.
    let precision = u8::try_from(precision).unwrap_or(u8::MAX);
    let scale = u8::try_from(scale).unwrap_or(u8::MAX);
    Ok((i, DataType::Decimal { precision, scale }))
}

/// `CHAR[(n)]`, `VARCHAR[(n)]` (both default to 1), `STRING`, `TEXT`.
/// `VARCHAR(65533)` is the same type as `STRING` and parses as it.
fn string_type(i: &str) -> PResult<'_, DataType> {
    alt((
        map(preceded(kw("CHAR"), opt(length)), |n| {
            DataType::Char(n.unwrap_or(1))
        }),
        map(preceded(kw("VARCHAR"), opt(length)), |n| match n.unwrap_or(1) {
            STRING_LENGTH => DataType::String,
            n => DataType::Varchar(n),
        }),
        map(alt((kw("STRING"), kw("TEXT"))), |_| DataType::String),
    ))
    .parse(i)
}

/// Any supported column type.
pub(super) fn data_type(i: &str) -> PResult<'_, DataType> {
    alt((
        map(alt((kw("BOOLEAN"), kw("BOOL"))), |_| DataType::Boolean),
        int_type,
        map(kw("FLOAT"), |_| DataType::Float),
        map(kw("DOUBLE"), |_| DataType::Double),
        decimal_type,
        string_type,
        map(kw("DATE"), |_| DataType::Date),
        map(alt((kw("DATETIME"), kw("TIMESTAMP"))), |_| DataType::DateTime),
        map(kw("JSON"), |_| DataType::Json),
    ))
    .parse(i)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ty(s: &str) -> DataType {
        data_type(s).unwrap().1
    }

    #[test]
    fn aliases() {
        assert_eq!(ty("int(11)"), DataType::Int);
        assert_eq!(ty("INTEGER"), DataType::Int);
        assert_eq!(ty("bool"), DataType::Boolean);
        assert_eq!(
            ty("decimal"),
            DataType::Decimal {
                precision: 10,
                scale: 0
            }
        );
        assert_eq!(
            ty("DECIMAL64(12, 3)"),
            DataType::Decimal {
                precision: 12,
                scale: 3
            }
        );
        assert_eq!(ty("varchar"), DataType::Varchar(1));
        assert_eq!(ty("varchar(65533)"), DataType::String);
        assert_eq!(ty("text"), DataType::String);
        assert_eq!(ty("timestamp"), DataType::DateTime);
        assert_eq!(ty("char"), DataType::Char(1));
    }

    #[test]
    fn display_reparses() {
        for t in [
            DataType::Int,
            DataType::String,
            DataType::Varchar(10),
            DataType::Decimal {
                precision: 27,
                scale: 9,
            },
        ] {
            assert_eq!(ty(&t.to_string()), t);
        }
    }

    #[test]
    fn bad_decimal_is_fatal() {
        assert!(matches!(data_type("DECIMAL32(10, 2)"), Err(nom::Err::Failure(_))));
        assert!(matches!(data_type("DECIMAL(5, 6)"), Err(nom::Err::Failure(_))));
    }
}
