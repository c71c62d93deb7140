"""The enrollment scenarios of the topology library, run as `ikesim run` runs them:
enroll-figure4 (Figure 4's hosts enroll over SCEP, then negotiate), re-enroll-hub-year
(a year of 90-day certificates renewed automatically) and re-enroll-ca-outage (the CA down
across a trigger: retries, failure, expiry, the tunnel failing, the fix by hand). The SCEP
messages the run folder keeps parse and verify with OpenSSL, and two runs give the same
bytes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from cryptography import x509

from pki.names import parse_subject
from sim.report.certificates_plot import certificates
from sim.report.plot_base import DONE, FAILED
from sim.report.plots import write_plots
from sim.scenario import Scenario
from sim.topology import load_topology
from sim.topology.enroll_events import re_enrollments
from sim.topology.library import topologies_dir
from tests.badinput.conftest import files_under
from tests.openssl import needs_openssl

ROOT = Path(__file__).resolve().parents[2]
OPENSSL = shutil.which("openssl")
DAY = 86400.0


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    done: dict[str, Scenario] = {}

    def run(name: str) -> Scenario:
        if name not in done:
            scenario = Scenario.build(load_topology(topologies_dir() / f"{name}.yaml"),
                                      out=tmp_path_factory.mktemp(name))
            scenario.run()
            scenario.write()
            done[name] = scenario
        return done[name]

    return run


def local(scenario: Scenario, device: str, cid: str) -> x509.Certificate:
    return scenario.devices[device].pki.store.local_certificates[cid]


# -- enroll-figure4 --------------------------------------------------------------------------


def test_figure4_hosts_enroll_online_and_then_negotiate(runs):
    scenario = runs("enroll-figure4")
    hierarchy = scenario.hierarchy
    for device, ca, subject in (
            ("Host-A", "Dev-CA", "DC=example,CN=Host-A,OU=DEV,O=PKI,L=Sunnyvale,ST=CA,C=US"),
            ("Host-B", "Sales-CA", "DC=example,CN=Host-B,OU=SALES,O=PKI,L=Sunnyvale,ST=CA,C=US")):
        cert = local(scenario, device, device)
        cert.verify_directly_issued_by(hierarchy.certificate(ca))
        assert cert.subject == parse_subject(subject)
    store = scenario.devices["Host-A"].pki.store
    assert {p: c.subject for p, c in store.ca_certificates.items()} == {
        p: hierarchy.certificate(p).subject for p in ("Root-CA", "Eng-CA", "Dev-CA")}
    records = [(r.device, r.kind, r.ca_profile, r.polls, r.outcome)
               for r in scenario.enrollments.records]
    assert records == [  # in the order they finished: a root's answer is the shortest
        ("Host-A", "ca-certificate", "Root-CA", 0, "loaded"),
        ("Host-B", "ca-certificate", "Root-CA", 0, "loaded"),
        ("Host-A", "ca-certificate", "Eng-CA", 0, "loaded"),
        ("Host-A", "ca-certificate", "Dev-CA", 0, "loaded"),
        ("Host-B", "ca-certificate", "Sales-CA", 0, "loaded"),
        ("Host-B", "initial", "Sales-CA", 0, "issued"),
        ("Host-A", "initial", "Dev-CA", 2, "issued"),  # Dev-CA's PENDING, polled twice
    ]
    for device in ("Host-A", "Host-B"):
        assert (f"Sep 19 17:23:00 Local certificate {device} verification success"
                in scenario.devices[device].pkid_log.lines)
    (negotiation,) = scenario.results.in_order()
    assert (negotiation.initiator, negotiation.phase1, negotiation.phase2) == ("Host-A", "done",
                                                                             "done")
    # The hierarchy plot knows whose certificates the CAs issued online.
    nodes = {n["name"]: n for n in scenario.results_json()["hierarchy"]["nodes"]}
    assert (nodes["Host-A"]["device"], nodes["Host-B"]["device"]) == ("Host-A", "Host-B")


def test_the_run_folder_keeps_every_scep_message_in_exchange_order(runs):
    scenario = runs("enroll-figure4")
    names = sorted(p.name for p in (scenario.out / "scep").iterdir())
    kinds = [name.split("-", 1)[1] for name in names]
    assert names == [f"{i:04d}-{kind}" for i, kind in enumerate(kinds, 1)]
    assert kinds == [
        # GetCACert answers: a root's is its certificate alone, the others' a PKCS#7 chain.
        "Host-A-GetCACert.cer", "Host-B-GetCACert.cer", "Host-A-GetCACert.p7",
        "Host-A-GetCACert.p7", "Host-B-GetCACert.p7",
        # At 10 s both requests; Dev-CA answers Host-A PENDING, then Sales-CA Host-B's
        # certificate; Host-A polls at 70 s (PENDING again) and 130 s (issued).
        "Host-A-PKCSReq.p7", "Host-B-PKCSReq.p7", "Host-A-CertRep.p7", "Host-B-CertRep.p7",
        "Host-A-CertPoll.p7", "Host-A-CertRep.p7", "Host-A-CertPoll.p7", "Host-A-CertRep.p7",
    ]


@needs_openssl
def test_openssl_reads_every_scep_message_and_verifies_its_signature(runs):
    scenario = runs("enroll-figure4")
    messages = sorted((scenario.out / "scep").glob("*.p7"))
    assert len(messages) == 11
    for path in messages:
        printed = subprocess.run([OPENSSL, "cms", "-cmsout", "-print", "-inform", "DER",
                                  "-in", str(path)], capture_output=True, text=True, check=False)
        assert printed.returncode == 0, (path.name, printed.stderr)
        assert "contentType: pkcs7-signedData" in printed.stdout
        if "GetCACert" in path.name:
            continue  # a certificates-only PKCS#7: nothing is signed
        verified = subprocess.run([OPENSSL, "cms", "-verify", "-noverify", "-inform", "DER",
                                   "-in", str(path), "-out", os.devnull],
                                  capture_output=True, text=True, check=False)
        assert verified.returncode == 0 and "Verification successful" in verified.stderr, \
            (path.name, verified.stderr)


def test_two_runs_write_the_same_bytes(tmp_path):
    runs = {}
    for name, hash_seed in (("a", "1"), ("b", "4242")):
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": hash_seed}
        done = subprocess.run([sys.executable, "-m", "sim", "run", "enroll-figure4", "--quiet",
                               "--out", str(tmp_path / name)], env=env, capture_output=True,
                              text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr
        runs[name] = files_under(tmp_path / name)
    assert runs["a"] == runs["b"]
    assert {"scep/0013-Host-A-CertRep.p7", "plots/certificates.png",
            "pki/Host-A/keys/Host-A.key"} <= set(runs["a"])


# -- re-enroll-hub-year ----------------------------------------------------------------------


def test_a_year_of_automatic_re_enrollment_keeps_every_tunnel_up(runs):
    scenario = runs("re-enroll-hub-year")
    negotiations = scenario.results.in_order()
    assert len(negotiations) == 52 * 3
    assert Counter((n.phase1, n.error) for n in negotiations) == {("done", None): 156}
    records = scenario.enrollments.records
    assert {(r.kind, r.outcome, r.polls) for r in records} == {("re-enrollment", "issued", 0)}
    assert Counter(r.device for r in records) == {
        "Hub": 5, "Spoke-0001": 5, "Spoke-0002": 5, "Spoke-0003": 5}
    # What the topology's load counted beforehand is an upper bound (sim.topology.enroll_events).
    topology = scenario.topology
    assert re_enrollments(topology.devices, topology.cas, topology.duration) == (
        24, (6, "Hub certificate-id hub"))


def test_each_re_enrollment_starts_at_the_trigger_of_the_certificate_before_it(runs):
    scenario = runs("re-enroll-hub-year")
    start = scenario.topology.start
    for device in scenario.devices:
        cid = "hub" if device == "Hub" else device
        ends = [(c["not_before_s"], c["not_after_s"]) for c in scenario.enrollments.initial
                if c["device"] == device]
        ends += [((r.not_before - start).total_seconds(), (r.not_after - start).total_seconds())
                 for r in scenario.enrollments.records if r.device == device]
        starts = [r.started for r in scenario.enrollments.records if r.device == device]
        assert len(ends) == len(starts) + 1, cid
        for (begins, expires), started in zip(ends, starts, strict=False):
            # re-enroll-trigger-time-percentage 20: a fifth of the lifetime before expiry.
            assert started == pytest.approx(expires - 0.2 * (expires - begins), abs=1e-3)


def test_spokes_get_a_new_key_pair_each_time_and_the_hub_keeps_its_own(runs):
    scenario = runs("re-enroll-hub-year")
    hierarchy = scenario.hierarchy
    for device in scenario.devices:
        cid = "hub" if device == "Hub" else device
        certificates = [*hierarchy.previous_certificates(cid), hierarchy.certificate(cid)]
        assert len(certificates) == 6
        keys = {c.public_key().public_numbers() for c in certificates}
        assert len(keys) == (1 if device == "Hub" else 6)
        assert len({c.subject for c in certificates}) == 1
        assert local(scenario, device, cid) == certificates[-1]


# -- re-enroll-ca-outage ---------------------------------------------------------------------


def test_a_ca_outage_at_the_trigger_lets_the_certificate_expire_until_fixed_by_hand(runs):
    scenario = runs("re-enroll-ca-outage")
    outcomes = [(round(n.started / DAY, 1), n.phase1, n.error)
                for n in scenario.results.in_order()]
    assert outcomes == (
        [(day + 0.5, "done", None) for day in range(20, 29)]
        + [(day + 0.5, "failed", "Authentication failed") for day in range(29, 34)]
        + [(day + 0.5, "done", None) for day in range(34, 41)])
    branch = [line[16:] for line in scenario.devices["Branch"].pkid_log.lines]
    assert branch[0] == ("Auto-re-enrollment of local certificate Branch: 10% of its lifetime "
                         "remains (trigger 2014-02-01 08:00:00)")
    assert branch.count("Sent RenewalReq for Branch to CA profile Corp-CA, transaction ID "
                        + branch[2].rsplit(" ", 1)[1]) == 1
    assert sum("No answer from CA profile Corp-CA" in line for line in branch) == 7
    assert ("Enrollment of local certificate Branch from CA profile Corp-CA failed: gave up, "
            "6 retries done") in branch
    hub = [line[16:] for line in scenario.devices["Hub"].pkid_log.lines]
    assert hub.count("Certificate CN = Branch, O = Example, C = US verification failed: "
                     "C=US,O=Example,CN=Branch expired at 2014-02-04 08:00 UTC") == 5
    records = [(r.kind, r.outcome, round(r.started / DAY, 2))
               for r in scenario.enrollments.records]
    assert records == [("re-enrollment", "failed", 26.0), ("initial", "issued", 34.0)]


# -- plots/certificates.png ------------------------------------------------------------------


def test_the_certificates_plot_draws_each_certificate_trigger_and_enrollment(runs, tmp_path):
    results = runs("re-enroll-ca-outage").results_json()
    ax = certificates(results)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Hub / hub", "Branch / Branch"]
    # The branch's first certificate (to day 29), the hub's and the one enrolled by hand on
    # day 34: three bars from Not before to Not after, in days, clipped to the figure (from
    # 2 % before the start to 5 % after the last negotiation, at 40.5 days).
    bars = sorted((float(round(p.get_x(), 2)), float(round(p.get_width(), 2)))
                  for p in ax.patches)
    assert bars == [(-0.81, 29.81), (-0.81, 43.34), (34.0, 8.52)]
    markers = Counter((line.get_marker(), line.get_color()) for line in ax.lines)
    assert markers[("X", FAILED)] == 1 and markers[("o", DONE)] == 1  # the two enrollments
    assert markers[("|", FAILED)] == 5 and markers[("|", DONE)] == 16  # the negotiations
    assert "certificates.png" in [p.name for p in write_plots(results, tmp_path / "plots")]


def test_a_run_without_online_enrollment_has_no_certificates_plot(runs, tmp_path):
    results = {**runs("re-enroll-ca-outage").results_json(), "enrollments": []}
    assert "certificates.png" not in [p.name for p in write_plots(results, tmp_path)]
