"""strongSwan's charon (Debian 5.9) against `ikesim peer`, both directions: ikesim's kmd logs
what the simulation of the same topology logs, and charon agrees (its log)."""

from __future__ import annotations

import json
import re
import signal
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.interop.strongswan import (
    Charon,
    Connection,
    IkesimPeer,
    Lab,
    ikesim,
    unavailable,
    untimed,
)
from tests.sim.live.peers import staged_log, udp_datagrams

FIGURE4 = Path(__file__).resolve().parents[2] / "topologies" / "figure4-multilevel.yaml"
GATEWAY, VPN = "ike_cert_gw_01", "ipsec_cert_vpn_01"
ADDRESS = {"Host-A": "30.1.1.31", "Host-B": "30.1.1.51"}
OTHER = {"Host-A": "Host-B", "Host-B": "Host-A"}
SUBJECT = {"Host-A": "DC=example, CN=Host-A, OU=DEV, O=PKI, L=Sunnyvale, ST=CA, C=US",
           "Host-B": "DC=example, CN=Host-B, OU=SALES, O=PKI, L=Sunnyvale, ST=CA, C=US"}
# local-identity in Junos and id in swanctl.conf, per kind of identity
JUNOS_ID = {"inet": lambda device: f"inet {ADDRESS[device]}",
            "fqdn": lambda device: f"hostname {device.lower()}.example.net",
            "dn": lambda device: "distinguished-name"}
SWAN_ID = {"inet": lambda device: ADDRESS[device],
           "fqdn": lambda device: f"{device.lower()}.example.net",
           "dn": lambda device: f'"{SUBJECT[device]}"'}
LOOPBACK_PORTS = (5000, 5001)  # charon's IKE and NAT-T ports on the loopback lab
KEEPALIVES = 2.5  # seconds ikesim runs on after Phase 1 on the loopback lab
ROLE = {"ikesim": "Host-A", "strongswan": "Host-B"}  # ikesim's device: the simulation's role
IKE = "aes256-sha1-modp1536"  # figure4's ike_cert_prop_01
ESP = "3des-sha1"  # its ipsec_prop_01
_COOKIES = re.compile(r"\{ (?:0x)?[0-9a-f]{8} [0-9a-f]{8} - (?:0x)?[0-9a-f]{8} [0-9a-f]{8} ")
# The peer's identity payload: ikesim's says udp:500, strongSwan's protocol 0 port 0.
_PEER_ID = re.compile(r"((?:p1_)?remote=[a-z_0-9]+)\((?:udp:500|any:0),")

# How many CERT payloads the peer sent: strongSwan sends the issuers its peer asked for.
_CERTIFICATES = re.compile(r"^(Received )\d+( certificate\(s\) from )")

pytestmark = pytest.mark.skipif(unavailable() is not None, reason=str(unavailable()))


