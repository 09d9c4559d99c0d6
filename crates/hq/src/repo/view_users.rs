//! The `view_users` table (the head-office view's named accounts) and
//! `view_user_stores` (the stores a `store` user may see).

use deadpool_postgres::Transaction;
use tokio_postgres::Row;

use crate::db::Db;
use crate::error::HqError;
use crate::users::{Account, Role, Scope};

/// The columns [`account`] reads, for a query on `view_users u`.
pub const ACCOUNT_COLUMNS: &str = "u.id, u.name, u.role, \
     ARRAY(SELECT s.location_id FROM view_user_stores us JOIN stores s ON s.id = us.store_id \
           WHERE us.user_id = u.id ORDER BY s.location_id)";

/// The account in a row's [`ACCOUNT_COLUMNS`], from column `at` on.
pub fn account(row: &Row, at: usize) -> Account {
    let role = if row.get::<_, String>(at + 2) == "brand" {
        Role::Brand
    } else {
        Role::Store
    };
    Account {
        id: row.get(at),
        name: row.get(at + 1),
        role,
        scope: match role {
            Role::Brand => Scope::All,
            Role::Store => Scope::Stores(row.get(at + 3)),
        },
    }
}

/// Creates user `name`; `None` when the name is taken (nothing changes).
pub async fn insert(
    tx: &Transaction<'_>,
    name: &str,
    role: Role,
    password_hash: &str,
) -> Result<Option<i64>, HqError> {
    let insert = tx
        .prepare_cached(
            "INSERT INTO view_users (name, role, password_hash) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO NOTHING RETURNING id",
        )
        .await?;
    Ok(tx
        .query_opt(&insert, &[&name, &role.as_str(), &password_hash])
        .await?
        .map(|r| r.get(0)))
}

/// Lets user `user_id` see the store at `location_id`; `false` when no
/// row was added (no such store, or assigned already).
pub async fn assign_store(
    tx: &Transaction<'_>,
    user_id: i64,
    location_id: &str,
) -> Result<bool, HqError> {
    let assign = tx
        .prepare_cached(
            "INSERT INTO view_user_stores (user_id, store_id)
             SELECT $1, id FROM stores WHERE location_id = $2 ON CONFLICT DO NOTHING",
        )
        .await?;
    Ok(tx.execute(&assign, &[&user_id, &location_id]).await? > 0)
}

/// Removes user `name` (its stores and sessions go with it, by the
/// tables' cascades); `false` when there is none.
pub async fn delete(db: &Db, name: &str) -> Result<bool, HqError> {
    let c = db.get().await?;
    let delete = c
        .prepare_cached("DELETE FROM view_users WHERE name = $1")
        .await?;
    Ok(c.execute(&delete, &[&name]).await? > 0)
}

/// Sets user `name`'s password hash and answers its id; `None` when there
/// is no such user.
pub async fn set_password(
    tx: &Transaction<'_>,
    name: &str,
    password_hash: &str,
) -> Result<Option<i64>, HqError> {
    let set = tx
        .prepare_cached("UPDATE view_users SET password_hash = $2 WHERE name = $1 RETURNING id")
        .await?;
    Ok(tx
        .query_opt(&set, &[&name, &password_hash])
        .await?
        .map(|r| r.get(0)))
}

/// Every account by name, with the stores assigned to it (none for a
/// brand user).
pub async fn list(db: &Db) -> Result<Vec<(Account, Vec<String>)>, HqError> {
    let c = db.get().await?;
    let list = c
        .prepare_cached(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM view_users u ORDER BY u.name"
        ))
        .await?;
    Ok(c.query(&list, &[])
        .await?
        .iter()
        .map(|r| (account(r, 0), r.get(3)))
        .collect())
}

/// Account `name` with its password hash, if there is one.
pub async fn with_hash(db: &Db, name: &str) -> Result<Option<(Account, String)>, HqError> {
    let c = db.get().await?;
    let find = c
        .prepare_cached(&format!(
            "SELECT {ACCOUNT_COLUMNS}, u.password_hash FROM view_users u WHERE u.name = $1"
        ))
        .await?;
    Ok(c.query_opt(&find, &[&name])
        .await?
        .map(|r| (account(&r, 0), r.get(4))))
}

/// Whether any user exists.
pub async fn any(db: &Db) -> Result<bool, HqError> {
    let c = db.get().await?;
    let any = c.prepare_cached("SELECT 1 FROM view_users LIMIT 1").await?;
    Ok(c.query_opt(&any, &[]).await?.is_some())
}
