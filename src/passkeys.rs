//! Passkeys: Sesame as a WebAuthn relying party (webauthn-rs), its id and origin from the
//! issuer. A ceremony's two halves may run on different nodes: its state waits in the store,
//! taken once, so a challenge answers one ceremony only. A passkey's record (public key, sign
//! counter, backup flags) is a factor like any other; a counter that goes back is a cloned
//! authenticator, refused and audited.

use sesame_core::Provider;
use sesame_core::mfa::{Factor, FactorKind, amr};
use sesame_core::secret::{SecretHash, random_token};
use sesame_core::store::StoreError;
use sesame_core::user::User;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, DiscoverableKey, Passkey, PasskeyAuthentication,
    PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential, Url, Uuid, Webauthn,
    WebauthnBuilder, WebauthnError,
};

/// Seconds a ceremony may take (the browser's own timeout is five minutes).
const CEREMONY_TTL: i64 = 300;

/// Why a passkey did not register or sign in; the message is the page's.
#[derive(Debug)]
pub enum PasskeyError {
    /// The answer does not fit the ceremony (another challenge, a wrong origin, a bad
    /// signature, no such credential): try again.
    Refused(String),
    /// The sign counter went back: a cloned authenticator (this user's, this factor).
    Cloned {
        user_id: String,
        factor_id: String,
    },
    Store(StoreError),
}

impl From<StoreError> for PasskeyError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// A ceremony between its halves, as the store keeps it.
#[derive(serde::Serialize, serde::Deserialize)]
enum Ceremony {
    Register {
        user_id: String,
        state: PasskeyRegistration,
    },
    SecondFactor {
        user_id: String,
        state: PasskeyAuthentication,
    },
    Passwordless {
        state: DiscoverableAuthentication,
    },
}

/// A passkey that proved itself: whose, which, and what it says of the sign-in (`amr`).
pub struct Proved {
    pub user_id: String,
    pub factor_id: String,
    pub amr: Vec<&'static str>,
}

pub struct Passkeys {
    webauthn: Webauthn,
}

/// The WebAuthn user handle of a user: stable, and not their id (RFC-free, but the spec asks
/// that it identify no one by itself).
fn user_handle(user_id: &str) -> Uuid {
    let digest = SecretHash::of(&format!("sesame passkey user\0{user_id}"));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest.0[..16]);
    Uuid::from_bytes(bytes)
}

fn refused(e: WebauthnError) -> PasskeyError {
    PasskeyError::Refused(format!("its answer does not fit this request ({e})"))
}

fn record(passkey: &Passkey) -> Result<Vec<u8>, PasskeyError> {
    serde_json::to_vec(passkey).map_err(|e| PasskeyError::Store(StoreError::Backend(e.to_string())))
}

fn passkey_of(factor: &Factor) -> Result<Passkey, PasskeyError> {
    serde_json::from_slice(&factor.secret).map_err(|e| {
        PasskeyError::Store(StoreError::Corrupt(format!("passkey {}: {e}", factor.id)))
    })
}

impl Passkeys {
    /// The relying party of this issuer: its host is the RP id, its origin the only one
    /// allowed. `None` when the host is not a domain name (WebAuthn has no RP id for an IP
    /// address: serve Sesame as `localhost` to try passkeys on one machine).
    pub fn for_issuer(issuer: &str) -> Option<Self> {
        let url = Url::parse(issuer).ok()?;
        let rp_id = url.domain()?.to_owned();
        let origin = Url::parse(&url.origin().ascii_serialization()).ok()?;
        let webauthn = WebauthnBuilder::new(&rp_id, &origin)
            .ok()?
            .rp_name("Sesame")
            .build()
            .ok()?;
        Some(Self { webauthn })
    }

    async fn keep(&self, provider: &Provider, ceremony: &Ceremony) -> Result<String, PasskeyError> {
        let id = random_token(24);
        let state = serde_json::to_string(ceremony)
            .map_err(|e| PasskeyError::Store(StoreError::Backend(e.to_string())))?;
        provider
            .store()
            .put_ceremony(&id, &state, provider.now() + CEREMONY_TTL)
            .await?;
        Ok(id)
    }

