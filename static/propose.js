// The proposal editor: a live preview as you type, and the toggle between the prose fields and the
// Markdown. The server does every conversion (fields -> Markdown -> fields, the id a heading suggests),
// so there is one rule for each. Without this script the Preview, Prose fields and Markdown buttons
// do the same with a page reload.
(function () {
  "use strict";
  var editor = document.querySelector(".editor[data-preview-url]");
  if (!editor) { return; }
  var text = document.getElementById("text");
  var mode = document.getElementById("mode");
  var current = document.getElementById("current-body");
  var body = document.getElementById("preview-body");
  var diff = document.getElementById("preview-diff");
  var error = document.getElementById("preview-error");
  var panes = {fields: document.getElementById("fields-pane"), markdown: document.getElementById("markdown-pane")};
  var names = ["clause_title", "clause_id", "authority", "attributes", "clause_body"];
  var field = function (name) { return document.getElementById(name); };
  var idTouched = field("clause_id") && field("clause_id").value !== "";
  var timer = null;
  var latest = 0;

  function showDiff(ops) {
    diff.textContent = "";
    ops.forEach(function (o) {
      var node = o.op === "delete" ? document.createElement("del")
        : o.op === "insert" ? document.createElement("ins") : document.createTextNode(o.text);
      if (o.op !== "equal") {
        var sr = document.createElement("span");
        sr.className = "sr-only";
        sr.textContent = o.op === "delete" ? "deleted: " : "inserted: ";
        node.appendChild(sr);
        var open = o.op === "delete" ? "[-" : "{+", close = o.op === "delete" ? "-]" : "+}";
        node.appendChild(document.createTextNode(open + o.text + close));  // text, never HTML
      }
      diff.appendChild(node);
    });
  }

  function payload() {
    var data = {id: editor.dataset.id, mode: mode.value, text: text.value, body: current.value};
    if (panes.fields) {
      names.forEach(function (n) { data[n] = field(n).value; });
      data.level = panes.fields.querySelector("input[name=level]").value;
    }
    return data;
  }

  function ask() {
    return fetch(editor.dataset.previewUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": editor.dataset.csrf},
      body: JSON.stringify(payload())
    }).then(function (r) { return r.json(); });
  }

  function show(data) {
    error.hidden = !data.error;
    error.textContent = data.error || "";
    if (!data.error) {
      body.innerHTML = data.html;  // sanitized by the server (nh3), as on clause pages
      showDiff(data.diff);
    }
    var id = field("clause_id");
    if (id && !id.readOnly && !idTouched && data.suggested_id) { id.value = data.suggested_id; }
  }

  function refresh() {
    var ticket = ++latest;
    ask().then(function (data) {
      if (ticket === latest) { show(data); }  // else an older answer arriving late
    }).catch(function () { /* the Preview button still works */ });
  }

  function switchTo(wanted) {
    if (!panes.fields || mode.value === wanted) { return; }
    ask().then(function (data) {
      if (wanted === "markdown" && data.text === null) { show(data); return; }  // the fields do not make a clause yet
      if (wanted === "fields" && !data.fields) {
        error.hidden = false;
        error.textContent = data.error || "this text has no heading line with an {#id}; keep writing it as Markdown";
        return;
      }
      if (wanted === "markdown") { text.value = data.text; }
      else { names.forEach(function (n) { field(n).value = data.fields[n]; }); }
      mode.value = wanted;
      panes.fields.hidden = wanted !== "fields";
      panes.markdown.hidden = wanted !== "markdown";
      editor.querySelectorAll(".mode-toggle button").forEach(function (b) {
        b.setAttribute("aria-pressed", String(b.value === wanted));
      });
      show(data);
    }).catch(function () { /* the buttons still work with a reload */ });
  }

  editor.querySelectorAll(".mode-toggle button").forEach(function (b) {
    b.addEventListener("click", function (event) { event.preventDefault(); switchTo(b.value); });
  });
  if (field("clause_id")) {
    field("clause_id").addEventListener("input", function () { idTouched = field("clause_id").value !== ""; });
  }
  editor.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  });
  refresh();
}());
