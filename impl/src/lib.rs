//! Userspace TCP stack (see issue 5).