    async fn take(&self, provider: &Provider, id: &str) -> Result<Ceremony, PasskeyError> {
        let gone =
            || PasskeyError::Refused("this passkey request expired or was used; try again".into());
        let state = provider
            .store()
            .take_ceremony(id, provider.now())
            .await?
            .ok_or_else(gone)?;
        serde_json::from_str(&state).map_err(|_| gone())
    }

    /// Starts registering a passkey for `user`: the options for `navigator.credentials.create`
    /// and the ceremony's id. A discoverable credential is asked for, so the passkey can also
    /// sign in without a username; the user's passkeys are excluded (no two on one device).
    pub async fn start_registration(
        &self,
        provider: &Provider,
        user: &User,
        factors: &[Factor],
    ) -> Result<(String, serde_json::Value), PasskeyError> {
        let exclude = factors
            .iter()
            .filter(|f| f.kind == FactorKind::Passkey)
            .map(|f| passkey_of(f).map(|p| p.cred_id().clone()))
            .collect::<Result<Vec<_>, _>>()?;
        let display = user.claims.name.as_deref().unwrap_or(&user.username);
        let (options, state) = self
            .webauthn
            .start_passkey_registration(
                user_handle(&user.id),
                &user.username,
                display,
                Some(exclude),
            )
            .map_err(refused)?;
        let mut options = serde_json::to_value(&options)
            .map_err(|e| PasskeyError::Store(StoreError::Backend(e.to_string())))?;
        options["publicKey"]["authenticatorSelection"]["residentKey"] = "required".into();
        options["publicKey"]["authenticatorSelection"]["requireResidentKey"] = true.into();
        let ceremony = Ceremony::Register {
            user_id: user.id.clone(),
            state,
        };
        Ok((self.keep(provider, &ceremony).await?, options))
    }

    /// Finishes a registration begun for `user`: the new factor, stored, unless its
    /// credential is registered already (to anyone).
    pub async fn finish_registration(
        &self,
        provider: &Provider,
        user: &User,
        ceremony: &str,
        credential: &str,
        name: &str,
    ) -> Result<Factor, PasskeyError> {
        let Ceremony::Register { user_id, state } = self.take(provider, ceremony).await? else {
            return Err(PasskeyError::Refused(
                "not a registration; try again".into(),
            ));
        };
        if user_id != user.id {
            return Err(PasskeyError::Refused(
                "this registration was someone else's".into(),
            ));
        }
        let credential: RegisterPublicKeyCredential =
            serde_json::from_str(credential).map_err(|e| {
                PasskeyError::Refused(format!("the browser's answer is unreadable ({e})"))
            })?;
        let passkey = self
            .webauthn
            .finish_passkey_registration(&credential, &state)
            .map_err(refused)?;
        let credential_id = base64url(passkey.cred_id().as_ref());
        let factor = Factor::passkey(
            &user.id,
            name,
            &credential_id,
            record(&passkey)?,
            provider.now(),
        );
        if !provider.store().insert_passkey(&factor).await? {
            return Err(PasskeyError::Refused(
                "this passkey is registered already".into(),
            ));
        }
        Ok(factor)
    }

    /// Starts a sign-in with one of `user`'s passkeys (the second factor), or with any
    /// discoverable one (no user yet: passwordless).
    pub async fn start_authentication(
        &self,
        provider: &Provider,
        user: Option<(&User, &[Factor])>,
    ) -> Result<(String, serde_json::Value), PasskeyError> {
        let (options, ceremony) = match user {
            Some((user, factors)) => {
                let passkeys = factors
                    .iter()
                    .filter(|f| f.kind == FactorKind::Passkey)
                    .map(passkey_of)
                    .collect::<Result<Vec<_>, _>>()?;
                let (options, state) = self
                    .webauthn
                    .start_passkey_authentication(&passkeys)
                    .map_err(refused)?;
                let ceremony = Ceremony::SecondFactor {
                    user_id: user.id.clone(),
                    state,
                };
                (serde_json::to_value(&options), ceremony)
            }
            None => {
                let (options, state) = self
                    .webauthn
                    .start_discoverable_authentication()
                    .map_err(refused)?;
                (
                    serde_json::to_value(&options),
                    Ceremony::Passwordless { state },
                )
            }
        };
        let mut options =
            options.map_err(|e| PasskeyError::Store(StoreError::Backend(e.to_string())))?;
        // A button asks for the passkey, so the browser's dialog, not conditional autofill.
        if let Some(o) = options.as_object_mut() {
            o.remove("mediation");
        }
        Ok((self.keep(provider, &ceremony).await?, options))
    }

