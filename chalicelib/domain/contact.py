"""Finding contact details in free text (profiles), so they can be refused.

Plain Python. `find(text)` names the first kind of contact detail it sees, or None:
- email addresses, also written out with any top-level domain ("ada at example dot dev",
  "ada [at] example.com", "ada (at) studio (dot) design");
- phone numbers: 9 or more digits with anything but letters between them, whatever the
  separators ("0300–123–4567", "415|555|0100", "0300_123_4567", "0300~1234567"); 7 or 8
  digits in the common written forms (555-0100, 6123 4567); digits spelled out ("nine
  eight seven ...");
- messaging handles ("@ada_l", "skype: ada.l", "telegram ada_l", "ig ada.lovelace",
  "whatsapp me") and links that carry them (wa.me, t.me, m.me, mailto:, tel:, ...).

Ordinary numbers stay allowed. A run of digits is read as numbers first: dates
("2026-12-01", "01/12/2026"), times ("09:00"), amounts with thousands separators
("$1,500", "1,00,000"), decimals ("12.5"), versions ("3.11.4") and two-number ranges
("1500 - 2000", "10-15") are never a phone number, and neither are years alone
("2019-2023", "2019, 2020"). Only the plain numbers between them count, years among
them too ("(415) 555-2019" is a phone number).

Also: look-alike letters in a run that is mostly digits ("O3OO-I234567"), numbers part
spelled out ("+92 three hundred 1234567"), emails spaced or encoded ("ada @ example . com",
"ada%40example.com", "ada -at- example -dot- com"), a mail provider after "at" ("ada at
gmail"), social profile links without a scheme ("linkedin.com/in/ada-l"), "discord
ada#1234", "line id ada_l", "my handle is ada_l on telegram".

Disguises are undone before looking: Unicode compatibility forms (full-width "＠" and
"０３００", circled and superscript digits: NFKC), invisible characters (zero-width
spaces and joiners, soft hyphens, word joiners: category Cf), and letters of other
scripts that look like Latin ones ("ѕkуpe" with Cyrillic s and y).
"""
from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

# Cyrillic and Greek letters that pass for Latin ones in a handle or an app's name
_LOOKALIKES = str.maketrans(
    "аеорсухкмтнвіјѕԁһӏԛԝАЕОРСХКМТНВІЈЅαοτνικρεχυΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxkmthbijsdhlqwAEOPCXKMTHBIJSaotvikpexuABEZHIKMNOPTYX",
)

# a local part starts where a run of the characters it may hold starts (else every one
# of "a.a.a.a..." would be tried as a start: quadratic)
_LOCAL = r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+"
_EMAIL = re.compile(rf"{_LOCAL}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{{2,}}")
# "at" and "dot" in brackets, or between dashes, stars, quotes ("ada -at- example -dot- com")
_OPEN, _CLOSE = r"[\[\(\{<\-_*~'\"|]", r"[\]\)\}>\-_*~'\"|]"
_TLD = r"(?:[A-Za-z]{2,24}|[A-Za-z](?:\s[A-Za-z]){1,5})"  # "com", or letter by letter: "c o m"
_AT_SPELLED = rf"(?:\s*{_OPEN}\s*(?:@|at)\s*{_CLOSE}\s*|\s+at\s+|\s*@\s*)"
_DOT_SPELLED = rf"(?:\s*{_OPEN}\s*(?:\.|dot)\s*{_CLOSE}\s*|\s+dot\s+)"
# Written out, any top-level domain: the "at" or the "dot" is a word or in brackets.
_EMAIL_SPELLED = re.compile(
    rf"{_LOCAL}{_AT_SPELLED}[A-Za-z0-9-]+(?:(?:{_DOT_SPELLED}|\.)[A-Za-z0-9-]+)*{_DOT_SPELLED}{_TLD}\b"
    rf"|{_LOCAL}\s*{_OPEN}\s*(?:@|at)\s*{_CLOSE}\s*[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{{2,24}}\b",
    re.IGNORECASE,
)
# "ada at example.dev": a plain "at" before a dotted name is also how skills are written
# ("expert at vue.js", "good at ASP.NET"), so file and framework endings do not count.
# "ada @ example . com", "ada@example .com": spaces around the "@" and the dots
_EMAIL_SPACED = re.compile(rf"{_LOCAL}\s*@\s*[A-Za-z0-9-]+(?:\s*\.\s*[A-Za-z0-9-]+)*\s*\.\s*[A-Za-z]{{2,24}}\b")
# "ada at gmail": a well-known mail provider after "at", where it ends the sentence or
# "dot" follows; "I worked at Gmail" and "ads at Yahoo for two years" are work history.
_PROVIDERS = (r"(?:g\s?mail|googlemail|yahoo|ymail|hotmail|outlook|live|msn|proton(?:mail)?|pm|icloud|me|aol|gmx|"
              r"yandex|mail\.ru|zoho|fastmail|tutanota|hey)")
