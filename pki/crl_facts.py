"""What is known of a CRL object: its serial index and the keys that signed it, each found once.

A large CRL is expensive to read: its to-be-signed bytes are re-encoded on every access (150,000
entries: about 0.2 s), so checking its signature or fingerprinting it per lookup costs more than
the rest of a validation. Facts are therefore kept per CRL object, by identity (the object is
held, so its id stays its own), and the object itself is shared: `load_shared_crl` gives every
device that downloads the same bytes the same object, so the index is built and the signature
checked once per CRL, not once per device.

Only successes are remembered (a key whose signature check failed is tried again next time);
freshness (thisUpdate, nextUpdate) is never remembered: pki.revocation checks it every time.
"""

from __future__ import annotations

from collections import OrderedDict

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pki import proven
from pki.crl import RevocationIndex
from pki.loaders import load_crl
from pki.name_match import name_key
from pki.parse_errors import PARSE_ERRORS
from pki.signing import crl_signed_by
from pki.working_key import UnusableKey, working_public_key


class CrlFacts:
    """The index of one CRL object (built on first need) and the keys known to sign it."""

    __slots__ = ("crl", "issuer_key", "_index", "_signers")

    def __init__(self, crl: x509.CertificateRevocationList) -> None:
        if not isinstance(crl, x509.CertificateRevocationList):
            raise TypeError(f"a CRL must be an x509.CertificateRevocationList, "
                            f"not {type(crl).__name__}")
        self.crl = crl
        self.issuer_key = name_key(crl.issuer)
        self._index: RevocationIndex | None = None
        self._signers: set[bytes] = set()

    def index(self) -> RevocationIndex:
        """Raises what reading a damaged entry raises (PARSE_ERRORS), every time."""
        if self._index is None:
            self._index = RevocationIndex(self.crl)
        return self._index

    def signed_by(self, key: object) -> bool:
        """Whether `key` signed the CRL (False for a key that cannot have)."""
        if not proven.caching():
            return crl_signed_by(self.crl, key)
        try:
            spki = key.public_bytes(serialization.Encoding.DER,  # type: ignore[attr-defined]
                                    serialization.PublicFormat.SubjectPublicKeyInfo)
        except (AttributeError, *PARSE_ERRORS):
            return crl_signed_by(self.crl, key)
        if spki in self._signers:
            return True
        if not crl_signed_by(self.crl, key):
            return False
        self._signers.add(spki)
        return True

    def signed_by_certificate(self, cert: x509.Certificate) -> bool:
        """Whether the key `cert` holds by itself signed the CRL; False for a key pki cannot
        use."""
        try:
            return self.signed_by(working_public_key(cert, None))
        except UnusableKey:
            return False


# Facts by CRL object, for every device of the process; weighed by entries, so that a few large
# CRLs (150,000 entries: about 15 MB of index) do not hold gigabytes.
_FACTS: proven.Memo[int, CrlFacts] = proven.Memo(
    256, weight=1_000_000, weigh=lambda facts: 1 + len(facts.crl))
# The object for the bytes of a download: the same bytes from the same server, the same object;
# weighed by bytes (a 5 MB CRL parsed is a few times that again).
_LOADED: proven.Memo[bytes, tuple[x509.CertificateRevocationList, int]] = proven.Memo(
    64, weight=32 << 20, weigh=lambda loaded: loaded[1])


def facts_of(crl: x509.CertificateRevocationList) -> CrlFacts:
    """The facts of `crl`, shared while caching is on; fresh ones otherwise."""
    found = _FACTS.get(id(crl))
    if found is not None and found.crl is crl:
        return found
    found = CrlFacts(crl)
    _FACTS.put(id(crl), found)
    return found


def load_shared_crl(data: bytes, *, source: str) -> x509.CertificateRevocationList:
    """pki.loaders.load_crl, the same object for the same bytes (LoadError is raised afresh
    for every bad download: only a CRL that loaded is remembered)."""
    data = bytes(data)
    found = _LOADED.get(data)
    if found is not None:
        return found[0]
    crl = load_crl(data, source=source)
    _LOADED.put(data, (crl, len(data)))
    return crl


class RevocationCache:
    """The facts of the CRLs one daemon validates with, by CRL object, least recently used
    dropped beyond `size`.

    pkid validates on every negotiation, so it keeps one cache and passes it to each call
    (`revocation_cache=`). With caching on (pki.proven) the facts are the process's shared
    ones; with it off each cache builds its own indexes, as before the memos, and checks every
    signature every time.
    """

    def __init__(self, size: int = 64) -> None:
        if size < 1:
            raise ValueError(f"cache size {size}: must be at least 1")
        self.size = size
        self._facts: OrderedDict[int, CrlFacts] = OrderedDict()

    def facts(self, crl: x509.CertificateRevocationList) -> CrlFacts:
        key = id(crl)
        found = self._facts.get(key)
        if found is not None and found.crl is crl:
            self._facts.move_to_end(key)
            return found
        found = self._facts[key] = facts_of(crl)
        while len(self._facts) > self.size:
            self._facts.popitem(last=False)
        return found

    def index(self, crl: x509.CertificateRevocationList) -> RevocationIndex:
        return self.facts(crl).index()

    def has_unknown_critical_entry_extension(self, crl: x509.CertificateRevocationList) -> bool:
        """RFC 5280 5.3: a CRL with an entry extension we cannot process is not used at all."""
        try:
            return self.index(crl).unknown_critical_entry_extension
        except PARSE_ERRORS:
            return True  # an entry extension that cannot even be parsed cannot be processed

    def __len__(self) -> int:
        return len(self._facts)
