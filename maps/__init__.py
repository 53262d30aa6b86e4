"""Maps people open: the command-center map and an officer's map link (folium, offline).

- a plan comes in as :class:`geo.plan_layers.PlanLayers` (read by
  :func:`geo.plan_files.read_plan_dir`: maps read no files);
- :func:`maps.command_map.command_map` draws the whole night for the command center;
- :func:`maps.officer_map.officer_map` draws one line or one control point for a phone;
- :mod:`maps.assets` puts Leaflet's files in from installed packages (no CDN):
  :func:`~maps.assets.save_map` writes a map, :func:`~maps.assets.asset_files` gives the files
  for the API to serve;
- :mod:`maps.i18n` holds the English and Simplified Chinese labels.
"""
