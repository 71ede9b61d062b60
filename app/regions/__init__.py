"""The regions register (行政区划): division codes and their names, for labels wherever a region is shown."""
