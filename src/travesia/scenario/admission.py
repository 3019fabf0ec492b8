"""Admission rules: who a post lets through, written over a scenario's own vocabulary.

A rule is `any`, or terms separated by `;`, any one of which admits; a term is tokens joined by
`+`, all of which must hold. A token is `national` (the person's nationality is the post's
country), a nationality of the scenario (`Venezuela`), a legal status it declares (default
`regular`, `irregular`; say also `asylum_seeker`),
or a trait: a document the scenario declares (`passport`, `visa`, ...) or a demographic group it
declares (`child`, `pregnant`, ...). Peru's 2019 exemptions for Venezuelans, in force in 2023, read
`national;visa;Venezuela+family_in_peru;Venezuela+elderly;Venezuela+pregnant`
(docs/scenario-format.md).

A person's traits are bits of one integer (documents first, then groups); a term is a mask of
trait bits that must all be set, plus optional demands on nationality and status.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_DOCUMENTS = ("passport", "visa", "humanitarian")
# the legal statuses of a scenario that declares none (scenario.yaml `statuses:`)
DEFAULT_STATUSES = ("regular", "irregular")
RESERVED = ("any", "national", "none")
MAX_TRAITS = 16          # traits are bits of a uint16 per agent
MAX_STATUSES = 16        # a rule's term keeps the statuses it allows as bits


def split_terms(text: str) -> list[list[str]]:
    """`national;visa;child+family` -> [['national'], ['visa'], ['child', 'family']] (syntax
    only)."""
    text = str(text).strip()
    if text == "any":
        return [["any"]]
    terms = [[tok.strip() for tok in term.split("+")] for term in text.split(";") if term.strip()]
    if not terms:
        raise ValueError("empty admission rule (use 'any' or a list such as 'national;visa')")
    for term in terms:
        if any(not tok for tok in term):
            raise ValueError(f"empty name in '{'+'.join(term)}' (write tokens joined by '+')")
        if "any" in term:
            raise ValueError("'any' stands alone: it admits everyone")
    return terms


@dataclass(frozen=True)
class Term:
    mask: int            # trait bits that must all be held
    national: bool       # nationality must be the post's country
    statuses: int        # bits of Vocabulary.statuses allowed; 0 = any
    nationality: int = -1    # index into Vocabulary.nationalities; -1 = any


@dataclass(frozen=True)
class Rule:
    """A compiled admission rule. `terms` empty means `any`."""

    text: str
    terms: tuple[Term, ...]

    @property
    def admits_everyone(self) -> bool:
        return not self.terms

    def admits(self, traits, status, national, nationality=-1) -> np.ndarray:
        """Whether each person (arrays that broadcast: trait bits, status index, is national,
        nationality index) passes."""
        traits = np.asarray(traits, dtype=np.int64)
        status = np.asarray(status, dtype=np.int64)
        national = np.asarray(national, dtype=bool)
        nationality = np.asarray(nationality, dtype=np.int64)
        shape = np.broadcast_shapes(traits.shape, status.shape, national.shape, nationality.shape)
        if not self.terms:
            return np.ones(shape, dtype=bool)
        ok = np.zeros(shape, dtype=bool)
        for t in self.terms:
            hit = (traits & t.mask) == t.mask
            if t.national:
                hit = hit & national
            if t.statuses:
                hit = hit & (((1 << status) & t.statuses) != 0)
            if t.nationality >= 0:
                hit = hit & (nationality == t.nationality)
            ok |= hit
        return ok


ANY = Rule("any", ())


@dataclass(frozen=True)
class Vocabulary:
    """The trait names a scenario declares, in bit order: its documents, then its groups."""

    documents: tuple[str, ...] = DEFAULT_DOCUMENTS
    groups: tuple[str, ...] = ()
    nationalities: tuple[str, ...] = ()     # the scenario's, in the world's order
    statuses: tuple[str, ...] = DEFAULT_STATUSES    # the legal statuses it declares, in order

    @property
    def traits(self) -> tuple[str, ...]:
        return self.documents + self.groups

    def bit(self, name: str) -> int:
        return 1 << self.traits.index(name)

    def mask_of(self, names: list[str]) -> int:
        return sum(self.bit(n) for n in names)

    def check(self) -> None:
        names = self.traits
        for name in names:
            if name in RESERVED or not name or any(c in name for c in ";+, "):
                raise ValueError(f"'{name}' cannot name a document or group (reserved, empty, or "
                                 "holds ; + , "
                                 "or a space)")
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"'{dup[0]}' is declared twice (documents and groups share one set of "
                             "names)")
        if len(names) > MAX_TRAITS:
            raise ValueError(f"{len(names)} documents and groups declared; at most {MAX_TRAITS}")
        clash = sorted(set(self.nationalities) & (set(names) | set(RESERVED)))
        if clash:
            raise ValueError(f"'{clash[0]}' names both a nationality and a document, group or "
                             "reserved word")
        self.check_statuses()

    def check_statuses(self) -> None:
        """The declared statuses: at least one, at most MAX_STATUSES, each a plain name that no
        document, group, nationality or reserved word also uses."""
        statuses = self.statuses
        if not statuses:
            raise ValueError("no legal status declared (default: regular, irregular)")
        if len(statuses) > MAX_STATUSES:
            raise ValueError(f"{len(statuses)} statuses declared; at most {MAX_STATUSES}")
        for name in statuses:
            if name in RESERVED or not name or any(c in name for c in ";+,: "):
                raise ValueError(f"'{name}' cannot name a status (reserved, empty, or holds "
                                 "; + , : or a space)")
        dup = sorted({n for n in statuses if statuses.count(n) > 1})
        if dup:
            raise ValueError(f"status '{dup[0]}' is declared twice")
        clash = sorted(set(statuses) & (set(self.traits) | set(self.nationalities)))
        if clash:
            raise ValueError(f"'{clash[0]}' names both a status and a document, group or "
                             "nationality")

    def known(self) -> str:
        return ", ".join(("any", "national") + self.statuses + self.traits + self.nationalities)

    def parse(self, text: str) -> Rule:
        """Compile a rule; an unknown token is a ValueError naming it and the known ones."""
        terms = split_terms(text)
        if terms == [["any"]]:
            return ANY
        compiled = []
        for term in terms:
            mask, national, statuses, nationality = 0, False, 0, -1
            for tok in term:
                if tok == "national":
                    national = True
                elif tok in self.nationalities:
                    if nationality >= 0:
                        raise ValueError(f"'{'+'.join(term)}' asks for two nationalities; a person "
                                         "has one")
                    nationality = self.nationalities.index(tok)
                elif tok in self.statuses:
                    if statuses:
                        raise ValueError(f"'{'+'.join(term)}' asks for two legal statuses; a "
                                         "person has one")
                    statuses = 1 << self.statuses.index(tok)
                elif tok in self.traits:
                    mask |= self.bit(tok)
                else:
                    raise ValueError(f"unknown name '{tok}' in admission rule (known: "
                                     f"{self.known()})")
            compiled.append(Term(mask, national, statuses, nationality))
        return Rule(str(text).strip(), tuple(compiled))
