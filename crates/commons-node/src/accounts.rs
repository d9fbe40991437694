//! Local accounts: users with argon2id passwords, web sessions with CSRF
//! tokens, scoped API tokens, and moving a user's identity between nodes.

use commons_kernel::{Handle, PublicKey, SecretKey};
use commons_store::users::{NewUser, UserRow};
use serde::{Deserialize, Serialize};

use crate::secrets::{self, hash_password, new_token, token_hash, verify_password};
use crate::{Node, NodeError, now};

/// How long a web session lasts, in milliseconds.
pub const SESSION_TTL_MS: i64 = 14 * 24 * 3600 * 1000;

/// Minimum password length.
pub const MIN_PASSWORD_LEN: usize = 10;

/// Scopes an API token may carry.
pub const SCOPES: &[&str] = &["read", "write", "admin"];

/// A local account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Row id.
    pub id: i64,
    /// Login name.
    pub name: Handle,
    /// Node administrator.
    pub is_admin: bool,
    /// Disabled accounts cannot act.
    pub disabled: bool,
    /// The user's signing key.
    pub public_key: PublicKey,
    /// Preferred UI language.
    pub locale: Option<String>,
    /// Whether a password is set.
    pub has_password: bool,
    /// Creation time, ms.
    pub created_ts: i64,
}

/// A logged-in web session.
#[derive(Debug, Clone)]
pub struct Session {
    /// Its user.
    pub user: User,
    /// The CSRF token every form must echo.
    pub csrf: String,
}

/// An API token as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// Row id, used to revoke it.
    pub id: i64,
    /// Label.
    pub name: String,
    /// Scopes.
    pub scopes: Vec<String>,
    /// Created, ms.
    pub created_ts: i64,
    /// Last used, ms.
    pub last_used_ts: Option<i64>,
    /// Revoked, ms.
    pub revoked_ts: Option<i64>,
}

/// A portable identity: the user's key pair, the secret sealed with a passphrase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityExport {
    /// Format marker, `commons-identity-v1`.
    pub format: String,
    /// The user name it was exported from.
    pub name: String,
    /// The public key.
    pub public_key: PublicKey,
    /// Salt of the passphrase key derivation (argon2id).
    pub salt: String,
    /// The secret key sealed with XChaCha20-Poly1305 under the passphrase key.
    pub sealed_secret: String,
}

impl User {
    fn from_row(row: UserRow) -> Result<User, NodeError> {
        Ok(User {
            id: row.id,
            name: Handle::parse(&row.name)
                .map_err(|e| NodeError::Store(commons_store::StoreError::Corrupt(e.to_string())))?,
            is_admin: row.is_admin,
            disabled: row.disabled,
            public_key: row.public_key,
            locale: row.locale,
            has_password: row.password_hash.is_some(),
            created_ts: row.created_ts,
        })
    }
}

fn check_password(password: &str) -> Result<(), NodeError> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(NodeError::BadInput(format!(
            "the password must have at least {MIN_PASSWORD_LEN} characters"
        )));
    }
    if password.len() > 1024 {
        return Err(NodeError::BadInput(
            "the password is longer than 1024 bytes".into(),
        ));
    }
    Ok(())
}

impl Node {
    /// Creates an account with a password.
    pub async fn create_user(
        &self,
        name: &str,
        password: &str,
        is_admin: bool,
    ) -> Result<User, NodeError> {
        let handle = Handle::parse(name).map_err(|e| NodeError::BadInput(e.to_string()))?;
        check_password(password)?;
        let password_hash = hash_password(password);
        self.insert_user(&handle, Some(&password_hash), is_admin, None)
            .await
    }

    /// Creates an account without a password and returns its one-time setup token.
    pub async fn create_user_with_setup(
        &self,
        name: &str,
        is_admin: bool,
    ) -> Result<String, NodeError> {
        let handle = Handle::parse(name).map_err(|e| NodeError::BadInput(e.to_string()))?;
        let token = new_token("setup");
        self.insert_user(&handle, None, is_admin, Some(&token_hash(&token)))
            .await?;
        Ok(token)
    }

