//! The SQL of the tables, one module per table; the handlers, the relay
//! and the streams call these and hold no SQL of their own. A handler
//! whose work spans several statements in one transaction opens it and
//! passes it in (a journal batch, a login attempt, a new user).
//!
//! What is where: `inbox`, `journal`, `registers` (its stream statements,
//! with [`registers::enrolment`] and [`registers::progress`]), `stores`,
//! `view_users` (with `view_user_stores`), `view_sessions`, `view_audit`
//! and `login_throttle` here. Left beside their code on purpose: the
//! view's read model, reporting queries that join many tables for one
//! page (`crate::books`, which the view's pages, `by_rate` and `csv`
//! read; `crate::tax::rate_sums`; the register lookup in
//! `crate::view::pages`); the projection's own writes
//! (`crate::projection`, `crate::tax`); the migrations (`crate::db`); and
//! the ops probes (`crate::ops`).

pub mod inbox;
pub mod journal;
pub mod login_throttle;
pub mod registers;
pub mod stores;
pub mod view_audit;
pub mod view_sessions;
pub mod view_users;