def figure4(folder: Path, *, ecdsa: int | None = None, aggressive: bool = False,
            revoke_at_start: str | None = None, b_without_root: bool = False,
            a_proposal: bool = False, expects: str | None = None,
            identity: str = "inet", pfs: bool = False, expired: str | None = None,
            every_ca: bool = False, nat_keepalive: int | None = None) -> Path:
    """figure4-multilevel with `ike traceoptions flag all` on both hosts, and optionally ECDSA
    P-256 or P-384 device keys and signatures (`ecdsa` 256 or 384), Aggressive Mode, a host's
    certificate revoked at 0 s (Host-B by Sales-CA, Host-A by Dev-CA), Host-B without the
    Root-CA profile (Host-A's CA unknown to it), Host-A proposing AES-128, SHA-256 and group 14
    (Host-B's proposal then mismatches), a host expecting its peer's identity to be 30.1.1.99,
    both hosts' local-identity a hostname or their distinguished-name, PFS (group 5) in Quick
    Mode, a host's certificate expired the day before the start, or each host holding the CA
    certificates and profiles of the other's chain too (Host-A Sales-CA, Host-B Eng-CA and
    Dev-CA), or both gateways' nat-keepalive interval."""
    text = FIGURE4.read_text()

    def replace(old: str, new: str, count: int) -> None:
        nonlocal text
        assert text.count(old) == count, old
        text = text.replace(old, new)

    pki = "      set security pki traceoptions flag all\n"
    replace(pki, pki + "      set security ike traceoptions flag all\n", 2)
    if ecdsa is not None:
        replace("key: rsa-1024", f"key: ecdsa-{ecdsa}", 2)
        replace("authentication-method rsa-signatures",
                f"authentication-method ecdsa-signatures-{ecdsa}", 2)
    if aggressive:
        replace("ike_cert_pol_01 mode main", "ike_cert_pol_01 mode aggressive", 2)
    if revoke_at_start is not None:
        ca = {"Host-A": "Dev-CA", "Host-B": "Sales-CA"}[revoke_at_start]
        replace("{at: 9m, revoke: {ca: Sales-CA, certificate: Host-B,",
                f"{{at: 0s, revoke: {{ca: {ca}, certificate: {revoke_at_start},", 1)
    if a_proposal:
        for old, new in (("dh-group group5", "dh-group group14"),
                         ("authentication-algorithm sha1", "authentication-algorithm sha-256"),
                         ("encryption-algorithm aes-256-cbc", "encryption-algorithm aes-128-cbc")):
            replace(f"ike_cert_prop_01 {old}\n", f"ike_cert_prop_01 {new}\n", 2)
            text = text.replace(f"ike_cert_prop_01 {new}\n", f"ike_cert_prop_01 {old}\n")
            text = text.replace(f"ike_cert_prop_01 {old}\n", f"ike_cert_prop_01 {new}\n", 1)
    for device in ("Host-A", "Host-B"):
        line = f"ike_cert_gw_01 local-identity inet {ADDRESS[device]}\n"
        replace(line, f"ike_cert_gw_01 local-identity {JUNOS_ID[identity](device)}\n", 1)
    if expired is not None:
        replace(f"{{certificate-id: {expired}, ", f"{{certificate-id: {expired}, "
                "not-before: -2d, validity: 1d, ", 1)
    if pfs:
        line = "      set security ipsec policy ipsec_pol_01 proposals ipsec_prop_01\n"
        replace(line, line + "      set security ipsec policy ipsec_pol_01 "
                "perfect-forward-secrecy keys group5\n", 2)
    if expects is not None:
        line = ("      set security ike gateway ike_cert_gw_01 local-identity inet "
                f"{ADDRESS[expects]}\n")
        replace(line, line + "      set security ike gateway ike_cert_gw_01 remote-identity "
                "inet 30.1.1.99\n", 1)
    if b_without_root:
        replace("      set security pki ca-profile Root-CA ca-identity Root-CA\n"
                "      set security pki ca-profile Root-CA enrollment url "
                "http://10.157.88.230:8080/scep/Root/\n"
                "      set security pki ca-profile Root-CA revocation-check crl\n", "", 1)
        replace("    ca-certificates: {Root-CA: Root-CA, Sales-CA: Sales-CA}\n",
                "    ca-certificates: {Sales-CA: Sales-CA}\n", 1)
    if nat_keepalive is not None:
        line = "      set security ike gateway ike_cert_gw_01 ike-policy ike_cert_pol_01\n"
        replace(line, line + "      set security ike gateway ike_cert_gw_01 nat-keepalive "
                f"{nat_keepalive}\n", 2)
    if every_ca:
        for device, cas in (("Host-B", ("Eng-CA", "Dev-CA")), ("Host-A", ("Sales-CA",))):
            line = ("      set interfaces ge-0/0/1 unit 0 family inet address "
                    f"{ADDRESS[device]}/24\n")
            replace(line, line + "".join(_ca_profile(ca) for ca in cas), 1)
        replace("ca-certificates: {Root-CA: Root-CA, Eng-CA: Eng-CA, Dev-CA: Dev-CA}",
                "ca-certificates: {Root-CA: Root-CA, Eng-CA: Eng-CA, Dev-CA: Dev-CA, "
                "Sales-CA: Sales-CA}", 1)
        replace("ca-certificates: {Root-CA: Root-CA, Sales-CA: Sales-CA}",
                "ca-certificates: {Root-CA: Root-CA, Sales-CA: Sales-CA, Eng-CA: Eng-CA, "
                "Dev-CA: Dev-CA}", 1)
    path = folder / "figure4.yaml"
    path.write_text(text)
    return path


