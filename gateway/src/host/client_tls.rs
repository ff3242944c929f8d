//! Outbound HTTPS with the runtime config's `[[client_tls]]` (Spin 3's `factor-outbound-networking`): for a
//! matching component and host, the request goes over a rustls connection with that entry's roots and
//! client certificate (e.g. a robot certificate for CMSWEB). Every other request keeps wasmtime-wasi-http's
//! default sender (webpki roots, no client certificate), which is also what Spin does.
//!
//! Matching follows Spin: the first entry listing the component and the request's host wins; a host entry
//! without a port matches every port (with `host:port`, only that port). Roots: `ca_roots_file`'s PEM
//! certificates, plus the webpki roots when `ca_use_webpki_roots` (default: true unless `ca_roots_file` is
//! given). The certificates and key are read once, at startup; a file that cannot be read or parsed stops
//! the gateway, so no request ever goes out without the certificate it should carry.
//!
//! The same rustls/tokio-rustls/webpki-roots that wasmtime-wasi-http links, with the ring provider.

use std::future::Future;
use std::net::IpAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use anyhow::{anyhow, Context as _, Result};
use bytes::Bytes;
use http_body_util::BodyExt;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use spin_app::runtime_config::ClientTlsConfig;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody};

/// wasi-http's default for each of the three timeouts when the guest sets none.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

type IoFuture = Box<dyn Future<Output = Result<(), Error>> + Send>;

/// The `[[client_tls]]` entries with their built rustls configurations.
pub struct ClientTls {
    entries: Vec<(ClientTlsConfig, Arc<rustls::ClientConfig>)>,
}

fn read_pem_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let bytes = std::fs::read(path).with_context(|| format!("failed to read cert file {}", path.display()))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| anyhow!("failed to parse cert file {}: {e:?}", path.display()))?;
    if certs.is_empty() {
        return Err(anyhow!("cert file {} contains no certificates", path.display()));
    }
    Ok(certs)
}

fn read_pem_key(path: &Path) -> Result<PrivateKeyDer<'static>> {
    let bytes = std::fs::read(path).with_context(|| format!("failed to read private key from '{}'", path.display()))?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| anyhow!("failed to parse private key from '{}': {e:?}", path.display()))
}

/// The rustls configuration of one entry.
fn client_config(config: &ClientTlsConfig) -> Result<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    if config.ca_use_webpki_roots {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    if let Some(path) = &config.ca_roots_file {
        for cert in read_pem_certs(path)? {
            roots.add(cert).with_context(|| format!("bad CA certificate in {}", path.display()))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_root_certificates(roots);
    Ok(match &config.client_cert {
        Some(files) => builder
            .with_client_auth_cert(read_pem_certs(&files.cert_chain)?, read_pem_key(&files.private_key)?)
            .context("client certificate and private key do not fit")?,
        None => builder.with_no_client_auth(),
    })
}

impl ClientTls {
    /// Builds every entry at startup: a certificate or key that cannot be read fails `gateway up`, as it
    /// fails `spin up`, instead of the first request it matches.
    pub fn load(configs: &[ClientTlsConfig]) -> Result<ClientTls> {
        let mut entries = Vec::with_capacity(configs.len());
        for config in configs {
            let built = client_config(config).with_context(|| format!("[[client_tls]] for {:?}", config.hosts))?;
            entries.push((config.clone(), Arc::new(built)));
        }
        Ok(ClientTls { entries })
    }

    /// The configuration for `component` sending to `uri`: `None` when no entry matches (or for plain HTTP).
    pub fn config_for(&self, component: &str, uri: &http::Uri) -> Option<Arc<rustls::ClientConfig>> {
        if self.entries.is_empty() || uri.scheme_str().is_some_and(|s| !s.eq_ignore_ascii_case("https")) {
            return None;
        }
        let host = uri.host()?.trim_start_matches('[').trim_end_matches(']');
        let port = uri.port_u16().unwrap_or(443);
        let (_, built) = self.entries.iter().find(|(c, _)| c.matches(component, host, port))?;
        Some(built.clone())
    }
}

/// Sends `request` over TLS with `config`, honouring the guest's timeouts like wasi-http's default sender:
/// connect (TCP and TLS handshake), first byte, and between body frames.
pub async fn send(
    mut request: http::Request<WasiBody>,
    options: Option<RequestOptions>,
    config: Arc<rustls::ClientConfig>,
) -> Result<(http::Response<WasiBody>, IoFuture), Error> {
    let connect_timeout = options.and_then(|o| o.connect_timeout).unwrap_or(DEFAULT_TIMEOUT);
    let first_byte_timeout = options.and_then(|o| o.first_byte_timeout).unwrap_or(DEFAULT_TIMEOUT);
    let between_bytes = options.and_then(|o| o.between_bytes_timeout).unwrap_or(DEFAULT_TIMEOUT).max(Duration::from_nanos(1));

    let uri = request.uri().clone();
    let host = uri.host().ok_or(Error::HttpRequestUriInvalid)?.trim_start_matches('[').trim_end_matches(']').to_owned();
    let port = uri.port_u16().unwrap_or(443);
    let server_name = match host.parse::<IpAddr>() {
        Ok(ip) => ServerName::from(ip),
        Err(_) => ServerName::try_from(host.clone()).map_err(Error::from)?,
    };

    let tcp = match tokio::time::timeout(connect_timeout, tokio::net::TcpStream::connect((host.as_str(), port))).await {
        Ok(stream) => stream.map_err(Error::Connect)?,
        Err(_) => return Err(Error::ConnectionTimeout),
    };
    let connector = tokio_rustls::TlsConnector::from(config);
    let tls = match tokio::time::timeout(connect_timeout, connector.connect(server_name, tcp)).await {
        Ok(stream) => stream.map_err(Error::Tls)?,
        Err(_) => return Err(Error::ConnectionTimeout),
    };
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(wasmtime_wasi_http::io::TokioIo::new(tls)).await.map_err(Error::from)?;
    // The connection runs on its own task: it ends when the response body is done or dropped.
    let connection = tokio::spawn(connection);

    // On the wire the request target is origin-form (the scheme and authority are only for proxies).
    let target = uri.path_and_query().map_or("/", |p| p.as_str());
    *request.uri_mut() = http::Uri::try_from(target).map_err(|_| Error::HttpRequestUriInvalid)?;

    let response = match tokio::time::timeout(first_byte_timeout, sender.send_request(request)).await {
        Ok(response) => response.map_err(Error::from)?,
        Err(_) => return Err(Error::ConnectionReadTimeout),
    };
    let response = response.map(|incoming| {
        TimedBody { incoming, between_bytes, idle: Box::pin(tokio::time::sleep(between_bytes)) }.boxed_unsync()
    });
    let io: IoFuture = Box::new(async move {
        match connection.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) if e.is_timeout() => Err(Error::HttpResponseTimeout),
            Ok(Err(e)) => Err(Error::from(e)),
            Err(_) => Err(Error::InternalError(Some("outbound connection task failed".into()))),
        }
    });
    Ok((response, io))
}

