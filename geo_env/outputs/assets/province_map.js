/* geo_env province overview map runtime (part of geo_env, MIT licence).
 * Reads the JSON block #province-data; draws each county as a polygon coloured by the chosen
 * indicator's share (baseline or planned); a click opens the county's own plan map (a
 * relative link).  Every text from the data is set with textContent, never as HTML. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("province-data").textContent);
  var text = data.text;
  var select = document.getElementById("indicator");
  var when = document.getElementById("when");

  function el(tag, cls, content) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (content !== undefined && content !== null) { e.textContent = String(content); }
    return e;
  }
  function pct(v) { return v === null || v === undefined ? text.not_assessed : (100 * v).toFixed(1) + "%"; }
  function value(c) {
    var v = c.values[select.value];
    return v ? v[when.value === "planned" ? 1 : 0] : null;
  }
  function colour(c) {
    if (c.status !== "ok") { return data.failed; }
    var v = value(c);
    if (v === null || v === undefined) { return data.no_data; }
    for (var i = 0; i < data.breaks.length; i++) { if (v < data.breaks[i]) { return data.ramp[i]; } }
    return data.ramp[data.ramp.length - 1];
  }

  document.getElementById("title").textContent = data.title;
  document.getElementById("hint").textContent = text.open_county_map;
  data.indicators.forEach(function (ind) {
    var o = el("option", null, ind.label); o.value = ind.id; select.appendChild(o);
  });
  ["planned", "baseline"].forEach(function (w) {
    var o = el("option", null, text[w]); o.value = w; when.appendChild(o);
  });

  var map = L.map("map", { preferCanvas: true, zoomSnap: 0.25 });
  var features = data.counties.filter(function (c) { return c.geometry; }).map(function (c) {
    return { type: "Feature", geometry: c.geometry, properties: { c: c } };
  });
  function style(f) {
    return { color: "#37474f", weight: 1, opacity: 0.9, fillOpacity: 0.8, fillColor: colour(f.properties.c) };
  }
  function tooltip(c) {
    var div = el("div");
    div.appendChild(el("b", null, c.name));
    if (c.status !== "ok") {
      div.appendChild(el("div", "pv-failed", text.failed));
      return div;
    }
    div.appendChild(el("div", null, select.options[select.selectedIndex].textContent + ": " + pct(value(c))));
    div.appendChild(el("div", null, text.villages_count + ": " + c.villages));
    return div;
  }
  var layer = L.geoJSON({ type: "FeatureCollection", features: features }, {
    style: style,
    onEachFeature: function (f, lyr) {
      var c = f.properties.c;
      lyr.bindTooltip(function () { return tooltip(c); }, { sticky: true });
      if (c.href) { lyr.on("click", function () { window.location.href = c.href; }); }
    }
  }).addTo(map);
  if (features.length) { map.fitBounds(layer.getBounds(), { padding: [12, 12] }); } else { map.setView([30, 110], 5); }

  function legend() {
    var box = document.getElementById("legend");
    box.textContent = "";
    var lo = 0;
    data.ramp.forEach(function (col, i) {
      var hi = i < data.breaks.length ? data.breaks[i] : 1;
      var row = el("div", "pv-row");
      var sw = el("span", "pv-sw"); sw.style.background = col; row.appendChild(sw);
      row.appendChild(document.createTextNode(Math.round(100 * lo) + "–" + Math.round(100 * hi) + "%"));
      box.appendChild(row);
      lo = hi;
    });
    [[data.no_data, text.not_assessed], [data.failed, text.failed]].forEach(function (pair) {
      var row = el("div", "pv-row");
      var sw = el("span", "pv-sw"); sw.style.background = pair[0]; row.appendChild(sw);
      row.appendChild(document.createTextNode(pair[1]));
      box.appendChild(row);
    });
    var ind = data.indicators[select.selectedIndex];
    box.appendChild(el("div", "pv-total", text.province_total + ": " + pct(ind.province[when.value === "planned" ? 1 : 0])));
  }
  function list() {
    var ol = document.getElementById("counties");
    ol.textContent = "";
    data.counties.forEach(function (c) {
      var li = el("li");
      if (c.href) {
        var a = el("a", null, c.name); a.href = c.href; li.appendChild(a);
        li.appendChild(el("span", "pv-value", pct(value(c))));
      } else {
        li.appendChild(el("span", "pv-failed", c.name + " — " + text.failed));
        li.appendChild(el("span", "pv-error", c.error));
      }
      ol.appendChild(li);
    });
  }
  function refresh() { layer.setStyle(style); legend(); list(); }
  select.addEventListener("change", refresh);
  when.addEventListener("change", refresh);
  refresh();
  window.geoEnvReady = true;
})();
