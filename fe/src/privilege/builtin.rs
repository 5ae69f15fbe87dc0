//! StarRocks' built-in roles. Their own privileges live here, in code; only
//! `public` can be given more (`GRANT ... TO ROLE public`), and those extra
//! grants are stored in its catalog record like any role's.

use catalog::{Catalog, Change, ObjectType, Privilege, PrivilegeGrant, PrivilegeObject, Role};

use crate::error::FeError;
use crate::query::information_schema;

/// The built-in roles with StarRocks' comments.
pub const BUILTIN_ROLES: &[(&str, &str)] = &[
    (
        "root",
        "built-in root role which has all privileges on all objects",
    ),
    ("db_admin", "built-in database administration role"),
    ("cluster_admin", "built-in cluster administration role"),
    ("user_admin", "built-in user administration role"),
    ("public", "built-in public role which is owned by any user"),
];

fn grant(object: PrivilegeObject, privileges: &[Privilege]) -> PrivilegeGrant {
    PrivilegeGrant {
        object,
        privileges: privileges.iter().copied().collect(),
        grant_option: false,
    }
}

/// Every privilege of an object type on "all" such objects.
fn all_on(object: PrivilegeObject) -> PrivilegeGrant {
    let privileges = object.object_type().privileges();
    grant(object, privileges)
}

/// The privileges a built-in role carries by definition (`root` is handled
/// as "everything" by the checker and needs none listed).
pub fn grants_of(role: &str) -> Vec<PrivilegeGrant> {
    use Privilege as P;
    match role {
        "db_admin" => {
            let system: Vec<Privilege> = ObjectType::System
                .privileges()
                .iter()
                .copied()
                .filter(|p| !matches!(p, P::Grant | P::Node | P::Security))
                .collect();
            vec![
                grant(PrivilegeObject::System, &system),
                all_on(PrivilegeObject::Catalog),
                all_on(PrivilegeObject::Database { db: None }),
                all_on(PrivilegeObject::Table {
                    db: None,
                    table: None,
                }),
            ]
        }
        "cluster_admin" => vec![grant(PrivilegeObject::System, &[P::Node])],
        "user_admin" => vec![grant(PrivilegeObject::System, &[P::Grant])],
        "public" => vec![grant(
            PrivilegeObject::Table {
                db: Some(information_schema::NAME.to_string()),
                table: None,
            },
            &[P::Select],
        )],
        _ => Vec::new(),
    }
}

/// Creates the built-in roles' records on a catalog that lacks them.
pub fn ensure_builtin_roles(catalog: &Catalog) -> Result<(), FeError> {
    catalog.update(|txn| {
        for (name, comment) in BUILTIN_ROLES {
            if txn.state().role(name).is_none() {
                txn.push(Change::PutRole(Role {
                    name: (*name).to_string(),
                    builtin: true,
                    comment: (*comment).to_string(),
                    grants: Vec::new(),
                    roles: Vec::new(),
                }));
            }
        }
        Ok::<_, FeError>(())
    })
}
