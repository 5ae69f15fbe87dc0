//! A bound on how deeply a statement nests, checked on tokens before any
//! grammar runs.
//!
//! Every layer that reads a statement after this one walks its tree
//! recursively: sqlparser builds `1+1+…` as a left-deep chain of binary
//! operators, DataFusion plans, optimizes and drops it recursively, and so do
//! `UNION` chains and nested subqueries. A statement 10,000 levels deep would
//! overflow the stack and abort the whole process. StarRocks refuses such
//! statements too; Starling refuses them here, with a syntax error, when their
//! nesting *could* exceed [`MAX_NESTING`].
//!
//! The estimate is an upper bound of the tree depth, computed in one pass:
//! inside each parenthesis level it counts the operators seen since the last
//! `,` or clause keyword (each can add one level to an expression chain), and
//! separately the set operators and joins of that level (each adds one level
//! to a query chain). The depth at a token is the sum over the open levels
//! plus the number of open levels.

use crate::error::{ParseError, line_column};
use crate::lex::{TokKind, next_token};

/// The deepest nesting a statement may have.
pub const MAX_NESTING: usize = 1000;

/// Words that combine expressions (one more level per use in a chain).
const EXPR_OPERATORS: &[&str] = &[
    "AND", "BETWEEN", "CASE", "DIV", "EXISTS", "ILIKE", "IN", "IS", "LIKE", "MOD", "NOT", "OR", "REGEXP",
    "RLIKE", "XOR",
];

/// Words that combine queries or relations.
const QUERY_OPERATORS: &[&str] = &["EXCEPT", "INTERSECT", "JOIN", "MINUS", "UNION"];

/// Words that start a new expression list: the chains before them end.
const CLAUSES: &[&str] = &[
    "BY", "FROM", "HAVING", "LIMIT", "ON", "QUALIFY", "SELECT", "SET", "THEN", "VALUES", "WHEN", "WHERE",
    "ELSE", "END",
];

#[derive(Default)]
struct Level {
    expr: usize,
    query: usize,
}

/// Refuses `text` (found at byte `offset` of `full`) when its nesting could
/// exceed [`MAX_NESTING`].
pub(crate) fn check(full: &str, offset: usize, text: &str) -> Result<(), ParseError> {
    let mut levels = vec![Level::default()];
    let mut depth = 1;
    let mut pos = 0;
    while let Some((kind, len)) = next_token(&text[pos..]) {
        let tok = &text[pos..pos + len];
        let top = levels.len() - 1;
        match kind {
            TokKind::Punct => match tok {
                "(" => {
                    levels.push(Level::default());
                    depth += 1;
                }
                ")" if levels.len() > 1 => {
                    if let Some(level) = levels.pop() {
                        depth -= 1 + level.expr + level.query;
                    }
                }
                "," | ";" => {
                    depth -= levels[top].expr;
                    levels[top].expr = 0;
                }
                "+" | "-" | "*" | "/" | "%" | "=" | "<" | ">" | "<=" | ">=" | "<>" | "!=" | "<=>" | "||"
                | "&&" | "!" | "~" | "^" | "&" | "|" => {
                    levels[top].expr += 1;
                    depth += 1;
                }
                _ => {}
            },
            TokKind::Word => {
                let upper = tok.to_ascii_uppercase();
                if EXPR_OPERATORS.contains(&upper.as_str()) {
                    levels[top].expr += 1;
                    depth += 1;
                } else if QUERY_OPERATORS.contains(&upper.as_str()) {
                    levels[top].query += 1;
                    depth += 1;
                } else if CLAUSES.contains(&upper.as_str()) {
                    depth -= levels[top].expr;
                    levels[top].expr = 0;
                }
            }
            _ => {}
        }
        if depth > MAX_NESTING {
            let (line, column) = line_column(full, offset + pos);
            return Err(ParseError {
                line,
                column,
                message: format!(
                    "The statement nests too deeply (more than {MAX_NESTING} levels of expressions, \
                     subqueries or set operations); simplify it or split it"
                ),
                positioned: true,
            });
        }
        pos += len;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_ok(sql: &str) -> bool {
        check(sql, 0, sql).is_ok()
    }

    #[test]
    fn ordinary_statements_pass() {
        assert!(depth_ok(
            "SELECT l_returnflag, sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) FROM lineitem \
             WHERE l_shipdate <= date '1998-12-01' - interval '90' day GROUP BY l_returnflag"
        ));
        // Long lists are wide, not deep.
        let list: Vec<String> = (0..50_000).map(|i| i.to_string()).collect();
        assert!(depth_ok(&format!(
            "SELECT * FROM t WHERE k IN ({})",
            list.join(", ")
        )));
        let values: Vec<String> = (0..20_000).map(|i| format!("({i}, 'x')")).collect();
        assert!(depth_ok(&format!("INSERT INTO t VALUES {}", values.join(", "))));
        let sums: Vec<String> = (0..5_000).map(|i| format!("a + {i}")).collect();
        assert!(depth_ok(&format!("SELECT {} FROM t", sums.join(", "))));
        let branches: String = (0..5_000).map(|i| format!(" WHEN k = {i} THEN {i}")).collect();
        assert!(depth_ok(&format!("SELECT CASE{branches} END FROM t")));
        // Operators inside quotes and comments are not operators.
        let quoted = format!("SELECT '{}' /* {} */", "+".repeat(5000), "-".repeat(5000));
        assert!(depth_ok(&quoted));
    }

    #[test]
    fn deep_shapes_are_refused_at_every_depth() {
        for n in [1_001usize, 5_000, 50_000] {
            let shapes = [
                format!("SELECT 1{}", "+1".repeat(n)),
                format!("SELECT * FROM t WHERE {}k = 0", "k = 1 OR ".repeat(n)),
                format!("SELECT 1{}", " UNION ALL SELECT 1".repeat(n)),
                format!("SELECT {}1{}", "(".repeat(n), ")".repeat(n)),
                format!("SELECT {}1", "NOT ".repeat(n)),
                format!("SELECT {}1{}", "abs(".repeat(n), ")".repeat(n)),
                format!("SELECT * FROM {}t{}", "(SELECT * FROM ".repeat(n), ")".repeat(n)),
                format!("SELECT {}", "- ".repeat(n) + "1"),
            ];
            for sql in shapes {
                let err = check(&sql, 0, &sql).expect_err("too deep");
                assert!(err.message.contains("nests too deeply"), "{}", err.message);
            }
        }
    }

    #[test]
    fn the_limit_is_inclusive() {
        assert!(depth_ok(&format!("SELECT 1{}", "+1".repeat(MAX_NESTING - 2))));
        assert!(!depth_ok(&format!("SELECT 1{}", "+1".repeat(MAX_NESTING))));
    }
}
