//! The SQL of the tables, one module per table; the handlers, the relay
//! and the streams call these and hold no SQL of their own. (Moving the
//! rest of HQ's SQL here is under way: the view, ingest and enrolment
//! still keep theirs beside their handlers.)

pub mod inbox;
pub mod registers;
