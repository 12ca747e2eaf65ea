/* geo_env comparison map runtime (part of geo_env, MIT licence).
 *
 * Two Leaflet maps side by side, one per plan, built from one data block by the plan map's
 * runtime (geoEnv.load, geoEnv.layer: geometry decoder, fast village polygons, popups) and
 * kept on one view: moving or zooming either map moves the other (a few lines instead of a
 * plugin from a CDN).  Every string in the data was HTML-escaped by geo_env before it was
 * written (layer names, legend rows, popups).
 */
(function (L, geoEnv) {
  'use strict';

  function swatch(e) {
    if (e.shape === 'line') { return '<i class="ge-sw ge-sw-line" style="border-top-color:' + e.color + '"></i>'; }
    var round = e.shape === 'circle' ? ' ge-sw-circle' : '';
    return '<i class="ge-sw' + round + '" style="background:' + e.fill + ';border-color:' + e.color + '"></i>';
  }

  /* the legend of the layers shown on one map */
  var Legend = L.Control.extend({
    options: {position: 'bottomright'},
    initialize: function (layers) { this._layers = layers; },
    onAdd: function (map) {
      this._div = L.DomUtil.create('div', 'ge-legend leaflet-bar');
      L.DomEvent.disableClickPropagation(this._div);
      L.DomEvent.disableScrollPropagation(this._div);
      map.on('overlayadd overlayremove', this.update, this);
      this._map = map;
      this.update();
      return this._div;
    },
    update: function () {
      var html = '';
      for (var i = 0; i < this._layers.length; i++) {
        var layer = this._layers[i], spec = layer._geSpec;
        if (!spec.legend || !spec.legend.length || !this._map.hasLayer(layer)) { continue; }
        if (spec.legend.length > 1) { html += '<div class="ge-legend-title">' + spec.name + '</div>'; }
        for (var k = 0; k < spec.legend.length; k++) {
          html += '<div class="ge-legend-row">' + swatch(spec.legend[k]) + spec.legend[k].label + '</div>';
        }
      }
      this._div.innerHTML = html;
      this._div.style.display = html ? '' : 'none';
    }
  });

  /* every map follows the one the user moves (the guard stops the echo) */
  function synchronise(maps) {
    var following = false;
    maps.forEach(function (source) {
      source.on('move zoomend', function () {
        if (following) { return; }
        following = true;
        try {
          maps.forEach(function (m) {
            if (m !== source) { m.setView(source.getCenter(), source.getZoom(), {animate: false}); }
          });
        } finally { following = false; }
      });
    });
  }

  function panelMap(data, panel) {
    var map = L.map(panel.element, {zoomControl: true, attributionControl: false});
    var pane = map.createPane('geVillages');  /* the fast village polygons' canvas */
    pane.style.zIndex = 350;
    pane.style.pointerEvents = 'none';        /* clicks reach the map; hit-testing is the runtime's */
    map.fitBounds(data.bounds, {animate: false, padding: [8, 8]});
    var layers = [], overlays = {}, byKey = {};
    for (var i = 0; i < panel.layers.length; i++) {
      var layer = geoEnv.layer(map, panel.layers[i]);  /* a new layer for this map (its _geSpec: the spec) */
      layers.push(layer);
      byKey[panel.layers[i]] = layer;
      overlays[layer._geSpec.name] = layer;
      if (layer._geSpec.show) { layer.addTo(map); }
    }
    L.control.layers(null, overlays, {collapsed: true, position: 'topright'}).addTo(map);
    L.control.scale({imperial: false, maxWidth: 140}).addTo(map);
    new Legend(layers).addTo(map);
    return {map: map, layers: byKey};
  }

  var geCompare = {panels: []};

  geCompare.start = function (id) {
    var data = geoEnv.load(id);
    for (var k = 0; k < data.panels.length; k++) { geCompare.panels.push(panelMap(data, data.panels[k])); }
    var maps = geCompare.panels.map(function (p) { return p.map; });
    synchronise(maps);
    geoEnv.ready(maps[0]);
  };

  window.geCompare = geCompare;
}(window.L, window.geoEnv));
