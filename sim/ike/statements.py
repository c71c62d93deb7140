"""Junos proposal statements to values and back, through keyword tables such as
{"aes-128-cbc": EncryptionAlgorithm.AES_128_CBC}: what IKE proposals (sim.ike.proposals) and
IPsec proposals (sim.ike.ipsec_proposals) both read from and write to configuration.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping


def _keyword(table: Mapping[str, object], value: object) -> str:
    """The configuration keyword of `value` in `table`."""
    return next(k for k, v in table.items() if v == value)


def reject_unknown(what: str, statements: Mapping[str, object], known: Collection[str]) -> None:
    """ValueError naming the first statement (alphabetically) that `what` does not have."""
    unknown = set(statements) - set(known)
    if unknown:
        raise ValueError(f"{what}: unknown statement {sorted(unknown)[0]}")


def keywords_of(value: object, tables: Mapping[str, Mapping[str, object]]) -> dict[str, str]:
    """{statement: keyword} for each statement of `tables`, from the field of `value` it sets
    ("dh-group" from dh_group)."""
    return {statement: _keyword(table, getattr(value, _field(statement)))
            for statement, table in tables.items()}


def keyword_values(what: str, statements: Mapping[str, object],
                   tables: Mapping[str, Mapping[str, object]], *,
                   required: bool) -> dict[str, object]:
    """{field name: value} for each statement of `tables` ("dh-group" -> "dh_group"), looked up
    in its table. `required`: a missing statement is named as missing, else it is reported as a
    keyword that is not in the table."""
    values: dict[str, object] = {}
    for statement, table in tables.items():
        if required and statement not in statements:
            raise ValueError(f"{what}: missing {statement}")
        word = statements.get(statement)
        if word not in table:
            raise ValueError(f"{what}: {statement} {word}: expected one of {', '.join(table)}")
        values[_field(statement)] = table[word]
    return values


def _field(statement: str) -> str:
    return statement.replace("-", "_")
