"""How a report page carries its scripts: plotly.js and the figure data embedded, allowed by hash.

plotly.js is embedded once per file (not fetched), so a report opens from disk with no network
and can be mailed or archived alone. Figure data travels as one JSON block, escaped so that no
`<`, `>` or `&` appears raw inside the <script> element; the page's Content-Security-Policy
allows only its own two scripts (by hash), so even an injected tag could not run.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from typing import Any

from markupsafe import Markup
from plotly.utils import PlotlyJSONEncoder

from sim.display import BIDI

RENDER_JS = """(function () {
  "use strict";
  var figures = JSON.parse(document.getElementById("lunarsim-figures").textContent);
  var config = {
    displaylogo: false,
    responsive: true,
    modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"],
    toImageButtonOptions: {format: "png", scale: 2}
  };
  Object.keys(figures).forEach(function (id) {
    var element = document.getElementById(id);
    if (element) {
      Plotly.newPlot(element, figures[id].data, figures[id].layout, config);
    }
  });
})();"""


@functools.lru_cache(maxsize=1)
def plotly_js() -> str:
    """The plotly.js bundle shipped with the plotly package, safe to inline in <script>."""
    from plotly.offline import get_plotlyjs

    # "<\/script" means the same to JavaScript but cannot close the element early.
    return get_plotlyjs().replace("</script", "<\\/script")


def script_json(data: Any) -> Markup:
    """JSON for a <script type="application/json"> block: no raw <, > or & (so no `</`, `<!--`)."""
    text = json.dumps(data, cls=PlotlyJSONEncoder, separators=(",", ":"), ensure_ascii=False)
    for char, code in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, code)
    # A bidi control in a label shows as the text "\u202e": in JSON, an escaped backslash then u202e.
    return Markup(BIDI.sub(lambda m: f"\\\\u{ord(m.group(0)):04x}", text))


# Live reload for `sim.watch`: does nothing unless the watch server marked the page with a
# <meta name="lunarsim-watch"> holding the report's version; then it reloads on a newer one.
WATCH_JS = """(function () {
  "use strict";
  var mark = document.querySelector('meta[name="lunarsim-watch"]');
  if (!mark || !window.EventSource) { return; }
  var shown = Number(mark.getAttribute("content"));
  var report = document.querySelector('meta[name="lunarsim-watch-report"]');
  var reportShown = report ? Number(report.getAttribute("content")) : -1;
  function showErrors(errors) {
    // A broken save leaves the report as it was: the errors go on top, with no reload.
    var old = document.getElementById("lunarsim-watch-errors");
    if (old) { old.parentNode.removeChild(old); }
    var box = document.createElement("div");
    box.id = "lunarsim-watch-errors";
    box.setAttribute("role", "alert");
    box.setAttribute("style", "border:2px solid #b00020;background:#fff0f0;color:#600;padding:8px 12px;" +
      "margin:0 0 12px;font:14px/1.4 sans-serif");
    var head = document.createElement("strong");
    head.textContent = "The scenario does not load (the last good report is shown below):";
    var list = document.createElement("ul");
    errors.forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      list.appendChild(item);
    });
    box.appendChild(head);
    box.appendChild(list);
    var page = document.querySelector(".page") || document.body;
    page.insertBefore(box, page.firstChild);
  }
  new EventSource("/events").onmessage = function (event) {
    var news = JSON.parse(event.data);
    if (news.version <= shown) { return; }
    if (news.errors.length && news.report === reportShown && reportShown >= 0) {
      shown = news.version;
      showErrors(news.errors);
    } else {
      window.location.reload();
    }
  };
})();"""


def _csp_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def content_security_policy() -> str:
    scripts = " ".join(_csp_hash(s) for s in (plotly_js(), RENDER_JS, WATCH_JS))
    return (
        f"default-src 'none'; script-src {scripts}; connect-src 'self'; style-src 'unsafe-inline'; "
        "img-src data: blob:; font-src data:; base-uri 'none'; form-action 'none'"
    )
