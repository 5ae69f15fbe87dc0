//! Rewrites of MySQL-only syntax that DataFusion does not plan, applied to the
//! query text before planning: `CAST(x AS SIGNED [INTEGER])`,
//! `CAST(x AS UNSIGNED [INTEGER])` and `CONVERT(x, type)`. MariaDB
//! Connector/J's `getColumns` query uses all three.

/// The DataFusion type for a MySQL cast target, if it needs mapping.
fn map_type(ty: &str) -> String {
    let lower = ty.trim().to_ascii_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    match words.as_slice() {
        ["signed"] | ["signed", "integer"] | ["signed", "int"] => "BIGINT".into(),
        ["unsigned"] | ["unsigned", "integer"] | ["unsigned", "int"] => "BIGINT".into(),
        _ => ty.trim().to_string(),
    }
}

/// Index of the `)` closing the `(` at `open`, skipping quoted text.
fn closing(s: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0;
    let mut quote: Option<u8> = None;
    let mut i = open;
    while i < s.len() {
        let c = s[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                b'\'' | b'"' | b'`' => quote = Some(c),
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    None
}

/// Last comma at depth 0 of `s`.
fn top_level_comma(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let (mut depth, mut quote, mut last) = (0i32, None::<u8>, None);
    for (i, c) in b.iter().enumerate() {
        match quote {
            Some(q) if *c == q => quote = None,
            Some(_) => {}
            None => match c {
                b'\'' | b'"' | b'`' => quote = Some(*c),
                b'(' => depth += 1,
                b')' => depth -= 1,
                b',' if depth == 0 => last = Some(i),
                _ => {}
            },
        }
    }
    last
}

/// For every byte, whether it is inside a quoted string or identifier.
fn quoted(s: &[u8]) -> Vec<bool> {
    let mut out = Vec::with_capacity(s.len());
    let mut quote: Option<u8> = None;
    for c in s {
        match quote {
            Some(q) if *c == q => {
                out.push(true);
                quote = None;
            }
            Some(_) => out.push(true),
            None if matches!(c, b'\'' | b'"' | b'`') => {
                out.push(true);
                quote = Some(*c);
            }
            None => out.push(false),
        }
    }
    out
}

fn is_word_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Renames calls `name(` (any case, outside quotes, whole word) to `to(`.
fn rename_function(sql: &str, name: &str, to: &str) -> String {
    let lower = sql.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let in_quotes = quoted(bytes);
    let mut out = String::with_capacity(sql.len());
    let mut last = 0;
    let mut from = 0;
    while let Some(pos) = lower[from..].find(name) {
        let start = from + pos;
        let end = start + name.len();
        let word = !in_quotes[start]
            && (start == 0 || !is_word_char(bytes[start - 1]))
            && lower[end..].trim_start().starts_with('(')
            && (end == bytes.len() || !is_word_char(bytes[end]));
        if word {
            out.push_str(&sql[last..start]);
            out.push_str(to);
            last = end;
        }
        from = end;
    }
    out.push_str(&sql[last..]);
    out
}

/// Applies the rewrites. Text that does not match a pattern is left alone.
pub fn rewrite(sql: &str) -> String {
    let mut out = sql.to_string();
    // CONVERT(expr, type) -> CAST(expr AS type), innermost first.
    loop {
        let lower = out.to_ascii_lowercase();
        let bytes = lower.as_bytes();
        let in_quotes = quoted(bytes);
        let mut found = None;
        let mut from = 0;
        while let Some(pos) = lower[from..].find("convert") {
            let start = from + pos;
            let before_ok = !in_quotes[start] && (start == 0 || !is_word_char(bytes[start - 1]));
            let after = lower[start + 7..].trim_start();
            if before_ok && after.starts_with('(') {
                found = Some((start, lower.len() - after.len()));
            }
            from = start + 7;
        }
        let Some((start, open)) = found else { break };
        let Some(close) = closing(out.as_bytes(), open) else {
            break;
        };
        let inner = &out[open + 1..close];
        let Some(comma) = top_level_comma(inner) else {
            break;
        };
        let replaced = format!("CAST({} AS {})", &inner[..comma], map_type(&inner[comma + 1..]));
        out = format!("{}{}{}", &out[..start], replaced, &out[close + 1..]);
    }
    // SUBSTRING/SUBSTR with MySQL's semantics (DataFusion errors on a
    // negative length where MySQL returns '').
    for name in ["substring", "substr"] {
        out = rename_function(&out, name, "mysql_substring");
    }
    // AS SIGNED/UNSIGNED [INTEGER] inside casts.
    for (pattern, replacement) in [
        (" as signed integer", " AS BIGINT"),
        (" as unsigned integer", " AS BIGINT"),
        (" as signed)", " AS BIGINT)"),
        (" as unsigned)", " AS BIGINT)"),
    ] {
        loop {
            let lower = out.to_ascii_lowercase();
            let Some(pos) = lower.find(pattern) else { break };
            out = format!("{}{}{}", &out[..pos], replacement, &out[pos + pattern.len()..]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    #[test]
    fn casts_and_converts() {
        assert_eq!(
            rewrite("SELECT CAST(11 + x as signed integer)"),
            "SELECT CAST(11 + x AS BIGINT)"
        );
        assert_eq!(
            rewrite("SELECT CONVERT (CASE a WHEN 'y' THEN f(b, c) ELSE d END, UNSIGNED INTEGER) D"),
            "SELECT CAST(CASE a WHEN 'y' THEN f(b, c) ELSE d END AS BIGINT) D"
        );
        assert_eq!(rewrite("SELECT convert(x, char)"), "SELECT CAST(x AS char)");
        assert_eq!(
            rewrite("SELECT 'convert(a, b)' AS s"),
            "SELECT 'convert(a, b)' AS s"
        );
        assert_eq!(rewrite("SELECT myconvert(a)"), "SELECT myconvert(a)");
        assert_eq!(
            rewrite("SELECT SUBSTRING(a, 1, 2), substr (b, 2), 'substring(x)', my_substr(c)"),
            "SELECT mysql_substring(a, 1, 2), mysql_substring (b, 2), 'substring(x)', my_substr(c)"
        );
    }
}
