//! The emulator's certificates: its own CA, made once and kept in the data
//! dir, and a server certificate it signs for localhost, 127.0.0.1, ::1 and
//! the configured host names; or a certificate and key the user supplies.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// What serving TLS needs: the server configuration and the CA clients trust.
pub struct Tls {
    pub config: Arc<rustls::ServerConfig>,
    /// PEM of the CA (or of the user's certificate chain).
    pub ca_pem: String,
    /// Where the CA is kept, when it is in a file.
    pub ca_path: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
    #[error("{0}: {1}")]
    File(PathBuf, std::io::Error),
    #[error("{0}: {1}")]
    Pem(PathBuf, rustls::pki_types::pem::Error),
}

const CA_NAME: &str = "gallery-emulator local CA";

/// The CA's parameters; the same every time, so a CA read back from its key
/// signs certificates that chain to the CA file made the first time.
fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, CA_NAME);
    name.push(DnType::OrganizationName, "gallery-emulator");
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2049, 12, 31);
    params
}

fn server_params(hostnames: &[String]) -> Result<CertificateParams, rcgen::Error> {
    let mut names: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
    for h in hostnames {
        if !names.iter().any(|n| n.eq_ignore_ascii_case(h)) {
            names.push(h.clone());
        }
    }
    let mut params = CertificateParams::default();
    params.subject_alt_names = names
        .iter()
        .map(|n| match n.parse::<std::net::IpAddr>() {
            Ok(ip) => Ok(SanType::IpAddress(ip)),
            Err(_) => Ok(SanType::DnsName(n.as_str().try_into()?)),
        })
        .collect::<Result<_, rcgen::Error>>()?;
    params
        .distinguished_name
        .push(DnType::CommonName, "gallery-emulator");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2049, 12, 31);
    Ok(params)
}

fn read(path: &Path) -> Result<Option<String>, TlsError> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(TlsError::File(path.to_path_buf(), e)),
    }
}

fn write(path: &Path, contents: &str) -> Result<(), TlsError> {
    std::fs::write(path, contents).map_err(|e| TlsError::File(path.to_path_buf(), e))
}

/// Makes or reuses the CA in `dir` (none: a CA for this process only) and a
/// server certificate for `hostnames` signed by it.
pub fn own(dir: Option<&Path>, hostnames: &[String]) -> Result<Tls, TlsError> {
    let ca_key_path = dir.map(|d| d.join("ca-key.pem"));
    let ca_path = dir.map(|d| d.join("ca.pem"));
    if let Some(d) = dir {
        std::fs::create_dir_all(d).map_err(|e| TlsError::File(d.to_path_buf(), e))?;
    }
    let stored_key = match &ca_key_path {
        Some(p) => read(p)?,
        None => None,
    };
    let stored_ca = match &ca_path {
        Some(p) => read(p)?,
        None => None,
    };
    let (ca_key, ca_pem) = match (stored_key, stored_ca) {
        (Some(key), Some(ca)) => (KeyPair::from_pem(&key)?, ca),
        _ => {
            let key = KeyPair::generate()?;
            let ca = ca_params().self_signed(&key)?.pem();
            if let (Some(kp), Some(cp)) = (&ca_key_path, &ca_path) {
                write(kp, &key.serialize_pem())?;
                write(cp, &ca)?;
            }
            (key, ca)
        }
    };
    let issuer = ca_params().self_signed(&ca_key)?;
    let server_key = KeyPair::generate()?;
    let server = server_params(hostnames)?.signed_by(&server_key, &issuer, &ca_key)?;
    if let Some(d) = dir {
        write(&d.join("server.pem"), &server.pem())?;
    }
    let chain = vec![server.der().clone()];
    let key = PrivateKeyDer::try_from(server_key.serialize_der())
        .map_err(|e| TlsError::Rustls(rustls::Error::General(e.to_string())))?;
    Ok(Tls {
        config: config(chain, key)?,
        ca_pem,
        ca_path,
    })
}

/// Uses a certificate chain and key the user supplies (PEM files).
pub fn supplied(cert: &Path, key: &Path) -> Result<Tls, TlsError> {
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| TlsError::Pem(cert.to_path_buf(), e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Pem(cert.to_path_buf(), e))?;
    let private =
        PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError::Pem(key.to_path_buf(), e))?;
    let ca_pem = read(cert)?.unwrap_or_default();
    Ok(Tls {
        config: config(chain, private)?,
        ca_pem,
        ca_path: Some(cert.to_path_buf()),
    })
}

fn config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
