//! Private network namespaces and TUN devices (being written).