_NOT_A_MAILBOX = (r"(?:worked?|working|works|job|jobs|role|intern(?:ship)?|engineer|developer|designer|manager|lead|team|"
                  r"years?|months?|time|experience|was|were|been|am|is|are|be|me|us|them|him|her|it|good|great|expert|skilled|"
                  r"better|best|ads|campaigns?|marketing|integrations?|look|looking|live|go|went|presented|speaker|talk)")
_EMAIL_PROVIDER = re.compile(
    rf"(?<![A-Za-z0-9._%+-])(?!{_NOT_A_MAILBOX}\b)[A-Za-z0-9._%+-]+\s*(?:\s+at|{_OPEN}\s*at\s*{_CLOSE}|@)\s*{_PROVIDERS}"
    r"(?:\s*$|\s*[,;!?)\]]|\.(?!\w)|\s+dot\b|\s*\(dot\))",
    re.IGNORECASE,
)
_EMAIL_AT_WORD = re.compile(
    rf"{_LOCAL}\s+at\s+(?!(?:asp|vb|ado)\.net\b(?!\.\w))[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?!(?:js|ts|jsx|tsx|py|rb|md|txt|pdf|docx?|xlsx?|"
    r"csv|json|ya?ml|html?|css|php|cpp|exe|sh|go|rs|kt|swift|sql|png|jpe?g|svg|gif|zip|tar|gz)\b)[A-Za-z]{2,24}\b(?!\.\w)",
    re.IGNORECASE,
)
_LINK = re.compile(
    r"(mailto:|tel:|sms:|skype:|callto:|whatsapp:|viber:|"
    r"\b(?:wa\.me|api\.whatsapp\.com|chat\.whatsapp\.com|t\.me|telegram\.me|telegram\.dog|m\.me|"
    r"messenger\.com|discord\.gg|discord(?:app)?\.com/users|signal\.me|line\.me|wechat\.com|join\.skype\.com|"
    r"calendly\.com)\b)",
    re.IGNORECASE,
)
# A social or messaging site's address with a path, scheme or not: a profile to reach
# someone by ("instagram.com/ada.l", "linkedin.com/in/ada-l", "x.com/ada_l"). A site's
# name alone ("our linkedin.com integration") and other links (a portfolio on GitHub) pass.
_SOCIAL_PROFILE = re.compile(
    r"(?<![\w.-])(?:(?:www|m|mobile|web)\.)?(?:instagram\.com|instagr\.am|linkedin\.com|lnkd\.in|facebook\.com|fb\.com|"
    r"fb\.me|x\.com|twitter\.com|tiktok\.com|snapchat\.com|threads\.net|vk\.com|ok\.ru|discord\.com|skype\.com|"
    r"viber\.com|line\.me|kakao\.com|qq\.com|weibo\.com|telegram\.org|whatsapp\.com)/+[\w@%~.-]",
    re.IGNORECASE,
)
_APPS = (r"(?:skype|whats\s?app|telegram|signal|viber|we\s?chat|discord|snapchat|snap|kik|messenger|insta(?:gram)?|ig|"
         r"twitter|tiktok|facebook|fb|tg)")
