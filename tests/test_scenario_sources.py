"""The bundled scenarios cite primary outlets, never a truncated link or a replaced mirror."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import sim

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = sorted(p for p in (ROOT / "scenarios").glob("*.yaml") if not p.stem.startswith("tutorial"))

# Outlets that first published the statements the scenarios rely on (news agencies, state media,
# the agencies themselves), as named in docs/sources.md.
PRIMARY = (
    "TASS", "RIA", "Interfax", "Sputnik", "Izvestia", "Kremlin", "Roscosmos",
    "Xinhua", "CGTN", "CNSA", "CRI", "China Daily", "China News Service",
    "SpaceNews", "Reuters", "WAM", "GAO",
)

# Items for which docs/sources.md has no report from a primary outlet: the only retrieved copy is
# cited instead. Each entry says why, so that a new primary source shows up as a stale entry.
NO_PRIMARY = {
    "change-7-at-wenchang": "the arrival at Wenchang is reported only by CosmoScience.in (§3d)",
    "change-7-landing": "the 2-month orbital survey before landing is reported only by NewsBytes (§3d)",
}

# Pages that docs/sources.md §6 replaces with a primary outlet's report of the same statement
# (or a corrected date): citing them again would undo that correction.
REPLACED = {
    "e.eshraag.com": "Rogozin on the Moon base: Washington Examiner quoting TASS (§6)",
    "tgcom24.mediaset.it": "Rogozin on the ISS, misdated: Washington Examiner quoting TASS (§6)",
    "m.tyhy56.com": "Chang'e-6 samples: CNSA / Xinhua (§3d)",
    "dubailogisticscity.net": "Chang'e-7 dates: SpaceNews (§6)",
    "sputniknews.com/20221221": "the agreement's signing: Kremlin and TASS (§6)",
    "vestikavkaza.ru": "the agreement's signing: Kremlin and TASS (§6)",
}

# Reposting sites: citable only when the citation names the outlet they repost.
MIRRORS = {
    "exbulletin.com": "SpaceNews",
    "htradingonline-fpmarkets.com": "Reuters",
    "ampravda.ru": "TASS",
    "online47.ru": "TASS",
    "khabarasia.com": "CGTN",
    "dunyanews.tv": "Reuters",
    "thewall.fyi": "Sputnik",
    "www.leonarddavid.com": "Xinhua",
    "en.people.cn": "Xinhua",
}

URL = re.compile(r"https?://[^\s,;()]+")


def _items(path: Path) -> list[tuple[str, str]]:
    sc = sim.load(path)
    items = [*sc.milestones.values(), *sc.risks.values()]
    return [(item.id, " ".join((item.source or "").split())) for item in items]


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_every_source_names_a_primary_outlet(path):
    missing = [i for i, s in _items(path) if i not in NO_PRIMARY and not any(o in s for o in PRIMARY)]
    assert not missing, f"{path.name}: no primary outlet named for {missing}"


def test_no_primary_entries_are_still_needed():
    sources = {i: s for path in BUNDLED for i, s in _items(path)}
    for item in NO_PRIMARY:
        assert item in sources, f"{item} is no longer in a bundled scenario"
        assert not any(o in sources[item] for o in PRIMARY), f"{item} now cites a primary outlet"


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_no_truncated_or_replaced_links(path):
    for item, source in _items(path):
        for url in URL.findall(source):
            assert "..." not in url and "…" not in url, f"{path.name}: {item}: truncated link {url}"
            for page, instead in REPLACED.items():
                assert page not in url, f"{path.name}: {item}: {url} is replaced by {instead}"


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_mirrors_name_the_outlet_they_repost(path):
    for item, source in _items(path):
        for match in URL.finditer(source):
            host = match.group().split("/")[2]
            if host in MIRRORS:
                # The citation is "Outlet / Primary, date, URL": the name sits just before the link.
                before = source[max(0, match.start() - 120) : match.start()]
                assert MIRRORS[host] in before, f"{path.name}: {item}: {host} cited without {MIRRORS[host]}"
