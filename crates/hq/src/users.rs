//! The head-office view's named accounts. A `brand` user sees every store;
//! a `store` user only the stores assigned to it. Passwords are kept as
//! argon2id hashes (PHC strings); hashing runs off the async threads.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde::Serialize;

use crate::error::HqError;
use crate::repo::{stores, view_sessions, view_users};
use crate::Db;

/// The user the bootstrap password creates.
pub const BOOTSTRAP_USER: &str = "admin";
pub const PASSWORD_MIN: usize = 12;
pub const PASSWORD_MAX: usize = 256;
const NAME_MAX: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Brand,
    Store,
}

impl Role {
    pub fn parse(s: &str) -> Result<Role, HqError> {
        match s {
            "brand" => Ok(Role::Brand),
            "store" => Ok(Role::Store),
            _ => Err(HqError::Invalid(format!(
                "role: \"{s}\" is not a role; use brand or store"
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Brand => "brand",
            Role::Store => "store",
        }
    }
}

/// The stores a user may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    /// These `locationId`s only.
    Stores(Vec<String>),
}

impl Scope {
    pub fn allows(&self, location_id: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Stores(s) => s.iter().any(|l| l == location_id),
        }
    }
}

/// A user as the view knows it once signed in.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub scope: Scope,
}

/// One row of `user list`.
#[derive(Debug, Clone, Serialize)]
pub struct UserInfo {
    pub name: String,
    pub role: Role,
    pub stores: Vec<String>,
}

pub fn validate_name(name: &str) -> Result<(), HqError> {
    let ok = !name.is_empty()
        && name.chars().count() <= NAME_MAX
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._@-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(HqError::Invalid(format!(
            "user name: 1 to {NAME_MAX} of A-Z a-z 0-9 . _ @ -"
        )))
    }
}

pub fn validate_password(password: &str) -> Result<(), HqError> {
    let n = password.chars().count();
    if (PASSWORD_MIN..=PASSWORD_MAX).contains(&n) {
        Ok(())
    } else {
        Err(HqError::Invalid(format!(
            "password: {PASSWORD_MIN} to {PASSWORD_MAX} characters"
        )))
    }
}

fn salt() -> Result<SaltString, HqError> {
    SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| HqError::Config(format!("password salt: {e}")))
}

/// The argon2id hash of `password` (a fresh salt each time).
pub async fn hash_password(password: &str) -> Result<String, HqError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = salt()?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| HqError::Config(format!("password hash: {e}")))
    })
    .await
    .map_err(|e| HqError::Config(format!("password hash: {e}")))?
}

/// Whether `password` matches `hash`; with no hash (no such user) the same
/// work is done against a throw-away hash, so timing does not tell which
/// names exist.
pub async fn password_matches(hash: Option<String>, password: &str) -> bool {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| {
            DUMMY
                .get_or_init(|| {
                    let Ok(salt) = salt() else {
                        return String::new();
                    };
                    Argon2::default()
                        .hash_password(b"no such user", &salt)
                        .map(|h| h.to_string())
                        .unwrap_or_default()
                })
                .clone()
        });
        let ok = PasswordHash::new(&hash).is_ok_and(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        });
        known && ok
    })
    .await
    .unwrap_or(false)
}

