//! Identity use cases. Every sign-in, failure, lockout, role change, second-factor change and
//! session revocation is written to the security audit log.

mod accounts;
mod sessions;
mod verify;

pub use sessions::{LoginOutcome, SessionInfo, token_hash};
pub use verify::ProfileInput;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use kernel::authz::{Grant, Principal, PrincipalKind, Role};
use kernel::db::Db;
use kernel::{Error, Result};

use crate::model::{Account, AccountKind};
use crate::store;

/// Failed passwords before an account is locked, and for how long.
pub const MAX_FAILURES: i64 = 5;
pub const LOCKOUT_MS: i64 = 15 * 60 * 1000;
/// Sign-in attempts one address may make per minute by default, whatever the account.
pub const ATTEMPTS_PER_MINUTE: u32 = 30;
/// Sessions expire after this long without use.
pub const SESSION_IDLE_MS: i64 = 12 * 3600 * 1000;

/// The published verification keys by key id, and when this node read them.
pub type VerifyCache = Option<(HashMap<String, jsonwebtoken::DecodingKey>, i64)>;

#[derive(Clone)]
pub struct Identity {
    pub db: Db,
    pub catalog: catalog::Catalog,
    bootstrap_token: Arc<str>,
    /// Cookies get `Secure` when people reach the server over HTTPS.
    pub secure_cookies: bool,
    /// The OpenID Connect issuer: the public address of this deployment.
    pub issuer: String,
    /// Sign-in attempts one address may make per minute.
    pub attempts_per_minute: u32,
    /// The external OpenID provider people may sign in with, if configured.
    pub external: Option<Arc<crate::external::ExternalIdp>>,
    /// The signing key in force and when this node read it.
    pub key_cache: Arc<Mutex<Option<(crate::oidc::keys::SigningKey, i64)>>>,
    /// The published verification keys and when this node read them.
    pub verify_cache: Arc<Mutex<VerifyCache>>,
    /// Sign-in attempts per client address in the current minute (per node).
    attempts: Arc<Mutex<HashMap<String, (i64, u32)>>>,
    /// Access tokens whose signature this node has checked, with their claims, until they
    /// expire: a system calling the gateway thousands of times a second is verified once.
    pub verified_tokens: Arc<Mutex<HashMap<String, crate::oidc::flow::AccessClaims>>>,
}

impl Identity {
    pub fn new(db: Db, catalog: catalog::Catalog, bootstrap_token: &str, issuer: &str) -> Identity {
        let issuer = issuer.trim_end_matches('/').to_owned();
        let secure_cookies = issuer.starts_with("https://");
        Identity {
            db,
            catalog,
            bootstrap_token: bootstrap_token.into(),
            secure_cookies,
            issuer,
            attempts_per_minute: ATTEMPTS_PER_MINUTE,
            external: None,
            key_cache: Default::default(),
            verify_cache: Default::default(),
            attempts: Default::default(),
            verified_tokens: Default::default(),
        }
    }

    pub fn is_bootstrap_token(&self, token: &str) -> bool {
        web::auth::constant_time_eq(token.as_bytes(), self.bootstrap_token.as_bytes())
    }

    /// Counts an attempt from `ip`; false when the address has used up its minute.
    pub(crate) fn rate_ok(&self, ip: &str) -> bool {
        let minute = kernel::time::now_ms() / 60_000;
        let mut m = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() > 10_000 {
            m.retain(|_, (w, _)| *w == minute);
        }
        let e = m.entry(ip.to_owned()).or_insert((minute, 0));
        if e.0 != minute {
            *e = (minute, 0);
        }
        e.1 += 1;
        e.1 <= self.attempts_per_minute
    }

    pub async fn audit(
        &self,
        kind: &str,
        account_id: Option<&str>,
        actor: Option<&str>,
        ip: Option<&str>,
        detail: serde_json::Value,
    ) -> Result<()> {
        store::audit::record(&self.db, kind, account_id, actor, ip, detail).await
    }

    /// Agency id → ids of the agencies below it (transitively), from the catalog.
    async fn descendants(&self) -> Result<HashMap<String, BTreeSet<String>>> {
        let all =
            self.catalog.agencies(&catalog::store::agencies::AgencyFilter { all: Some(true), ..Default::default() }, 0, 100_000).await?.0;
        let by_code: HashMap<String, String> = all.iter().map(|a| (a.code.to_string(), a.id.clone())).collect();
        let mut children: HashMap<String, Vec<String>> = HashMap::new();
        for a in &all {
            if let Some(p) = a.parent_code.as_ref().and_then(|c| by_code.get(c)) {
                children.entry(p.clone()).or_default().push(a.id.clone());
            }
        }
        let mut out = HashMap::new();
        for a in &all {
            let mut set = BTreeSet::new();
            let mut stack = vec![a.id.clone()];
            while let Some(x) = stack.pop() {
                if set.insert(x.clone()) {
                    stack.extend(children.get(&x).cloned().unwrap_or_default());
                }
            }
            out.insert(a.id.clone(), set);
        }
        Ok(out)
    }

    /// The principal of an account: its grants with the agencies they cover.
    pub async fn principal(&self, account_id: &str, mfa: bool) -> Result<Principal> {
        let a = store::accounts::get(&self.db, account_id).await?;
        let rows = store::accounts::grant_rows(&self.db, account_id).await?;
        let tree = if rows.iter().any(|r| r.4) { self.descendants().await? } else { HashMap::new() };
        let grants = rows
            .into_iter()
            .filter_map(|(_, role, agency_id, _, include_children)| {
                let role = Role::parse(&role)?;
                let covers =
                    if include_children { tree.get(&agency_id).cloned().unwrap_or_default() } else { BTreeSet::from([agency_id.clone()]) };
                Some(Grant { role, agency_id, include_children, covers })
            })
            .collect();
        let agency_id = match &a.agency_code {
            Some(c) => catalog::store::agencies::find_id(&self.db, c).await?,
            None => None,
        };
        Ok(Principal {
            kind: match a.kind {
                AccountKind::Citizen => PrincipalKind::Citizen,
                AccountKind::Business => PrincipalKind::Business,
                AccountKind::Official => PrincipalKind::Official,
            },
            id: a.id.clone(),
            name: a.business_name.clone().unwrap_or(a.full_name.clone()),
            citizen_id: a.citizen_id.clone(),
            tax_code: a.tax_code.clone(),
            agency_id,
            grants,
            mfa,
        })
    }

    pub async fn account(&self, id: &str) -> Result<Account> {
        store::accounts::get(&self.db, id).await
    }

    pub async fn security_events(
        &self,
        kind: Option<&str>,
        account_id: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<store::audit::SecurityEvent>, i64)> {
        store::audit::query(&self.db, kind, account_id, offset, limit).await
    }
}

/// The error sign-in answers with whatever went wrong, so that it does not tell which logins
/// exist.
pub(crate) fn bad_credentials() -> Error {
    Error::Unauthorized
}
