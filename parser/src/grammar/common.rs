//! Building blocks shared by every statement family: keywords, punctuation,
//! identifiers, literals, qualified names, `PROPERTIES (...)`, `SHOW`
//! filters and raw-text capture.
//!
//! Every primitive skips leading whitespace and comments, and on failure
//! reports what it expected to the error tracker (see [`crate::error`]).

use nom::branch::alt;
use nom::combinator::{map, opt};
use nom::multi::separated_list1;
use nom::sequence::{delimited, preceded, separated_pair};
use nom::{IResult, Parser};

use crate::ast::{Literal, ShowFilter, TableName};
use crate::error::{Expected, record};
use crate::lex::{self, TokKind};

/// nom's error type for this grammar. Ordinary failures carry nothing (the
/// tracker knows where and why); a `message` marks an unpositioned error
/// raised with [`nom::Err::Failure`] that stops all backtracking.
#[derive(Debug, Default)]
pub(crate) struct Fail {
    /// Set for errors that are reported as they are, without a position.
    pub(crate) message: Option<String>,
}

impl<I> nom::error::ParseError<I> for Fail {
    fn from_error_kind(_input: I, _kind: nom::error::ErrorKind) -> Self {
        Fail::default()
    }

    fn append(_input: I, _kind: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

/// Result of a grammar rule.
pub(crate) type PResult<'a, T> = IResult<&'a str, T, Fail>;

/// Records `what` at `at` and fails softly.
pub(crate) fn fail<T>(at: &str, what: Expected) -> PResult<'_, T> {
    record(at, what);
    Err(nom::Err::Error(Fail::default()))
}

/// Fails hard with an unpositioned message.
pub(crate) fn fatal<'a, T>(message: impl Into<String>) -> PResult<'a, T> {
    Err(nom::Err::Failure(Fail {
        message: Some(message.into()),
    }))
}

/// Splits off the next word token (any word, reserved or not).
fn word(i: &str) -> Option<(&str, &str)> {
    let s = lex::skip_ws(i);
    match lex::next_token(s) {
        Some((TokKind::Word, len)) => Some((&s[..len], &s[len..])),
        _ => None,
    }
}

/// Matches one keyword, case-insensitively.
pub(crate) fn kw(keyword: &'static str) -> impl Fn(&str) -> PResult<'_, &str> {
    move |i: &str| match word(i) {
        Some((w, rest)) if w.eq_ignore_ascii_case(keyword) => Ok((rest, w)),
        _ => fail(lex::skip_ws(i), Expected::Keyword(keyword)),
    }
}

/// Matches a sequence of keywords such as `IF NOT EXISTS`.
pub(crate) fn kws(keywords: &'static [&'static str]) -> impl Fn(&str) -> PResult<'_, ()> {
    move |mut i: &str| {
        for k in keywords {
            i = kw(k)(i)?.0;
        }
        Ok((i, ()))
    }
}

/// Whether an optional keyword (sequence) is present.
pub(crate) fn flag(keywords: &'static [&'static str]) -> impl Fn(&str) -> PResult<'_, bool> {
    move |i: &str| map(opt(kws(keywords)), |o| o.is_some()).parse(i)
}

/// Matches a punctuation token.
pub(crate) fn punct(p: &'static str) -> impl Fn(&str) -> PResult<'_, &str> {
    move |i: &str| {
        let s = lex::skip_ws(i);
        match s.strip_prefix(p) {
            Some(rest) => Ok((rest, p)),
            None => fail(s, Expected::Punct(p)),
        }
    }
}

/// An identifier: a non-reserved plain word or a backquoted name.
pub(crate) fn ident(i: &str) -> PResult<'_, String> {
    let s = lex::skip_ws(i);
    match lex::next_token(s) {
        Some((TokKind::Word, len)) if lex::is_plain_ident(&s[..len]) && !lex::is_reserved(&s[..len]) => {
            Ok((&s[len..], s[..len].to_string()))
        }
        Some((
            TokKind::Quoted {
                quote: '`',
                terminated: true,
            },
            len,
        )) if len > 2 => Ok((&s[len..], lex::unescape_backquoted(&s[..len]))),
        _ => fail(s, Expected::Ident),
    }
}

