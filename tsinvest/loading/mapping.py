"""Column mapping: rename export columns to canonical names before validation.

A mapping is ``{"export_name": "canonical_name"}``, given as a dict or as a
path to a small YAML file. A YAML file may also be keyed per table::

    events:
      user_id: account_id
      event_time: ts
    accounts:
      uid: account_id

Examples
--------
>>> resolve_mapping({"user_id": "account_id"}, table="events")
{'user_id': 'account_id'}
>>> apply_mapping(["user_id", "ts"], {"user_id": "account_id"})
['account_id', 'ts']
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from tsinvest.exceptions import ParameterError
from tsinvest.schemas import TABLE_NAMES

__all__ = ["resolve_mapping", "read_mapping_file", "apply_mapping"]


def read_mapping_file(path: str | Path) -> dict:
    """Read a YAML mapping file (flat or keyed per table); raise ParameterError if unusable."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise ParameterError(f"mapping file '{path}' does not exist; pass a dict or a path to a YAML file")
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise ParameterError(f"mapping file '{path}' is not valid UTF-8 YAML ({type(error).__name__})") from None
    if content is None:
        return {}
    if not isinstance(content, dict):
        raise ParameterError(f"mapping file '{path}' must hold a mapping of export_name: canonical_name")
    return content


def resolve_mapping(mapping: Mapping | str | Path | None, *, table: str) -> dict[str, str]:
    """Return the flat ``{export: canonical}`` mapping that applies to ``table``.

    A mapping whose top-level keys are canonical table names holding dicts is
    per-table; any other mapping applies to every table.
    """
    if mapping is None:
        return {}
    if isinstance(mapping, str | Path):
        mapping = read_mapping_file(mapping)
    if not isinstance(mapping, Mapping):
        raise ParameterError("mapping= must be a dict {export_name: canonical_name} or a path to a YAML file")
    per_table = bool(mapping) and all(
        key in TABLE_NAMES and isinstance(value, Mapping | None) for key, value in mapping.items()
    )
    if per_table:
        mapping = mapping.get(table) or {}
    flat: dict[str, str] = {}
    for source, target in mapping.items():
        if not isinstance(source, str) or not isinstance(target, str):
            raise ParameterError(
                "mapping= entries must be export_name: canonical_name strings "
                "(for several tables, key the mapping by table name)"
            )
        flat[source] = target
    targets = list(flat.values())
    doubled = sorted({t for t in targets if targets.count(t) > 1})
    if doubled:
        raise ParameterError(f"mapping= maps several columns onto {', '.join(doubled)}; map exactly one")
    return flat


def apply_mapping(columns: list[str], mapping: Mapping[str, str]) -> list[str]:
    """Rename columns; names not in the mapping are kept."""
    return [mapping.get(name, name) for name in columns]
