//! Pairwise subject identifiers (OIDC Core §8): one `sub` per sector in every place a subject
//! leaves Sesame (ID token, UserInfo, JWT access token, introspection), `id_token_hint` still
//! recognised, and the sector identifier document fetched and checked at registration.

use crate::cli::sesame_async;
use crate::helpers::{jwt_parts, serve_json, spawn_app};
use crate::interaction::{Browser, REDIRECT, alice, code_flow_tokens, web_client};
use serde_json::{Value, json};
use sesame_core::client::{AuthMethod, SubjectType};

/// Every `sub` the client `client_id` is shown for alice, after signing her in there.
async fn subjects(app: &crate::helpers::TestApp, client_id: &str, secret: &str) -> [String; 4] {
    let tokens = code_flow_tokens(app, client_id, secret, "openid").await;
    let access = tokens["access_token"].as_str().unwrap();
    let (_, id_token) = jwt_parts(tokens["id_token"].as_str().unwrap());
    let (_, access_claims) = jwt_parts(access);
    let info: Value = app.userinfo(access).await.json().await.unwrap();
    let introspected = app
        .post_form(
            "/introspect",
            None,
            &[
                ("token", access),
                ("client_id", client_id),
                ("client_secret", secret),
            ],
        )
        .await
        .json();
    assert_eq!(introspected["active"], true, "{introspected}");
    [
        &id_token["sub"],
        &info["sub"],
        &access_claims["sub"],
        &introspected["sub"],
    ]
    .map(|v| v.as_str().unwrap().to_owned())
}

#[tokio::test]
async fn oidc_core_8_1_each_sector_sees_its_own_sub_everywhere() {
    let app = spawn_app().await;
    let own = alice(&app).await;
    let mut secrets = Vec::new();
    for (client_id, redirect, pairwise) in [
        ("one", REDIRECT, true),
        ("same-sector", REDIRECT, true),
        ("other-sector", "https://other.example/cb", true),
        ("public", REDIRECT, false),
    ] {
        let secret = web_client(&app, client_id, AuthMethod::ClientSecretPost, |m| {
            m.redirect_uris = vec![redirect.into()];
            if pairwise {
                m.subject_type = SubjectType::Pairwise;
            }
            m.skip_consent = true;
        })
        .await
        .unwrap();
        secrets.push(secret.expose().to_owned());
    }
    let one = subjects(&app, "one", &secrets[0]).await;
    assert!(
        one.iter().all(|s| s == &one[0]),
        "one sub in the ID token, UserInfo, the JWT and introspection: {one:?}"
    );
    assert_ne!(one[0], own, "pairwise, not the user's own");
    let same = subjects(&app, "same-sector", &secrets[1]).await;
    assert_eq!(same[0], one[0], "clients of one sector agree");
    // other-sector redirects elsewhere, so its browser flow ends at other.example.
    let other_client = (
        "other-sector",
        secrets[2].as_str(),
        "https://other.example/cb",
    );
    let tokens_other = Browser::new(&app)
        .code_tokens(&app, other_client, &[("scope", "openid")])
        .await;
    let (_, other) = jwt_parts(tokens_other["id_token"].as_str().unwrap());
    assert_ne!(
        other["sub"],
        one[0].as_str(),
        "another sector, an unrelated sub"
    );
    assert_ne!(other["sub"], own.as_str());
    let public = subjects(&app, "public", &secrets[3]).await;
    assert!(public.iter().all(|s| s == &own), "public: {public:?}");
}