    async fn insert_user(
        &self,
        name: &Handle,
        password_hash: Option<&str>,
        is_admin: bool,
        setup_hash: Option<&str>,
    ) -> Result<User, NodeError> {
        let key = SecretKey::generate();
        let secret_enc = self.inner.wrap.wrap(&key);
        let new = NewUser {
            name: name.as_str(),
            password_hash,
            is_admin,
            public_key: key.public_key(),
            secret_enc: &secret_enc,
            setup_hash,
            created_ts: now().0,
        };
        if self.store().insert_user(&new).await?.is_none() {
            return Err(NodeError::Conflict(format!("the name {name} is taken")));
        }
        self.user(name.as_str()).await
    }

    /// Issues a new setup token for an account that has no password yet.
    pub async fn reissue_setup(&self, name: &str) -> Result<String, NodeError> {
        let row = self.user_row(name).await?;
        let token = new_token("setup");
        self.store()
            .set_setup_hash(row.id, &token_hash(&token))
            .await?;
        Ok(token)
    }

    /// Sets the password of the account holding `token` and consumes the token.
    pub async fn complete_setup(&self, token: &str, password: &str) -> Result<User, NodeError> {
        check_password(password)?;
        let row = self
            .store()
            .user_by_setup_hash(&token_hash(token))
            .await?
            .ok_or_else(|| {
                NodeError::Unauthorized("the setup link is invalid or was already used".into())
            })?;
        self.store()
            .set_password(row.id, &hash_password(password))
            .await?;
        self.user(&row.name).await
    }

    /// Changes a user's password after checking the current one.
    pub async fn change_password(
        &self,
        user: &User,
        current: &str,
        new: &str,
    ) -> Result<(), NodeError> {
        self.authenticate(user.name.as_str(), current).await?;
        check_password(new)?;
        self.store()
            .set_password(user.id, &hash_password(new))
            .await?;
        self.inner.credentials.forget_user(user.id);
        Ok(())
    }

    /// A user by name.
    pub async fn user(&self, name: &str) -> Result<User, NodeError> {
        User::from_row(self.user_row(name).await?)
    }

    async fn user_row(&self, name: &str) -> Result<UserRow, NodeError> {
        self.store()
            .user_by_name(name)
            .await?
            .ok_or_else(|| NodeError::NotFound {
                what: "user",
                name: name.to_owned(),
            })
    }

    /// A user by key, if local.
    pub async fn user_by_key(&self, key: PublicKey) -> Result<Option<User>, NodeError> {
        self.store()
            .user_by_key(key)
            .await?
            .map(User::from_row)
            .transpose()
    }

    /// All accounts.
    pub async fn users(&self) -> Result<Vec<User>, NodeError> {
        self.store()
            .users()
            .await?
            .into_iter()
            .map(User::from_row)
            .collect()
    }

    /// Disables an account and ends its sessions.
    pub async fn set_user_disabled(&self, name: &str, disabled: bool) -> Result<User, NodeError> {
        let row = self.user_row(name).await?;
        self.store().set_disabled(row.id, disabled).await?;
        self.inner.credentials.forget_user(row.id);
        self.user(name).await
    }