def _ca_profile(ca: str) -> str:
    """A ca-profile as figure4 writes them."""
    url = f"http://10.157.88.230:8080/scep/{ca.removesuffix('-CA')}/"
    return "".join(f"      set security pki ca-profile {ca} {rest}\n" for rest in (
        f"ca-identity {ca}", f"enrollment url {url}", "revocation-check crl"))


@dataclass(frozen=True, kw_only=True)
class Outcome:
    code: int  # ikesim peer's exit status
    kmd: list[str]  # its kmd log, untimed
    results: dict
    charon: str  # charon's log
    simulated: list[str]  # the simulation's kmd log of the same device, untimed
    pkid: list[str]  # ikesim peer's pkid log, untimed
    simulated_pkid: list[str]


# One start for the session: the export and the simulation of each topology variant are then
# made once (they take seconds), and every peer started with it holds those certificates.
START = datetime.now(UTC).replace(microsecond=0).isoformat()
_MADE: dict[str, Path] = {}


def _made(tmp_path: Path, topology: Path) -> Path:
    """A folder with the export (pki/) and the simulation (sim/) of `topology`'s text."""
    text = topology.read_text()
    if text not in _MADE:
        folder = tmp_path / "made"
        folder.mkdir()
        ikesim(folder, "pki", "export", str(topology), "--out", "pki", "--start", START)
        ikesim(folder, "run", str(topology), "--out", "sim", "--until", "60s", "--quiet")
        _MADE[text] = folder
    return _MADE[text]


def negotiate(tmp_path: Path, topology: Path, *, ikesim_device: str, initiator: str,
              aggressive: bool = False, proposals: str = IKE, identity: str = "inet",
              esp: str = ESP, charon_cas: tuple[str, ...] | None = None,
              encap: bool = False, loopback: bool = False) -> Outcome:
    """`ikesim peer` as `ikesim_device`, charon as the other host of figure4, the
    `initiator` ("ikesim" or "strongswan") starting; and the simulation of the topology.
    `charon_cas`: the only CA certificates charon holds (default: every CA exported).
    `encap`: charon fakes a NAT. `loopback`: both on 127.0.0.1 (Lab.loopback), charon on
    LOOPBACK_PORTS, and ikesim runs on after the negotiation until it sent NAT keepalives
    for KEEPALIVES seconds."""
    swan_device = OTHER[ikesim_device]
    made = _made(tmp_path, topology)
    connection = Connection(name=GATEWAY, child=VPN, local_id=SWAN_ID[identity](swan_device),
                            remote_id=SWAN_ID[identity](ikesim_device),
                            certificate=f"{swan_device}.pem",
                            proposals=proposals, esp_proposals=esp, esp_lifetime=300,
                            aggressive=aggressive, encap=encap)
    lab = Lab.loopback() if loopback else Lab.open(ADDRESS[ikesim_device],
                                                    ADDRESS[swan_device])
    ports = LOOPBACK_PORTS if loopback else (500, 4500)
    charon = peer = None
    try:
        charon = Charon(lab, tmp_path / "charon", made / "pki" / swan_device, connection,
                        cas=charon_cas, ports=ports)
        peer = IkesimPeer(lab, tmp_path, topology, ikesim_device, GATEWAY, out="live",
                          initiate=initiator == "ikesim", start=START, once=not loopback,
                          charon_ports=ports)
        if initiator == "strongswan":
            peer.listening()
            charon.initiate()
        if loopback:
            staged_log(peer, ikesim_device, lambda kmd: "sending NAT keepalives" in kmd)
            time.sleep(KEEPALIVES)
            peer.interrupt(signal.SIGTERM)  # as Ctrl-C: the run folder is written
        code, _, _ = peer.wait()
        return Outcome(code=code, kmd=untimed(peer.kmd()),
                       results=json.loads((peer.run / "results.json").read_text()),
                       charon=charon.log(),
                       simulated=untimed((made / "sim" / "logs" / ikesim_device
                                          / "kmd").read_text()),
                       pkid=untimed((peer.run / "logs" / ikesim_device / "pkid").read_text()),
                       simulated_pkid=untimed((made / "sim" / "logs" / ikesim_device
                                               / "pkid").read_text()))
    finally:
        if peer is not None:
            peer.kill()
        if charon is not None:
            charon.stop()
        lab.close()


