"""A topology made into a running world: CAs issue the devices' certificates, CRL servers
publish, devices start their daemons, and the topology's events happen on time.

    scenario = Scenario.build(load_topology("topologies/figure4-multilevel.yaml"), out=dir)
    scenario.run()
    scenario.write()      # results.json, logs/<device>/{kmd,pkid}, pki/<device>/, pki/cas/
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass, field, replace
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from pki.csr import RequestParams, build_request
from pki.files import inside
from pki.hierarchy import CAHierarchy, CASpec
from pki.keycache import cached_key_pair
from pki.keys import KeySpec
from pki.ocsp_responder import Responder
from pki.selfsigned import SYSTEM_GENERATED_ID, generate_system_certificate
from pki.store import CertificateStore
from sim import __version__
from sim.junos.config import EstablishTunnels
from sim.report.crl_history import CrlHistory
from sim.report.ocsp_files import ocsp_json, write_ocsp_files
from sim.report.run_files import write_run_files
from sim.report.traffic_events import traffic_json
from sim.topology import CA_HEAD_START, EE_HEAD_START, EventEntry, Topology
from sim.topology.cas import publish_interval
from sim.topology.durations import signed_duration
from sim.topology.specs import host_of
from sim.world.device import Device, server_resolver
from sim.world.enrollment_setup import Enrollments
from sim.world.manual_enrollment import MANUAL_ACTIONS
from sim.world.nat import install_nat
from sim.world.ocsp_server import install_responders
from sim.world.pkid import PkidTiming
from sim.world.power import device_down, device_up, known_sas
from sim.world.results import Results
from sim.world.servers import CrlServer
from sim.world.traffic_results import TrafficResults
from sim.world.traffic_start import TRAFFIC_ACTIONS
from sim.world.world import World


@dataclass
class Scenario:
    topology: Topology
    world: World
    hierarchy: CAHierarchy
    servers: dict[str, CrlServer]
    devices: dict[str, Device]
    results: Results
    out: Path
    _last_published: dict[str, float] = field(default_factory=dict)
    traffic: TrafficResults = field(default_factory=TrafficResults)
    crl_history: CrlHistory = field(default_factory=CrlHistory)
    ocsp_responders: dict[str, Responder] = field(default_factory=dict)  # by CA
    enrollments: Enrollments | None = None  # SCEP CAs and clients (sim.world.enrollment_setup)

    @classmethod
    def build(cls, topology: Topology, *, out: Path, seed: int | None = None,
              world: World | None = None, results: Results | None = None,
              only: str | None = None) -> Scenario:
        """`world` and `results`: the live driver's (sim.live); `only`: build that device
        alone (every device's certificates are still issued, in order, so the hierarchy and
        serial numbers are the simulation's), without the links and other devices' events."""
        seed = topology.seed if seed is None else seed
        world = world if world is not None else World(start=topology.start, seed=seed)
        out.mkdir(parents=True, exist_ok=True)
        ca_start = topology.start - CA_HEAD_START
        hierarchy = CAHierarchy(
            [CASpec(name=ca.name, subject=ca.subject, issuer=ca.issuer, key=ca.key,
                    crl_urls=ca.crl_urls, path_length=ca.path_length,
                    validity=dt.timedelta(days=ca.validity_days),
                    crl_lifetime=dt.timedelta(seconds=ca.crl_lifetime),
                    extra_revoked=ca.extra_revoked, email=ca.email, digest=ca.digest,
                    cdp_on_own_certificate=ca.cdp_on_own_certificate,
                    ocsp_urls=(ca.ocsp.url,) if ca.ocsp is not None and ca.ocsp.in_aia else ())
             for ca in topology.cas.values()],
            start=ca_start, seed=seed, key_source=cached_key_pair,
            # Keys belong to the topology, not to one run: another --seed reuses them (as
            # devices keep their keys between negotiations) and only the run's randomness moves.
            key_seed=f"keys/{topology.name}")
        for issuer, subject in topology.cross_certify:
            hierarchy.cross_certify(issuer, subject)
        full, topology = topology, topology if only is None else alone(topology, only)
        servers = {name: CrlServer(spec=spec, env=world.env)
                   for name, spec in topology.servers.items()}
        for link in topology.links:
            a, b = topology.devices[link.a].address, topology.devices[link.b].address
            world.network.link(a, b, link.spec)
            if link.nat is not None:
                install_nat(world.network, link.nat, outside=b if link.nat.inside == a else a,
                            link=link.spec)
        resolve = server_resolver(servers)
        results = results if results is not None else Results()
        traffic = TrafficResults()
        devices = {}
        stores = {entry.name: _enrolled_store(entry, hierarchy, topology.start, seed,
                                              key_seed=f"keys/{topology.name}")
                  for entry in full.devices.values()}
        for entry in topology.devices.values():
            store = stores[entry.name]
            devices[entry.name] = Device(
                world, name=entry.name, address=entry.address, serial=entry.serial,
                config=entry.config, config_text=entry.config_text, store=store,
                log_dir=inside(out, "logs", entry.name) if entry.keep else None,
                results=results, resolve=resolve, clock_offset=entry.clock_offset,
                pkid_timing=PkidTiming(processing=entry.pkid_processing,
                                       download_timeout=entry.download_timeout),
                traffic_results=traffic)
        scenario = cls(topology=topology, world=world, hierarchy=hierarchy, servers=servers,
                       devices=devices, results=results, out=out, traffic=traffic)
        install_responders(scenario)
        scenario.enrollments = Enrollments(scenario, resolve)
        scenario._schedule()
        return scenario

    # -- the CAs' CRL publishing ------------------------------------------------------------

    def publish_crl(self, ca: str) -> None:
        """The CA signs a fresh CRL now and puts it on every server its URLs point to."""
        entry = self.topology.cas[ca]
        if not entry.crl_urls:
            return
        crl = self.hierarchy.crl(ca, at=self.world.now())
        self._last_published[ca] = self.world.env.now
        der = crl.public_bytes(Encoding.DER)
        self.crl_history.record(ca, at_s=self.world.env.now, der=der)
        resolve = server_resolver(self.servers)
        for url in entry.crl_urls:
            server = resolve(host_of(url))
            if server is not None:
                server.publish(url, der)

    def _publisher(self, ca: str):
        """Publish at the start, then every publish-interval (a revocation publishes at once and
        starts the period again; see sim.topology.cas.publish_interval for the default)."""
        entry = self.topology.cas[ca]
        interval = publish_interval(entry.crl_lifetime, entry.publish_interval)
        while True:
            due = self._last_published.get(ca, -interval) + interval
            if self.world.env.now >= due:
                self.publish_crl(ca)
                continue
            yield self.world.env.timeout(due - self.world.env.now)

    # -- events -----------------------------------------------------------------------------

    def _schedule(self) -> None:
        for ca, entry in self.topology.cas.items():
            if entry.crl_urls:  # a CA without a distribution point publishes nowhere
                self.world.env.process(self._publisher(ca))
        for event in (*self._established_at_start(), *self.topology.events):
            self.world.env.process(self._at(event))

    def _established_at_start(self) -> list[EventEntry]:
        """`establish-tunnels immediately`: Junos brings the VPN up at commit, so the device
        initiates the VPN's gateway at 0 s (once per gateway), unless the topology already
        initiates it then. A gateway with a dynamic peer cannot initiate: it waits for the
        peer, as on a real SRX."""
        explicit = {(e.args["device"], e.args["gateway"]) for e in self.topology.events
                    if e.action == "initiate" and e.at == 0}
        events: dict[tuple[str, str], EventEntry] = {}
        for device in self.topology.devices.values():
            gateways = device.config.ike.gateways
            for vpn in device.config.ipsec.vpns.values():
                key = (device.name, vpn.gateway)
                gateway = gateways.get(vpn.gateway or "")
                if (vpn.establish_tunnels is EstablishTunnels.IMMEDIATELY and gateway is not None
                        and gateway.addresses and key not in explicit and key not in events):
                    events[key] = EventEntry(at=0.0, action="initiate", line=0, args={
                        "device": device.name, "gateway": vpn.gateway})
        return list(events.values())

    def _at(self, event):
        yield self.world.env.timeout(event.at)
        self._ACTIONS[event.action](self, event.args)

    def _initiate(self, args) -> None:
        self.devices[args["device"]].kmd.initiate(args["gateway"])

    def _revoke(self, args) -> None:
        reason = x509.ReasonFlags(args["reason"]) if args.get("reason") else None
        self.hierarchy.revoke(args["certificate"], at=self.world.now(), reason=reason,
                              by=args["ca"])
        self.publish_crl(args["ca"])

    def _server(self, args, *, down: bool) -> None:
        self.servers[args["server"]].down = down

    def _clock(self, args) -> None:
        self.devices[args["device"]].clock_offset = signed_duration(args["offset"])

    def _verify_local(self, args) -> None:
        self.devices[args["device"]].verify_local(args["certificate-id"])

    # The topology's event actions (sim.topology checked their arguments before the run).
    _ACTIONS = {
        "initiate": _initiate,
        "revoke": _revoke,
        "publish-crl": lambda self, args: self.publish_crl(args["ca"]),
        "server-down": lambda self, args: self._server(args, down=True),
        "server-up": lambda self, args: self._server(args, down=False),
        "clock": _clock,
        "verify-local": _verify_local,
        "device-down": lambda self, args: device_down(self.devices[args["device"]]),
        "device-up": lambda self, args: device_up(self.devices[args["device"]]),
        **TRAFFIC_ACTIONS,  # ping, flow (sim.world.traffic_start)
        "restart": lambda self, args: self.devices[args["device"]].restart(),
        **MANUAL_ACTIONS,  # generate-request, issue, load-local (sim.world.manual_enrollment)
        "enroll-ca": lambda self, args: self.enrollments.enroll_ca(args),
        "enroll-local": lambda self, args: self.enrollments.enroll_local(args),
    }

    # -- running and writing ----------------------------------------------------------------

    def run(self, until: float | None = None) -> None:
        self.world.run(until=until if until is not None else self.topology.duration)

    def write(self) -> dict:
        """results.json, each device's store and state, each CA's certificate and CRL;
        returns the results.json record (the plots draw from it)."""
        record = write_run_files(self, self.out)
        write_ocsp_files(self, self.out)
        return record

    def hierarchy_json(self) -> dict:
        """CAs and end entities with what a plot colours them by, at the end of the run."""
        now = self.world.now()
        resolve = server_resolver(self.servers)
        nodes = []
        for name, data in self.hierarchy.graph.nodes(data=True):
            cert = data["certificate"]
            issuer = self.hierarchy.issuer_of(name)
            revoked = issuer is not None and cert.serial_number in \
                self.hierarchy.graph.nodes[issuer]["revoked"]
            node = {"name": name, "kind": data["kind"], "issuer": issuer, "revoked": revoked,
                    "expired": cert.not_valid_after_utc < now,
                    "not_yet_valid": cert.not_valid_before_utc > now}
            if data["kind"] == "ca":
                urls = self.topology.cas[name].crl_urls
                servers = [resolve(host_of(u)) for u in urls]
                node["crl_urls"] = list(urls)
                node["crl_reachable"] = bool(urls) and any(
                    server is not None and not server.down for server in servers)
            nodes.append(node)
        owners = {e.certificate_id: d.name for d in self.topology.devices.values()
                  for e in d.enroll}
        for record in self.enrollments.records if self.enrollments else ():
            if record.certificate_id is not None:  # enrolled online (sim.world.enrollment)
                owners.setdefault(record.certificate_id, record.device)
        for node in nodes:
            if node["kind"] == "ee":
                node["device"] = owners.get(node["name"])
        return {"nodes": nodes,
                "edges": [{"issuer": u, "subject": v, "primary": bool(p)}
                          for u, v, p in self.hierarchy.graph.edges(data="primary")]}

    def key_table(self) -> list[tuple[bytes, bytes]]:
        """(initiator cookie, Phase-1 encryption key) of every IKE SA that derived keys, for
        Wireshark's ikev1_decryption_table, in the order the negotiations started (as the
        capture and the summary number them; the cookie breaks a tie)."""
        rows: dict[bytes, tuple[float, bytes]] = {}
        for device in self.devices.values():
            for icookie, entry in known_sas(device):
                if entry.sa.keys is not None:
                    # Each side holds the SA; the initiator's is the earlier start.
                    started = min(entry.started, rows.get(icookie, (entry.started,))[0])
                    rows[icookie] = (started, entry.sa.keys.enc_key)
        ordered = sorted(rows.items(), key=lambda row: (row[1][0], row[0]))
        return [(icookie, key) for icookie, (_, key) in ordered]

    def results_json(self) -> dict:
        return {
            "scenario": self.topology.name,
            "seed": self.world.seed,
            "ikesim_version": __version__,
            "start": self.topology.start.isoformat().replace("+00:00", "Z"),
            "devices": {name: {"address": d.address, "addresses": d.addresses()}
                        for name, d in self.devices.items()},
            "hierarchy": self.hierarchy_json(),
            "negotiations": [n.to_json(self.topology.start) for n in self.results.in_order()],
            "crl_downloads": [
                {"device": r.device, "url": r.url, "started_s": round(r.started, 6),
                 "finished_s": round(r.finished, 6), "ok": r.ok, "reason": r.reason}
                for d in self.devices.values() for r in d.pkid.download_records],
            "traffic": traffic_json(self),
            "ocsp_requests": ocsp_json(self),
            **(self.enrollments.to_json() if self.enrollments else {}),
        }


def alone(topology: Topology, device: str) -> Topology:
    """The topology as one device of it sees it alone (a live peer): its own events and those
    of the CAs and servers, without its `initiate` events (the user initiates) or links."""
    events = tuple(e for e in topology.events if e.action != "initiate"
                   and e.args.get("device", e.args.get("from", device)) == device)
    # The live device is the one the user looks at: it keeps its files, group member or not.
    return replace(topology, devices={device: replace(topology.devices[device], keep=True)},
                   links=(), events=events)


def _enrolled_store(entry, hierarchy: CAHierarchy, start: dt.datetime,
                    seed: int, *, key_seed: str) -> CertificateStore:
    # Chapter 6: a device that finds no automatically generated self-signed certificate at
    # start-up makes one (CN=<serial>, CN=system generated, CN=self-signed, five years).
    # A device with a key pool draws this key from the pool too (its own slot of the pool's
    # RSA-1024 keys): a pure-Python prime search per spoke would cost minutes at scale.
    owner = entry.name if not entry.key_pool else f"pool/{_pool_slot(entry.name, entry.key_pool)}"
    system_key = cached_key_pair(KeySpec(), seed=f"{key_seed}/{owner}/system-generated")
    system = generate_system_certificate(
        system_key, device_serial=entry.serial, now=start - CA_HEAD_START,
        serial=random.Random(f"{seed}/{entry.name}/system-generated"))
    store = (CertificateStore().add_key_pair(SYSTEM_GENERATED_ID, system_key)
             .add_local_certificate(SYSTEM_GENERATED_ID, system))
    for enroll in entry.enroll:
        # A key pool stands for the keys real devices pre-generate (guide, Chapter 2): spokes
        # of a large topology share a few keys instead of each waiting for its own.
        owner = f"{entry.name}/{enroll.certificate_id}"
        if entry.key_pool:
            owner = f"pool/{_pool_slot(entry.name, entry.key_pool)}"
        key = cached_key_pair(enroll.key, seed=f"{key_seed}/{owner}")
        # The device enrolls as `request security pki local-certificate enroll` does: a
        # PKCS#10 request from its key, answered by the CA.
        request = build_request(key, RequestParams(
            certificate_id=enroll.certificate_id, subject=enroll.subject,
            domain_name=enroll.domain_name, ip_address=enroll.ip_address, email=enroll.email,
            device_serial=entry.serial))
        not_before = (start - EE_HEAD_START if enroll.not_before is None
                      else start + dt.timedelta(seconds=enroll.not_before))
        cert = hierarchy.issue_from_request(
            enroll.ca, enroll.certificate_id, request, not_before=not_before,
            validity=None if enroll.validity_days is None
            else dt.timedelta(days=enroll.validity_days))
        store = store.add_key_pair(enroll.certificate_id, key)
        store = store.add_local_certificate(enroll.certificate_id, cert)
    for profile, ca in entry.ca_certificates.items():
        subject, _, issuer = ca.partition(" by ")
        cert = (hierarchy.graph.edges[issuer, subject]["certificate"] if issuer
                else hierarchy.certificate(ca))
        store = store.add_ca_certificate(profile, cert)
    for profile, ca in entry.crls.items():
        store = store.add_crl(profile, hierarchy.crl(ca, at=start - EE_HEAD_START))
    return store


def _pool_slot(device: str, size: int) -> int:
    return int(hashlib.sha256(device.encode()).hexdigest(), 16) % size
