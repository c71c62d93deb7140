"""The run folder's SCEP CAs (sim.report.scep_files): written at the end of a run, read back as
ScepCa objects that answer SCEP with the run's CA key, with serials that never repeat across cli
sessions, and the CRLs each URL serves."""

from __future__ import annotations

import datetime as dt
import shutil
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from pki.enrollment import CaCertificateEnrollment, Issued
from pki.scep_ca import ScepPolicy
from sim.report.scep_files import load_crl_documents, load_scep_cas, save_scep_cas
from sim.scenario import Scenario
from sim.topology import parse_topology
from tests.sim.scenarios import pair

from .scep_pki import device_key, device_request, enrollment, run

URL = "http://192.0.2.10/scep/Scep/"
SCEP_CA = ('  Scep-CA: {issuer: Root-CA, subject: "C=US, O=Test, CN=Scep-CA", key: rsa-1024,\n'
           '            crl: {url: "http://192.0.2.10/scep.crl", lifetime: 1d},\n'
           f'            scep: {{url: "{URL}", challenge-password: pass-1234, '
           'validity: 30d}}')
PASSWORD = "pass-1234"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    text = pair(cas=SCEP_CA, duration="1m")
    out = tmp_path_factory.mktemp("scep-run") / "run"
    scenario = Scenario.build(parse_topology(text, source="t.yaml"), out=out)
    scenario.run()
    scenario.write()
    return out, scenario.hierarchy


def _copy(run_dir, tmp_path):
    target = tmp_path / "run"
    shutil.copytree(run_dir, target, symlinks=True)
    return target


def test_the_run_folder_keeps_the_scep_ca_with_its_key_0600(run_dir):
    out, hierarchy = run_dir
    key = out / "pki" / "cas" / "scep" / "Scep-CA" / "key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    # The index holds the challenge password.
    assert stat.S_IMODE((key.parent.parent / "scep.json").stat().st_mode) == 0o600
    (ca,) = load_scep_cas(out).values()
    assert ca.name == "Scep-CA"
    assert ca.policy == ScepPolicy(url=URL, challenge_password=PASSWORD,
                                   validity=dt.timedelta(days=30))
    assert ca.certificate == hierarchy.certificate("Scep-CA")
    assert ca.chain == (hierarchy.certificate("Root-CA"),)


def test_a_loaded_ca_enrolls_a_device(run_dir, tmp_path):
    out, hierarchy = run_dir
    folder = _copy(out, tmp_path)
    (ca,) = load_scep_cas(folder).values()
    job = CaCertificateEnrollment(ca_profile="Scep-CA", url=URL, ca_identity="Scep-CA")
    now = hierarchy.start + dt.timedelta(days=40)
    assert job.receive(ca.handle(job.request(), now=now)) == (
        hierarchy.certificate("Scep-CA"), hierarchy.certificate("Root-CA"))
    key = device_key()
    step, _ = run(ca, enrollment(ca, key, device_request(key, PASSWORD), seed="a"), now)
    assert isinstance(step, Issued)
    cert = step.certificate
    assert cert.issuer == hierarchy.certificate("Scep-CA").subject
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == dt.timedelta(days=30)
    cdp = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert [p.full_name[0].value for p in cdp] == ["http://192.0.2.10/scep.crl"]


def test_serials_never_repeat_across_sessions(run_dir, tmp_path):
    out, hierarchy = run_dir
    folder = _copy(out, tmp_path)
    now = hierarchy.start + dt.timedelta(days=40)
    serials = []
    for session in range(2):
        cas = load_scep_cas(folder)
        (ca,) = cas.values()
        key = device_key()
        step, _ = run(ca, enrollment(ca, key, device_request(key, PASSWORD),
                                     seed=f"s{session}"), now)
        serials.append(step.certificate.serial_number)
        save_scep_cas(folder, cas)
    assert serials[0] != serials[1]


def test_crl_documents_by_url(run_dir):
    out, _ = run_dir
    documents = load_crl_documents(out)
    assert set(documents) == {"http://192.0.2.10/root.crl", "http://192.0.2.10/a.crl",
                              "http://192.0.2.10/b.crl", "http://192.0.2.10/scep.crl"}
    pem = (out / "pki" / "cas" / "Scep-CA.crl").read_bytes()
    assert documents["http://192.0.2.10/scep.crl"] == x509.load_pem_x509_crl(pem).public_bytes(
        Encoding.DER)


def test_a_run_without_scep_has_none(tmp_path):
    scenario = Scenario.build(parse_topology(pair(duration="1m"), source="t.yaml"),
                              out=tmp_path / "run")
    scenario.run()
    scenario.write()
    assert not (tmp_path / "run" / "pki" / "cas" / "scep").exists()
    assert load_scep_cas(tmp_path / "run") == {}
    assert load_crl_documents(tmp_path / "run") == {}
    save_scep_cas(tmp_path / "run", {})  # a cli session of such a run saves nothing
    assert not (tmp_path / "run" / "pki" / "cas" / "scep").exists()


def test_the_same_run_writes_the_same_scep_files(run_dir, tmp_path):
    out, _ = run_dir
    again = tmp_path / "again"
    scenario = Scenario.build(parse_topology(pair(cas=SCEP_CA, duration="1m"),
                                             source="t.yaml"), out=again)
    scenario.run()
    scenario.write()
    scep = ("pki", "cas", "scep")
    for name in ("scep.json", "Scep-CA/key.pem"):
        assert again.joinpath(*scep, name).read_bytes() == out.joinpath(*scep, name).read_bytes()
