"""L4 outputs: the map, print figures, Excel report, their shared style."""
