//! Local accounts, web sessions and API tokens. None of it enters a log;
//! secrets are stored only as hashes or encrypted by the node.

use commons_kernel::PublicKey;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError, parse_col};

/// A local account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    /// Row id.
    pub id: i64,
    /// Login name.
    pub name: String,
    /// argon2id PHC string; `None` until the account is set up.
    pub password_hash: Option<String>,
    /// Node administrator.
    pub is_admin: bool,
    /// Disabled accounts cannot log in or use tokens.
    pub disabled: bool,
    /// The user's Ed25519 public key.
    pub public_key: PublicKey,
    /// The user's secret key, encrypted by the node.
    pub secret_enc: String,
    /// Preferred UI language, e.g. `sv`.
    pub locale: Option<String>,
    /// Hash of a one-time setup token, while unused.
    pub setup_hash: Option<String>,
    /// Creation time, ms.
    pub created_ts: i64,
}

/// A new account.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    /// Login name.
    pub name: &'a str,
    /// argon2id PHC string, if a password is set now.
    pub password_hash: Option<&'a str>,
    /// Node administrator.
    pub is_admin: bool,
    /// Public key.
    pub public_key: PublicKey,
    /// Encrypted secret key.
    pub secret_enc: &'a str,
    /// Hash of a one-time setup token.
    pub setup_hash: Option<&'a str>,
    /// Creation time, ms.
    pub created_ts: i64,
}

/// An API token as listed (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    /// Row id.
    pub id: i64,
    /// The owner.
    pub user_id: i64,
    /// A label chosen at creation.
    pub name: String,
    /// Space-separated scopes.
    pub scopes: String,
    /// Creation time, ms.
    pub created_ts: i64,
    /// Last use, ms.
    pub last_used_ts: Option<i64>,
    /// Revocation time, ms.
    pub revoked_ts: Option<i64>,
}

/// A web session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// The owner.
    pub user_id: i64,
    /// The CSRF token bound to the session.
    pub csrf: String,
    /// Expiry, ms.
    pub expires_ts: i64,
}

const USER_COLUMNS: &str = "user_id, name, password_hash, is_admin, disabled, public_key, secret_enc, locale, setup_hash, created_ts";

fn user_row(row: &AnyRow) -> Result<UserRow, StoreError> {
    let is_admin: i64 = row.try_get("is_admin")?;
    let disabled: i64 = row.try_get("disabled")?;
    Ok(UserRow {
        id: row.try_get("user_id")?,
        name: row.try_get("name")?,
        password_hash: row.try_get("password_hash")?,
        is_admin: is_admin != 0,
        disabled: disabled != 0,
        public_key: parse_col(row, "public_key")?,
        secret_enc: row.try_get("secret_enc")?,
        locale: row.try_get("locale")?,
        setup_hash: row.try_get("setup_hash")?,
        created_ts: row.try_get("created_ts")?,
    })
}

fn token_row(row: &AnyRow) -> Result<TokenRow, StoreError> {
    Ok(TokenRow {
        id: row.try_get("token_id")?,
        user_id: row.try_get("user_id")?,
        name: row.try_get("name")?,
        scopes: row.try_get("scopes")?,
        created_ts: row.try_get("created_ts")?,
        last_used_ts: row.try_get("last_used_ts")?,
        revoked_ts: row.try_get("revoked_ts")?,
    })
}

impl Store {
    /// Creates an account; `Ok(None)` when the name is taken.
    pub async fn insert_user(&self, user: &NewUser<'_>) -> Result<Option<i64>, StoreError> {
        let mut tx = self.write().await?;
        let row = sqlx::query(
            "INSERT INTO users (name, password_hash, is_admin, disabled, public_key, secret_enc, setup_hash, created_ts) \
             VALUES ($1, $2, $3, 0, $4, $5, $6, $7) ON CONFLICT (name) DO NOTHING RETURNING user_id",
        )
        .bind(user.name)
        .bind(user.password_hash)
        .bind(i64::from(user.is_admin))
        .bind(user.public_key.to_hex())
        .bind(user.secret_enc)
        .bind(user.setup_hash)
        .bind(user.created_ts)
        .fetch_optional(tx.conn())
        .await?;
        tx.commit().await?;
        Ok(row.map(|row| row.try_get("user_id")).transpose()?)
    }

