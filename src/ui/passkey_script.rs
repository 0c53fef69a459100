//! What a page needs to offer a passkey: the one script that runs the WebAuthn ceremony in the
//! browser (allowed by its hash), and the login flow's passkey endpoints.

use crate::state::AppState;

pub const LOGIN_PASSKEY: &str = "/login/passkey";
pub const LOGIN_PASSKEY_OPTIONS: &str = "/login/passkey/options";

/// The passkey forms' script: for each `form[data-passkey]`, shows its button, and on submit
/// posts the form to its `data-options` URL, hands the options to
/// `navigator.credentials.create` or `.get`, and submits the answer (base64url, as WebAuthn's
/// JSON encoding has it) in the form's `credential` field.
pub const SCRIPT: &str = "(()=>{const d=s=>Uint8Array.from(atob(s.replace(/-/g,'+').replace(/_/g,'/')),c=>c.charCodeAt(0));const e=b=>btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\\+/g,'-').replace(/\\//g,'_').replace(/=+$/,'');for(const f of document.querySelectorAll('form[data-passkey]')){const b=f.querySelector('button');b.hidden=false;const say=m=>{const o=f.querySelector('[role=status]');if(o)o.textContent=m};f.addEventListener('submit',async v=>{v.preventDefault();if(!window.PublicKeyCredential){say('This browser cannot use passkeys.');return}try{const r=await fetch(f.dataset.options,{method:'POST',headers:{'content-type':'application/x-www-form-urlencoded'},body:new URLSearchParams(new FormData(f))});const o=await r.json();if(!r.ok){say(o.error);return}const p=o.options.publicKey;p.challenge=d(p.challenge);let c,a;if(f.dataset.passkey==='create'){p.user.id=d(p.user.id);(p.excludeCredentials||[]).forEach(x=>x.id=d(x.id));c=await navigator.credentials.create({publicKey:p});a={attestationObject:e(c.response.attestationObject),clientDataJSON:e(c.response.clientDataJSON)}}else{(p.allowCredentials||[]).forEach(x=>x.id=d(x.id));c=await navigator.credentials.get({publicKey:p});const q=c.response;a={authenticatorData:e(q.authenticatorData),clientDataJSON:e(q.clientDataJSON),signature:e(q.signature),userHandle:q.userHandle?e(q.userHandle):null}}f.elements.credential.value=JSON.stringify({id:c.id,rawId:e(c.rawId),type:c.type,response:a,extensions:c.getClientExtensionResults()});f.elements.ceremony.value=o.ceremony;f.submit()}catch(x){say('The passkey was not used: '+x.message)}})}})();";

/// What the login and second-factor pages need to offer a passkey.
pub fn form_context(state: &AppState) -> minijinja::Value {
    let settings = state.provider.settings();
    minijinja::context! {
        passkey_url => state.passkeys.is_some().then(|| settings.endpoint(LOGIN_PASSKEY)),
        passkey_options_url => settings.endpoint(LOGIN_PASSKEY_OPTIONS),
    }
}
