//! Syntax errors: the public [`ParseError`] and the bookkeeping that finds
//! the farthest point the grammar reached and what it expected there.
//!
//! nom's own error values are discarded by `opt`, `alt` and the list
//! combinators, so they cannot tell us everything that was tried at a
//! position. Instead every primitive parser reports its failures to a
//! per-thread [`Tracker`] (see [`record`]); the tracker keeps only the
//! farthest offset and the union of what was expected there, which is what
//! ANTLR (and therefore StarRocks) reports.

use std::cell::RefCell;
use std::fmt;

use crate::lex;

/// A syntax error, rendered in StarRocks' wording by `Display`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line of the offending token.
    pub line: usize,
    /// 0-based character column of the offending token on its line.
    pub column: usize,
    /// The detail message, without the trailing period.
    pub message: String,
    /// Whether `line` and `column` are meaningful; errors found after the
    /// grammar matched (such as an unsupported form) carry no position.
    pub positioned: bool,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.positioned {
            write!(
                f,
                "Getting syntax error at line {}, column {}. Detail message: {}.",
                self.line, self.column, self.message
            )
        } else {
            write!(f, "Getting syntax error. Detail message: {}.", self.message)
        }
    }
}

impl std::error::Error for ParseError {}

impl ParseError {
    /// An error without a position.
    pub fn unpositioned(message: impl Into<String>) -> Self {
        ParseError {
            line: 0,
            column: 0,
            message: message.into(),
            positioned: false,
        }
    }

    /// Renders the error followed by the offending source line and a caret
    /// under the column, for logs and command-line tools.
    pub fn render_with_source(&self, sql: &str) -> String {
        let mut out = self.to_string();
        if let Some(line) = sql
            .lines()
            .nth(self.line.saturating_sub(1))
            .filter(|_| self.positioned)
        {
            out.push_str("\n  | ");
            out.push_str(line);
            out.push_str("\n  | ");
            out.push_str(&" ".repeat(self.column));
            out.push('^');
        }
        out
    }
}

