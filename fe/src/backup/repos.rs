//! CREATE / DROP / SHOW REPOSITORIES (spec §4.1–§4.3, §5.4).

use std::collections::BTreeMap;

use catalog::Change;
use repository::Repository;
use rpc::pb;

use crate::Fe;
use crate::error::{ErrorCode, FeError};
use crate::result::{Output, ResultSet};

/// `^[a-zA-Z]\w{0,63}$|^_[a-zA-Z0-9]\w{0,62}$`
fn valid_repo_name(name: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() => name.len() <= 64 && chars.all(word),
        Some('_') => {
            chars.next().is_some_and(|c| c.is_ascii_alphanumeric()) && name.len() <= 64 && chars.all(word)
        }
        _ => false,
    }
}

/// Checks a repository name's format (`Incorrect repository name`, 5063).
pub(super) fn check_repo_name(name: &str) -> Result<(), FeError> {
    if name.is_empty() {
        return Err(FeError::analysis_code(
            ErrorCode::Common,
            "Repository does not empty",
        ));
    }
    if !valid_repo_name(name) {
        return Err(FeError::analysis_code(
            ErrorCode::WrongNameFormat,
            format!("Incorrect repository name '{name}'"),
        ));
    }
    Ok(())
}

/// Opens a registered repository's storage.
pub(super) async fn open(record: &catalog::Repository) -> Result<Repository, repository::RepoError> {
    Repository::open(&record.name, &record.location, &record.properties).await
}

/// What a BE needs to reach a repository (credentials travel to the BE only).
pub(super) fn spec(record: &catalog::Repository) -> pb::RepositorySpec {
    pb::RepositorySpec {
        name: record.name.clone(),
        location: record.location.clone(),
        properties: record.properties.clone().into_iter().collect(),
    }
}

/// A repository by name, as analysis reports a missing one.
pub(super) fn lookup(fe: &Fe, name: &str) -> Result<catalog::Repository, FeError> {
    fe.catalog.read().repository(name).cloned().ok_or_else(|| {
        FeError::analysis_code(ErrorCode::Common, format!("Repository [{name}] does not exist"))
    })
}

/// `CREATE [READ ONLY] REPOSITORY r WITH BROKER [b] ON LOCATION '...' [PROPERTIES (...)]`
pub async fn create_repository(
    fe: &Fe,
    read_only: bool,
    name: &str,
    broker: Option<&str>,
    location: &str,
    properties: &[(String, String)],
) -> Result<Output, FeError> {
    check_repo_name(name)?;
    if location.is_empty() {
        return Err(FeError::analysis_code(
            ErrorCode::Common,
            "You must specify a location on the repository",
        ));
    }
    if let Some(broker) = broker {
        if broker.is_empty() {
            return Err(FeError::analysis_code(
                ErrorCode::Common,
                "You must specify the broker of the repository",
            ));
        }
        // Starling has no broker processes: FE and BEs reach storage directly.
        return Err(FeError::analysis_code(
            ErrorCode::Common,
            format!("failed to get address of broker {broker}"),
        ));
    }
    let location = location.trim_end_matches('/').to_string();
    let props: BTreeMap<String, String> = properties.iter().cloned().collect();
    let failed = |e: String| FeError::common(format!("Failed to create repository: {e}"));
    if fe.catalog.read().repository(name).is_some() {
        return Err(failed(format!("repository with same name already exist: {name}")));
    }
    let roots: Vec<std::path::PathBuf> = fe
        .config
        .file_repository_roots
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(std::path::PathBuf::from)
        .collect();
    repository::location::check_local_root(&location, &roots).map_err(|e| failed(e.to_string()))?;
    let repo = Repository::open(name, &location, &props)
        .await
        .map_err(|e| failed(e.to_string()))?;
    let now = crate::result::format_time(crate::cluster::now_ms());
    let create_time = repo.init(&now).await.map_err(|e| failed(e.to_string()))?;
    fe.catalog.update(|txn| {
        if txn.state().repository(name).is_some() {
            return Err(failed(format!("repository with same name already exist: {name}")));
        }
        let id = txn.next_id();
        txn.push(Change::PutRepository(catalog::Repository {
            id,
            name: name.to_string(),
            create_time,
            read_only,
            location,
            broker: String::new(),
            properties: props,
        }));
        Ok(())
    })?;
    Ok(Output::ok())
}

/// `DROP REPOSITORY r`: forgets the repository; its remote data stays.
pub async fn drop_repository(fe: &Fe, name: &str) -> Result<Output, FeError> {
    check_repo_name(name)?;
    let record = fe
        .catalog
        .read()
        .repository(name)
        .cloned()
        .ok_or_else(|| FeError::analysis_code(ErrorCode::Common, "Repository does not exist"))?;
    let _guard = fe.backups.submit_guard().await?;
    if fe.backups.repository_in_use(name) {
        return Err(FeError::common(
            "Backup or restore job is running on this repository. Can not drop it",
        ));
    }
    fe.catalog.update(|txn| {
        txn.push(Change::DeleteRepository(record.id));
        Ok::<_, FeError>(())
    })?;
    Ok(Output::ok())
}

/// `SHOW REPOSITORIES`: the 7 columns of spec §5.4. Properties are never shown.
pub fn show_repositories(fe: &Fe) -> Result<Output, FeError> {
    let mut rs = ResultSet::text_columns(&[
        "RepoId",
        "RepoName",
        "CreateTime",
        "IsReadOnly",
        "Location",
        "Broker",
        "ErrMsg",
    ]);
    for r in fe.catalog.read().repositories() {
        rs.push(vec![
            r.id.to_string().into(),
            r.name.clone().into(),
            r.create_time.clone().into(),
            r.read_only.into(),
            r.location.clone().into(),
            r.broker.clone().into(),
            "\\N".into(),
        ]);
    }
    Ok(Output::Rows(rs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_names_follow_starrocks() {
        for ok in ["r", "repo_1", "_1x", "A".repeat(64).as_str()] {
            assert!(valid_repo_name(ok), "{ok}");
        }
        for bad in ["1r", "_", "__x", "r-1", "A".repeat(65).as_str(), ""] {
            assert!(!valid_repo_name(bad), "{bad}");
        }
    }
}
