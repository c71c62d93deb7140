"""ESP (RFC 4303) in tunnel mode, sans I/O: the packets an IPsec SA pair carries.

`packet` seals and opens one ESP packet with an SA's algorithms and keys, `replay` is the
receiver's anti-replay window, `sa` holds one direction's state and counters (what `show
security ipsec statistics` prints), `inner` builds and reads the IPv4 packets inside (ICMP echo
and UDP). Nothing here knows about time or a network: the driver is sim.world.traffic.
"""
