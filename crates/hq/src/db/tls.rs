//! TLS to PostgreSQL over rustls, with libpq's meaning of `sslmode`:
//! `require` encrypts without checking the certificate, `verify-ca` checks
//! it chains to `sslrootcert`, `verify-full` also checks it names the host.
//! `prefer` (libpq's default) counts as `require`: HQ never falls back to
//! plaintext unless told `sslmode=disable`.

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{verify_server_cert_signed_by_trust_anchor, WebPkiServerVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::server::ParsedCertificate;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use crate::error::HqError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Disable,
    Require,
    VerifyCa,
    VerifyFull,
}

impl Mode {
    /// `sslmode` as written (`None` when the URL has none).
    pub fn parse(sslmode: Option<&str>) -> Result<Mode, HqError> {
        Ok(match sslmode.map(str::trim) {
            Some("disable") => Mode::Disable,
            None | Some("prefer" | "require") => Mode::Require,
            Some("verify-ca") => Mode::VerifyCa,
            Some("verify-full") => Mode::VerifyFull,
            Some("allow") => {
                return Err(HqError::Config(
                    "sslmode=allow would talk plaintext first: HQ talks plaintext to its database only when told sslmode=disable; use disable, require, verify-ca or verify-full".into(),
                ))
            }
            Some(_) => {
                return Err(HqError::Config(
                    "sslmode: one of disable, require, verify-ca, verify-full (prefer counts as require)".into(),
                ))
            }
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Disable => "disable",
            Mode::Require => "require",
            Mode::VerifyCa => "verify-ca",
            Mode::VerifyFull => "verify-full",
        }
    }
}

/// The rustls client for `mode`. Like libpq, `require` with an
/// `sslrootcert` checks the chain (`verify-ca`).
pub fn client_config(mode: Mode, rootcert: Option<&Path>) -> Result<ClientConfig, HqError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let algs = provider.signature_verification_algorithms;
    let verifier: Arc<dyn ServerCertVerifier> = match (mode, rootcert) {
        (Mode::Disable, _) | (Mode::Require, None) => Arc::new(NoNameCheck { roots: None, algs }),
        (Mode::Require | Mode::VerifyCa, Some(path)) => Arc::new(NoNameCheck {
            roots: Some(Arc::new(roots(path)?)),
            algs,
        }),
        (Mode::VerifyFull, Some(path)) => {
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots(path)?), provider.clone())
                .build()
                .map_err(|e| HqError::Config(format!("sslrootcert: {e}")))?
        }
        (Mode::VerifyCa | Mode::VerifyFull, None) => {
            return Err(HqError::Config(format!(
                "sslmode={} needs sslrootcert=<the CA certificate file, PEM> in the database URL",
                mode.as_str()
            )))
        }
    };
    client_with(provider, verifier)
}

fn client_with(
    provider: Arc<CryptoProvider>,
    verifier: Arc<dyn ServerCertVerifier>,
) -> Result<ClientConfig, HqError> {
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| HqError::Config(format!("TLS to the database: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

/// The CA certificates in the PEM file at `path`.
fn roots(path: &Path) -> Result<RootCertStore, HqError> {
    let fail = |why: String| HqError::Config(format!("sslrootcert {}: {why}", path.display()));
    let mut roots = RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(path).map_err(|e| fail(e.to_string()))?;
    for cert in certs {
        roots
            .add(cert.map_err(|e| fail(e.to_string()))?)
            .map_err(|e| fail(format!("not a CA certificate: {e}")))?;
    }
    if roots.is_empty() {
        return Err(fail("holds no PEM certificate".into()));
    }
    Ok(roots)
}

/// `require` and `verify-ca`: the certificate must chain to `roots` when
/// there are any (`verify-ca`, or `require` with an `sslrootcert`), and is
/// taken as it comes otherwise (libpq's `require`); its names are never
/// looked at. The handshake's signatures are checked against it either way.
#[derive(Debug)]
struct NoNameCheck {
    roots: Option<Arc<RootCertStore>>,
    algs: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for NoNameCheck {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(roots) = &self.roots {
            let cert = ParsedCertificate::try_from(end_entity)?;
            verify_server_cert_signed_by_trust_anchor(
                &cert,
                roots,
                intermediates,
                now,
                self.algs.all,
            )?;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmode_reads_as_libpq_without_plaintext_fallback() {
        assert_eq!(Mode::parse(None).unwrap(), Mode::Require);
        assert_eq!(Mode::parse(Some("prefer")).unwrap(), Mode::Require);
        assert_eq!(Mode::parse(Some("disable")).unwrap(), Mode::Disable);
        assert_eq!(Mode::parse(Some("verify-full")).unwrap(), Mode::VerifyFull);
        let e = Mode::parse(Some("allow")).unwrap_err().to_string();
        assert!(e.contains("sslmode=disable"), "{e}");
        let e = Mode::parse(Some("verify")).unwrap_err().to_string();
        assert!(
            e.contains("disable, require, verify-ca, verify-full"),
            "{e}"
        );
        let e = client_config(Mode::VerifyFull, None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("needs sslrootcert"), "{e}");
    }
}