_HANDLE_NAMED = re.compile(
    rf"\b{_APPS}\b\s*(?:id|handle|user(?:name)?|name|number|no\.?)?\s*(?:[:=]\s*@?|@)[A-Za-z0-9_.\-]{{3,}}", re.IGNORECASE
)
# An app's name, then a space, then something only a handle looks like: a dot, an
# underscore or a digit inside ("telegram ada_l", "ig ada.lovelace"); "telegram bots" is words.
_HANDLE_SPACED = re.compile(
    rf"\b{_APPS}\s+(?:(?:id|handle|user(?:name)?)\s+)?@?[A-Za-z][A-Za-z0-9]*(?:[._]+[A-Za-z0-9]+|#\d{{4}}\b|\d+)+[A-Za-z0-9._]*",
    re.IGNORECASE,
)
# apps whose handle is called an id ("line id ada_l", "kakao id: ada")
_HANDLE_ID = re.compile(
    r"\b(?:line|kakao(?:\s?talk)?|we\s?chat|qq|imo)\s*id\b\s*"
    r"(?:[:=]\s*@?[A-Za-z0-9_.\-]{3,}|@?[A-Za-z][A-Za-z0-9]*(?:[._]+[A-Za-z0-9]+|\d+)+)",  # "line id column" is words
    re.IGNORECASE,
)
# "my handle is ada_l on telegram", "username: ada on discord" ("my account is active on facebook" passes)
_HANDLE_ON_APP = re.compile(
    rf"\b(?:(?:handle|user\s?name|nick(?:name)?|tag)\s*(?:\bis\b|[:=-])|(?:id|account)\s*[:=])\s*@?[A-Za-z0-9_.\-#]{{3,}}\s+"
    rf"(?:on|at|via|in|@)\s+{_APPS}\b",
    re.IGNORECASE,
)
# "whatsapp me", "telegram me": the app's name as a verb
_APP_ME = re.compile(r"\b(?:whats\s?app|telegram|skype|viber|we\s?chat|snapchat|kik|imo)\s+me\b", re.IGNORECASE)
_HANDLE_INVITE = re.compile(
    rf"\b(?:add|message|msg|text|call|ping|contact|reach|find|dm)\s+me\b.{{0,20}}\b(?:on|at|via)\s+{_APPS}\b", re.IGNORECASE
)
_AT_HANDLE = re.compile(r"(?<![\w.])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{2,29})\b")
# Digits with anything but letters between them (and so any separator at all).
_DIGIT_RUN = re.compile(r"\d(?:[\W_]*\d)*")
_COMMON_SEPARATORS = re.compile(r"^[\s().\-/+]+$")  # where 7 or 8 digits already make a phone number
_DAY, _MONTH, _YEAR = r"(?:0?[1-9]|[12]\d|3[01])", r"(?:0?[1-9]|1[0-2])", r"(?:19|20)\d\d"
_NUMBER = re.compile(
    rf"(?P<date>{_YEAR}[-/.]{_MONTH}[-/.]{_DAY}|{_DAY}[-/.]{_MONTH}[-/.]{_YEAR}|{_MONTH}[-/.]{_DAY}[-/.]{_YEAR})(?!\d)"
    rf"|(?P<years>{_YEAR}\s*[-/–—]\s*\d\d)(?![\d.,:]\d|\d)"
    r"|(?P<time>(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?)(?![\d:])"
    r"|(?P<amount>[1-9]\d{0,2}(?:,\d{3}){1,2}(?:\.\d\d?)?|[1-9]\d?(?:,\d\d){1,2},\d{3}(?:\.\d\d?)?)(?![.,]?\d)"
    r"|(?P<version>(?:0|[1-9]\d?)\.(?:0|[1-9]\d?)\.(?:0|[1-9]\d{0,2})(?:\.(?:0|[1-9]\d{0,2}))?)(?![.,]?\d)"
    r"|(?P<decimal>(?:0|[1-9]\d*)\.\d\d?)(?![.,]?\d)"
    rf"|(?P<year>{_YEAR})(?!\d)"
    r"|(?P<plain>\d+)"
)
_RANGE = re.compile(r"^\s*[-–—~]\s*$")
_HARD = ("date", "years", "time", "version")  # never part of a phone number
_MONEY = ("amount", "decimal")  # only where a currency sign says so, or standing alone


