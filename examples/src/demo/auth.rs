//! The demo's sessions: a cookie holding the user, signed with HMAC-SHA256, checked on every
//! request (`auth`).

use std::collections::hash_map::RandomState;
use std::fmt::Write as _;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use hmac::{Hmac, Mac};
use server_timing_runtime::server_timing;
use sha2::Sha256;

/// The cookie that carries the session.
///
/// ```sh
/// curl -c jar -b jar http://127.0.0.1:8080/   # the second run verifies the cookie the first got
/// ```
pub const SESSION_COOKIE: &str = "demo-session";

/// Who a visitor without a valid session is signed in as.
///
/// ```
/// assert_eq!(server_timing_examples::demo::auth::DEMO_USER.0, "ada");
/// ```
pub const DEMO_USER: (&str, u32) = ("ada", 1);

type HmacSha256 = Hmac<Sha256>;

/// Who a request is made by.
///
/// ```
/// use server_timing_examples::demo::auth::{Sessions, User};
///
/// let user = User { name: "ada".to_owned(), customer: 1 };
/// let sessions = Sessions::new();
/// let cookie = sessions.sign(&user).unwrap();
/// assert!(cookie.starts_with("1.ada."), "{cookie}");
/// assert_eq!(sessions.verify(&cookie), Some(user));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// The name shown on the page: ASCII letters and digits.
    pub name: String,
    /// Their customer number in the orders table.
    pub customer: u32,
}

/// What checking a request's session found.
///
/// ```
/// use server_timing_examples::demo::auth::Sessions;
/// let session = Sessions::new().authenticate(None);
/// assert_eq!(session.user.name, "ada");
/// assert!(session.set_cookie.is_some());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// The signed-in user.
    pub user: User,
    /// A new session's cookie value, for the response to set; `None` when the request's was
    /// valid.
    pub set_cookie: Option<String>,
}

/// Signs and verifies session cookies with a key made when the demo starts (so a restart
/// signs everyone out).
///
/// A cookie value is `{customer}.{name}.{signature}`, the signature being HMAC-SHA256 of
/// `{customer}.{name}` under the key, in hex.
///
/// ```
/// use server_timing_examples::demo::auth::{Sessions, User};
/// let sessions = Sessions::new();
/// let grace = User { name: "grace".to_owned(), customer: 7 };
/// let cookie = sessions.sign(&grace).unwrap();
/// assert_eq!(sessions.verify(&cookie), Some(grace));
/// assert_eq!(sessions.verify(&cookie.replace("7.grace", "8.grace")), None);
/// assert_eq!(Sessions::new().verify(&cookie), None, "another key");
/// ```
#[derive(Clone)]
pub struct Sessions {
    key: Arc<[u8; 32]>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key stays out of logs.
        f.debug_struct("Sessions").finish_non_exhaustive()
    }
}

impl Default for Sessions {
    fn default() -> Self {
        Self::new()
    }
}

impl Sessions {
    /// Sessions under a fresh key.
    ///
    /// ```
    /// use server_timing_examples::demo::auth::{Sessions, User};
    ///
    /// let sessions = Sessions::new();
    /// let cookie = sessions.sign(&User { name: "ada".to_owned(), customer: 1 }).unwrap();
    /// assert!(sessions.verify(&cookie).is_some());
    /// // Each has a key of its own (a restart signs everyone out).
    /// assert_eq!(Sessions::new().verify(&cookie), None);
    /// ```
    pub fn new() -> Self {
        Sessions {
            key: Arc::new(fresh_key()),
        }
    }

    /// `user`'s cookie value; `None` for a name that is not ASCII letters and digits (1 to 32).
    ///
    /// ```
    /// use server_timing_examples::demo::auth::{Sessions, User};
    /// let sessions = Sessions::new();
    /// assert!(sessions.sign(&User { name: "ada".to_owned(), customer: 1 }).is_some());
    /// assert!(sessions.sign(&User { name: "a;b".to_owned(), customer: 1 }).is_none());
    /// ```
    pub fn sign(&self, user: &User) -> Option<String> {
        let valid =
            (1..=32).contains(&user.name.len()) && user.name.bytes().all(|b| b.is_ascii_alphanumeric());
        if !valid {
            return None;
        }
        let payload = format!("{}.{}", user.customer, user.name);
        let signature = hex(&self.mac(&payload).finalize().into_bytes());
        Some(format!("{payload}.{signature}"))
    }

