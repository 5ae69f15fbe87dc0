//! `SHOW CREATE TABLE` text, in StarRocks 3.x's format. The output re-creates
//! an identical table (a test parses it back).

use std::fmt::Write;

use catalog::{ColumnDefault, Distribution, Partitioning, Table};

/// Quotes an identifier with backquotes.
fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// Quotes a string literal with double quotes.
pub fn dq(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

fn ident_list(names: &[String]) -> String {
    names.iter().map(|n| ident(n)).collect::<Vec<_>>().join(", ")
}

/// Renders the `Create Table` column of `SHOW CREATE TABLE`.
pub fn render(table: &Table) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "CREATE TABLE {} (", ident(&table.name));
    let cols: Vec<String> = table
        .columns
        .iter()
        .map(|c| {
            let mut line = format!("  {} {}", ident(&c.name), c.ty);
            line.push_str(if c.nullable { " NULL" } else { " NOT NULL" });
            match &c.default {
                Some(ColumnDefault::Value(v)) => {
                    let _ = write!(line, " DEFAULT {}", dq(v));
                }
                Some(ColumnDefault::CurrentTimestamp) => line.push_str(" DEFAULT CURRENT_TIMESTAMP"),
                None => {}
            }
            let _ = write!(line, " COMMENT {}", dq(&c.comment));
            line
        })
        .collect();
    out.push_str(&cols.join(",\n"));
    out.push_str("\n) ENGINE=OLAP \n");
    let keys: Vec<String> = table
        .columns
        .iter()
        .filter(|c| c.is_key)
        .map(|c| c.name.clone())
        .collect();
    let _ = writeln!(out, "{}({})", table.keys_kind.sql(), ident_list(&keys));
    if !table.comment.is_empty() {
        let _ = writeln!(out, "COMMENT {}", dq(&table.comment));
    }
    if let Partitioning::Range { columns } = &table.partitioning {
        let types = table.partition_column_types();
        let _ = writeln!(out, "PARTITION BY RANGE({})", ident_list(columns));
        let parts: Vec<String> = table
            .partitions
            .iter()
            .filter_map(|p| {
                let r = p.range.as_ref()?;
                let bound = |k: &catalog::PartitionKey| {
                    k.0.iter()
                        .zip(&types)
                        .map(|(part, ty)| match part {
                            catalog::KeyPart::Max => "MAXVALUE".to_string(),
                            other => dq(&other.literal(ty)),
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                Some(format!(
                    "PARTITION {} VALUES [({}), ({}))",
                    p.name,
                    bound(&r.lower),
                    bound(&r.upper)
                ))
            })
            .collect();
        let _ = writeln!(out, "({})", parts.join(",\n"));
    }
    match &table.distribution {
        Distribution::Hash { columns, buckets } => {
            let _ = writeln!(
                out,
                "DISTRIBUTED BY HASH({}) BUCKETS {buckets} ",
                ident_list(columns)
            );
        }
        Distribution::Random { buckets } => {
            let _ = writeln!(out, "DISTRIBUTED BY RANDOM BUCKETS {buckets} ");
        }
    }
    out.push_str("PROPERTIES (\n");
    let props: Vec<String> = table
        .properties
        .iter()
        .map(|(k, v)| format!("{} = {}", dq(k), dq(v)))
        .collect();
    out.push_str(&props.join(",\n"));
    out.push_str("\n);");
    out
}