def _same(line: str) -> str:
    line = _CERTIFICATES.sub(r"\1N\2", line)
    return _PEER_ID.sub(r"\1(*,", _COOKIES.sub("{ cookies ", line))


def assert_logs_as_simulated(outcome: Outcome, *, uncommitted: bool = False) -> None:
    """Every line the simulation's kmd logs for this negotiation, the live kmd logs too, but
    for the peer's vendor IDs (strongSwan's are its own), cookies and the peer's identity
    protocol (strongSwan's ID payload says protocol 0, port 0). `uncommitted`: charon never
    sent Quick Mode's third message, so ikesim's Phase-2 commit lines cannot be there."""
    live = {_same(line) for line in outcome.kmd}
    skipped = ("ike_st_i_vid:",) + (_COMMIT if uncommitted else ())
    missing = [line for line in outcome.simulated
               if not line.startswith(skipped) and _same(line) not in live]
    assert not missing, ("lines of the simulation missing live:\n" + "\n".join(missing)
                         + "\n--- live kmd:\n" + "\n".join(outcome.kmd)
                         + "\n--- charon:\n" + outcome.charon)


_COMMIT = ("Phase-2 [responder] done", "Hardlife timer started", "Successfully added ipsec SA")
_NOT_INSTALLED = "unable to install inbound and outbound IPsec SA (SAD) in kernel"


def _uncommitted(outcome: Outcome, initiator: str) -> bool:
    return _NOT_INSTALLED in outcome.charon and initiator == "strongswan"


def assert_agreed(outcome: Outcome, *, initiator: str) -> None:
    """Phase-1 done on both sides (ikesim's results.json, charon's IKE_SA established) and
    Quick Mode agreed. Where the kernel has ESP (XFRM), both sides install the SA pair: ikesim
    done, charon's CHILD_SA established with ikesim's SPIs. Where it has not (this is judged
    from charon's log, as the issue says: not from kernel SAs), charon cannot install; as the
    Quick Mode responder it has answered ikesim's third message already, so ikesim's pair
    is added with the SPIs charon tried; as the initiator it has accepted ikesim's answer
    (its proposal selected) and sends NO_PROPOSAL_CHOSEN instead of the third message, so
    ikesim's Phase-2 ends failed with that notification."""
    context = "\n".join(outcome.kmd) + "\n--- charon:\n" + outcome.charon
    [negotiation] = outcome.results["negotiations"]
    assert negotiation["phase1"] == "done", context
    assert re.search(rf"IKE_SA {GATEWAY}\[\d+\] established between", outcome.charon), context
    if _uncommitted(outcome, initiator):
        assert re.search(r"parsed QUICK_MODE response \d+ \[ HASH SA No (KE )?ID ID .*\n.*"
                         r"selected proposal: ESP:3DES_CBC/HMAC_SHA1_96/(MODP_1536/)?NO_EXT_SEQ",
                         outcome.charon), context
        assert (negotiation["phase2"], negotiation["error_detail"]) == (
            "failed", "peer sent notification No proposal chosen"), context
        assert outcome.code == 1, context
        return
    if _NOT_INSTALLED not in outcome.charon:
        assert re.search(rf"CHILD_SA {VPN}\{{\d+\}} established", outcome.charon), context
    assert "Successfully added ipsec SA PAIR" in outcome.kmd, context
    [sa] = outcome.results["traffic"]["ipsec_sas"]
    for spi in (sa["inbound_spi"], sa["outbound_spi"]):
        assert re.search(rf"SPI (?:0x)?{spi}\b", outcome.charon), (spi, context)
    assert negotiation["phase2"] == "done", context
    assert outcome.code == 0, context


