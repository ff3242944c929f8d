//! Control-room sessions (spec §8 Decision): a stateless, HMAC-SHA256-signed, expiring token in a cookie,
//! and a CSRF token derived from it.
//!
//! Token: `<user as hex>.<expires, UNIX s>.<session id: 16 random bytes as hex>.<HMAC as hex>`, where the HMAC
//! (key `cr_secret`) covers a domain tag and the three fields. Nothing is stored server-side: a token is a
//! session while its HMAC matches, it has not expired, and its user is still configured. The CSRF token is
//! the HMAC of the session's own HMAC under a different tag, so it changes with every login and cannot be
//! computed without the key.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// How long a session lasts (the original's cookie `max_age`).
pub const SESSION_LIFETIME_S: u64 = 24 * 60 * 60;
/// The session cookie's name.
pub const COOKIE_NAME: &str = "dqmsquare-mirror-cr-session";
/// The shortest `cr_secret` accepted; a shorter one leaves the control room disabled.
pub const MIN_SECRET_LEN: usize = 16;

const SESSION_TAG: &[u8] = b"dqmsquare-cr-session\0";
const CSRF_TAG: &[u8] = b"dqmsquare-cr-csrf\0";
const PASSWORD_TAG: &[u8] = b"dqmsquare-cr-password\0";

/// A verified session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: String,
    pub expires_s: u64,
    /// The random session id (hex).
    pub id: String,
    /// The token's HMAC (hex), from which the CSRF token is derived.
    mac: String,
}

/// `DQM_CR_USERNAMES`: `user:password;user2:password2`. Blank entries, entries without `:`, and empty user
/// names or passwords are dropped (an empty password never logs in). Entries are trimmed; a password may
/// contain `:`.
pub fn parse_users(text: &str) -> Vec<(String, String)> {
    text.split(';')
        .filter_map(|entry| entry.trim().split_once(':'))
        .map(|(user, password)| (user.trim().to_owned(), password.to_owned()))
        .filter(|(user, password)| !user.is_empty() && !password.is_empty())
        .collect()
}

fn mac(secret: &[u8], parts: &[&[u8]]) -> HmacSha256 {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC accepts any key length");
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            mac.update(b"\0");
        }
        mac.update(part);
    }
    mac
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    text.as_bytes()
        .chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

/// The stateless session and CSRF scheme, keyed by `cr_secret`.
pub struct Sessions<'a> {
    secret: &'a [u8],
}

impl<'a> Sessions<'a> {
    pub fn new(secret: &'a str) -> Self {
        Sessions { secret: secret.as_bytes() }
    }

    /// A new token for `user`, valid for [`SESSION_LIFETIME_S`] from `now_s`; `nonce` must be random.
    pub fn issue(&self, user: &str, now_s: u64, nonce: [u8; 16]) -> String {
        let user_hex = hex(user.as_bytes());
        let expires = (now_s + SESSION_LIFETIME_S).to_string();
        let id = hex(&nonce);
        let tag = mac(self.secret, &[SESSION_TAG, user_hex.as_bytes(), expires.as_bytes(), id.as_bytes()])
            .finalize()
            .into_bytes();
        format!("{user_hex}.{expires}.{id}.{}", hex(&tag))
    }

    /// The session a token stands for, or `None` when it is malformed, forged, tampered with, expired, or
    /// its user is no longer in `users`. The HMAC is compared in constant time.
    pub fn verify(&self, token: &str, now_s: u64, users: &[(String, String)]) -> Option<Session> {
        let mut fields = token.split('.');
        let (user_hex, expires, id, tag) = (fields.next()?, fields.next()?, fields.next()?, fields.next()?);
        if fields.next().is_some() || id.len() != 32 || tag.len() != 64 || expires.len() > 20 {
            return None;
        }
        let tag_bytes = unhex(tag)?;
        mac(self.secret, &[SESSION_TAG, user_hex.as_bytes(), expires.as_bytes(), id.as_bytes()])
            .verify_slice(&tag_bytes)
            .ok()?;
        let expires_s: u64 = expires.parse().ok()?;
        // A token from the future beyond one lifetime was not issued by us with this clock.
        if expires_s <= now_s || expires_s > now_s.saturating_add(SESSION_LIFETIME_S + 300) {
            return None;
        }
        let user = String::from_utf8(unhex(user_hex)?).ok()?;
        users.iter().any(|(u, _)| *u == user).then(|| Session {
            user,
            expires_s,
            id: id.to_owned(),
            mac: tag.to_owned(),
        })
    }

    /// The CSRF token of a session (what the page sends back with every state-changing action).
    pub fn csrf_token(&self, session: &Session) -> String {
        hex(&mac(self.secret, &[CSRF_TAG, session.mac.as_bytes()]).finalize().into_bytes())
    }

    /// Whether `token` is the session's CSRF token (constant-time).
    pub fn check_csrf(&self, session: &Session, token: &str) -> bool {
        unhex(token).is_some_and(|bytes| {
            mac(self.secret, &[CSRF_TAG, session.mac.as_bytes()]).verify_slice(&bytes).is_ok()
        })
    }

