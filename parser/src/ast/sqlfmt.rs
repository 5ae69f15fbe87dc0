//! Helpers that print identifiers, strings and lists as SQL the parser reads
//! back unchanged.

use std::fmt;

use crate::lex;

/// Writes an identifier, backquoted only when it would not parse bare
/// (reserved word, unusual characters, empty).
pub(crate) struct Ident<'a>(pub &'a str);

impl fmt::Display for Ident<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if lex::is_plain_ident(self.0) && !lex::is_reserved(self.0) {
            f.write_str(self.0)
        } else {
            write!(f, "`{}`", self.0.replace('`', "``"))
        }
    }
}

/// Writes a single-quoted string literal.
pub(crate) struct Str<'a>(pub &'a str);

impl fmt::Display for Str<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_quoted(f, self.0, '\'')
    }
}

/// Writes a double-quoted string literal (the style of `PROPERTIES`).
pub(crate) struct DqStr<'a>(pub &'a str);

impl fmt::Display for DqStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_quoted(f, self.0, '"')
    }
}

fn write_quoted(f: &mut fmt::Formatter<'_>, s: &str, quote: char) -> fmt::Result {
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    f.write_str(&out)
}

/// Writes `(a, b, c)` with every item as an identifier.
pub(crate) struct IdentList<'a>(pub &'a [String]);

impl fmt::Display for IdentList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(")?;
        for (i, item) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}", Ident(item))?;
        }
        f.write_str(")")
    }
}

/// Writes `("k" = "v", ...)`.
pub(crate) struct PropertyList<'a>(pub &'a [(String, String)]);

impl fmt::Display for PropertyList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(")?;
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{} = {}", DqStr(k), DqStr(v))?;
        }
        f.write_str(")")
    }
}

/// Writes ` PROPERTIES (...)` when there are properties, nothing otherwise.
pub(crate) struct Properties<'a>(pub &'a [(String, String)]);

impl fmt::Display for Properties<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            Ok(())
        } else {
            write!(f, " PROPERTIES {}", PropertyList(self.0))
        }
    }
}