@pytest.mark.parametrize("ecdsa", [None, 256, 384], ids=["rsa", "ecdsa", "ecdsa384"])
@pytest.mark.parametrize("initiator", ["ikesim", "strongswan"])
def test_main_mode_and_quick_mode(tmp_path: Path, initiator: str, ecdsa: int | None) -> None:
    """RSA and ECDSA P-256 and P-384 certificates (ECDSA: strongSwan's HASH is HMAC-SHA-256
    or -384 keyed with SKEYID although the proposal says SHA-1, and ikesim's too), charon
    reporting the scheme it verified: the HASH as the digest, r|s (RFC 4754)."""
    device = ROLE[initiator]
    outcome = negotiate(tmp_path, figure4(tmp_path, ecdsa=ecdsa), ikesim_device=device,
                        initiator=initiator)
    assert_agreed(outcome, initiator=initiator)
    assert_logs_as_simulated(outcome, uncommitted=_uncommitted(outcome, initiator))
    scheme = "ECDSA_WITH_NULL" if ecdsa else "RSA_EMSA_PKCS1_NULL"
    assert f"authentication of '{ADDRESS[device]}' with {scheme} successful" in \
        outcome.charon, outcome.charon
    assert f"xchg = Identity protect, auth_method = {'ECDSA' if ecdsa else 'RSA'}" in \
        "\n".join(outcome.kmd)


@pytest.mark.parametrize("initiator", ["ikesim", "strongswan"])
def test_aggressive_mode(tmp_path: Path, initiator: str) -> None:
    """strongSwan sends Aggressive Mode's third message encrypted (RFC 2409 section 5 allows
    either): ikesim's responder reads it under the Phase-1 key."""
    device = ROLE[initiator]
    outcome = negotiate(tmp_path, figure4(tmp_path, aggressive=True), ikesim_device=device,
                        initiator=initiator, aggressive=True)
    assert_agreed(outcome, initiator=initiator)
    assert_logs_as_simulated(outcome, uncommitted=_uncommitted(outcome, initiator))
    assert "xchg = Aggressive" in "\n".join(outcome.kmd)
    # the third message (charon sends it encrypted)
    assert re.search(r"(generating|parsed) AGGRESSIVE request 0 \[ CERT[A-Z -]* SIG\b",
                     outcome.charon), outcome.charon


@pytest.mark.parametrize("case", ["fqdn", "dn", "pfs"])
@pytest.mark.parametrize("initiator", ["ikesim", "strongswan"])
def test_identities_and_pfs(tmp_path: Path, initiator: str, case: str) -> None:
    """Hostname (FQDN) and distinguished-name identities, and PFS in Quick Mode."""
    identity = case if case != "pfs" else "inet"
    outcome = negotiate(tmp_path, figure4(tmp_path, identity=identity, pfs=case == "pfs"),
                        ikesim_device=ROLE[initiator], initiator=initiator, identity=identity,
                        esp=ESP + "-modp1536" if case == "pfs" else ESP)
    assert_agreed(outcome, initiator=initiator)
    assert_logs_as_simulated(outcome, uncommitted=_uncommitted(outcome, initiator))
    peer = OTHER[ROLE[initiator]]
    seen = {"fqdn": f"{peer.lower()}.example.net", "dn": SUBJECT[peer],
            "pfs": ADDRESS[peer]}[case]
    assert f"[{SWAN_ID[identity](ROLE[initiator]).strip(chr(34))}]" in outcome.charon, \
        outcome.charon
    assert seen in outcome.charon
    if case == "pfs":
        assert re.search(r"selected proposal: ESP:3DES_CBC/HMAC_SHA1_96/MODP_1536",
                         outcome.charon), outcome.charon


@dataclass(frozen=True, kw_only=True)
class Failure:
    """A negotiation that fails: the topology's change, who plays what, and what charon logs
    of the notification it received (or of its own refusal)."""

    variant: dict
    initiator: str  # ikesim plays Host-A when it initiates, Host-B when charon does
    charon: str
    proposals: str = IKE