/// Creates a user. A `store` user needs at least one store; a `brand`
/// user sees all and takes none.
pub async fn add(
    db: &Db,
    name: &str,
    role: Role,
    stores: &[String],
    password: &str,
) -> Result<(), HqError> {
    validate_name(name)?;
    validate_password(password)?;
    match role {
        Role::Store if stores.is_empty() => {
            return Err(HqError::Invalid(
                "store: a store user needs at least one --store <locationId>".into(),
            ))
        }
        Role::Brand if !stores.is_empty() => {
            return Err(HqError::Invalid(
                "store: a brand user sees every store; give no --store".into(),
            ))
        }
        _ => {}
    }
    let hash = hash_password(password).await?;
    let mut c = db.get().await?;
    let tx = c.transaction().await?;
    let id = view_users::insert(&tx, name, role, &hash)
        .await?
        .ok_or_else(|| HqError::Invalid(format!("user name: {name} exists already")))?;
    for loc in stores {
        if !view_users::assign_store(&tx, id, loc).await? && !stores::exists(&tx, loc).await? {
            return Err(HqError::NotFound(format!("store {loc}")));
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Removes a user; its sessions end with it.
pub async fn remove(db: &Db, name: &str) -> Result<(), HqError> {
    if !view_users::delete(db, name).await? {
        return Err(HqError::NotFound(format!("user {name}")));
    }
    Ok(())
}

/// Sets a new password and ends the user's sessions.
pub async fn set_password(db: &Db, name: &str, password: &str) -> Result<(), HqError> {
    validate_password(password)?;
    let hash = hash_password(password).await?;
    let mut c = db.get().await?;
    let tx = c.transaction().await?;
    let id = view_users::set_password(&tx, name, &hash)
        .await?
        .ok_or_else(|| HqError::NotFound(format!("user {name}")))?;
    view_sessions::end_all_of(&tx, id).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn list(db: &Db) -> Result<Vec<UserInfo>, HqError> {
    Ok(view_users::list(db)
        .await?
        .into_iter()
        .map(|(a, stores)| UserInfo {
            name: a.name,
            role: a.role,
            stores,
        })
        .collect())
}

/// The account `name` signs in to with `password`, if both are right.
pub async fn verify(db: &Db, name: &str, password: &str) -> Result<Option<Account>, HqError> {
    let (account, hash) = view_users::with_hash(db, name).await?.unzip();
    if password_matches(hash, password).await {
        Ok(account)
    } else {
        Ok(None)
    }
}

/// Upgrading from the single view password: while no user exists, the
/// bootstrap password creates the brand user `admin` (once). Returns
/// whether it did.
pub async fn bootstrap(db: &Db, password: Option<&str>) -> Result<bool, HqError> {
    let any = view_users::any(db).await?;
    let Some(password) = password else {
        if !any {
            tracing::warn!("head-office view: no user yet; create one with `easyqr-hq user add --role brand <name>`");
        }
        return Ok(false);
    };
    if any {
        tracing::info!(
            "head-office view: users exist, the bootstrap password is not used (remove it)"
        );
        return Ok(false);
    }
    match add(db, BOOTSTRAP_USER, Role::Brand, &[], password).await {
        Ok(()) => {
            tracing::info!("head-office view: created the brand user {BOOTSTRAP_USER} from the bootstrap password");
            Ok(true)
        }
        // Another HQ process starting at the same moment made it.
        Err(HqError::Invalid(m)) if m.contains("exists already") => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_roles_and_passwords_are_checked_naming_the_field() {
        assert!(validate_name("shibuya.lead@brand").is_ok());
        for bad in ["", "a b", "名前", &"x".repeat(65)] {
            let e = validate_name(bad).unwrap_err().to_string();
            assert!(e.starts_with("user name:"), "{e}");
        }
        assert!(validate_password("correct horse battery").is_ok());
        let e = validate_password("short").unwrap_err().to_string();
        assert!(e.starts_with("password: 12"), "{e}");
        assert_eq!(Role::parse("store").unwrap(), Role::Store);
        assert!(Role::parse("admin")
            .unwrap_err()
            .to_string()
            .contains("brand or store"));
        let s = Scope::Stores(vec!["loc_a".into()]);
        assert!(s.allows("loc_a") && !s.allows("loc_b") && Scope::All.allows("loc_b"));
    }

    #[tokio::test]
    async fn a_password_is_kept_as_an_argon2id_hash() {
        let h = hash_password("correct horse battery").await.unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(password_matches(Some(h.clone()), "correct horse battery").await);
        assert!(!password_matches(Some(h), "correct horse batterY").await);
        assert!(!password_matches(None, "correct horse battery").await);
    }
}
