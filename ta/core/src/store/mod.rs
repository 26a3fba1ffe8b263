//! Persistence only: each submodule reads and writes its objects (ids and
//! layouts listed in `crate::objects`) and checks what it reads. No
//! command logic, no event logging, no policy: the layers above decide.

pub mod config;
pub mod counter;
pub mod keys;
pub mod pin;
pub mod secret;