    /// The user of a cookie value signed under this key, or `None`. The signature is compared
    /// in constant time.
    ///
    /// ```
    /// use server_timing_examples::demo::auth::Sessions;
    /// assert_eq!(Sessions::new().verify("1.ada.00"), None);
    /// ```
    pub fn verify(&self, cookie: &str) -> Option<User> {
        let (payload, signature) = cookie.rsplit_once('.')?;
        let signature = unhex(signature)?;
        self.mac(payload).verify_slice(&signature).ok()?;
        let (customer, name) = payload.split_once('.')?;
        Some(User {
            name: name.to_owned(),
            customer: customer.parse().ok()?,
        })
    }

    /// The session of a request whose `Cookie` header is `cookies`: its user when the session
    /// cookie verifies, else a new session for [`DEMO_USER`]. Recorded as `auth`.
    ///
    /// ```
    /// use server_timing_examples::demo::auth::{Sessions, User, SESSION_COOKIE};
    /// let sessions = Sessions::new();
    /// let grace = User { name: "grace".to_owned(), customer: 7 };
    /// let header = format!("theme=dark; {SESSION_COOKIE}={}", sessions.sign(&grace).unwrap());
    /// let session = sessions.authenticate(Some(&header));
    /// assert_eq!(session.user, grace);
    /// assert_eq!(session.set_cookie, None);
    /// assert_eq!(sessions.authenticate(Some("demo-session=forged")).user.name, "ada");
    /// ```
    #[server_timing("auth", desc = "Verify session")]
    pub fn authenticate(&self, cookies: Option<&str>) -> Session {
        if let Some(user) = cookies.and_then(session_cookie).and_then(|c| self.verify(c)) {
            return Session {
                user,
                set_cookie: None,
            };
        }
        let user = User {
            name: DEMO_USER.0.to_owned(),
            customer: DEMO_USER.1,
        };
        let set_cookie = self.sign(&user);
        Session { user, set_cookie }
    }

    fn mac(&self, payload: &str) -> HmacSha256 {
        // HMAC takes a key of any length: this cannot fail.
        let mut mac = HmacSha256::new_from_slice(self.key.as_slice()).unwrap_or_else(|_| unreachable!());
        mac.update(payload.as_bytes());
        mac
    }
}

/// The session cookie's value in a `Cookie` header.
fn session_cookie(header: &str) -> Option<&str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find_map(|(name, value)| (name == SESSION_COOKIE).then_some(value))
}

/// 32 bytes no one can guess from outside the process: std's hasher keys are drawn from the
/// operating system's random source, which spares the demo a random-number dependency.
fn fresh_key() -> [u8; 32] {
    let mut key = [0; 32];
    for chunk in key.chunks_mut(8) {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_usize(chunk.as_ptr() as usize);
        chunk.copy_from_slice(&hasher.finish().to_le_bytes());
    }
    key
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    // `from_str_radix` alone would take a sign.
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_rejects_what_is_not_hex() {
        assert_eq!(unhex(&hex(&[0, 0x7f, 0xff])), Some(vec![0, 0x7f, 0xff]));
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("zz"), None);
        assert_eq!(unhex("+1"), None);
        assert_eq!(unhex("é1"), None);
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        assert_eq!(session_cookie("a=1; demo-session=x.y.z; b=2"), Some("x.y.z"));
        assert_eq!(session_cookie("demo-sessionx=1"), None);
        assert_eq!(session_cookie(""), None);
    }

    #[test]
    fn a_tampered_signature_is_rejected() {
        let sessions = Sessions::new();
        let cookie = sessions
            .sign(&User {
                name: "ada".to_owned(),
                customer: 1,
            })
            .unwrap();
        let last = cookie.chars().last().unwrap();
        let flipped = if last == '0' { '1' } else { '0' };
        let tampered = format!("{}{flipped}", &cookie[..cookie.len() - 1]);
        assert_eq!(sessions.verify(&tampered), None);
    }

    #[test]
    fn keys_differ() {
        assert_ne!(fresh_key(), fresh_key());
    }
}