/// The response body with wasi-http's between-bytes timeout.
struct TimedBody {
    incoming: hyper::body::Incoming,
    between_bytes: Duration,
    idle: Pin<Box<tokio::time::Sleep>>,
}

impl http_body::Body for TimedBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<http_body::Frame<Bytes>, Error>>> {
        match Pin::new(&mut self.incoming).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                let deadline = tokio::time::Instant::now() + self.between_bytes;
                self.idle.as_mut().reset(deadline);
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) if e.is_timeout() => Poll::Ready(Some(Err(Error::HttpResponseTimeout))),
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(Error::from(e)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => match self.idle.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(Error::ConnectionReadTimeout))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.incoming.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spin_app::runtime_config::ClientCertFiles;

    fn entry(component: &str, hosts: &[&str]) -> ClientTlsConfig {
        ClientTlsConfig {
            component_ids: vec![component.into()],
            hosts: hosts.iter().map(|h| h.to_string()).collect(),
            ca_use_webpki_roots: true,
            ca_roots_file: None,
            client_cert: None,
        }
    }

    #[test]
    fn only_matching_https_requests_get_a_config() {
        let tls = ClientTls::load(&[entry("dqmsquare", &["fff.example.org"]), entry("dqmsquare", &["other:9215"])]).unwrap();
        let uri = |u: &str| u.parse::<http::Uri>().unwrap();
        assert!(matches!(tls.config_for("dqmsquare", &uri("https://fff.example.org/cr/exe")), Some(_)));
        assert!(matches!(tls.config_for("dqmsquare", &uri("https://FFF.example.org:8443/x")), Some(_)));
        assert!(tls.config_for("dqmsquare", &uri("http://fff.example.org/x")).is_none(), "plain HTTP");
        assert!(tls.config_for("stats2", &uri("https://fff.example.org/x")).is_none(), "another component");
        assert!(tls.config_for("dqmsquare", &uri("https://evil.example.org/x")).is_none());
        assert!(matches!(tls.config_for("dqmsquare", &uri("https://other:9215/x")), Some(_)));
        assert!(tls.config_for("dqmsquare", &uri("https://other/x")).is_none(), "port 443 is not 9215");
    }

    #[test]
    fn unreadable_files_stop_startup() {
        let mut broken = entry("dqmsquare", &["fff.example.org"]);
        broken.client_cert = Some(ClientCertFiles {
            cert_chain: "/nonexistent/robotcert.pem".into(),
            private_key: "/nonexistent/robotkey.pem".into(),
        });
        let Err(e) = ClientTls::load(&[broken]) else { panic!("an unreadable certificate must stop startup") };
        assert!(format!("{e:#}").contains("/nonexistent/robotcert.pem"), "{e:#}");
        let mut no_roots = entry("dqmsquare", &["h"]);
        no_roots.ca_roots_file = Some("/nonexistent/ca.pem".into());
        assert!(client_config(&no_roots).is_err());
    }
}