    /// Sets a user's preferred language (`None` follows the browser).
    pub async fn set_locale(&self, user: &User, locale: Option<&str>) -> Result<(), NodeError> {
        if let Some(locale) = locale
            && (locale.is_empty()
                || locale.len() > 16
                || !locale
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-'))
        {
            return Err(NodeError::BadInput(format!(
                "{locale:?} is not a language tag"
            )));
        }
        self.store().set_locale(user.id, locale).await?;
        Ok(())
    }

    /// Checks a name and password. The same error for an unknown name and a
    /// wrong password, so the answer reveals nothing about which accounts exist.
    pub async fn authenticate(&self, name: &str, password: &str) -> Result<User, NodeError> {
        let denied = || NodeError::Unauthorized("wrong name or password".into());
        let Some(row) = self.store().user_by_name(name).await? else {
            // Spend the same time as a real check.
            static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
            verify_password(
                password,
                DUMMY.get_or_init(|| hash_password("not a real password")),
            );
            return Err(denied());
        };
        let Some(hash) = &row.password_hash else {
            return Err(denied());
        };
        let cache = &self.inner.credentials;
        if !cache.check(name, password, row.id, hash) {
            if !verify_password(password, hash) {
                return Err(denied());
            }
            cache.remember(name, password, row.id, hash);
        }
        let user = User::from_row(row)?;
        if user.disabled {
            return Err(NodeError::Forbidden("this account is disabled".into()));
        }
        Ok(user)
    }

    /// How often password checks were answered from the verified-password
    /// cache (see [`crate::credentials`]).
    pub fn credential_stats(&self) -> crate::credentials::CacheStats {
        self.inner.credentials.stats()
    }

    /// Starts a web session; returns the session secret for the cookie.
    pub async fn create_session(&self, user: &User) -> Result<(String, Session), NodeError> {
        let secret = new_token("sess");
        let csrf = new_token("csrf");
        let now = now().0;
        self.store()
            .insert_session(
                &token_hash(&secret),
                user.id,
                &csrf,
                now,
                now + SESSION_TTL_MS,
            )
            .await?;
        Ok((
            secret,
            Session {
                user: user.clone(),
                csrf,
            },
        ))
    }

    /// The live session for a cookie secret.
    pub async fn session(&self, secret: &str) -> Result<Option<Session>, NodeError> {
        let Some(row) = self.store().session(&token_hash(secret), now().0).await? else {
            return Ok(None);
        };
        let Some(user) = self.store().user_by_id(row.user_id).await? else {
            return Ok(None);
        };
        let user = User::from_row(user)?;
        if user.disabled {
            return Ok(None);
        }
        Ok(Some(Session {
            user,
            csrf: row.csrf,
        }))
    }

    /// Ends a session.
    pub async fn end_session(&self, secret: &str) -> Result<(), NodeError> {
        Ok(self.store().delete_session(&token_hash(secret)).await?)
    }

    /// Creates an API token; the token is returned once and stored hashed.
    pub async fn create_token(
        &self,
        user: &User,
        name: &str,
        scopes: &[String],
    ) -> Result<(ApiToken, String), NodeError> {
        if name.is_empty() || name.len() > 64 {
            return Err(NodeError::BadInput(
                "a token name must be 1 to 64 characters".into(),
            ));
        }
        if scopes.is_empty() {
            return Err(NodeError::BadInput(format!(
                "give at least one scope of {}",
                SCOPES.join(", ")
            )));
        }
        if let Some(bad) = scopes.iter().find(|s| !SCOPES.contains(&s.as_str())) {
            return Err(NodeError::BadInput(format!(
                "unknown scope {bad:?}; expected {}",
                SCOPES.join(", ")
            )));
        }
        if scopes.iter().any(|s| s == "admin") && !user.is_admin {
            return Err(NodeError::Forbidden(
                "only node admins may hold the admin scope".into(),
            ));
        }
        let token = new_token("cmn");
        let now = now().0;
        let id = self
            .store()
            .insert_token(user.id, name, &token_hash(&token), &scopes.join(" "), now)
            .await?;
        let listed = ApiToken {
            id,
            name: name.to_owned(),
            scopes: scopes.to_vec(),
            created_ts: now,
            last_used_ts: None,
            revoked_ts: None,
        };
        Ok((listed, token))
    }

    /// The user and scopes a bearer token grants.
    pub async fn authenticate_token(&self, token: &str) -> Result<(User, Vec<String>), NodeError> {
        let denied = || NodeError::Unauthorized("the API token is invalid or revoked".into());
        let row = self
            .store()
            .use_token(&token_hash(token), now().0)
            .await?
            .ok_or_else(denied)?;
        let user = self
            .store()
            .user_by_id(row.user_id)
            .await?
            .ok_or_else(denied)?;
        let user = User::from_row(user)?;
        if user.disabled {
            return Err(NodeError::Forbidden("this account is disabled".into()));
        }
        Ok((user, row.scopes.split(' ').map(str::to_owned).collect()))
    }

    /// A user's tokens.
    pub async fn tokens(&self, user: &User) -> Result<Vec<ApiToken>, NodeError> {
        let rows = self.store().tokens(user.id).await?;
        Ok(rows
            .into_iter()
            .map(|row| ApiToken {
                id: row.id,
                name: row.name,
                scopes: row.scopes.split(' ').map(str::to_owned).collect(),
                created_ts: row.created_ts,
                last_used_ts: row.last_used_ts,
                revoked_ts: row.revoked_ts,
            })
            .collect())
    }

    /// Revokes one of the user's tokens.
    pub async fn revoke_token(&self, user: &User, token_id: i64) -> Result<(), NodeError> {
        if !self
            .store()
            .revoke_token(user.id, token_id, now().0)
            .await?
        {
            return Err(NodeError::NotFound {
                what: "token",
                name: token_id.to_string(),
            });
        }
        Ok(())
    }

    /// The user's secret key, unwrapped for signing.
    pub(crate) async fn user_secret(&self, user: &User) -> Result<SecretKey, NodeError> {
        let row = self.user_row(user.name.as_str()).await?;
        Ok(self.inner.wrap.unwrap(&row.secret_enc)?)
    }

    /// Exports a user's identity sealed with `passphrase`.
    pub async fn export_identity(
        &self,
        name: &str,
        passphrase: &str,
    ) -> Result<IdentityExport, NodeError> {
        check_password(passphrase)?;
        let user = self.user(name).await?;
        let key = self.user_secret(&user).await?;
        let (salt, sealed_secret) = secrets::seal_with_passphrase(&key, passphrase);
        Ok(IdentityExport {
            format: "commons-identity-v1".into(),
            name: user.name.to_string(),
            public_key: user.public_key,
            salt,
            sealed_secret,
        })
    }

    /// Imports an identity: creates the account `name` (or replaces the key of
    /// an account that has not signed anything yet) with the exported key.
    pub async fn import_identity(
        &self,
        name: &str,
        export: &IdentityExport,
        passphrase: &str,
    ) -> Result<User, NodeError> {
        if export.format != "commons-identity-v1" {
            return Err(NodeError::BadInput(format!(
                "unknown identity format {:?}",
                export.format
            )));
        }
        let key = secrets::open_with_passphrase(&export.salt, &export.sealed_secret, passphrase)
            .map_err(|_| {
                NodeError::Unauthorized("the passphrase does not open this identity".into())
            })?;
        if key.public_key() != export.public_key {
            return Err(NodeError::BadInput(
                "the sealed secret does not match the public key".into(),
            ));
        }
        if let Some(existing) = self.user_by_key(key.public_key()).await? {
            return Err(NodeError::Conflict(format!(
                "this identity already belongs to user {}",
                existing.name
            )));
        }
        let user = match self.store().user_by_name(name).await? {
            Some(row) => User::from_row(row)?,
            None => {
                let handle = Handle::parse(name).map_err(|e| NodeError::BadInput(e.to_string()))?;
                let token = new_token("setup");
                self.insert_user(&handle, None, false, Some(&token_hash(&token)))
                    .await?
            }
        };
        self.store()
            .set_user_key(user.id, key.public_key(), &self.inner.wrap.wrap(&key))
            .await?;
        self.user(name).await
    }
}
