//! Turning a repository location and its properties into an object store.
//!
//! Properties hold credentials; nothing here logs or formats them.

use std::collections::BTreeMap;
use std::sync::Arc;

use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjPath;

use crate::RepoError;

/// A store and the path of the location inside it.
pub struct Opened {
    /// The store.
    pub store: Arc<dyn ObjectStore>,
    /// The location's prefix inside the store (empty for `file://`).
    pub base: ObjPath,
    /// The same store as a local file system, for `file://` locations: what
    /// lets tablet files be copied directly instead of through `object_store`.
    pub local: Option<Arc<LocalFileSystem>>,
}

/// Property keys that carry secrets; never shown.
pub const SECRET_KEYS: &[&str] = &[
    "aws.s3.secret_key",
    "aws.s3.access_key",
    "fs.s3a.secret.key",
    "fs.s3a.access.key",
    "password",
];

/// Opens the storage of `location` (`file:///dir`, `s3://bucket/prefix`, `s3a://...`).
pub fn open(location: &str, props: &BTreeMap<String, String>) -> Result<Opened, RepoError> {
    if let Some(dir) = location.strip_prefix("file://") {
        return open_local(dir);
    }
    let rest = location
        .strip_prefix("s3://")
        .or_else(|| location.strip_prefix("s3a://"))
        .ok_or_else(|| {
            RepoError::InvalidLocation(format!(
                "unsupported repository location: {location}; use file:///dir or s3://bucket/prefix"
            ))
        })?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(RepoError::InvalidLocation(format!(
            "no bucket in location: {location}"
        )));
    }
    Ok(Opened {
        store: Arc::new(s3_builder(bucket, props).build()?),
        base: ObjPath::from(prefix.trim_matches('/')),
        local: None,
    })
}

fn open_local(dir: &str) -> Result<Opened, RepoError> {
    let path = std::path::Path::new(dir);
    if !path.is_absolute() {
        return Err(RepoError::InvalidLocation(format!(
            "file:// location must be an absolute path: file://{dir}"
        )));
    }
    std::fs::create_dir_all(path)
        .map_err(|e| RepoError::Storage(format!("can not create directory {dir}: {e}")))?;
    let local = Arc::new(LocalFileSystem::new_with_prefix(path)?.with_automatic_cleanup(true));
    Ok(Opened {
        store: Arc::clone(&local) as Arc<dyn ObjectStore>,
        base: ObjPath::default(),
        local: Some(local),
    })
}

/// Checks that a `file://` location lies inside one of `roots` (absolute
/// directories). Empty `roots` allow any directory; other schemes pass. The
/// path must be absolute and free of `..`; symbolic links in the part that
/// exists already are resolved first, so a link cannot lead outside.
pub fn check_local_root(location: &str, roots: &[std::path::PathBuf]) -> Result<(), RepoError> {
    use std::path::{Component, Path, PathBuf};
    let Some(dir) = location.strip_prefix("file://") else {
        return Ok(());
    };
    if roots.is_empty() {
        return Ok(());
    }
    let path = Path::new(dir);
    if !path.is_absolute() || path.components().any(|c| matches!(c, Component::ParentDir)) {
        return Err(RepoError::InvalidLocation(format!(
            "file:// location must be an absolute path without '..' while file_repository_roots is set: {location}"
        )));
    }
    // Resolve what exists of the path; the rest is appended as written.
    let resolve = |p: &Path| -> PathBuf {
        let mut existing = p.to_path_buf();
        let mut rest = Vec::new();
        while !existing.exists() {
            match (existing.file_name().map(|n| n.to_os_string()), existing.parent()) {
                (Some(name), Some(parent)) => {
                    rest.push(name);
                    existing = parent.to_path_buf();
                }
                _ => break,
            }
        }
        let mut out = std::fs::canonicalize(&existing).unwrap_or(existing);
        out.extend(rest.iter().rev());
        out
    };
    let target = resolve(path);
    if roots.iter().any(|root| target.starts_with(resolve(root))) {
        return Ok(());
    }
    let allowed: Vec<String> = roots.iter().map(|r| r.display().to_string()).collect();
    Err(RepoError::InvalidLocation(format!(
        "file:// location {dir} is outside the directories file_repository_roots allows: {}",
        allowed.join(", ")
    )))
}

/// The directory of a `file://` location, without touching it.
pub fn local_dir(location: &str) -> Option<&std::path::Path> {
    location
        .strip_prefix("file://")
        .map(std::path::Path::new)
        .filter(|p| p.is_absolute())
}

fn s3_builder(bucket: &str, props: &BTreeMap<String, String>) -> AmazonS3Builder {
    let get = |keys: &[&str]| keys.iter().find_map(|k| props.get(*k)).filter(|v| !v.is_empty());
    let mut builder = AmazonS3Builder::new()
        .with_bucket_name(bucket)
        .with_region(get(&["aws.s3.region", "fs.s3a.endpoint.region"]).map_or("us-east-1", |r| r.as_str()))
        .with_virtual_hosted_style_request(false)
        // Label reservations are create-if-absent writes (`If-None-Match`).
        .with_conditional_put(object_store::aws::S3ConditionalPut::ETagMatch);
    if let Some(key) = get(&["aws.s3.access_key", "fs.s3a.access.key"]) {
        builder = builder.with_access_key_id(key);
    }
    if let Some(secret) = get(&["aws.s3.secret_key", "fs.s3a.secret.key"]) {
        builder = builder.with_secret_access_key(secret);
    }
    if let Some(endpoint) = get(&["aws.s3.endpoint", "fs.s3a.endpoint"]) {
        let ssl = get(&["aws.s3.enable_ssl"]).is_none_or(|v| !v.eq_ignore_ascii_case("false"));
        let url = if endpoint.contains("://") {
            endpoint.clone()
        } else if ssl {
            format!("https://{endpoint}")
        } else {
            format!("http://{endpoint}")
        };
        builder = builder
            .with_allow_http(url.starts_with("http://"))
            .with_endpoint(url);
    }
    builder
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_unknown_schemes_and_relative_dirs() {
        let props = BTreeMap::new();
        assert!(open("hdfs://nn/x", &props).is_err());
        assert!(open("file://relative/dir", &props).is_err());
        assert!(open("s3:///prefix", &props).is_err());
        assert!(open("s3://bucket/some/prefix", &props).is_ok());
    }

    #[test]
    fn file_locations_stay_inside_the_roots() {
        let base = tempfile::tempdir().expect("tempdir");
        let root = base.path().join("backups");
        std::fs::create_dir_all(&root).expect("root");
        let outside = base.path().join("elsewhere");
        std::fs::create_dir_all(&outside).expect("outside");
        std::os::unix::fs::symlink(&outside, root.join("link")).expect("symlink");
        let roots = vec![root.clone()];
        let loc = |p: &std::path::Path| format!("file://{}", p.display());
        assert!(check_local_root(&loc(&root), &roots).is_ok());
        assert!(check_local_root(&loc(&root.join("new/deeper")), &roots).is_ok());
        for bad in [
            outside.clone(),
            root.join("../elsewhere"),
            root.join("link/x"),
            "/etc".into(),
        ] {
            let err = check_local_root(&loc(&bad), &roots).expect_err("outside");
            assert!(
                err.to_string().contains("file_repository_roots") || err.to_string().contains(".."),
                "{err}"
            );
        }
        assert!(check_local_root("s3://bucket/x", &roots).is_ok());
        assert!(
            check_local_root(&loc(&outside), &[]).is_ok(),
            "no roots: anywhere"
        );
    }
}
