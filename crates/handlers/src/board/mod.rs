//! The baker's board, everything of it in one place. Its routes belong to the functions whose
//! work they do (each declared with its function):
//!
//! - `GET /baker`, `POST /baker/sign-in|sign-out|seen` (order-queries): `routes`, the board and
//!   its session; nothing stored changes, the session and the "seen" mark are cookies.
//! - `POST /baker/shop|capacity|products/{productId}` (manage-shop): `settings_forms` reads each
//!   form into the same change its API route takes, and `shop` applies it.
//! - `POST /order/fulfilled` ("Mark ready", fulfill-order) and `POST /order/cancelled`
//!   ("Decline…", cancel-order): the board's forms post to the order's own routes.
//! - `page`: the board itself; `link_page`: the page behind the baker's email link.
//! - `session`: the signed session cookie, and the CSRF check of every board form.

pub mod link_page;
pub mod page;
pub mod routes;
pub mod session;
pub mod settings_forms;

pub use routes::BakerBoard;
