//! Lexical helpers shared by the grammar, the statement splitter and the
//! error renderer.
//!
//! The grammar works directly on `&str` (nom style), but several places need
//! to step over the input one token at a time without understanding it: the
//! statement splitter, the scanners that capture raw expression text, and the
//! error renderer that quotes the offending token. They all use
//! [`next_token`], so quotes and comments are recognised the same way
//! everywhere.

/// The coarse class of a raw token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokKind {
    /// Spaces, tabs and newlines.
    Space,
    /// `-- ...`, `# ...` or `/* ... */`.
    Comment,
    /// A run of letters, digits and `_` starting with a letter or `_`.
    Word,
    /// A numeric literal such as `12`, `1.5` or `3e10`.
    Number,
    /// A quoted string or backquoted identifier.
    Quoted {
        /// The quote character: `'`, `"` or `` ` ``.
        quote: char,
        /// Whether the closing quote was found before the end of the input.
        terminated: bool,
    },
    /// Any other single character (or a two-character operator).
    Punct,
}

/// Returns the class and byte length of the token at the start of `s`, or
/// `None` when `s` is empty.
pub(crate) fn next_token(s: &str) -> Option<(TokKind, usize)> {
    let c = s.chars().next()?;
    let rest = &s[c.len_utf8()..];
    let tok = if c.is_whitespace() {
        let len = s.find(|ch: char| !ch.is_whitespace()).unwrap_or(s.len());
        (TokKind::Space, len)
    } else if s.starts_with("--") || c == '#' {
        (TokKind::Comment, s.find('\n').unwrap_or(s.len()))
    } else if let Some(body) = s.strip_prefix("/*") {
        let len = body.find("*/").map_or(s.len(), |p| p + 4);
        (TokKind::Comment, len)
    } else if c == '\'' || c == '"' || c == '`' {
        let (len, terminated) = scan_quoted(s, c);
        (TokKind::Quoted { quote: c, terminated }, len)
    } else if c.is_ascii_digit() {
        scan_number(s)
    } else if c.is_alphabetic() || c == '_' {
        (TokKind::Word, c.len_utf8() + word_len(rest))
    } else {
        let two = ["<=>", "<=", ">=", "<>", "!=", ":=", "||", "&&", "@@"]
            .iter()
            .find(|op| s.starts_with(**op))
            .map_or(c.len_utf8(), |op| op.len());
        (TokKind::Punct, two)
    };
    Some(tok)
}

