"""Questions about somewhere else: "北京那边用专利贷款，政府给不给贴利息？" put to a Tianjin office.

A document issued by a local office speaks for its own province-level region (read from
its issuer, else its title, with the gazetteer in resources/places.tsv); a national
document (no place in issuer or title) speaks for everywhere. A passage of a local
document does not answer a question naming another region unless the passage itself
names that place, and a name inside an organisation's name ("北京银行") does not count.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .tokenize import RESOURCES

PLACES_FILE = RESOURCES / "places.tsv"
# A place name followed by one of these is part of an organisation's name, not the place.
_ORGANISATION_AFTER = "银行|分行|支行|农商|大学|学院|公司|集团|证券|保险|医院|日报|电视台"


@lru_cache(maxsize=1)
def gazetteer() -> dict[str, str]:
    """Place name → the province-level region it belongs to."""
    places = {}
    for line in PLACES_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, region = line.split("\t")
            places[name.strip()] = region.strip()
    return places


def places_named(words) -> tuple[str, ...]:
    """The gazetteer places among a question's words (whole jieba words only, so "完成都"
    does not name 成都), in order, without repeats."""
    known = gazetteer()
    return tuple(dict.fromkeys(w for w in words if w in known))


@lru_cache(maxsize=256)
def region_of(issuer: str, title: str) -> str | None:
    """The region a document speaks for: the first place named in its issuer, else in its
    title (at the same place the longer name: 天津市 over 天津); None for a national document."""
    known = gazetteer()
    for text in (issuer, title):
        found = [(text.find(n), -len(n), n) for n in known if n in text]
        if found:
            return known[min(found)[2]]
    return None


@lru_cache(maxsize=512)
def _mention(name: str) -> re.Pattern:
    return re.compile(re.escape(name) + f"(?!{_ORGANISATION_AFTER})")


def mentions_place(text: str, name: str) -> bool:
    """Whether `text` names the place itself, not only an organisation named after it."""
    return bool(_mention(name).search(text))


def about_elsewhere(places: tuple[str, ...], issuer: str, title: str, passage: str) -> bool:
    """Whether a passage of this document cannot speak for a place the question names."""
    region = region_of(issuer, title)
    if region is None or not places:
        return False
    known = gazetteer()
    return any(known[p] != region and not mentions_place(passage, p) for p in places)
