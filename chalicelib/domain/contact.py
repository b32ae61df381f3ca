"""Finding contact details in free text (profiles), so they can be refused.

Plain Python. `find(text)` names the first kind of contact detail it sees, or None:
- email addresses, also written out ("ada at example dot com", "ada [at] example.com");
- phone numbers in common written forms: +44 20 7946 0958, (415) 555-0100,
  415.555.0100, 0300 123 4567, and digits spelled out ("nine eight seven ...");
- messaging handles ("@ada_l", "skype: ada.l", "telegram ada_l", "whatsapp me") and
  links that carry them (wa.me, t.me, m.me, mailto:, tel:, skype:, discord.gg, ...).

Ordinary numbers stay allowed: years and year ranges ("2015-2019"), dates
("2026-12-01", "01/12/2026"), amounts, versions.

Disguises are undone before looking: Unicode compatibility forms (full-width "＠" and
"０３００", circled and superscript digits: NFKC), invisible characters (zero-width
spaces and joiners, soft hyphens, word joiners: category Cf), and letters of other
scripts that look like Latin ones ("ѕkуpe" with Cyrillic s and y).
"""
from __future__ import annotations

import re
import unicodedata

# Cyrillic and Greek letters that pass for Latin ones in a handle or an app's name
_LOOKALIKES = str.maketrans(
    "аеорсухкмтнвіјѕԁһӏԛԝАЕОРСХКМТНВІЈЅαοτνικρεχυΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxkmthbijsdhlqwAEOPCXKMTHBIJSaotvikpexuABEZHIKMNOPTYX",
)

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_EMAIL_SPELLED = re.compile(
    r"\b[A-Za-z0-9._%+-]+\s*[\[\(\{<]?\s*(?:@|at)\s*[\]\)\}>]?\s*[A-Za-z0-9-]+\s*[\[\(\{<]?\s*(?:\.|dot)\s*[\]\)\}>]?\s*"
    r"(?:com|net|org|io|co|info|biz|me|edu|gov|us|uk|in|pk|de|fr|ca|au|ae)\b",
    re.IGNORECASE,
)
_LINK = re.compile(
    r"(mailto:|tel:|sms:|skype:|callto:|whatsapp:|viber:|"
    r"\b(?:wa\.me|api\.whatsapp\.com|chat\.whatsapp\.com|t\.me|telegram\.me|telegram\.dog|m\.me|"
    r"messenger\.com|discord\.gg|discord(?:app)?\.com/users|signal\.me|line\.me|wechat\.com|join\.skype\.com|"
    r"calendly\.com)\b)",
    re.IGNORECASE,
)
_APPS = r"(?:skype|whats\s?app|telegram|signal|viber|we\s?chat|discord|snapchat|kik|messenger|insta(?:gram)?|twitter|tiktok)"
_HANDLE_NAMED = re.compile(
    rf"\b{_APPS}\b\s*(?:id|handle|user(?:name)?|name|number|no\.?)?\s*(?:[:=]\s*@?|@)[A-Za-z0-9_.\-]{{3,}}", re.IGNORECASE
)
_HANDLE_INVITE = re.compile(
    rf"\b(?:add|message|msg|text|call|ping|contact|reach|find|dm)\s+me\b.{{0,20}}\b(?:on|at|via)\s+{_APPS}\b", re.IGNORECASE
)
_AT_HANDLE = re.compile(r"(?<![\w.])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{2,29})\b")
_PHONE_RUN = re.compile(r"\+?\(?\d[\d\s().\-/]{5,}\d")
_YEAR_RANGE = re.compile(r"^\s*(?:19|20)\d\d\s*[-/–]\s*(?:19|20)?\d\d\s*$")
_DATE = re.compile(
    r"^\s*(?:(?:19|20)\d\d[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])"
    r"|(?:0?[1-9]|[12]\d|3[01])[-/.](?:0?[1-9]|1[0-2])[-/.](?:19|20)\d\d"
    r"|(?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])[-/.](?:19|20)\d\d)\s*$"
)
_DIGIT_WORDS = {
    "zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9",
}
_WORD_OR_DIGIT = re.compile(r"\b(?:" + "|".join(_DIGIT_WORDS) + r")\b|\d", re.IGNORECASE)
_BETWEEN = re.compile(r"^[\s\-.,()/+]*$")


def _phone(text: str) -> bool:
    for match in _PHONE_RUN.finditer(text):
        run = match.group(0)
        digits = sum(c.isdigit() for c in run)
        if digits >= 9:
            return True
        if digits >= 7 and not _YEAR_RANGE.match(run) and not _DATE.match(run) and re.search(r"[\s.\-()]", run):
            return True
    return _spelled_digits(text) >= 7


def _spelled_digits(text: str) -> int:
    """The longest run of digits and digit words with only separators between them,
    counting only runs that contain at least three digit words."""
    best = count = words = 0
    last_end = None
    for match in _WORD_OR_DIGIT.finditer(text):
        if last_end is not None and not _BETWEEN.match(text[last_end:match.start()]):
            count = words = 0
        count += 1
        words += match.group(0).isalpha()
        if words >= 3:
            best = max(best, count)
        last_end = match.end()
    return best


def undisguised(text: str) -> str:
    """`text` as a reader sees it: compatibility forms folded, invisible characters
    dropped, look-alike letters of other scripts read as Latin."""
    folded = unicodedata.normalize("NFKC", text)
    visible = "".join(c for c in folded if unicodedata.category(c) != "Cf")
    return visible.translate(_LOOKALIKES)


def find(text: str) -> str | None:
    """The kind of contact detail in `text` ("an email address", ...), or None."""
    if not text:
        return None
    found = _find(text)
    if found is None and (plain := undisguised(text)) != text:
        found = _find(plain)  # only when undoing a disguise changed anything
    return found


def _find(text: str) -> str | None:
    if _EMAIL.search(text) or _EMAIL_SPELLED.search(text):
        return "an email address"
    if _LINK.search(text):
        return "a link to a contact or messaging channel"
    if _HANDLE_NAMED.search(text) or _HANDLE_INVITE.search(text) or _AT_HANDLE.search(text):
        return "a messaging handle"
    if _phone(text):
        return "a phone number"
    return None


def first_in(fields: list[tuple[str, str]]) -> tuple[str, str] | None:
    """The first (field name, kind) with contact details among (name, text) pairs."""
    for name, text in fields:
        kind = find(text)
        if kind:
            return name, kind
    return None
