/* geo_env plan map runtime (part of geo_env, MIT licence).
 *
 * Decodes the compact geometry written by geo_env/_topology.py and builds the map's
 * layers and controls: village search, fullscreen, distance measurement and a legend.
 * Every string in the data was HTML-escaped by geo_env/_html.py before it was written;
 * text typed by the user is only ever shown through textContent.
 */
(function (L) {
  'use strict';

  var ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  var CODE = new Int16Array(128).fill(-1);
  for (var a = 0; a < ALPHABET.length; a++) { CODE[ALPHABET.charCodeAt(a)] = a; }

  /* Arcs: ","-separated; per arc x0 y0 dx dy ... as zig-zag integers in 5-bit groups
     (values >= 32 mean "more groups follow"); first point relative to origin. */
  function decodeArcs(text, origin, quantum) {
    var arcs = [];
    if (!text) { return arcs; }
    var pts = [], value = 0, scale = 1, haveX = false, cx = 0, first = true, x = 0, y = 0;
    for (var i = 0, n = text.length; i <= n; i++) {
      var c = i < n ? text.charCodeAt(i) : 44;
      if (c === 44) { arcs.push(pts); pts = []; first = true; continue; }
      var d = CODE[c];
      if (d < 0) { throw new Error('geo_env: bad geometry encoding'); }
      value += (d & 31) * scale;
      scale *= 32;
      if (d < 32) {
        var v = (value % 2) ? -(value + 1) / 2 : value / 2;
        value = 0; scale = 1;
        if (!haveX) { cx = v; haveX = true; continue; }
        haveX = false;
        if (first) { x = origin[0] + cx; y = origin[1] + v; first = false; } else { x += cx; y += v; }
        pts.push(L.latLng(y * quantum, x * quantum));
      }
    }
    return arcs;
  }

  function joinArcs(refs, arcs) {
    var out = [];
    for (var i = 0; i < refs.length; i++) {
      var r = refs[i], arc = r >= 0 ? arcs[r] : arcs[~r], j;
      var skip = out.length ? 1 : 0;
      if (r >= 0) { for (j = skip; j < arc.length; j++) { out.push(arc[j]); } }
      else { for (j = arc.length - 1 - skip; j >= 0; j--) { out.push(arc[j]); } }
    }
    return out;
  }

  function fieldValue(f, i) { return f.codes ? f.dict[f.codes[i]] : f.values[i]; }

  function tooltipHtml(spec, i) {
    var parts = [];
    for (var k = 0; k < spec.tooltip.length; k++) {
      var f = spec.fields[spec.tooltip[k]], v = fieldValue(f, i);
      if (v === '' || v === null || v === undefined) { continue; }
      parts.push(k === 0 ? '<b>' + v + '</b>' : f.label + '：' + v);
    }
    return parts.join('<br>');
  }

  function popupHtml(spec, i) {
    var head = '', rows = '', notes = '';
    for (var k = 0; k < spec.popup.length; k++) {
      var f = spec.fields[spec.popup[k]], v = fieldValue(f, i);
      if (v === '' || v === null || v === undefined) { continue; }
      if (k === 0) { head = '<div class="ge-popup-title">' + v + '</div>'; }
      else if (f.long) { notes += '<p class="ge-popup-note"><b>' + f.label + '</b>：' + v + '</p>'; }
      else { rows += '<tr><th>' + f.label + '</th><td>' + v + '</td></tr>'; }
    }
    return '<div class="ge-popup">' + head + '<table>' + rows + '</table>' + notes + '</div>';
  }

  function makeItem(spec, i, geo) {
    var style = spec.styles ? spec.styles[spec.cls ? spec.cls[i] : 0] : {};
    var kind = spec.kind, arcs = geo.arcs, item;
    if (kind === 'polygons') {
      var polys = spec.geom[i], rings = [];
      if (!polys.length) { return null; }
      for (var p = 0; p < polys.length; p++) {
        var rs = [];
        for (var r = 0; r < polys[p].length; r++) { rs.push(joinArcs(polys[p][r], arcs)); }
        rings.push(rs);
      }
      item = L.polygon(rings.length === 1 ? rings[0] : rings, style);
    } else if (kind === 'lines') {
      var parts = [];
      for (var q = 0; q < spec.geom[i].length; q++) { parts.push(joinArcs([spec.geom[i][q]], arcs)); }
      item = L.polyline(parts, style);
    } else {
      var ll = arcs[spec.geom][i];
      if (kind === 'points') { item = L.circleMarker(ll, style); }
      else if (kind === 'circles') {
        item = L.circle(ll, L.extend({}, style, {radius: spec.radius[i]}));
      } else if (kind === 'labels') {
        item = L.marker(ll, {
          icon: L.divIcon({className: 'ge-label', html: '<span>' + spec.text[i] + '</span>', iconSize: null}),
          interactive: false, keyboard: false
        });
      }
    }
    item._geIndex = i;
    return item;
  }

  function count(spec) {
    if (spec.kind === 'polygons' || spec.kind === 'lines') { return spec.geom.length; }
    if (spec.kind === 'image') { return 1; }
    return geoEnv.geo.arcs[spec.geom].length;
  }

  var geoEnv = {specs: [], groups: {}, geo: null, popupHtml: popupHtml, tooltipHtml: tooltipHtml};

  geoEnv.load = function (id) {
    var data = JSON.parse(document.getElementById(id).textContent);
    geoEnv.data = data;
    geoEnv.geo = {arcs: decodeArcs(data.arcs, data.origin, data.quantum)};
    geoEnv.specs = data.layers;
    for (var i = 0; i < data.layers.length; i++) {
      var spec = data.layers[i];
      if (typeof spec.fields === 'string') { spec.fields = data.tables[spec.fields]; }
      var parts = spec.parts || [spec];
      for (var p = 0; p < parts.length; p++) {
        if (typeof parts[p].geom === 'string') { parts[p].geom = data.geoms[parts[p].geom]; }
      }
    }
    return data;
  };

  geoEnv.fill = function (group, spec) {
    if (group._geFilled) { return; }
    group._geFilled = true;
    if (spec.kind === 'image') {
      group.addLayer(L.imageOverlay(spec.url, spec.bounds, {opacity: spec.opacity, interactive: false}));
      return;
    }
    var parts = spec.parts || [spec], items = [];
    for (var p = 0; p < parts.length; p++) {
      for (var i = 0, n = count(parts[p]); i < n; i++) {
        var item = makeItem(parts[p], i, geoEnv.geo);
        items.push(item);
        if (item) { group.addLayer(item); }
      }
    }
    group._geItems = items;
  };

  geoEnv.layer = function (map, key) {
    var spec = null;
    for (var s = 0; s < geoEnv.specs.length; s++) { if (geoEnv.specs[s].key === key) { spec = geoEnv.specs[s]; } }
    var group = L.featureGroup();
    group._geSpec = spec;
    geoEnv.groups[key] = group;
    if (spec.popup && spec.popup.length) {
      group.on('click', function (e) {
        if (geoEnv.measure && geoEnv.measure.on) { return; }  /* clicks add measure points */
        L.popup({maxWidth: 360}).setLatLng(e.latlng).setContent(popupHtml(spec, e.layer._geIndex)).openOn(map);
      });
    }
    if (spec.tooltip && spec.tooltip.length) {
      group.bindTooltip(function (layer) { return tooltipHtml(spec, layer._geIndex); },
        {sticky: spec.kind === 'polygons' || spec.kind === 'lines'});
    }
    group.on('add', function () { geoEnv.fill(group, spec); });
    return group;
  };

  /* ---- controls ---- */

  function legendHtml(spec) {
    var html = spec.legend.length > 1 ? '<div class="ge-legend-title">' + spec.name + '</div>' : '';
    for (var i = 0; i < spec.legend.length; i++) {
      var e = spec.legend[i], sw;
      if (e.shape === 'line') { sw = '<i class="ge-sw ge-sw-line" style="border-top-color:' + e.color + '"></i>'; }
      else if (e.shape === 'circle') {
        sw = '<i class="ge-sw ge-sw-circle" style="background:' + e.fill + ';border-color:' + e.color + '"></i>';
      } else { sw = '<i class="ge-sw" style="background:' + e.fill + ';border-color:' + e.color + '"></i>'; }
      html += '<div class="ge-legend-row">' + sw + e.label + '</div>';
    }
    return html;
  }

  var Legend = L.Control.extend({
    options: {position: 'bottomright'},
    onAdd: function (map) {
      this._div = L.DomUtil.create('div', 'ge-legend leaflet-bar');
      L.DomEvent.disableClickPropagation(this._div);
      L.DomEvent.disableScrollPropagation(this._div);
      map.on('overlayadd overlayremove layeradd layerremove', this.update, this);
      this._map = map;
      this.update();
      return this._div;
    },
    update: function () {
      var html = '';
      for (var i = 0; i < geoEnv.specs.length; i++) {
        var spec = geoEnv.specs[i], g = geoEnv.groups[spec.key];
        if (spec.legend && spec.legend.length && g && this._map.hasLayer(g)) { html += legendHtml(spec); }
      }
      this._div.innerHTML = html;
      this._div.style.display = html ? '' : 'none';
    }
  });

  function decodeText(escaped) {
    var t = document.createElement('textarea');  /* RCDATA: parsing creates no elements */
    t.innerHTML = escaped;
    return t.value;
  }

  var Search = L.Control.extend({
    options: {position: 'topleft'},
    onAdd: function (map) {
      var ui = geoEnv.data.ui, self = this;
      var div = L.DomUtil.create('div', 'ge-search leaflet-bar');
      var input = L.DomUtil.create('input', '', div);
      input.type = 'search';
      input.placeholder = decodeText(ui.search);
      input.setAttribute('aria-label', decodeText(ui.search));
      var list = L.DomUtil.create('ul', 'ge-search-results', div);
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      this._index = null;
      L.DomEvent.on(input, 'input', function () { self._search(map, input.value, list); });
      L.DomEvent.on(input, 'keydown', function (e) {
        if (e.key === 'Enter' && list.firstChild) { list.firstChild.click(); }
      });
      return div;
    },
    _build: function () {
      var index = [];
      for (var s = 0; s < geoEnv.specs.length; s++) {
        var spec = geoEnv.specs[s];
        if (!spec.search) { continue; }
        var names = spec.fields[spec.search.name], extra = spec.fields[spec.search.extra];
        for (var i = 0, n = count(spec); i < n; i++) {
          index.push({spec: spec, i: i, name: decodeText(fieldValue(names, i)),
            extra: extra ? decodeText(fieldValue(extra, i)) : ''});
        }
        break;
      }
      return index;
    },
    _search: function (map, query, list) {
      while (list.firstChild) { list.removeChild(list.firstChild); }
      query = query.trim().toLowerCase();
      if (!query) { return; }
      if (!this._index) { this._index = this._build(); }
      var shown = 0;
      for (var k = 0; k < this._index.length && shown < 12; k++) {
        var e = this._index[k];
        if (e.name.toLowerCase().indexOf(query) < 0) { continue; }
        var li = L.DomUtil.create('li', '', list);
        li.textContent = e.extra ? e.name + ' · ' + e.extra : e.name;
        li.tabIndex = 0;
        L.DomEvent.on(li, 'click', this._go.bind(this, map, e, list));
        shown++;
      }
    },
    _go: function (map, e, list) {
      var group = geoEnv.groups[e.spec.key];
      if (!map.hasLayer(group)) { map.addLayer(group); }
      geoEnv.fill(group, e.spec);
      var item = group._geItems[e.i];
      if (!item) { return; }
      var center = item.getBounds ? item.getBounds().getCenter() : item.getLatLng();
      if (item.getBounds) { map.fitBounds(item.getBounds(), {maxZoom: 15}); } else { map.setView(center, 15); }
      L.popup({maxWidth: 360}).setLatLng(center).setContent(popupHtml(e.spec, e.i)).openOn(map);
      while (list.firstChild) { list.removeChild(list.firstChild); }
    }
  });

  var ICONS = {
    fullscreen: '<svg viewBox="0 0 16 16" width="16" height="16" fill="none" stroke="#222" ' +
      'stroke-width="2"><path d="M1 5V1h4M11 1h4v4M15 11v4h-4M5 15H1v-4"/></svg>',
    measure: '<svg viewBox="0 0 16 16" width="16" height="16" fill="none" stroke="#222" ' +
      'stroke-width="1.5"><rect x="1" y="5" width="14" height="6"/>' +
      '<path d="M4 5v3M7 5v2M10 5v3M13 5v2"/></svg>'
  };

  function button(bar, icon, title, onClick) {
    var b = L.DomUtil.create('a', 'ge-button', bar);
    b.href = '#';
    b.setAttribute('role', 'button');
    b.setAttribute('aria-label', title);
    b.title = title;
    b.innerHTML = ICONS[icon];  /* constant markup of this file */
    L.DomEvent.on(b, 'click', function (ev) { L.DomEvent.preventDefault(ev); onClick(b); });
    L.DomEvent.disableClickPropagation(b);
    return b;
  }

  function formatDistance(m, ui) {
    return m >= 1000 ? (m / 1000).toFixed(2) + ' km' : Math.round(m) + ' m';
  }

  var Tools = L.Control.extend({
    options: {position: 'topleft'},
    onAdd: function (map) {
      var ui = geoEnv.data.ui, bar = L.DomUtil.create('div', 'leaflet-bar ge-tools');
      button(bar, 'fullscreen', decodeText(ui.fullscreen), function () {
        var c = map.getContainer();
        if (document.fullscreenElement) { document.exitFullscreen(); }
        else if (c.requestFullscreen) { c.requestFullscreen(); }
      });
      document.addEventListener('fullscreenchange', function () { map.invalidateSize(); });
      var measure = {on: false, pts: [], line: null, tip: null};
      button(bar, 'measure', decodeText(ui.measure), function (b) {
        measure.on = !measure.on;
        L.DomUtil[measure.on ? 'addClass' : 'removeClass'](b, 'ge-active');
        L.DomUtil[measure.on ? 'addClass' : 'removeClass'](map.getContainer(), 'ge-measuring');
        if (!measure.on) {
          if (measure.line) { map.removeLayer(measure.line); }
          if (measure.tip) { map.removeLayer(measure.tip); }
          measure.pts = []; measure.line = measure.tip = null;
        }
      });
      map.on('click', function (e) {
        if (!measure.on) { return; }
        measure.pts.push(e.latlng);
        if (!measure.line) {
          measure.line = L.polyline(measure.pts, {color: '#d7263d', weight: 3, dashArray: '6 4', interactive: false}).addTo(map);
        } else { measure.line.setLatLngs(measure.pts); }
        var total = 0;
        for (var i = 1; i < measure.pts.length; i++) { total += map.distance(measure.pts[i - 1], measure.pts[i]); }
        if (!measure.tip) {
          measure.tip = L.tooltip({permanent: true, direction: 'right', className: 'ge-measure-tip'});
        }
        measure.tip.setLatLng(e.latlng).setContent(formatDistance(total, ui));
        if (!map.hasLayer(measure.tip)) { measure.tip.addTo(map); }
      });
      geoEnv.measure = measure;
      return bar;
    }
  });

  var Title = L.Control.extend({
    options: {position: 'topleft'},
    onAdd: function () {
      var div = L.DomUtil.create('div', 'ge-title');
      div.innerHTML = '<div class="ge-title-main">' + geoEnv.data.ui.title + '</div>' +
        '<div class="ge-title-sub">' + geoEnv.data.ui.subtitle + '</div>';
      return div;
    }
  });

  geoEnv.controls = function (map) {
    /* the view is set before any layer is added, so nothing is projected twice */
    geoEnv.map = map;
    if (geoEnv.data.bounds) { map.fitBounds(geoEnv.data.bounds, {animate: false, padding: [12, 12]}); }
    new Title().addTo(map);
    new Search().addTo(map);
    L.control.zoom({position: 'topleft', zoomInTitle: decodeText(geoEnv.data.ui.zoom_in),
      zoomOutTitle: decodeText(geoEnv.data.ui.zoom_out)}).addTo(map);
    new Tools().addTo(map);
    L.control.scale({imperial: false, maxWidth: 160}).addTo(map);
    geoEnv.legend = new Legend().addTo(map);
  };

  geoEnv.ready = function (map) {
    geoEnv.map = map;
    if (geoEnv.legend) { geoEnv.legend.update(); }
    /* the second frame callback runs after the first frame with the layers was painted */
    requestAnimationFrame(function () {
      requestAnimationFrame(function () {
        window.geoEnvReady = performance.now();
        document.documentElement.setAttribute('data-geo-env-ready', '1');
      });
    });
  };

  window.geoEnv = geoEnv;
}(window.L));