/// Any plain word, reserved or not, as written (for values like `ON`).
pub(crate) fn any_word(i: &str) -> PResult<'_, String> {
    match word(i) {
        Some((w, rest)) if lex::is_plain_ident(w) => Ok((rest, w.to_string())),
        _ => fail(lex::skip_ws(i), Expected::Ident),
    }
}

/// A single- or double-quoted string literal, unescaped.
pub(crate) fn string_lit(i: &str) -> PResult<'_, String> {
    let s = lex::skip_ws(i);
    match lex::next_token(s) {
        Some((
            TokKind::Quoted {
                quote: '\'' | '"',
                terminated: true,
            },
            len,
        )) => Ok((&s[len..], lex::unescape_string(&s[..len]))),
        _ => fail(s, Expected::Str),
    }
}

/// An unsigned integer that fits `u64`.
pub(crate) fn integer(i: &str) -> PResult<'_, u64> {
    let s = lex::skip_ws(i);
    if let Some((TokKind::Number, len)) = lex::next_token(s)
        && let Ok(n) = s[..len].parse::<u64>()
    {
        return Ok((&s[len..], n));
    }
    fail(s, Expected::Integer)
}

/// An unsigned integer that fits `u32`.
pub(crate) fn integer_u32(i: &str) -> PResult<'_, u32> {
    let (rest, n) = integer(i)?;
    match u32::try_from(n) {
        Ok(n) => Ok((rest, n)),
        Err(_) => fail(lex::skip_ws(i), Expected::Integer),
    }
}

/// A number with an optional leading `-`, as text. Returns whether it is an
/// integer.
pub(crate) fn signed_number(i: &str) -> PResult<'_, (String, bool)> {
    let s = lex::skip_ws(i);
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s),
    };
    match lex::next_token(body) {
        Some((TokKind::Number, len)) => {
            let text = &body[..len];
            let int = text.bytes().all(|b| b.is_ascii_digit());
            let sign = if neg { "-" } else { "" };
            Ok((&body[len..], (format!("{sign}{text}"), int)))
        }
        _ => fail(s, Expected::Number),
    }
}

/// `NULL`, `TRUE`, `FALSE`, a number or a string.
pub(crate) fn literal(i: &str) -> PResult<'_, Literal> {
    alt((
        map(kw("NULL"), |_| Literal::Null),
        map(kw("TRUE"), |_| Literal::Bool(true)),
        map(kw("FALSE"), |_| Literal::Bool(false)),
        map(string_lit, Literal::String),
        map(signed_number, |(text, int)| {
            if int {
                Literal::Integer(text)
            } else {
                Literal::Decimal(text)
            }
        }),
    ))
    .parse(i)
}

/// `a`, `a.b` or `a.b.c`: the dotted parts of a name.
fn dotted(i: &str) -> PResult<'_, Vec<String>> {
    let (i, first) = ident(i)?;
    let (i, second) = opt(preceded(punct("."), ident)).parse(i)?;
    let Some(second) = second else {
        return Ok((i, vec![first]));
    };
    let (i, third) = opt(preceded(punct("."), ident)).parse(i)?;
    Ok((
        i,
        [Some(first), Some(second), third].into_iter().flatten().collect(),
    ))
}

/// `[catalog.][db.]table`; the catalog is dropped.
pub(crate) fn table_name(i: &str) -> PResult<'_, TableName> {
    let (i, mut parts) = dotted(i)?;
    let table = parts.pop().unwrap_or_default();
    Ok((
        i,
        TableName {
            database: parts.pop(),
            table,
        },
    ))
}

/// `[catalog.]db`; the catalog is dropped.
pub(crate) fn db_name(i: &str) -> PResult<'_, String> {
    let (i, first) = ident(i)?;
    let (i, second) = opt(preceded(punct("."), ident)).parse(i)?;
    Ok((i, second.unwrap_or(first)))
}

/// `(a, b, c)`.
pub(crate) fn ident_list(i: &str) -> PResult<'_, Vec<String>> {
    delimited(punct("("), separated_list1(punct(","), ident), punct(")")).parse(i)
}

/// `("k" = "v", ...)`.
pub(crate) fn property_list(i: &str) -> PResult<'_, Vec<(String, String)>> {
    delimited(
        punct("("),
        separated_list1(punct(","), separated_pair(string_lit, punct("="), string_lit)),
        punct(")"),
    )
    .parse(i)
}

