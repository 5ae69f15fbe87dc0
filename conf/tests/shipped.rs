//! The shipped `.conf` files list exactly the keys the code knows, with its defaults.
#![allow(clippy::unwrap_used)]

use conf::{BeConfig, ConfFile, FeConfig};

fn keys(path: &std::path::Path) -> Vec<String> {
    let file = ConfFile::read(path).unwrap();
    file.entries().iter().map(|e| e.key.clone()).collect()
}

#[test]
fn fe_conf_lists_every_key_with_its_default() {
    let path = std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("tests run under cargo"))
        .join("fe.conf");
    assert_eq!(keys(&path), FeConfig::KEYS);
    let (conf, warnings) = FeConfig::load(&path).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(conf, FeConfig::default());
}

#[test]
fn be_conf_lists_every_key_with_its_default() {
    let path = std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("tests run under cargo"))
        .join("be.conf");
    assert_eq!(keys(&path), BeConfig::KEYS);
    let (conf, warnings) = BeConfig::load(&path).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(conf, BeConfig::default());
}

#[test]
fn unknown_keys_warn_and_bad_values_fail() {
    let file = ConfFile::parse("query_port = 9131\nno_such_key = 1\n").unwrap();
    let (conf, warnings) = FeConfig::from_file(&file).unwrap();
    assert_eq!(conf.query_port, 9131);
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].contains("no_such_key"), "{warnings:?}");

    let bad = ConfFile::parse("query_port = lots\n").unwrap();
    let err = FeConfig::from_file(&bad).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid value 'lots' for configuration key 'query_port'"
    );
}
