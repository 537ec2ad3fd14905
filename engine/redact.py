r"""Passwords out of connection strings and messages: the one redactor of the engine.

Both libpq forms are parsed, not pattern-matched: URLs
(``postgresql://user:password@host/db?password=...``) and key=value strings
(``host=h password='with spaces \\' and quotes'``), so no part of a password is
ever printed.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

MASK = "***"

_SCHEME = re.compile(r"^[A-Za-z][\w+.-]*://")
_QUERY_PASSWORD = re.compile(r"(^|&)(password=)[^&#]*", re.IGNORECASE)
_TEXT_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'?|\S+)", re.IGNORECASE)
_TEXT_URL = re.compile(r"[A-Za-z][\w+.-]*://\S+")


def redact(conninfo: str | None) -> str | None:
    """The connection string with every password replaced by '***'."""
    if conninfo is None:
        return None
    if _SCHEME.match(conninfo):
        return _redact_url(conninfo)
    return _redact_key_values(conninfo)


def passwords(conninfo: str) -> set[str]:
    """Every spelling of the connection string's password(s): as written and decoded."""
    found: set[str] = set()
    if _SCHEME.match(conninfo):
        userinfo, _, rest = _split_url(conninfo)
        _, has_password, password = (userinfo or "").partition(":")
        if has_password and password:
            found |= {password, unquote(password)}
        query = rest.partition("?")[2].partition("#")[0]
        for pair in query.split("&"):
            key, _, value = pair.partition("=")
            if key.lower() == "password" and value:
                found |= {value, unquote(value)}
    else:
        for key, start, end, value in _key_values(conninfo):
            if key.lower() == "password" and value:
                found |= {value, conninfo[start:end]}
    return found


def misencoded_userinfo(conninfo: str) -> bool:
    """Whether a URL's user or password holds an unencoded '@', '/', '?', '#' or 2nd ':'.

    libpq ends the userinfo at the first '@' or '/', so such a URL would send part
    of the password as a host or port name, and echo it in its error message.
    """
    if not _SCHEME.match(conninfo):
        return False
    userinfo = _split_url(conninfo)[0]
    if userinfo is None:
        return False
    return bool(re.search(r"[@/?#]", userinfo)) or userinfo.count(":") > 1


def scrub(text: str, conninfo: str) -> str:
    """Remove the connection string's password from free text, such as a driver message."""
    for secret in sorted(passwords(conninfo), key=len, reverse=True):
        text = text.replace(secret, MASK)
    # Connection strings other than ours, echoed in the text, lose theirs too.
    text = _TEXT_URL.sub(lambda m: _redact_url(m[0]), text)
    return _TEXT_PASSWORD.sub(rf"\g<1>{MASK}", text)


def _split_url(url: str) -> tuple[str | None, str, str]:
    """(userinfo or None, scheme with '://', everything after the userinfo).

    The last '@' ends the userinfo, so an unencoded '@', ':' or '/' in a password
    stays inside it; at worst a stray '@' further on hides more than the password.
    """
    scheme = _SCHEME.match(url)
    assert scheme is not None
    head, rest = url[: scheme.end()], url[scheme.end() :]
    userinfo, at, host = rest.rpartition("@")
    if not at:
        return None, head, rest
    return userinfo, head, host


def _redact_url(url: str) -> str:
    userinfo, head, rest = _split_url(url)
    if userinfo is not None:
        user, has_password, _ = userinfo.partition(":")
        head += f"{user}:{MASK}@" if has_password else f"{userinfo}@"
    base, has_query, query = rest.partition("?")
    if has_query:
        query = _QUERY_PASSWORD.sub(rf"\1\2{MASK}", query)
        return f"{head}{base}?{query}"
    return head + rest


def _redact_key_values(conninfo: str) -> str:
    out, last = [], 0
    for key, start, end, _ in _key_values(conninfo):
        if key.lower() == "password":
            key_start = conninfo.rindex(key, last, start)
            out.append(f"{conninfo[last:key_start]}{key}={MASK}")
            last = end
    return "".join(out) + conninfo[last:]


def _key_values(conninfo: str) -> list[tuple[str, int, int, str]]:
    """(keyword, value start, value end, decoded value) as libpq's conninfo parser reads them.

    A value is single-quoted (backslash escapes a quote or a backslash) or runs to the
    next whitespace (backslash escapes any character). Text that does not parse, such
    as an unterminated quote, becomes the value of the keyword it follows, up to the
    end, so nothing after a password keyword can leak.
    """
    pairs = []
    i, n = 0, len(conninfo)
    while i < n:
        while i < n and conninfo[i].isspace():
            i += 1
        key_start = i
        while i < n and not conninfo[i].isspace() and conninfo[i] != "=":
            i += 1
        key = conninfo[key_start:i]
        while i < n and conninfo[i].isspace():
            i += 1
        if not key or i >= n or conninfo[i] != "=":
            if key:
                pairs.append((key, i, n, conninfo[i:]))
            break
        i += 1
        while i < n and conninfo[i].isspace():
            i += 1
        start, value, closed = i, [], True
        quoted = i < n and conninfo[i] == "'"
        if quoted:
            i += 1
            closed = False
        while i < n:
            char = conninfo[i]
            if char == "\\" and i + 1 < n:
                value.append(conninfo[i + 1])
                i += 2
                continue
            if quoted and char == "'":
                i += 1
                closed = True
                break
            if not quoted and char.isspace():
                break
            value.append(char)
            i += 1
        if not closed:
            pairs.append((key, start, n, conninfo[start:]))
            break
        pairs.append((key, start, i, "".join(value)))
    return pairs
