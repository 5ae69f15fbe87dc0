//! Golden-file tests: each `tests/golden/<family>.sql` holds statements
//! separated by lines reading `----`; the parse result of each (the AST and
//! its canonical SQL, or the error) is compared with `<family>.out`.
//! Run with `UPDATE_GOLDEN=1` to rewrite the `.out` files, then review the
//! diff. Every statement that parses must also survive print → parse.
//! A case whose first line is `-- error` must fail, whatever its family.
#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;
use std::path::PathBuf;

fn golden_dir() -> PathBuf {
    PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("tests run under cargo")).join("tests/golden")
}

/// Splits a `.sql` file into its cases.
fn cases(input: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    for line in input.lines() {
        if line.trim_end() == "----" {
            out.push(String::new());
        } else if let Some(last) = out.last_mut() {
            last.push_str(line);
            last.push('\n');
        }
    }
    out.into_iter()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect()
}

/// Runs one family; `expect_errors` says whether its cases must all fail.
fn run_family(family: &str, expect_errors: bool) {
    let dir = golden_dir();
    let input = std::fs::read_to_string(dir.join(format!("{family}.sql"))).unwrap();
    let mut out = String::new();
    let mut problems = Vec::new();
    for case in cases(&input) {
        writeln!(out, "-- input\n{case}").unwrap();
        let must_fail = expect_errors || case.lines().next().is_some_and(|l| l.trim_end() == "-- error");
        match parser::parse(&case) {
            Ok(stmts) => {
                if must_fail {
                    problems.push(format!("expected an error for:\n{case}"));
                }
                for stmt in stmts {
                    let printed = stmt.to_string();
                    writeln!(out, "-- ast\n{stmt:#?}\n-- sql\n{printed}").unwrap();
                    match parser::parse_one(&printed) {
                        Ok(again) if again == stmt => {}
                        Ok(again) => problems.push(format!(
                            "round trip changed the AST:\n{printed}\n{stmt:?}\n{again:?}"
                        )),
                        Err(e) => problems.push(format!("printed SQL does not parse:\n{printed}\n{e}")),
                    }
                }
            }
            Err(e) => {
                if !must_fail {
                    problems.push(format!("unexpected error for:\n{case}\n{e}"));
                }
                writeln!(out, "-- error\n{}", e.render_with_source(&case)).unwrap();
            }
        }
        out.push_str("----\n");
    }
    let path = dir.join(format!("{family}.out"));
    if std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &out).unwrap();
    } else {
        let expected = std::fs::read_to_string(&path).unwrap_or_default();
        if expected != out {
            let actual = path.with_extension("out.actual");
            std::fs::write(&actual, &out).unwrap();
            problems.push(format!(
                "{} differs from the checked-in file; see {} (UPDATE_GOLDEN=1 to accept)",
                path.display(),
                actual.display()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn account() {
    run_family("account", false);
}

#[test]
fn database() {
    run_family("database", false);
}

#[test]
fn table() {
    run_family("table", false);
}

#[test]
fn show() {
    run_family("show", false);
}

#[test]
fn set() {
    run_family("set", false);
}

#[test]
fn system() {
    run_family("system", false);
}

#[test]
fn backup() {
    run_family("backup", false);
}

#[test]
fn errors() {
    run_family("errors", true);
}

#[test]
fn case_splitting() {
    let got = cases("a\n----\n\n----\nb\nc\n---- \n");
    assert_eq!(got, vec!["a".to_string(), "b\nc".to_string()]);
}

/// Mutations of the whole golden corpus: the grammar never panics and never
/// runs away, whatever it is fed. `STARLING_FUZZ_SECONDS` runs it longer (the
/// release check: an hour); CI runs it for a few seconds.
#[test]
fn fuzzed_corpus_never_panics() {
    let (budget, seed) = parser::fuzz::budget(20, 0x5eed_5eed_5eed_5eed);
    let mut corpus = Vec::new();
    for entry in std::fs::read_dir(golden_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "sql") {
            corpus.extend(cases(&std::fs::read_to_string(path).unwrap()));
        }
    }
    assert!(corpus.len() > 100, "{}", corpus.len());
    let mut rng = parser::fuzz::Rng::new(seed);
    let deadline = std::time::Instant::now() + budget;
    let mut runs = 0u64;
    while std::time::Instant::now() < deadline {
        let base = &corpus[rng.below(corpus.len())];
        let input = parser::fuzz::mutate(&mut rng, base);
        let started = std::time::Instant::now();
        let outcome = std::panic::catch_unwind(|| parser::parse(&input).map(|s| s.len()));
        assert!(
            outcome.is_ok(),
            "the parser panicked (seed {seed}, run {runs}) on: {input:?}"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "the parser took {:?} on {} bytes (seed {seed}, run {runs})",
            started.elapsed(),
            input.len()
        );
        runs += 1;
    }
    assert!(runs > 1000, "only {runs} runs in {budget:?}");
}
