"""Certificate policy processing: the valid_policy_tree of RFC 5280 6.1.

`PolicyProcessor` holds the policy part of the path-processing state (valid_policy_tree,
explicit_policy, policy_mapping, inhibit_anyPolicy) and is driven one certificate at a time by
pki.validate. Policy qualifiers are not kept: nothing here acts on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography import x509
from cryptography.x509.oid import ExtensionOID

ANY_POLICY = x509.oid.CertificatePoliciesOID.ANY_POLICY.dotted_string


@dataclass(frozen=True, kw_only=True)
class PolicySettings:
    """The policy inputs of RFC 5280 6.1.1 (c), (e), (f), (g). Defaults: accept any policy."""

    initial_policies: frozenset[str] = frozenset({ANY_POLICY})
    explicit_policy: bool = False
    policy_mapping_inhibit: bool = False
    any_policy_inhibit: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "initial_policies", frozenset(self.initial_policies))
        if not self.initial_policies:
            raise ValueError("initial_policies must name at least one policy (or anyPolicy)")


@dataclass(eq=False)
class _Node:
    policy: str
    expected: set[str]
    parent: _Node | None
    children: list[_Node] = field(default_factory=list)


class PolicyError(Exception):
    """A policy check failed; the message says which."""


class PolicyProcessor:
    def __init__(self, settings: PolicySettings, n: int) -> None:
        self.settings = settings
        self.n = n
        root = _Node(ANY_POLICY, {ANY_POLICY}, None)
        self.levels: list[list[_Node]] | None = [[root]]  # None: the tree is NULL
        # 6.1.2 (d), (e), (f)
        self.explicit_policy = 0 if settings.explicit_policy else n + 1
        self.inhibit_any_policy = 0 if settings.any_policy_inhibit else n + 1
        self.policy_mapping = 0 if settings.policy_mapping_inhibit else n + 1

    # -- 6.1.3 (d), (e), (f) -------------------------------------------------------------------

    def process(self, i: int, cert: x509.Certificate, self_issued: bool) -> None:
        policies = _extension(cert, x509.CertificatePolicies)
        if policies is not None and self.levels is not None:
            self._add_level(i, policies, self_issued)
        elif policies is None:
            self.levels = None  # (e)
        if self.explicit_policy <= 0 and self.levels is None:  # (f)
            raise PolicyError("no valid policy and an explicit policy is required")

    def _add_level(self, i: int, policies: x509.CertificatePolicies, self_issued: bool) -> None:
        parents = self.levels[i - 1]
        level: list[_Node] = []
        oids = [p.policy_identifier.dotted_string for p in policies]
        for oid in oids:  # (d)(1)
            if oid == ANY_POLICY:
                continue
            matches = [node for node in parents if oid in node.expected]
            if not matches:
                matches = [node for node in parents if node.policy == ANY_POLICY][:1]
            for parent in matches:
                level.append(self._child(parent, oid, {oid}))
        if ANY_POLICY in oids and (self.inhibit_any_policy > 0
                                   or (i < self.n and self_issued)):  # (d)(2)
            for parent in parents:
                present = {child.policy for child in parent.children}
                for oid in sorted(parent.expected - present):
                    level.append(self._child(parent, oid, {oid}))
        self.levels.append(level)
        self._prune(i)  # (d)(3)

    @staticmethod
    def _child(parent: _Node, policy: str, expected: set[str]) -> _Node:
        node = _Node(policy, set(expected), parent)
        parent.children.append(node)
        return node

    def _prune(self, depth: int) -> None:
        """Delete childless nodes above `depth`, bottom up; an empty tree becomes NULL."""
        for d in range(depth - 1, -1, -1):
            keep = []
            for node in self.levels[d]:
                if node.children:
                    keep.append(node)
                elif node.parent is not None:
                    node.parent.children.remove(node)
            self.levels[d] = keep
        if not self.levels[0] or not self.levels[-1]:
            self.levels = None

    # -- 6.1.4 (a), (b), (h), (i), (j) ---------------------------------------------------------

    def prepare(self, i: int, cert: x509.Certificate, self_issued: bool) -> None:
        pairs = policy_mappings(cert)
        if pairs is not None:
            if any(ANY_POLICY in pair for pair in pairs):  # (a)
                raise PolicyError("a policy mapping maps to or from anyPolicy")
            if self.levels is not None:
                self._map(i, pairs)  # (b)
        if not self_issued:  # (h)
            self.explicit_policy = max(self.explicit_policy - 1, 0)
            self.policy_mapping = max(self.policy_mapping - 1, 0)
            self.inhibit_any_policy = max(self.inhibit_any_policy - 1, 0)
        constraints = _extension(cert, x509.PolicyConstraints)
        if constraints is not None:  # (i)
            if constraints.require_explicit_policy is not None:
                self.explicit_policy = min(self.explicit_policy,
                                           constraints.require_explicit_policy)
            if constraints.inhibit_policy_mapping is not None:
                self.policy_mapping = min(self.policy_mapping, constraints.inhibit_policy_mapping)
        inhibit = _extension(cert, x509.InhibitAnyPolicy)
        if inhibit is not None:  # (j)
            self.inhibit_any_policy = min(self.inhibit_any_policy, inhibit.skip_certs)

    def _map(self, i: int, pairs: list[tuple[str, str]]) -> None:
        mapped: dict[str, list[str]] = {}
        for issuer_policy, subject_policy in pairs:
            targets = mapped.setdefault(issuer_policy, [])
            if subject_policy not in targets:
                targets.append(subject_policy)
        level = self.levels[i]
        for issuer_policy, targets in mapped.items():
            nodes = [node for node in level if node.policy == issuer_policy]
            if self.policy_mapping > 0:  # (b)(1)
                for node in nodes:
                    node.expected = set(targets)
                if not nodes:
                    any_node = next((n for n in level if n.policy == ANY_POLICY), None)
                    if any_node is not None:
                        level.append(self._child(any_node.parent, issuer_policy, set(targets)))
            else:  # (b)(2)
                for node in nodes:
                    level.remove(node)
                    node.parent.children.remove(node)
                self._prune(i)
                if self.levels is None:
                    return
                level = self.levels[i]

    # -- 6.1.5 (a), (b), (g) -------------------------------------------------------------------

    def wrap_up(self, cert: x509.Certificate) -> None:
        if self.explicit_policy > 0:  # (a)
            self.explicit_policy -= 1
        constraints = _extension(cert, x509.PolicyConstraints)
        if constraints is not None and constraints.require_explicit_policy == 0:  # (b)
            self.explicit_policy = 0
        self._intersect()  # (g)
        if self.explicit_policy <= 0 and self.levels is None:
            raise PolicyError("no certificate policy acceptable to the user is valid for this path")

    def _intersect(self) -> None:
        wanted = self.settings.initial_policies
        if self.levels is None or ANY_POLICY in wanted:  # (g)(i), (g)(ii)
            return
        depth = len(self.levels) - 1
        # (g)(iii)(1): the valid_policy_node_set, nodes whose parent is an anyPolicy node.
        node_set = [node for level in self.levels for node in level
                    if node.parent is not None and node.parent.policy == ANY_POLICY]
        # (g)(iii)(2): drop the set's nodes whose policy the user did not ask for.
        for node in node_set:
            if node.policy != ANY_POLICY and node.policy not in wanted:
                self._remove_subtree(node)
        # (g)(iii)(3): an anyPolicy leaf stands for every wanted policy not yet in the set.
        leaves_any = [node for node in self.levels[depth] if node.policy == ANY_POLICY]
        present = {node.policy for node in node_set}
        for any_leaf in leaves_any:
            for oid in sorted(wanted - present):
                self.levels[depth].append(self._child(any_leaf.parent, oid, {oid}))
            self.levels[depth].remove(any_leaf)
            any_leaf.parent.children.remove(any_leaf)
        self._prune(depth)  # (g)(iii)(4)

    def _remove_subtree(self, node: _Node) -> None:
        stack = [node]
        doomed = set()
        while stack:
            current = stack.pop()
            doomed.add(id(current))
            stack.extend(current.children)
        if node.parent is not None:
            node.parent.children.remove(node)
        self.levels = [[n for n in level if id(n) not in doomed] for level in self.levels]


def policy_mappings(cert: x509.Certificate) -> list[tuple[str, str]] | None:
    """The (issuerDomainPolicy, subjectDomainPolicy) pairs; `cryptography` does not parse them.

    PolicyMappings ::= SEQUENCE OF SEQUENCE { issuerDomainPolicy OID, subjectDomainPolicy OID }
    """
    try:
        ext = cert.extensions.get_extension_for_oid(ExtensionOID.POLICY_MAPPINGS).value
    except x509.ExtensionNotFound:
        return None
    outer, rest = _der(ext.value, 0x30)
    if rest:
        raise PolicyError("policyMappings has trailing data")
    pairs = []
    while outer:
        pair, outer = _der(outer, 0x30)
        issuer, pair = _der(pair, 0x06)
        subject, pair = _der(pair, 0x06)
        if pair:
            raise PolicyError("a policy mapping has trailing data")
        pairs.append((_oid(issuer), _oid(subject)))
    return pairs


def _der(data: bytes, tag: int) -> tuple[bytes, bytes]:
    """The contents of the DER element of `tag` that starts `data`, and what follows it."""
    if len(data) < 2 or data[0] != tag:
        raise PolicyError("policyMappings is not valid DER")
    length, offset = data[1], 2
    if length & 0x80:
        count = length & 0x7F
        length, offset = int.from_bytes(data[2:2 + count], "big"), 2 + count
    end = offset + length
    if end > len(data):
        raise PolicyError("policyMappings is truncated")
    return data[offset:end], data[end:]


def _oid(body: bytes) -> str:
    if not body:
        raise PolicyError("an empty policy OID")
    arcs, value = [], 0
    for byte in body:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(a) for a in (first, arcs[0] - 40 * first, *arcs[1:]))


def _extension(cert: x509.Certificate, kind: type) -> object | None:
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None