@dataclass(frozen=True)
class _Number:
    kind: str
    text: str
    start: int
    end: int

    @property
    def digits(self) -> str:
        return "".join(c for c in self.text if c.isdigit())


def _numbers(text: str, start: int, end: int) -> list[_Number]:
    """The digit run text[start:end] read as numbers, left to right."""
    found, at = [], start
    while at < end:
        if not text[at].isdigit():
            at += 1
            continue
        match = _NUMBER.match(text, at, end)
        assert match is not None  # `plain` matches any digit
        found.append(_Number(match.lastgroup or "plain", match.group(0), match.start(), match.end()))
        at = match.end()
    return found


def _after_currency_sign(text: str, at: int) -> bool:
    before = text[max(0, at - 2):at].rstrip(" ")
    return bool(before) and unicodedata.category(before[-1]) == "Sc"


def _stretches(text: str, numbers: list[_Number]) -> list[list[_Number]]:
    """The stretches of numbers that could be one phone number: split at dates, year
    ranges, times and versions, and at amounts and decimals that are money ("$1,500",
    "€ 12.50") or the run's only number. Other amounts count as their digits
    ("415,555-0100")."""
    stretches: list[list[_Number]] = [[]]
    for number in numbers:
        money = number.kind in _MONEY and (len(numbers) == 1 or _after_currency_sign(text, number.start))
        if number.kind in _HARD or money:
            stretches.append([])
        else:
            stretches[-1].append(number)
    return [s for s in stretches if s]


def _a_range(text: str, numbers: list[_Number]) -> bool:
    """Two numbers with as many whole digits, the second larger, joined by a dash:
    "1500 - 2000", "1,500 - 2,000", "12.5 - 15.75", "$15000 - $20000"."""
    if len(numbers) != 2:
        return False
    low, high = (float(n.text.replace(",", "")) for n in numbers)
    whole = [n.text.split(".")[0].replace(",", "") for n in numbers]
    between = text[numbers[0].end:numbers[1].start].rstrip()
    if between and unicodedata.category(between[-1]) == "Sc":
        between = between[:-1]
    return len(whole[0]) == len(whole[1]) and whole[0][0] != "0" and low < high and bool(_RANGE.match(between))


def _phone(text: str) -> bool:
    for run in _DIGIT_RUN.finditer(text):
        for numbers in _stretches(text, _numbers(text, run.start(), run.end())):
            if all(n.kind == "year" for n in numbers) or _a_range(text, numbers):
                continue
            digits = sum(len(n.digits) for n in numbers)
            if digits >= 9:
                return True
            between = [text[a.end:b.start] for a, b in zip(numbers, numbers[1:], strict=False)]
            if digits >= 7 and between and all(_COMMON_SEPARATORS.match(b) for b in between):
                return True
    return _spelled_digits(text) >= 7


_DIGIT_WORDS = {
    "zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9",
}
_WORD_OR_DIGIT = re.compile(r"(?<![^\W\d_])(?:" + "|".join(_DIGIT_WORDS) + r")(?![^\W\d_])|\d", re.IGNORECASE)
_BETWEEN = re.compile(r"^[\W_]*$")  # anything but letters and digits
_NUMBER_WORD_OR_DIGIT = re.compile(
    r"(?<![^\W\d_])(?:" + "|".join(_DIGIT_WORDS) + r"|hundred|thousand)(?![^\W\d_])|\d+", re.IGNORECASE)


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


