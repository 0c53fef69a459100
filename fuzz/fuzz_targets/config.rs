//! The configuration loader (`sesame.toml`): a readable error or a valid configuration.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sesame::config::Config;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = Config::from_toml(text) {
        config.validate().expect("a loaded configuration is valid");
    }
});
