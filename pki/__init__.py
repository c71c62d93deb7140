"""ikesim's PKI library: keys, certificates, CRLs and RFC 5280 path validation.

Pure: nothing here reads the clock or does I/O. The validation surface is re-exported here.
"""

from pki.context import RevocationCache, ValidationContext, load_certificates, load_crls
from pki.policy_tree import ANY_POLICY, PolicySettings
from pki.result import CrlNeeded, ValidationFailure, ValidationResult
from pki.validate import validate_in_context, validate_path

__all__ = [
    "ANY_POLICY",
    "CrlNeeded",
    "PolicySettings",
    "RevocationCache",
    "ValidationContext",
    "ValidationFailure",
    "ValidationResult",
    "load_certificates",
    "load_crls",
    "validate_in_context",
    "validate_path",
]