_PERCENT = re.compile(r"%(?:40|2e)", re.IGNORECASE)  # "ada%40example.com"
_PERCENT_CHARS = {"%40": "@", "%2e": "."}


# Words of letters and digits; a run of them that is mostly digits may spell some with
# look-alike letters (O for 0, I and l for 1): "O3OO-I234567", "4l5 555 Ol00".
_WORD = re.compile(r"[^\W_]+")
_DIGITISH = re.compile(r"[0-9OoIl]*[0-9][0-9OoIl]*")
_AS_DIGIT = str.maketrans("OoIl", "0011")
# digit words read as digits, "hundred" and "thousand" as their zeros: "+92 three hundred 1234567"
_NUMBER_WORD = re.compile(r"(?<![^\W\d_])(?:" + "|".join(_DIGIT_WORDS) + r"|hundred|thousand)(?![^\W\d_])", re.IGNORECASE)
_NUMBER_WORDS = {**_DIGIT_WORDS, "hundred": "00", "thousand": "000"}


def _read_as_digits(text: str) -> str:
    """`text` with look-alike letters read as digits in runs of words that are mostly
    digits, and number words ("three hundred") next to digits read as digits."""
    text = _NUMBER_WORD.sub(lambda m: _NUMBER_WORDS[m.group(0).lower()], text) if _has_digit_next_to_a_word(text) else text
    parts, last, run = [], 0, []  # run: the spans of digit-ish words, one after another
    for word in [*_WORD.finditer(text), None]:
        if word is not None and _DIGITISH.fullmatch(word.group(0)):
            run.append(word)
            continue
        if run:
            letters = sum(not c.isdigit() for w in run for c in w.group(0))
            digits = sum(c.isdigit() for w in run for c in w.group(0))
            if letters and digits > letters:
                parts += [text[last:run[0].start()], text[run[0].start():run[-1].end()].translate(_AS_DIGIT)]
                last = run[-1].end()
            run = []
    return "".join(parts) + text[last:]


def _has_digit_next_to_a_word(text: str) -> bool:
    """Digits and number words in one run ("+92 three hundred 1234567"); all-word runs
    are `_spelled_digits`' to judge."""
    kinds, last_end = set(), None
    for match in _NUMBER_WORD_OR_DIGIT.finditer(text):
        if last_end is not None and not _BETWEEN.match(text[last_end:match.start()]):
            kinds = set()
        kinds.add(match.group(0).isalpha())
        if len(kinds) == 2:
            return True
        last_end = match.end()
    return False


def undisguised(text: str) -> str:
    """`text` as a reader sees it: compatibility forms folded, invisible characters
    dropped, look-alike letters of other scripts read as Latin."""
    folded = unicodedata.normalize("NFKC", _PERCENT.sub(lambda m: _PERCENT_CHARS[m.group(0).lower()], html.unescape(text)))
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
    if any(p.search(text) for p in (_EMAIL, _EMAIL_SPACED, _EMAIL_SPELLED, _EMAIL_AT_WORD, _EMAIL_PROVIDER)):
        return "an email address"
    if _LINK.search(text) or _SOCIAL_PROFILE.search(text):
        return "a link to a contact or messaging channel"
    if any(p.search(text) for p in (_HANDLE_NAMED, _HANDLE_SPACED, _HANDLE_ID, _HANDLE_ON_APP, _APP_ME, _HANDLE_INVITE, _AT_HANDLE)):
        return "a messaging handle"
    if _phone(text) or ((read := _read_as_digits(text)) != text and _phone(read)):
        return "a phone number"
    return None


def first_in(fields: list[tuple[str, str]]) -> tuple[str, str] | None:
    """The first (field name, kind) with contact details among (name, text) pairs."""
    for name, text in fields:
        kind = find(text)
        if kind:
            return name, kind
    return None