#[tokio::test]
async fn oidc_core_3_1_2_1_a_pairwise_id_token_hint_names_the_signed_in_user() {
    let app = spawn_app().await;
    let own = alice(&app).await;
    let secret = web_client(&app, "pw", AuthMethod::ClientSecretPost, |m| {
        m.subject_type = SubjectType::Pairwise;
        m.skip_consent = true;
    })
    .await
    .unwrap();
    let browser = Browser::new(&app);
    let start = |extra: &[(&str, &str)]| {
        let mut params = vec![
            ("client_id", "pw"),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("scope", "openid"),
        ];
        params.extend_from_slice(extra);
        format!(
            "{}/authorize?{}",
            app.base,
            crate::helpers::serde_urlencoded(&params)
        )
    };
    let tokens = browser
        .code_tokens(
            &app,
            ("pw", secret.expose(), REDIRECT),
            &[("scope", "openid")],
        )
        .await;
    let hint = tokens["id_token"].as_str().unwrap();
    let silent = browser
        .get(&start(&[("prompt", "none"), ("id_token_hint", hint)]))
        .await;
    assert!(
        silent.param("code").is_some(),
        "the hint's pairwise sub is the session's user: {:?}",
        silent.location
    );
    let (_, claims) = jwt_parts(hint);
    let pinned = json!({"id_token": {"sub": {"value": claims["sub"]}}}).to_string();
    let silent = browser
        .get(&start(&[("prompt", "none"), ("claims", &pinned)]))
        .await;
    assert!(silent.param("code").is_some(), "{:?}", silent.location);
    // Someone else, or the user's own id: a pairwise client cannot test a guess of the real
    // id against the session (that would undo the pairwise sub).
    for guess in ["someone-else", own.as_str()] {
        let elsewhere = json!({"id_token": {"sub": {"value": guess}}}).to_string();
        let refused = browser
            .get(&start(&[("prompt", "none"), ("claims", &elsewhere)]))
            .await;
        assert_eq!(
            refused.param("error").as_deref(),
            Some("login_required"),
            "{guess}"
        );
    }
    // The ID token's sid is the session's as this sector knows it, and RP-initiated logout
    // recognises it: no confirmation page, straight back to the client.
    assert_ne!(claims["sid"], Value::Null);
    let out = browser
        .get(&format!(
            "/logout?{}",
            crate::helpers::serde_urlencoded(&[
                ("id_token_hint", hint),
                ("post_logout_redirect_uri", "https://app.example/bye"),
            ])
        ))
        .await;
    assert_eq!(
        out.location.as_deref(),
        Some("https://app.example/bye"),
        "{}",
        out.body
    );
}

#[tokio::test]
async fn oidc_core_8_1_the_sector_identifier_document_is_checked_at_registration() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/sesame.db", dir.path().display());
    let env = [("SESAME_DATABASE_URL", db.as_str())];
    let listed = serve_json(json!(["https://a.example/cb", "https://b.example/cb"])).await;
    let partial = serve_json(json!(["https://a.example/cb"])).await;
    let create = |id: &'static str, sector: String| async move {
        let args = [
            "client",
            "create",
            "--json",
            "--client-id",
            id,
            "--redirect-uri",
            "https://a.example/cb",
            "--redirect-uri",
            "https://b.example/cb",
            "--subject-type",
            "pairwise",
            "--sector-identifier-uri",
            &sector,
        ];
        sesame_async(&args, &env).await
    };
    let refused = create("partial", partial).await;
    assert_eq!(refused.status.code(), Some(1));
    let says = String::from_utf8_lossy(&refused.stderr);
    assert!(
        says.contains("sector_identifier_uri: the document does not list the redirect URI https://b.example/cb"),
        "{says}"
    );
    let unreachable = create("gone", "http://127.0.0.1:9/sector.json".into()).await;
    assert_eq!(unreachable.status.code(), Some(1));
    let says = String::from_utf8_lossy(&unreachable.stderr);
    assert!(says.contains("could not be read"), "{says}");
    let several_hosts = sesame_async(
        &[
            "client",
            "create",
            "--client-id",
            "hosts",
            "--redirect-uri",
            "https://a.example/cb",
            "--redirect-uri",
            "https://b.example/cb",
            "--subject-type",
            "pairwise",
        ],
        &env,
    )
    .await;
    assert!(
        String::from_utf8_lossy(&several_hosts.stderr).contains("several hosts"),
        "{several_hosts:?}"
    );
    let created = create("good", listed).await;
    assert!(created.status.success(), "{created:?}");
    let shown: Value = serde_json::from_slice(&created.stdout).unwrap();
    assert_eq!(shown["subject_type"], "pairwise");
}
