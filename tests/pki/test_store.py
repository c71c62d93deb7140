import base64
import os
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


# -- the store on disk defends itself ---------------------------------------------------------


def _everything(root):
    """Every path below root (links not followed) with its bytes or kind."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            if os.path.islink(path):
                found[rel] = "-> " + os.readlink(path)
            elif os.path.isdir(path):
                found[rel] = "dir"
            else:
                found[rel] = open(path, "rb").read()  # noqa: SIM115 - tiny files
    return found


@pytest.fixture
def run(host_a_store, tmp_path):
    """A run folder with two devices' stores, a file beside them, and something outside."""
    folder = tmp_path / "run"
    host_a_store.save(folder / "pki" / "Host-A")
    CertificateStore().save(folder / "pki" / "Host-B")
    (folder / "results.json").write_text("{}")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "precious").write_text("keep me")
    return folder


@pytest.mark.parametrize("name", ["..", "../..", "."])
def test_a_store_named_dot_or_dotdot_wipes_nothing(host_a_store, tmp_path, run, name):
    before = _everything(tmp_path)
    with pytest.raises(StoreError) as err:
        host_a_store.save(run / "pki" / name)
    # "." is gone once joined (run/pki itself): it holds other stores, so it is not replaced.
    assert str(err.value) in (
        "certificate store '..': use letters, digits, '.', '_' and '-', starting with a letter "
        "or digit (at most 63 characters)",
        f"{run / 'pki'}: holds 'Host-A', which is not part of a certificate store; not "
        f"replacing it")
    assert _everything(tmp_path) == before


@pytest.mark.parametrize("planted", ["foreign-file", "foreign-folder", "symlinked-folder"])
def test_only_a_certificate_store_is_replaced(host_a_store, tmp_path, run, planted):
    target = run / "pki" / "Host-B"
    if planted == "foreign-file":
        (target / "notes.txt").write_text("mine")
    elif planted == "foreign-folder":
        (target / "photos").mkdir()
    else:
        (target / "keys").rmdir()
        (target / "keys").symlink_to(tmp_path / "outside")
    before = _everything(tmp_path)
    with pytest.raises(StoreError, match="which is not part of a certificate store; not "
                                         "replacing it"):
        host_a_store.save(target)
    assert _everything(tmp_path) == before


def test_a_symlinked_store_is_neither_followed_nor_replaced(host_a_store, tmp_path, run):
    link = run / "pki" / "Host-C"
    link.symlink_to(tmp_path / "outside")
    before = _everything(tmp_path)
    with pytest.raises(StoreError, match="Host-C: is a symbolic link; ikesim does not follow it"):
        host_a_store.save(link)
    assert _everything(tmp_path) == before


def test_a_file_where_the_store_goes_is_not_replaced(host_a_store, run):
    (run / "pki" / "Host-C").write_text("a file")
    with pytest.raises(StoreError, match="Host-C: is not a directory; not replacing it"):
        host_a_store.save(run / "pki" / "Host-C")
    assert (run / "pki" / "Host-C").read_text() == "a file"


def test_within_keeps_the_store_in_the_run_folder(host_a_store, tmp_path, run):
    with pytest.raises(StoreError, match="leaves the folder"):
        host_a_store.save(run / "pki" / ".." / ".." / "escaped", within=run)
    assert not (tmp_path / "escaped").exists()
    host_a_store.save(run / "pki" / "Host-C", within=run)
    assert CertificateStore.load(run / "pki" / "Host-C").ca_certificates.keys() == \
        host_a_store.ca_certificates.keys()


def test_names_that_bypassed_the_checks_are_refused_when_saving(figure4, tmp_path, run):
    store = CertificateStore(key_pairs={"../../../escaped": figure4.key("Host-A")})
    before = _everything(tmp_path)
    with pytest.raises(StoreError, match="certificate-id '../../../escaped'"):
        store.save(run / "pki" / "Host-A")
    assert _everything(tmp_path) == before  # all or nothing: Host-A's store as it was


def test_a_name_with_a_trailing_newline_is_refused(figure4):
    with pytest.raises(StoreError, match=r"certificate-id 'k\\n'"):
        CertificateStore().add_key_pair("k\n", figure4.key("Host-A"))


def test_a_planted_old_name_cannot_redirect_the_swap(host_a_store, tmp_path, run):
    """The old save renamed the store to `.NAME.old`, removing what was there first."""
    (run / "pki" / ".Host-A.old").symlink_to(tmp_path / "outside")
    host_a_store.clear_crl("Dev-CA").save(run / "pki" / "Host-A")
    assert (tmp_path / "outside" / "precious").read_text() == "keep me"
    assert "Dev-CA" not in CertificateStore.load(run / "pki" / "Host-A").crls


def test_keys_are_0600_and_folders_0700_from_creation(host_a_store, tmp_path):
    old = os.umask(0)  # a permissive umask must not widen anything
    try:
        host_a_store.save(tmp_path / "store")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "store" / "keys" / "Host-A.key").st_mode) == 0o600
    assert {stat.S_IMODE(os.stat(tmp_path / "store" / sub).st_mode)
            for sub in ("keys", "local", "requests", "ca", "crl")} == {0o700}


@pytest.mark.parametrize("plant", ["symlinked-file", "symlinked-folder", "symlinked-store",
                                   "fifo", "oversize"])
def test_load_refuses_links_and_special_or_oversize_files(host_a_store, tmp_path, plant):
    root = tmp_path / "store"
    host_a_store.save(root)
    ca = root / "ca" / "Eng-CA.pem"
    if plant == "symlinked-file":
        ca.unlink()
        ca.symlink_to(tmp_path / "elsewhere.pem")
        expected = f"{ca}: is a symbolic link; ikesim does not follow it"
    elif plant == "symlinked-folder":
        (root / "ca").rename(tmp_path / "real-ca")
        (root / "ca").symlink_to(tmp_path / "real-ca")
        expected = f"{root / 'ca'}: is a symbolic link; ikesim does not follow it"
    elif plant == "symlinked-store":
        root.rename(tmp_path / "real")
        root.symlink_to(tmp_path / "real")
        expected = f"{root}: is a symbolic link; ikesim does not follow it"
    elif plant == "fifo":
        ca.unlink()
        os.mkfifo(ca)  # reading it would wait for a writer forever
        expected = f"{ca}: is not a regular file"
    else:
        with open(ca, "ab") as out:
            out.truncate(2 * 1024 * 1024)
        expected = f"{ca}: is {2 * 1024 * 1024} bytes; the limit is 1048576 bytes"
    with pytest.raises(LoadError) as err:
        CertificateStore.load(root)
    assert str(err.value) == expected


def test_a_certificate_with_inherited_dsa_parameters_is_saved_as_signed(tmp_path):
    from tests.pki.pathworld import dsa_world

    w = dsa_world()
    store = CertificateStore().add_ca_certificate("inherited", w.intermediate)
    store.save(tmp_path / "store")
    pem = (tmp_path / "store" / "ca" / "inherited.pem").read_bytes()
    # The PEM holds the bytes the issuer signed, not the loader's copy.
    assert base64.b64decode(b"".join(pem.splitlines()[1:-1])) == w.der["intermediate"]
    assert CertificateStore.load(tmp_path / "store").ca_certificates["inherited"] == \
        w.intermediate
