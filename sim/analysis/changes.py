"""What changed between two scenario documents, as groups of keys that can be applied to the old
one in any combination (for `lunarsim explain`).

Both documents are the files as resolved (after `extends`). A change is a set of key paths whose
values are taken from the new document (or dropped where the new one has none): each milestone,
risk and resource whose definition changed (its `actual` aside), one group "status date and
actuals" (`as_of` and every milestone's `actual`), the correlation groups, the reference data,
`start` and `horizon`, and "noise" (`seed` and `iterations`). Changes that name each other's
added or removed ids (a new milestone and the changed milestone that now waits for it) are
merged into one, so that every combination is a scenario that can be checked and run.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.errors import Problem, ScenarioError
from sim.scenario.extends import read_chain
from sim.scenario.yamlsource import Source

Key = tuple[str, ...]
ITEMS = ("milestones", "risks", "resources")
STATUS = "status date and actuals"
NOISE = "noise (seed, iterations)"
_IGNORED = {"name", "description", "format", "extends", "remove", "headline"}
_GROUPS = {
    "seed": NOISE,
    "iterations": NOISE,
    "as_of": STATUS,
    "start": "start and horizon",
    "horizon": "start and horizon",
    "reference_data": "reference data",
    "correlations": "correlations",
}
_KINDS = {"milestones": "milestone", "risks": "risk", "resources": "resource"}


@dataclass(frozen=True)
class Change:
    """One group of changes: `name` as the JSON shows it, `label` in words, the keys it sets."""

    name: str
    label: str
    keys: tuple[Key, ...]


def _get(doc: Any, key: Key) -> Any:
    node = doc
    for part in key:
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node


_MISSING = object()


def _strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(_strings(v) for v in value.values()), set(map(str, value))) if value else set()
    if isinstance(value, list):
        return set().union(*(_strings(v) for v in value)) if value else set()
    return set()


def _without_actual(item: Any) -> Any:
    return {k: v for k, v in item.items() if k != "actual"} if isinstance(item, dict) else item


def _item_label(kind: str, iid: str, old: Any, new: Any) -> str:
    source = new if new is not _MISSING else old
    title = source.get("title") if isinstance(source, dict) else None
    how = "added" if old is _MISSING else "removed" if new is _MISSING else "changed"
    return f"{title or iid} ({_KINDS[kind]} {how})"


def changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every change from `old` to `new`, merged where combinations would not be whole scenarios."""
    singles: list[Change] = []
    grouped: dict[str, list[Key]] = {}
    for top in sorted(set(old) | set(new)):
        if top in _IGNORED or top in ITEMS or old.get(top, _MISSING) == new.get(top, _MISSING):
            continue
        grouped.setdefault(_GROUPS.get(top, f"setting {top}"), []).append((top,))
    for kind in ITEMS:
        a, b = old.get(kind) or {}, new.get(kind) or {}
        for iid in list(a) + [i for i in b if i not in a]:
            o, n = a.get(iid, _MISSING), b.get(iid, _MISSING)
            if kind == "milestones":
                was = o.get("actual", _MISSING) if isinstance(o, dict) else _MISSING
                now = n.get("actual", _MISSING) if isinstance(n, dict) else _MISSING
                if was != now:
                    grouped.setdefault(STATUS, []).append((kind, str(iid), "actual"))
                o, n = _without_actual(o), _without_actual(n)
            if o != n:
                label = _item_label(kind, str(iid), a.get(iid, _MISSING), b.get(iid, _MISSING))
                singles.append(Change(f"{_KINDS[kind]}:{iid}", label, ((kind, str(iid)),)))
    singles += [Change(name, name, tuple(keys)) for name, keys in grouped.items()]
    return _merge_linked(singles, old, new)


