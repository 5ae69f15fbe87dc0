//! Network front doors. Only translation lives here: packets in, handler calls,
//! packets out.

pub mod mysql;
