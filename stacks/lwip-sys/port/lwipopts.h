/*
 * lwIP options for tcpspec's conformance target: NO_SYS (raw API, no threads; the caller
 * serializes every call), IPv4 and IPv6 on one IP-level netif (a TUN device: no Ethernet, no
 * ARP, no neighbour discovery traffic), TCP only, heap from malloc.
 *
 * Only TCP_MSL is shortened (5 s instead of 60 s: TIME-WAIT, and LAST-ACK's give-up time,
 * are 2 * TCP_MSL = 10 s, as smoltcp's TIME-WAIT), so that the TIME-WAIT vectors finish
 * quickly; every other TCP rule and timer is lwIP's default.
 */
#ifndef TCPSPEC_LWIPOPTS_H
#define TCPSPEC_LWIPOPTS_H

#define NO_SYS                          1
#define SYS_LIGHTWEIGHT_PROT            0
#define LWIP_TIMERS                     1

#define MEM_LIBC_MALLOC                 1
#define MEMP_MEM_MALLOC                 1
#define MEM_ALIGNMENT                   8

#define LWIP_IPV4                       1
#define LWIP_IPV6                       1
#define LWIP_ARP                        0
#define LWIP_ETHERNET                   0
#define LWIP_ICMP                       1
#define LWIP_RAW                        0
#define LWIP_UDP                        0
#define LWIP_TCP                        1
#define LWIP_DHCP                       0
#define LWIP_AUTOIP                     0
#define LWIP_ACD                        0
#define LWIP_IGMP                       0
#define LWIP_DNS                        0
#define LWIP_NETCONN                    0
#define LWIP_SOCKET                     0
#define LWIP_ALTCP                      0
#define LWIP_STATS                      0
#define LWIP_SINGLE_NETIF               1
#define LWIP_NETIF_LOOPBACK             0
#define IP_FORWARD                      0
#define IP_REASSEMBLY                   0
#define IP_FRAG                         0
#define LWIP_IPV6_FRAG                  0
#define LWIP_IPV6_REASS                 0
#define LWIP_IPV6_MLD                   0
#define LWIP_IPV6_AUTOCONFIG            0
#define LWIP_IPV6_DUP_DETECT_ATTEMPTS   0
#define LWIP_IPV6_SEND_ROUTER_SOLICIT   0
#define LWIP_IPV6_DHCP6                 0
#define LWIP_ND6_QUEUEING               0
#define LWIP_IPV6_SCOPES                0

#define TCP_MSS                         1460
#define TCP_WND                         65535
#define TCP_SND_BUF                     65535
#define TCP_SND_QUEUELEN                ((4 * (TCP_SND_BUF) + (TCP_MSS - 1)) / (TCP_MSS))
#define TCP_QUEUE_OOSEQ                 1
#define LWIP_TCP_KEEPALIVE              1
#define TCP_LISTEN_BACKLOG              1
#define TCP_DEFAULT_LISTEN_BACKLOG      8
#define TCP_MSL                         5000UL

#endif
