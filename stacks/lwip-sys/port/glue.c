/*
 * The C side of tcpspec's lwIP binding: one IP-level netif whose output goes to a Rust
 * callback (the TUN device), input from a byte buffer, the clock, and small accessors that
 * keep lwIP's structures (ip_addr_t, pbuf, tcp_pcb) out of the hand-written Rust FFI.
 */
#include <stdarg.h>
#include <string.h>

#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/ip.h"
#include "lwip/ip6.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/timeouts.h"

/* Implemented in Rust: write one IP packet to the TUN device. */
extern void tcpspec_lwip_output(const u8_t *packet, u16_t len);

static struct netif tcpspec_netif;
static u32_t tcpspec_now_ms;

void tcpspec_lwip_diag(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

/* lwIP's clock (NO_SYS): milliseconds, set by the caller before every call into lwIP. */
u32_t sys_now(void) { return tcpspec_now_ms; }

void tcpspec_set_now(u32_t ms) { tcpspec_now_ms = ms; }

static err_t tcpspec_send(struct pbuf *p) {
    static u8_t buf[65536];
    u16_t len = pbuf_copy_partial(p, buf, p->tot_len, 0);
    tcpspec_lwip_output(buf, len);
    return ERR_OK;
}

static err_t tcpspec_output4(struct netif *n, struct pbuf *p, const ip4_addr_t *dst) {
    (void)n; (void)dst;
    return tcpspec_send(p);
}

static err_t tcpspec_output6(struct netif *n, struct pbuf *p, const ip6_addr_t *dst) {
    (void)n; (void)dst;
    return tcpspec_send(p);
}

static err_t tcpspec_netif_init(struct netif *n) {
    n->name[0] = 't';
    n->name[1] = 'n';
    n->mtu = 1500;
    n->mtu6 = 1500;
    n->output = tcpspec_output4;
    n->output_ip6 = tcpspec_output6;
    n->flags = NETIF_FLAG_LINK_UP;
    return ERR_OK;
}

/* Start lwIP with one netif answering for ip4/prefix4 and ip6 (16 bytes, network order). */
void tcpspec_lwip_init(const u8_t *ip4, u8_t prefix4, const u8_t *ip6) {
    ip4_addr_t addr, mask, gw;
    ip6_addr_t a6;
    u32_t m = prefix4 ? htonl(0xffffffffUL << (32 - prefix4)) : 0;
    lwip_init();
    IP4_ADDR(&addr, ip4[0], ip4[1], ip4[2], ip4[3]);
    ip4_addr_set_u32(&mask, m);
    ip4_addr_set_zero(&gw);
    netif_add(&tcpspec_netif, &addr, &mask, &gw, NULL, tcpspec_netif_init, netif_input);
    memcpy(a6.addr, ip6, 16);
    netif_ip6_addr_set(&tcpspec_netif, 0, &a6);
    netif_ip6_addr_set_state(&tcpspec_netif, 0, IP6_ADDR_VALID);
    netif_set_default(&tcpspec_netif);
    netif_set_up(&tcpspec_netif);
    netif_set_link_up(&tcpspec_netif);
}

/* Hand one IP packet to lwIP. */
void tcpspec_lwip_input(const u8_t *packet, u16_t len) {
    struct pbuf *p = pbuf_alloc(PBUF_RAW, len, PBUF_RAM);
    if (p == NULL) {
        return;
    }
    pbuf_take(p, packet, len);
    if (tcpspec_netif.input(p, &tcpspec_netif) != ERR_OK) {
        pbuf_free(p);
    }
}

static void tcpspec_addr(ip_addr_t *out, const u8_t *bytes, int is6) {
    if (is6) {
        ip_addr_set_zero_ip6(out);
        memcpy(ip_2_ip6(out)->addr, bytes, 16);
    } else {
        IP_ADDR4(out, bytes[0], bytes[1], bytes[2], bytes[3]);
    }
}

/* A new pcb bound to addr:port (IPv6 when is6). */
struct tcp_pcb *tcpspec_tcp_bound(const u8_t *addr, int is6, u16_t port, err_t *err) {
    ip_addr_t a;
    struct tcp_pcb *pcb = tcp_new_ip_type(is6 ? IPADDR_TYPE_V6 : IPADDR_TYPE_V4);
    if (pcb == NULL) {
        *err = ERR_MEM;
        return NULL;
    }
    tcpspec_addr(&a, addr, is6);
    *err = tcp_bind(pcb, &a, port);
    if (*err != ERR_OK) {
        tcp_abort(pcb);
        return NULL;
    }
    tcp_nagle_disable(pcb);
    return pcb;
}

err_t tcpspec_tcp_connect(struct tcp_pcb *pcb, const u8_t *addr, int is6, u16_t port,
                          tcp_connected_fn connected) {
    ip_addr_t a;
    tcpspec_addr(&a, addr, is6);
    return tcp_connect(pcb, &a, port, connected);
}

/* RFC 1122 4.2.3.6 keepalive: idle and interval in milliseconds, count probes. */
void tcpspec_tcp_keepalive(struct tcp_pcb *pcb, u32_t idle_ms, u32_t intvl_ms, u32_t count) {
    ip_set_option(pcb, SOF_KEEPALIVE);
    pcb->keep_idle = idle_ms;
    pcb->keep_intvl = intvl_ms;
    pcb->keep_cnt = count;
}

void tcpspec_tcp_nodelay(struct tcp_pcb *pcb) { tcp_nagle_disable(pcb); }

u16_t tcpspec_pbuf_len(const struct pbuf *p) { return p->tot_len; }

int tcpspec_tcp_state(const struct tcp_pcb *pcb) { return (int)pcb->state; }

u32_t tcpspec_tcp_sndbuf(const struct tcp_pcb *pcb) { return tcp_sndbuf(pcb); }

static int tcpspec_match(const struct tcp_pcb *pcb, const ip_addr_t *l, u16_t lport,
                         const ip_addr_t *r, u16_t rport) {
    return pcb->local_port == lport && pcb->remote_port == rport &&
           ip_addr_cmp(&pcb->local_ip, l) && ip_addr_cmp(&pcb->remote_ip, r);
}

/*
 * The state of the connection of a 4-tuple (lwIP's enum tcp_state), or -1 when lwIP has no
 * pcb for it. *found is set to the pcb (active or TIME-WAIT), so that the caller can tell
 * whether a pointer it holds is still a live pcb.
 */
int tcpspec_tcp_lookup(const u8_t *local, u16_t lport, const u8_t *remote, u16_t rport, int is6,
                       struct tcp_pcb **found) {
    ip_addr_t l, r;
    struct tcp_pcb *pcb;
    tcpspec_addr(&l, local, is6);
    tcpspec_addr(&r, remote, is6);
    *found = NULL;
    for (pcb = tcp_active_pcbs; pcb != NULL; pcb = pcb->next) {
        if (tcpspec_match(pcb, &l, lport, &r, rport)) {
            *found = pcb;
            return (int)pcb->state;
        }
    }
    for (pcb = tcp_tw_pcbs; pcb != NULL; pcb = pcb->next) {
        if (tcpspec_match(pcb, &l, lport, &r, rport)) {
            *found = pcb;
            return (int)pcb->state;
        }
    }
    return -1;
}

/* Whether pcb is on one of lwIP's lists (not freed). */
int tcpspec_tcp_alive(const struct tcp_pcb *pcb) {
    struct tcp_pcb *p;
    struct tcp_pcb_listen *lp;
    for (p = tcp_active_pcbs; p != NULL; p = p->next) {
        if (p == pcb) return 1;
    }
    for (p = tcp_tw_pcbs; p != NULL; p = p->next) {
        if (p == pcb) return 1;
    }
    for (lp = tcp_listen_pcbs.listen_pcbs; lp != NULL; lp = lp->next) {
        if ((const struct tcp_pcb *)lp == pcb) return 1;
    }
    return 0;
}

/* Milliseconds until lwIP's next timer (sys_timeouts_sleeptime), or 0xffffffff for none. */
u32_t tcpspec_sleeptime(void) { return sys_timeouts_sleeptime(); }

/*
 * Send every delayed ACK now (as Linux's TCP_QUICKACK does), so that a caller asking what can
 * still happen sees the ACK on the wire rather than at the next 250 ms tick. Returns how many
 * were sent.
 */
int tcpspec_flush_delayed_acks(void) {
    struct tcp_pcb *pcb;
    int n = 0;
    for (pcb = tcp_active_pcbs; pcb != NULL; pcb = pcb->next) {
        if (pcb->flags & TF_ACK_DELAY) {
            tcp_ack_now(pcb);
            tcp_output(pcb);
            n++;
        }
    }
    return n;
}
