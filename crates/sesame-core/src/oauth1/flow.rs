//! The three legs (RFC 5849 §2): temporary credentials, the user's approval, token credentials;
//! and the protected resource that tells a resource server whose token credentials it holds.

use super::error::{Oauth1Error, Problem};
use super::request::{SignedRequest, verify};
use super::{CredentialsResponse, Oauth1Token, TokenKind, TokenStatus, new_credentials};
use crate::authorize::redirect_uri::{self, Purpose};
use crate::oidc::claims::release;
use crate::provider::Provider;
use crate::secret::{SecretHash, random_token};
use crate::user::{User, active_user};
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

/// §2.1: `POST /oauth1/request_token`.
pub async fn request_token(
    provider: &Provider,
    req: &SignedRequest<'_>,
) -> Result<CredentialsResponse, Oauth1Error> {
    let verified = verify(provider, req, None).await?;
    let callback = verified
        .parsed
        .callback
        .clone()
        .ok_or_else(|| Oauth1Error::absent("oauth_callback"))?;
    // The callback must be one the client registered (or out of band): never an open redirect.
    if callback != "oob"
        && !redirect_uri::is_registered(&callback, &verified.client, Purpose::Oauth1Callback)
    {
        return Err(Oauth1Error::new(
            Problem::ParameterRejected,
            "oauth_callback is not a redirect URI registered for this client",
        ));
    }
    let (mut record, secret) =
        new_credentials(provider, TokenKind::Temporary, &verified.client.client_id)?;
    record.callback = Some(callback);
    provider.store().insert_oauth1_token(&record).await?;
    Ok(CredentialsResponse {
        oauth_token: record.token,
        oauth_token_secret: secret,
        oauth_callback_confirmed: Some("true"),
    })
}

/// The temporary credentials a user is asked about on the approval page, if still pending.
pub async fn pending(provider: &Provider, token: &str) -> Result<Option<Oauth1Token>, Oauth1Error> {
    Ok(provider
        .store()
        .find_oauth1_token(token)
        .await?
        .filter(|t| {
            t.kind == TokenKind::Temporary
                && t.status == TokenStatus::Pending
                && t.expires_at > provider.now()
        }))
}

/// Where the user goes after answering (§2.2).
#[derive(Debug, PartialEq)]
pub enum Answer {
    /// Back to the client's callback with `oauth_token` and `oauth_verifier`.
    Redirect(String),
    /// `oob`: the user copies the verifier into the client.
    ShowVerifier(String),
    Denied,
    /// Answered meanwhile or expired.
    Gone,
}

/// The user's Allow or Deny for pending temporary credentials.
pub async fn answer(
    provider: &Provider,
    token: &Oauth1Token,
    user: &User,
    allow: bool,
) -> Result<Answer, Oauth1Error> {
    let now = provider.now();
    let store = provider.store();
    if !allow {
        let done = store
            .answer_oauth1_token(&token.token, TokenStatus::Denied, Some(&user.id), None, now)
            .await?;
        return Ok(if done { Answer::Denied } else { Answer::Gone });
    }
    let verifier = random_token(16);
    let done = store
        .answer_oauth1_token(
            &token.token,
            TokenStatus::Authorized,
            Some(&user.id),
            Some(&SecretHash::of(&verifier)),
            now,
        )
        .await?;
    if !done {
        return Ok(Answer::Gone);
    }
    Ok(match token.callback.as_deref() {
        None | Some("oob") => Answer::ShowVerifier(verifier),
        Some(callback) => {
            let query = form_urlencoded::Serializer::new(String::new())
                .append_pair("oauth_token", &token.token)
                .append_pair("oauth_verifier", &verifier)
                .finish();
            let sep = if callback.contains('?') { '&' } else { '?' };
            Answer::Redirect(format!("{callback}{sep}{query}"))
        }
    })
}

/// §2.3: `POST /oauth1/access_token`: approved temporary credentials and the verifier, once.
pub async fn access_token(
    provider: &Provider,
    req: &SignedRequest<'_>,
) -> Result<CredentialsResponse, Oauth1Error> {
    let verified = verify(provider, req, Some(TokenKind::Temporary)).await?;
    let Some(temporary) = verified.token else {
        return Err(Oauth1Error::absent("oauth_token"));
    };
    let presented = verified
        .parsed
        .verifier
        .as_deref()
        .ok_or_else(|| Oauth1Error::absent("oauth_verifier"))?;
    let matches = temporary
        .verifier_hash
        .as_ref()
        .is_some_and(|h| h.0.ct_eq(&SecretHash::of(presented).0).into());
    if temporary.status != TokenStatus::Authorized {
        return Err(Oauth1Error::new(
            Problem::PermissionUnknown,
            "the user has not approved these temporary credentials yet",
        ));
    }
    if !matches {
        return Err(Oauth1Error::new(
            Problem::TokenRejected,
            "oauth_verifier does not match",
        ));
    }
    let now = provider.now();
    let Some(used) = provider
        .store()
        .exchange_oauth1_token(&temporary.token, &verified.client.client_id, now)
        .await?
    else {
        return Err(Oauth1Error::new(
            Problem::TokenUsed,
            "these temporary credentials were already exchanged",
        ));
    };
    let (mut record, secret) =
        new_credentials(provider, TokenKind::Access, &verified.client.client_id)?;
    record.user_id = used.user_id;
    provider.store().insert_oauth1_token(&record).await?;
    Ok(CredentialsResponse {
        oauth_token: record.token,
        oauth_token_secret: secret,
        oauth_callback_confirmed: None,
    })
}

/// The protected resource `/oauth1/userinfo`: who the token credentials belong to.
pub async fn userinfo(
    provider: &Provider,
    req: &SignedRequest<'_>,
) -> Result<Map<String, Value>, Oauth1Error> {
    let verified = verify(provider, req, Some(TokenKind::Access)).await?;
    let user_id = verified.token.and_then(|t| t.user_id).unwrap_or_default();
    let user = active_user(provider.store(), &user_id)
        .await?
        .ok_or_else(|| {
            Oauth1Error::new(
                Problem::TokenRevoked,
                "the user of these credentials is gone or disabled",
            )
        })?;
    let mut claims = release(&user, &["name", "email", "email_verified"]);
    let sub = provider.subject_for(&verified.client, &user.id);
    claims.insert("sub".into(), Value::from(sub));
    claims.insert(
        "preferred_username".into(),
        Value::from(user.username.clone()),
    );
    claims.insert(
        "client_id".into(),
        Value::from(verified.client.client_id.clone()),
    );
    Ok(claims)
}
