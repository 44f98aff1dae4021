//! Compile lwIP's core (TCP, IPv4, IPv6, buffers, timers) and the glue with the `cc` crate,
//! with this crate's `port/lwipopts.h` and `port/arch/cc.h`: no system package, no bindgen.

fn main() {
    let core = [
        "init",
        "def",
        "inet_chksum",
        "ip",
        "mem",
        "memp",
        "netif",
        "pbuf",
        "tcp",
        "tcp_in",
        "tcp_out",
        "timeouts",
        "ipv4/icmp",
        "ipv4/ip4",
        "ipv4/ip4_addr",
        "ipv4/ip4_frag",
        "ipv6/icmp6",
        "ipv6/inet6",
        "ipv6/ip6",
        "ipv6/ip6_addr",
        "ipv6/ip6_frag",
        "ipv6/mld6",
        "ipv6/nd6",
    ];
    let mut build = cc::Build::new();
    for f in core {
        build.file(format!("lwip/src/core/{f}.c"));
    }
    build
        .file("port/glue.c")
        .include("port")
        .include("lwip/src/include")
        .warnings(false)
        .opt_level(2)
        .compile("lwip");
    println!("cargo:rerun-if-changed=port");
    println!("cargo:rerun-if-changed=lwip/src");
}
