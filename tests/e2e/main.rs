//! Black-box tests: each starts a real Sesame on a free port (or the real `sesame` binary) and
//! drives it with independent clients: the `oauth2` crate, reqwest, and a resource server that
//! trusts nothing but the published JWKS.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod helpers;

mod admin_api;
mod authorize_errors;
mod browser;
mod cli;
mod client_auth;
mod client_credentials;
mod code_and_refresh_errors;
mod console;
mod cookies;
mod demo;
mod device_and_password;
mod discovery;
mod encrypted_responses;
mod federation;
mod interaction;
mod introspection_revocation;
mod jose;
mod key_rotation;
mod mfa;
mod oauth1;
mod operations;
mod pages;
mod pairwise;
mod postgres_nodes;
mod redirect_matching;
mod request_parsing;
mod sign_in;
mod throttling;
mod token_errors;
mod users;