    /// An account by name.
    pub async fn user_by_name(&self, name: &str) -> Result<Option<UserRow>, StoreError> {
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE name = $1"))
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_row).transpose()
    }

    /// An account by id.
    pub async fn user_by_id(&self, id: i64) -> Result<Option<UserRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE user_id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_row).transpose()
    }

    /// An account by public key.
    pub async fn user_by_key(&self, key: PublicKey) -> Result<Option<UserRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE public_key = $1"
        ))
        .bind(key.to_hex())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_row).transpose()
    }

    /// The account holding an unused setup token with this hash.
    pub async fn user_by_setup_hash(
        &self,
        setup_hash: &str,
    ) -> Result<Option<UserRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE setup_hash = $1"
        ))
        .bind(setup_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_row).transpose()
    }

    /// All accounts by name.
    pub async fn users(&self) -> Result<Vec<UserRow>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY name"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(user_row).collect()
    }

    /// Sets the password and consumes any setup token.
    pub async fn set_password(&self, user_id: i64, password_hash: &str) -> Result<(), StoreError> {
        self.execute_write(
            sqlx::query(
                "UPDATE users SET password_hash = $2, setup_hash = NULL WHERE user_id = $1",
            )
            .bind(user_id)
            .bind(password_hash),
        )
        .await?;
        Ok(())
    }

    /// Replaces the one-time setup token.
    pub async fn set_setup_hash(&self, user_id: i64, setup_hash: &str) -> Result<(), StoreError> {
        self.execute_write(
            sqlx::query("UPDATE users SET setup_hash = $2 WHERE user_id = $1")
                .bind(user_id)
                .bind(setup_hash),
        )
        .await?;
        Ok(())
    }

    /// Replaces the user's key pair (identity import).
    pub async fn set_user_key(
        &self,
        user_id: i64,
        public_key: PublicKey,
        secret_enc: &str,
    ) -> Result<(), StoreError> {
        self.execute_write(
            sqlx::query("UPDATE users SET public_key = $2, secret_enc = $3 WHERE user_id = $1")
                .bind(user_id)
                .bind(public_key.to_hex())
                .bind(secret_enc),
        )
        .await?;
        Ok(())
    }

    /// Disables or re-enables an account; disabling ends its sessions.
    pub async fn set_disabled(&self, user_id: i64, disabled: bool) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        sqlx::query("UPDATE users SET disabled = $2 WHERE user_id = $1")
            .bind(user_id)
            .bind(i64::from(disabled))
            .execute(tx.conn())
            .await?;
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user_id)
                .execute(tx.conn())
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Sets the preferred UI language.
    pub async fn set_locale(&self, user_id: i64, locale: Option<&str>) -> Result<(), StoreError> {
        self.execute_write(
            sqlx::query("UPDATE users SET locale = $2 WHERE user_id = $1")
                .bind(user_id)
                .bind(locale),
        )
        .await?;
        Ok(())
    }

    /// Stores a session.
    pub async fn insert_session(
        &self,
        session_hash: &str,
        user_id: i64,
        csrf: &str,
        now: i64,
        expires: i64,
    ) -> Result<(), StoreError> {
        self.execute_write(sqlx::query(
            "INSERT INTO sessions (session_hash, user_id, csrf, created_ts, expires_ts) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(session_hash)
        .bind(user_id)
        .bind(csrf)
        .bind(now)
        .bind(expires)
        )
        .await?;
        Ok(())
    }

    /// A live session by its hash.
    pub async fn session(
        &self,
        session_hash: &str,
        now: i64,
    ) -> Result<Option<SessionRow>, StoreError> {
        let row = sqlx::query("SELECT user_id, csrf, expires_ts FROM sessions WHERE session_hash = $1 AND expires_ts > $2")
            .bind(session_hash)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            Ok(SessionRow {
                user_id: row.try_get("user_id")?,
                csrf: row.try_get("csrf")?,
                expires_ts: row.try_get("expires_ts")?,
            })
        })
        .transpose()
    }

    /// Ends a session.
    pub async fn delete_session(&self, session_hash: &str) -> Result<(), StoreError> {
        self.execute_write(
            sqlx::query("DELETE FROM sessions WHERE session_hash = $1").bind(session_hash),
        )
        .await?;
        Ok(())
    }

    /// Stores a token hash; returns the token's row id.
    pub async fn insert_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &str,
        scopes: &str,
        now: i64,
    ) -> Result<i64, StoreError> {
        let mut tx = self.write().await?;
        let row = sqlx::query(
            "INSERT INTO api_tokens (user_id, name, token_hash, scopes, created_ts) VALUES ($1, $2, $3, $4, $5) \
             RETURNING token_id",
        )
        .bind(user_id)
        .bind(name)
        .bind(token_hash)
        .bind(scopes)
        .bind(now)
        .fetch_one(tx.conn())
        .await?;
        tx.commit().await?;
        Ok(row.try_get("token_id")?)
    }

    /// A live token by hash, marking it used.
    pub async fn use_token(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<TokenRow>, StoreError> {
        let mut tx = self.write().await?;
        let row = sqlx::query(
            "UPDATE api_tokens SET last_used_ts = $2 WHERE token_hash = $1 AND revoked_ts IS NULL \
             RETURNING token_id, user_id, name, scopes, created_ts, last_used_ts, revoked_ts",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(tx.conn())
        .await?;
        tx.commit().await?;
        row.as_ref().map(token_row).transpose()
    }

    /// A user's tokens, newest first.
    pub async fn tokens(&self, user_id: i64) -> Result<Vec<TokenRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT token_id, user_id, name, scopes, created_ts, last_used_ts, revoked_ts FROM api_tokens \
             WHERE user_id = $1 ORDER BY token_id DESC",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(token_row).collect()
    }

    /// Revokes a user's token; `false` when no such live token exists.
    pub async fn revoke_token(
        &self,
        user_id: i64,
        token_id: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let result = self.execute_write(sqlx::query(
            "UPDATE api_tokens SET revoked_ts = $3 WHERE token_id = $1 AND user_id = $2 AND revoked_ts IS NULL",
        )
        .bind(token_id)
        .bind(user_id)
        .bind(now)
        )
        .await?;
        Ok(result.rows_affected() > 0)
    }
}
