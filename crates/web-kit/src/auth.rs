use crate::{Reply, Request};

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer_token(request: &Request) -> Option<&str> {
    let value = request.header("authorization")?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// Compares secrets without an early exit, so timing does not reveal how much of a guess was right.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `Ok` when the request carries `expected` as its bearer token, else the 401 reply.
/// An empty `expected` (no token configured) rejects everything: a write endpoint is never left open.
pub fn require_bearer(request: &Request, expected: &str) -> Result<(), Reply> {
    match bearer_token(request) {
        Some(token) if !expected.is_empty() && constant_time_eq(token.as_bytes(), expected.as_bytes()) => Ok(()),
        _ => Err(Reply::error(401, "Unauthorized")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_auth(value: &str) -> Request {
        let mut r = Request::get("/x");
        r.headers.push(("authorization".into(), value.into()));
        r
    }

    #[test]
    fn bearer_token_is_checked() {
        assert!(require_bearer(&with_auth("Bearer s3cret"), "s3cret").is_ok());
        assert!(require_bearer(&with_auth("bearer  s3cret "), "s3cret").is_ok());
        assert_eq!(require_bearer(&with_auth("Bearer wrong"), "s3cret").unwrap_err().status, 401);
        assert_eq!(require_bearer(&with_auth("Basic s3cret"), "s3cret").unwrap_err().status, 401);
        assert_eq!(require_bearer(&Request::get("/x"), "s3cret").unwrap_err().status, 401);
    }

    #[test]
    fn no_configured_token_means_no_writes() {
        assert!(require_bearer(&with_auth("Bearer "), "").is_err());
        assert!(require_bearer(&with_auth("Bearer x"), "").is_err());
    }
}
