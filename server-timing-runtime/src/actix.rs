//! actix-web middleware.
