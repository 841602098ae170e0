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

  // The subnet drill-down, drawn from the embedded data when a subnet is picked. Every value goes
  // in as text (textContent), never as markup.
  var dataEl = document.getElementById("subnet-data");
  var pickSel = document.getElementById("dd-pick");
  var dd = null;
  function ddData() {
    if (!dd && dataEl) { dd = JSON.parse(dataEl.textContent); }
    return dd;
  }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = text; }
    if (cls) { e.className = cls; }
    return e;
  }
  function grid(id, head, rows) {
    var t = el("table", null, "routes");
    t.id = id;
    var tr = el("tr");
    head.forEach(function (h) { tr.appendChild(el("th", h)); });
    t.appendChild(el("thead")).appendChild(tr);
    var body = t.appendChild(el("tbody"));
    rows.forEach(function (r) {
      var row = body.appendChild(el("tr", null, r.cls));
      r.cells.forEach(function (c) { row.appendChild(el("td", c)); });
    });
    return t;
  }
  function showSubnet(key) {
    var d = ddData();
    var body = document.getElementById("dd-body");
    if (!body || !d) { return false; }
    var sub = d.subnet[key];
    body.textContent = "";
    if (!sub) { return false; }
    var S = d.s;
    pickSel.value = key;
    body.appendChild(el("h3", S[sub[0]] + " / " + S[sub[1]]));
    sub[5].forEach(function (n) { body.appendChild(el("p", "note: " + S[n], "note")); });
    body.appendChild(el("h4", "Effective routes (" + sub[4].length + ")"));
    body.appendChild(grid("dd-routes", ["source", "state", "prefix", "next hop", "next hop IP", "note"],
      sub[4].map(function (i) {
        var r = d.routes[i];
        return { cls: r[6] ? "invalid" : "active", cells: r.slice(0, 6).map(function (x) { return S[x]; }) };
      })));
    var nsg = sub[2] === null ? null : d.nsg[sub[2]];
    function side(list) {
      return list.map(function (ti) {
        var x = sub[3][ti] !== undefined ? sub[3][ti] : d.fixed[ti];
        return S[x];
      }).join("\n");
    }
    [["Inbound", 1, "dd-rules-in"], ["Outbound", 2, "dd-rules-out"]].forEach(function (dir) {
      body.appendChild(el("h4", dir[0] + " · subnet NSG: " + (nsg ? S[nsg[0]] : "none (all traffic passes this level)")));
      if (!nsg) { return; }
      body.appendChild(grid(dir[2], ["priority", "name", "access", "protocol", "source", "source ports", "destination", "destination ports"],
        nsg[dir[1]].map(function (i) {
          var r = d.rules[i];
          return { cls: r[8] ? "default" : "user", cells: [String(r[0]), S[r[1]], S[r[2]], S[r[3]], side(r[4]), S[r[5]], side(r[6]), S[r[7]]] };
        })));
    });
    return true;
  }
  if (pickSel && ddData()) {
    var S0 = dd.s;
    Object.keys(dd.subnet).map(function (k) {
      return { k: k, label: S0[dd.subnet[k][0]] + " / " + S0[dd.subnet[k][1]] };
    }).sort(function (a, b) { return a.label < b.label ? -1 : a.label > b.label ? 1 : 0; })
      .forEach(function (o) { var opt = el("option", o.label); opt.value = o.k; pickSel.appendChild(opt); });
    pickSel.addEventListener("change", function () { showSubnet(pickSel.value); });
  }

  // The text filter searches what a row shows, read once when first needed.
  var texts = null;
  function textOf(i) {
    if (!texts) { texts = rows.map(function (r) { return r.textContent.toLowerCase(); }); }
    return texts[i];
  }

  function apply() {
    var s = sev.value, r = rule.value.toUpperCase(), u = sub.value, q = text.value.trim().toLowerCase();
    var n = 0;
    rows.forEach(function (row, i) {
      var ok = (!s || row.getAttribute("data-sev") === s) &&
        (!r || row.getAttribute("data-rule").toUpperCase() === r) &&
        (!u || row.getAttribute("data-sub") === u) &&
        (!q || textOf(i).indexOf(q) >= 0);
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

  // In the overview of a large tenant, a subscription's folded picture.
  function unfold(subscription) {
    Array.prototype.forEach.call(document.querySelectorAll(".topo .group"), function (g) {
      if (g.getAttribute("data-sub") === subscription.toLowerCase()) {
        var d = document.getElementById(g.getAttribute("data-detail"));
        if (d) { d.open = true; }
      }
    });
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
      else if (m[1] === "sub" || m[1] === "subscription") { setSelect(sub, m[2]); unfold(m[2]); }
      else if (m[1] === "resource") { resource = m[2]; }
      else { text.value = m[2]; }
    });
    if (resource !== null) {
      // As if the resource were clicked in the picture (a subnet before a VNet of the same name).
      var all = Array.prototype.slice.call(document.querySelectorAll(".topo .res"));
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

  Array.prototype.forEach.call(document.querySelectorAll(".topo .res"), function (g) {
    function pick(ev) {
      ev.stopPropagation();
      // Inside a folded subscription picture: unfold it.
      var folded = g.closest("details");
      if (folded) { folded.open = true; }
      resKeys = g.getAttribute("data-keys").split(" ").filter(Boolean);
      resName.textContent = g.getAttribute("data-name");
      resBox.hidden = false;
      // A subnet's effective routes and rules are drawn in the drill-down beside the findings.
      var link = document.getElementById("f-res-routes");
      link.hidden = !(g.classList.contains("subnet") && showSubnet(resKeys[0]));
      apply();
      document.getElementById("findings").scrollIntoView();
    }
    g.addEventListener("click", pick);
    g.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { pick(ev); } });
  });

  // A subscription box of the overview unfolds its picture and filters the findings to it.
  Array.prototype.forEach.call(document.querySelectorAll(".topo .group"), function (g) {
    function open(ev) {
      ev.stopPropagation();
      var d = document.getElementById(g.getAttribute("data-detail"));
      if (d) { d.open = true; }
      setSelect(sub, g.getAttribute("data-sub"));
      apply();
      if (d) { d.scrollIntoView(); }
    }
    g.addEventListener("click", open);
    g.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { open(ev); } });
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
