"""L2 io: reading planners' files into a District, and writing outputs atomically.

Readers (entry :func:`geo_env.io.layers.read_layer`, :func:`geo_env.io.layers.read_table`):
``checks`` (the input file before it is opened: type, size, zip bombs, KML entities),
``vector`` (GDAL layers and zip members) and ``tables`` (CSV/XLSX), ``encodings``,
``coordinates`` (parsing, lon/lat and zone checks, CRS), ``geometry`` (cleaning),
``columns`` (layer specs, aliases, ids) and ``values`` (numbers, blank cells, names).
Project files (entry :func:`geo_env.io.project.load_project`): ``projectfile`` (text,
TOML, keys, sections, paths, template), ``villages`` (townships and head counts completed),
``placement`` (anchors, misplaced layers, the DEM) and ``district`` (the
:class:`~geo_env.io.district.District`).  Outputs: ``writers`` (atomic files) and
``output`` (the output folder as one transaction).
"""
