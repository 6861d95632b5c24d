//! The demo's pretend session check.

use server_timing_runtime::server_timing;

use super::simulate;

/// Who a request is made by.
///
/// ```
/// let user = server_timing_examples::demo::auth::User { name: "ada".to_owned() };
/// # let _ = user;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// The name shown on the page.
    pub name: String,
}

/// Check the request's session (the `demo-user` header, else a guest), as a session store
/// lookup would: recorded as `auth`.
///
/// ```
/// use server_timing_examples::demo::auth::authenticate;
/// # actix_web::rt::System::new().block_on(async {
/// assert_eq!(authenticate(None).await.name, "guest");
/// assert_eq!(authenticate(Some("ada")).await.name, "ada");
/// # });
/// ```
#[server_timing("auth", desc = "Verify session")]
pub async fn authenticate(session: Option<&str>) -> User {
    simulate::latency(1, 1).await;
    User {
        name: session.unwrap_or("guest").to_owned(),
    }
}
