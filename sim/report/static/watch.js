(function () {
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
})();