_AUTH_FAILED = r"received AUTHENTICATION_FAILED error notify"
FAILURES = {
    # Host-B (strongSwan) revoked: ikesim's Host-A finds its serial in Sales-CA's CRL.
    "revoked-strongswan-responds": Failure(
        variant={"revoke_at_start": "Host-B"}, initiator="ikesim",
        charon=_AUTH_FAILED),
    "revoked-strongswan-initiates": Failure(
        variant={"revoke_at_start": "Host-A"}, initiator="strongswan",
        charon=_AUTH_FAILED),
    "expired-strongswan-responds": Failure(
        variant={"expired": "Host-B"}, initiator="ikesim", charon=_AUTH_FAILED),
    "expired-strongswan-initiates": Failure(
        variant={"expired": "Host-A"}, initiator="strongswan", charon=_AUTH_FAILED),
    "unknown-ca": Failure(
        variant={"b_without_root": True}, initiator="strongswan",
        charon=_AUTH_FAILED),
    "proposal-mismatch-strongswan-initiates": Failure(
        variant={"a_proposal": True}, initiator="strongswan",
        proposals="aes128-sha256-modp2048", charon=r"received NO_PROPOSAL_CHOSEN error notify"),
    "proposal-mismatch-ikesim-initiates": Failure(
        variant={"a_proposal": True}, initiator="ikesim",
        charon=r"no proposal found"),  # charon's own refusal: it notifies ikesim
    # ikesim's initiator, refusing the responder's identity after Main Mode's last message,
    # tells charon nothing (as in the simulation): charon's IKE_SA stands until it expires.
    "wrong-identity-ikesim-initiates": Failure(
        variant={"expects": "Host-A"}, initiator="ikesim",
        charon=r"IKE_SA ike_cert_gw_01\[\d+\] established"),
    "wrong-identity-strongswan-initiates": Failure(
        variant={"expects": "Host-B"}, initiator="strongswan",
        charon=r"received \S+ error notify"),
}


@pytest.mark.parametrize("name", FAILURES)
def test_failure(tmp_path: Path, name: str) -> None:
    """ikesim's kmd logs the failure the simulation of the same topology logs, and charon
    logs what it was told."""
    case = FAILURES[name]
    outcome = negotiate(tmp_path, figure4(tmp_path, **case.variant),
                        ikesim_device=ROLE[case.initiator], initiator=case.initiator,
                        proposals=case.proposals)
    context = "\n".join(outcome.kmd) + "\n--- charon:\n" + outcome.charon
    assert outcome.code == 1, context
    [negotiation] = outcome.results["negotiations"]
    assert negotiation["phase1"] == "failed", context
    assert any("failed" in line or "Error =" in line for line in outcome.simulated), \
        "\n".join(outcome.simulated)
    assert_logs_as_simulated(outcome)
    assert re.search(case.charon, outcome.charon), context


# The CA certificates charon holds, per what the test wants each side to send. A side sends
# its end-entity certificate, then the CAs of its chain its peer did not name in a CR
# payload (ikesim, as the guide's Chapter 7 says an SRX does) or all of its chain's CAs
# charon holds (strongSwan). "chain": charon holds its own device's CAs (the guide's stores),
# so each side sends its intermediates. "ee-only": charon holds the other device's CAs and
# not its own intermediates, and both topology hosts hold every CA.
CHAIN_CAS = {"Host-A": ("Root-CA", "Eng-CA", "Dev-CA"), "Host-B": ("Root-CA", "Sales-CA")}
INTERMEDIATES = {"Host-A": ("Dev-CA", "Eng-CA"), "Host-B": ("Sales-CA",)}


