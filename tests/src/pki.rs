//! A throw-away PKI for TLS tests, generated with rcgen: a CA, a `localhost` server certificate and one
//! client certificate, as PEM files in a temp dir (`ca.pem`, `client.pem`, `client.key`), plus the rustls
//! server configuration of a stand-in that requires a client certificate signed by that CA.

use std::path::PathBuf;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivatePkcs8KeyDer};

pub struct TestPki {
    pub dir: tempfile::TempDir,
    /// The client certificate's DER, to check that a stand-in saw exactly this certificate.
    pub client_der: Vec<u8>,
    pub server_config: Arc<rustls::ServerConfig>,
}

impl TestPki {
    /// Generates everything; `client_name` is the client certificate's common name (e.g. a robot account).
    pub fn new(client_name: &str) -> TestPki {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(DnType::CommonName, "dqm-spin test CA");
        let ca_key = KeyPair::generate().unwrap();
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let server_key = KeyPair::generate().unwrap();
        let server = CertificateParams::new(vec!["localhost".to_owned()]).unwrap().signed_by(&server_key, &ca, &ca_key).unwrap();
        let mut client_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        client_params.distinguished_name.push(DnType::CommonName, client_name);
        let client_key = KeyPair::generate().unwrap();
        let client = client_params.signed_by(&client_key, &ca, &ca_key).unwrap();

        let pki = TestPki {
            dir: tempfile::tempdir().unwrap(),
            client_der: client.der().to_vec(),
            server_config: Arc::new(server_config(&ca, &server, &server_key)),
        };
        std::fs::write(pki.ca(), ca.pem()).unwrap();
        std::fs::write(pki.client_cert(), client.pem()).unwrap();
        std::fs::write(pki.client_key(), client_key.serialize_pem()).unwrap();
        pki
    }

    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }
    pub fn client_cert(&self) -> PathBuf {
        self.dir.path().join("client.pem")
    }
    pub fn client_key(&self) -> PathBuf {
        self.dir.path().join("client.key")
    }
}

fn server_config(ca: &rcgen::Certificate, server: &rcgen::Certificate, server_key: &KeyPair) -> rustls::ServerConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.der().clone()).unwrap();
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone()).build().unwrap();
    rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![CertificateDer::from(server.der().to_vec())], PrivatePkcs8KeyDer::from(server_key.serialize_der()).into())
        .unwrap()
}
