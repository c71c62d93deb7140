"""The IKE core's test PKI (one ECDSA root, end-entity certificates per key kind), shared with
tests/sim/ike."""

from tests.sim.ike.conftest import ca, peers

__all__ = ["ca", "peers"]