@pytest.mark.parametrize("payload", ["chain", "ee-only"])
@pytest.mark.parametrize("initiator", ["ikesim", "strongswan"])
def test_cert_payloads(tmp_path: Path, initiator: str, payload: str) -> None:
    """EE-only and chain CERT payloads both ways. ikesim sends the CA certificates of its
    chain below the first one charon names in a CR payload; charon sends its intermediates
    when it holds them. ikesim's pkid validates an intermediate from the payload with a
    dynamic CA profile under the configured one above it, and an EE-only peer with its
    configured CA profiles; pkid and kmd log what the simulation of the same topology logs."""
    device = ROLE[initiator]
    swan = OTHER[device]
    chain = payload == "chain"
    outcome = negotiate(tmp_path, figure4(tmp_path, every_ca=not chain),
                        ikesim_device=device, initiator=initiator,
                        charon_cas=CHAIN_CAS[swan] if chain else CHAIN_CAS[device])
    assert_agreed(outcome, initiator=initiator)
    assert_logs_as_simulated(outcome, uncommitted=_uncommitted(outcome, initiator))
    context = "\n".join(outcome.pkid + outcome.kmd) + "\n--- charon:\n" + outcome.charon
    # the simulation runs at the topology's own date, the live peer today: CRL dates differ
    live = {_REFRESH.sub("", line) for line in outcome.pkid}
    missing = [line for line in outcome.simulated_pkid if _REFRESH.sub("", line) not in live]
    assert not missing, (missing, context)
    # What charon sent and ikesim read
    received = 1 + len(INTERMEDIATES[swan]) if chain else 1
    assert (f"Received {received} certificate(s) from {ADDRESS[swan]}; asking pkid to "
            "verify") in outcome.kmd, context
    sent = re.findall(r'sending (?:end entity|issuer) cert "([^"]+)"', outcome.charon)
    assert sent == [SUBJECT[swan]] + (
        [f"C=us, O=example, CN={ca}" for ca in INTERMEDIATES[swan]] if chain else []), context
    # What ikesim sent and charon validated with
    got = re.findall(r'received (?:end entity|issuer) cert "([^"]+)"', outcome.charon)
    assert got == [SUBJECT[device]] + (
        [f"C=us, O=example, CN={ca}" for ca in INTERMEDIATES[device]] if chain else []), context
    assert f"authentication of '{ADDRESS[device]}' with RSA_EMSA_PKCS1_NULL successful" in \
        outcome.charon, context
    assert any(f"  using {'untrusted' if chain else 'trusted'} intermediate" in line
               for line in outcome.charon.splitlines()), context
    # How ikesim's pkid validated charon's certificate
    dynamic = [line for line in outcome.pkid if line.startswith("Dynamic CA profile")]
    expected = PKID[swan, payload]
    assert dynamic == [line for line in expected if line.startswith("Dynamic")], context
    assert set(expected) <= set(outcome.pkid), context
    assert f"Certificate {_SPACED[swan]} verification success" in outcome.pkid, context


_REFRESH = re.compile(r", next refresh [\d-]+ [\d:]+$")
_SPACED = {device: subject.replace("=", " = ") for device, subject in SUBJECT.items()}
_CA = "C = us, O = example, CN = {}".format
# pkid's lines for the peer's certificate (of the peer `device`), in order of their CAs
PKID = {
    ("Host-B", "chain"): [
        f"Dynamic CA profile dynamic-001 created for CA {_CA('Sales-CA')}, parent CA profile "
        "Root-CA",
        f"Path [1] {_CA('Sales-CA')} (CA profile dynamic-001)",
        f"Path [2] {_CA('Root-CA')} (CA profile Root-CA)"],
    ("Host-B", "ee-only"): [
        f"Path [1] {_CA('Sales-CA')} (CA profile Sales-CA)",
        f"Path [2] {_CA('Root-CA')} (CA profile Root-CA)"],
    ("Host-A", "chain"): [
        f"Dynamic CA profile dynamic-001 created for CA {_CA('Eng-CA')}, parent CA profile "
        "Root-CA",
        f"Dynamic CA profile dynamic-002 created for CA {_CA('Dev-CA')}, parent CA profile "
        "dynamic-001",
        f"Path [1] {_CA('Dev-CA')} (CA profile dynamic-002)",
        f"Path [2] {_CA('Eng-CA')} (CA profile dynamic-001)",
        f"Path [3] {_CA('Root-CA')} (CA profile Root-CA)"],
    ("Host-A", "ee-only"): [
        f"Path [1] {_CA('Dev-CA')} (CA profile Dev-CA)",
        f"Path [2] {_CA('Eng-CA')} (CA profile Eng-CA)",
        f"Path [3] {_CA('Root-CA')} (CA profile Root-CA)"],
}


