"""Signs one OAuth 1.0a request with oauthlib (an implementation independent of Sesame's) and
prints the signed request as JSON: {"uri", "headers", "body"}. Used by tests/e2e/oauth1.rs.

    python3 tests/oauth1/sign.py '{"method": "POST", "uri": "...", "client_key": "...", ...}'

Input keys: method, uri, body (a form-encoded string or null), client_key, client_secret,
resource_owner_key, resource_owner_secret, callback_uri, verifier, signature_method
(HMAC-SHA1 | HMAC-SHA256 | PLAINTEXT | RSA-SHA1, with rsa_key: a PEM private key; needs
the cryptography and PyJWT packages), signature_type (AUTH_HEADER | BODY | QUERY),
timestamp and nonce (optional, to make a stale or repeated request).
"""
import json
import sys

from oauthlib import oauth1


def main() -> None:
    spec = json.loads(sys.argv[1])
    client = oauth1.Client(
        spec["client_key"],
        client_secret=spec.get("client_secret"),
        resource_owner_key=spec.get("resource_owner_key"),
        resource_owner_secret=spec.get("resource_owner_secret"),
        callback_uri=spec.get("callback_uri"),
        verifier=spec.get("verifier"),
        signature_method=spec.get("signature_method", "HMAC-SHA1"),
        signature_type=spec.get("signature_type", "AUTH_HEADER"),
        timestamp=spec.get("timestamp"),
        nonce=spec.get("nonce"),
        rsa_key=spec.get("rsa_key"),
    )
    body = spec.get("body")
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
    uri, headers, body = client.sign(spec["uri"], http_method=spec["method"], body=body, headers=headers)
    print(json.dumps({"uri": uri, "headers": headers, "body": body}))


if __name__ == "__main__":
    main()
