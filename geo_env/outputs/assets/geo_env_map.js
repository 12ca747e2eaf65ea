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
    /* returns one Float64Array per arc: lat0, lng0, lat1, lng1, ... */
    var arcs = [];
    if (!text) { return arcs; }
    var buf = new Float64Array(1024), m = 0, value = 0, scale = 1, haveX = false, cx = 0,
        first = true, x = 0, y = 0;
    for (var i = 0, n = text.length; i <= n; i++) {
      var c = i < n ? text.charCodeAt(i) : 44;
      if (c === 44) { arcs.push(buf.slice(0, m)); m = 0; first = true; continue; }
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
        if (m + 2 > buf.length) { var bigger = new Float64Array(buf.length * 2); bigger.set(buf); buf = bigger; }
        buf[m++] = y * quantum;
        buf[m++] = x * quantum;
      }
    }
    return arcs;
  }

  function latLngAt(arc, k) { return L.latLng(arc[2 * k], arc[2 * k + 1]); }

  function joinArcs(refs, arcs) {
    var out = [];
    for (var i = 0; i < refs.length; i++) {
      var r = refs[i], arc = r >= 0 ? arcs[r] : arcs[~r], m = arc.length / 2, j;
      var skip = out.length ? 1 : 0;
      if (r >= 0) { for (j = skip; j < m; j++) { out.push(latLngAt(arc, j)); } }
      else { for (j = m - 1 - skip; j >= 0; j--) { out.push(latLngAt(arc, j)); } }
    }
    return out;
  }

  function colon() { return (geoEnv.data && geoEnv.data.ui.colon) || '：'; }

  function fieldValue(f, i) { return f.codes ? f.dict[f.codes[i]] : f.values[i]; }

  function tooltipHtml(spec, i) {
    var parts = [];
    for (var k = 0; k < spec.tooltip.length; k++) {
      var f = spec.fields[spec.tooltip[k]], v = fieldValue(f, i);
      if (v === '' || v === null || v === undefined) { continue; }
      parts.push(k === 0 ? '<b>' + v + '</b>' : f.label + colon() + v);
    }
    return parts.join('<br>');
  }

  function popupHtml(spec, i) {
    var head = '', rows = '', notes = '';
    for (var k = 0; k < spec.popup.length; k++) {
      var f = spec.fields[spec.popup[k]], v = fieldValue(f, i);
      if (v === '' || v === null || v === undefined) { continue; }
      if (k === 0) { head = '<div class="ge-popup-title">' + v + '</div>'; }
      else if (f.long) { notes += '<p class="ge-popup-note"><b>' + f.label + '</b>' + colon() + v + '</p>'; }
      else { rows += '<tr><th>' + f.label + '</th><td>' + v + '</td></tr>'; }
    }
    return '<div class="ge-popup">' + head + '<table>' + rows + '</table>' + notes + panelHtml(spec.panel, i) + '</div>';
  }

  /* the indicator panel of a village popup: its township's baseline, planned and target
     (every text escaped by geo_env before it was written into the data block) */
  function panelHtml(panel, i) {
    if (!panel || typeof panel !== 'object' || !(panel.codes[i] >= 0)) { return ''; }
    var r = panel.codes[i], h = panel.head, body = '';
    for (var k = 0; k < panel.rows[r].length; k++) {
      var c = panel.rows[r][k];
      body += '<tr><th>' + c[0] + '</th><td>' + c[1] + '</td><td>' + c[2] + '</td><td>' + c[3] + '</td></tr>';
    }
    return '<div class="ge-popup-panel"><div class="ge-popup-panel-title">' + panel.title + ' · ' + panel.names[r] +
      '</div><table><tr><th>' + h[0] + '</th><th>' + h[1] + '</th><th>' + h[2] + '</th><th>' + h[3] + '</th></tr>' +
      body + '</table></div>';
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
      var ll = latLngAt(arcs[spec.geom], i);
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
    return geoEnv.geo.arcs[spec.geom].length / 2;
  }

  var geoEnv = {specs: [], groups: {}, geo: null, popupHtml: popupHtml, tooltipHtml: tooltipHtml, count: count};
  geoEnv.worldArcs = function () { return worldArcs(); };

  /* ---- fast polygons: many village polygons drawn on one canvas ----
     Leaflet's vector layers cost a few microseconds per vertex and an object per polygon;
     a county's 20,000 villages would take seconds. This layer projects the shared arcs
     once per zoom level, draws each class as one path and finds the polygon under the
     mouse by bounding box and even-odd ray crossing. */
  var WORLD = null;
  function worldArcs() {
    if (WORLD) { return WORLD; }
    var arcs = geoEnv.geo.arcs, out = new Array(arcs.length), D = Math.PI / 180;
    for (var a = 0; a < arcs.length; a++) {
      var arc = arcs[a], w = new Float64Array(arc.length);
      for (var k = 0; k < arc.length; k += 2) {
        var lat = Math.max(Math.min(arc[k], 85.0511287798), -85.0511287798);
        w[k] = (arc[k + 1] + 180) / 360 * 256;
        w[k + 1] = (0.5 - Math.log(Math.tan(Math.PI / 4 + lat * D / 2)) / (2 * Math.PI)) * 256;
      }
      out[a] = w;
    }
    WORLD = out;
    return out;
  }

  var FastPolygons = L.Layer.extend({
    options: {pane: 'geVillages'},

    initialize: function (spec) { this._spec = spec; },

    _prepare: function () {
      if (this._rings) { return; }
      var spec = this._spec, world = worldArcs(), n = spec.geom.length;
      this._rings = new Array(n);
      this._bbox = new Float64Array(4 * n);
      for (var i = 0; i < n; i++) {
        var rings = [], b = [Infinity, Infinity, -Infinity, -Infinity];
        for (var p = 0; p < spec.geom[i].length; p++) {
          for (var r = 0; r < spec.geom[i][p].length; r++) {
            var refs = spec.geom[i][p][r];
            rings.push(refs);
            for (var q = 0; q < refs.length; q++) {
              var w = world[refs[q] >= 0 ? refs[q] : ~refs[q]];
              for (var k = 0; k < w.length; k += 2) {
                var x = w[k], y = w[k + 1];
                if (x < b[0]) { b[0] = x; } if (y < b[1]) { b[1] = y; }
                if (x > b[2]) { b[2] = x; } if (y > b[3]) { b[3] = y; }
              }
            }
          }
        }
        this._rings[i] = rings;
        this._bbox.set(b, 4 * i);
      }
      var byClass = [];
      for (var c = 0; c < spec.styles.length; c++) { byClass.push([]); }
      for (i = 0; i < n; i++) { if (this._rings[i].length) { byClass[spec.cls ? spec.cls[i] : 0].push(i); } }
      this._byClass = byClass;
    },

    count: function () { return this._spec.geom.length; },

    itemBounds: function (i) {
      this._prepare();
      var b = this._bbox;
      /* world (zoom 0 pixels) back to lat/lng */
      var sw = L.CRS.EPSG3857.pointToLatLng(L.point(b[4 * i], b[4 * i + 3]), 0),
          ne = L.CRS.EPSG3857.pointToLatLng(L.point(b[4 * i + 2], b[4 * i + 1]), 0);
      return L.latLngBounds(sw, ne);
    },

    onAdd: function (map) {
      this._prepare();
      this._canvas = L.DomUtil.create('canvas', 'leaflet-zoom-animated', this.getPane());
      this._ctx = this._canvas.getContext('2d');
      map.on('moveend viewreset resize', this._reset, this);
      map.on('zoomanim', this._animateZoom, this);
      map.on('click', this._onClick, this);
      map.on('mousemove', this._onMove, this);
      map.on('mouseout', this._hideTip, this);
      this._reset();
    },

    onRemove: function (map) {
      L.DomUtil.remove(this._canvas);
      map.off('moveend viewreset resize', this._reset, this);
      map.off('zoomanim', this._animateZoom, this);
      map.off('click', this._onClick, this);
      map.off('mousemove', this._onMove, this);
      map.off('mouseout', this._hideTip, this);
      this._hideTip();
    },

    _reset: function () {
      var map = this._map, size = map.getSize(), dpr = window.devicePixelRatio || 1;
      this._topLeft = map.containerPointToLayerPoint([0, 0]);
      this._bounds = map.getBounds();
      L.DomUtil.setPosition(this._canvas, this._topLeft);
      this._canvas.width = Math.round(size.x * dpr);
      this._canvas.height = Math.round(size.y * dpr);
      this._canvas.style.width = size.x + 'px';
      this._canvas.style.height = size.y + 'px';
      this._draw(size, dpr);
    },

    _animateZoom: function (e) {
      var scale = this._map.getZoomScale(e.zoom),
          offset = this._map._latLngBoundsToNewLayerBounds(this._bounds, e.zoom, e.center).min;
      L.DomUtil.setTransform(this._canvas, offset, scale);
    },

    _frame: function () {
      var map = this._map, s = Math.pow(2, map.getZoom()), origin = map.getPixelOrigin();
      return {s: s, ox: origin.x + this._topLeft.x, oy: origin.y + this._topLeft.y};
    },

    _trace: function (path, rings, world, f, minStep) {
      for (var r = 0; r < rings.length; r++) {
        var refs = rings[r], first = true, lx = 0, ly = 0;
        for (var q = 0; q < refs.length; q++) {
          var fwd = refs[q] >= 0, w = world[fwd ? refs[q] : ~refs[q]], m = w.length / 2;
          for (var j = 0; j < m; j++) {
            var k = fwd ? j : m - 1 - j, x = w[2 * k] * f.s - f.ox, y = w[2 * k + 1] * f.s - f.oy;
            if (first) { path.moveTo(x, y); first = false; lx = x; ly = y; }
            else if (Math.abs(x - lx) + Math.abs(y - ly) >= minStep) { path.lineTo(x, y); lx = x; ly = y; }
          }
        }
        path.closePath();
      }
    },

    _draw: function (size, dpr) {
      var ctx = this._ctx, spec = this._spec, world = worldArcs(), f = this._frame();
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, size.x, size.y);
      var vx0 = f.ox / f.s, vy0 = f.oy / f.s, vx1 = (f.ox + size.x) / f.s, vy1 = (f.oy + size.y) / f.s;
      /* one Path2D per class and per 200 polygons: Chromium's path building slows down
         with the number of sub-paths in one path */
      var paths = [], b = this._bbox;
      var hidden = spec.hidden || {};
      for (var c = 0; c < this._byClass.length; c++) {
        var list = [], path = null, items = hidden[c] ? [] : this._byClass[c], inPath = 0;
        for (var t = 0; t < items.length; t++) {
          var i = items[t];
          if (b[4 * i] > vx1 || b[4 * i + 2] < vx0 || b[4 * i + 1] > vy1 || b[4 * i + 3] < vy0) { continue; }
          if (!path || inPath === 200) { path = new Path2D(); list.push(path); inPath = 0; }
          this._trace(path, this._rings[i], world, f, 1.0);
          inPath++;
        }
        paths.push(list);
      }
      var st, k;
      for (c = 0; c < paths.length; c++) {
        st = spec.styles[c];
        ctx.globalAlpha = st.fillOpacity === undefined ? 0.2 : st.fillOpacity;
        ctx.fillStyle = st.fillColor || st.color;
        for (k = 0; k < paths[c].length; k++) { ctx.fill(paths[c][k], 'evenodd'); }
      }
      for (c = 0; c < paths.length; c++) {
        st = spec.styles[c];
        ctx.globalAlpha = st.opacity === undefined ? 1 : st.opacity;
        ctx.strokeStyle = st.color;
        ctx.lineWidth = st.weight === undefined ? 1 : st.weight;
        ctx.lineJoin = 'round';
        for (k = 0; k < paths[c].length; k++) { ctx.stroke(paths[c][k]); }
      }
      ctx.globalAlpha = 1;
    },

    /* index of the polygon under a container point, or -1 */
    hit: function (cp) {
      var map = this._map, s = Math.pow(2, map.getZoom()), lp = map.containerPointToLayerPoint(cp),
          origin = map.getPixelOrigin(), wx = (lp.x + origin.x) / s, wy = (lp.y + origin.y) / s,
          b = this._bbox, world = worldArcs(), hidden = this._spec.hidden || {}, cls = this._spec.cls;
      for (var i = this._rings.length - 1; i >= 0; i--) {
        if (wx < b[4 * i] || wx > b[4 * i + 2] || wy < b[4 * i + 1] || wy > b[4 * i + 3]) { continue; }
        if (cls && hidden[cls[i]]) { continue; }  /* filtered out in the legend */
        var inside = false, rings = this._rings[i];
        for (var r = 0; r < rings.length; r++) {
          var refs = rings[r];
          for (var q = 0; q < refs.length; q++) {
            var w = world[refs[q] >= 0 ? refs[q] : ~refs[q]];
            for (var k = 0; k + 3 < w.length; k += 2) {
              var x1 = w[k], y1 = w[k + 1], x2 = w[k + 2], y2 = w[k + 3];
              if ((y1 > wy) !== (y2 > wy) && wx < (x2 - x1) * (wy - y1) / (y2 - y1) + x1) { inside = !inside; }
            }
          }
        }
        if (inside) { return i; }
      }
      return -1;
    },

    _onClick: function (e) {
      if (geoEnv.measure && geoEnv.measure.on) { return; }
      var i = this.hit(e.containerPoint);
      if (i < 0 || !this._spec.popup || !this._spec.popup.length) { return; }
      L.popup({maxWidth: 360}).setLatLng(e.latlng).setContent(popupHtml(this._spec, i)).openOn(this._map);
    },

    _onMove: function (e) {
      this._lastMove = e;
      if (this._moveQueued) { return; }
      this._moveQueued = true;
      var self = this;
      requestAnimationFrame(function () {
        self._moveQueued = false;
        if (!self._map || !self._lastMove) { return; }
        var ev = self._lastMove, i = self.hit(ev.containerPoint), spec = self._spec;
        self._map.getContainer().style.cursor = i >= 0 ? 'pointer' : '';
        if (i < 0 || !spec.tooltip || !spec.tooltip.length) { self._hideTip(); return; }
        if (!self._tip) { self._tip = L.tooltip({direction: 'top', offset: [0, -10], className: 'ge-tip'}); }
        if (self._tipIndex !== i) { self._tip.setContent(tooltipHtml(spec, i)); self._tipIndex = i; }
        self._tip.setLatLng(ev.latlng);
        if (!self._map.hasLayer(self._tip)) { self._tip.addTo(self._map); }
      });
    },

    _hideTip: function () {
      if (this._tip && this._map && this._map.hasLayer(this._tip)) { this._map.removeLayer(this._tip); }
      this._tipIndex = -1;
      if (this._map) { this._map.getContainer().style.cursor = ''; }
    }
  });


  geoEnv.load = function (id) {
    geoEnv.timing = {start: performance.now()};
    var data = JSON.parse(document.getElementById(id).textContent);
    geoEnv.data = data;
    geoEnv.geo = {arcs: decodeArcs(data.arcs, data.origin, data.quantum)};
    geoEnv.timing.decoded = performance.now();
    geoEnv.specs = data.layers;
    for (var i = 0; i < data.layers.length; i++) {
      var spec = data.layers[i];
      if (typeof spec.fields === 'string') { spec.fields = data.tables[spec.fields]; }
      if (typeof spec.panel === 'string') { spec.panel = data.tables[spec.panel]; }
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
    if (spec.fast) {
      var fast = new FastPolygons(spec);
      fast._geSpec = spec;
      geoEnv.groups[key] = fast;
      return fast;
    }
    var group = L.featureGroup();
    group._geSpec = spec;
    geoEnv.groups[key] = group;
    if (spec.popup && spec.popup.length) {
      group.on('click', function (e) {
        L.DomEvent.stopPropagation(e);  /* the map's own click (village polygons) is not for this */
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

  /* bounds of feature i of layer key (a point's bounds are the point) */
  geoEnv.itemBounds = function (key, i) {
    var g = geoEnv.groups[key];
    if (g.itemBounds) { return g.itemBounds(i); }
    geoEnv.fill(g, g._geSpec);
    var it = g._geItems[i];
    return it.getBounds ? it.getBounds() : L.latLngBounds([it.getLatLng(), it.getLatLng()]);
  };

  /* ---- controls ---- */

  function legendHtml(spec) {
    var titled = spec.legend.length > 1 || spec.legend[0].label !== spec.name;
    var html = titled ? '<div class="ge-legend-title">' + spec.name + '</div>' : '';
    for (var i = 0; i < spec.legend.length; i++) {
      var e = spec.legend[i], sw;
      if (e.shape === 'line') {
        sw = '<i class="ge-sw ge-sw-line" style="border-top-color:' + e.color +
          (typeof e.weight === 'number' ? ';border-top-width:' + e.weight + 'px' : '') + '"></i>';
      }
      else if (e.shape === 'circle') {
        sw = '<i class="ge-sw ge-sw-circle" style="background:' + e.fill + ';border-color:' + e.color + '"></i>';
      } else { sw = '<i class="ge-sw" style="background:' + e.fill + ';border-color:' + e.color + '"></i>'; }
      if (spec.filter && e.cls !== undefined) {  /* a tick box per class: show or hide it */
        var on = !(spec.hidden && spec.hidden[e.cls]) ? ' checked' : '';
        html += '<label class="ge-legend-row ge-filter"><input type="checkbox" data-ge-key="' + spec.key +
          '" data-ge-cls="' + e.cls + '"' + on + '>' + sw + e.label + '</label>';
      } else {
        html += '<div class="ge-legend-row">' + sw + e.label + '</div>';
      }
    }
    return html;
  }

  /* show (on) or hide class c of the one-canvas layer key, and redraw it */
  geoEnv.filterClass = function (key, c, on) {
    for (var s = 0; s < geoEnv.specs.length; s++) {
      var spec = geoEnv.specs[s];
      if (spec.key !== key) { continue; }
      spec.hidden = spec.hidden || {};
      spec.hidden[c] = !on;
      var g = geoEnv.groups[key];
      if (g && g._map && g._reset) { g._reset(); }
    }
  };

  var Legend = L.Control.extend({
    options: {position: 'bottomright'},
    onAdd: function (map) {
      this._div = L.DomUtil.create('div', 'ge-legend leaflet-bar');
      L.DomEvent.on(this._div, 'change', function (ev) {
        var t = ev.target;
        if (t && t.getAttribute && t.getAttribute('data-ge-key')) {
          geoEnv.filterClass(t.getAttribute('data-ge-key'), +t.getAttribute('data-ge-cls'), t.checked);
        }
      });
      L.DomEvent.disableClickPropagation(this._div);
      L.DomEvent.disableScrollPropagation(this._div);
      /* layeradd fires for every feature of a group: redraw the legend once per frame */
      map.on('overlayadd overlayremove layeradd layerremove', this._schedule, this);
      this._map = map;
      this.update();
      return this._div;
    },
    _schedule: function () {
      if (this._pending) { return; }
      this._pending = true;
      var self = this;
      requestAnimationFrame(function () { self._pending = false; self.update(); });
    },
    update: function () {
      var html = '';
      for (var i = 0; i < geoEnv.specs.length; i++) {
        var spec = geoEnv.specs[i], g = geoEnv.groups[spec.key];
        if (spec.legend && spec.legend.length && g && this._map.hasLayer(g)) { html += legendHtml(spec); }
      }
      this._div.innerHTML = html;
      this._div.style.display = html ? '' : 'none';
      fitRightColumn(this._map);
    }
  });

  /* The layer list (top right) and the legend (bottom right) share the map's height: on a
     small screen each gets a scroll bar rather than one covering the other. */
  function fitRightColumn(map) {
    var box = map.getContainer();
    var layers = box.querySelector('.leaflet-top.leaflet-right .leaflet-control-layers');
    var legend = geoEnv.legend && geoEnv.legend._div;
    if (!layers || !legend) { return; }
    layers.style.maxHeight = legend.style.maxHeight = '';
    layers.style.overflowY = 'auto';
    var below = 0, others = box.querySelectorAll('.leaflet-bottom.leaflet-right .leaflet-control');
    for (var i = 0; i < others.length; i++) {
      if (others[i] !== legend) { below += others[i].offsetHeight + 10; }
    }
    var budget = box.clientHeight - below - 40;  /* control margins and a gap */
    var need = layers.scrollHeight, legendNeed = legend.style.display === 'none' ? 0 : legend.scrollHeight;
    if (need + legendNeed <= budget) { return; }
    var half = Math.max(budget / 2, 60);
    if (need <= half) { legend.style.maxHeight = Math.max(budget - need, 60) + 'px'; }
    else if (legendNeed <= half) { layers.style.maxHeight = Math.max(budget - legendNeed, 60) + 'px'; }
    else { layers.style.maxHeight = legend.style.maxHeight = half + 'px'; }
  }

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
      var bounds = geoEnv.itemBounds(e.spec.key, e.i), center = bounds.getCenter();
      map.fitBounds(bounds, {maxZoom: 15, animate: false});
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
    var pane = map.createPane('geVillages');
    pane.style.zIndex = 350;            /* below Leaflet's overlay pane (400) */
    pane.style.pointerEvents = 'none';  /* clicks reach the map; hit-testing is ours */
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
    geoEnv.timing.layers = performance.now();
    if (geoEnv.legend) { geoEnv.legend.update(); }
    map.on('resize', function () { fitRightColumn(map); });
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