def _over_nat_t(outcome: Outcome, initiator: str, *, local: bool, remote: bool) -> str:
    """What both NAT-T tests check: ikesim found the NAT, its SA ran on 4500, charon's too;
    returns the context to show on failure."""
    context = "\n".join(outcome.kmd) + "\n--- charon:\n" + outcome.charon
    device = ROLE[initiator]
    swan = OTHER[device]
    where = {(True, True): "both ends are", (False, True): "remote end is"}[local, remote]
    assert (f"ike_st_i_nat_d: NAT-T: {where} behind NAT (local {ADDRESS[device]}:500, "
            f"remote {ADDRESS[swan]}:500)") in outcome.kmd, context
    role = "initiator" if initiator == "ikesim" else "responder"
    assert any(line.startswith(f"Phase-1 [{role}] done for local=ipv4(udp:4500,"
                               f"[0..3]={ADDRESS[device]})") for line in outcome.kmd), context
    return context


@pytest.mark.parametrize("initiator", ["ikesim", "strongswan"])
def test_nat_t(tmp_path: Path, initiator: str) -> None:
    """charon's encap = yes fakes its NAT-D payload: ikesim finds the peer behind a NAT, and
    Main Mode from message 5 and Quick Mode run on UDP 4500 behind the non-ESP marker, the
    initiator moving first and the responder following."""
    device = ROLE[initiator]
    outcome = negotiate(tmp_path, figure4(tmp_path), ikesim_device=device,
                        initiator=initiator, encap=True)
    assert_agreed(outcome, initiator=initiator)
    context = _over_nat_t(outcome, initiator, local=False, remote=True)
    swan = OTHER[device]
    assert "faking NAT situation to enforce UDP encapsulation" in outcome.charon, context
    moved = (f"NAT-T: IKE SA moves to port 4500: local {ADDRESS[device]}:4500, remote "
             f"{ADDRESS[swan]}:4500")
    assert (moved in outcome.kmd) is (initiator == "ikesim"), context
    # Main Mode's last two messages and Quick Mode's three, all on 4500 both ways
    on_4500 = re.findall(rf"(received|sending) packet: from {ADDRESS[device]}\[4500\] to "
                         rf"{ADDRESS[swan]}\[4500\]|(sending|received) packet: from "
                         rf"{ADDRESS[swan]}\[4500\] to {ADDRESS[device]}\[4500\]",
                         outcome.charon)
    assert len(on_4500) >= 5, context
    assert re.search(rf"IKE_SA {GATEWAY}\[\d+\] established between {ADDRESS[swan]}\[",
                     outcome.charon), context
    assert "NAT keepalives" not in "\n".join(outcome.kmd), context  # ikesim is not behind it
    # results.json has charon's messages on 4500 too (read behind the non-ESP marker)
    [negotiation] = outcome.results["negotiations"]
    heard = [(m["exchange"], m["encrypted"]) for m in negotiation["messages"]
             if m["sender"] == ADDRESS[swan]]
    assert ("IDENTITY_PROTECTION", True) in heard and ("QUICK_MODE", True) in heard, heard


def test_nat_t_on_loopback_sends_keepalives(tmp_path: Path) -> None:
    """Both on 127.0.0.1, charon on ports 5000 and 5001: the NAT-D payloads each side gets
    name other addresses than it sees (ikesim speaks in the topology's), so both find a NAT,
    IKE floats to ikesim's 4500 and charon's 5001, and ikesim, behind the NAT as far as it
    can tell, sends a keepalive every nat-keepalive (1) second."""
    device = ROLE["ikesim"]
    outcome = negotiate(tmp_path, figure4(tmp_path, nat_keepalive=1), ikesim_device=device,
                        initiator="ikesim", loopback=True)
    assert_agreed(outcome, initiator="ikesim")
    context = _over_nat_t(outcome, "ikesim", local=True, remote=True)
    assert "NAT-T: sending NAT keepalives to 30.1.1.51:4500 every 1 seconds" in outcome.kmd, \
        context
    assert re.search(r"received packet: from 127\.0\.0\.1\[4500\] to 127\.0\.0\.1\[5001\]",
                     outcome.charon), context
    keepalives = [udp for udp in udp_datagrams(tmp_path / "live" / "logs" / device
                                               / "socket.pcap")
                  if udp == ("30.1.1.31", 4500, "30.1.1.51", 4500, b"\xff")]
    assert len(keepalives) >= 2, context

