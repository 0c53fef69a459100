//! OpenID Connect Discovery 1.0 and RFC 8414 metadata, and the JWKS.

use crate::helpers::spawn_app;

#[tokio::test]
async fn both_metadata_documents_describe_what_exists() {
    let app = spawn_app().await;
    let oidc = app.get("/.well-known/openid-configuration").await;
    assert_eq!(oidc.status, 200);
    assert_eq!(oidc.headers["content-type"], "application/json");
    let oauth = app.get("/.well-known/oauth-authorization-server").await;
    assert_eq!(oidc.json(), oauth.json());

    let m = oidc.json();
    assert_eq!(m["issuer"], app.base, "issuer exactly as configured");
    for (key, path) in [
        ("token_endpoint", "/token"),
        ("introspection_endpoint", "/introspect"),
        ("revocation_endpoint", "/revoke"),
        ("jwks_uri", "/jwks"),
    ] {
        assert_eq!(m[key], app.url(path));
    }
    assert_eq!(
        m["grant_types_supported"],
        serde_json::json!([
            "authorization_code",
            "refresh_token",
            "client_credentials",
            "urn:ietf:params:oauth:grant-type:device_code",
            "password",
            "implicit"
        ])
    );
    for (key, path) in [
        ("authorization_endpoint", "/authorize"),
        ("userinfo_endpoint", "/userinfo"),
        ("end_session_endpoint", "/logout"),
        ("device_authorization_endpoint", "/device_authorization"),
    ] {
        assert_eq!(m[key], app.url(path));
    }
    assert_eq!(
        m["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(m["authorization_response_iss_parameter_supported"], true);
    assert_eq!(
        m["response_modes_supported"],
        serde_json::json!(["query", "fragment", "form_post"])
    );
    assert_eq!(
        m["token_endpoint_auth_methods_supported"],
        serde_json::json!([
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
            "none"
        ])
    );
    assert!(
        m["token_endpoint_auth_signing_alg_values_supported"]
            .as_array()
            .unwrap()
            .contains(&"ES256".into())
    );
    // Every advertised endpoint answers (a POST without credentials is an OAuth error, not 404).
    for key in [
        "token_endpoint",
        "introspection_endpoint",
        "revocation_endpoint",
    ] {
        let reply = crate::helpers::send(
            app.http
                .post(m[key].as_str().unwrap())
                .header("content-type", "application/x-www-form-urlencoded"),
        )
        .await;
        assert!(
            reply.status == 400 || reply.status == 401,
            "{key}: {}",
            reply.status
        );
    }
}

#[tokio::test]
async fn jwks_publishes_public_keys_only_with_kid_alg_and_use() {
    let app = spawn_app().await;
    let reply = app.get("/jwks").await;
    assert_eq!(reply.status, 200);
    let jwks = reply.json();
    let keys = jwks["keys"].as_array().unwrap();
    let mut algs: Vec<&str> = keys.iter().map(|k| k["alg"].as_str().unwrap()).collect();
    algs.sort();
    assert_eq!(algs, ["ES256", "EdDSA", "PS256", "RS256"]);
    for k in keys {
        assert!(k["kid"].is_string());
        assert_eq!(k["use"], "sig");
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(
                k.get(private).is_none(),
                "private part {private} published: {k}"
            );
        }
    }
    let rsa = keys.iter().find(|k| k["kty"] == "RSA").unwrap();
    use base64::Engine;
    let n = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(rsa["n"].as_str().unwrap())
        .unwrap();
    assert_eq!(n.len() * 8, 2048, "RSA 2048");
}