/// Byte length of the leading run of word characters (letters, digits, `_`).
fn word_len(s: &str) -> usize {
    s.find(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
        .unwrap_or(s.len())
}

/// Scans a quoted token starting at `s[0] == quote`. Backslash escapes apply
/// inside `'` and `"` strings; a doubled quote character stands for itself.
fn scan_quoted(s: &str, quote: char) -> (usize, bool) {
    let bytes = s.as_bytes();
    let q = quote as u8;
    let mut i = 1;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\\' && quote != '`' {
            i += 2;
        } else if b == q {
            if bytes.get(i + 1) == Some(&q) {
                i += 2;
            } else {
                return (i + 1, true);
            }
        } else {
            i += 1;
        }
    }
    (s.len(), false)
}

/// Scans a number; a digit run glued to letters (`1a`) is treated as a word.
fn scan_number(s: &str) -> (TokKind, usize) {
    let bytes = s.as_bytes();
    let digits = |from: usize| bytes[from..].iter().take_while(|b| b.is_ascii_digit()).count();
    let mut i = digits(0);
    if bytes.get(i) == Some(&b'.') {
        i += 1 + digits(i + 1);
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(bytes.get(i + 1), Some(b'+' | b'-')));
        let exp = digits(i + 1 + sign);
        if exp > 0 {
            i += 1 + sign + exp;
        }
    }
    let glued = word_len(&s[i..]);
    if glued > 0 {
        (TokKind::Word, i + glued)
    } else {
        (TokKind::Number, i)
    }
}

/// Skips whitespace and comments.
pub(crate) fn skip_ws(mut s: &str) -> &str {
    while let Some((TokKind::Space | TokKind::Comment, len)) = next_token(s) {
        s = &s[len..];
    }
    s
}

/// Text of the token at the start of `s` for error messages: `<EOF>` at the
/// end, otherwise the token shortened to a readable length.
pub(crate) fn token_text(s: &str) -> String {
    match next_token(s) {
        None => "<EOF>".to_string(),
        Some((_, len)) => {
            let text = &s[..len];
            if text.chars().count() > 40 {
                let short: String = text.chars().take(40).collect();
                format!("{short}...")
            } else {
                text.to_string()
            }
        }
    }
}

/// Decodes the body of a `'...'` or `"..."` token (quotes included in `tok`).
///
/// MySQL escapes are honoured; `\%` and `\_` keep their backslash because
/// they are meaningful to `LIKE`.
pub(crate) fn unescape_string(tok: &str) -> String {
    let mut chars = tok.chars();
    let quote = chars.next().unwrap_or('\'');
    let body: Vec<char> = chars.collect();
    let body = match body.split_last() {
        Some((last, init)) if *last == quote => init,
        _ => &body[..],
    };
    let mut out = String::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        let c = body[i];
        if c == '\\' && i + 1 < body.len() {
            let next = body[i + 1];
            match next {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                '0' => out.push('\0'),
                'b' => out.push('\u{8}'),
                'Z' => out.push('\u{1a}'),
                '%' | '_' => {
                    out.push('\\');
                    out.push(next);
                }
                other => out.push(other),
            }
            i += 2;
        } else if c == quote && body.get(i + 1) == Some(&quote) {
            out.push(quote);
            i += 2;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Decodes a backquoted identifier token (`` `a``b` `` → ``a`b``).
pub(crate) fn unescape_backquoted(tok: &str) -> String {
    let inner = tok
        .strip_prefix('`')
        .and_then(|t| t.strip_suffix('`'))
        .unwrap_or(tok);
    inner.replace("``", "`")
}

/// Whether `w` has the shape of an unquoted identifier.
pub(crate) fn is_plain_ident(w: &str) -> bool {
    let mut chars = w.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// StarRocks' reserved words: they cannot be used as unquoted identifiers.
/// Sorted, so a binary search finds them.
const RESERVED: &[&str] = &[
    "ADD",
    "ALL",
    "ALTER",
    "ANALYZE",
    "AND",
    "ARRAY",
    "AS",
    "ASC",
    "BETWEEN",
    "BIGINT",
    "BITMAP",
    "BOTH",
    "BY",
    "CASE",
    "CHAR",
    "CHARACTER",
    "CHECK",
    "COLLATE",
    "COLUMN",
    "COMPACTION",
    "CONVERT",
    "CREATE",
    "CROSS",
    "CUBE",
    "CURRENT_DATE",
    "CURRENT_ROLE",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "CURRENT_USER",
    "DATABASE",
    "DATABASES",
    "DECIMAL",
    "DECIMAL128",
    "DECIMAL32",
    "DECIMAL64",
    "DECIMALV2",
    "DEFAULT",
    "DEFERRED",
    "DELETE",
    "DENSE_RANK",
    "DESC",
    "DESCRIBE",
    "DISTINCT",
    "DOUBLE",
    "DROP",
    "DUAL",
    "ELSE",
    "EXCEPT",
    "EXISTS",
    "EXPLAIN",
    "FALSE",
    "FIRST_VALUE",
    "FLOAT",
    "FOR",
    "FORCE",
    "FROM",
    "FULL",
    "FUNCTION",
    "GRANT",
    "GROUP",
    "GROUPING",
    "GROUPING_ID",
    "GROUPS",
    "HAVING",
    "HLL",
    "HOST",
    "IF",
    "IGNORE",
    "IMMEDIATE",
    "IN",
    "INDEX",
    "INFILE",
    "INNER",
    "INSERT",
    "INT",
    "INTEGER",
    "INTERSECT",
    "INTO",
    "IS",
    "JOIN",
    "JSON",
    "KEY",
    "KEYS",
    "KILL",
    "LAG",
    "LARGEINT",
    "LAST_VALUE",
    "LATERAL",
    "LEAD",
    "LEFT",
    "LIKE",
    "LIMIT",
    "LOAD",
    "LOCALTIME",
    "LOCALTIMESTAMP",
    "MAXVALUE",
    "MINUS",
    "MOD",
    "NOT",
    "NTILE",
    "NULL",
    "ON",
    "OR",
    "ORDER",
    "OUTER",
    "OUTFILE",
    "OVER",
    "PARTITION",
    "PERCENTILE",
    "PRIMARY",
    "PROCEDURE",
    "QUALIFY",
    "RANGE",
    "RANK",
    "READ",
    "REGEXP",
    "RELEASE",
    "RENAME",
    "REPLACE",
    "REVOKE",
    "RIGHT",
    "RLIKE",
    "ROW",
    "ROWS",
    "ROW_NUMBER",
    "SCHEMA",
    "SCHEMAS",
    "SELECT",
    "SET",
    "SET_VAR",
    "SHOW",
    "SMALLINT",
    "SYSTEM",
    "TABLE",
    "TERMINATED",
    "TEXT",
    "THEN",
    "TINYINT",
    "TO",
    "TRUE",
    "UNION",
    "UNIQUE",
    "UNSIGNED",
    "UPDATE",
    "USE",
    "USING",
    "VALUES",
    "VARCHAR",
    "WHEN",
    "WHERE",
    "WITH",
];

/// Whether `w` is a reserved word (case-insensitive).
pub(crate) fn is_reserved(w: &str) -> bool {
    let upper = w.to_ascii_uppercase();
    RESERVED.binary_search(&upper.as_str()).is_ok()
}

/// Splits `sql` on `;` outside quotes and comments; see
/// [`crate::split_statements`].
pub(crate) fn split(sql: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut push = |start: usize, end: usize| {
        let piece = &sql[start..end];
        if !skip_ws(piece).is_empty() {
            let lead = piece.len() - piece.trim_start().len();
            out.push((start + lead, piece.trim()));
        }
    };
    let mut start = 0;
    let mut pos = 0;
    while let Some((kind, len)) = next_token(&sql[pos..]) {
        if kind == TokKind::Punct && sql[pos..].starts_with(';') {
            push(start, pos);
            start = pos + len;
        }
        pos += len;
    }
    push(start, sql.len());
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn reserved_list_is_sorted() {
        assert!(RESERVED.windows(2).all(|w| w[0] < w[1]));
        assert!(is_reserved("select"));
        assert!(!is_reserved("date"));
    }

    #[test]
    fn tokens() {
        assert_eq!(next_token("abc d"), Some((TokKind::Word, 3)));
        assert_eq!(next_token("12.5e3x"), Some((TokKind::Word, 7)));
        assert_eq!(next_token("12.5e3 "), Some((TokKind::Number, 6)));
        assert_eq!(next_token("1.5"), Some((TokKind::Number, 3)));
        assert_eq!(
            next_token("'a\\'b''c' x"),
            Some((
                TokKind::Quoted {
                    quote: '\'',
                    terminated: true
                },
                9
            ))
        );
        assert_eq!(
            next_token("'abc"),
            Some((
                TokKind::Quoted {
                    quote: '\'',
                    terminated: false
                },
                4
            ))
        );
        assert_eq!(next_token("-- x\ny"), Some((TokKind::Comment, 4)));
        assert_eq!(next_token("/* a */b"), Some((TokKind::Comment, 7)));
        assert_eq!(next_token("<=>"), Some((TokKind::Punct, 3)));
        assert_eq!(skip_ws("  /* c */ # x\n -- y\n z"), "z");
    }

    #[test]
    fn unescape() {
        assert_eq!(unescape_string("'a\\'b''c'"), "a'b'c");
        assert_eq!(unescape_string("\"x\\n\\%\""), "x\n\\%");
        assert_eq!(unescape_backquoted("`a``b`"), "a`b");
    }

    #[test]
    fn split_respects_quotes_and_comments() {
        let sql = "select ';' ; -- a;b\n ;  /* ; */ show tables;\n\n";
        let parts = split(sql);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], (0, "select ';'"));
        assert_eq!(parts[1].1, "/* ; */ show tables");
        assert_eq!(&sql[parts[1].0..parts[1].0 + 7], "/* ; */");
    }
}
