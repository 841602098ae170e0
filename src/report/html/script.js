(function () {
  "use strict";
  var table = document.getElementById("ftable");
  if (!table) { return; }
  var rows = Array.prototype.slice.call(table.querySelectorAll("tr.frow"));
  var sev = document.getElementById("f-sev");
  var rule = document.getElementById("f-rule");
  var sub = document.getElementById("f-sub");
  var text = document.getElementById("f-text");
  var resBox = document.getElementById("f-res");
  var resName = document.getElementById("f-res-name");
  var shown = document.getElementById("shown");
  var resKeys = null;

  function apply() {
    var s = sev.value, r = rule.value.toUpperCase(), u = sub.value, q = text.value.trim().toLowerCase();
    var n = 0;
    rows.forEach(function (row) {
      var ok = (!s || row.getAttribute("data-sev") === s) &&
        (!r || row.getAttribute("data-rule").toUpperCase() === r) &&
        (!u || row.getAttribute("data-sub") === u) &&
        (!q || row.getAttribute("data-text").indexOf(q) >= 0);
      if (ok && resKeys) {
        var have = row.getAttribute("data-res");
        ok = resKeys.some(function (k) { return have.indexOf(" " + k + " ") >= 0; });
      }
      row.hidden = !ok;
      if (ok) { n += 1; }
    });
    shown.textContent = n + " of " + rows.length + " shown";
    shown.setAttribute("data-shown", String(n));
  }

  function setSelect(el, value) {
    var v = value.toLowerCase();
    for (var i = 0; i < el.options.length; i++) {
      if (el.options[i].value.toLowerCase() === v) { el.selectedIndex = i; return; }
    }
    var o = document.createElement("option");
    o.value = value; o.textContent = value; el.appendChild(o); el.value = value;
  }

  function fromHash() {
    var h = decodeURIComponent(location.hash.replace(/^#/, ""));
    if (h.indexOf("finding-") === 0) {
      var row = document.getElementById(h);
      if (row) {
        var d = row.querySelector("details");
        if (d) { d.open = true; }
        row.classList.add("target");
        row.scrollIntoView();
      }
      return;
    }
    var resource = null;
    h.split("&").forEach(function (part) {
      var m = /^filter-(sev|severity|rule|sub|subscription|text|resource)=(.*)$/.exec(part);
      if (!m) { return; }
      if (m[1] === "sev" || m[1] === "severity") { setSelect(sev, m[2]); }
      else if (m[1] === "rule") { setSelect(rule, m[2]); }
      else if (m[1] === "sub" || m[1] === "subscription") { setSelect(sub, m[2]); }
      else if (m[1] === "resource") { resource = m[2]; }
      else { text.value = m[2]; }
    });
    if (resource !== null) {
      // As if the resource were clicked in the picture (a subnet before a VNet of the same name).
      var all = Array.prototype.slice.call(document.querySelectorAll("#topo .res"));
      var hit = all.filter(function (g) { return g.getAttribute("data-name").toLowerCase() === resource.toLowerCase(); })
        .sort(function (a, b) { return b.classList.contains("subnet") - a.classList.contains("subnet"); })[0];
      if (hit) { hit.dispatchEvent(new MouseEvent("click", { bubbles: true })); return; }
    }
    apply();
  }

  [sev, rule, sub].forEach(function (el) { el.addEventListener("change", apply); });
  text.addEventListener("input", apply);
  document.getElementById("f-res-clear").addEventListener("click", function () {
    resKeys = null; resBox.hidden = true; apply();
  });

  Array.prototype.forEach.call(document.querySelectorAll("#topo .res"), function (g) {
    function pick(ev) {
      ev.stopPropagation();
      resKeys = g.getAttribute("data-keys").split(" ").filter(Boolean);
      resName.textContent = g.getAttribute("data-name");
      resBox.hidden = false;
      // A subnet's effective routes open beside the filtered findings.
      var detail = document.getElementById("subnet-" + resKeys[0]);
      var link = document.getElementById("f-res-routes");
      if (detail && g.classList.contains("subnet")) {
        detail.open = true;
        document.getElementById("subnet-routes").open = true;
        link.href = "#subnet-" + resKeys[0];
        link.hidden = false;
      } else { link.hidden = true; }
      apply();
      document.getElementById("findings").scrollIntoView();
    }
    g.addEventListener("click", pick);
    g.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { pick(ev); } });
  });

  Array.prototype.forEach.call(document.querySelectorAll("th[data-sort]"), function (th) {
    th.addEventListener("click", function () {
      var tbody = th.closest("table").tBodies[0];
      var key = th.getAttribute("data-sort");
      var col = th.cellIndex;
      var asc = th.getAttribute("data-dir") !== "asc";
      th.setAttribute("data-dir", asc ? "asc" : "desc");
      var list = Array.prototype.slice.call(tbody.rows);
      list.sort(function (a, b) {
        var x, y;
        if (key === "sev") { x = +a.getAttribute("data-rank"); y = +b.getAttribute("data-rank"); }
        else { x = a.cells[col].textContent.toLowerCase(); y = b.cells[col].textContent.toLowerCase(); }
        var c = x < y ? -1 : x > y ? 1 : 0;
        return asc ? c : -c;
      });
      list.forEach(function (r) { tbody.appendChild(r); });
    });
  });

  Array.prototype.forEach.call(document.querySelectorAll("button.copy"), function (b) {
    b.addEventListener("click", function () {
      var pre = b.parentNode.nextElementSibling;
      var t = pre ? pre.textContent : "";
      function done() { b.textContent = "copied"; setTimeout(function () { b.textContent = "copy"; }, 1500); }
      function fallback() {
        var range = document.createRange();
        range.selectNodeContents(pre);
        var sel = window.getSelection();
        sel.removeAllRanges(); sel.addRange(range);
        try { document.execCommand("copy"); done(); } catch (e) { b.textContent = "select + Ctrl-C"; }
      }
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(t).then(done, fallback);
      } else { fallback(); }
    });
  });

  // A printed report shows every finding's detail.
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details"), function (d) { d.open = true; });
  });
  window.addEventListener("hashchange", fromHash);
  fromHash();
})();