def _merge_linked(found: list[Change], old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Merge changes that name an id another change adds or removes (union-find on the ids)."""
    owner: dict[str, int] = {}
    for i, c in enumerate(found):
        for key in c.keys:
            if len(key) == 2 and (_get(old, key) is _MISSING or _get(new, key) is _MISSING):
                owner[key[1]] = i
    parent = list(range(len(found)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, c in enumerate(found):
        named = set().union(*(_strings(_get(d, k)) for d in (old, new) for k in c.keys))
        for iid in named & owner.keys():
            parent[root(owner[iid])] = root(i)
    merged: dict[int, list[Change]] = {}
    for i, c in enumerate(found):
        merged.setdefault(root(i), []).append(c)
    return [_joined(members) for members in merged.values()]


def _joined(members: list[Change]) -> Change:
    """Linked changes as one (a single change as it is)."""
    if len(members) == 1:
        return members[0]
    return Change(
        " + ".join(m.name for m in members),
        f"{members[0].label} and {len(members) - 1} linked change{'s' if len(members) > 2 else ''}",
        tuple(k for m in members for k in m.keys),
    )


def _set(doc: dict[str, Any], key: Key, value: Any) -> None:
    node = doc
    for part in key[:-1]:
        if not isinstance(node.get(part), dict):
            if value is _MISSING:
                return
            node[part] = {}
        node = node[part]
    if value is _MISSING:
        node.pop(key[-1], None)
    else:
        node[key[-1]] = copy.deepcopy(value)


def apply(old: dict[str, Any], new: dict[str, Any], chosen: list[Change]) -> dict[str, Any]:
    """`old` with the chosen changes taken from `new`; a whole milestone keeps the `actual` it
    has unless "status date and actuals" is among the chosen (then it has the new one)."""
    doc = copy.deepcopy(old)
    keys = [k for c in chosen for k in c.keys]
    for key in (k for k in keys if len(k) != 3):
        value = _get(new, key)
        if key[0] == "milestones" and len(key) == 2 and isinstance(value, dict):
            kept = _get(doc, (*key, "actual"))
            value = _without_actual(value)
            if kept is not _MISSING:
                value = {**value, "actual": kept}
        _set(doc, key, value)
    for key in (k for k in keys if len(k) == 3):
        if isinstance(_get(doc, key[:2]), dict):
            _set(doc, key, _get(new, key))
    for kind in ITEMS:  # the new file's order (it breaks ties on a driving path), then the rest
        items, order = doc.get(kind), new.get(kind)
        if isinstance(items, dict) and isinstance(order, dict):
            doc[kind] = {**{i: items[i] for i in order if i in items}, **items}
    return doc


def _named(doc: dict[str, Any], kind: str, iid: str, skip: str = "") -> set[str]:
    item = (doc.get(kind) or {}).get(iid)
    if not isinstance(item, dict):
        return set()
    return _strings({k: v for k, v in item.items() if k != skip})


def influencing(old: dict[str, Any], new: dict[str, Any], head: str) -> set[str]:
    """The milestones that can move `head` in some combination of the two documents: its
    predecessors (in either), those sharing a resource or a correlation group with one of them,
    decisions whose outcomes act on one, and their predecessors in turn (a superset, read from text)."""
    docs = (old, new)
    ids = {str(i) for d in docs for i in (d.get("milestones") or {})}
    found, grew = {head}, True
    while grew:
        before = len(found)
        for d in docs:
            for mid in list(found):
                item = (d.get("milestones") or {}).get(mid)
                if isinstance(item, dict):
                    found |= _strings(item.get("after")) & ids
                    found |= _strings(item.get("uses")) & ids
            for mid in ids - found:
                mine = _named(d, "milestones", mid, skip="after")
                uses = _strings(((d.get("milestones") or {}).get(mid) or {}).get("uses"))
                shared = any(
                    uses & _strings(((d.get("milestones") or {}).get(f) or {}).get("uses")) for f in found
                )
                if mine & found or shared:
                    found.add(mid)
            for group in d.get("correlations") or []:
                members = _strings(group) & ids
                if members & found:
                    found |= members
        grew = len(found) > before
    return found


def inert(change: Change, old: dict[str, Any], new: dict[str, Any], moving: set[str]) -> bool:
    """True when the change cannot move the milestone (no key of it reaches one in `moving`):
    its Shapley part is exactly 0 and it need not be run."""
    correlated = _strings(old.get("correlations")) | _strings(new.get("correlations"))
    for key in change.keys:
        if len(key) != 2 or key[0] not in ITEMS:
            return False
        kind, iid = key
        if kind == "milestones" and iid in moving:
            return False
        if kind == "risks" and (
            iid in correlated or (_named(old, kind, iid) | _named(new, kind, iid)) & moving
        ):
            return False
        if kind == "resources" and any(
            iid in _strings(((d.get("milestones") or {}).get(m) or {}).get("uses"))
            for d in (old, new)
            for m in moving
        ):
            return False
    return True


def document(path: Path) -> tuple[Source, list[Path]]:
    """A scenario file as resolved (after `extends`), its `reference_data` made absolute so that
    the document means the same wherever it is read (or stored) from."""
    source, chain = read_chain(path)
    data = dict(source.data)
    name = data.get("reference_data")
    if isinstance(name, str) and name.strip():  # relative to the file that names it
        mark = source.marks.get(("reference_data",))
        base = mark.file if mark is not None else source.path
        data["reference_data"] = str((Path(base).parent / name.strip()).resolve())
    return Source(source.path, data, source.marks, source.key_marks, source.text), chain


RECORDED = re.compile(r"run:(\d+)")


def recorded(arg: str, store: Path) -> tuple[Source, list[Path]]:
    """`run:ID`: the scenario document a recorded run ran (`lunarsim history --json` gives ids)."""
    from sim.analysis.history import run_by_id

    match = RECORDED.fullmatch(arg)
    entry = run_by_id(store, int(match.group(1))) if match else None
    if entry is None:
        raise ScenarioError(Problem(f"no recorded run {arg!r} in this history store", store))
    path = Path(entry["scenario"]["path"] or arg)
    return Source(path, entry["resolved"], {}, {}, b""), [path]