/// `PROPERTIES ("k" = "v", ...)`.
pub(crate) fn properties(i: &str) -> PResult<'_, Vec<(String, String)>> {
    preceded(kw("PROPERTIES"), property_list).parse(i)
}

/// Optional `PROPERTIES (...)`, empty when absent.
pub(crate) fn opt_properties(i: &str) -> PResult<'_, Vec<(String, String)>> {
    map(opt(properties), Option::unwrap_or_default).parse(i)
}

/// `LIKE 'pattern'` or `WHERE <rest of the statement>`.
pub(crate) fn show_filter(i: &str) -> PResult<'_, ShowFilter> {
    alt((
        map(preceded(kw("LIKE"), string_lit), ShowFilter::Like),
        map(preceded(kw("WHERE"), raw_rest), ShowFilter::Where),
    ))
    .parse(i)
}

/// The rest of the statement, trimmed; fails when it is empty.
pub(crate) fn raw_rest(i: &str) -> PResult<'_, String> {
    let s = lex::skip_ws(i);
    if s.is_empty() {
        return fail(s, Expected::Expression);
    }
    Ok((&s[s.len()..], s.trim_end().to_string()))
}

/// Raw text up to (not including) the first depth-0 token for which `stop`
/// returns true, or the end. Fails when nothing was captured or the
/// parentheses do not balance.
pub(crate) fn raw_until(i: &str, stop: impl Fn(&str) -> bool) -> PResult<'_, String> {
    let s = lex::skip_ws(i);
    let mut pos = 0;
    let mut depth = 0usize;
    while let Some((kind, len)) = lex::next_token(&s[pos..]) {
        let tok = &s[pos..pos + len];
        if depth == 0 && kind != TokKind::Space && kind != TokKind::Comment && stop(tok) {
            break;
        }
        if kind == TokKind::Punct {
            match tok {
                "(" => depth += 1,
                ")" if depth == 0 => return fail(&s[pos..], Expected::Expression),
                ")" => depth -= 1,
                _ => {}
            }
        }
        pos += len;
    }
    let text = s[..pos].trim_end();
    if text.is_empty() {
        return fail(s, Expected::Expression);
    }
    if depth > 0 {
        return fail(&s[s.len()..], Expected::Punct(")"));
    }
    Ok((&s[pos..], text.to_string()))
}

/// `( ... )` with balanced parentheses: the trimmed raw text inside.
pub(crate) fn raw_parenthesized(i: &str) -> PResult<'_, String> {
    let (i, _) = punct("(")(i)?;
    let (i, inner) = raw_until(i, |t| t == ")")?;
    let (i, _) = punct(")")(i)?;
    Ok((i, inner))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn keywords_need_word_boundaries() {
        assert!(kw("DROP")("DROPP x").is_err());
        assert_eq!(kw("drop")(" Drop x").unwrap(), (" x", "Drop"));
    }

    #[test]
    fn identifiers() {
        assert_eq!(ident(" `a``b` x").unwrap(), (" x", "a`b".to_string()));
        assert_eq!(ident("date,").unwrap(), (",", "date".to_string()));
        assert!(ident("select").is_err());
        assert!(ident("``").is_err());
        let (_, t) = table_name("c.d.t").unwrap();
        assert_eq!(t.database.as_deref(), Some("d"));
        assert_eq!(t.table, "t");
    }

    #[test]
    fn raw_capture() {
        let (rest, e) = raw_until("f(a, ',') , b", |t| t == ",").unwrap();
        assert_eq!((rest, e.as_str()), (", b", "f(a, ',')"));
        let (rest, e) = raw_parenthesized("( now() ) x").unwrap();
        assert_eq!((rest, e.as_str()), (" x", "now()"));
        assert!(raw_parenthesized("(a").is_err());
    }

    #[test]
    fn literals() {
        assert_eq!(literal("-1").unwrap().1, Literal::Integer("-1".into()));
        assert_eq!(literal("2.5").unwrap().1, Literal::Decimal("2.5".into()));
        assert_eq!(literal("'x'").unwrap().1, Literal::String("x".into()));
        assert_eq!(literal("null").unwrap().1, Literal::Null);
    }
}
