//! The second, "downstream" service the demo calls: an inventory service with its own
//! `ServerTiming` middleware, so its response carries its own `Server-Timing` header.

use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{body::MessageBody, web, App, Error, HttpResponse};
use server_timing_runtime::actix::ServerTiming;
use server_timing_runtime::server_timing;

use super::simulate;

/// Items in stock, as the service answers `GET /stock`.
///
/// ```
/// assert_eq!(server_timing_examples::demo::inventory_service::IN_STOCK, 42);
/// ```
pub const IN_STOCK: u32 = 42;

#[server_timing("search", desc = "Stock index")]
async fn search_index() -> u32 {
    simulate::latency(3, 3).await;
    IN_STOCK
}

#[server_timing("price", desc = "Price rules")]
async fn apply_prices(items: u32) -> u32 {
    simulate::latency(1, 2).await;
    items
}

async fn stock() -> HttpResponse {
    let items = apply_prices(search_index().await).await;
    HttpResponse::Ok().body(items.to_string())
}

/// The inventory service: `GET /stock` answers the number of items in stock as plain text.
///
/// ```
/// use actix_web::test::{call_service, init_service, read_body, TestRequest};
/// # actix_web::rt::System::new().block_on(async {
/// let service = init_service(server_timing_examples::demo::inventory_service::app()).await;
/// let response = call_service(&service, TestRequest::get().uri("/stock").to_request()).await;
/// assert!(response.headers().contains_key("server-timing"));
/// assert_eq!(read_body(response).await, "42");
/// # });
/// ```
pub fn app() -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    App::new()
        .wrap(ServerTiming::new())
        .route("/stock", web::get().to(stock))
}
