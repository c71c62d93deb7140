"""The limits a topology file must stay within, checked before anything is built from it.

A topology may come from anyone, so nothing in it is allowed to cost much before it has been
checked: the file is read with a bound, YAML aliases and nesting are bounded while the document
is composed, device groups and event wildcards are counted before they are expanded, and every
number and duration is finite and within a range a real SRX deployment could need.
"""

from __future__ import annotations

import datetime as dt

DAY = 86400.0
YEAR = 365 * DAY

# The file: the largest topology in the library is 8 KB; 4 MB is room for thousands of devices
# written out one by one (groups with `count` describe more in a few lines).
TOPOLOGY_MAX_BYTES = 4 * 1024 * 1024

# YAML: a topology nests about six levels deep (devices > name > enroll > [] > entry > value).
YAML_MAX_DEPTH = 64
# Nodes once aliases are expanded: a 4 MB file written without aliases has fewer than this; a
# "billion laughs" document of a few lines has 10^9 and is refused before it is constructed.
YAML_MAX_NODES = 1_000_000

# The product's stated target is 100,000 spokes; twice that in one topology.
MAX_DEVICES = 200_000
# Characters of device entries after group expansion (200,000 devices of 2.5 KB each: the
# hub-and-spoke spoke is 1.6 KB), so a large entry times a large count is refused up front.
MAX_EXPANDED_CHARACTERS = 500_000_000
# Timed events: entries in the file, events after wildcard expansion, distinct wildcards.
MAX_EVENT_ENTRIES = 100_000
MAX_EVENTS = 1_000_000
MAX_WILDCARDS = 1_000

# The wall-clock start. Certificates and CRLs need dates around it (CAs exist 30 days before the
# start, validities and clock offsets reach up to a century either side), and pcap timestamps
# are 32-bit seconds since 1970 (they end in February 2106).
EARLIEST_START = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST_START = dt.datetime(2099, 12, 31, 23, 59, 59, tzinfo=dt.UTC)

# Durations. A run (and every event time in it) lasts at most 5 years of simulated time: from
# the latest start that still ends before 2106.
LONGEST_RUN = 5 * YEAR
# Certificate validities, CRL lifetimes, clock offsets and not-before offsets: a century.
LONGEST_PERIOD = 100 * YEAR
# One network or daemon delay (latency, jitter, processing, a download timeout): an hour is
# already "no answer".
LONGEST_DELAY = 3600.0
# A CA publishes at most this many CRLs in one run (each is signed, and with extra-revoked
# entries each is megabytes).
MAX_PUBLICATIONS = 100_000

# CRL servers.
MAX_SERVER_CAPACITY = 100_000  # concurrent downloads
MIN_BANDWIDTH = 1.0  # bytes per second
MAX_BANDWIDTH = 1e12  # a terabyte per second

# A CRL's additional revoked serials: 1,000,000 entries is about 27 MB of DER, five times the
# guide's 5 MB limit (about 190,000 entries).
MAX_EXTRA_REVOKED = 1_000_000
# ... and over all CAs: what a run holds in memory (about 54 MB of DER), and what it signs in
# all (each publication hashes and splices every entry again: 100 million entries published is
# about 100 publications of the largest CRL, ten seconds or so).
MAX_EXTRA_REVOKED_TOTAL = 2_000_000
MAX_EXTRA_REVOKED_PUBLISHED = 100_000_000
# basicConstraints pathLenConstraint.
MAX_PATH_LENGTH = 255
# What the configuration and traffic start on their own (sim.topology.workload). Rekeys and
# negotiations traffic starts: each is a Quick Mode (or a Phase 1) with its DH and hashes,
# about 8 ms here (measured); 200,000 is as many negotiations as the largest topology's first
# ones (MAX_DEVICES), half an hour at most.
MAX_REKEYS = 200_000
# DPD R-U-THEREs and ACKs, NAT keepalives: each is a datagram simulated and kept for the
# capture, and written to the logs (half a million keepalives: about 30 s and 700 MB measured).
MAX_PERIODIC_MESSAGES = 500_000
# Seeds seed Python's random.Random; a topology's seed is also printed and stored.
MAX_SEED = 2**63 - 1

# The run folder keeps each CA's certificate and CRLs in pki/cas/, beside each device's store in
# pki/<device>/: no device may take that name.
CA_FOLDER = "cas"