/// Something the grammar would have accepted at a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expected {
    /// A keyword, rendered `'TABLE'`.
    Keyword(&'static str),
    /// A punctuation token, rendered `'('`.
    Punct(&'static str),
    /// An unquoted or backquoted identifier.
    Ident,
    /// A quoted string literal.
    Str,
    /// An unsigned integer literal.
    Integer,
    /// A numeric literal.
    Number,
    /// A free-form expression.
    Expression,
    /// The end of the statement.
    Eof,
}

impl Expected {
    fn render(self) -> String {
        match self {
            Expected::Keyword(k) | Expected::Punct(k) => format!("'{k}'"),
            Expected::Ident => "a legal identifier".to_string(),
            Expected::Str => "a string".to_string(),
            Expected::Integer => "an integer".to_string(),
            Expected::Number => "a number".to_string(),
            Expected::Expression => "an expression".to_string(),
            Expected::Eof => "<EOF>".to_string(),
        }
    }
}

/// The farthest failure seen while parsing one statement.
#[derive(Debug, Default)]
struct Tracker {
    /// Byte length of the statement text; offsets are `len - rest.len()`.
    len: usize,
    farthest: usize,
    expected: Vec<Expected>,
}

thread_local! {
    static TRACKER: RefCell<Tracker> = RefCell::new(Tracker::default());
}

/// Starts tracking a new statement of `len` bytes.
pub(crate) fn reset(len: usize) {
    TRACKER.with(|t| {
        *t.borrow_mut() = Tracker {
            len,
            ..Tracker::default()
        }
    });
}

/// Notes that `what` was expected where `rest` begins (after whitespace).
pub(crate) fn record(rest: &str, what: Expected) {
    TRACKER.with(|t| {
        let mut t = t.borrow_mut();
        let offset = t.len.saturating_sub(rest.len());
        if offset > t.farthest || (offset == t.farthest && t.expected.is_empty()) {
            t.farthest = offset;
            t.expected.clear();
            t.expected.push(what);
        } else if offset == t.farthest && !t.expected.contains(&what) {
            t.expected.push(what);
        }
    });
}

/// How many expected items a message lists at most.
const MAX_SHOWN: usize = 5;

/// Builds the positioned error for the statement starting at byte `base` of
/// `full` from the tracker's farthest failure.
pub(crate) fn farthest_error(full: &str, base: usize) -> ParseError {
    let (offset, expected) = TRACKER.with(|t| {
        let t = t.borrow();
        (t.farthest, t.expected.clone())
    });
    // The statement text is trimmed, so its end may sit before whitespace
    // and the `;`; step over it so the message names the `;`.
    let tail = &full[(base + offset).min(full.len())..];
    let at = lex::skip_ws(tail);
    let abs = full.len() - at.len();
    let token = lex::token_text(at);
    let message = match lex::next_token(at) {
        Some((
            lex::TokKind::Quoted {
                terminated: false, ..
            },
            _,
        )) => format!("Unterminated quoted string starting with {token}"),
        _ => unexpected_message(&token, &expected),
    };
    let (line, column) = line_column(full, abs);
    ParseError {
        line,
        column,
        message,
        positioned: true,
    }
}

/// The error of [`crate::parse_one`] when a second statement follows the
/// first one at byte `offset`.
pub(crate) fn extra_statement(full: &str, offset: usize) -> ParseError {
    let (line, column) = line_column(full, offset);
    ParseError {
        line,
        column,
        message: unexpected_message(&lex::token_text(&full[offset..]), &[Expected::Eof]),
        positioned: true,
    }
}

fn unexpected_message(token: &str, expected: &[Expected]) -> String {
    let shown = most_similar(token, expected);
    if shown.is_empty() {
        format!("Unexpected input '{token}'")
    } else {
        format!(
            "Unexpected input '{token}', the most similar input is {{{}}}",
            shown.join(", ")
        )
    }
}

/// Picks what to list: everything when short. Otherwise categories (such as
/// "a legal identifier") come first; for a word the keywords closest to it
/// by edit distance follow, for anything else (`<EOF>`, punctuation) the
/// punctuation and then the keywords in the order the grammar tried them.
fn most_similar(token: &str, expected: &[Expected]) -> Vec<String> {
    if expected.len() <= MAX_SHOWN {
        return expected.iter().map(|e| e.render()).collect();
    }
    let is_word = matches!(lex::next_token(token), Some((lex::TokKind::Word, _)));
    let upper = token.to_ascii_uppercase();
    let mut ranked: Vec<(usize, usize, usize)> = expected
        .iter()
        .enumerate()
        .map(|(i, e)| match e {
            Expected::Keyword(k) if is_word => (1, edit_distance(&upper, k), i),
            Expected::Punct(p) if is_word => (1, edit_distance(&upper, p), i),
            Expected::Keyword(_) => (2, 0, i),
            Expected::Punct(_) => (1, 0, i),
            _ => (0, 0, i),
        })
        .collect();
    ranked.sort_unstable();
    ranked
        .into_iter()
        .take(MAX_SHOWN)
        .filter_map(|(_, _, i)| expected.get(i).map(|e| e.render()))
        .collect()
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let best = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
            cur.push(best);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// 1-based line and 0-based char column of byte `offset` in `text`.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    (line, before[line_start..].chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_forms() {
        let e = ParseError {
            line: 2,
            column: 5,
            message: "Unexpected input 'x'".into(),
            positioned: true,
        };
        assert_eq!(
            e.to_string(),
            "Getting syntax error at line 2, column 5. Detail message: Unexpected input 'x'."
        );
        assert_eq!(
            ParseError::unpositioned("nope").to_string(),
            "Getting syntax error. Detail message: nope."
        );
        let sql = "SELECT\n  1 x";
        assert!(e.render_with_source(sql).ends_with("\n  |   1 x\n  |      ^"));
    }

    #[test]
    fn positions() {
        assert_eq!(line_column("ab\ncdé f", 9), (2, 5));
        assert_eq!(line_column("abc", 0), (1, 0));
        assert_eq!(edit_distance("CREAT", "CREATE"), 1);
        assert_eq!(edit_distance("", "AB"), 2);
    }

    #[test]
    fn farthest_wins_and_merges() {
        reset(10);
        record("0123456789", Expected::Keyword("A"));
        record("56789", Expected::Keyword("B"));
        record("56789", Expected::Ident);
        record("56789", Expected::Ident);
        record("789", Expected::Keyword("C"));
        record("6789", Expected::Keyword("D"));
        let e = farthest_error("0123456xyz", 0);
        assert_eq!(e.column, 7);
        assert_eq!(
            e.message,
            "Unexpected input 'xyz', the most similar input is {'C'}"
        );
    }
}
