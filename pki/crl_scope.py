"""Which CRLs cover a certificate: RFC 5280 6.3.3 (b), distribution points and indirect CRLs.

A certificate's revocation status comes from a CRL named by one of its distribution points
(CRLDistributionPoints), or, when none of them settles it, from any CRL of the certificate's
issuer not tied to a distribution point (the last paragraph of 6.3.3). A point whose cRLIssuer
names another entity is served by that entity's CRL, which must then say it is indirect
(issuingDistributionPoint indirectCRL, 5.2.5); whose entries belong to which issuer is
pki.crl.RevocationIndex's business (certificateIssuer, 5.3.3).

Deviation: the reasons field of a distribution point is not intersected with the CRL's
onlySomeReasons (6.3.3 (d)); a CRL's own scope alone decides which reasons it covers.
"""

from __future__ import annotations

from collections.abc import Iterable

from cryptography import x509

from pki.certs import is_ca
from pki.context import ValidationContext
from pki.crl_facts import facts_of
from pki.name_match import issuer_key, names_match

ALL_REASONS = frozenset(x509.ReasonFlags) - {x509.ReasonFlags.unspecified,
                                             x509.ReasonFlags.remove_from_crl}

# 6.3.3: "any available CRLs not specified in a distribution point but issued by the
# certificate issuer": a point with neither a name nor a cRLIssuer (which `cryptography`
# cannot build, hence None).
_ISSUER_ITSELF = None


def distribution_points(cert: x509.Certificate) -> list[x509.DistributionPoint | None]:
    """The certificate's distribution points, then None: the fallback to its issuer's CRLs."""
    try:
        cdp = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except x509.ExtensionNotFound:
        return [_ISSUER_ITSELF]
    return [*cdp, _ISSUER_ITSELF]


def crl_issuers(cert: x509.Certificate) -> list[x509.Name]:
    """Whose CRLs may cover `cert`: the other CRL issuers its distribution points name in
    cRLIssuer (indirect CRLs), each once, then its issuer, always last."""
    others: list[x509.Name] = []
    for point in distribution_points(cert):
        for name in _directory_names(point.crl_issuer or ()) if point is not None else ():
            if not any(names_match(name, seen) for seen in [*others, cert.issuer]):
                others.append(name)
    return [*others, cert.issuer]


def candidate_crls(cert: x509.Certificate, ctx: ValidationContext
                   ) -> list[x509.CertificateRevocationList]:
    """The loaded CRLs issued by anyone in `crl_issuers(cert)`, each once."""
    found = [crl for name in crl_issuers(cert) for crl in ctx.crls_from(name)]
    # CRL objects are not hashable; the context holds each one once, so identity will do.
    return list({id(crl): crl for crl in found}.values())


def scope(crl: x509.CertificateRevocationList, cert: x509.Certificate) -> frozenset | None:
    """The revocation reasons `crl` covers for `cert`; None when it does not cover `cert`."""
    try:
        idp = crl.extensions.get_extension_for_class(x509.IssuingDistributionPoint).value
    except x509.ExtensionNotFound:
        idp = None
    except ValueError:
        # Malformed: in scope but unusable (reported by the usability checks) when it comes
        # from the certificate's issuer; nobody else's CRL can be shown to cover it.
        return frozenset() if _issued_by_issuer(crl, cert) else None
    if idp is not None:
        # 6.3.3 (b)(2)(ii)-(iv): the kinds of certificate the CRL is limited to.
        if idp.only_contains_attribute_certs:
            return None
        if idp.only_contains_user_certs and is_ca(cert):
            return None
        if idp.only_contains_ca_certs and not is_ca(cert):
            return None
    if not any(_point_covers(point, crl, idp, cert) for point in distribution_points(cert)):
        return None
    if idp is not None and idp.only_some_reasons:
        return frozenset(idp.only_some_reasons) & ALL_REASONS
    return ALL_REASONS


def _point_covers(point: x509.DistributionPoint | None, crl: x509.CertificateRevocationList,
                  idp: x509.IssuingDistributionPoint | None, cert: x509.Certificate) -> bool:
    if point is None:
        # The issuer's CRLs outside any distribution point: a CRL of the issuer that is not
        # limited to a named distribution point.
        return _issued_by_issuer(crl, cert) and (
            idp is None or not (idp.full_name or idp.relative_name))
    # 6.3.3 (b)(1): a point with a cRLIssuer is served by an indirect CRL of that issuer;
    # any other point by a CRL of the certificate's issuer.
    if point.crl_issuer:
        if idp is None or not idp.indirect_crl:
            return False
        if not any(names_match(dn, crl.issuer) for dn in _directory_names(point.crl_issuer)):
            return False
    elif not _issued_by_issuer(crl, cert):
        return False
    # 6.3.3 (b)(2)(i): a CRL for one distribution point covers only certificates naming it.
    if idp is None or not (idp.full_name or idp.relative_name):
        return True
    wanted = _point_names(idp.full_name, idp.relative_name, [crl.issuer])
    if point.full_name or point.relative_name:
        # 4.2.1.13: a relative name is appended to the cRLIssuer's name, when there is one,
        # else to the certificate issuer's.
        bases = _directory_names(point.crl_issuer or ()) or [cert.issuer]
        names = _point_names(point.full_name, point.relative_name, bases)
    else:
        # The point has only a cRLIssuer: one of its names must be one of the IDP's.
        names = list(point.crl_issuer or ())
    return any(_general_names_equal(a, b) for a in names for b in wanted)


def _issued_by_issuer(crl: x509.CertificateRevocationList, cert: x509.Certificate) -> bool:
    return facts_of(crl).issuer_key == issuer_key(cert)


def _directory_names(names: Iterable[x509.GeneralName]) -> list[x509.Name]:
    return [name.value for name in names if isinstance(name, x509.DirectoryName)]


def _point_names(full_name, relative_name, bases: list[x509.Name]) -> list[x509.GeneralName]:
    if full_name:
        return list(full_name)
    return [x509.DirectoryName(x509.Name([*base.rdns, relative_name])) for base in bases]


def _general_names_equal(a: x509.GeneralName, b: x509.GeneralName) -> bool:
    if isinstance(a, x509.DirectoryName) and isinstance(b, x509.DirectoryName):
        return names_match(a.value, b.value)
    return a == b
