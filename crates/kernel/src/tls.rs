//! TLS for outgoing connections (the external identity provider, SMS providers, SMTP, later
//! the LGSP's upstreams): rustls with the ring provider, installed once per process before
//! the first client is built. Harmless to call again.

pub fn init() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_provider_installs_once_and_again_harmlessly() {
        super::init();
        super::init();
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
    }
}
