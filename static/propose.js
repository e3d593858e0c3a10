// Live preview for the proposal editor: as you type, the server renders the clause text
// (sanitized, like clause pages) and a word diff against the current body. Without this
// script the form's Preview button does the same with a page reload.
(function () {
  "use strict";
  var editor = document.querySelector(".editor[data-preview-url]");
  if (!editor) { return; }
  var text = document.getElementById("text");
  var current = document.getElementById("current-body");
  var body = document.getElementById("preview-body");
  var diff = document.getElementById("preview-diff");
  var error = document.getElementById("preview-error");
  var timer = null;
  var latest = 0;

  function showDiff(ops) {
    diff.textContent = "";
    ops.forEach(function (o) {
      var node = o.op === "delete" ? document.createElement("del")
        : o.op === "insert" ? document.createElement("ins") : document.createTextNode(o.text);
      if (o.op !== "equal") {
        var open = o.op === "delete" ? "[-" : "{+", close = o.op === "delete" ? "-]" : "+}";
        node.textContent = open + o.text + close;  // text, never HTML
      }
      diff.appendChild(node);
    });
  }

  function refresh() {
    var ticket = ++latest;
    fetch(editor.dataset.previewUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": editor.dataset.csrf},
      body: JSON.stringify({id: editor.dataset.id, text: text.value, body: current.value})
    }).then(function (r) { return r.json(); }).then(function (data) {
      if (ticket !== latest) { return; }  // an older answer arriving late
      error.hidden = !data.error;
      error.textContent = data.error || "";
      if (!data.error) {
        body.innerHTML = data.html;  // sanitized by the server (nh3), as on clause pages
        showDiff(data.diff);
      }
    }).catch(function () { /* the Preview button still works */ });
  }

  text.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  });
  refresh();
}());
