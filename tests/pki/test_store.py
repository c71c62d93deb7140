import stat

import pytest
from cryptography.hazmat.primitives import serialization

from pki.loaders import LoadError
from pki.store import CertificateStore, StoreError

PEM = serialization.Encoding.PEM


@pytest.fixture
def host_a_store(figure4, start):
    store = (CertificateStore()
             .add_key_pair("Host-A", figure4.key("Host-A"))
             .add_local_certificate("Host-A", figure4.certificate("Host-A")))
    for ca in ("Root-CA", "Eng-CA", "Dev-CA"):
        store = store.add_ca_certificate(ca, figure4.certificate(ca))
        store = store.add_crl(ca, figure4.crl(ca, at=start))
    return store


def test_save_and_load_round_trip_with_private_keys_0600(host_a_store, tmp_path):
    host_a_store.save(tmp_path / "store")
    key_file = tmp_path / "store" / "keys" / "Host-A.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    loaded = CertificateStore.load(tmp_path / "store")
    assert loaded.local_certificates == host_a_store.local_certificates
    assert loaded.ca_certificates == host_a_store.ca_certificates
    assert dict(loaded.crls) == dict(host_a_store.crls)
    assert (loaded.key_pairs["Host-A"].private_numbers()
            == host_a_store.key_pairs["Host-A"].private_numbers())


def test_second_crl_needs_the_first_cleared(host_a_store, figure4, start):
    with pytest.raises(StoreError) as err:
        host_a_store.add_crl("Root-CA", figure4.crl("Root-CA", at=start))
    assert str(err.value) == ("CRL for CA profile Root-CA is already loaded; run "
                              "'clear security pki crl ca-profile Root-CA' first")
    cleared = host_a_store.clear_crl("Root-CA")
    assert "Root-CA" not in cleared.crls and "Root-CA" in host_a_store.crls
    assert "Root-CA" in cleared.add_crl("Root-CA", figure4.crl("Root-CA", at=start)).crls


def test_local_certificate_needs_its_key_pair_and_the_matching_key(figure4):
    with pytest.raises(StoreError, match="Key pair Host-B does not exist"):
        CertificateStore().add_local_certificate("Host-B", figure4.certificate("Host-B"))
    store = CertificateStore().add_key_pair("Host-B", figure4.key("Host-A"))
    with pytest.raises(LoadError, match="does not match the private key of certificate-id Host-B"):
        store.add_local_certificate("Host-B", figure4.certificate("Host-B"))
    assert store.local_certificates == {}


def test_loading_the_certificate_replaces_the_pending_request(figure4):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    key = figure4.key("Host-A")
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(figure4.certificate("Host-A").subject).sign(key, hashes.SHA256()))
    store = CertificateStore().add_key_pair("Host-A", key).add_request("Host-A", csr)
    assert "Host-A" in store.requests
    store = store.add_local_certificate("Host-A", figure4.certificate("Host-A"))
    assert "Host-A" not in store.requests and "Host-A" in store.local_certificates


def test_a_bad_file_in_a_saved_store_names_the_file_and_loads_nothing(host_a_store, tmp_path):
    root = tmp_path / "store"
    host_a_store.save(root)
    (root / "ca" / "Eng-CA.pem").write_text("-----BEGIN CERTIFICATE-----\nxx\n")
    with pytest.raises(LoadError) as err:
        CertificateStore.load(root)
    assert str(err.value).startswith(f"{root / 'ca' / 'Eng-CA.pem'}: not a valid certificate")


def test_a_failed_load_leaves_the_store_as_it_was(host_a_store, tmp_path):
    bad = tmp_path / "bad.crl"
    bad.write_bytes(b"not a crl")
    before = dict(host_a_store.crls)
    with pytest.raises(LoadError):
        host_a_store.clear_crl("Dev-CA").load_crl("Dev-CA", bad)
    assert dict(host_a_store.crls) == before


def test_names_that_cannot_be_file_names_are_refused(figure4):
    with pytest.raises(StoreError, match="certificate-id '../x'"):
        CertificateStore().add_key_pair("../x", figure4.key("Host-A"))


def test_duplicate_key_pair_refused(figure4):
    store = CertificateStore().add_key_pair("k", figure4.key("Host-A"))
    with pytest.raises(StoreError, match="Key pair k already exists"):
        store.add_key_pair("k", figure4.key("Host-B"))


def test_save_replaces_the_directory_so_cleared_objects_are_gone(host_a_store, tmp_path):
    root = tmp_path / "store"
    host_a_store.save(root)
    assert (root / "crl" / "Dev-CA.crl").exists()
    host_a_store.clear_crl("Dev-CA").clear_local_certificate("Host-A").save(root)
    assert not (root / "crl" / "Dev-CA.crl").exists()
    assert not (root / "keys" / "Host-A.key").exists()
    assert not (root / "local" / "Host-A.pem").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]  # no staging left behind
    assert "Dev-CA" not in CertificateStore.load(root).crls


def test_a_local_certificates_key_pair_is_not_cleared_alone(host_a_store):
    with pytest.raises(StoreError, match="Key pair Host-A is used by local certificate Host-A"):
        host_a_store.clear_key_pair("Host-A")
