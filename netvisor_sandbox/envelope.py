"""Response envelopes as Netvisor writes them (API.md §1.4, §3): UTF-8 declaration with
standalone="yes", CRLF line ends, 4-space indentation, Helsinki-time TimeStamp."""

import datetime
import re
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo

DECLARATION = '<?xml version="1.0" encoding="utf-8" standalone="yes"?>'
HELSINKI = ZoneInfo("Europe/Helsinki")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class E:
    """An output element: `content` is text (str) or a list of child elements."""

    __slots__ = ("attrs", "content", "tag")

    def __init__(self, tag: str, content="", attrs: dict | None = None):
        self.tag = tag
        self.content = content
        self.attrs = attrs or {}

    def render(self, out: list[str], depth: int) -> None:
        pad = "    " * depth
        attrs = "".join(f" {k}={quoteattr(str(v))}" for k, v in self.attrs.items())
        if isinstance(self.content, list):
            if not self.content:
                out.append(f"{pad}<{self.tag}{attrs} />")
                return
            out.append(f"{pad}<{self.tag}{attrs}>")
            for child in self.content:
                child.render(out, depth + 1)
            out.append(f"{pad}</{self.tag}>")
        else:
            out.append(f"{pad}<{self.tag}{attrs}>{escape(str(self.content))}</{self.tag}>")


def helsinki_timestamp(now: datetime.datetime | None = None) -> str:
    """`d.M.yyyy H:mm:ss` in Finnish local time, like the real TimeStamp."""
    local = (now or datetime.datetime.now(datetime.timezone.utc)).astimezone(HELSINKI)
    return (
        f"{local.day}.{local.month}.{local.year} {local.hour}:{local.minute:02d}:{local.second:02d}"
    )


def render(statuses: list[str], payload: list[E]) -> bytes:
    status = E(
        "ResponseStatus",
        [E("Status", s) for s in statuses] + [E("TimeStamp", helsinki_timestamp())],
    )
    lines = [DECLARATION]
    E("Root", [status, *payload]).render(lines, 0)
    return "\r\n".join(lines).encode("utf-8")


def ok(payload: list[E] | None = None) -> bytes:
    return render(["OK"], payload or [])


def failed(message: str, raw_amp: bool = False) -> bytes:
    """Two Status elements: FAILED, then `CATEGORY :: text` (API.md §3.2). Characters
    XML cannot carry (they may come from echoed headers) become `?`. `raw_amp` writes `&`
    unescaped, as Netvisor's echo of the MAC string does (§11.1): not well-formed XML."""
    body = render(["FAILED", _NOT_XML.sub("?", message)], [])
    return body.replace(b"&amp;", b"&") if raw_amp else body