    /// Whether `user`/`password` is a configured account. Passwords are compared as HMACs of equal
    /// length in constant time, so neither the content nor the length of the stored one leaks; an
    /// unknown user costs the same comparison.
    pub fn check_password(&self, users: &[(String, String)], user: &str, password: &str) -> bool {
        let digest = |p: &str| mac(self.secret, &[PASSWORD_TAG, p.as_bytes()]).finalize().into_bytes();
        let given = digest(password);
        let stored = users.iter().find(|(u, _)| u == user).map(|(_, p)| p.as_str());
        let expected = digest(stored.unwrap_or("\0no such user"));
        let equal = given
            .iter()
            .zip(expected.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
        equal && stored.is_some() && !password.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef-test-secret";
    const NOW: u64 = 1_700_000_000;

    fn users() -> Vec<(String, String)> {
        parse_users("alice:wonder:land; bob:builder ;;broken;:nouser;empty:")
    }

    #[test]
    fn users_parse_like_the_original_variable() {
        assert_eq!(
            users(),
            vec![("alice".to_owned(), "wonder:land".to_owned()), ("bob".to_owned(), "builder".to_owned())]
        );
        assert!(parse_users("").is_empty());
    }

    #[test]
    fn an_issued_token_verifies_until_it_expires() {
        let s = Sessions::new(SECRET);
        let token = s.issue("alice", NOW, [7; 16]);
        let session = s.verify(&token, NOW + 10, &users()).expect("valid");
        assert_eq!(session.user, "alice");
        assert_eq!(session.expires_s, NOW + SESSION_LIFETIME_S);
        assert_eq!(session.id, "07".repeat(16));
        assert!(s.verify(&token, NOW + SESSION_LIFETIME_S - 1, &users()).is_some());
        assert_eq!(s.verify(&token, NOW + SESSION_LIFETIME_S, &users()), None, "expired");
        // Issued too far in the future for this clock (a clock jump or a forged expiry with a leaked key).
        assert_eq!(s.verify(&token, NOW - 3600, &users()), None);
    }

    #[test]
    fn forged_and_tampered_tokens_are_no_session() {
        let s = Sessions::new(SECRET);
        let token = s.issue("alice", NOW, [1; 16]);
        let other_key = Sessions::new("another-secret-of-16+chars").issue("alice", NOW, [1; 16]);
        assert_eq!(s.verify(&other_key, NOW, &users()), None, "signed with another key");
        let fields: Vec<&str> = token.split('.').collect();
        // The original's cookie was just the user name.
        for forged in [
            "alice".to_owned(),
            String::new(),
            format!("{}.{}.{}.{}", hex(b"bob"), fields[1], fields[2], fields[3]),
            format!("{}.{}.{}.{}", fields[0], NOW + 2 * SESSION_LIFETIME_S, fields[2], fields[3]),
            format!("{}.{}.{}.{}", fields[0], fields[1], "00".repeat(16), fields[3]),
            format!("{}.{}.{}.{}", fields[0], fields[1], fields[2], "0".repeat(64)),
            format!("{}.{}.{}.{}", fields[0], fields[1], fields[2], &fields[3][..62]),
            format!("{token}.x"),
            token.replace('.', ""),
            token.to_uppercase(),
        ] {
            assert_eq!(s.verify(&forged, NOW, &users()), None, "{forged}");
        }
        // A user removed from `cr_usernames` loses their session.
        let gone = s.issue("carol", NOW, [2; 16]);
        assert_eq!(s.verify(&gone, NOW, &users()), None);
    }

    #[test]
    fn the_csrf_token_belongs_to_one_session() {
        let s = Sessions::new(SECRET);
        let a = s.verify(&s.issue("alice", NOW, [1; 16]), NOW, &users()).unwrap();
        let b = s.verify(&s.issue("alice", NOW, [2; 16]), NOW, &users()).unwrap();
        let csrf = s.csrf_token(&a);
        assert_eq!(csrf.len(), 64);
        assert!(s.check_csrf(&a, &csrf));
        assert!(!s.check_csrf(&b, &csrf), "another login of the same user");
        assert!(!s.check_csrf(&a, ""));
        assert!(!s.check_csrf(&a, &csrf[..63]));
        assert!(!s.check_csrf(&a, &a.id));
        assert!(!Sessions::new("another-secret-of-16+chars").check_csrf(&a, &csrf));
    }

    #[test]
    fn passwords_are_checked() {
        let s = Sessions::new(SECRET);
        assert!(s.check_password(&users(), "alice", "wonder:land"));
        assert!(s.check_password(&users(), "bob", "builder"));
        assert!(!s.check_password(&users(), "alice", "wonder"));
        assert!(!s.check_password(&users(), "alice", ""));
        assert!(!s.check_password(&users(), "bob", "wonder:land"));
        assert!(!s.check_password(&users(), "carol", "\0no such user"));
        assert!(!s.check_password(&users(), "empty", ""));
    }

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2 of RFC 4231: key "Jefe".
        let tag = mac(b"Jefe", &[b"what do ya want for nothing?"]).finalize().into_bytes();
        assert_eq!(hex(&tag), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        assert_eq!(unhex("00ff10").unwrap(), vec![0, 255, 16]);
        assert_eq!(unhex("0"), None);
        assert_eq!(unhex("zz"), None);
    }
}
