"""How a report page carries its scripts: plotly.js and the figure data embedded, allowed by hash.

plotly.js is embedded once per file (not fetched), so a report opens from disk with no network
and can be mailed or archived alone. Figure data travels as one JSON block, escaped so that no
`<`, `>` or `&` appears raw inside the <script> element; the page's Content-Security-Policy
allows only its own two scripts (by hash), so even an injected tag could not run.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import json
import math
import pkgutil
from typing import Any

import numpy as np
from markupsafe import Markup

from sim.display import BIDI


def _static(name: str) -> str:
    """One of our scripts, kept as a plain .js file in sim/report/static/ so that linters read it."""
    text = pkgutil.get_data("sim.report", f"static/{name}")
    if text is None:
        raise FileNotFoundError(f"sim/report/static/{name} is missing")
    return text.decode("utf-8")


# Draws the page's figures from their JSON blocks, and redraws them when the page is resized.
RENDER_JS = _static("render.js")


class Script(Markup):
    """Script text printed into a page as it is: our own scripts, or JSON `script_json` made safe.
    The page's output filter (which shows bidi controls as code points) passes it by, so the
    megabytes of plotly.js are not scanned on every page and each script keeps its CSP hash."""

    __slots__ = ()


@functools.lru_cache(maxsize=1)
def scripts() -> tuple[Script, Script, Script]:
    """plotly.js, the figure renderer and the live-reload script, ready to print."""
    return Script(plotly_js()), Script(RENDER_JS), Script(WATCH_JS)


@functools.lru_cache(maxsize=1)
def plotly_js() -> str:
    """The plotly.js bundle shipped with the plotly package, safe to inline in <script>."""
    # Read as plotly.offline.get_plotlyjs reads it, without loading plotly's figure modules.
    bundle = pkgutil.get_data("plotly", "package_data/plotly.min.js")
    if bundle is None:
        raise FileNotFoundError("plotly.min.js is missing from the plotly package")
    # "<\/script" means the same to JavaScript but cannot close the element early.
    return bundle.decode("utf-8").replace("</script", "<\\/script")


def _plain(value: Any) -> Any:
    """A NumPy array or number, or a date, as the JSON value plotly.js reads."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot go into a figure")


def _finite(value: Any) -> Any:
    """`value` with every NaN or infinity (which JSON cannot hold) as null, as plotly.js reads a gap."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    if isinstance(value, (np.ndarray, np.generic, dt.date)):
        return _finite(_plain(value))
    return value


def figure_json(data: Any) -> str:
    """Figures as compact strict JSON: NumPy values as lists and numbers, dates as ISO text,
    NaN and infinities as null."""
    try:
        return json.dumps(data, default=_plain, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except ValueError:  # a NaN or infinity somewhere: the slower pass that nulls them
        return json.dumps(_finite(data), default=_plain, separators=(",", ":"), ensure_ascii=False)


def script_json(data: Any) -> Script:
    """JSON for a <script type="application/json"> block: no raw <, > or & (so no `</`, `<!--`)."""
    text = figure_json(data)
    for char, code in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, code)
    # A bidi control in a label shows as the text "\u202e": in JSON, an escaped backslash then u202e.
    return Script(BIDI.sub(lambda m: f"\\\\u{ord(m.group(0)):04x}", text))


# Live reload for `sim.cli.watch`: does nothing unless the watch server marked the page with a
# <meta name="lunarsim-watch"> holding the report's version; then it reloads on a newer one.
WATCH_JS = _static("watch.js")


def _csp_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


@functools.lru_cache(maxsize=1)
def content_security_policy() -> str:
    scripts = " ".join(_csp_hash(s) for s in (plotly_js(), RENDER_JS, WATCH_JS))
    return (
        f"default-src 'none'; script-src {scripts}; connect-src 'self'; style-src 'unsafe-inline'; "
        "img-src data: blob:; font-src data:; base-uri 'none'; form-action 'none'"
    )
