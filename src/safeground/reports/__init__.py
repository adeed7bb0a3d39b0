"""Reports a person would rather look at.

- :mod:`.document`: what a report holds (sections, tables with exact values, charts, map
  layers), filled by :mod:`safeground.services.reporting`;
- :mod:`.layers`: the map's layers as GeoJSON (and the ``public`` generalisation);
- :mod:`.html`: one self-contained HTML file with an offline Leaflet map;
- :mod:`.pdf` and :mod:`.maps`: the same document as a PDF, with a static map;
- :mod:`.charts`: S-curves, the tornado and the Gantt chart, drawn with matplotlib.
"""