    /// Finishes a sign-in: the passkey that answered, checked against the ceremony (and, for a
    /// second factor, against the user it was begun for); its record written back.
    pub async fn finish_authentication(
        &self,
        provider: &Provider,
        ceremony: &str,
        credential: &str,
        expected_user: Option<&str>,
    ) -> Result<Proved, PasskeyError> {
        let answer: PublicKeyCredential = serde_json::from_str(credential).map_err(|e| {
            PasskeyError::Refused(format!("the browser's answer is unreadable ({e})"))
        })?;
        let credential_id = base64url(answer.get_credential_id());
        let factor = provider
            .store()
            .find_passkey(&credential_id)
            .await?
            .ok_or_else(|| PasskeyError::Refused("this passkey is not registered here".into()))?;
        let mut passkey = passkey_of(&factor)?;
        let result = match (self.take(provider, ceremony).await?, expected_user) {
            (Ceremony::SecondFactor { user_id, state }, Some(expected))
                if user_id == expected && factor.user_id == expected =>
            {
                self.webauthn.finish_passkey_authentication(&answer, &state)
            }
            (Ceremony::Passwordless { state }, None) => {
                // The handle the authenticator returned must be the one made for the passkey's
                // owner: a credential cannot speak for someone else.
                let (handle, _) = self
                    .webauthn
                    .identify_discoverable_authentication(&answer)
                    .map_err(refused)?;
                if handle != user_handle(&factor.user_id) {
                    return Err(PasskeyError::Refused(
                        "this passkey belongs to no one here".into(),
                    ));
                }
                let key = DiscoverableKey::from(&passkey);
                self.webauthn
                    .finish_discoverable_authentication(&answer, state, &[key])
            }
            _ => {
                return Err(PasskeyError::Refused(
                    "this passkey request was not for this".into(),
                ));
            }
        }
        .map_err(|e| match e {
            WebauthnError::CredentialPossibleCompromise => PasskeyError::Cloned {
                user_id: factor.user_id.clone(),
                factor_id: factor.id.clone(),
            },
            e => refused(e),
        })?;
        passkey.update_credential(&result);
        let updated = record(&passkey)?;
        // Compare-and-set: a racing sign-in with a clone cannot slip its counter under this.
        if !provider
            .store()
            .update_passkey(
                &factor.user_id,
                &factor.id,
                &factor.secret,
                &updated,
                provider.now(),
            )
            .await?
        {
            return Err(PasskeyError::Refused(
                "the passkey was used at the same time; try again".into(),
            ));
        }
        let key = if result.backup_eligible() {
            amr::SWK
        } else {
            amr::HWK
        };
        Ok(Proved {
            user_id: factor.user_id,
            factor_id: factor.id,
            amr: vec![key, amr::USER],
        })
    }
}

fn base64url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_domain_issuer_is_a_relying_party_and_an_address_is_not() {
        assert!(Passkeys::for_issuer("https://id.example/tenant").is_some());
        assert!(Passkeys::for_issuer("http://localhost:8080").is_some());
        assert!(Passkeys::for_issuer("http://127.0.0.1:8080").is_none());
        assert!(Passkeys::for_issuer("not a url").is_none());
    }

    #[test]
    fn a_user_handle_is_stable_and_not_the_user_id() {
        assert_eq!(user_handle("usr_1"), user_handle("usr_1"));
        assert_ne!(user_handle("usr_1"), user_handle("usr_2"));
        assert!(!user_handle("usr_1").to_string().contains("usr_1"));
    }
}
