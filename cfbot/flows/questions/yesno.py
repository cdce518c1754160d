"""Yes/no questions: cue words of every language, leading the message or alone.

* Yes/no: a cue must be the whole message or lead it ("yes, it was fine"). A later
  *standalone* opposite cue makes it ambiguous ("yes and no", "no... yes"), a later
  "no" before a noun does not ("yes, no problems"). "1"/"2" are NOT yes/no: prompts
  never promise that convention. Unaccented Spanish "si" also means "if", so it only
  counts when followed by punctuation, a connector, another cue or nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cfbot.flows.questions.common import (
    ELONGATION,
    Parsed,
    QuestionLike,
    QuestionType,
    Tok,
    lang_key,
    not_a_value,
    phrases,
    skip_or_blank,
    tokens,
)

_YES_EMOJI = frozenset("👍✅✔☑")
_NO_EMOJI = frozenset("👎❌✖❎")


def _cues(yes: str, no: str, neutral: str) -> dict[tuple[str, ...], str]:
    return {
        **dict.fromkeys(phrases(neutral), ""),
        **dict.fromkeys(phrases(yes), "yes"),
        **dict.fromkeys(phrases(no), "no"),
    }


# know", "maybe", which must never read as a no just because they start with "no" or
# "tsis"). Keys are accent-free except Vietnamese, where the marks disambiguate (có =
# yes, cô = she), so Vietnamese lists both the marked and the bare spelling.
# Yes/no cues, matched longest phrase first -> "yes" | "no" | "" (neutral: "I don't
# know", "maybe", which must never read as a no just because they start with "no" or
# "tsis"). Keys are accent-free except Vietnamese, where the marks disambiguate (có =
# yes, cô = she), so Vietnamese lists both the marked and the bare spelling.
_YESNO: dict[str, dict[tuple[str, ...], str]] = {
    "en": _cues(
        yes="yes, y, yeah, yea, ya, yah, yep, yup, yess, sure, ok, okay, okey, of course, "
        "definitely, absolutely, correct, yes please, affirmative, i did, i do",
        no="no, n, nope, nah, nop, noo, not really, never, no thanks, no thank you, "
        "not at all, no way, i did not, i didnt, i do not, i dont",
        neutral="not sure, idk, dont know, i dont know, maybe, no problem, no idea, dunno, "
        "kind of, sort of, i dont remember",
    ),
    "es": _cues(
        yes="si, sii, claro, claro que si, por supuesto, sip, asi es, correcto, vale, "
        "de acuerdo, simon",
        no="no, nunca, para nada, no gracias, nop, nel, claro que no, por supuesto que no, jamas",
        neutral="no se, no lo se, tal vez, quizas, quiza, no estoy seguro, "
        "no estoy segura, mas o menos, no me acuerdo",
    ),
    "so": _cues(
        yes="haa, haah, haye, waa sax, dabcan",
        no="maya",
        neutral="ma garanayo, ma hubo",
    ),
    # "tsis yog" (no) contains "yog" (yes): the longest phrase wins
    "hmn": _cues(
        yes="yog, yog lawm, aws",
        no="tsis yog, tsis, tsis muaj, tsis tau, tsis kam, tsis xav",
        neutral="tsis paub, los yog, tej zaum",
    ),
    "vi": _cues(
        yes="có, co, vâng, vang, đúng, dung, đúng rồi, dung roi, dạ, da, dạ có, da co, "
        "dạ vâng, da vang, ừ, có ạ, vâng ạ",
        no="không, khong, ko, k, kg, hong, không phải, khong phai, chưa, chua, "
        "dạ không, da khong, không có, khong co, không ạ",
        neutral="không biết, khong biet, ko biet, k biet, có thể, co the, có lẽ, co le",
    ),
}
# Cues too short or too overloaded to lead a sentence: they must stand alone.
_YESNO_ALONE = frozenset({"y", "n", "k", "kg", "da"})
# Unaccented "si" is also "if": it needs a break after it (an accented "sí" does not).
_YESNO_NEEDS_BREAK = frozenset({"si"})
_CONNECTORS = frozenset(
    "and or but y o pero iyo ama mise thiab los tab sis va hoac hay nhung".split()
)
_INTERJECTIONS = frozenset("oh um uh umm well hmm ah eh pues ay o".split())
_POLITE = frozenset("thanks thank gracias senor senora mahadsanid tsaug cam".split())


def _yesno_key(tok: Tok, lang: str) -> str | None:
    if tok.kind == "sym":
        return None
    # Vietnamese diacritics carry meaning (có = yes, cô = aunt): keep them
    return tok.raw if lang == "vi" else tok.plain


def _match_cue(
    keys: Sequence[str | None], i: int, table: Mapping[tuple[str, ...], str]
) -> tuple[int, str] | None:
    """Longest phrase of ``table`` starting at i: (length, polarity)."""
    for n in range(min(4, len(keys) - i), 0, -1):
        phrase = keys[i : i + n]
        if any(k is None for k in phrase):
            continue
        hit = table.get(tuple(phrase))  # type: ignore[arg-type]  # phrase has no None (checked above)
        if hit is None and n == 1:
            word = phrase[0] or ""
            # "yesss", "nooo", "siii": try the word with letter runs shortened
            for short in (ELONGATION.sub(r"\1\1", word), ELONGATION.sub(r"\1", word)):
                hit = table.get((short,))
                if hit is not None:
                    break
        if hit is not None:
            return n, hit
    return None


def _parse_yesno(text: str, lang: str) -> Parsed:
    toks = tokens(text)
    if not toks:
        return Parsed("invalid", reason="empty")
    table = {**_YESNO["en"], **_YESNO.get(lang, {})}
    keys = [_yesno_key(t, lang) for t in toks]
    emoji = {
        ("yes" if t.raw in _YES_EMOJI else "no") for t in toks if t.raw in _YES_EMOJI | _NO_EMOJI
    }
    words = [i for i, t in enumerate(toks) if t.kind != "sym"]

    def breaks(j: int, polarity: str | None = None) -> bool:
        """True when position j ends a cue: end, punctuation/emoji, connector, another
        cue (of ``polarity`` if given: "si no me llamaron" is "if they did not call")."""
        if j >= len(toks) or toks[j].kind == "sym":
            return True
        if toks[j].plain in _CONNECTORS or toks[j].plain in _POLITE:
            return True
        cue = _match_cue(keys, j, table)
        return cue is not None and (polarity is None or cue[1] == polarity)

    first = next((i for i in words if toks[i].plain not in _INTERJECTIONS), None)
    lead = _match_cue(keys, first, table) if first is not None else None
    if lead is not None:
        assert first is not None
        n, polarity = lead
        key = keys[first]
        if n == 1 and key in _YESNO_ALONE and any(t.kind != "sym" for t in toks[first + 1 :]):
            lead = None
        elif n == 1 and key in _YESNO_NEEDS_BREAK and not toks[first].marked:
            if not breaks(first + 1, polarity):
                lead = None
    if lead is None:
        # no leading cue: a lone 👍/👎 (with at most a few words) still answers
        if len(emoji) == 1 and len(words) <= 3:
            return Parsed("ok", emoji.pop())
        return Parsed("invalid", reason="ambiguous" if len(emoji) > 1 else "unclear")
    assert first is not None
    n, polarity = lead
    if not polarity:
        return Parsed("invalid", reason="unclear")  # "no sé", "tsis paub", "maybe"
    seen = {polarity} | emoji
    j = first + n
    while j < len(toks):
        cue = _match_cue(keys, j, table) if keys[j] is not None else None
        if cue is None:
            j += 1
            continue
        m, other = cue
        # a later cue counts only when it stands alone ("yes and no", "no, yes"),
        # not as a determiner ("yes, no problems")
        if other and (j + m >= len(toks) or breaks(j + m)):
            seen.add(other)
        j += m
    if len(seen) > 1:
        return Parsed("invalid", reason="ambiguous")
    return Parsed("ok", polarity)


def parse_yesno(text: str, lang: str) -> str | None:
    """``"yes"`` or ``"no"`` when the message clearly says so, else None."""
    parsed = _parse_yesno(text, lang_key(lang))
    return parsed.value if parsed.status == "ok" else None  # type: ignore[return-value]  # value is set when status is ok


class YesNoType(QuestionType):
    """``type: yesno``: the answer is ``"yes"`` or ``"no"``."""

    name = "yesno"
    values = ("yes", "no")

    def parse(self, question: QuestionLike, text: str, lang: str) -> Parsed:
        """A leading yes/no cue, or a lone 👍/👎."""
        return skip_or_blank(question, text, lang) or _parse_yesno(text, lang)

    def literal_warning(self, question: QuestionLike, op: str, literal: object) -> str | None:
        """Only "yes" and "no" can match."""
        return not_a_value(question, literal, self.values)


YESNO = YesNoType()
